import type { Logger } from 'pino'
import { createHttpClient, type NetworkOptions, type HttpClient } from '../http/http-client.js'
import { UpstreamError } from '../http/upstream-error.js'
import { rangedGet } from '../http/ranged-get.js'
import { FileChanged } from '../log-sources/log-source.js'

/*
 * Databricks Jobs, Clusters and DBFS reads (see docs api-databricks.md §2-5). Responses are parsed here, once,
 * into the shapes below: ids stay strings (run ids and spark_context_id exceed 2^53 and arrive as numbers or
 * strings), enums stay open strings (Databricks keeps adding event types and termination codes).
 */

export interface DbxClusterInstance {
  clusterId: string
  /** null until the run starts executing */
  sparkContextId: string | null
}

export interface DbxRunState {
  lifeCycle: string | null
  result: string | null
  message: string | null
}

/** A cluster_log_conf destination; only dbfs ones are readable through the DBFS API. */
export interface DbxLogConf {
  kind: 'dbfs' | 's3' | 'volumes' | 'unknown'
  destination: string | null
  /** s3 only: the bucket's region and a custom endpoint (either may be set; the endpoint wins) */
  region?: string | null
  endpoint?: string | null
}

/** A `new_cluster` spec found in the run: enough to recover the log destination when clusters/get is gone. */
export interface DbxClusterSpecHint {
  source: string
  logConf: DbxLogConf | null
}

export interface DbxTask {
  runId: string | null
  taskKey: string | null
  clusterInstance: DbxClusterInstance | null
  state: DbxRunState
  startTime: number | null
  endTime: number | null
  setupMs: number | null
  executionMs: number | null
  cleanupMs: number | null
}

export interface DbxRun {
  runId: string
  jobId: string | null
  runName: string | null
  runPageUrl: string | null
  state: DbxRunState
  terminationCode: string | null
  terminationType: string | null
  startTime: number | null
  /** null while running (the API sends 0) */
  endTime: number | null
  setupMs: number | null
  executionMs: number | null
  cleanupMs: number | null
  runMs: number | null
  queueMs: number | null
  clusterInstance: DbxClusterInstance | null
  tasks: DbxTask[]
  clusterSpecs: DbxClusterSpecHint[]
  /** task pages fetched (2.2 paging) */
  pages: number
}

export interface DbxTerminationReason {
  code: string | null
  type: string | null
  parameters: Record<string, string>
}

export interface DbxCluster {
  clusterId: string
  clusterName: string | null
  clusterSource: string | null
  sparkVersion: string | null
  nodeTypeId: string | null
  driverNodeTypeId: string | null
  numWorkers: number | null
  autoscale: { min: number | null, max: number | null } | null
  cloud: 'aws' | 'azure' | 'gcp' | null
  availability: string | null
  firstOnDemand: number | null
  spotBidPricePercent: number | null
  spotBidMaxPrice: number | null
  runtimeEngine: string | null
  photon: boolean
  enableElasticDisk: boolean | null
  autoterminationMinutes: number | null
  /** unmasked: mask before anything leaves the service layer */
  sparkConf: Record<string, string>
  logConf: DbxLogConf | null
  logStatus: { lastAttempted: number | null, lastException: string | null } | null
  state: string | null
  stateMessage: string | null
  startTime: number | null
  terminatedTime: number | null
  terminationReason: DbxTerminationReason | null
  sparkContextId: string | null
  driverPrivateIp: string | null
  executors: number | null
}

export interface DbxEventDetails {
  currentNumWorkers: number | null
  targetNumWorkers: number | null
  cause: string | null
  reason: DbxTerminationReason | null
  instanceId: string | null
  driverStateMessage: string | null
  user: string | null
  /** cluster_log_conf of the spec in CREATING / EDITED events (recovers the destination when clusters/get is gone) */
  logConf: DbxLogConf | null
  /** a few more fields, as short strings, for the timeline (unknown types keep their shape here) */
  extra: Record<string, string>
}

