// Small byte-level helpers for reading known JSON fields straight out of a line Buffer without JSON.parse.

/** Latin-1 bytes of a search needle (event logs keep keys ASCII). */
export const needle = (s: string): Buffer => Buffer.from(s, 'latin1')

/** Position just after `key` inside [from, to), or -1. */
export function after (line: Buffer, key: Buffer, from: number, to: number): number {
  const i = line.indexOf(key, from)
  return i < 0 || i + key.length > to ? -1 : i + key.length
}

/** Parses the JSON number starting at `pos` (a quoted number too); NaN when there is none. */
export function numberAt (line: Buffer, pos: number): number {
  let i = pos
  let c = line[i]
  if (c === 0x22) c = line[++i]
  let neg = false
  if (c === 0x2d) { neg = true; c = line[++i] }
  if (c === undefined || c < 0x30 || c > 0x39) return NaN
  let v = 0
  const start = i
  while (c !== undefined && c >= 0x30 && c <= 0x39) {
    v = v * 10 + (c - 0x30)
    c = line[++i]
  }
  // Fractions, exponents and numbers past 2^53 are rare: let the engine parse them exactly.
  if (c === 0x2e || c === 0x65 || c === 0x45 || i - start > 15) {
    let j = i
    while (j < line.length) {
      const d = line[j]!
      if ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) j++
      else break
    }
    v = Number(line.toString('latin1', start, j))
  }
  return neg ? -v : v
}

/** Reads a JSON string without escapes starting at the opening quote; undefined if it has escapes or no quote. */
export function plainStringAt (line: Buffer, pos: number): string | undefined {
  if (line[pos] !== 0x22) return undefined
  const end = line.indexOf(0x22, pos + 1)
  if (end < 0) return undefined
  const bs = line.indexOf(0x5c, pos + 1)
  if (bs >= 0 && bs < end) return undefined
  return line.toString('utf8', pos + 1, end)
}

/** Reads a JSON string (escapes allowed) starting at the opening quote. Returns [value, endExclusive] or undefined. */
export function stringAt (line: Buffer, pos: number): [string, number] | undefined {
  if (line[pos] !== 0x22) return undefined
  let i = pos + 1
  let escaped = false
  for (;;) {
    const q = line.indexOf(0x22, i)
    if (q < 0) return undefined
    // count preceding backslashes: an odd number escapes the quote
    let k = q - 1
    let n = 0
    while (k > pos && line[k] === 0x5c) { n++; k-- }
    if (n > 0) escaped = true
    if (n % 2 === 0) {
      // any escape (\n, \u…, \\ …), not only an escaped quote, needs decoding
      const bs = line.indexOf(0x5c, pos + 1)
      if (bs >= 0 && bs < q) escaped = true
      const raw = line.toString('utf8', pos, q + 1)
      try {
        return [escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1), q + 1]
      } catch {
        return undefined
      }
    }
    i = q + 1
  }
}

/** true / false / undefined for the JSON literal at `pos`. */
export function boolAt (line: Buffer, pos: number): boolean | undefined {
  const c = line[pos]
  if (c === 0x74) return true
  if (c === 0x66) return false
  return undefined
}
