import type { DatabricksClient, DbfsFileInfo, DbxLogConf } from './databricks-client.js'
import { dbfsApiPath, isResourceGone, volumePath } from './databricks-client.js'
import { UpstreamError } from '../http/upstream-error.js'
import type { LogPart } from '../log-sources/log-source.js'
import { listS3Folder } from '../log-sources/s3-source.js'
import { parseS3Uri, type S3Client, type S3Place } from '../s3/s3-client.js'

/*
 * Where a run's Spark event log is (api-databricks.md §6), on DBFS or on a Unity Catalog volume:
 *   <dest>/<cluster_id>/eventlog/<cluster_id>_<driver ip>/<spark_context_id>/eventlog[-YYYY-MM-DD--HH-MM.gz]
 * The destination is the cluster's cluster_log_conf, else the workspace's default root (AAC writes there). DBFS
 * destinations are listed with the DBFS API, /Volumes/... ones with the Files API (as the Databricks SDKs route
 * them), page after page; s3:// ones with S3's ListObjectsV2 (the "/" delimiter makes folders of key prefixes). A destination that cannot be reached (legacy DBFS disabled in the workspace, no grant on
 * the volume) is said so, with what to do, rather than taken for a missing log. The
 * driver-ip level has one folder per driver (restarts add folders), so the folders are listed rather than built
 * from the cluster's current driver IP, which is gone after termination anyway.
 */

/** What locate needs about the run; everything may come from the cached drill-down when Databricks forgot the run. */
export interface LocateInput {
  clusterId: string | null
  /** the run's spark_context_id (from runs/get), when known */
  sparkContextId: string | null
  logConf: DbxLogConf | null
  /** DBFS_LOG_ROOT, e.g. dbfs:/trifacta/logs or /Volumes/main/ops/cluster_logs */
  defaultRoot: string
  /** epoch ms the run ended; null while it runs */
  endedAt: number | null
  /** Databricks no longer knows the run (runs/get said RESOURCE_DOES_NOT_EXIST) */
  runGone?: boolean
  now?: number
}

/** A part's path is the DBFS API path (no dbfs: prefix), or the /Volumes/... path of a volume. */
export type EventLogPart = LogPart

export type NotFoundReason = 'no-cluster' | 'unsupported-destination' | 'no-delivery' | 'not-yet' | 'expired' | 'empty' |
  /** the destination exists but cannot be read: DBFS disabled in the workspace, no grant on the volume */
  'unreachable'

/** Which API reads the destination. */
export type LogStoreKind = 'dbfs' | 'volume' | 's3'

export type LocateResult =
  | {
    kind: 'found'
    /** the API the parts are read with */
    store: LogStoreKind
    /** the destination the log was found under: dbfs:/... or /Volumes/... */
    destination: string
    destinationSource: 'cluster_log_conf' | 'default root'
    /** the <cluster_id>_<ip>/<spark_context_id> folder (DBFS API path, or the volume path) */
    folder: string
    /** false when the run's context id was unknown or not among the folders (newest folder taken instead) */
    contextMatched: boolean
    /** how many <cluster_id>_<ip> driver folders the cluster has */
    driverFolders: number
    parts: EventLogPart[]
    totalBytes: number
    /** s3 only: the bucket and how to reach it (parts' paths are its keys) */
    s3Place?: S3Place
  }
  | { kind: 'not-found', reason: NotFoundReason, message: string, hint: string, looked: string[] }

/** Minutes after a run's end during which a missing log is "not delivered yet" (delivery runs every 5 minutes). */
export const DELIVERY_GRACE_MS = 20 * 60_000
/** Databricks keeps runs ~60 days; logs older than that are taken as expired when the run is gone too. */
export const RETENTION_MS = 60 * 24 * 3600_000

const DATED = /^eventlog-(\d{4}-\d{2}-\d{2}--\d{2}-\d{2})(?:\.gz)?$/
const PART_NAME = /^eventlog(?:[-.][A-Za-z0-9._-]{1,100})?$/

/** Event log part files of a folder, in Databricks' order: rolled parts oldest first (by the date in the name), `eventlog` last. */
export function orderParts (files: DbfsFileInfo[]): EventLogPart[] {
  const parts = files
    .filter((f) => !f.isDir)
    .map((f) => ({ name: basename(f.path), path: f.path, size: f.fileSize, modificationTime: f.modificationTime }))
    .filter((p) => PART_NAME.test(p.name) && !p.name.endsWith('.partial'))
  const rank = (n: string): [number, string] => {
    if (n === 'eventlog') return [2, '']
    const m = DATED.exec(n)
    return m !== null ? [0, m[1]!] : [1, n]
  }
  return parts.sort((a, b) => {
    const [ra, ka] = rank(a.name)
    const [rb, kb] = rank(b.name)
    return ra - rb || (ka < kb ? -1 : ka > kb ? 1 : 0) || (a.name < b.name ? -1 : 1)
  })
}

