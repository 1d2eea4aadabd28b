import { uncompress } from 'snappyjs'
import type { ByteReader } from './byte-reader.js'
import { decodeBlockStream } from './block-stream.js'
import type { OutBuffer } from './out-buffer.js'

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const HEADER = 16
// First 4 magic bytes read as a chunk length: snappy-java treats it as the start of a concatenated stream.
const MAGIC_HEAD = MAGIC.readInt32BE(0)
// snappy-java chunks are at most its block size (32 KiB in Spark); the cap only stops garbage lengths.
const MAX_CHUNK = 64 * 1024 * 1024

/**
 * Decodes snappy-java's SnappyOutputStream framing (Spark's `.snappy`): a 16-byte header, then
 * [int32 BE length][raw snappy block] chunks, possibly followed by further concatenated streams.
 * The raw blocks are decoded by snappyjs.
 */
export function decodeSnappy (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  return decodeBlockStream(src, snappyBlocks)
}

async function * snappyBlocks (r: ByteReader, out: OutBuffer): AsyncGenerator<Buffer> {
  const header = await r.read(HEADER, 'the snappy-java header')
  if (header !== null) {
    if (!header.subarray(0, 8).equals(MAGIC)) throw new Error('no snappy-java header (82 SNAPPY 00)')
    for (;;) {
      const at = r.consumed
      const lenBuf = await r.read(4, 'a snappy chunk length')
      if (lenBuf === null) break
      const len = lenBuf.readInt32BE(0)
      if (len === MAGIC_HEAD) {
        const rest = await r.readExact(HEADER - 4, 'a concatenated snappy-java header')
        if (!rest.subarray(0, 4).equals(MAGIC.subarray(4))) throw new Error(`bad concatenated snappy-java header at compressed offset ${at}`)
        continue
      }
      if (len < 0 || len > MAX_CHUNK) throw new Error(`invalid snappy chunk length ${len} at compressed offset ${at}`)
      if (len === 0) continue
      const data = await r.readExact(len, 'a snappy chunk')
      let block: Buffer
      try {
        block = uncompress(data, MAX_CHUNK)
      } catch (err) {
        throw new Error(`snappy chunk at compressed offset ${at} is invalid (${(err as Error).message})`)
      }
      const full = out.reserve(block.length)
      if (full) yield full
      block.copy(out.buf, out.pos)
      out.pos += block.length
    }
  }
}
