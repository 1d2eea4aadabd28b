/**
 * JSON.parse itself takes any nesting, but what walks the result afterwards (JSON.stringify, structured clone to and
 * from the analysis worker, the view) recurses, and a line nested 10,000 deep overflows the stack. Spark's own reader
 * refuses such lines too: Jackson (2.15+) stops at a nesting depth of 1000 by default.
 */
export const MAX_JSON_DEPTH = 1000

/**
 * Whether the JSON text in `line` (its first `n` bytes: the part that will be parsed) nests objects/arrays deeper
 * than `max`: one pass over the bytes, strings skipped with a native search for their closing quote. A text of at
 * most `max` bytes cannot, and is not scanned.
 */
export function nestedDeeperThan (line: Buffer, max = MAX_JSON_DEPTH, n = line.length): boolean {
  if (n <= max) return false
  let depth = 0
  for (let i = 0; i < n; i++) {
    const c = line[i]!
    if (c === 0x22) {
      let q = line.indexOf(0x22, i + 1)
      // a quote preceded by an odd number of backslashes is escaped
      while (q > 0) {
        let k = q - 1
        while (line[k] === 0x5c) k--
        if ((q - 1 - k) % 2 === 0) break
        q = line.indexOf(0x22, q + 1)
      }
      if (q < 0 || q >= n) return false
      i = q
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true
    } else if (c === 0x7d || c === 0x5d) {
      depth--
    }
  }
  return false
}
