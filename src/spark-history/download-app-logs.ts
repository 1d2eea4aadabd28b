import type { Logger } from 'pino'
import { UpstreamError } from '../http/upstream-error.js'
import { fromRanges, type DownloadState, type EventLogFiles, type EventLogManifest, type PartialFile } from '../store/eventlog-files.js'
import { HISTORY_SERVER, type SparkHistoryClient } from './history-client.js'

/*
 * The History Server hands an application's event log out as one zip (/applications/<id>[/<attempt>]/logs). It is
 * streamed into `<name>.partial` in order; the synced length is checkpointed in the folder's download state (in
 * whole MiB, so the numbers on the page and a killed process agree), and a later attempt asks for the rest with
 * Range + If-Range. A server that ignores Range (Spark's own answers 200 with the whole zip) simply starts over.
 * The zip is kept as it came: the analyser reads its member in place.
 */

const STATE_SCHEMA = 1
const UNIT = 1024 * 1024
/** in-process retries of a broken stream (each resumes when the server allows it) */
const STREAM_RETRIES = 3

export interface AppLogProgress {
  bytesDone: number
  /** null while the server has not said (chunked answers) */
  bytesTotal: number | null
  partsDone: number
  partsTotal: number
  /** where this call started from (0, or the resumed offset) */
  resumedFrom: number
}

export interface AppLogDownloadOptions {
  client: Pick<SparkHistoryClient, 'downloadLogs'>
  appId: string
  attemptId: string | null
  files: EventLogFiles
  /** shown in the manifest as the source */
  origin: string
  signal?: AbortSignal
  onProgress?: (p: AppLogProgress) => void
  checkpointMs?: number
  log?: Logger
}

/** The file name the zip of an application (attempt) is kept under. */
export function appLogName (appId: string, attemptId: string | null): string {
  return `${appId}${attemptId === null ? '' : `_${attemptId}`}.zip`
}

const header = (h: Record<string, string | string[] | undefined>, name: string): string | null => {
  const v = h[name]
  return (Array.isArray(v) ? v[0] : v) ?? null
}

/** `bytes 100-199/2000` -> { start: 100, total: 2000 } (total null for `*`). */
export function parseContentRange (v: string | null): { start: number, total: number | null } | null {
  const m = v === null ? null : /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(v.trim())
  if (m === null) return null
  return { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) }
}

async function drain (body: AsyncIterable<Buffer>): Promise<void> {
  const it = body[Symbol.asyncIterator]()
  while (!(await it.next()).done) { /* discard */ }
}

const isTransient = (err: unknown): boolean => err instanceof UpstreamError && (err.kind === 'network' || err.kind === 'timeout')

