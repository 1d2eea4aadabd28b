import { createRng, type Rng } from './rng.js'
import { buildDbxRun, DBX_WORKSPACE_ID, logSampleFor, RESTART_AFTER_MS, RESTART_DOWN_MS, sampleSpanMs } from './world-dbx.js'
import { FAILURE_MESSAGES, FLOW_PLANS, MIN, PEOPLE, RETENTION_MS, type FlowPlan } from './world-plan.js'
import { buildHistoryWorld, historyAppsMs, historySampleFor, REPORTS_APP_ID, type OnpremExec } from './world-history.js'
import type {
  ClusterProfile,
  PlatformWorld,
  SidePlatform,
  SimCluster,
  SimDbxRun,
  SimFlow,
  SimJob,
  SimJobGroup,
  World,
  WorldNotables,
} from './world-types.js'

export interface WorldOptions {
  seed?: string | number
  /** epoch ms; the world is laid out backwards from it so it always looks recent */
  now?: number
}

/** Which seeded run plays which notable role: [flow, side, run index k (0 = latest), output index] */
type Tag = keyof Omit<WorldNotables, 'fuzzyTwins' | 'caseVariantFlow' | 'pagingFlow' | 'multiOutputFlow' | 'onpremOnlyFlow' | 'photonEngineFlow'>

const TAGS: Array<{ tag: Tag; flow: string; k: number | 'oldest'; output: number }> = [
  { tag: 'logsNotDelivered', flow: 'Sales Daily', k: 0, output: 0 },
  { tag: 'rolledParts', flow: 'Sales Daily', k: 1, output: 0 },
  { tag: 'inProgress', flow: 'Hourly Clickstream', k: 0, output: 0 },
  { tag: 'emptyLogFolder', flow: 'Hourly Clickstream', k: 2, output: 0 },
  { tag: 'restartedCluster', flow: 'Ventes — Europe/Ouest', k: 0, output: 0 },
  { tag: 'manyTasks', flow: 'R&D #7 — 100% Q/A', k: 0, output: 0 },
  { tag: 'noLogConfFallback', flow: 'R&D #7 — 100% Q/A', k: 1, output: 0 },
  { tag: 'noLogDelivery', flow: 'Weekly Audit 50%', k: 0, output: 0 },
  { tag: 'volumeLogs', flow: 'Sales Daily', k: 2, output: 0 },
  { tag: 's3Logs', flow: 'Marketing Mix', k: 1, output: 0 },
  { tag: 'expired', flow: 'Weekly Audit 50%', k: 'oldest', output: 0 },
]

interface Draft {
  platform: SidePlatform
  plan: FlowPlan
  output: number
  k: number
  flowRunKey: string | null
  submitted: number
  /** submission -> execution start */
  queueMs: number
  execMs: number
  writeMs: number
  /** Databricks timings (AAC on databricksSpark) */
  dbx: DbxDraft | null
  /** on-prem Spark job: its application starts this long after the job */
  onpremApp: { appStartMs: number } | null
  outcome: 'Complete' | 'Failed' | 'Canceled'
  errorMessage: string | null
  ranfor: string
  ranfrom: string
  creator: (typeof PEOPLE)[number]
  tag: Tag | null
}

const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * An AAC job on Databricks, laid out so its parts nest: AAC queue (submitted -> started), AAC submits the
 * Databricks run, the run's setup (cluster start), execution and clean-up, AAC notices the end (a poll), then the
 * file writer. The Spark application of the delivered event log runs inside the execution: the execution lasts
 * the driver's start, the log's span and a short tail, so nothing in the log falls outside the run.
 */
interface DbxDraft {
  queueMs: number
  submitMs: number
  setupMs: number
  execMs: number
  cleanupMs: number
  pollMs: number
  /** the event log delivered for the run, and when its application starts into the execution */
  log: { sample: string; appStartMs: number } | null
}

