/** Raised when a stream ends inside a structure that promised more bytes. */
export class TruncatedError extends Error {
  constructor (what: string, wanted: number, got: number) {
    super(`truncated: input ended inside ${what} (needed ${wanted} bytes, got ${got})`)
  }
}

/**
 * Pulls exact byte counts out of a chunked async source. A request inside one chunk is a zero-copy view;
 * only requests that straddle chunks are copied.
 */
export class ByteReader {
  private readonly it: AsyncIterator<Buffer>
  private head: Buffer = Buffer.alloc(0)
  private pos = 0
  private done = false
  /** compressed bytes consumed so far, for error messages */
  consumed = 0

  constructor (src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]()
  }

  private async fill (): Promise<boolean> {
    while (!this.done) {
      const r = await this.it.next()
      if (r.done) {
        this.done = true
        return false
      }
      if (r.value.length > 0) {
        this.head = r.value
        this.pos = 0
        return true
      }
    }
    return false
  }

  /** Next n bytes; null on a clean end of input before any of them; TruncatedError when it ends part-way. */
  async read (n: number, what: string): Promise<Buffer | null> {
    if (this.pos >= this.head.length && !(await this.fill())) return null
    const avail = this.head.length - this.pos
    if (avail >= n) {
      const out = this.head.subarray(this.pos, this.pos + n)
      this.pos += n
      this.consumed += n
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let got = 0
    while (got < n) {
      if (this.pos >= this.head.length && !(await this.fill())) throw new TruncatedError(what, n, got)
      const take = Math.min(n - got, this.head.length - this.pos)
      this.head.copy(out, got, this.pos, this.pos + take)
      this.pos += take
      got += take
    }
    this.consumed += n
    return out
  }

  /** Like read, but an end of input before the first byte is also truncation. */
  async readExact (n: number, what: string): Promise<Buffer> {
    const b = await this.read(n, what)
    if (b === null) throw new TruncatedError(what, n, 0)
    return b
  }

  /** Releases the underlying source early. */
  async close (): Promise<void> {
    await this.it.return?.()
  }
}
