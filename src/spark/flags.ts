// Red flags computed from the analysis. Each rule measures what its problem cost: an estimated wall-clock impact
// (`impactMs`, and `impactShare` of the app's wall clock) from which the severity follows (thresholds.ts). Root causes
// come first in the evidence. Every rule and threshold is documented here and in the README's dashboard section.
import type { StageSkew, TaskFailureClass } from './aggregator.js'
import type { Analysis, Flag, FlagId, Severity, StageData, WhatIf } from './analysis-types.js'
import { classifyRemoval, stageFailureCause, taskRootCauses } from './root-cause.js'
import { THRESHOLDS as T } from './thresholds.js'
import { driverTime } from './driver-time.js'
import { bytes as fmtBytes, duration as fmtMs, percent as pct } from '../shared/format.js'

/** First line of a free-text reason, capped: YARN reasons carry whole stack traces. */
const firstLine = (r: string): string => {
  const l = r.split('\n')[0]!.trim()
  return l.length > 200 ? `${l.slice(0, 200)}…` : l
}
const stageLabel = (s: StageData): string => `stage ${s.stageId}${s.attemptId > 0 ? `.${s.attemptId}` : ''}`

/** Recommendation ids the knowledge base offers for each flag (kept in sync with knowledge/tuning_recommendations.json). */
export const FLAG_RECOMMENDATIONS: Record<FlagId, string[]> = {
  infrastructure_bottleneck: ['scale_out_capacity'],
  capacity_bound: ['more_cores'],
  over_partitioning: ['fewer_shuffle_partitions'],
  preemption_risk: ['avoid_spot_loss'],
  high_gc: ['more_memory_per_core'],
  skew: ['handle_skew'],
  stragglers: ['speculation'],
  disk_spill: ['more_memory_per_core', 'more_shuffle_partitions'],
  failed_tasks: ['investigate_failures'],
  executor_loss: ['more_memory_overhead'],
  idle_cores: ['right_size_cluster'],
  driver_bound: ['reduce_driver_work'],
  idle_session: ['stop_idle_session'],
  huge_partitions: ['more_shuffle_partitions'],
}

/** What the rules need besides the analysis (from the aggregator and the what-if). */
export interface FlagInputs {
  skew: Map<string, StageSkew>
  failures?: Iterable<TaskFailureClass>
  failedTaskTime?: Map<string, { failedTaskTime: number }>
  whatIf?: WhatIf | null
}

/** The severity an impact earns: ≥ 20 % of the wall clock critical, ≥ 5 % warning, else info; `cap` lowers the ceiling. */
export function severityOf (share: number, cap: Severity = 'critical'): Severity {
  const s: Severity = share >= T.criticalShare ? 'critical' : share >= T.warningShare ? 'warning' : 'info'
  return RANK[s] < RANK[cap] ? cap : s
}
const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
const minSev = (a: Severity, b: Severity): Severity => (RANK[a] > RANK[b] ? a : b)

