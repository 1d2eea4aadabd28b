import type { ByteReader } from './byte-reader.js'
import { decodeBlockStream } from './block-stream.js'
import { lz4DecodeBlock } from './lz4-block.js'
import type { OutBuffer } from './out-buffer.js'
import xxhash from 'xxhash-wasm'

const MAGIC = Buffer.from('LZ4Block', 'latin1')
const HEADER = 21
const METHOD_RAW = 0x10
const METHOD_LZ4 = 0x20
// lz4-java's default seed for the block checksum (LZ4BlockOutputStream.DEFAULT_SEED).
const SEED = 0x9747b28c
/** xxhash-wasm's hashers, instantiated on the first lz4 part. */
let hashers: ReturnType<typeof xxhash> | undefined

/**
 * Decodes lz4-java's LZ4BlockOutputStream format (Spark's `.lz4`): 21-byte headers, raw LZ4 blocks and
 * 28-bit XXH32 checksums (xxhash-wasm). Streams may be concatenated; a missing end block is a clean EOF (in-progress files).
 */
export function decodeLz4 (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  return decodeBlockStream(src, lz4Blocks)
}

async function * lz4Blocks (r: ByteReader, out: OutBuffer): AsyncGenerator<Buffer> {
  const { h32Raw } = await (hashers ??= xxhash())
  for (;;) {
    const at = r.consumed
    const h = await r.read(HEADER, 'an LZ4Block header')
    if (h === null) break
    if (!h.subarray(0, 8).equals(MAGIC)) throw new Error(`no LZ4Block magic at compressed offset ${at}`)
    const token = h[8]!
    const method = token & 0xf0
    const blockSize = 1 << (10 + (token & 0x0f))
    const compressedLen = h.readInt32LE(9)
    const originalLen = h.readInt32LE(13)
    const check = h.readInt32LE(17)
    if (
      (method !== METHOD_RAW && method !== METHOD_LZ4) ||
      originalLen < 0 ||
      originalLen > blockSize ||
      compressedLen < 0 ||
      compressedLen > blockSize + (blockSize >>> 8) + 16 ||
      (originalLen === 0) !== (compressedLen === 0) ||
      (method === METHOD_RAW && originalLen !== compressedLen)
    ) {
      throw new Error(`invalid LZ4Block header at compressed offset ${at} (token ${token}, lengths ${compressedLen}/${originalLen})`)
    }
    if (originalLen === 0) {
      if (check !== 0) throw new Error(`LZ4Block end marker with non-zero checksum at compressed offset ${at}`)
      continue
    }
    const data = await r.readExact(compressedLen, 'an LZ4 block')
    const full = out.reserve(originalLen)
    if (full) yield full
    if (method === METHOD_RAW) data.copy(out.buf, out.pos)
    else lz4DecodeBlock(data, 0, compressedLen, out.buf, out.pos, out.pos + originalLen)
    const actual = h32Raw(out.buf.subarray(out.pos, out.pos + originalLen), SEED) & 0x0fffffff
    if (actual !== check) throw new Error(`LZ4 block at compressed offset ${at}: checksum mismatch (stored ${check}, computed ${actual})`)
    out.pos += originalLen
  }
}
