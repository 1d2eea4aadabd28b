import { copyLiteral, copyMatch } from './lz77-copy.js'

/** Decodes one LZF-compressed chunk body src[s, sEnd) into dst[d, dEnd), which it must fill exactly. */
export function lzfDecodeBlock (src: Buffer, s: number, sEnd: number, dst: Buffer, d: number, dEnd: number): void {
  const dStart = d
  while (s < sEnd) {
    const ctrl = src[s++]!
    if (ctrl < 32) {
      const run = ctrl + 1
      if (s + run > sEnd || d + run > dEnd) throw new Error('lzf literal run past the chunk')
      copyLiteral(src, s, dst, d, run)
      s += run
      d += run
      continue
    }
    let len = ctrl >>> 5
    if (len === 7) {
      if (s >= sEnd) throw new Error('lzf back-reference cut off')
      len += src[s++]!
    }
    if (s >= sEnd) throw new Error('lzf back-reference cut off')
    const offset = ((ctrl & 0x1f) << 8) + src[s++]! + 1
    len += 2
    if (d - offset < dStart) throw new Error('lzf back-reference points before the chunk')
    if (d + len > dEnd) throw new Error('lzf back-reference runs past the announced size')
    d = copyMatch(dst, d, offset, len)
  }
  if (d !== dEnd) throw new Error(`lzf chunk decoded to ${d - dStart} bytes, header announced ${dEnd - dStart}`)
}