function basename (p: string): string {
  return p.slice(p.lastIndexOf('/') + 1)
}

/** Databricks' answer when legacy DBFS (root and mounts) is disabled in the workspace: 403 "Public DBFS root is disabled" (DBFS_DISABLED). */
export function isDbfsDisabled (err: unknown): boolean {
  if (!(err instanceof UpstreamError)) return false
  if (err.code === 'DBFS_DISABLED') return true
  return (err.status === 403 || err.status === 400) && /DBFS_DISABLED|DBFS root is disabled|DBFS (?:root )?(?:access )?(?:is )?disabled/i.test(`${err.upstreamMessage ?? ''} ${err.message}`)
}

/** A destination that answers, but not to us. */
class Unreachable extends Error {
  constructor (readonly why: 'dbfs-disabled' | 'denied' | 's3', readonly detail: string) {
    super(detail)
  }
}

interface Store {
  kind: LogStoreKind
  /** the destination as shown (dbfs:/a/b, /Volumes/c/s/v/x) */
  display: (apiPath: string) => string
  /** the directory's entries, or null when it does not exist */
  list: (path: string, signal?: AbortSignal) => Promise<DbfsFileInfo[] | null>
}

/** An S3 destination: folders are key prefixes; a refusal (credentials, permissions, no such bucket) is unreachable. */
function s3Store (s3: Pick<S3Client, 'list'>, place: S3Place): Store {
  return {
    kind: 's3',
    display: (p) => `s3://${place.bucket}/${p}`,
    async list (path, signal) {
      try {
        return await listS3Folder(s3, place, path, signal)
      } catch (err) {
        if (err instanceof UpstreamError && (err.kind === 'auth' || err.kind === 'config' || err.kind === 'not-found')) throw new Unreachable('s3', err.message)
        throw err
      }
    }
  }
}

function storeOf (client: DatabricksClient, kind: 'dbfs' | 'volume', pageSize?: number): Store {
  return {
    kind,
    display: (p) => (kind === 'dbfs' ? `dbfs:${p}` : p),
    async list (path, signal) {
      try {
        return kind === 'dbfs' ? await client.dbfsList(path, { signal }) : await client.filesList(path, { signal, pageSize })
      } catch (err) {
        if (isResourceGone(err)) return null
        if (kind === 'dbfs' && isDbfsDisabled(err)) throw new Unreachable('dbfs-disabled', (err as UpstreamError).upstreamMessage ?? (err as Error).message)
        if (kind === 'volume' && err instanceof UpstreamError && err.status === 403) throw new Unreachable('denied', err.message)
        throw err
      }
    }
  }
}

/** The destination to look in and the API that reads it; a string when it is unusable (why). */
function destinationOf (conf: DbxLogConf | null, defaultRoot: string): { kind: LogStoreKind, root: string, source: 'cluster_log_conf' | 'default root', place?: S3Place } | string {
  const raw = conf?.destination ?? defaultRoot
  const source = conf !== null ? 'cluster_log_conf' as const : 'default root' as const
  if (conf?.kind === 's3') {
    const uri = parseS3Uri(raw)
    if (uri === null) return `The cluster's cluster_log_conf.s3 destination ${JSON.stringify(raw.slice(0, 200))} is not an s3://<bucket>/<prefix> URI.`
    return { kind: 's3', root: uri.prefix, source, place: { bucket: uri.bucket, region: conf.region ?? null, endpoint: conf.endpoint ?? null } }
  }
  const asVolume = volumePath(raw)
  if (conf?.kind === 'volumes' && asVolume === null) return `The cluster's cluster_log_conf.volumes destination ${JSON.stringify(raw.slice(0, 200))} is not a /Volumes/<catalog>/<schema>/<volume>/... path.`
  if (asVolume !== null) return { kind: 'volume', root: asVolume, source }
  if (/^\/?Volumes(\/|$)/.test(raw.replace(/^dbfs:/, ''))) return `The log destination ${JSON.stringify(raw.slice(0, 200))} is not a valid /Volumes/<catalog>/<schema>/<volume>/... path.`
  return { kind: 'dbfs', root: dbfsApiPath(raw), source }
}

