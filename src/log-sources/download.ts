import type { Logger } from 'pino'
import { UpstreamError } from '../http/upstream-error.js'
import { fromRanges, toRanges, type DownloadPartState, type DownloadState, type EventLogFiles, type EventLogManifest, type PartialFile } from '../store/eventlog-files.js'
import { bytes } from '../shared/format.js'
import type { LogPart, LogSource } from './log-source.js'

export const DEFAULT_MAX_EVENT_LOG_BYTES = 20 * 1024 ** 3
// what the data folder keeps free beyond the log itself (analysis, flow files, other writers)
const FREE_SPACE_MARGIN = 64 * 1024 * 1024

/** A log refused before anything is fetched: too large for the cap, or for the disk. */
export class EventLogRefused extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'EventLogRefused'
  }
}

/*
 * A log is read in chunks of the source's size (DBFS: 1 MiB per call, base64 in JSON; ranged GETs: larger), a few
 * at a time (bounded: Databricks rate-limits per workspace), and each chunk is written at its offset into a
 * preallocated `<part>.partial` as its body streams in (staged STAGE_BYTES at a time), so memory stays at
 * `concurrency` small buffers whatever the chunk and file sizes. Completed chunk
 * ranges are checkpointed in the folder's download state (after an fdatasync of the data they describe), so a killed
 * process resumes where it was; a part gets its source's name only once complete and size-checked. The store owns
 * the files (EventLogFiles); this module owns the protocol.
 */

const STATE_SCHEMA = 1
/** what one chunk read buffers before a positional write (whatever the chunk size) */
const STAGE_BYTES = 256 * 1024
/** how many times one chunk read resumes after a failure that came with some of its bytes */
const MAX_RESUMES = 16

export interface DownloadProgress {
  bytesDone: number
  bytesTotal: number
  partsDone: number
  partsTotal: number
  /** chunks fetched by this call (not counting resumed ones) */
  chunksRead: number
  chunksSkipped: number
}

export interface SourceDownloadOptions {
  /** where the parts are read from */
  logSource: LogSource
  parts: LogPart[]
  /** the run's event log folder (from the store, created) */
  files: EventLogFiles
  source?: Partial<EventLogManifest['source']>
  /** parallel chunk reads (default 6) */
  concurrency?: number
  /** bytes per read, at most the source's maximum (default: the source's preferred size) */
  chunkSize?: number
  signal?: AbortSignal
  onProgress?: (p: DownloadProgress) => void
  /** how often completed chunks are checkpointed (default 500 ms) */
  checkpointMs?: number
  /** the largest log accepted, all parts together (MAX_EVENT_LOG_GB; default 20 GiB) */
  maxTotalBytes?: number
  log?: Logger
}

class DownloadAborted extends Error {
  constructor (reason: unknown) {
    super(reason instanceof Error ? reason.message : 'download cancelled')
    this.name = 'AbortError'
  }
}

interface Work {
  part: LogPart
  state: DownloadPartState
  size: number
  chunks: number
  pending: number
  /** chunk indexes on disk */
  done: Set<number>
  fh: PartialFile | null
  opening: Promise<PartialFile> | null
  dirty: boolean
}

