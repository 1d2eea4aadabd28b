import { createReadStream } from 'node:fs'
import type { PartPlan } from './layout.js'
import { readPlainFile, ReadBuffers } from './plain-file.js'
import type { EventLogCodec } from './types.js'

type Decoder = (src: AsyncIterable<Buffer>) => AsyncIterable<Buffer>

/** A decoder whose module (and its package: snappyjs, xxhash-wasm, zlib, yauzl…) loads on first use, not at start-up. */
const lazy = (load: () => Promise<Decoder>): Decoder => async function * (src) { yield * (await load())(src) }

const DECODERS: Record<EventLogCodec, Decoder> = {
  none: (src) => src,
  gzip: lazy(async () => (await import('./gzip.js')).decodeGzip),
  zstd: lazy(async () => (await import('./zstd.js')).decodeZstd),
  lz4: lazy(async () => (await import('./lz4.js')).decodeLz4),
  snappy: lazy(async () => (await import('./snappy.js')).decodeSnappy),
  lzf: lazy(async () => (await import('./lzf.js')).decodeLzf),
}

/** The bytes of a zip member (the zip module loads on first use). */
async function * zipEntry (path: string, entry: NonNullable<PartPlan['zip']>, chunk: number): AsyncGenerator<Buffer> {
  yield * (await import('./zip.js')).zipEntryBytes(path, entry, chunk)
}

// Plain text is read in big slices; compressed input in small ones so one input chunk cannot expand too far.
const PLAIN_CHUNK = 512 * 1024
/** A plain file outside an archive, read into reused buffers. */
const PLAIN_FILE_CHUNK = 4 * 1024 * 1024
const COMPRESSED_CHUNK = 64 * 1024

/** Read buffers for decodePart's reuse mode. */
export const newReadBuffers = (): ReadBuffers => new ReadBuffers(PLAIN_FILE_CHUNK)

/**
 * The decompressed bytes of one part; throws when the part is corrupt or truncated. With `reuse`, a plain file is read
 * in big slices into those buffers, and a yielded buffer may be overwritten once the caller asks for the next one.
 */
export function decodePart (plan: PartPlan, reuse?: ReadBuffers): AsyncIterable<Buffer> {
  const { part } = plan
  if (part.codec === 'none' && !plan.zip) return readPlainFile(part.path, reuse?.bytes ?? PLAIN_CHUNK, reuse)
  const chunk = part.codec === 'none' ? PLAIN_CHUNK : COMPRESSED_CHUNK
  const raw: AsyncIterable<Buffer> = plan.zip ? zipEntry(part.path, plan.zip, chunk) : createReadStream(part.path, { highWaterMark: chunk })
  return DECODERS[part.codec](raw)
}
