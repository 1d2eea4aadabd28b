// Turns flags into tuning recommendations using knowledge/tuning_recommendations.json. Each config's "compute"
// names one of the functions below: the data file says what to change, this code derives the value from the run's
// current value (explicit, or Spark's default for its version) so that it goes the way the advice says. Configs that
// do not apply are left out: AQE keys before Spark 3.0, dynamicAllocation.* on Databricks, in local mode or where it
// is off, resource configs in local mode, memoryOverhead without a memory kill, spark.locality.wait unless lowering
// it. On Databricks, cluster sizing is advised as cluster fields (workers, autoscale range, node type). One value per
// key: a key suggested by an earlier (more severe) recommendation is not repeated.
import { readFileSync } from 'node:fs'
import type { Analysis, FlagId, Recommendation, RecommendedConfig } from './analysis-types.js'
import { THRESHOLDS } from './thresholds.js'

interface KnowledgeConfig { key: string; default: string; compute: string; why: string }
interface KnowledgeEntry { id: string; flagIds: FlagId[]; title: string; advice: string; databricksAdvice?: string; configs: KnowledgeConfig[] }
interface Knowledge { version: number; recommendations: KnowledgeEntry[] }

let cached: Knowledge | undefined
/** The knowledge base, read once from knowledge/tuning_recommendations.json. */
export function loadKnowledge (): Knowledge {
  cached ??= JSON.parse(readFileSync(new URL('../../knowledge/tuning_recommendations.json', import.meta.url), 'utf8')) as Knowledge
  return cached
}

const MB = 1024 * 1024
const GB = 1024 * MB

/** Parses Spark size strings ("4g", "512m", "1073741824") to bytes; undefined if unparseable. */
export function parseSize (v: string | undefined, defaultUnit: 'b' | 'm' = 'b'): number | undefined {
  if (v === undefined) return undefined
  // trimmed first: two `\s*` around optional parts would back-track quadratically on a long run of spaces
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(v.trim())
  if (!m) return undefined
  const unit = (m[2] || defaultUnit).toLowerCase()
  const mult = unit === 'k' ? 1024 : unit === 'm' ? MB : unit === 'g' ? GB : unit === 't' ? 1024 * GB : 1
  return Number(m[1]) * mult
}

/** Parses Spark durations ("3s", "500ms", "1min", "3" = ms for locality.wait) to ms. */
export function parseDurationMs (v: string | undefined, defaultUnit: 'ms' | 's' = 'ms'): number | undefined {
  if (v === undefined) return undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/i.exec(v)
  if (!m) return undefined
  const u = (m[2] ?? defaultUnit).toLowerCase()
  return Number(m[1]) * (u === 'ms' ? 1 : u === 's' ? 1000 : u === 'h' ? 3_600_000 : 60_000)
}

const sizeStr = (b: number): string => (b >= GB && b % GB === 0 ? `${b / GB}g` : `${Math.ceil(b / MB)}m`)

type Compute = (ctx: Ctx) => string | undefined
/** What the computations know about the run: its properties, version, platform and cores. */
export interface Ctx {
  a: Analysis
  props: Map<string, string>
  cores: number
  coresPerExecutor: number
  /** [major, minor]; [0, 0] when the log names no version */
  version: [number, number]
  databricks: boolean
  local: boolean
  dynamicAllocation: boolean
}

/** Platform and version facts of an analysis. */
export function runContext (a: Analysis): Ctx {
  const props = new Map(a.environment.sparkProperties)
  const execCores = a.executors.filter((x) => x.id !== 'driver' && x.totalCores > 0).map((x) => x.totalCores)
  const v = /^(\d+)\.(\d+)/.exec(a.application.sparkVersion)
  return {
    a,
    props,
    cores: a.kpis.totalCoresMax,
    coresPerExecutor: execCores.length ? Math.max(...execCores) : a.kpis.totalCoresMax,
    version: v ? [Number(v[1]), Number(v[2])] : [0, 0],
    databricks: a.application.databricksRuntime !== undefined || [...props.keys()].some((k) => k.startsWith('spark.databricks.clusterUsageTags.')),
    local: /^local/.test(a.application.master ?? props.get('spark.master') ?? ''),
    dynamicAllocation: (props.get('spark.dynamicAllocation.enabled') ?? '').toLowerCase() === 'true',
  }
}

const atLeast = (c: Ctx, major: number, minor = 0): boolean => c.version[0] > major || (c.version[0] === major && c.version[1] >= minor)

/** Spark's default for a key in the run's version (what "current" is when the log does not set it). */
function sparkDefault (c: Ctx, key: string): string | undefined {
  switch (key) {
    case 'spark.sql.shuffle.partitions': return '200'
    case 'spark.locality.wait': return '3s'
    case 'spark.sql.files.maxPartitionBytes': return '128m'
    case 'spark.sql.adaptive.enabled': return atLeast(c, 3, 2) ? 'true' : 'false'
    case 'spark.sql.adaptive.coalescePartitions.enabled': return 'true'
    case 'spark.sql.adaptive.skewJoin.enabled': return 'true'
    case 'spark.speculation': return 'false'
    case 'spark.executor.memory': return '1g'
    default: return undefined
  }
}

