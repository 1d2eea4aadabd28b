import { Readable, pipeline, type Duplex } from 'node:stream'

// A readable's async iterator hands over everything buffered at once (several MB when zstd expands a
// 64 KiB input 40x); views of at most this size keep chunks in the 64 KiB-1 MiB range consumers expect.
const MAX_CHUNK = 1024 * 1024

// zlib turns one written chunk into all of its output before it looks at backpressure; deflate expands at most
// ~1032x, so writes of this size keep one write's output near 16 MiB even for a decompression bomb.
const MAX_WRITE = 16 * 1024

async function * pieces (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const c of src) {
    for (let i = 0; i < c.length; i += MAX_WRITE) yield c.subarray(i, Math.min(i + MAX_WRITE, c.length))
  }
}

/**
 * Pipes an async byte source through a Node transform stream and iterates its output with backpressure; the input is
 * written in pieces of at most 16 KiB, so what one write can expand to stays bounded.
 */
export async function * throughTransform (src: AsyncIterable<Buffer>, transform: Duplex): AsyncGenerator<Buffer> {
  const input = Readable.from(pieces(src), { objectMode: false })
  // Errors reach us through the transform's iterator; the callback only keeps pipeline from rethrowing.
  pipeline(input, transform, () => {})
  for await (const chunk of transform) {
    const buf = chunk as Buffer
    if (buf.length <= MAX_CHUNK) {
      yield buf
      continue
    }
    for (let i = 0; i < buf.length; i += MAX_CHUNK) yield buf.subarray(i, Math.min(i + MAX_CHUNK, buf.length))
  }
}
