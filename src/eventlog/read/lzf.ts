/** placeholder */
export async function* decodeLzf(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const _ of src) throw new Error('lzf not implemented yet')
}