/** Whether a config key applies to this run at all (version, platform, mode). */
function applies (c: Ctx, key: string): boolean {
  if (key.startsWith('cluster.')) return c.databricks
  if (key.startsWith('spark.sql.adaptive.')) return atLeast(c, 3, 0)
  if (key.startsWith('spark.decommission.') || key.startsWith('spark.storage.decommission.')) return atLeast(c, 3, 1) && !c.local
  if (key.startsWith('spark.dynamicAllocation.')) return !c.databricks && !c.local && c.dynamicAllocation
  if (/^spark\.executor\.(memory|cores|memoryOverhead|instances)$/.test(key)) return !c.local && !(c.databricks && key === 'spark.executor.cores')
  return true
}

const shuffleStageBytes = (a: Analysis): number => a.stages.reduce((m, s) => Math.max(m, s.shuffleReadBytes), 0)
const roundToCores = (n: number, cores: number): number => (cores > 0 ? Math.max(cores, Math.ceil(n / cores) * cores) : n)
const intProp = (c: Ctx, key: string): number | undefined => {
  const v = c.props.get(key) ?? sparkDefault(c, key)
  const n = v === undefined ? NaN : Number(v)
  return Number.isFinite(n) && n > 0 ? n : undefined
}
const tag = (c: Ctx, name: string): string | undefined => c.props.get(`spark.databricks.clusterUsageTags.${name}`)

const COMPUTE: Record<string, Compute> = {
  /** Databricks auto-termination: 30 min when today's is off (0) or longer; the cluster tag says today's */
  autoTerminationDown: (c) => {
    const cur = Number(tag(c, 'autoTerminationMinutes') ?? NaN)
    return Number.isFinite(cur) && cur > 0 && cur <= 30 ? undefined : '30'
  },
  constTrue: () => 'true',
  /** lower only: 0 (cloud storage has no locality to win), and only if today's wait is above it */
  localityWaitDown: (c) => ((parseDurationMs(c.props.get('spark.locality.wait') ?? '3s') ?? 0) > 0 ? '0' : undefined),
  idleTimeout: (c) => ((parseDurationMs(c.props.get('spark.dynamicAllocation.executorIdleTimeout') ?? '60s', 's') ?? 0) > 60_000 ? '60s' : undefined),
  minExecutorsFromPeak: ({ a, props }) => {
    const cur = Number(props.get('spark.dynamicAllocation.minExecutors') ?? 0)
    return a.kpis.executorsMax > cur ? String(a.kpis.executorsMax) : undefined
  },
  /** more partitions: the largest shuffle's bytes / 128 MB, and at least twice today's count (then a multiple of the cores) */
  shufflePartitionsUp: (c) => {
    const bytes = shuffleStageBytes(c.a)
    const cur = intProp(c, 'spark.sql.shuffle.partitions')
    if (bytes === 0 || cur === undefined) return undefined
    return String(roundToCores(Math.max(Math.ceil(bytes / THRESHOLDS.targetPartitionBytes), cur * 2), c.cores))
  },
  /** fewer partitions: the largest shuffle's bytes / 128 MB, at least the cores, and only when below today's count */
  shufflePartitionsDown: (c) => {
    const bytes = shuffleStageBytes(c.a)
    const cur = intProp(c, 'spark.sql.shuffle.partitions')
    if (bytes === 0 || cur === undefined) return undefined
    const n = roundToCores(Math.ceil(bytes / THRESHOLDS.targetPartitionBytes), c.cores)
    return n < cur ? String(n) : undefined
  },
  advisorySize: () => sizeStr(THRESHOLDS.targetPartitionBytes),
  /** smaller scan splits: half today's maxPartitionBytes when scan tasks are huge */
  maxPartitionBytesDown: (c) => {
    if (c.a.kpis.inputBytes === 0) return undefined
    const cur = parseSize(c.props.get('spark.sql.files.maxPartitionBytes') ?? '128m', 'b') ?? 128 * MB
    return cur > 16 * MB ? sizeStr(Math.max(16 * MB, cur / 2)) : undefined
  },
  executorMemoryUp: ({ props }) => {
    const cur = parseSize(props.get('spark.executor.memory'), 'm') ?? GB
    return `${Math.ceil((cur * 1.5) / GB)}g`
  },
  executorCoresDown: ({ props, coresPerExecutor }) => {
    const cur = Number(props.get('spark.executor.cores') ?? coresPerExecutor)
    return cur > 1 ? String(cur - 1) : undefined
  },
  /** only on evidence of a memory kill (exit 137, -104, "exceeding memory limits"): +1 GB over today's overhead */
  memoryOverheadUp: ({ a, props }) => {
    if (!a.flags.some((f) => f.id === 'executor_loss' && (f.metrics['memoryKills'] ?? 0) > 0)) return undefined
    const mem = parseSize(props.get('spark.executor.memory'), 'm') ?? GB
    const cur = parseSize(props.get('spark.executor.memoryOverhead'), 'm') ?? Math.max(384 * MB, mem * 0.1)
    return sizeStr(Math.ceil((cur + GB) / MB) * MB)
  },
  /** AQE skew join splits shuffle partitions only: for skew on shuffle-read stages of Spark ≥ 3.0 */
  skewThreshold: ({ a }) => {
    const f = a.flags.find((x) => x.id === 'skew')
    if (!f) return undefined
    const skewed = a.stages.filter((s) => f.stageIds?.includes(s.stageId) && s.shuffleReadBytes > 0)
    if (skewed.length === 0) return undefined
    const medians = a.taskSummaries
      .filter((t) => skewed.some((s) => s.stageId === t.stageId))
      .map((t) => (t.shuffleReadMetrics.readBytes[2] ?? 0))
    const med = Math.max(0, ...medians)
    return sizeStr(Math.max(64 * MB, med * 5))
  },
  skewJoinOnShuffle: ({ a }) => {
    const f = a.flags.find((x) => x.id === 'skew')
    return f && a.stages.some((s) => f.stageIds?.includes(s.stageId) && s.shuffleReadBytes > 0) ? 'true' : undefined
  },
  maxExecutorsFromBusy: ({ a, coresPerExecutor }) => {
    const peak = Math.max(0, ...a.timeline.busy.busyCores)
    if (peak === 0 || coresPerExecutor === 0) return undefined
    const n = Math.max(1, Math.ceil(peak / coresPerExecutor))
    return n < a.kpis.executorsMax ? String(n) : undefined
  },
  /** Databricks: workers that would cover the busy-core peak (fewer than today) */
  workersFromBusy: (c) => {
    const cur = Number(tag(c, 'clusterWorkers') ?? tag(c, 'clusterTargetWorkers') ?? NaN)
    const peak = Math.max(0, ...c.a.timeline.busy.busyCores)
    if (!Number.isFinite(cur) || peak === 0 || c.coresPerExecutor === 0) return undefined
    const n = Math.max(1, Math.ceil(peak / c.coresPerExecutor))
    return n < cur ? String(n) : undefined
  },
  /** Databricks: twice today's workers (the what-if's 2× point) */
  workersDouble: (c) => {
    const cur = Number(tag(c, 'clusterWorkers') ?? tag(c, 'clusterTargetWorkers') ?? NaN)
    return Number.isFinite(cur) && cur > 0 ? String(cur * 2) : undefined
  },
  /** Databricks: keep today's peak as the autoscale minimum (autoscaling clusters only) */
  minWorkersFromPeak: (c) => {
    if (tag(c, 'clusterScalingType') !== 'autoscaling') return undefined
    const cur = Number(tag(c, 'clusterMinWorkers') ?? 0)
    return c.a.kpis.executorsMax > cur ? String(c.a.kpis.executorsMax) : undefined
  },
}

