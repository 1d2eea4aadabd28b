import type { ByteReader } from './byte-reader.js'
import { decodeBlockStream } from './block-stream.js'
import { lzfDecodeBlock } from './lzf-block.js'
import type { OutBuffer } from './out-buffer.js'

/** Decodes compress-lzf's LZFOutputStream chunks (Spark's `.lzf`): `ZV`, type 0 stored / 1 compressed. */
export function decodeLzf (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  return decodeBlockStream(src, lzfBlocks)
}

async function * lzfBlocks (r: ByteReader, out: OutBuffer): AsyncGenerator<Buffer> {
  for (;;) {
    const at = r.consumed
    const h = await r.read(5, 'an LZF chunk header')
    if (h === null) break
    if (h[0] !== 0x5a || h[1] !== 0x56) throw new Error(`no LZF chunk signature (ZV) at compressed offset ${at}`)
    const type = h[2]!
    const len = h.readUInt16BE(3)
    if (type === 0) {
      const data = await r.readExact(len, 'a stored LZF chunk')
      const full = out.reserve(len)
      if (full) yield full
      data.copy(out.buf, out.pos)
      out.pos += len
    } else if (type === 1) {
      const size = (await r.readExact(2, 'an LZF chunk header')).readUInt16BE(0)
      const data = await r.readExact(len, 'a compressed LZF chunk')
      const full = out.reserve(size)
      if (full) yield full
      lzfDecodeBlock(data, 0, len, out.buf, out.pos, out.pos + size)
      out.pos += size
    } else {
      throw new Error(`unknown LZF chunk type ${type} at compressed offset ${at}`)
    }
  }
}