export interface DbxEvent {
  timestamp: number
  type: string
  details: DbxEventDetails
}

export interface DbxEventsResult {
  events: DbxEvent[]
  pages: number
  /** true when the page cap stopped the walk before the window was covered */
  truncated: boolean
}

export interface DbfsFileInfo {
  /** absolute, without the dbfs: prefix */
  path: string
  isDir: boolean
  fileSize: number
  modificationTime: number | null
}

export interface DatabricksClientOptions {
  /** workspace URL, e.g. https://adb-123.4.azuredatabricks.net; the token is only ever sent there */
  host: string
  token: string
  timeoutMs?: number
  retries?: number
  baseDelayMs?: number
  connections?: number
  /** proxies and a CA file for the workspace */
  network?: NetworkOptions
  log?: Logger
}

export interface DatabricksClient {
  readonly host: string
  getRun: (runId: string, opts?: { signal?: AbortSignal }) => Promise<DbxRun>
  getCluster: (clusterId: string, opts?: { signal?: AbortSignal }) => Promise<DbxCluster>
  /** all events of the window, oldest first, paging until covered or maxPages */
  clusterEvents: (clusterId: string, window: { startTime: number, endTime: number }, opts?: { signal?: AbortSignal, maxPages?: number, pageSize?: number }) => Promise<DbxEventsResult>
  dbfsList: (path: string, opts?: { signal?: AbortSignal }) => Promise<DbfsFileInfo[]>
  dbfsGetStatus: (path: string, opts?: { signal?: AbortSignal }) => Promise<DbfsFileInfo>
  /** one read of at most 1 MiB: the decoded bytes (fewer at EOF, none past it) */
  dbfsRead: (path: string, offset: number, length: number, opts?: { signal?: AbortSignal, timeoutMs?: number }) => Promise<Buffer>
  /** Files API: every entry of a /Volumes/... directory, page after page until no next_page_token */
  filesList: (path: string, opts?: { signal?: AbortSignal, pageSize?: number }) => Promise<DbfsFileInfo[]>
  /** Files API HEAD: the file's size and last-modified (kept as sent, for If-Unmodified-Since) */
  filesGetMetadata: (path: string, opts?: { signal?: AbortSignal }) => Promise<VolumeFileMetadata>
  /** Files API ranged GET of bytes [offset, offset + length): fewer at the end, none past it; FileChanged on 412 */
  filesRead: (path: string, offset: number, length: number, opts?: { signal?: AbortSignal, ifUnmodifiedSince?: string | null }) => Promise<Buffer>
  /** filesRead streamed: the bytes go to `write` as they arrive (never held whole); returns how many */
  filesReadTo: (path: string, offset: number, length: number, write: (piece: Buffer) => Promise<void>, opts?: { signal?: AbortSignal, ifUnmodifiedSince?: string | null }) => Promise<number>
  close: () => Promise<void>
}

export interface VolumeFileMetadata {
  size: number
  /** epoch ms (HTTP dates have whole seconds) */
  modificationTime: number | null
  /** the last-modified header as sent */
  lastModified: string | null
}

/** The most one Files API page lists (larger page_size values are coerced to it). */
export const FILES_MAX_PAGE = 1000
/** Ranged reads of a volume file: 8 MiB per request (no documented cap; bounded so memory stays at concurrency x this). */
export const VOLUME_CHUNK = 8 * 1024 * 1024
const MAX_DIRECTORY_PAGES = 200

/** DBFS read's cap per call (MAX_READ_SIZE_EXCEEDED above it). */
export const DBFS_MAX_READ = 1024 * 1024
const MAX_TASK_PAGES = 50
const DEFAULT_EVENT_PAGES = 40
const EVENTS_PAGE_SIZE = 500