/** The current value of a key as the run had it: explicit, a Databricks cluster tag, or null (Spark's default applies). */
function currentOf (c: Ctx, key: string): string | null {
  if (key === 'cluster.num_workers') return tag(c, 'clusterWorkers') ?? tag(c, 'clusterTargetWorkers') ?? null
  if (key === 'cluster.autoscale.min_workers') return tag(c, 'clusterMinWorkers') ?? null
  if (key === 'cluster.node_type_id') return tag(c, 'clusterNodeType') ?? null
  if (key === 'cluster.autotermination_minutes') return tag(c, 'autoTerminationMinutes') ?? null
  return c.props.get(key) ?? null
}

/** Recommendations for the flags raised in `a`, with config values computed from the run. */
export function recommend (a: Analysis, kb: Knowledge = loadKnowledge()): Recommendation[] {
  const c = runContext(a)
  // most severe flags first: their recommendation owns a key both would set
  const order = new Map(a.flags.map((f, i) => [f.id, i]))
  const raised = new Set(a.flags.filter((f) => f.severity !== 'info').map((f) => f.id))
  const entries = kb.recommendations
    .map((r) => ({ r, flagIds: r.flagIds.filter((f) => raised.has(f)) }))
    .filter((x) => x.flagIds.length > 0)
    .sort((x, y) => Math.min(...x.flagIds.map((f) => order.get(f)!)) - Math.min(...y.flagIds.map((f) => order.get(f)!)))
  const taken = new Set<string>()
  const out: Recommendation[] = []
  for (const { r, flagIds } of entries) {
    const configs: RecommendedConfig[] = []
    for (const k of r.configs) {
      const fn = COMPUTE[k.compute]
      if (!fn) throw new Error(`knowledge base: unknown compute "${k.compute}" for ${k.key}`)
      if (taken.has(k.key) || !applies(c, k.key)) continue
      const suggested = fn(c)
      if (suggested === undefined) continue
      const current = currentOf(c, k.key)
      const effective = current ?? sparkDefault(c, k.key) ?? null
      if (effective !== null && effective.toLowerCase() === suggested.toLowerCase()) continue
      taken.add(k.key)
      configs.push({ key: k.key, current, suggested, why: k.why })
    }
    const advice = c.databricks && r.databricksAdvice ? r.databricksAdvice : r.advice
    out.push({ id: r.id, flagIds, title: r.title, advice, configs })
  }
  return out
}