function aacOnDatabricks (rng: Rng, profile: ClusterProfile, o: { tag: Tag | null; outcome: Draft['outcome']; k: number; submitted: number; now: number; execMs: number }): DbxDraft {
  // AAC queues only now and then; cluster start dominates: a pool's warm instances start in about a minute, a new
  // cluster in 3-7 minutes (and far longer when the cloud is short of capacity)
  const queueMs = rng.chance(0.05) ? rng.int(2 * MIN, 8 * MIN) : rng.int(2_000, 20_000)
  const submitMs = rng.int(1_000, 4_000)
  let setupMs = profile.instancePool === true
    ? rng.int(35_000, 95_000)
    : rng.int(3 * MIN, 7 * MIN) + (rng.chance(0.08) ? rng.int(8 * MIN, 20 * MIN) : 0)
  const cleanupMs = rng.int(20_000, 70_000)
  const pollMs = rng.int(2_000, 15_000)
  const sample = logSampleFor(profile, { tag: o.tag, outcome: o.outcome, k: o.k })
  // a restarted driver's application starts once the driver is back
  const appStartMs = o.tag === 'restartedCluster' ? RESTART_AFTER_MS + RESTART_DOWN_MS + rng.int(10_000, 30_000) : rng.int(15_000, 50_000)
  let execMs = sample === null ? o.execMs : appStartMs + sampleSpanMs(sample) + rng.int(5_000, 30_000)
  const start = o.submitted + queueMs + submitMs
  if (o.tag === 'logsNotDelivered') {
    // ended 3 minutes before now: cluster terminated, logs not shipped yet
    setupMs = 5 * MIN
    execMs = o.now - 3 * MIN - cleanupMs - (start + setupMs)
  }
  if (o.tag === 'inProgress') {
    // still running: the application started, its log so far is delivered, the job goes on
    setupMs = 3 * MIN
    execMs = appStartMs + (sample === null ? 0 : sampleSpanMs(sample)) + 20 * MIN
  }
  return { queueMs, submitMs, setupMs, execMs, cleanupMs, pollMs, log: sample === null ? null : { sample, appStartMs } }
}

