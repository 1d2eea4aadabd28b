import { ByteReader } from './byte-reader.js'
import { OutBuffer } from './out-buffer.js'

/** The block loop of one codec: reads frames from `r`, decodes into `out`, yields full output chunks. */
export type BlockLoop = (r: ByteReader, out: OutBuffer) => AsyncGenerator<Buffer>

/**
 * Runs a block codec over a byte source. What was decoded before a failure is still delivered (the caller reports
 * the damage after the good prefix), and the source is always closed.
 */
export async function * decodeBlockStream (src: AsyncIterable<Buffer>, loop: BlockLoop): AsyncGenerator<Buffer> {
  const r = new ByteReader(src)
  const out = new OutBuffer()
  try {
    yield * loop(r, out)
  } catch (err) {
    const rest = out.take()
    if (rest) yield rest
    throw err
  } finally {
    await r.close()
  }
  const rest = out.take()
  if (rest) yield rest
}
