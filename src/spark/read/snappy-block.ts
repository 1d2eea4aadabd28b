import { copyLiteral, copyMatch } from './lz77-copy.js'

/** Reads the uncompressed length varint at the start of a raw snappy block: [length, offset after it]. */
export function snappyUncompressedLength (src: Buffer, s: number, sEnd: number): [number, number] {
  let result = 0
  for (let shift = 0; shift < 35; shift += 7) {
    if (s >= sEnd) throw new Error('snappy length varint cut off')
    const b = src[s++]!
    result += (b & 0x7f) * 2 ** shift
    if (b < 0x80) return [result, s]
  }
  throw new Error('snappy length varint too long')
}

/** Decodes the elements of a raw snappy block src[s, sEnd) into dst[d, dEnd), which it must fill exactly. */
export function snappyDecodeBlock (src: Buffer, s: number, sEnd: number, dst: Buffer, d: number, dEnd: number): void {
  const dStart = d
  while (s < sEnd) {
    const tag = src[s++]!
    const kind = tag & 3
    if (kind === 0) {
      let len = tag >>> 2
      if (len >= 60) {
        const n = len - 59
        if (s + n > sEnd) throw new Error('snappy literal length cut off')
        len = src[s]!
        if (n > 1) len |= src[s + 1]! << 8
        if (n > 2) len |= src[s + 2]! << 16
        if (n > 3) len += src[s + 3]! * 2 ** 24
        s += n
      }
      len += 1
      if (s + len > sEnd || d + len > dEnd) throw new Error('snappy literal runs past the block')
      copyLiteral(src, s, dst, d, len)
      s += len
      d += len
      continue
    }
    let len: number
    let offset: number
    if (kind === 1) {
      if (s >= sEnd) throw new Error('snappy copy cut off')
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | src[s++]!
    } else if (kind === 2) {
      if (s + 2 > sEnd) throw new Error('snappy copy cut off')
      len = (tag >>> 2) + 1
      offset = src[s]! | (src[s + 1]! << 8)
      s += 2
    } else {
      if (s + 4 > sEnd) throw new Error('snappy copy cut off')
      len = (tag >>> 2) + 1
      offset = src.readUInt32LE(s)
      s += 4
    }
    if (offset === 0 || offset > d - dStart) throw new Error(`snappy copy offset ${offset} points before the block`)
    if (d + len > dEnd) throw new Error('snappy copy runs past the announced size')
    d = copyMatch(dst, d, offset, len)
  }
  if (d !== dEnd) throw new Error(`snappy block decoded to ${d - dStart} bytes, header announced ${dEnd - dStart}`)
}
