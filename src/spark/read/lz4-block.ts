import { copyLiteral, copyMatch } from './lz77-copy.js'

/** Thrown for any LZ4 block that does not decode to exactly its announced size. */
class Lz4Error extends Error {}

/**
 * Decodes one raw LZ4 block src[s, sEnd) into dst[d, dEnd), which it must fill exactly.
 * Every read and write is bounds-checked so hostile input fails instead of overrunning.
 */
export function lz4DecodeBlock (src: Buffer, s: number, sEnd: number, dst: Buffer, d: number, dEnd: number): void {
  const dStart = d
  for (;;) {
    if (s >= sEnd) throw new Lz4Error('lz4 block ends without its last literals')
    const token = src[s++]!
    let lit = token >>> 4
    if (lit === 15) {
      let b: number
      do {
        if (s >= sEnd) throw new Lz4Error('lz4 literal length runs past the block')
        b = src[s++]!
        lit += b
      } while (b === 255)
    }
    if (s + lit > sEnd || d + lit > dEnd) throw new Lz4Error('lz4 literals run past the block')
    copyLiteral(src, s, dst, d, lit)
    s += lit
    d += lit
    if (s === sEnd) break
    if (s + 2 > sEnd) throw new Lz4Error('lz4 match offset cut off')
    const offset = src[s]! | (src[s + 1]! << 8)
    s += 2
    if (offset === 0 || offset > d - dStart) throw new Lz4Error(`lz4 match offset ${offset} points before the block`)
    let len = token & 15
    if (len === 15) {
      let b: number
      do {
        if (s >= sEnd) throw new Lz4Error('lz4 match length runs past the block')
        b = src[s++]!
        len += b
      } while (b === 255)
    }
    len += 4
    if (d + len > dEnd) throw new Lz4Error('lz4 match runs past the announced size')
    d = copyMatch(dst, d, offset, len)
  }
  if (d !== dEnd) throw new Lz4Error(`lz4 block decoded to ${d - dStart} bytes, header announced ${dEnd - dStart}`)
}
