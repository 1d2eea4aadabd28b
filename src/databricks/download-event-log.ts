import { open, rename, rm, stat, utimes, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { DatabricksClient } from './databricks-client.js'
import { DBFS_MAX_READ, isResourceGone } from './databricks-client.js'
import { UpstreamError } from '../http/upstream-error.js'
import { readJsonFile, writeJsonFile } from '../store/json-file.js'
import { validateSegment } from '../store/flow-dir-name.js'
import type { EventLogPart } from './locate-event-log.js'

/*
 * DBFS hands out at most 1 MiB per call, base64 in JSON, so a 200 MB log is 200 round trips: they run a few at a
 * time (bounded: Databricks rate-limits DBFS per workspace) and each chunk is written at its offset into a
 * preallocated `<part>.partial`, so memory stays at `concurrency` chunks whatever the file size. Completed chunk
 * ranges are checkpointed in `download-state.json` (after an fdatasync of the data they describe), so a killed
 * process resumes where it was; a part is renamed to its Databricks name only once complete and size-checked.
 */

export const STATE_FILE = 'download-state.json'
export const MANIFEST_FILE = 'manifest.json'
const STATE_SCHEMA = 1
const MANIFEST_SCHEMA = 1

export interface DownloadProgress {
  bytesDone: number
  bytesTotal: number
  partsDone: number
  partsTotal: number
  /** chunks fetched by this call (not counting resumed ones) */
  chunksRead: number
  chunksSkipped: number
}

export interface ManifestPart {
  name: string
  dbfsPath: string
  size: number
  /** DBFS modification_time, epoch ms */
  modificationTime: number | null
}

/** manifest.json beside the parts: what was downloaded from where. */
export interface EventLogManifest {
  schemaVersion: 1
  source: { destination: string | null, folder: string | null, clusterId: string | null, sparkContextId: string | null }
  parts: ManifestPart[]
  totalBytes: number
  completedAt: string
}

export interface DownloadOptions {
  client: Pick<DatabricksClient, 'dbfsRead' | 'dbfsGetStatus'>
  parts: EventLogPart[]
  /** the run's event log folder (from the store); created by the caller */
  dir: string
  source?: Partial<EventLogManifest['source']>
  /** parallel chunk reads (default 6) */
  concurrency?: number
  /** bytes per read, at most 1 MiB (default 1 MiB) */
  chunkSize?: number
  signal?: AbortSignal
  onProgress?: (p: DownloadProgress) => void
  /** how often completed chunks are checkpointed (default 500 ms) */
  checkpointMs?: number
  log?: Logger
}

interface PartState {
  path: string
  size: number
  modificationTime: number | null
  /** completed chunk index ranges [from, to) */
  completed: Array<[number, number]>
  done: boolean
}

interface StateFile {
  schemaVersion: number
  chunkSize: number
  parts: Record<string, PartState>
}

/** [0,1,2,5] -> [[0,3],[5,6]] */
export function toRanges (indexes: Iterable<number>): Array<[number, number]> {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b)
  const out: Array<[number, number]> = []
  for (const i of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && last[1] === i) last[1] = i + 1
    else out.push([i, i + 1])
  }
  return out
}

function fromRanges (ranges: unknown, max: number): Set<number> {
  const s = new Set<number>()
  if (!Array.isArray(ranges)) return s
  for (const r of ranges) {
    if (!Array.isArray(r) || typeof r[0] !== 'number' || typeof r[1] !== 'number') continue
    for (let i = Math.max(0, r[0]); i < Math.min(max, r[1]); i++) s.add(i)
  }
  return s
}

function validateState (v: unknown): string | null {
  const o = v as Partial<StateFile>
  if (typeof o.chunkSize !== 'number' || typeof o.parts !== 'object' || o.parts === null) return 'not a download state'
  return null
}

function validateManifest (v: unknown): string | null {
  const o = v as Partial<EventLogManifest>
  if (!Array.isArray(o.parts) || typeof o.completedAt !== 'string') return 'not an event log manifest'
  return null
}

/** The manifest of a finished download in `dir`, or null (none, or unreadable). */
export async function readManifest (dir: string): Promise<EventLogManifest | null> {
  try {
    return await readJsonFile<EventLogManifest>(join(dir, MANIFEST_FILE), { schemaVersion: MANIFEST_SCHEMA, validate: validateManifest })
  } catch {
    return null
  }
}

/** Progress of an unfinished download in `dir` (a resumable state file), or null. */
export async function readPendingDownload (dir: string): Promise<{ bytesDone: number, bytesTotal: number, partsDone: number, partsTotal: number } | null> {
  let st: StateFile | null
  try {
    st = await readJsonFile<StateFile>(join(dir, STATE_FILE), { schemaVersion: STATE_SCHEMA, validate: validateState })
  } catch {
    return null
  }
  if (st === null) return null
  let bytesDone = 0
  let bytesTotal = 0
  let partsDone = 0
  const parts = Object.values(st.parts)
  for (const p of parts) {
    bytesTotal += p.size
    if (p.done) { partsDone++; bytesDone += p.size; continue }
    const chunks = Math.ceil(p.size / st.chunkSize)
    for (const i of fromRanges(p.completed, chunks)) bytesDone += Math.min(st.chunkSize, p.size - i * st.chunkSize)
  }
  return { bytesDone, bytesTotal, partsDone, partsTotal: parts.length }
}

