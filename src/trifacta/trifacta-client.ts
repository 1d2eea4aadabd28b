import type { Logger } from 'pino'
import type { Platform, Run } from '../shared/flow-types.js'
import { createHttpClient, type HttpClient } from '../http/http-client.js'
import type { TokenSource } from '../http/token-source.js'
import { UpstreamError } from '../http/upstream-error.js'
import { flowNameOf, jobsOf, parseJobGroup } from './job-group-parse.js'
import pLimit from 'p-limit'

export interface TrifactaClientOptions {
  platform: Platform
  /** API base including /v4 */
  baseUrl: string
  /** a long-lived token, or AAC's OAuth token source */
  token: string | TokenSource
  timeoutMs?: number
  retries?: number
  baseDelayMs?: number
  log?: Logger
}

export interface ListRunsOptions {
  limit: number
  ranfor: string
  signal?: AbortSignal
  /** called after each page with the number of matching runs so far */
  onProgress?: (found: number) => void
}

/** AAC and on-prem Trifacta share the v4 API: one client type for both. */
export interface TrifactaClient {
  readonly platform: Platform
  readonly uiHost: string
  listRunsOfFlow: (flowName: string, opts: ListRunsOptions) => Promise<Run[]>
  listFlowNames: (opts?: { signal?: AbortSignal, max?: number }) => Promise<string[]>
  /** cheap authenticated call for the settings page's "test connection" */
  ping: (signal?: AbortSignal) => Promise<void>
  close: () => Promise<void>
}

const PAGE = 100
// The fuzzy filter can match many other flows' runs; stop scanning somewhere.
const MAX_SCANNED_ROWS = 5000
const PAGE_CONCURRENCY = 4

function rowsOf (body: unknown): unknown[] {
  const data = (body as { data?: unknown } | null)?.data
  return Array.isArray(data) ? data : []
}
function countOf (body: unknown): number | null {
  const c = (body as { count?: unknown } | null)?.count
  return typeof c === 'number' && Number.isFinite(c) ? c : null
}

/** Creates the client of one Trifacta platform (AAC or on-prem). */
export function createTrifactaClient (opts: TrifactaClientOptions): TrifactaClient {
  const name = opts.platform === 'aac' ? 'AAC' : 'on-prem Trifacta'
  const http: HttpClient = createHttpClient({ name, baseUrl: opts.baseUrl, token: opts.token, timeoutMs: opts.timeoutMs, retries: opts.retries, baseDelayMs: opts.baseDelayMs, log: opts.log })
  const uiHost = opts.baseUrl.replace(/\/+$/, '').replace(/\/v4$/, '')

  /** Completes rows whose jobs were not embedded (older on-prem), concurrently and bounded. */
  async function withJobs (rows: unknown[], signal?: AbortSignal): Promise<Run[]> {
    const runs = await pLimit(6).map(rows, async (row) => {
      if (jobsOf(row).length > 0) return parseJobGroup(row, opts.platform, uiHost)
      const id = (row as { id?: unknown }).id
      if (typeof id !== 'number' && typeof id !== 'string') return null
      const jobs = await http.getJson(`/jobGroups/${encodeURIComponent(String(id))}/jobs`, { signal })
      return parseJobGroup(row, opts.platform, uiHost, rowsOf(jobs))
    })
    return runs.filter((r): r is Run => r !== null)
  }

  /** Pages a list endpoint: the first page alone (it tells the count), then up to PAGE_CONCURRENCY pages at once. */
  async function scan (path: string, query: Record<string, string | number>, flowName: string, lo: ListRunsOptions): Promise<unknown[]> {
    const matches: unknown[] = []
    const wanted = flowName.normalize('NFC')
    const keep = (rows: unknown[]): void => {
      // flows are saved in NFC; the platform may hold the name in another normalisation form
      for (const row of rows) if (flowNameOf(row)?.normalize('NFC') === wanted && matches.length < lo.limit) matches.push(row)
    }
    const first = await http.getJson(path, { query: { ...query, limit: PAGE, offset: 0, includeCount: 'true' }, signal: lo.signal })
    const firstRows = rowsOf(first)
    keep(firstRows)
    lo.onProgress?.(matches.length)
    const total = countOf(first)
    const beforeEnd = (o: number): boolean => o < MAX_SCANNED_ROWS && (total === null || o < total)
    let offset = PAGE
    let ended = firstRows.length < PAGE
    while (!ended && matches.length < lo.limit && offset < MAX_SCANNED_ROWS) {
      // Without a count a short page is the only end marker, so pages go one at a time.
      const batch = total === null ? 1 : PAGE_CONCURRENCY
      const offsets: number[] = []
      for (let i = 0; i < batch && beforeEnd(offset); i++, offset += PAGE) offsets.push(offset)
      if (offsets.length === 0) break
      const pages = await Promise.all(offsets.map(async (o) => rowsOf(await http.getJson(path, { query: { ...query, limit: PAGE, offset: o }, signal: lo.signal }))))
      for (const rows of pages) {
        keep(rows)
        if (rows.length < PAGE) { ended = true; break }
      }
      lo.onProgress?.(matches.length)
    }
    return matches
  }

  return {
    platform: opts.platform,
    uiHost,
    async listRunsOfFlow (flowName, lo) {
      let rows: unknown[]
      try {
        rows = await scan('/jobLibrary', { filter: flowName, ranfor: lo.ranfor, sort: '-createdAt' }, flowName, lo)
      } catch (err) {
        if (!(err instanceof UpstreamError && err.kind === 'not-found')) throw err
        opts.log?.info({ upstream: name }, 'jobLibrary not available, falling back to jobGroups')
        rows = await scan('/jobGroups', { embed: 'wrangledDataset,jobs', ranfor: lo.ranfor, sort: '-createdAt' }, flowName, lo)
      }
      const runs = await withJobs(rows, lo.signal)
      return runs.sort((a, b) => b.submittedAt.localeCompare(a.submittedAt) || b.jobGroupId - a.jobGroupId)
    },
    async listFlowNames (lo = {}) {
      const max = lo.max ?? 1000
      const names = new Set<string>()
      for (let offset = 0; offset < max; offset += PAGE) {
        const rows = rowsOf(await http.getJson('/flows', { query: { flowsFilter: 'all', limit: PAGE, offset, sort: 'name', fields: 'id;name' }, signal: lo.signal }))
        for (const r of rows) {
          const n = (r as { name?: unknown }).name
          if (typeof n === 'string' && n !== '') names.add(n)
        }
        if (rows.length < PAGE) break
      }
      return [...names].sort((a, b) => a.localeCompare(b))
    },
    async ping (signal) {
      await http.getJson('/flows', { query: { limit: 1, fields: 'id' }, signal })
    },
    close: async () => { await http.close() }
  }
}
