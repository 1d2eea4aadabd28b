import { Readable, pipeline, type Duplex } from 'node:stream'

/** Pipes an async byte source through a Node transform stream and iterates its output with backpressure. */
export async function* throughTransform(src: AsyncIterable<Buffer>, transform: Duplex): AsyncGenerator<Buffer> {
  const input = src instanceof Readable ? src : Readable.from(src, { objectMode: false })
  // Errors reach us through the transform's iterator; the callback only keeps pipeline from rethrowing.
  pipeline(input, transform, () => {})
  for await (const chunk of transform) yield chunk as Buffer
}