// ---- tolerant field readers ----
type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
const num = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v)
  return null
}
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null)
/** int64 ids arrive as numbers or strings; numbers beyond 2^53 are already rounded, strings are exact */
const id = (v: unknown): string | null => {
  if (typeof v === 'string' && /^\d{1,30}$/.test(v)) return v
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v).toString()
  if (typeof v === 'bigint' && v >= 0n) return v.toString()
  return null
}
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const positiveMs = (v: unknown): number | null => { const n = num(v); return n === null || n <= 0 ? null : n }
const strMap = (v: unknown): Record<string, string> => {
  const o = obj(v)
  const out: Record<string, string> = {}
  if (o === null) return out
  for (const [k, val] of Object.entries(o)) {
    if (val === null || val === undefined) continue
    out[k] = typeof val === 'string' ? val : JSON.stringify(val)
  }
  return out
}

function parseState (v: unknown): DbxRunState {
  const o = obj(v) ?? {}
  return { lifeCycle: str(o.life_cycle_state), result: str(o.result_state), message: str(o.state_message) }
}

function parseClusterInstance (v: unknown): DbxClusterInstance | null {
  const o = obj(v)
  const clusterId = str(o?.cluster_id)
  if (o === null || clusterId === null) return null
  return { clusterId, sparkContextId: id(o.spark_context_id) }
}

/** Parses a cluster_log_conf object (exactly one of dbfs, s3, volumes). */
export function parseLogConf (v: unknown): DbxLogConf | null {
  const o = obj(v)
  if (o === null) return null
  for (const kind of ['dbfs', 's3', 'volumes'] as const) {
    const d = obj(o[kind])
    if (d !== null) return kind === 's3' ? { kind, destination: str(d.destination), region: str(d.region), endpoint: str(d.endpoint) } : { kind, destination: str(d.destination) }
  }
  return Object.keys(o).length === 0 ? null : { kind: 'unknown', destination: null }
}

function parseReason (v: unknown): DbxTerminationReason | null {
  const o = obj(v)
  if (o === null) return null
  return { code: str(o.code), type: str(o.type), parameters: strMap(o.parameters) }
}

function parseTask (v: unknown): DbxTask {
  const o = obj(v) ?? {}
  return {
    runId: id(o.run_id),
    taskKey: str(o.task_key),
    clusterInstance: parseClusterInstance(o.cluster_instance),
    state: parseState(o.state),
    startTime: positiveMs(o.start_time),
    endTime: positiveMs(o.end_time),
    setupMs: num(o.setup_duration),
    executionMs: num(o.execution_duration),
    cleanupMs: num(o.cleanup_duration)
  }
}

function specHints (o: Obj): DbxClusterSpecHint[] {
  const hints: DbxClusterSpecHint[] = []
  const add = (source: string, spec: unknown): void => {
    const s = obj(spec)
    if (s !== null) hints.push({ source, logConf: parseLogConf(s.cluster_log_conf) })
  }
  add('cluster_spec', obj(o.cluster_spec)?.new_cluster)
  for (const jc of arr(o.job_clusters)) add(`job_clusters.${str(obj(jc)?.job_cluster_key) ?? '?'}`, obj(jc)?.new_cluster)
  for (const t of arr(o.tasks)) add(`tasks.${str(obj(t)?.task_key) ?? '?'}`, obj(t)?.new_cluster)
  return hints
}

/** Parses a jobs/runs/get body (2.0, 2.1 or one 2.2 page). */
export function parseRun (body: unknown, requestedRunId: string): DbxRun {
  const o = obj(body) ?? {}
  const status = obj(o.status)
  const term = obj(status?.termination_details)
  return {
    runId: id(o.run_id) ?? requestedRunId,
    jobId: id(o.job_id),
    runName: str(o.run_name),
    runPageUrl: str(o.run_page_url),
    state: parseState(o.state),
    terminationCode: str(term?.code),
    terminationType: str(term?.type),
    startTime: positiveMs(o.start_time),
    endTime: positiveMs(o.end_time),
    setupMs: num(o.setup_duration),
    executionMs: num(o.execution_duration),
    cleanupMs: num(o.cleanup_duration),
    runMs: num(o.run_duration),
    queueMs: num(o.queue_duration),
    clusterInstance: parseClusterInstance(o.cluster_instance),
    tasks: arr(o.tasks).map(parseTask),
    clusterSpecs: specHints(o),
    pages: 1
  }
}

