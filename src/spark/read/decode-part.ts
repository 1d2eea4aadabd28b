import { createReadStream } from 'node:fs'
import { decodeGzip } from './gzip.js'
import type { PartPlan } from './layout.js'
import { decodeLz4 } from './lz4.js'
import { decodeLzf } from './lzf.js'
import { readPlainFile, ReadBuffers } from './plain-file.js'
import { decodeSnappy } from './snappy.js'
import type { EventLogCodec } from './types.js'
import { zipEntryBytes } from './zip.js'
import { decodeZstd } from './zstd.js'

type Decoder = (src: AsyncIterable<Buffer>) => AsyncIterable<Buffer>

const DECODERS: Record<EventLogCodec, Decoder> = {
  none: (src) => src,
  gzip: decodeGzip,
  zstd: decodeZstd,
  lz4: decodeLz4,
  snappy: decodeSnappy,
  lzf: decodeLzf,
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
  const raw: AsyncIterable<Buffer> = plan.zip ? zipEntryBytes(part.path, plan.zip, chunk) : createReadStream(part.path, { highWaterMark: chunk })
  return DECODERS[part.codec](raw)
}
