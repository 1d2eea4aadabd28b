/** placeholder */
export async function* decodeLz4(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const _ of src) throw new Error('lz4 not implemented yet')
}