/** Downloads an application's log zip into the run's folder (resumable, cancellable) and writes manifest.json. */
export async function downloadAppLogs (opts: AppLogDownloadOptions): Promise<EventLogManifest> {
  const { client, files } = opts
  const name = appLogName(opts.appId, opts.attemptId)
  const path = `/applications/${opts.appId}${opts.attemptId === null ? '' : `/${opts.attemptId}`}/logs`
  await files.partSize(name) // validates the name before anything is fetched
  const checkpointMs = opts.checkpointMs ?? 500

  let saved: DownloadState | null = null
  try {
    saved = await files.readState()
  } catch (err) {
    opts.log?.warn({ dir: files.dir, err: (err as Error).message }, 'ignoring an unreadable download state; starting over')
  }
  const prev = saved?.chunkSize === UNIT ? saved.parts[name] : undefined
  let synced = 0
  if (prev !== undefined && !prev.done && prev.path === path) {
    const claimed = fromRanges(prev.completed, Math.ceil(Math.max(prev.size, 0) / UNIT) + 1)
    let units = 0
    while (claimed.has(units)) units++
    synced = Math.min(units * UNIT, (await files.partialSize(name)) ?? 0)
  }
  const state: DownloadState = { schemaVersion: STATE_SCHEMA, chunkSize: UNIT, parts: {} }
  let validator = prev?.validator ?? null
  let mtime: number | null = prev?.modificationTime ?? null
  let total: number | null = prev !== undefined && prev.size > 0 ? prev.size : null
  let pos = synced
  const progress = (): AppLogProgress => ({ bytesDone: pos, bytesTotal: total, partsDone: 0, partsTotal: 1, resumedFrom: synced })

  const checkpoint = async (fh: PartialFile): Promise<void> => {
    await fh.datasync()
    const units = Math.floor(pos / UNIT)
    state.parts[name] = { path, size: total ?? pos, modificationTime: mtime, completed: units === 0 ? [] : [[0, units]], done: false, validator }
    await files.writeState(state)
  }

  const aborted = (): boolean => opts.signal?.aborted === true
  for (let attempt = 0; ; attempt++) {
    if (aborted()) throw new UpstreamError({ upstream: HISTORY_SERVER, kind: 'aborted', message: 'download cancelled' })
    const from = pos
    const res = await client.downloadLogs(opts.appId, opts.attemptId, { offset: from, ifRange: validator, signal: opts.signal })
    let start = 0
    if (res.status === 206) {
      const range = parseContentRange(header(res.headers, 'content-range'))
      if (range === null || range.start !== from) {
        // an answer we cannot splice: drop it and ask for the whole file
        await drain(res.body)
        pos = 0
        synced = 0
        validator = null
        if (attempt >= STREAM_RETRIES) throw new UpstreamError({ upstream: HISTORY_SERVER, kind: 'malformed', message: `${HISTORY_SERVER} answered a range that does not continue the download` })
        continue
      }
      start = from
      total = range.total
    } else {
      const len = Number(header(res.headers, 'content-length'))
      total = Number.isFinite(len) && len >= 0 && header(res.headers, 'content-length') !== null ? len : null
    }
    pos = start
    if (start === 0) synced = 0
    validator = header(res.headers, 'etag') ?? header(res.headers, 'last-modified') ?? null
    const lm = Date.parse(header(res.headers, 'last-modified') ?? '')
    mtime = Number.isFinite(lm) ? lm : null
    const fh = await files.openPartial(name, start)
    let lastCheckpoint = Date.now()
    try {
      opts.onProgress?.(progress())
      for await (const chunk of res.body) {
        await fh.write(chunk, pos)
        pos += chunk.length
        opts.onProgress?.(progress())
        if (Date.now() - lastCheckpoint >= checkpointMs) {
          lastCheckpoint = Date.now()
          await checkpoint(fh)
        }
      }
      if (total !== null && pos !== total) throw new UpstreamError({ upstream: HISTORY_SERVER, kind: 'network', message: `${HISTORY_SERVER} ended the log at ${pos} of ${total} bytes` })
      await fh.datasync()
    } catch (err) {
      await checkpoint(fh).catch(() => {})
      await fh.close().catch(() => {})
      if (aborted() || !isTransient(err) || attempt >= STREAM_RETRIES) throw err
      opts.log?.warn({ appId: opts.appId, at: pos, err: (err as Error).message }, 'History Server log download broke off; resuming')
      continue
    }
    await fh.close()
    break
  }

  if (pos === 0) throw new UpstreamError({ upstream: HISTORY_SERVER, kind: 'malformed', message: `${HISTORY_SERVER} sent an empty log for ${opts.appId}` })
  await files.completePart(name, mtime)
  const manifest: EventLogManifest = {
    schemaVersion: 1,
    source: { destination: opts.origin, folder: opts.appId, clusterId: null, sparkContextId: opts.attemptId },
    parts: [{ name, dbfsPath: path, size: pos, modificationTime: mtime }],
    totalBytes: pos,
    completedAt: new Date().toISOString()
  }
  await files.writeManifest(manifest)
  await files.removeState()
  opts.onProgress?.({ ...progress(), partsDone: 1, bytesTotal: pos })
  return manifest
}
