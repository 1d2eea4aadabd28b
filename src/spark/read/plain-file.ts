import { close, open, read } from 'node:fs'

const openFd = (path: string): Promise<number> =>
  new Promise((resolve, reject) => open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))))
const closeFd = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()))
const readInto = (fd: number, buf: Buffer, len: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, buf, 0, len, null, (err, n) => (err ? reject(err) : resolve(n))))
/** The first reads are short, so that work starts before a whole big slice has arrived. */
const RAMP = [256 * 1024, 1024 * 1024]
const sizeOf = (i: number, buf: Buffer): number => Math.min(buf.length, RAMP[i] ?? buf.length)

/** Two read buffers that the parts of one log take turns with. */
export class ReadBuffers {
  private bufs: Buffer[] = []
  constructor (readonly bytes: number) {}
  get (i: number): Buffer {
    return (this.bufs[i & 1] ??= Buffer.allocUnsafeSlow(this.bytes))
  }
}

/**
 * The bytes of a plain file in big slices. The next slice is read (on libuv's thread pool) while the caller works on
 * the current one. With `reuse`, its two buffers alternate, so a yielded slice is only valid until the next step of
 * the iteration (no allocation, no page faults on fresh memory); otherwise every slice is a new buffer.
 */
export async function * readPlainFile (path: string, chunkBytes: number, reuse?: ReadBuffers): AsyncGenerator<Buffer> {
  const fd = await openFd(path)
  const next = (i: number): Buffer => (reuse ? reuse.get(i) : Buffer.allocUnsafeSlow(chunkBytes))
  let i = 0
  let buf = next(i)
  let pending: Promise<number> | undefined = readInto(fd, buf, sizeOf(i, buf))
  try {
    for (;;) {
      const n = await pending
      pending = undefined
      if (n === 0) return
      const cur = buf
      buf = next(++i)
      pending = readInto(fd, buf, sizeOf(i, buf))
      yield n === cur.length ? cur : cur.subarray(0, n)
    }
  } finally {
    if (pending) await pending.catch(() => 0)
    await closeFd(fd)
  }
}
