/*
 * Where an event log's parts are read from: DBFS, a Unity Catalog volume (Files API), S3. A source answers two
 * questions about a file, its size now and a byte range of it; the download engine (download.ts) does the rest
 * (bounded parallel chunks, resume, cancel, size caps, damage checks) the same way for every source.
 */

export type LogSourceKind = 'dbfs' | 'volume' | 's3'

/** One file of an event log as a listing found it. */
export interface LogPart {
  /** the file name the platform gave it: eventlog-2024-03-19--11-00.gz, eventlog */
  name: string
  /** the source's path of the file (a DBFS API path, a /Volumes/... path, an S3 key) */
  path: string
  size: number
  /** epoch ms, when the listing says */
  modificationTime: number | null
}

/** A file's current size and version, from the source's own status call. */
export interface LogStat {
  size: number
  modificationTime: number | null
  /** an HTTP validator (ETag or Last-Modified) that ranged reads send as If-Range, when the source has one */
  validator?: string | null
}

export interface LogSource {
  kind: LogSourceKind
  /** what messages call it: "DBFS", "the volume /Volumes/main/ops/logs", "S3 bucket acme-logs" */
  label: string
  /** the upstream named in errors (UpstreamError.upstream) */
  upstream: string
  /** bytes per read this source prefers */
  chunkBytes: number
  /** the most one read may ask for */
  maxChunkBytes: number
  /** the file's size now; null when it is gone */
  stat: (path: string, opts: { signal?: AbortSignal }) => Promise<LogStat | null>
  /**
   * Bytes [offset, offset + length) of the file, handed to `write` in order as they arrive (each awaited; never
   * gathered whole, so a read holds a socket's buffer, not `length`): fewer only at its end, none past it. Returns
   * how many were written. A failure may come after some were: the caller keeps those and asks for the rest. A source
   * that learns the file changed since `validator` throws FileChanged.
   */
  read: (path: string, offset: number, length: number, write: (piece: Buffer) => Promise<void>, opts: { signal?: AbortSignal, validator?: string | null }) => Promise<number>
}

/** The file is not the one the download started on (its validator changed): download it again. */
export class FileChanged extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'FileChanged'
  }
}