/** Downloads the parts into `dir` (bounded parallel chunked reads, resumable, cancellable) and writes manifest.json. */
export async function downloadFromSource (opts: SourceDownloadOptions): Promise<EventLogManifest> {
  const { logSource: src, files } = opts
  const chunkSize = Math.min(src.maxChunkBytes, Math.max(1, opts.chunkSize ?? src.chunkBytes))
  const concurrency = Math.max(1, Math.min(32, opts.concurrency ?? 6))
  const checkpointMs = opts.checkpointMs ?? 500
  const maxTotalBytes = opts.maxTotalBytes ?? DEFAULT_MAX_EVENT_LOG_BYTES
  const inner = new AbortController()
  const onAbort = (): void => { inner.abort(opts.signal?.reason) }
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  const signal = inner.signal
  const checkAbort = (): void => { if (signal.aborted) throw new DownloadAborted(signal.reason) }

  for (const p of opts.parts) await files.partSize(p.name) // validates every name before anything is fetched
  let saved: DownloadState | null = null
  try {
    saved = await files.readState()
  } catch (err) {
    opts.log?.warn({ dir: files.dir, err: (err as Error).message }, 'ignoring an unreadable download state; starting over')
  }
  // a checkpoint of another source or chunk size describes other chunks: start over (states before sources were DBFS)
  if (saved !== null && (saved.chunkSize !== chunkSize || (saved.source ?? 'dbfs') !== src.kind)) saved = null

  const works: Work[] = []
  const progress: DownloadProgress = { bytesDone: 0, bytesTotal: 0, partsDone: 0, partsTotal: opts.parts.length, chunksRead: 0, chunksSkipped: 0 }
  const report = (): void => { opts.onProgress?.({ ...progress }) }
  const state: DownloadState = { schemaVersion: STATE_SCHEMA, source: src.kind, chunkSize, parts: {} }

  try {
    // the source's status call is the authority on the size (the listing may be minutes old while the last part still grows)
    for (const part of opts.parts) {
      checkAbort()
      const st = await src.stat(part.path, { signal })
      if (st === null) throw new UpstreamError({ upstream: src.upstream, kind: 'not-found', status: 404, code: 'RESOURCE_DOES_NOT_EXIST', message: `The event log part ${part.name} disappeared from ${src.label} before it could be downloaded.` })
      const size = st.size
      const mtime = st.modificationTime ?? part.modificationTime
      const validator = st.validator ?? null
      // a size is the upstream's word: a negative, fractional or 2^50-byte one is refused before it sizes anything
      if (!Number.isSafeInteger(size) || size < 0) throw new UpstreamError({ upstream: src.upstream, kind: 'malformed', message: `${src.label} reports an impossible size for ${part.name} (${String(size)} bytes); the event log was not downloaded.` })
      if (progress.bytesTotal + size > maxTotalBytes) {
        throw new EventLogRefused(`The event log is larger than ${bytes(maxTotalBytes)} (${part.name} alone is ${bytes(size)} according to ${src.label}), the most MAX_EVENT_LOG_GB allows: it was not downloaded. Raise MAX_EVENT_LOG_GB if the log really is that large.`)
      }
      const chunks = Math.ceil(size / chunkSize)
      const prev = saved?.parts[part.name]
      const same = prev !== undefined && prev.path === part.path && prev.size === size && prev.modificationTime === mtime && (prev.validator ?? null) === validator
      const ps: DownloadPartState = { path: part.path, size, modificationTime: mtime, completed: [], done: false, ...(validator !== null ? { validator } : {}) }
      let completed = new Set<number>()
      if (same && prev.done && await files.partSize(part.name) === size) {
        ps.done = true
      } else if (same && await files.partialSize(part.name) === size) {
        // only chunks whose bytes were synced before the checkpoint are trusted
        completed = fromRanges(prev.completed, chunks)
      } else {
        await files.removePart(part.name)
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
    const free = await files.freeBytes()
    const need = progress.bytesTotal - progress.bytesDone
    if (free !== null && free < need + FREE_SPACE_MARGIN) {
      throw new EventLogRefused(`Not enough free disk space for the event log: ${bytes(need)} to download, ${bytes(free)} free in the data folder. Free some space (or move DATA_DIR) and download again.`)
    }
    report()
    await files.writeState(state)

    // made as the workers ask: no entry per chunk up front, whatever the size
    function * pendingChunks (): Generator<{ w: Work, index: number }> {
      for (const w of works) {
        for (let i = 0; i < w.chunks; i++) if (!w.done.has(i)) yield { w, index: i }
      }
    }
    const queue = pendingChunks()
    const pendingCount = works.reduce((n, w) => n + w.pending, 0)

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
        const snapshot: DownloadState = { ...state, parts: Object.fromEntries(Object.entries(state.parts).map(([k, v]) => [k, { ...v, completed: v.completed.map((r) => [r[0], r[1]] as [number, number]) }])) }
        for (const w of works) {
          if (w.fh !== null && w.dirty) { w.dirty = false; await w.fh.datasync() }
        }
        await files.writeState(snapshot)
      })
    }

    const fhOf = async (w: Work): Promise<PartialFile> => {
      if (w.fh !== null) return w.fh
      w.opening ??= files.openPartial(w.part.name, w.size).then((fh) => { w.fh = fh; return fh })
      return await w.opening
    }

    const finishPart = async (w: Work): Promise<void> => {
      const fh = await fhOf(w)
      await serial(async () => {
        await fh.datasync()
        await fh.close()
        w.fh = null
        w.opening = null
        const got = await files.partialSize(w.part.name)
        if (got !== w.size) throw new Error(`${w.part.name}: ${got ?? 0} bytes on disk, ${src.label} says ${w.size}`)
        await files.completePart(w.part.name, w.state.modificationTime)
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
      // the body is staged in a small buffer and written at its place as it fills: a read holds STAGE_BYTES, not a chunk
      let stage: Buffer | null = null
      let staged = 0
      let got = 0
      const flush = async (): Promise<void> => {
        if (stage === null || staged === 0) return
        await fh.write(stage.subarray(0, staged), offset + got)
        got += staged
        staged = 0
      }
      const write = async (piece: Buffer): Promise<void> => {
        // a source never sends more than asked; were one to, the surplus would overwrite the next chunk
        if (got + staged + piece.length > want) throw new UpstreamError({ upstream: src.upstream, kind: 'malformed', message: `${src.label} sent more of ${w.part.name} than the ${want} bytes asked from ${offset}` })
        if (staged === 0 && piece.length >= STAGE_BYTES) {
          // a piece as large as the stage (a DBFS read's 1 MiB) goes straight to disk
          await fh.write(piece, offset + got)
          got += piece.length
          return
        }
        stage ??= Buffer.allocUnsafe(Math.min(STAGE_BYTES, want))
        for (let from = 0; from < piece.length;) {
          const n = piece.copy(stage, staged, from)
          staged += n
          from += n
          if (staged === stage.length) await flush()
        }
      }
      let attempts = 0
      let resumes = 0
      // eslint-disable-next-line no-unmodified-loop-condition -- flush() advances `got`
      while (got < want) {
        checkAbort()
        const before = got
        try {
          await src.read(w.part.path, offset + got, want - got, write, { signal, validator: w.state.validator ?? null })
          await flush()
        } catch (err) {
          checkAbort()
          // what arrived before a failure is good (its range and validator were checked first): keep it, ask for the rest
          await flush()
          // a failure after progress starts the count again, within a bound (a server cutting every answer short)
          if (got > before && resumes++ < MAX_RESUMES) attempts = 0
          // the HTTP client already retried transient failures before the first byte; this covers a malformed body and
          // a connection lost mid-body
          if (err instanceof UpstreamError && (err.kind === 'malformed' || err.kind === 'network' || err.kind === 'timeout') && attempts++ < 2) continue
          throw err
        }
        if (got === before) throw new Error(`${w.part.name} ended at ${offset + got} bytes on ${src.label}, expected ${w.size}: the file changed during the download; download it again`)
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

    let firstError: unknown = null
    const worker = async (): Promise<void> => {
      while (firstError === null) {
        const next = queue.next()
        if (next.done === true) break
        const item = next.value
        try {
          await readChunk(item.w, item.index)
        } catch (err) {
          if (firstError === null) firstError = err
          inner.abort(err)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, pendingCount)) }, worker))
    if (firstError !== null || signal.aborted) {
      // keep what was done for the next attempt
      await checkpoint().catch(() => {})
      if (opts.signal?.aborted === true) throw new DownloadAborted(opts.signal.reason)
      throw firstError ?? new DownloadAborted(signal.reason)
    }

    const manifest: EventLogManifest = {
      schemaVersion: 1,
      source: { destination: opts.source?.destination ?? null, folder: opts.source?.folder ?? null, clusterId: opts.source?.clusterId ?? null, sparkContextId: opts.source?.sparkContextId ?? null },
      parts: [],
      totalBytes: 0,
      completedAt: new Date().toISOString()
    }
    for (const part of opts.parts) {
      const ps = state.parts[part.name]!
      const onDisk = await files.partSize(part.name)
      if (onDisk !== ps.size) throw new Error(`${part.name}: ${onDisk ?? 0} bytes on disk, ${src.label} says ${ps.size}`)
      manifest.parts.push({ name: part.name, dbfsPath: ps.path, size: ps.size, modificationTime: ps.modificationTime })
      manifest.totalBytes += ps.size
    }
    await files.writeManifest(manifest)
    await files.removeState()
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
