// Red flags computed from the analysis. Thresholds live in thresholds.ts; each flag carries its evidence numbers.
import type { StageSkew } from './aggregator.js'
import type { Analysis, Flag, FlagId, Severity, StageData } from './analysis-types.js'
import { THRESHOLDS as T } from './thresholds.js'
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
  over_partitioning: ['fewer_shuffle_partitions'],
  preemption_risk: ['avoid_spot_loss'],
  high_gc: ['more_memory_per_core'],
  skew: ['handle_skew'],
  disk_spill: ['more_memory_per_core', 'more_shuffle_partitions'],
  failed_tasks: ['investigate_failures'],
  executor_loss: ['more_memory_overhead'],
  idle_cores: ['right_size_cluster'],
  driver_bound: ['reduce_driver_work'],
  huge_partitions: ['more_shuffle_partitions'],
}

/** All red flags for an analysis (stage spread numbers come from the aggregator). */
export function computeFlags (a: Analysis, skew: Map<string, StageSkew>): Flag[] {
  const flags: Flag[] = []
  const add = (id: FlagId, severity: Severity, title: string, evidence: string[], metrics: Record<string, number>, ids: { stageIds?: number[]; executorIds?: string[] }): void => {
    flags.push({ id, severity, title, ...ids, evidence, metrics, recommendationIds: FLAG_RECOMMENDATIONS[id] })
  }
  const stages = a.stages.filter((s) => s.status !== 'SKIPPED' && s.status !== 'PENDING')
  const cores = a.kpis.totalCoresMax

  // infrastructure_bottleneck
  {
    const hit: StageData[] = []
    const ev: string[] = []
    for (const s of stages) {
      const compute = s.executorRunTime - s.jvmGcTime
      const wait = s.firstTaskLaunchedTime !== undefined && s.submissionTime !== undefined ? s.firstTaskLaunchedTime - s.submissionTime : 0
      const wall = s.completionTime !== undefined && s.firstTaskLaunchedTime !== undefined ? s.completionTime - s.firstTaskLaunchedTime : 0
      if (s.schedulerDelay >= T.schedulerDelayMinMs && s.schedulerDelay > compute) {
        hit.push(s)
        ev.push(`${stageLabel(s)}: scheduler delay ${fmtMs(s.schedulerDelay)} > compute ${fmtMs(compute)} (summed over ${s.numCompleteTasks + s.numFailedTasks + s.numKilledTasks} tasks)`)
      } else if (wait >= T.launchWaitMinMs && wait > wall) {
        hit.push(s)
        ev.push(`${stageLabel(s)}: waited ${fmtMs(wait)} from submission to first task, longer than its ${fmtMs(wall)} of task wall time`)
      }
    }
    if (hit.length) {
      add('infrastructure_bottleneck', 'critical', 'Infrastructure bottleneck: tasks wait longer than they compute', ev,
        { stages: hit.length, schedulerDelayMs: hit.reduce((x, s) => x + s.schedulerDelay, 0) }, { stageIds: ids(hit) })
    }
  }

  // over_partitioning
  {
    const hit: StageData[] = []
    const ev: string[] = []
    for (const s of stages) {
      const tasks = s.numCompleteTasks + s.numFailedTasks
      const bytes = s.inputBytes + s.shuffleReadBytes
      if (tasks === 0 || bytes === 0 || s.taskTime < T.overPartitionMinStageTaskMs) continue
      if (cores > 0 ? tasks <= cores : tasks < 200) continue
      const per = bytes / tasks
      if (per < T.overPartitionBytesPerTask) {
        hit.push(s)
        ev.push(`${stageLabel(s)}: ${tasks} tasks on ${cores || '?'} cores, ${fmtBytes(per)} per task (${fmtBytes(bytes)} in total)`)
      }
    }
    if (hit.length) add('over_partitioning', 'warning', 'Over-partitioning: many tasks with little data each', ev, { stages: hit.length }, { stageIds: ids(hit) })
  }

  // preemption_risk / executor_loss
  {
    const pre: string[] = []
    const preEv: string[] = []
    const loss: string[] = []
    const lossEv: string[] = []
    let lostTasksPre = 0
    let lostTasksLoss = 0
    let oom = 0
    for (const x of a.executors) {
      if (x.removeReason === undefined && x.tasksLost === 0) continue
      const reason = x.removeReason ?? ''
      const when = x.removeTime !== undefined && a.application.startTime !== null ? ` at +${fmtMs(x.removeTime - a.application.startTime)}` : ''
      if (T.preemptionReason.test(reason)) {
        pre.push(x.id)
        lostTasksPre += x.tasksLost
        preEv.push(`executor ${x.id} (${x.hostPort})${when}: "${firstLine(reason)}", ${x.tasksLost} task(s) lost`)
      } else if ((reason !== '' && !T.normalRemovalReason.test(reason)) || x.tasksLost > 0) {
        if (reason !== '' && T.normalRemovalReason.test(reason) && x.tasksLost === 0) continue
        loss.push(x.id)
        lostTasksLoss += x.tasksLost
        if (T.oomReason.test(reason)) oom++
        lossEv.push(`executor ${x.id} (${x.hostPort})${when}: "${firstLine(reason) || 'no reason logged'}", ${x.tasksLost} task(s) lost`)
      }
    }
    if (pre.length) add('preemption_risk', 'critical', 'Preemption risk: executors lost with their worker (spot / preemption)', preEv, { executors: pre.length, tasksLost: lostTasksPre }, { executorIds: pre })
    if (loss.length) {
      add('executor_loss', lostTasksLoss > 0 || oom > 0 ? 'critical' : 'warning', oom > 0 ? 'Executor loss: executors killed for memory' : 'Executor loss: executors failed', lossEv,
        { executors: loss.length, tasksLost: lostTasksLoss, memoryKills: oom }, { executorIds: loss })
    }
  }

  // high_gc
  {
    const hit: StageData[] = []
    const ev: string[] = []
    let worst = 0
    for (const s of stages) {
      if (s.executorRunTime < T.gcMinRunTimeMs) continue
      const r = s.jvmGcTime / s.executorRunTime
      if (r > T.gcRatio) {
        hit.push(s)
        worst = Math.max(worst, r)
        ev.push(`${stageLabel(s)}: GC ${fmtMs(s.jvmGcTime)} of ${fmtMs(s.executorRunTime)} run time (${pct(r)})`)
      }
    }
    if (hit.length) add('high_gc', worst > T.gcRatioCritical ? 'critical' : 'warning', 'High GC overhead', ev, { stages: hit.length, worstGcRatio: round4(worst) }, { stageIds: ids(hit) })
  }

  // skew
  {
    const hit: StageData[] = []
    const ev: string[] = []
    let worst = 0
    for (const s of stages) {
      const k = skew.get(`${s.stageId}:${s.attemptId}`)
      if (!k || k.tasks < T.skewMinTasks) continue
      const dr = k.durationMedian > 0 ? k.durationMax / k.durationMedian : 0
      const br = k.bytesMedian > 0 ? k.bytesMax / k.bytesMedian : 0
      const timeSkew = dr >= T.skewDurationRatio && k.durationMax >= T.skewMinMaxTaskMs
      const byteSkew = br >= T.skewBytesRatio && k.bytesMax >= T.skewMinMaxBytes
      if (timeSkew || byteSkew) {
        hit.push(s)
        worst = Math.max(worst, dr)
        const parts: string[] = []
        if (timeSkew) parts.push(`slowest task ${fmtMs(k.durationMax)} vs median ${fmtMs(k.durationMedian)} (${dr.toFixed(1)}x)`)
        if (byteSkew) parts.push(`largest task reads ${fmtBytes(k.bytesMax)} vs median ${fmtBytes(k.bytesMedian)} (${br.toFixed(1)}x)`)
        ev.push(`${stageLabel(s)}: ${parts.join('; ')}`)
      }
    }
    if (hit.length) add('skew', worst >= T.skewDurationRatioCritical ? 'critical' : 'warning', 'Data skew: a few tasks do most of the work', ev, { stages: hit.length, worstDurationRatio: round4(worst) }, { stageIds: ids(hit) })
  }

  // disk_spill
  {
    const hit: StageData[] = []
    const ev: string[] = []
    let worst = 0
    for (const s of stages) {
      if (s.diskBytesSpilled < T.spillMinBytes) continue
      const volume = Math.max(s.inputBytes, s.outputBytes, s.shuffleReadBytes, s.shuffleWriteBytes)
      const r = volume > 0 ? s.diskBytesSpilled / volume : 1
      if (r >= T.spillRatio) {
        hit.push(s)
        worst = Math.max(worst, r)
        ev.push(`${stageLabel(s)}: ${fmtBytes(s.diskBytesSpilled)} spilled to disk (${fmtBytes(s.memoryBytesSpilled)} in memory), ${pct(r)} of its ${fmtBytes(volume)} data`)
      }
    }
    if (hit.length) add('disk_spill', worst >= T.spillRatioCritical ? 'critical' : 'warning', 'Disk spill: tasks run out of execution memory', ev, { stages: hit.length, diskBytesSpilled: hit.reduce((x, s) => x + s.diskBytesSpilled, 0) }, { stageIds: ids(hit) })
  }

  // failed_tasks
  {
    const failedTasks = a.stages.reduce((x, s) => x + s.numFailedTasks, 0)
    const allTasks = a.stages.reduce((x, s) => x + s.numCompleteTasks + s.numFailedTasks + s.numKilledTasks, 0)
    const failedStages = a.stages.filter((s) => s.status === 'FAILED')
    const retried = a.stages.filter((s) => s.attemptId > 0)
    if (failedTasks > 0 || failedStages.length > 0 || retried.length > 0) {
      const ratio = allTasks > 0 ? failedTasks / allTasks : 0
      const sev: Severity = failedStages.length > 0 || a.kpis.failedJobs > 0 ? 'critical' : ratio >= T.failedTaskRatioWarning || retried.length > 0 ? 'warning' : 'info'
      const ev = [`${failedTasks} of ${allTasks} tasks failed (${pct(ratio)})`]
      for (const s of failedStages.slice(0, 10)) ev.push(`${stageLabel(s)} failed: ${firstLine(s.failureReason ?? '')}`)
      if (retried.length) ev.push(`${retried.length} stage attempt(s) were retries`)
      const hitStages = a.stages.filter((s) => s.numFailedTasks > 0 || s.status === 'FAILED' || s.attemptId > 0)
      add('failed_tasks', sev, 'Failed tasks or stages', ev, { failedTasks, tasks: allTasks, failedStages: failedStages.length, stageRetries: retried.length }, { stageIds: ids(hitStages) })
    }
  }

  // idle_cores
  {
    const u = a.kpis.coreUtilisation
    if (u !== null && a.kpis.wallClockMs >= T.idleMinAppMs && u < T.idleCoreUtilisation) {
      add('idle_cores', 'warning', 'Idle cores: most of the paid core time ran no task', [
        `busy ${fmtMs(a.timeline.busyCoreMs)} of ${fmtMs(a.timeline.availableCoreMs)} core time available (${pct(u)} utilisation)`,
        `up to ${a.kpis.executorsMax} executors / ${a.kpis.totalCoresMax} cores over ${fmtMs(a.kpis.wallClockMs)}`,
      ], { coreUtilisation: u, availableCoreMs: a.timeline.availableCoreMs, busyCoreMs: a.timeline.busyCoreMs }, {})
    }
  }

  // driver_bound
  {
    const gaps = a.timeline.idleGaps
    const idle = gaps.reduce((x, g) => x + g.end - g.start, 0)
    const longest = gaps.reduce((x, g) => Math.max(x, g.end - g.start), 0)
    const wall = a.kpis.wallClockMs
    if (wall > 0 && idle / wall >= T.driverIdleRatio && longest >= T.driverLongestGapMs) {
      const top = [...gaps].sort((x, y) => y.end - y.start - (x.end - x.start)).slice(0, 5)
      add('driver_bound', 'warning', 'Driver-bound: long stretches with no Spark job running', [
        `${fmtMs(idle)} of ${fmtMs(wall)} (${pct(idle / wall)}) had no job running; longest gap ${fmtMs(longest)}`,
        ...top.map((g) => `no job from +${fmtMs(g.start - (a.application.startTime ?? g.start))} for ${fmtMs(g.end - g.start)}`),
      ], { idleMs: idle, wallClockMs: wall, longestGapMs: longest }, {})
    }
  }

  // huge_partitions
  {
    const hit: StageData[] = []
    const ev: string[] = []
    let worst = 0
    for (const s of stages) {
      const k = skew.get(`${s.stageId}:${s.attemptId}`)
      if (!k || k.bytesMax < T.hugePartitionBytes) continue
      hit.push(s)
      worst = Math.max(worst, k.bytesMax)
      ev.push(`${stageLabel(s)}: largest task reads ${fmtBytes(k.bytesMax)} (median ${fmtBytes(k.bytesMedian)}, ${s.numTasks} tasks${cores ? ` on ${cores} cores` : ''})`)
    }
    if (hit.length) add('huge_partitions', worst >= T.hugePartitionBytesCritical ? 'critical' : 'warning', 'Huge partitions: too few tasks for the data', ev, { stages: hit.length, largestTaskBytes: worst }, { stageIds: ids(hit) })
  }
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
  return flags.sort((x, y) => rank[x.severity] - rank[y.severity])
}

const ids = (ss: StageData[]): number[] => [...new Set(ss.map((s) => s.stageId))].sort((a, b) => a - b)
const round4 = (x: number): number => Math.round(x * 10000) / 10000
