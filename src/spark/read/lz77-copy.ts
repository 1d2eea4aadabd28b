/** The two copies every LZ77-family block decoder (lz4, snappy, lzf) makes; bounds are checked by the callers. */

/** Copies a literal run src[s, s + len) to dst at d: a byte loop for short runs, where Buffer.copy's call costs more. */
export function copyLiteral (src: Buffer, s: number, dst: Buffer, d: number, len: number): void {
  if (len < 16) {
    for (let k = 0; k < len; k++) dst[d + k] = src[s + k]!
  } else {
    src.copy(dst, d, s, s + len)
  }
}

/** Copies a back-reference of `len` bytes starting `offset` bytes behind d; returns the new write position. */
export function copyMatch (dst: Buffer, d: number, offset: number, len: number): number {
  let m = d - offset
  if (offset >= len && len >= 32) {
    dst.copyWithin(d, m, m + len)
    return d + len
  }
  // Overlapping matches repeat the last `offset` bytes, so they must be copied forward byte by byte.
  const end = d + len
  while (d < end) dst[d++] = dst[m++]!
  return d
}