const UPLOAD_HINT = 'or download the event log yourself and upload it on the run page'

/** Finds the run's event log folder and its parts, or says why there is none and what to do. */
export async function locateEventLog (client: DatabricksClient, input: LocateInput, opts: LocateOptions = {}): Promise<LocateResult> {
  const looked: string[] = []
  try {
    return await locateIn(client, input, looked, opts)
  } catch (err) {
    if (!(err instanceof Unreachable)) throw err
    const where = looked[looked.length - 1] ?? input.defaultRoot
    const fromConf = input.logConf !== null
    const hint = fromConf
      ? `Point the job cluster's cluster_log_conf at a Unity Catalog volume (/Volumes/<catalog>/<schema>/<volume>/...) or S3, ${UPLOAD_HINT}.`
      : `Set DBFS_LOG_ROOT to where the logs are, or give the job cluster a cluster_log_conf that delivers to a Unity Catalog volume (/Volumes/<catalog>/<schema>/<volume>/...) or S3, ${UPLOAD_HINT}.`
    if (err.why === 's3') {
      return { kind: 'not-found', reason: 'unreachable', looked, hint: `Fix what the message says (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION in .env or on the settings page, or the cluster's cluster_log_conf.s3), ${UPLOAD_HINT}.`, message: `The log destination ${where} cannot be read: ${err.detail}` }
    }
    if (err.why === 'dbfs-disabled') {
      return { kind: 'not-found', reason: 'unreachable', looked, hint, message: `The log destination ${where} (${fromConf ? 'the cluster\'s cluster_log_conf' : 'the default root, DBFS_LOG_ROOT'}) is on DBFS, and legacy DBFS is disabled in this workspace: Databricks answered "${err.detail.slice(0, 200)}". No other destination is configured for this cluster.` }
    }
    return { kind: 'not-found', reason: 'unreachable', looked, hint: `Ask a workspace admin for the grant, ${UPLOAD_HINT}.`, message: err.detail }
  }
}

/** How the destinations are reached beyond Databricks itself. */
export interface LocateOptions {
  signal?: AbortSignal
  pageSize?: number
  /** reads s3:// destinations; without it they are unsupported */
  s3?: Pick<S3Client, 'list'> | null
}

