import type { Logger } from 'pino'
import type { Platform, Run } from '../shared/flow-types.js'
import { createHttpClient, type HttpClient, type NetworkOptions } from '../http/http-client.js'
import type { TokenSource } from '../http/token-source.js'
import { UpstreamError } from '../http/upstream-error.js'
import { flowIdOf, flowNameOf, jobsOf, looseName, parseJobGroup } from './job-group-parse.js'
import pLimit from 'p-limit'

export interface TrifactaClientOptions {
  platform: Platform
  /** API base including /v4 */
  baseUrl: string
  /** a long-lived token, or AAC's OAuth token source */
  token: string | TokenSource
  /** proxies, a CA file, skipped verification (on-prem only) */
  network?: NetworkOptions
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

/** What a collection found, and how it recognised the flow's runs (the page says so). */
export interface FlowRuns {
  runs: Run[]
  /** rows the platform returned for the filter, matching or not */
  scanned: number
  /** 'id': rows carried the flow id of the flow resolved by name; 'name' / 'loose-name': compared by name */
  matchedBy: 'id' | 'name' | 'loose-name' | null
  /** the platform's own spelling of the flow name, when it differs from the one asked for (case, spaces) */
  platformName: string | null
  /** flow names of the rows that did not match (up to 10), to show when none matched */
  seenNames: string[]
  /** whether /v4/flows knows a flow of that name; null when it could not be asked */
  flowExists: boolean | null
}

/** AAC and on-prem Trifacta share the v4 API: one client type for both. */
export interface TrifactaClient {
  readonly platform: Platform
  readonly uiHost: string
  listRunsOfFlow: (flowName: string, opts: ListRunsOptions) => Promise<FlowRuns>
  listFlowNames: (opts?: { signal?: AbortSignal, max?: number }) => Promise<string[]>
  /** cheap authenticated call of the endpoint collection uses, for the settings page's "test connection" */
  ping: (signal?: AbortSignal) => Promise<void>
  close: () => Promise<void>
}

// The v4 list endpoints' documented default page size (api-aac.md §3: "limit (default 25)"; no maximum is
// documented and rows are heavy, ~14 KB with the embedded person). A server may still cap `limit` below what was
// asked: `count` (includeCount=true) is trusted over the page length.
const DOC_PAGE = 25
// The fuzzy filter can match many other flows' runs; stop scanning somewhere.
const MAX_SCANNED_ROWS = 5000
const PAGE_CONCURRENCY = 4
const SEEN_NAMES = 10

function rowsOf (body: unknown): unknown[] {
  const data = (body as { data?: unknown } | null)?.data
  return Array.isArray(data) ? data : []
}
function countOf (body: unknown): number | null {
  const c = (body as { count?: unknown } | null)?.count
  return typeof c === 'number' && Number.isFinite(c) ? c : null
}
function idOf (row: unknown): string | null {
  const id = (row as { id?: unknown } | null)?.id
  return typeof id === 'number' || typeof id === 'string' ? String(id) : null
}

/**
 * The flows a name resolves to on one platform: exact name first, else trimmed and case-insensitive (names are not
 * unique: all of them). `ids` is empty when the platform has no such flow; `names` are all flows the search saw.
 */
interface ResolvedFlow { ids: Set<number>, platformName: string | null, loose: boolean, names: Map<number, string> }

/** Creates the client of one Trifacta platform (AAC or on-prem). */
export function createTrifactaClient (opts: TrifactaClientOptions): TrifactaClient {
  const name = opts.platform === 'aac' ? 'AAC' : 'on-prem Trifacta'
  const http: HttpClient = createHttpClient({ name, baseUrl: opts.baseUrl, token: opts.token, network: opts.network, timeoutMs: opts.timeoutMs, retries: opts.retries, baseDelayMs: opts.baseDelayMs, log: opts.log })
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

  /**
   * Pages a v4 list endpoint: the first page alone (its `count` tells how many rows exist and whether the server
   * capped the page size), then up to PAGE_CONCURRENCY pages at once. `take` sees each new row (duplicates from
   * rows shifting between pages are dropped) and returns false to stop.
   */
  async function pages (path: string, query: Record<string, string | number>, pageSize: number, max: number, signal: AbortSignal | undefined, take: (row: unknown) => boolean): Promise<void> {
    const seen = new Set<string>()
    const state = { going: true }
    const feed = (rows: unknown[]): void => {
      for (const row of rows) {
        const id = idOf(row)
        if (id !== null) { if (seen.has(id)) continue; seen.add(id) }
        if (state.going && !take(row)) state.going = false
      }
    }
    const first = await http.getJson(path, { query: { ...query, limit: pageSize, offset: 0, includeCount: 'true' }, signal })
    const firstRows = rowsOf(first)
    feed(firstRows)
    const total: number | null = countOf(first)
    const beforeEnd = (o: number): boolean => o < max && (total === null || o < total)
    // A server that caps `limit` answers fewer rows than asked while `count` says more exist: step by what it gives.
    const step = total !== null && firstRows.length > 0 && firstRows.length < pageSize && total > firstRows.length ? firstRows.length : pageSize
    if (step !== pageSize) opts.log?.info({ upstream: name, asked: pageSize, got: step, count: total }, 'the platform caps the page size; paging by what it returns')
    let offset = firstRows.length
    // without a count, a short page is the only end marker (the documented rule)
    let ended = firstRows.length === 0 || (total === null ? firstRows.length < pageSize : offset >= total)
    while (state.going && !ended && offset < max) {
      const batch = total === null ? 1 : PAGE_CONCURRENCY
      const offsets: number[] = []
      for (let i = 0; i < batch && beforeEnd(offset); i++, offset += step) offsets.push(offset)
      if (offsets.length === 0) break
      const got = await Promise.all(offsets.map(async (o) => rowsOf(await http.getJson(path, { query: { ...query, limit: pageSize, offset: o }, signal }))))
      for (const rows of got) {
        feed(rows)
        if (rows.length === 0 || (total === null && rows.length < step)) { ended = true; break }
      }
      if (total !== null && offset >= total) ended = true
    }
  }

  /** Finds the flow's id(s) by name through /v4/flows; null when the platform has no such flow or cannot say. */
  async function resolveFlow (flowName: string, signal?: AbortSignal): Promise<ResolvedFlow | null> {
    const want = looseName(flowName)
    const exact = new Map<number, string>()
    const loose = new Map<number, string>()
    const names = new Map<number, string>()
    try {
      await pages('/flows', { filter: flowName.trim(), filterFields: 'name', flowsFilter: 'all', sort: 'name', fields: 'id;name' }, DOC_PAGE, 500, signal, (row) => {
        const r = row as { id?: unknown, name?: unknown }
        if (typeof r.id !== 'number' || typeof r.name !== 'string') return true
        names.set(r.id, r.name)
        if (r.name === flowName) exact.set(r.id, r.name)
        else if (looseName(r.name) === want) loose.set(r.id, r.name)
        return true
      })
    } catch (err) {
      if (signal?.aborted === true) throw err
      opts.log?.info({ upstream: name, err: (err as Error).message }, 'flows cannot be listed; matching runs by flow name')
      return null
    }
    const chosen = exact.size > 0 ? exact : loose
    const [firstName] = chosen.values()
    return { ids: new Set(chosen.keys()), platformName: firstName ?? null, loose: exact.size === 0, names }
  }

  /** Scans a job group list for the flow's rows: by flow id when rows carry it, else by name (trimmed, any case). */
  async function scan (path: string, query: Record<string, string | number>, flowName: string, flow: ResolvedFlow | null, lo: ListRunsOptions): Promise<{ rows: unknown[], scanned: number, by: Set<FlowRuns['matchedBy']>, looseNames: Set<string>, seen: Set<string> }> {
    const want = looseName(flowName)
    const rows: unknown[] = []
    const by = new Set<FlowRuns['matchedBy']>()
    const looseNames = new Set<string>()
    const seen = new Set<string>()
    let scanned = 0
    await pages(path, query, Math.min(DOC_PAGE, lo.limit), MAX_SCANNED_ROWS, lo.signal, (row) => {
      scanned++
      const id = flowIdOf(row)
      const rowName = flowNameOf(row)
      let how: FlowRuns['matchedBy'] = null
      if (flow !== null && flow.ids.size > 0 && id !== null) how = flow.ids.has(id) ? 'id' : null
      else if (rowName === flowName) how = 'name'
      else if (rowName !== null && looseName(rowName) === want) { how = 'loose-name'; looseNames.add(rowName) }
      if (how === null) {
        const shown = rowName ?? (id === null ? null : flow?.names.get(id) ?? `flow #${id}`)
        if (shown !== null && seen.size < SEEN_NAMES) seen.add(shown)
        return true
      }
      by.add(how)
      rows.push(row)
      lo.onProgress?.(rows.length)
      return rows.length < lo.limit
    })
    return { rows, scanned, by, looseNames, seen }
  }

  return {
    platform: opts.platform,
    uiHost,
    async listRunsOfFlow (flowName, lo) {
      const flow = await resolveFlow(flowName, lo.signal)
      const filter = flowName.trim()
      let found: Awaited<ReturnType<typeof scan>>
      try {
        found = await scan('/jobLibrary', { filter, ranfor: lo.ranfor, sort: '-createdAt' }, flowName, flow, lo)
      } catch (err) {
        if (!(err instanceof UpstreamError && err.kind === 'not-found')) throw err
        opts.log?.info({ upstream: name }, 'jobLibrary not available, falling back to jobGroups')
        found = await scan('/jobGroups', { embed: 'wrangledDataset,jobs', ranfor: lo.ranfor, sort: '-createdAt' }, flowName, flow, lo)
      }
      const platformFlowName = flow?.platformName ?? null
      const runs = (await withJobs(found.rows, lo.signal)).map((r) => r.flowName === '' && platformFlowName !== null ? { ...r, flowName: platformFlowName } : r)
      const matchedBy = found.by.has('id') ? 'id' : found.by.has('loose-name') ? 'loose-name' : found.by.has('name') ? 'name' : null
      const [looseName0] = found.looseNames
      const platformName = matchedBy === 'id' ? (flow?.loose === true ? platformFlowName : null) : matchedBy === 'loose-name' ? looseName0 ?? null : null
      return {
        runs: runs.sort((a, b) => b.submittedAt.localeCompare(a.submittedAt) || b.jobGroupId - a.jobGroupId),
        scanned: found.scanned,
        matchedBy,
        platformName,
        seenNames: [...found.seen],
        flowExists: flow === null ? null : flow.ids.size > 0
      }
    },
    async listFlowNames (lo = {}) {
      const names = new Set<string>()
      await pages('/flows', { flowsFilter: 'all', sort: 'name', fields: 'id;name' }, DOC_PAGE, lo.max ?? 1000, lo.signal, (r) => {
        const n = (r as { name?: unknown }).name
        if (typeof n === 'string' && n !== '') names.add(n)
        return true
      })
      return [...names].sort((a, b) => a.localeCompare(b))
    },
    async ping (signal) {
      // the endpoint collection uses: the job library, else (older on-prem) the job groups list
      try {
        await http.getJson('/jobLibrary', { query: { limit: 1, ranfor: 'recipe' }, signal })
      } catch (err) {
        if (!(err instanceof UpstreamError && err.kind === 'not-found')) throw err
        await http.getJson('/jobGroups', { query: { limit: 1 }, signal })
      }
    },
    close: async () => { await http.close() }
  }
}
