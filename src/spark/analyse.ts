// Entry point: file or folder in, Analysis out.
import { Aggregator } from './aggregator.js'
import type { Analysis } from './analysis-types.js'
import { buildAnalysis } from './build-analysis.js'
import { EventLogParser } from './event-parser.js'
import { openEventLog, type ReadLimits } from './read/index.js'

export interface AnalyseOptions {
  /** quantiles for taskSummaries (default 0, 0.25, 0.5, 0.75, 1) */
  quantiles?: number[]
  /** 'full' adds hadoop/system/metrics properties and classpath to environment */
  environment?: 'spark' | 'full'
  /** a longer line is skipped and counted as one bad line (default 128 MiB, see DEFAULT_MAX_LINE_BYTES) */
  maxLineBytes?: number
  /** bounds on the decompressed bytes of a part (decompression bombs; defaults DEFAULT_READ_LIMITS) */
  readLimits?: Partial<ReadLimits>
}

function start (opts: AnalyseOptions): { agg: Aggregator; parser: EventLogParser } {
  const agg = new Aggregator(opts.quantiles ? { quantiles: opts.quantiles } : {})
  return { agg, parser: new EventLogParser(agg, { classpath: opts.environment === 'full', maxLineBytes: opts.maxLineBytes }) }
}

/** Streams an event log (file, rolling folder or Databricks folder) and returns its analysis. */
export async function analyseEventLog (input: string, opts: AnalyseOptions = {}): Promise<Analysis> {
  const src = await openEventLog(input, opts.readLimits)
  const { agg, parser } = start(opts)
  for await (const chunk of src.chunks({ reuseBuffers: true })) parser.push(chunk.data, chunk.partIndex)
  const health = parser.end()
  health.damage = src.damage.map((d) => ({ ...d }))
  return buildAnalysis(agg, health, {
    ...(opts.environment ? { environment: opts.environment } : {}),
    source: { path: input, layout: src.layout, parts: src.parts.map((p) => ({ name: p.name, codec: p.codec, compressedBytes: p.compressedBytes })) },
  })
}

/** Analyses event log text already in memory (tests, small inputs); same result as the streaming path. */
export function analyseText (text: string | Buffer, opts: AnalyseOptions = {}): Analysis {
  const { agg, parser } = start(opts)
  parser.push(typeof text === 'string' ? Buffer.from(text) : text, 0)
  return buildAnalysis(agg, parser.end(), opts.environment ? { environment: opts.environment } : {})
}

/**
 * Why an analysis holds nothing to show: no Spark event was read (not an event log, or damaged from its first
 * byte). Null when it has events. Says how much was read, the unparseable lines and the damage found.
 */
export function noEventsReason (a: Pick<Analysis, 'parse'>, input?: string): string | null {
  const p = a.parse
  if (p.events > 0) return null
  const damage = p.damage.length > 0 ? `; ${p.damage.map((d) => d.message).join('; ')}` : ''
  return `no Spark events found${input === undefined ? '' : ` in ${input}`} (${p.bytes} bytes, ${p.badLines.count} unparseable line(s)${damage})`
}
