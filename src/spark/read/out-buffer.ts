/**
 * Collects decoded blocks into large output chunks so small codec blocks (snappy flushes per event) do not
 * become tiny chunks, while each block is decoded straight into its final place.
 */
export class OutBuffer {
  buf: Buffer
  pos = 0

  constructor (private readonly size = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(size)
  }

  /** Makes room for n more bytes; returns the filled chunk to emit when a fresh buffer was needed. */
  reserve (n: number): Buffer | undefined {
    if (this.pos + n <= this.buf.length) return undefined
    const full = this.pos > 0 ? this.buf.subarray(0, this.pos) : undefined
    this.buf = Buffer.allocUnsafe(Math.max(this.size, n))
    this.pos = 0
    return full
  }

  /** Takes whatever is buffered (undefined if nothing). */
  take (): Buffer | undefined {
    if (this.pos === 0) return undefined
    const full = this.buf.subarray(0, this.pos)
    this.buf = this.buf.subarray(this.pos)
    this.pos = 0
    if (this.buf.length < 4096) this.buf = Buffer.allocUnsafe(this.size)
    return full
  }
}
