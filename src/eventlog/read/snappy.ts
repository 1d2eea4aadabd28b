/** placeholder */
export async function* decodeSnappy(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const _ of src) throw new Error('snappy not implemented yet')
}