async function locateIn (client: DatabricksClient, input: LocateInput, looked: string[], opts: LocateOptions): Promise<LocateResult> {
  const now = input.now ?? Date.now()
  const notFound = (reason: NotFoundReason, message: string, hint: string): LocateResult => ({ kind: 'not-found', reason, message, hint, looked })
  const { clusterId } = input
  if (clusterId === null) {
    return notFound('no-cluster', 'Databricks reports no cluster for this run (it never started, or it ran on serverless compute, which has no log delivery).', 'Nothing to download for this run.')
  }
  const conf = input.logConf
  const s3 = opts.s3 ?? null
  if (conf !== null && conf.kind !== 'dbfs' && conf.kind !== 'volumes' && !(conf.kind === 's3' && s3 !== null)) {
    const where = conf.destination ?? conf.kind
    return notFound('unsupported-destination', `The cluster delivers its logs to ${where} (${conf.kind}), which Tri-Tracker cannot read through Databricks.`, conf.kind === 's3' ? 'Copy the event log from the S3 bucket yourself and upload it on the run page, or point cluster_log_conf at a dbfs:/ or /Volumes/ destination.' : `Point cluster_log_conf at a dbfs:/ or /Volumes/ destination, ${UPLOAD_HINT}.`)
  }
  const dest = destinationOf(conf, input.defaultRoot)
  if (typeof dest === 'string') return notFound('unsupported-destination', dest, `Fix cluster_log_conf (or DBFS_LOG_ROOT), ${UPLOAD_HINT}.`)
  const s3Place = dest.place
  const store = dest.kind !== 's3' ? storeOf(client, dest.kind, opts.pageSize) : s3 !== null && s3Place !== undefined ? s3Store(s3, s3Place) : null
  if (store === null) return notFound('unsupported-destination', `The cluster delivers its logs to ${conf?.destination ?? 'S3'}, which needs an S3 client.`, UPLOAD_HINT)
  const storeKind = store.kind
  const fromConf = conf?.destination ?? null
  const destination = store.display(dest.root)
  const destinationSource = dest.source
  // an S3 destination at the bucket's root has no prefix: its keys start with the cluster id
  const clusterDir = dest.root === '' ? clusterId : `${dest.root}/${clusterId}`
  const eventlogDir = `${clusterDir}/eventlog`
  const shown = store.display
  looked.push(shown(eventlogDir))

  const running = input.endedAt === null
  const sinceEnd = input.endedAt === null ? 0 : now - input.endedAt
  const drivers = (await store.list(eventlogDir, opts.signal))?.filter((f) => f.isDir) ?? null

  if (drivers === null || drivers.length === 0) {
    if (running || sinceEnd < DELIVERY_GRACE_MS) {
      return notFound('not-yet', running
        ? `The run is still going and no event log has been delivered to ${destination}/${clusterId}/eventlog yet.`
        : `No event log has been delivered to ${destination}/${clusterId}/eventlog yet; the run ended ${Math.max(1, Math.round(sinceEnd / 60_000))} min ago.`,
      'Databricks delivers cluster logs every 5 minutes: retry in a few minutes.')
    }
    if (input.runGone === true || sinceEnd > RETENTION_MS) {
      return notFound('expired', `Nothing is left under ${destination}/${clusterId}/eventlog, and the run is older than Databricks' retention (about 60 days).`, 'The event log has been cleaned up; it cannot be downloaded any more.')
    }
    if (drivers !== null) {
      return notFound('empty', `The event log folder ${destination}/${clusterId}/eventlog is there but empty.`, 'The driver may have died before writing its log, or the files were removed; check the cluster events and driver logs.')
    }
    const clusterFolder = await store.list(clusterDir, opts.signal)
    if (clusterFolder === null) {
      return fromConf === null
        ? notFound('no-delivery', `The cluster has no cluster_log_conf and nothing was delivered under the default root ${destination}.`, 'Turn on log delivery (cluster_log_conf with a dbfs:/ or /Volumes/ destination) in the job cluster spec, then re-run the job.')
        : notFound('no-delivery', `Log delivery is configured to ${destination}, but nothing arrived there for cluster ${clusterId}.`, 'Check cluster_log_status on the cluster for delivery errors and the permissions on the destination.')
    }
    return notFound('not-yet', `The cluster's logs are delivered to ${destination}/${clusterId}, but its event log is not there yet.`, 'Retry in a few minutes; if it never appears, check cluster_log_status on the cluster for delivery errors.')
  }

  // <cluster_id>_<ip> folders, each holding one folder per Spark context
  const contexts: Array<{ folder: string, name: string }> = []
  for (const d of drivers.sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const children = (await store.list(d.path, opts.signal)) ?? []
    for (const c of children) if (c.isDir) contexts.push({ folder: c.path, name: basename(c.path) })
  }
  const wanted = input.sparkContextId
  const match = wanted === null ? undefined : contexts.find((c) => c.name === wanted)
  if (match !== undefined) {
    looked.push(shown(match.folder))
    const parts = orderParts((await store.list(match.folder, opts.signal)) ?? [])
    if (parts.length === 0) {
      return notFound(running || sinceEnd < DELIVERY_GRACE_MS ? 'not-yet' : 'empty', `The run's event log folder ${shown(match.folder)} is there but holds no event log file.`,
        running || sinceEnd < DELIVERY_GRACE_MS ? 'Retry in a few minutes: delivery runs every 5 minutes.' : 'The driver may have died before writing its log, or the files were removed; check the cluster events and driver logs.')
    }
    return found(match.folder, true, parts)
  }
  // context unknown, or not among the folders: the newest folder that has parts
  let best: { folder: string, parts: EventLogPart[], newest: number } | null = null
  for (const c of contexts) {
    looked.push(shown(c.folder))
    const parts = orderParts((await store.list(c.folder, opts.signal)) ?? [])
    if (parts.length === 0) continue
    const newest = Math.max(...parts.map((p) => p.modificationTime ?? 0))
    if (best === null || newest > best.newest) best = { folder: c.folder, parts, newest }
  }
  if (best === null) {
    const recent = running || sinceEnd < DELIVERY_GRACE_MS
    return notFound(recent ? 'not-yet' : 'empty', `The event log folders under ${destination}/${clusterId}/eventlog hold no event log file.`,
      recent ? 'Retry in a few minutes: delivery runs every 5 minutes.' : 'The driver may have died before writing its log, or the files were removed.')
  }
  return found(best.folder, false, best.parts)

  function found (folder: string, contextMatched: boolean, parts: EventLogPart[]): LocateResult {
    return { kind: 'found', store: storeKind, destination, destinationSource, folder, contextMatched, driverFolders: drivers?.length ?? 0, parts, totalBytes: parts.reduce((s, p) => s + p.size, 0), ...(s3Place !== undefined ? { s3Place } : {}) }
  }
}
