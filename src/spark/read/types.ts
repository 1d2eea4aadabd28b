/** Codec of one event log part, chosen by file name suffix (Spark's short codec names). */
export type EventLogCodec = 'none' | 'gzip' | 'zstd' | 'lz4' | 'snappy' | 'lzf'

/** One file of an event log, in the order its content is read. */
export interface EventLogPart {
  /** file name (no directory) */
  name: string
  /** absolute path */
  path: string
  codec: EventLogCodec
  /** size on disk (for a zip member: its compressed size inside the archive) */
  compressedBytes: number
  /** set when the part is a member of an archive at `path`; `name` is then the member name */
  container?: 'zip'
}

/** Something that went wrong while reading bytes (the analysis goes on with what was read). */
export interface ReadDamage {
  part: string
  /** decompressed bytes of that part delivered before the damage */
  afterBytes: number
  message: string
  /** index of the part in `parts` (undefined for problems not tied to reading one part) */
  partIndex?: number
}

/** A chunk of decompressed event log text; chunks of one part are contiguous. */
export interface EventLogChunk {
  partIndex: number
  data: Buffer
}

/** How chunks() may hand out its bytes. */
export interface ChunkOptions {
  /**
   * Let the reader reuse its buffers: a chunk's `data` is then valid only until the next step of the iteration
   * (the caller copies what it keeps). Saves allocating and faulting in fresh memory for every slice.
   */
  reuseBuffers?: boolean
}

/** An opened event log: its parts in reading order and a stream of their decompressed bytes. */
export interface EventLogSource {
  /** 'file' | 'spark-rolling' (eventlog_v2_ folder) | 'databricks' (eventlog + eventlog-YYYY-MM-DD--HH-MM.gz) | 'folder' */
  layout: 'file' | 'spark-rolling' | 'databricks' | 'folder'
  parts: EventLogPart[]
  /**
   * Decompressed bytes of all parts in order. The stream never throws for damaged input: a corrupt or truncated
   * compressed part ends early and a ReadDamage is appended to `damage`; reading continues with the next part.
   * A newline is yielded after a part (other than the last) that does not end with one, so lines never span parts;
   * such a part is also reported as damage. The last part's bytes are passed on as they are: when they end inside a
   * line, the consumer sees that line unterminated and can tell a log cut mid-line (truncated) from a bad line.
   * Each call reads the log again from the start and resets `damage`.
   */
  chunks(opts?: ChunkOptions): AsyncIterable<EventLogChunk>
  /** filled while chunks() is consumed */
  damage: ReadDamage[]
}