/** Parses a clusters/get body. */
export function parseCluster (body: unknown, requestedId: string): DbxCluster {
  const o = obj(body) ?? {}
  const aws = obj(o.aws_attributes)
  const azure = obj(o.azure_attributes)
  const gcp = obj(o.gcp_attributes)
  const cloudAttrs = aws ?? azure ?? gcp
  const autoscale = obj(o.autoscale)
  const sparkVersion = str(o.spark_version)
  const runtimeEngine = str(o.runtime_engine)
  const logStatus = obj(o.cluster_log_status)
  return {
    clusterId: str(o.cluster_id) ?? requestedId,
    clusterName: str(o.cluster_name),
    clusterSource: str(o.cluster_source),
    sparkVersion,
    nodeTypeId: str(o.node_type_id),
    driverNodeTypeId: str(o.driver_node_type_id) ?? str(o.node_type_id),
    numWorkers: autoscale === null ? num(o.num_workers) : null,
    autoscale: autoscale === null ? null : { min: num(autoscale.min_workers), max: num(autoscale.max_workers) },
    cloud: aws !== null ? 'aws' : azure !== null ? 'azure' : gcp !== null ? 'gcp' : null,
    availability: str(cloudAttrs?.availability),
    firstOnDemand: num(cloudAttrs?.first_on_demand),
    spotBidPricePercent: num(aws?.spot_bid_price_percent),
    spotBidMaxPrice: num(azure?.spot_bid_max_price),
    runtimeEngine,
    // without runtime_engine, Photon is implied by a -photon- runtime (api-databricks.md §3)
    photon: runtimeEngine === 'PHOTON' || (runtimeEngine === null && (sparkVersion ?? '').includes('-photon-')),
    enableElasticDisk: bool(o.enable_elastic_disk),
    autoterminationMinutes: num(o.autotermination_minutes),
    sparkConf: strMap(o.spark_conf),
    logConf: parseLogConf(o.cluster_log_conf),
    logStatus: logStatus === null ? null : { lastAttempted: positiveMs(logStatus.last_attempted), lastException: str(logStatus.last_exception) },
    state: str(o.state),
    stateMessage: str(o.state_message),
    startTime: positiveMs(o.start_time),
    terminatedTime: positiveMs(o.terminated_time),
    terminationReason: parseReason(o.termination_reason),
    sparkContextId: id(o.spark_context_id),
    driverPrivateIp: str(obj(o.driver)?.private_ip),
    executors: Array.isArray(o.executors) ? o.executors.length : null
  }
}

const EXTRA_DETAIL_KEYS = ['current_num_vcpus', 'target_num_vcpus', 'did_not_expand_reason', 'disk_size', 'free_space', 'job_run_name']