function draftFlow (plan: FlowPlan, seed: string, now: number, out: Draft[]): void {
  const rng = createRng(`${seed}:${plan.name}`)
  const anchor = Math.floor((now - plan.anchorAgoMs) / 1000) * 1000
  const sides: SidePlatform[] = []
  if (plan.aac) sides.push('aac')
  if (plan.onprem) sides.push('onprem')
  for (let k = 0; k < plan.count; k++) {
    const scheduled = anchor - k * plan.periodMs
    const isPlan = plan.planEvery !== undefined && k % plan.planEvery === 3
    const adHoc = !isPlan && rng.chance(0.06)
    for (let o = 0; o < plan.outputs.length; o++) {
      for (const platform of sides) {
        const tag = TAGS.find((t) => t.flow === plan.name && t.k === k && t.output === o && platform === 'aac')?.tag ?? null
        const forced = k < 3 || tag !== null
        if (!forced && rng.chance(plan.missing[platform])) continue
        const submitted = scheduled + rng.int(0, 90_000) + o * rng.int(5_000, 25_000)
        let outcome: Draft['outcome'] = 'Complete'
        let errorMessage: string | null = null
        let cut = 1
        if (!forced || tag === 'expired') {
          if (rng.chance(plan.failRate)) {
            outcome = 'Failed'
            errorMessage = rng.pick(FAILURE_MESSAGES)
            cut = 0.2 + rng.next() * 0.6
          } else if (rng.chance(0.01)) {
            outcome = 'Canceled'
            cut = 0.3
          }
        }
        const [lo, hi] = platform === 'aac' ? plan.aacMinutes : plan.onpremMinutes
        // without an event log the job's length is the plan's; with one it is what the log's application needs
        let execMs = Math.round(rng.int(lo * MIN, hi * MIN) * cut)
        const writeMs = rng.int(8_000, 45_000)
        let queueMs: number
        let dbx: Draft['dbx'] = null
        let onpremApp: Draft['onpremApp'] = null
        if (platform === 'aac' && plan.aacEngine === 'databricksSpark' && plan.profile) {
          dbx = aacOnDatabricks(rng, plan.profile, { tag, outcome, k, submitted, now, execMs })
          queueMs = dbx.queueMs
          execMs = dbx.submitMs + dbx.setupMs + dbx.execMs + dbx.cleanupMs + dbx.pollMs
        } else {
          // a shared on-prem cluster queues now and then (inside the run: on-prem reports no start)
          queueMs = rng.chance(0.1) ? rng.int(5 * MIN, 25 * MIN) : rng.int(5_000, 60_000)
          if (platform === 'onprem' && plan.onpremEngine === 'spark') {
            const failed = outcome === 'Failed'
            const appStartMs = rng.int(8_000, 40_000)
            onpremApp = { appStartMs }
            execMs = appStartMs + historyAppsMs(historySampleFor(plan.name, failed), failed) + rng.int(5_000, 30_000)
          }
        }
        out.push({
          platform,
          plan,
          output: o,
          k,
          flowRunKey: adHoc ? null : `${plan.name}|${platform}|${k}`,
          submitted,
          queueMs,
          execMs,
          writeMs,
          dbx,
          onpremApp,
          outcome,
          errorMessage,
          ranfor: isPlan ? 'plan' : 'recipe',
          ranfrom: adHoc ? 'ui' : 'schedule',
          creator: adHoc ? rng.pick(PEOPLE.slice(1)) : (PEOPLE[0] as (typeof PEOPLE)[number]),
          tag: platform === 'aac' ? tag : null,
        })
      }
    }
    if (plan.samplingNoise && k % 4 === 1) {
      for (const platform of sides) {
        out.push({
          platform,
          plan,
          output: 0,
          k,
          flowRunKey: null,
          submitted: scheduled + 2 * 3_600_000 + rng.int(0, 600_000),
          queueMs: rng.int(2_000, 20_000),
          execMs: rng.int(30_000, 120_000),
          writeMs: 0,
          dbx: null,
          onpremApp: null,
          outcome: 'Complete',
          errorMessage: null,
          ranfor: 'sampling',
          ranfrom: 'ui',
          creator: PEOPLE[1] as (typeof PEOPLE)[number],
          tag: null,
        })
      }
    }
  }
  // the oldest AAC run of the flow stands for "past retention"
  const oldestTag = TAGS.find((t) => t.flow === plan.name && t.k === 'oldest')
  if (oldestTag) {
    const mine = out.filter((d) => d.plan === plan && d.platform === 'aac' && d.ranfor !== 'sampling')
    const oldest = mine.reduce<Draft | null>((a, d) => (a === null || d.submitted < a.submitted ? d : a), null)
    if (oldest) oldest.tag = oldestTag.tag
  }
}

function statusAt (now: number, start: number, end: number, outcome: string): string {
  if (now < start) return 'Created'
  if (now < end) return 'InProgress'
  return outcome
}

