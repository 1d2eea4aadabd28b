import { createReadStream } from 'node:fs'
import { decodeGzip } from './gzip.js'
import type { PartPlan } from './layout.js'
import { decodeLz4 } from './lz4.js'
import { decodeLzf } from './lzf.js'
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
const COMPRESSED_CHUNK = 64 * 1024

/** The decompressed bytes of one part; throws when the part is corrupt or truncated. */
export function decodePart(plan: PartPlan): AsyncIterable<Buffer> {
  const { part } = plan
  const chunk = part.codec === 'none' ? PLAIN_CHUNK : COMPRESSED_CHUNK
  const raw: AsyncIterable<Buffer> = plan.zip ? zipEntryBytes(part.path, plan.zip, chunk) : createReadStream(part.path, { highWaterMark: chunk })
  return DECODERS[part.codec](raw)
}