/** Parses one cluster event; null when it has no usable timestamp or type. */
export function parseEvent (v: unknown): DbxEvent | null {
  const o = obj(v)
  const timestamp = num(o?.timestamp)
  const type = str(o?.type)
  if (o === null || timestamp === null || type === null) return null
  const d = obj(o.details) ?? {}
  const extra: Record<string, string> = {}
  for (const k of EXTRA_DETAIL_KEYS) {
    const val = d[k]
    if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') extra[k] = String(val)
  }
  const size = obj(d.cluster_size)
  if (size !== null) {
    const as = obj(size.autoscale)
    extra.cluster_size = as !== null ? `${String(as.min_workers ?? '?')}–${String(as.max_workers ?? '?')} (autoscale)` : `${String(size.num_workers ?? '?')} workers`
  }
  const dp = obj(o.data_plane_event_details)
  if (dp !== null && str(dp.event_type) !== null) extra.data_plane_event = `${str(dp.event_type) ?? ''}${str(dp.host_id) !== null ? ` on ${str(dp.host_id) ?? ''}` : ''}`
  return {
    timestamp,
    type,
    details: {
      currentNumWorkers: num(d.current_num_workers),
      targetNumWorkers: num(d.target_num_workers),
      cause: str(d.cause),
      reason: parseReason(d.reason),
      instanceId: str(d.instance_id),
      driverStateMessage: str(d.driver_state_message),
      user: str(d.user),
      logConf: parseLogConf(obj(d.attributes)?.cluster_log_conf),
      extra
    }
  }
}

/** Parses a DBFS FileInfo; null when it has no path. */
export function parseFileInfo (v: unknown): DbfsFileInfo | null {
  const o = obj(v)
  const path = str(o?.path)
  if (o === null || path === null) return null
  return {
    path: path.replace(/^dbfs:/, ''),
    isDir: bool(o.is_dir) ?? false,
    fileSize: num(o.file_size) ?? 0,
    modificationTime: num(o.modification_time)
  }
}

/** "dbfs:/a/b/" or "/a/b" -> "/a/b" (what the DBFS API takes and returns). */
export function dbfsApiPath (p: string): string {
  const s = p.replace(/^dbfs:/, '').replace(/\/+$/, '')
  return s.startsWith('/') ? (s === '' ? '/' : s) : `/${s}`
}

const VOLUME_PATH = /^\/Volumes\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/

/**
 * A Unity Catalog volume path, checked segment by segment ("dbfs:/Volumes/..." accepted, trailing slashes dropped):
 * /Volumes/<catalog>/<schema>/<volume>/...; null for anything else (empty, `.` or `..` segments, control characters).
 */
export function volumePath (p: string): string | null {
  const s = p.replace(/^dbfs:/, '').replace(/\/+$/, '')
  if (s.length > 4096 || !VOLUME_PATH.test(s)) return null
  // eslint-disable-next-line no-control-regex
  const bad = s.slice(1).split('/').some((seg) => seg === '' || seg === '.' || seg === '..' || /[\u0000-\u001f\u007f]/.test(seg))
  return bad ? null : s
}

/** "catalog.schema.volume" of a volume path (what GRANT ... ON VOLUME names) */
export function volumeName (p: string): string {
  const m = VOLUME_PATH.exec(p)
  return m === null ? p : `${m[1]!}.${m[2]!}.${m[3]!}`
}

/** The Files API path of a volume path: each segment URL-encoded (as the SDKs do). */
function filesApiPath (endpoint: 'files' | 'directories', p: string): string {
  const v = volumePath(p)
  if (v === null) throw new UpstreamError({ upstream: 'Databricks', kind: 'config', message: `Not a Unity Catalog volume path: ${JSON.stringify(p.slice(0, 200))} (expected /Volumes/<catalog>/<schema>/<volume>/...)` })
  return `/api/2.0/fs/${endpoint}${v.split('/').map(encodeURIComponent).join('/')}`
}

/** A 403 on a volume says which grant is missing; everything else passes through. */
function volumeError (err: unknown, path: string): unknown {
  if (!(err instanceof UpstreamError) || err.status !== 403) return err
  const name = volumeName(path)
  const [catalog, schema] = name.split('.')
  return new UpstreamError({
    upstream: err.upstream,
    kind: 'auth',
    status: 403,
    code: err.code,
    upstreamMessage: err.upstreamMessage,
    message: `Databricks refused to read the volume ${name} (${path}): 403 ${err.code ?? 'PERMISSION_DENIED'}. Grant the token's user READ VOLUME on ${name} (with USE CATALOG on ${catalog ?? ''} and USE SCHEMA on ${catalog ?? ''}.${schema ?? ''}), or upload the event log yourself on the run page.`
  })
}