class DownloadAborted extends Error {
  constructor (reason: unknown) {
    super(reason instanceof Error ? reason.message : 'download cancelled')
    this.name = 'AbortError'
  }
}

interface Work {
  part: EventLogPart
  state: PartState
  size: number
  chunks: number
  pending: number
  /** chunk indexes on disk */
  done: Set<number>
  fh: FileHandle | null
  opening: Promise<FileHandle> | null
  dirty: boolean
}

async function fileSize (file: string): Promise<number | null> {
  try { return (await stat(file)).size } catch { return null }
}

/** Downloads the parts into `dir` (bounded parallel chunked reads, resumable, cancellable) and writes manifest.json. */
export async function downloadEventLog (opts: DownloadOptions): Promise<EventLogManifest> {
  const { client, dir } = opts
  const chunkSize = Math.min(DBFS_MAX_READ, Math.max(1, opts.chunkSize ?? DBFS_MAX_READ))
  const concurrency = Math.max(1, Math.min(32, opts.concurrency ?? 6))
  const checkpointMs = opts.checkpointMs ?? 500
  const statePath = join(dir, STATE_FILE)
  const inner = new AbortController()
  const onAbort = (): void => { inner.abort(opts.signal?.reason) }
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  const signal = inner.signal
  const checkAbort = (): void => { if (signal.aborted) throw new DownloadAborted(signal.reason) }

  for (const p of opts.parts) validateSegment(p.name, 'fileName')
  let saved: StateFile | null = null
  try {
    saved = await readJsonFile<StateFile>(statePath, { schemaVersion: STATE_SCHEMA, validate: validateState })
  } catch (err) {
    opts.log?.warn({ dir, err: (err as Error).message }, 'ignoring an unreadable download state; starting over')
  }
  if (saved !== null && saved.chunkSize !== chunkSize) saved = null

  const works: Work[] = []
  const progress: DownloadProgress = { bytesDone: 0, bytesTotal: 0, partsDone: 0, partsTotal: opts.parts.length, chunksRead: 0, chunksSkipped: 0 }
  const report = (): void => { opts.onProgress?.({ ...progress }) }
  const state: StateFile = { schemaVersion: STATE_SCHEMA, chunkSize, parts: {} }

  try {
    // get-status is the authority on the size (the listing may be minutes old while the last part still grows)
    for (const part of opts.parts) {
      checkAbort()
      let size = part.size
      let mtime = part.modificationTime
      try {
        const st = await client.dbfsGetStatus(part.path, { signal })
        size = st.fileSize
        mtime = st.modificationTime ?? mtime
      } catch (err) {
        if (isResourceGone(err)) throw new UpstreamError({ upstream: 'Databricks', kind: 'not-found', status: 404, code: 'RESOURCE_DOES_NOT_EXIST', message: `The event log part ${part.name} disappeared from DBFS before it could be downloaded.` })
        throw err
      }
      const chunks = Math.ceil(size / chunkSize)
      const prev = saved?.parts[part.name]
      const same = prev !== undefined && prev.path === part.path && prev.size === size && prev.modificationTime === mtime
      const ps: PartState = { path: part.path, size, modificationTime: mtime, completed: [], done: false }
      const final = join(dir, part.name)
      const partial = `${final}.partial`
      let completed = new Set<number>()
      if (same && prev.done && await fileSize(final) === size) {
        ps.done = true
      } else if (same && await fileSize(partial) === size) {
        // only chunks whose bytes were synced before the checkpoint are trusted
        completed = fromRanges(prev.completed, chunks)
      } else {
        await rm(final, { force: true })
      }
      state.parts[part.name] = ps
      progress.bytesTotal += size
      if (ps.done) {
        progress.bytesDone += size
        progress.partsDone++
        progress.chunksSkipped += chunks
        continue
      }
      ps.completed = toRanges(completed)
      for (const i of completed) progress.bytesDone += Math.min(chunkSize, size - i * chunkSize)
      progress.chunksSkipped += completed.size
      works.push({ part, state: ps, size, chunks, pending: chunks - completed.size, done: completed, fh: null, opening: null, dirty: false })
    }
    report()
    await writeJsonFile(statePath, state)

    const queue: Array<{ w: Work, index: number }> = []
    for (const w of works) {
      for (let i = 0; i < w.chunks; i++) if (!w.done.has(i)) queue.push({ w, index: i })
    }

    // checkpoints and part completions touch the same file handles: one at a time
    let ioChain: Promise<unknown> = Promise.resolve()
    const serial = async <T>(fn: () => Promise<T>): Promise<T> => {
      const p = ioChain.then(fn, fn)
      ioChain = p.catch(() => {})
      return await p
    }
    let lastCheckpoint = Date.now()
    const checkpoint = async (): Promise<void> => {
      await serial(async () => {
        lastCheckpoint = Date.now()
        // snapshot first: only chunks written before it are claimed, and the sync below covers them
        const snapshot: StateFile = { ...state, parts: Object.fromEntries(Object.entries(state.parts).map(([k, v]) => [k, { ...v, completed: v.completed.map((r) => [r[0], r[1]] as [number, number]) }])) }
        for (const w of works) {
          if (w.fh !== null && w.dirty) { w.dirty = false; await w.fh.datasync() }
        }
        await writeJsonFile(statePath, snapshot)
      })
    }

    const fhOf = async (w: Work): Promise<FileHandle> => {
      if (w.fh !== null) return w.fh
      w.opening ??= (async () => {
        const partial = join(dir, `${w.part.name}.partial`)
        const exists = await fileSize(partial) !== null
        const fh = await open(partial, exists ? 'r+' : 'w+')
        // preallocated to the final size so chunks can land in any order
        await fh.truncate(w.size)
        w.fh = fh
        return fh
      })()
      return await w.opening
    }

    const finishPart = async (w: Work): Promise<void> => {
      const fh = await fhOf(w)
      await serial(async () => {
        await fh.datasync()
        await fh.close()
        w.fh = null
        w.opening = null
        const final = join(dir, w.part.name)
        const partial = `${final}.partial`
        const got = await fileSize(partial)
        if (got !== w.size) throw new Error(`${w.part.name}: ${got ?? 0} bytes on disk, DBFS says ${w.size}`)
        await rename(partial, final)
        if (w.state.modificationTime !== null) {
          const t = new Date(w.state.modificationTime)
          await utimes(final, t, t).catch(() => {})
        }
        w.state.done = true
        w.state.completed = []
        progress.partsDone++
      })
      await checkpoint()
      report()
    }

    // empty parts have no chunk to trigger their completion
    for (const w of works) if (w.chunks === 0) await finishPart(w)

    const readChunk = async (w: Work, index: number): Promise<void> => {
      const offset = index * chunkSize
      const want = Math.min(chunkSize, w.size - offset)
      const fh = await fhOf(w)
      let got = 0
      let attempts = 0
      while (got < want) {
        checkAbort()
        let buf: Buffer
        try {
          buf = await client.dbfsRead(w.part.path, offset + got, want - got, { signal })
        } catch (err) {
          checkAbort()
          // the HTTP client already retried transient failures; one more round covers a malformed body
          if (err instanceof UpstreamError && (err.kind === 'malformed' || err.kind === 'network' || err.kind === 'timeout') && attempts++ < 2) continue
          throw err
        }
        if (buf.length === 0) throw new Error(`${w.part.name} ended at ${offset + got} bytes on DBFS, expected ${w.size}: the file changed during the download; download it again`)
        await fh.write(buf, 0, buf.length, offset + got)
        got += buf.length
      }
      w.dirty = true
      w.done.add(index)
      w.state.completed = toRanges(w.done)
      progress.bytesDone += want
      progress.chunksRead++
      w.pending--
      report()
      if (w.pending === 0) await finishPart(w)
      else if (Date.now() - lastCheckpoint >= checkpointMs) {
        lastCheckpoint = Date.now()
        await checkpoint()
      }
    }

    let next = 0
    let firstError: unknown = null
    const worker = async (): Promise<void> => {
      while (firstError === null && next < queue.length) {
        const item = queue[next++]!
        try {
          await readChunk(item.w, item.index)
        } catch (err) {
          if (firstError === null) firstError = err
          inner.abort(err)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, queue.length)) }, worker))
    if (firstError !== null || signal.aborted) {
      // keep what was done for the next attempt
      await checkpoint().catch(() => {})
      if (opts.signal?.aborted === true) throw new DownloadAborted(opts.signal.reason)
      throw firstError ?? new DownloadAborted(signal.reason)
    }

    const manifest: EventLogManifest = {
      schemaVersion: MANIFEST_SCHEMA,
      source: { destination: opts.source?.destination ?? null, folder: opts.source?.folder ?? null, clusterId: opts.source?.clusterId ?? null, sparkContextId: opts.source?.sparkContextId ?? null },
      parts: [],
      totalBytes: 0,
      completedAt: new Date().toISOString()
    }
    for (const part of opts.parts) {
      const ps = state.parts[part.name]!
      const onDisk = await fileSize(join(dir, part.name))
      if (onDisk !== ps.size) throw new Error(`${part.name}: ${onDisk ?? 0} bytes on disk, DBFS says ${ps.size}`)
      manifest.parts.push({ name: part.name, dbfsPath: ps.path, size: ps.size, modificationTime: ps.modificationTime })
      manifest.totalBytes += ps.size
    }
    await writeJsonFile(join(dir, MANIFEST_FILE), manifest)
    await rm(statePath, { force: true })
    return manifest
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    for (const w of works) {
      const fh = w.fh ?? (w.opening === null ? null : await w.opening.catch(() => null))
      if (fh !== null) await fh.close().catch(() => {})
      w.fh = null
      w.opening = null
    }
  }
}