/** All red flags for an analysis. */
export function computeFlags (a: Analysis, inputs: FlagInputs | Map<string, StageSkew>): Flag[] {
  const inp: FlagInputs = inputs instanceof Map ? { skew: inputs } : inputs
  const skew = inp.skew
  const failures = [...(inp.failures ?? [])]
  const wall = a.kpis.wallClockMs
  const cores = a.kpis.totalCoresMax
  const local = /^local/.test(a.application.master ?? '')
  // short apps and local runs are capped at warning: little to win, and cluster advice does not apply
  const cap: Severity = local || wall < T.shortAppMs ? 'warning' : 'critical'
  const share = (ms: number): number => (wall > 0 ? Math.min(1, ms / wall) : 0)
  const flags: Flag[] = []
  const add = (id: FlagId, impactMs: number, title: string, evidence: string[], metrics: Record<string, number>,
    ids: { stageIds?: number[]; executorIds?: string[] }, sev?: Severity, costLine?: string): void => {
    const impact = Math.max(0, Math.min(Math.round(impactMs), wall > 0 ? wall : Infinity))
    const sh = share(impact)
    const severity = sev ?? severityOf(sh, cap)
    // the generic "costs ~x of y" is rendered from impactMs by its readers (shared/format.ts impactText)
    const head = costLine !== undefined ? [costLine] : []
    flags.push({ id, severity, title, impactMs: impact, impactShare: round4(sh), ...ids, evidence: [...evidence, ...head], metrics, recommendationIds: FLAG_RECOMMENDATIONS[id] })
  }
  const stages = a.stages.filter((s) => s.status !== 'SKIPPED' && s.status !== 'PENDING')
  const appTaskTime = stages.reduce((x, s) => x + s.taskTime, 0)
  const tasksOf = (s: StageData): number => s.numCompleteTasks + s.numFailedTasks + s.numKilledTasks
  const parallelism = (s: StageData): number => Math.max(1, Math.min(cores > 0 ? cores : tasksOf(s), tasksOf(s)))
  const stageWall = (s: StageData): number =>
    s.completionTime !== undefined ? Math.max(0, s.completionTime - (s.firstTaskLaunchedTime ?? s.submissionTime ?? s.completionTime)) : 0
  const busy = busyShareOf(a)
  const lastJobEnd = a.jobs.reduce((m, j) => Math.max(m, j.completionTime ?? 0), 0)

  // infrastructure_bottleneck and capacity_bound.
  // Delay form: Σ scheduler delay (0 for tasks without metrics, as Spark counts it) above run + deserialisation time,
  // with a mean delay per task of at least 500 ms (less is per-task overhead: over_partitioning's business).
  // Launch-wait form: the stage waited from submission to its first task while cores idled (< 80 % busy); when the
  // cores were busy instead, the stage was queued behind others on a full cluster: capacity_bound.
  {
    const hit: StageData[] = []
    const ev: string[] = []
    let impact = 0
    const queued: { s: StageData; from: number; to: number; busy: number }[] = []
    const waits: { from: number; to: number }[] = []
    for (const s of stages) {
      const n = tasksOf(s)
      const work = s.executorRunTime + s.executorDeserializeTime
      if (n > 0 && s.schedulerDelay > work && s.schedulerDelay / n >= T.schedulerDelayMeanMinMs) {
        hit.push(s)
        impact += Math.min(stageWall(s), s.schedulerDelay / parallelism(s))
        ev.push(`${stageLabel(s)}: scheduler delay ${fmtMs(s.schedulerDelay)} > run + deserialisation ${fmtMs(work)} over ${n} tasks (${fmtMs(s.schedulerDelay / n)} per task)`)
        continue
      }
      if (s.submissionTime === undefined || s.firstTaskLaunchedTime === undefined) continue
      const wait = s.firstTaskLaunchedTime - s.submissionTime
      if (wait < T.launchWaitMinMs || wait < T.launchWaitMinShare * wall || wait <= stageWall(s)) continue
      const b = busy(s.submissionTime, s.firstTaskLaunchedTime)
      if (b >= T.saturatedBusyShare) {
        queued.push({ s, from: s.submissionTime, to: s.firstTaskLaunchedTime, busy: b })
      } else {
        hit.push(s)
        waits.push({ from: s.submissionTime, to: s.firstTaskLaunchedTime })
        ev.push(`${stageLabel(s)}: waited ${fmtMs(wait)} from submission to its first task while ${pct(1 - b)} of the cores idled (its tasks then ran ${fmtMs(stageWall(s))})`)
      }
    }
    impact += unionMs(waits)
    if (hit.length) {
      add('infrastructure_bottleneck', impact, 'Infrastructure bottleneck: tasks wait for resources longer than they compute', ev,
        { stages: hit.length, schedulerDelayMs: hit.reduce((x, s) => x + s.schedulerDelay, 0) }, { stageIds: ids(hit) })
    }
    if (queued.length) {
      const span = unionMs(queued)
      const from = Math.min(...queued.map((q) => q.from))
      const to = Math.max(...queued.map((q) => q.to))
      const t0 = a.application.startTime ?? from
      const p2 = inp.whatIf?.points.find((p) => p.factor === 2)
      const gain = inp.whatIf && p2 ? Math.max(0, inp.whatIf.modelMs - p2.wallClockMs) : span
      const qev = [
        `every core busy: ${pct(busy(from, to))} of ${cores} cores from +${fmtMs(from - t0)} to +${fmtMs(to - t0)}, while ${queued.length} stage(s) queued ${fmtMs(span)} in all`,
        ...queued.slice(0, 8).map((q) => `${stageLabel(q.s)} queued ${fmtMs(q.to - q.from)} (${pct(q.busy)} of cores busy)`),
      ]
      if (inp.whatIf && p2) qev.push(`with 2× the cores (${p2.cores}) the replay estimates ${fmtMs(p2.wallClockMs)} instead of ${fmtMs(inp.whatIf.modelMs)}`)
      add('capacity_bound', Math.min(gain, span), 'Capacity-bound: stages queued because every core was busy', qev,
        { stages: queued.length, queuedMs: span, gainWith2xMs: gain }, { stageIds: ids(queued.map((q) => q.s)) })
    }
  }

  // over_partitioning: little data per task (< 10 MB), many more tasks than cores, a short median task, and per-task
  // overhead (scheduler delay + deserialisation + result serialisation) a large share of the stage's task time.
  {
    const hit: StageData[] = []
    const ev: string[] = []
    let impact = 0
    for (const s of stages) {
      const n = tasksOf(s)
      const bytes = s.inputBytes + s.shuffleReadBytes
      const k = skew.get(`${s.stageId}:${s.attemptId}`)
      if (n === 0 || s.taskTime === 0 || !k) continue
      if (n < (cores > 0 ? T.overPartitionTasksPerCore * cores : 200)) continue
      const per = bytes / n
      const overhead = s.schedulerDelay + s.executorDeserializeTime + s.resultSerializationTime
      const oShare = overhead / s.taskTime
      if (per < T.overPartitionBytesPerTask && k.durationMedian < T.overPartitionMedianTaskMs && oShare >= T.overPartitionOverheadShare) {
        const cost = Math.min(stageWall(s), overhead / parallelism(s))
        if (share(cost) < T.minImpactShare) continue
        hit.push(s)
        impact += cost
        ev.push(`${stageLabel(s)}: ${n} tasks on ${cores || '?'} cores, ${fmtBytes(per)} and a median ${fmtMs(k.durationMedian)} per task; overhead ${pct(oShare)} of its task time`)
      }
    }
    if (hit.length) add('over_partitioning', impact, 'Over-partitioning: many tiny tasks whose overhead dominates', ev, { stages: hit.length }, { stageIds: ids(hit) })
  }

  // preemption_risk / executor_loss: removals classified by wording and exit code; a removal after the last job that
  // lost no task is teardown (no flag).
  {
    const pre: string[] = []
    const preEv: string[] = []
    const loss: string[] = []
    const lossEv: string[] = []
    let lostPre = 0
    let lostLoss = 0
    let memoryKills = 0
    const causes = new Map<string, number>()
    for (const x of a.executors) {
      if (x.id === 'driver' || (x.removeReason === undefined && x.tasksLost === 0)) continue
      const reason = x.removeReason ?? ''
      const c = classifyRemoval(reason)
      if (x.tasksLost === 0 && (c.cause === 'scale_down' || (x.removeTime !== undefined && lastJobEnd > 0 && x.removeTime >= lastJobEnd))) continue
      const when = x.removeTime !== undefined && a.application.startTime !== null ? ` at +${fmtMs(x.removeTime - a.application.startTime)}` : ''
      const line = `executor ${x.id} (${x.hostPort})${when}: ${c.label}; "${firstLine(reason) || 'no reason logged'}", ${x.tasksLost} task(s) lost`
      if (c.cause === 'worker_lost') {
        pre.push(x.id); lostPre += x.tasksLost; preEv.push(line)
      } else {
        loss.push(x.id); lostLoss += x.tasksLost; lossEv.push(line)
        if (c.memory) memoryKills++
        causes.set(c.label, (causes.get(c.label) ?? 0) + 1)
      }
    }
    const lostTime = failures.filter((f) => f.reason === 'ExecutorLostFailure' || f.reason === 'FetchFailed').reduce((x, f) => x + f.timeMs, 0)
    const retryWall = stages.filter((s) => s.attemptId > 0).reduce((x, s) => x + stageWall(s), 0)
    const lossImpact = (cores > 0 ? lostTime / cores : lostTime) + retryWall
    const failedRun = a.kpis.failedJobs > 0
    if (pre.length) {
      add('preemption_risk', lostPre > 0 ? lossImpact : 0, 'Preemption risk: executors lost with their worker (spot / preemption)', preEv,
        { executors: pre.length, tasksLost: lostPre }, { executorIds: pre })
    }
    if (loss.length) {
      const top = [...causes].sort((x, y) => y[1] - x[1])[0]
      add('executor_loss', lostLoss > 0 ? lossImpact : 0, memoryKills > 0 ? 'Executor loss: executors killed for memory' : 'Executor loss: executors failed',
        [...(top ? [`root cause: ${top[0]} (${top[1]} executor${top[1] === 1 ? '' : 's'})`] : []), ...lossEv],
        { executors: loss.length, tasksLost: lostLoss, memoryKills }, { executorIds: loss },
        // a memory kill recurs with the data: at least a warning, whatever this run lost
        failedRun && lostLoss > 0 ? minSev('critical', cap) : memoryKills > 0 && lostLoss > 0 ? (severityOf(share(lostLoss > 0 ? lossImpact : 0), cap) === 'critical' ? 'critical' : 'warning') : undefined)
    }
  }

  // high_gc: GC above 20 % of run time in stages holding a meaningful share (≥ 5 %) of the app's task time. GC summed
  // over concurrent tasks counts one pause once per task, so its wall-clock cost is divided by the stage's parallelism;
  // the severity is also capped by the app-level GC share (a 40 % GC stage in a 4 % GC app is not critical).
  {
    const hit: StageData[] = []
    const ev: string[] = []
    let worst = 0
    let impact = 0
    for (const s of stages) {
      if (s.executorRunTime === 0 || appTaskTime === 0 || s.taskTime / appTaskTime < T.gcMinStageTaskShare) continue
      const r = s.jvmGcTime / s.executorRunTime
      if (r > T.gcRatio) {
        hit.push(s)
        worst = Math.max(worst, r)
        impact += Math.min(stageWall(s), s.jvmGcTime / parallelism(s))
        ev.push(`${stageLabel(s)}: GC ${fmtMs(s.jvmGcTime)} of ${fmtMs(s.executorRunTime)} run time (${pct(r)}), ${pct(s.taskTime / appTaskTime)} of the app's task time`)
      }
    }
    if (hit.length && share(impact) >= T.minImpactShare) {
      const appGc = a.kpis.gcPercent / 100
      const gcCap: Severity = appGc >= T.gcAppCritical ? 'critical' : appGc >= T.gcAppWarning ? 'warning' : 'info'
      ev.unshift(`app-level GC ${pct(appGc)} of task run time`)
      add('high_gc', impact, 'High GC overhead', ev, { stages: hit.length, worstGcRatio: round4(worst), appGcRatio: round4(appGc) }, { stageIds: ids(hit) },
        minSev(severityOf(share(Math.min(impact, wall)), cap), gcCap))
    }
  }

  // skew vs stragglers: the slowest task takes ≥ 4 × the median; when it also reads ≥ 3 × the median bytes it is data
  // skew, otherwise a straggler (slow node, GC, contention: speculation helps). Impact: how far the slowest task ran
  // past the median one, bounded by the stage's wall time; raised from 1 % of the app's wall clock.
  {
    const sk = { hit: [] as StageData[], ev: [] as string[], impact: 0, worst: 0 }
    const st = { hit: [] as StageData[], ev: [] as string[], impact: 0, worst: 0 }
    for (const s of stages) {
      const k = skew.get(`${s.stageId}:${s.attemptId}`)
      if (!k || k.tasks < T.skewMinTasks || k.durationMedian <= 0) continue
      const dr = k.durationMax / k.durationMedian
      if (dr < T.skewDurationRatio) continue
      const cost = Math.min(stageWall(s), k.durationMax - k.durationMedian)
      if (share(cost) < T.minImpactShare) continue
      const br = k.bytesMedian > 0 ? k.slowestBytes / k.bytesMedian : k.slowestBytes > 0 ? Infinity : 0
      const data = br >= T.skewBytesRatio
      const bag = data ? sk : st
      bag.hit.push(s)
      bag.impact += cost
      bag.worst = Math.max(bag.worst, dr)
      bag.ev.push(`${stageLabel(s)}: slowest task ${fmtMs(k.durationMax)} vs median ${fmtMs(k.durationMedian)} (${dr.toFixed(1)}×), reading ${fmtBytes(k.slowestBytes)} vs median ${fmtBytes(k.bytesMedian)}${Number.isFinite(br) && br > 0 ? ` (${br.toFixed(1)}×)` : ''}`)
    }
    if (sk.hit.length) add('skew', sk.impact, 'Data skew: a few tasks read far more data than the rest', sk.ev, { stages: sk.hit.length, worstDurationRatio: round4(sk.worst) }, { stageIds: ids(sk.hit) })
    if (st.hit.length) add('stragglers', st.impact, 'Stragglers: a few tasks run far longer on the same amount of data', st.ev, { stages: st.hit.length, worstDurationRatio: round4(st.worst) }, { stageIds: ids(st.hit) })
  }

  // disk_spill: bytes spilled to disk, or the in-memory spill when the log reports no disk bytes (Spark 1.x, GPU spill).
  // Impact: writing and reading back the spill at ~100 MB/s per task (plus, for a CPU's memory-only spill, serialising
  // the spilled records and reading them back), over the stage's parallelism.
  {
    const plugins = a.environment.sparkProperties.find(([k]) => k === 'spark.plugins')?.[1] ?? ''
    const gpu = /com\.nvidia\.spark\.SQLPlugin/.test(plugins) || a.environment.sparkProperties.some(([k, v]) => k === 'spark.rapids.sql.enabled' && v === 'true')
    const hit: StageData[] = []
    const ev: string[] = []
    let impact = 0
    for (const s of stages) {
      const onDisk = s.diskBytesSpilled > 0 ? s.diskBytesSpilled : s.memoryBytesSpilled * T.memorySpillDiskRatio
      if (onDisk < T.spillMinBytes * (s.diskBytesSpilled > 0 ? 1 : T.memorySpillDiskRatio)) continue
      const volume = Math.max(s.inputBytes, s.outputBytes, s.shuffleReadBytes, s.shuffleWriteBytes)
      const r = volume > 0 ? onDisk / volume : 1
      if (r < T.spillRatio) continue
      // memory-only spill on a CPU (Spark 1.x reports no disk bytes): the spilled records are also serialised and read
      // back, at ~100 MB/s per task (assumption); a GPU spills device buffers to host memory, with no such cost
      const serde = s.diskBytesSpilled > 0 || gpu ? 0 : (2 * s.memoryBytesSpilled) / T.spillSerdeBytesPerMs
      const cost = Math.min(stageWall(s), ((2 * onDisk) / T.spillBytesPerMs + serde) / parallelism(s))
      hit.push(s)
      impact += cost
      ev.push(s.diskBytesSpilled > 0
        ? `${stageLabel(s)}: ${fmtBytes(s.diskBytesSpilled)} spilled to disk (${fmtBytes(s.memoryBytesSpilled)} in memory), ${pct(r)} of its ${fmtBytes(volume)} data`
        : `${stageLabel(s)}: ${fmtBytes(s.memoryBytesSpilled)} spilled from memory (the log reports no disk bytes: ${gpu ? 'GPU spill' : 'older Spark'}), about ${fmtBytes(onDisk)} written${serde > 0 ? `; ~${fmtMs(cost)} of the stage's wall clock to serialise, write and read it back` : ''}`)
    }
    // memory-only spill: the disk cost is a guess (GPU spill goes to host memory), so it is capped at warning
    const diskKnown = hit.some((s) => s.diskBytesSpilled > 0)
    if (hit.length) {
      add('disk_spill', impact, 'Spill: tasks run out of execution memory', ev,
        { stages: hit.length, diskBytesSpilled: hit.reduce((x, s) => x + s.diskBytesSpilled, 0), memoryBytesSpilled: hit.reduce((x, s) => x + s.memoryBytesSpilled, 0) },
        { stageIds: ids(hit) }, diskKnown ? undefined : severityOf(share(impact), cap === 'critical' ? 'warning' : cap))
    }
  }

  // failed_tasks: the root cause first (task failure classes, the informative stage failure); critical when the run
  // failed, else the impact of the failed task time and the stage retries.
  {
    const failedTasks = a.stages.reduce((x, s) => x + s.numFailedTasks, 0)
    const allTasks = a.stages.reduce((x, s) => x + s.numCompleteTasks + s.numFailedTasks + s.numKilledTasks, 0)
    const failedStages = a.stages.filter((s) => s.status === 'FAILED')
    const retried = a.stages.filter((s) => s.attemptId > 0)
    if (failedTasks > 0 || failedStages.length > 0 || retried.length > 0) {
      const ratio = allTasks > 0 ? failedTasks / allTasks : 0
      const roots = taskRootCauses(failures)
      const stageCauses = failedStages
        .sort((x, y) => (x.completionTime ?? 0) - (y.completionTime ?? 0))
        .map((s) => ({ s, cause: stageFailureCause(s.failureReason ?? '') }))
      const informative = stageCauses.filter((c) => c.cause !== undefined)
      const ev: string[] = []
      if (roots[0] && roots[0].kind !== 'task_killed') ev.push(`root cause: ${roots[0].line}`)
      else if (informative[0]) ev.push(`root cause: ${stageLabel(informative[0].s)} failed: ${informative[0].cause}`)
      ev.push(`${failedTasks} of ${allTasks} tasks failed (${pct(ratio)})`)
      for (const r of roots.slice(ev[0]?.startsWith('root cause: ') && roots[0]?.kind !== 'task_killed' ? 1 : 0, 5)) ev.push(r.line)
      for (const c of informative.slice(0, 5)) ev.push(`${stageLabel(c.s)} failed: ${c.cause}`)
      const echoes = stageCauses.length - informative.length
      if (echoes > 0) ev.push(`${echoes} stage(s) cancelled when the application stopped`)
      if (retried.length) ev.push(`${retried.length} stage attempt(s) were retries`)
      const failedTime = [...(inp.failedTaskTime?.values() ?? [])].reduce((x, v) => x + v.failedTaskTime, 0)
      const impact = (cores > 0 ? failedTime / cores : failedTime) + retried.reduce((x, s) => x + stageWall(s), 0)
      const runFailed = failedStages.length > 0 && a.kpis.failedJobs > 0
      const sev: Severity = runFailed ? minSev('critical', cap) : minSev(severityOf(share(impact), cap), ratio >= T.failedTaskRatioWarning || retried.length > 0 ? 'warning' : 'info')
      const hitStages = a.stages.filter((s) => s.numFailedTasks > 0 || s.status === 'FAILED' || s.attemptId > 0)
      add('failed_tasks', runFailed ? wall : impact, runFailed ? 'Failed run: a job failed' : 'Failed tasks or stages', ev,
        { failedTasks, tasks: allTasks, failedStages: failedStages.length, stageRetries: retried.length }, { stageIds: ids(hitStages) }, sev,
        runFailed ? `the run failed: its ${fmtMs(wall)} produced no complete result` : undefined)
    }
  }

  // driver_bound and idle_session: the time with no job running, split into the driver busy (wall clock of the run no
  // executor shortens) and an interactive session idle (a cost, not why the run is slow); see driver-time.ts
  const dt = driverTime(a)
  const coreMs = coreMsOf(a)
  const longestOf = (kind: 'busy' | 'idle'): number => dt.segments.reduce((x, g) => (g.kind === kind ? Math.max(x, g.end - g.start) : x), 0)
  const topOf = (kind: 'busy' | 'idle'): string[] => dt.segments.filter((g) => g.kind === kind)
    .sort((x, y) => y.end - y.start - (x.end - x.start)).slice(0, 5)
    .map((g) => `+${fmtMs(g.start - (a.application.startTime ?? g.start))} for ${fmtMs(g.end - g.start)}: ${g.why}`)
  let idleSessionCoreMs = { busy: 0, avail: 0 }
  {
    const longest = longestOf('busy')
    if (wall > 0 && dt.busyMs / wall >= T.driverIdleRatio && longest >= T.driverLongestGapMs) {
      add('driver_bound', dt.busyMs, 'Driver-bound: the driver works while no Spark job runs', [
        `${fmtMs(dt.busyMs)} of ${fmtMs(wall)} (${pct(dt.busyMs / wall)}) the driver worked with no job running; longest stretch ${fmtMs(longest)}`,
        ...topOf('busy'),
        ...(dt.idleMs > 0 ? [`a further ${fmtMs(dt.idleMs)} the interactive session only waited (see idle_session)`] : []),
      ], { driverBusyMs: dt.busyMs, wallClockMs: wall, longestGapMs: longest }, {})
    }
  }
  {
    const longest = longestOf('idle')
    if (dt.interactive !== null && wall > 0 && dt.idleMs / wall >= T.driverIdleRatio && longest >= T.driverLongestGapMs) {
      const held = dt.segments.filter((g) => g.kind === 'idle').reduce((x, g) => {
        const c = coreMs(g.start, g.end)
        return { busy: x.busy + c.busy, avail: x.avail + c.avail }
      }, { busy: 0, avail: 0 })
      idleSessionCoreMs = held
      const avgCores = held.avail / dt.idleMs
      // a cost, not a delay: nobody waited for this time, so it has no wall-clock impact and is never above warning
      add('idle_session', 0, 'Idle session: the cluster was held while the session waited', [
        `${dt.interactive}: ${fmtMs(dt.idleMs)} of ${fmtMs(wall)} (${pct(dt.idleMs / wall)}) no job and no query ran; longest wait ${fmtMs(longest)}`,
        ...topOf('idle'),
      ], { idleMs: dt.idleMs, wallClockMs: wall, longestGapMs: longest, heldCoreMs: Math.round(held.avail) }, {}, 'warning',
      `a cost, not a delay: the cluster was held idle for ${fmtMs(dt.idleMs)}${avgCores >= 1 ? ` with ~${Math.round(avgCores)} executor cores (${(held.avail / 3_600_000).toFixed(1)} core-hours)` : ''}`)
    }
  }

  // idle_cores: a cost, not a delay: the idle core time expressed as wall clock at the peak core count; never above
  // warning. The time an interactive session waited is idle_session's: idle_cores looks at the rest of the run.
  {
    const avail = a.timeline.availableCoreMs - idleSessionCoreMs.avail
    const busyCore = a.timeline.busyCoreMs - idleSessionCoreMs.busy
    const u = a.kpis.coreUtilisation === null ? null : avail > 0 ? busyCore / avail : null
    if (u !== null && wall - (idleSessionCoreMs.avail > 0 ? dt.idleMs : 0) >= T.idleMinAppMs && u < T.idleCoreUtilisation) {
      const idle = avail - busyCore
      // no wall-clock impact: idle cores cost money, not time (the evidence line says how much)
      add('idle_cores', 0, 'Idle cores: most of the paid core time ran no task', [
        `busy ${fmtMs(busyCore)} of ${fmtMs(avail)} core time available (${pct(u)} utilisation)${idleSessionCoreMs.avail > 0 ? ', not counting the idle session' : ''}`,
        `up to ${a.kpis.executorsMax} executors / ${cores} cores over ${fmtMs(wall)}`,
      ], { coreUtilisation: round4(u), availableCoreMs: avail, busyCoreMs: busyCore }, {}, 'warning',
      `a cost, not a delay: ${fmtMs(idle)} of idle core time, the whole cluster idle for ~${fmtMs(cores > 0 ? idle / cores : 0)} of ${fmtMs(wall)}`)
    }
  }

  // huge_partitions: a task reads ≥ 1 GB. It costs wall clock when the stage left cores idle (fewer tasks than cores:
  // its wall time beyond its task time spread over all cores) or spilled; otherwise it is information.
  {
    const hit: StageData[] = []
    const ev: string[] = []
    let worst = 0
    let impact = 0
    for (const s of stages) {
      const k = skew.get(`${s.stageId}:${s.attemptId}`)
      if (!k || k.bytesMax < T.hugePartitionBytes) continue
      const n = tasksOf(s)
      const idleCost = cores > 0 && n < cores ? Math.max(0, stageWall(s) - s.taskTime / cores) : 0
      const spilled = s.diskBytesSpilled + s.memoryBytesSpilled > 0
      hit.push(s)
      worst = Math.max(worst, k.bytesMax)
      impact += idleCost
      ev.push(`${stageLabel(s)}: largest task reads ${fmtBytes(k.bytesMax)} (median ${fmtBytes(k.bytesMedian)}, ${n} tasks${cores ? ` on ${cores} cores` : ''})${idleCost > 0 ? `; ${cores - n} cores idle while it ran` : ''}${spilled ? '; it spilled' : ''}`)
    }
    if (hit.length) add('huge_partitions', impact, 'Huge partitions: too few tasks for the data', ev, { stages: hit.length, largestTaskBytes: worst }, { stageIds: ids(hit) })
  }
  return flags.sort((x, y) => RANK[x.severity] - RANK[y.severity] || (y.impactMs ?? 0) - (x.impactMs ?? 0))
}

/** Busy share of the available cores over [from, to], from the busy histogram and the executor step function. */
function busyShareOf (a: Analysis): (from: number, to: number) => number {
  const coreMs = coreMsOf(a)
  return (from, to) => {
    const c = coreMs(from, to)
    return c.avail > 0 ? Math.min(1, c.busy / c.avail) : 0
  }
}

/** Busy and available core-ms over [from, to]: the busy histogram and the executor step function. */
function coreMsOf (a: Analysis): (from: number, to: number) => { busy: number, avail: number } {
  const { start, bucketMs, busyCores } = a.timeline.busy
  const pts = a.timeline.executors
  return (from, to) => {
    if (!(to > from)) return { busy: 0, avail: 0 }
    let busy = 0
    const i0 = Math.max(0, Math.floor((from - start) / bucketMs))
    const i1 = Math.min(busyCores.length - 1, Math.floor((to - start) / bucketMs))
    for (let i = i0; i <= i1; i++) {
      const b0 = start + i * bucketMs
      const ov = Math.min(to, b0 + bucketMs) - Math.max(from, b0)
      if (ov > 0) busy += busyCores[i]! * ov
    }
    let avail = 0
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i]!
      const next = pts[i + 1]?.time ?? to
      const ov = Math.min(to, next) - Math.max(from, p.time)
      if (ov > 0) avail += p.cores * ov
    }
    return { busy, avail }
  }
}

/** Length of the union of intervals. */
function unionMs (xs: { from: number; to: number }[]): number {
  const s = [...xs].sort((x, y) => x.from - y.from)
  let total = 0
  let cur = -Infinity
  let curEnd = -Infinity
  for (const x of s) {
    if (x.from > curEnd) { if (curEnd > cur) total += curEnd - cur; cur = x.from; curEnd = x.to } else curEnd = Math.max(curEnd, x.to)
  }
  if (curEnd > cur) total += curEnd - cur
  return total
}

const ids = (ss: StageData[]): number[] => [...new Set(ss.map((s) => s.stageId))].sort((a, b) => a - b)
const round4 = (x: number): number => Math.round(x * 10000) / 10000