const header = (h: Record<string, string | string[] | undefined>, name: string): string | null => {
  const v = h[name]
  const one = Array.isArray(v) ? v[0] : v
  return one === undefined || one === '' ? null : one
}

/** Parses a Files API directory entry into the listing shape DBFS has; null without a path. */
export function parseDirectoryEntry (v: unknown): DbfsFileInfo | null {
  const o = obj(v)
  const path = str(o?.path)
  if (o === null || path === null) return null
  return { path: path.replace(/\/+$/, ''), isDir: bool(o.is_directory) === true, fileSize: num(o.file_size) ?? 0, modificationTime: num(o.last_modified) }
}

/** True when Databricks says the run, cluster or path does not exist (retention expired, deleted, never there). */
export function isResourceGone (err: unknown): boolean {
  if (!(err instanceof UpstreamError)) return false
  if (err.code === 'RESOURCE_DOES_NOT_EXIST') return true
  // an unknown endpoint is a configuration problem, not a missing resource
  if (err.status === 404) return err.code !== 'ENDPOINT_NOT_FOUND' && err.code !== 'NOT_FOUND_ENDPOINT'
  // As the Databricks SDKs' generated error overrides map them to ResourceDoesNotExist (databricks-sdk-go
  // apierr/error_overrides.go, databricks-sdk-java core/error/ErrorOverrides.java): 400 INVALID_PARAMETER_VALUE
  // "Cluster … does not exist" (clusters/get), "Job … does not exist" (jobs/get), and "Run … does not exist" or
  // "Run: … in job: … doesn't exist" (jobs/runs/get).
  return err.status === 400 && err.code === 'INVALID_PARAMETER_VALUE' && /\b(does not|doesn't) exist\b/i.test(err.upstreamMessage ?? '')
}

/** Creates the Databricks client; its pool is bound to the workspace origin, so the token cannot go elsewhere. */
export function createDatabricksClient (opts: DatabricksClientOptions): DatabricksClient {
  const base = new URL(opts.host)
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('DATABRICKS_HOST must be an http(s) URL')
  const http: HttpClient = createHttpClient({
    network: opts.network,
    name: 'Databricks',
    baseUrl: base.origin,
    token: opts.token,
    timeoutMs: opts.timeoutMs,
    retries: opts.retries ?? 5,
    baseDelayMs: opts.baseDelayMs,
    connections: opts.connections ?? 8,
    // spark_context_id comes as a bare number beyond 2^53 in clusters/get
    quoteBigInts: true,
    log: opts.log
  })

  // 2.2 pages the tasks array; a workspace (or proxy) without it gets 2.1, which sends every task at once
  let runsApi: '2.2' | '2.1' = '2.2'
  async function getRunPage (runId: string, pageToken: string | null, signal?: AbortSignal): Promise<unknown> {
    const query = { run_id: runId, page_token: pageToken ?? undefined }
    try {
      return await http.getJson(`/api/${runsApi}/jobs/runs/get`, { query, signal })
    } catch (err) {
      if (runsApi === '2.2' && pageToken === null && err instanceof UpstreamError && err.status === 404 && !isResourceGone(err)) {
        runsApi = '2.1'
        return await http.getJson('/api/2.1/jobs/runs/get', { query, signal })
      }
      throw err
    }
  }

  async function getRun (runId: string, o: { signal?: AbortSignal } = {}): Promise<DbxRun> {
    const first = await getRunPage(runId, null, o.signal)
    const run = parseRun(first, runId)
    let token = str(obj(first)?.next_page_token)
    const seen = new Set<string>()
    while (token !== null && run.pages < MAX_TASK_PAGES && !seen.has(token)) {
      seen.add(token)
      const p = obj(await getRunPage(runId, token, o.signal)) ?? {}
      run.tasks.push(...arr(p.tasks).map(parseTask))
      run.clusterSpecs.push(...specHints({ job_clusters: p.job_clusters, tasks: p.tasks }))
      run.pages++
      token = str(p.next_page_token)
    }
    return run
  }

  async function clusterEvents (clusterId: string, window: { startTime: number, endTime: number }, o: { signal?: AbortSignal, maxPages?: number, pageSize?: number } = {}): Promise<DbxEventsResult> {
    const maxPages = o.maxPages ?? DEFAULT_EVENT_PAGES
    const limit = Math.min(EVENTS_PAGE_SIZE, o.pageSize ?? EVENTS_PAGE_SIZE)
    let body: Obj = { cluster_id: clusterId, start_time: Math.floor(window.startTime), end_time: Math.ceil(window.endTime), order: 'ASC', limit, offset: 0 }
    const events: DbxEvent[] = []
    let pages = 0
    for (;;) {
      const res = obj(await http.postJson('/api/2.1/clusters/events', { body, idempotent: true, signal: o.signal })) ?? {}
      pages++
      for (const e of arr(res.events)) {
        const ev = parseEvent(e)
        if (ev !== null) events.push(ev)
      }
      const next = obj(res.next_page)
      const token = str(res.next_page_token)
      const last = events[events.length - 1]
      const covered = last !== undefined && last.timestamp >= window.endTime
      if ((next === null && token === null) || covered || arr(res.events).length === 0) break
      if (pages >= maxPages) return { events: sortEvents(events), pages, truncated: true }
      // next_page is a complete request body; the token form needs the filters repeated
      body = next !== null ? { ...next, cluster_id: clusterId } : { cluster_id: clusterId, start_time: body.start_time, end_time: body.end_time, order: 'ASC', page_size: limit, page_token: token }
    }
    return { events: sortEvents(events), pages, truncated: false }
  }

  async function filesList (path: string, o: { signal?: AbortSignal, pageSize?: number } = {}): Promise<DbfsFileInfo[]> {
    const url = filesApiPath('directories', path)
    const out: DbfsFileInfo[] = []
    const seen = new Set<string>()
    let token: string | null = null
    try {
      for (let page = 0; page < MAX_DIRECTORY_PAGES; page++) {
        const query = { page_size: o.pageSize === undefined ? undefined : Math.max(1, Math.min(FILES_MAX_PAGE, o.pageSize)), page_token: token ?? undefined }
        const body = obj(await http.getJson(url, { query, signal: o.signal }))
        for (const e of arr(body?.contents)) {
          const f = parseDirectoryEntry(e)
          if (f !== null) out.push(f)
        }
        // the entry count never ends a listing; only a missing token does (a repeated token would loop for ever)
        token = str(body?.next_page_token)
        if (token === null || seen.has(token)) return out
        seen.add(token)
      }
    } catch (err) {
      throw volumeError(err, path)
    }
    throw new UpstreamError({ upstream: 'Databricks', kind: 'malformed', message: `Databricks GET /api/2.0/fs/directories${path}: still paging after ${MAX_DIRECTORY_PAGES} pages` })
  }

  async function filesGetMetadata (path: string, o: { signal?: AbortSignal } = {}): Promise<VolumeFileMetadata> {
    let headers
    try {
      headers = await http.head(filesApiPath('files', path), { signal: o.signal })
    } catch (err) {
      throw volumeError(err, path)
    }
    const size = Number(header(headers, 'content-length'))
    const lastModified = header(headers, 'last-modified')
    const mtime = lastModified === null ? Number.NaN : Date.parse(lastModified)
    if (!Number.isSafeInteger(size) || size < 0) throw new UpstreamError({ upstream: 'Databricks', kind: 'malformed', message: `Databricks HEAD /api/2.0/fs/files${path}: no usable content-length (${String(header(headers, 'content-length'))})` })
    return { size, modificationTime: Number.isNaN(mtime) ? null : mtime, lastModified }
  }

  async function filesReadTo (path: string, offset: number, length: number, write: (piece: Buffer) => Promise<void>, o: { signal?: AbortSignal, ifUnmodifiedSince?: string | null } = {}): Promise<number> {
    const apiPath = filesApiPath('files', path)
    try {
      return await rangedGet(http, { path: apiPath, offset, length, headers: o.ifUnmodifiedSince != null ? { 'if-unmodified-since': o.ifUnmodifiedSince } : {}, signal: o.signal, upstream: 'Databricks', what: `Databricks GET /api/2.0/fs/files${path}` }, write)
    } catch (err) {
      // past the end: nothing there (the caller compares with the size it expects)
      if (err instanceof UpstreamError && err.status === 416) return 0
      if (err instanceof UpstreamError && err.status === 412) throw new FileChanged(`${path} changed on the volume during the download (it was modified after ${o.ifUnmodifiedSince ?? 'the download began'}); download it again.`)
      throw volumeError(err, path)
    }
  }

  async function filesRead (path: string, offset: number, length: number, o: { signal?: AbortSignal, ifUnmodifiedSince?: string | null } = {}): Promise<Buffer> {
    const pieces: Buffer[] = []
    await filesReadTo(path, offset, length, async (p) => { pieces.push(p) }, o)
    return Buffer.concat(pieces)
  }

  return {
    host: base.origin,
    filesList,
    filesGetMetadata,
    filesRead,
    filesReadTo,
    getRun,
    async getCluster (clusterId, o = {}) {
      return parseCluster(await http.getJson('/api/2.1/clusters/get', { query: { cluster_id: clusterId }, signal: o.signal }), clusterId)
    },
    clusterEvents,
    async dbfsList (path, o = {}) {
      const body = obj(await http.getJson('/api/2.0/dbfs/list', { query: { path: dbfsApiPath(path) }, signal: o.signal }))
      // an empty directory has no `files` key at all
      return arr(body?.files).map(parseFileInfo).filter((f): f is DbfsFileInfo => f !== null)
    },
    async dbfsGetStatus (path, o = {}) {
      const body = await http.getJson('/api/2.0/dbfs/get-status', { query: { path: dbfsApiPath(path) }, signal: o.signal })
      const info = parseFileInfo(body)
      if (info === null) throw new UpstreamError({ upstream: 'Databricks', kind: 'malformed', message: `Databricks GET /api/2.0/dbfs/get-status: no file info for ${dbfsApiPath(path)}` })
      return info
    },
    async dbfsRead (path, offset, length, o = {}) {
      if (length > DBFS_MAX_READ) throw new RangeError(`DBFS reads are capped at ${DBFS_MAX_READ} bytes`)
      // the chunk in base64 (4 bytes per 3) plus the JSON around it: a bigger answer is not a read of this chunk
      const maxBytes = Math.ceil(length / 3) * 4 + 4096
      const body = obj(await http.getJson('/api/2.0/dbfs/read', { query: { path: dbfsApiPath(path), offset, length }, signal: o.signal, timeoutMs: o.timeoutMs, quoteBigInts: false, maxBytes }))
      const data = typeof body?.data === 'string' ? body.data : ''
      const buf = Buffer.from(data, 'base64')
      const declared = num(body?.bytes_read)
      if (declared !== null && declared !== buf.length) {
        throw new UpstreamError({ upstream: 'Databricks', kind: 'malformed', message: `Databricks GET /api/2.0/dbfs/read: bytes_read says ${declared} but the data holds ${buf.length} bytes` })
      }
      return buf
    },
    close: async () => { await http.close() }
  }
}

function sortEvents (events: DbxEvent[]): DbxEvent[] {
  // stable: equal timestamps keep the upstream order
  return events.map((e, i) => ({ e, i })).sort((a, b) => a.e.timestamp - b.e.timestamp || a.i - b.i).map((x) => x.e)
}
