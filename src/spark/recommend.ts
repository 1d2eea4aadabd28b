// Turns flags into tuning recommendations using knowledge/tuning_recommendations.json. Each config's "compute"
// names one of the functions below: the data file says what to change, this code derives the value from the run.
import { readFileSync } from 'node:fs'
import type { Analysis, FlagId, Recommendation, RecommendedConfig } from './analysis-types.js'
import { THRESHOLDS } from './thresholds.js'

interface KnowledgeConfig { key: string; default: string; compute: string; why: string }
interface KnowledgeEntry { id: string; flagIds: FlagId[]; title: string; advice: string; configs: KnowledgeConfig[] }
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

const sizeStr = (b: number): string => (b >= GB && b % GB === 0 ? `${b / GB}g` : `${Math.ceil(b / MB)}m`)

type Compute = (ctx: Ctx) => string | undefined
interface Ctx { a: Analysis; props: Map<string, string>; cores: number; coresPerExecutor: number }

const largestStageBytes = (a: Analysis): number =>
  a.stages.reduce((m, s) => Math.max(m, s.shuffleReadBytes, s.inputBytes), 0)

const COMPUTE: Record<string, Compute> = {
  constTrue: () => 'true',
  localityWait: () => '1s',
  idleTimeout: () => '60s',
  minExecutorsFromPeak: ({ a }) => (a.kpis.executorsMax > 0 ? String(a.kpis.executorsMax) : undefined),
  shufflePartitionsForTarget: ({ a, cores }) => {
    const bytes = largestStageBytes(a)
    if (bytes === 0) return undefined
    let n = Math.max(1, Math.ceil(bytes / THRESHOLDS.targetPartitionBytes))
    if (cores > 0) n = Math.max(cores, Math.ceil(n / cores) * cores)
    return String(n)
  },
  advisorySize: () => sizeStr(THRESHOLDS.targetPartitionBytes),
  maxPartitionBytesForInput: ({ a }) => (a.kpis.inputBytes > 0 ? sizeStr(THRESHOLDS.targetPartitionBytes) : undefined),
  executorMemoryUp: ({ props }) => {
    const cur = parseSize(props.get('spark.executor.memory'), 'm') ?? GB
    return `${Math.ceil((cur * 1.5) / GB)}g`
  },
  executorCoresDown: ({ props, coresPerExecutor }) => {
    const cur = Number(props.get('spark.executor.cores') ?? coresPerExecutor)
    return cur > 1 ? String(cur - 1) : undefined
  },
  memoryOverheadUp: ({ props }) => {
    const mem = parseSize(props.get('spark.executor.memory'), 'm') ?? GB
    const cur = parseSize(props.get('spark.executor.memoryOverhead'), 'm') ?? Math.max(384 * MB, mem * 0.1)
    return sizeStr(Math.ceil((cur + GB) / MB) * MB)
  },
  skewThreshold: ({ a }) => {
    const f = a.flags.find((x) => x.id === 'skew')
    if (!f) return undefined
    const medians = a.taskSummaries
      .filter((t) => f.stageIds?.includes(t.stageId))
      .map((t) => (t.shuffleReadMetrics.readBytes[2] ?? 0) + (t.inputMetrics.bytesRead[2] ?? 0))
    const med = Math.max(0, ...medians)
    return sizeStr(Math.max(64 * MB, med * 5))
  },
  maxExecutorsFromBusy: ({ a, coresPerExecutor }) => {
    const peak = Math.max(0, ...a.timeline.busy.busyCores)
    if (peak === 0 || coresPerExecutor === 0) return undefined
    return String(Math.max(1, Math.ceil(peak / coresPerExecutor)))
  },
}

/** Recommendations for the flags raised in `a`, with config values computed from the run. */
export function recommend (a: Analysis, kb: Knowledge = loadKnowledge()): Recommendation[] {
  const raised = new Set(a.flags.map((f) => f.id))
  const props = new Map(a.environment.sparkProperties)
  const execCores = a.executors.filter((x) => x.id !== 'driver' && x.totalCores > 0).map((x) => x.totalCores)
  const ctx: Ctx = { a, props, cores: a.kpis.totalCoresMax, coresPerExecutor: execCores.length ? Math.max(...execCores) : a.kpis.totalCoresMax }
  const out: Recommendation[] = []
  for (const r of kb.recommendations) {
    const flagIds = r.flagIds.filter((f) => raised.has(f))
    if (flagIds.length === 0) continue
    const configs: RecommendedConfig[] = []
    for (const c of r.configs) {
      const fn = COMPUTE[c.compute]
      if (!fn) throw new Error(`knowledge base: unknown compute "${c.compute}" for ${c.key}`)
      const suggested = fn(ctx)
      if (suggested === undefined) continue
      const current = props.get(c.key) ?? null
      if (current !== null && current.toLowerCase() === suggested.toLowerCase()) continue
      configs.push({ key: c.key, current, suggested, why: c.why })
    }
    out.push({ id: r.id, flagIds, title: r.title, advice: r.advice, configs })
  }
  return out
}