export function generateWorld (opts: WorldOptions = {}): World {
  const seed = String(opts.seed ?? 'tri-tracker')
  const now = opts.now ?? Date.now()
  const rng = createRng(`${seed}:ids`)
  const drafts: Draft[] = []
  for (const plan of FLOW_PLANS) draftFlow(plan, seed, now, drafts)
  // ids grow with time, as in a real instance
  drafts.sort((a, b) => a.submitted - b.submitted)

  const platforms: Record<SidePlatform, PlatformWorld> = {
    aac: { platform: 'aac', flows: [], jobGroups: [], byId: new Map() },
    onprem: { platform: 'onprem', flows: [], jobGroups: [], byId: new Map() },
  }
  const ids = {
    aac: { jobGroup: 4_087_000, job: 9_100_000, flow: 120, dataset: 880, flowRun: 12_000, snapshot: 300 },
    onprem: { jobGroup: 215_000, job: 640_000, flow: 40, dataset: 310, flowRun: 5_000, snapshot: 90 },
  }
  const flowIds = new Map<string, { flow: SimFlow; datasets: number[] }>()
  for (const side of ['aac', 'onprem'] as const) {
    for (const plan of FLOW_PLANS) {
      if (!plan[side]) continue
      const created = now - plan.count * plan.periodMs - 20 * 86_400_000
      const flow: SimFlow = {
        id: ids[side].flow += rng.int(1, 9),
        name: side === 'aac' ? plan.aacName ?? plan.name : plan.name,
        description: plan.description,
        createdAt: iso(created),
        updatedAt: iso(created + 86_400_000 * rng.int(1, 10)),
        creator: { id: 646 },
        updater: { id: rng.pick(PEOPLE).id },
        workspace: { id: 1 },
        folder: rng.chance(0.5) ? { id: rng.int(2, 9) } : null,
      }
      platforms[side].flows.push(flow)
      flowIds.set(`${side}|${plan.name}`, {
        flow,
        datasets: plan.outputs.map(() => (ids[side].dataset += rng.int(1, 5))),
      })
    }
  }

  const flowRuns = new Map<string, number>()
  const dbxRuns = new Map<number, SimDbxRun>()
  const clusters = new Map<string, SimCluster>()
  const notable: Partial<WorldNotables> = {}
  const onpremExecs: OnpremExec[] = []
  let runId = 611_203_884_112_000
  let dbxJobId = 771_020_000_000

  for (const d of drafts) {
    const id = (ids[d.platform].jobGroup += rng.int(1, 30))
    const f = flowIds.get(`${d.platform}|${d.plan.name}`)
    if (!f) continue
    let flowRun: { id: number } | null = null
    if (d.flowRunKey !== null) {
      let fr = flowRuns.get(d.flowRunKey)
      if (fr === undefined) flowRuns.set(d.flowRunKey, (fr = ids[d.platform].flowRun += rng.int(1, 4)))
      flowRun = { id: fr }
    }
    const start = d.submitted + d.queueMs
    const wrangleEnd = start + d.execMs
    const writeEnd = wrangleEnd + d.writeMs
    const groupStatus = statusAt(now, start, writeEnd, d.outcome)
    const jobs: SimJob[] = []
    const jobBase = (jobType: string, status: string, created: number, updated: number): SimJob => ({
      id: (ids[d.platform].job += rng.int(1, 3)),
      jobType,
      status,
      percentComplete: status === 'Complete' ? 100 : status === 'InProgress' ? rng.int(10, 90) : 0,
      errorMessage: null,
      createdAt: iso(created),
      updatedAt: iso(Math.min(updated, now)),
      jobGroup: { id },
      creator: { id: d.creator.id },
    })
    const wrangleStatus = statusAt(now, start, wrangleEnd, d.outcome)
    const wrangle = jobBase(d.ranfor === 'sampling' ? 'wrangle' : 'wrangle', wrangleStatus, d.submitted + 1_000, wrangleEnd)
    const engine = d.platform === 'aac' ? d.plan.aacEngine : d.plan.onpremEngine
    wrangle.executionLanguage = engine
    wrangle.cpJobId = null
    if (d.outcome === 'Failed' && wrangleStatus === 'Failed') wrangle.errorMessage = d.errorMessage
    if (d.platform === 'aac') {
      if (now >= start) wrangle.startedAt = iso(start)
      if (now >= wrangleEnd) wrangle.finishedAt = iso(wrangleEnd)
      wrangle.hasWarnings = false
    }
    let dbx: SimDbxRun | null = null
    if (d.dbx && d.plan.profile) {
      runId += rng.int(3_000, 900_000)
      dbxJobId += rng.int(1, 50)
      const built = buildDbxRun({
        seed,
        now,
        runId,
        jobId: dbxJobId,
        jobGroupId: id,
        flowName: d.plan.name,
        outputName: d.plan.outputs[d.output] ?? '',
        profile: d.plan.profile,
        startTime: start + d.dbx.submitMs,
        setupMs: d.dbx.setupMs,
        execMs: d.dbx.execMs,
        cleanupMs: d.dbx.cleanupMs,
        outcome: d.outcome,
        errorMessage: d.errorMessage,
        tag: d.tag,
        log: d.dbx.log,
      })
      dbx = built.run
      dbxRuns.set(dbx.runId, dbx)
      clusters.set(built.cluster.clusterId, built.cluster)
      wrangle.cpJobId = JSON.stringify({ databricksWorkspaceId: DBX_WORKSPACE_ID, databricksJobId: String(dbx.runId) })
    }
    jobs.push(wrangle)
    if (d.ranfor !== 'sampling') {
      const writerStatus =
        wrangleStatus === 'Failed' || wrangleStatus === 'Canceled' ? 'Canceled' : statusAt(now, wrangleEnd, writeEnd, d.outcome)
      const writer = jobBase('filewriter', writerStatus, d.submitted + 1_200, writeEnd)
      if (d.platform === 'aac') {
        if (now >= wrangleEnd && writerStatus !== 'Canceled') writer.startedAt = iso(wrangleEnd)
        if (now >= writeEnd && writerStatus !== 'Canceled') writer.finishedAt = iso(writeEnd)
      }
      jobs.push(writer)
      if (rng.chance(0.2)) {
        const profile = jobBase('profile', writerStatus, d.submitted + 1_300, writeEnd)
        if (d.platform === 'aac' && now >= writeEnd && writerStatus !== 'Canceled') {
          profile.startedAt = iso(wrangleEnd)
          profile.finishedAt = iso(writeEnd)
        }
        jobs.push(profile)
      }
    }
    // upstream does not guarantee job order; clients must look for jobType "wrangle"
    rng.shuffle(jobs)
    const updated = Math.min(now, Math.max(...jobs.map((j) => Date.parse(j.updatedAt))) + 500)
    const jg: SimJobGroup = {
      id,
      name: null,
      description: null,
      status: groupStatus,
      ranfrom: d.ranfrom,
      ranfor: d.ranfor,
      profilingEnabled: jobs.some((j) => j.jobType === 'profile'),
      runParameterReferenceDate: iso(d.submitted),
      createdAt: iso(d.submitted),
      updatedAt: iso(updated),
      createdMs: d.submitted,
      updatedMs: updated,
      workspace: { id: 1 },
      snapshot: { id: (ids[d.platform].snapshot += rng.int(0, 1)) },
      flowRun,
      creator: d.creator,
      wrangledDataset: {
        id: f.datasets[d.output] ?? 0,
        name: d.plan.outputs[d.output] ?? '',
        flow: { id: f.flow.id, name: f.flow.name },
      },
      jobs,
    }
    platforms[d.platform].jobGroups.push(jg)
    if (d.platform === 'onprem' && engine === 'spark' && d.ranfor !== 'sampling' && now >= start) {
      onpremExecs.push({ jg, plan: d.plan, output: d.output, k: d.k, start, end: wrangleEnd, appStart: start + (d.onpremApp?.appStartMs ?? 0), failed: d.outcome === 'Failed' })
    }
    platforms[d.platform].byId.set(id, jg)
    if (d.tag && dbx) {
      const ref = { jobGroupId: id, runId: dbx.runId }
      if (d.tag === 'manyTasks') notable.manyTasks = { ...ref, taskCount: dbx.taskCount }
      else if (d.tag === 'restartedCluster') notable.restartedCluster = { ...ref, clusterId: dbx.clusterId }
      else notable[d.tag] = ref
    }
  }
  for (const p of Object.values(platforms)) p.jobGroups.reverse()
  const history = buildHistoryWorld(onpremExecs, { seed, now })
  for (const e of onpremExecs) {
    const appId = history.byJobGroup.get(e.jg.id)
    const wrangle = e.jg.jobs.find((j) => j.jobType === 'wrangle')
    if (appId !== undefined && wrangle !== undefined && REPORTS_APP_ID.has(e.plan.name)) wrangle.cpJobId = appId
  }

  for (const t of TAGS) if (!notable[t.tag]) throw new Error(`simulator world: notable run ${t.tag} not generated`)
  return {
    seed,
    now,
    retentionMs: RETENTION_MS,
    workspaceId: DBX_WORKSPACE_ID,
    flowNames: FLOW_PLANS.map((p) => p.name),
    aac: platforms.aac,
    onprem: platforms.onprem,
    dbxRuns,
    clusters,
    history,
    notable: {
      ...(notable as WorldNotables),
      fuzzyTwins: ['Sales Daily', 'Sales Daily (copy)'],
      caseVariantFlow: { name: 'Marketing Mix', aacName: 'marketing mix ' },
      pagingFlow: 'Hourly Clickstream',
      multiOutputFlow: 'Ventes — Europe/Ouest',
      onpremOnlyFlow: 'Inventory Sync',
      photonEngineFlow: 'Finance: Month-End Close',
    },
  }
}

export type { Rng }
