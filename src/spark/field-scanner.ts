// One-pass tokenizer for the small JSON regions of a TaskEnd line (Task Info fields, Task Executor Metrics, Task
// Metrics). Keys are hashed (FNV-1a of the key, mixed with its parent key's hash) without allocating strings, and
// looked up in a table of the fields we want; everything else is stepped over.
import { EXECUTOR_METRICS, N_EXEC_METRICS, N_METRICS, TASK_METRICS, type TaskEndRecord } from './task-metrics.js'
import {
  SEEN_FALSE, SEEN_OTHER, SEEN_ZERO, Shape, ShapeRecorder, ShapeSet, StringCache, V_BOOL, V_NULL, V_NUM, V_STR,
} from './line-shape.js'

const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 16777619
/** FNV-1a of a key's text, as the scanner computes it from the bytes (keys are ASCII). */
const plain = (s: string): number => {
  let h = FNV_OFFSET
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME)
  return h
}
/** Parent of the top-level keys; 0 marks an object whose keys are not looked up (array members). */
const ROOT = plain('(TaskEnd)')
/** A key under a given parent key: the two plain hashes mixed. */
const combine = (parent: number, key: number): number => Math.imul(parent ^ Math.imul(key, 0x9e3779b1), FNV_PRIME) ^ (key >>> 15)
const keyHash = (parent: string | null, key: string): number => combine(parent === null ? ROOT : plain(parent), plain(key))

// Slot codes: [0, N_METRICS) task metrics; 1000 + i executor metrics; 2000 + k head fields (Task Info fields, Stage
// ID/attempt, Task End Reason.Reason); 5000 Task Info's Accumulables key (where a scan stops); 5001 the Task Executor
// Metrics key.
const HEAD_FIELDS = [
  ['Task Info', 'Task ID'], ['Task Info', 'Index'], ['Task Info', 'Attempt'], ['Task Info', 'Partition ID'],
  ['Task Info', 'Launch Time'], ['Task Info', 'Executor ID'],
  ['Task Info', 'Speculative'], ['Task Info', 'Getting Result Time'], ['Task Info', 'Finish Time'],
  ['Task Info', 'Failed'], ['Task Info', 'Killed'],
  [null, 'Stage ID'], [null, 'Stage Attempt ID'], ['Task End Reason', 'Reason'],
  // last: strings the analysis never uses, only checked (an escape in them sends the line to the JSON path, which
  // refuses a damaged one), never decoded
  ['Task Info', 'Host'], ['Task Info', 'Locality'],
] as const
type HeadField = (typeof HEAD_FIELDS)[number][1]
/** Index of each head field in ScanState's nums / strs / bools. */
export const TI = Object.fromEntries(HEAD_FIELDS.map((f, i) => [f[1], i])) as Record<HeadField, number>
/** head-field slots from here on are checked, not decoded (see HEAD_FIELDS) */
const SLOT_CHECK_ONLY = 2000 + HEAD_FIELDS.findIndex((f) => f[1] === 'Host')
const SLOT_ACCUMULABLES = 5000
const SLOT_EXECUTOR_METRICS = 5001
/** scanFields' answer when it stopped at Task Info's Accumulables: the key's position is in the state's `stoppedAt`. */
export const STOPPED = -2

// Open-addressing table hash -> slot code (a Map lookup per value was a visible cost). Built once at load from the
// constant field lists and only read afterwards.
const TABLE_BITS = 10
const MASK = (1 << TABLE_BITS) - 1
const bucket = (h: number): number => (h ^ (h >>> TABLE_BITS) ^ (h >>> 20)) & MASK
const [tableKeys, tableSlots] = buildTable()

function buildTable (): [Int32Array, Int32Array] {
  const keys = new Int32Array(1 << TABLE_BITS)
  const slots = new Int32Array(1 << TABLE_BITS).fill(-1)
  const define = (h: number, slot: number): void => {
    let i = bucket(h)
    while (slots[i]! >= 0) {
      if (keys[i] === h) throw new Error(`field-scanner: hash collision for slot ${slot}`)
      i = (i + 1) & MASK
    }
    keys[i] = h
    slots[i] = slot
  }
  for (let i = 0; i < N_METRICS; i++) {
    const [, key, parent] = TASK_METRICS[i]!
    if (parent === 'Shuffle Push Read Metrics') {
      define(keyHash('Shuffle Push Read Metrics', key), i)
      define(keyHash('Push Based Shuffle', key === 'Merged Fallback Count' ? 'Merged Fetch Fallback Count' : key), i)
    } else define(keyHash(parent === '' ? 'Task Metrics' : parent, key), i)
  }
  EXECUTOR_METRICS.forEach((n, i) => define(keyHash('Task Executor Metrics', n), 1000 + i))
  HEAD_FIELDS.forEach(([parent, key], i) => define(keyHash(parent, key), 2000 + i))
  define(keyHash('Task Info', 'Accumulables'), SLOT_ACCUMULABLES)
  define(keyHash(null, 'Task Executor Metrics'), SLOT_EXECUTOR_METRICS)
  return [keys, slots]
}

function lookup (h: number): number {
  let i = bucket(h)
  for (;;) {
    const s = tableSlots[i]!
    if (s < 0 || tableKeys[i] === h) return s
    i = (i + 1) & MASK
  }
}

/**
 * One scanner's working state (each parser owns one, so parsers in one thread or worker never share it): the head
 * field values found by the last scan (NaN / undefined = absent, indexed by TI), where it stopped, the stack of
 * parent key hashes, the line shapes learnt so far and the decoded strings.
 */
export class ScanState {
  readonly nums = new Float64Array(HEAD_FIELDS.length)
  readonly strs: (string | undefined)[] = new Array<string | undefined>(HEAD_FIELDS.length).fill(undefined)
  readonly bools: (boolean | undefined)[] = new Array<boolean | undefined>(HEAD_FIELDS.length).fill(undefined)
  /** position of Task Info's Accumulables key after a STOPPED scan */
  stoppedAt = -1
  /** end of the number read by scanNumber */
  numEnd = 0
  /** whether the string closingQuote found has escapes */
  escaped = false
  readonly stack = new Int32Array(64)
  /** shapes of TaskEnd's head (up to Task Info's Accumulables), TaskEnd's metrics tail, TaskStart's head */
  readonly taskEndHead = new ShapeSet()
  readonly taskEndTail = new ShapeSet()
  readonly taskStartHead = new ShapeSet()
  /** per value of the last region read by a shape: SEEN_ZERO, SEEN_FALSE or SEEN_OTHER (for bakeZeros) */
  seen = new Uint8Array(256)
  readonly recorder = new ShapeRecorder()
  /** the metrics before a region is read by a shape, put back when the shape does not fit */
  readonly savedMetrics = new Float64Array(N_METRICS)
  readonly savedExecutorMetrics = new Float64Array(N_EXEC_METRICS)
  readonly strings = new StringCache()

  private viewOf: ArrayBufferLike | undefined
  private view: Int32Array<ArrayBufferLike> = new Int32Array(0)

  /** A 32-bit word view of the whole ArrayBuffer under `line` (kept while lines come from the same buffer). */
  wordView (line: Buffer): Int32Array<ArrayBufferLike> {
    const ab = line.buffer
    if (ab !== this.viewOf) {
      this.viewOf = ab
      this.view = new Int32Array(ab, 0, ab.byteLength >> 2)
    }
    return this.view
  }

  /** Clears the head field values before a scan. */
  reset (): void {
    // one loop over the 16 fields rather than three fill() calls: this runs for every task line
    const nums = this.nums
    const strs = this.strs
    const bools = this.bools
    for (let i = 0; i < nums.length; i++) {
      nums[i] = NaN
      strs[i] = undefined
      bools[i] = undefined
    }
    this.stoppedAt = -1
  }
}

/**
 * The JSON number starting at `i` (a digit or '-'); its end goes to `st.numEnd`. Plain integers are computed from
 * the digits; fractions, exponents and numbers past 2^53 are left to the engine, which parses them exactly.
 */
function scanNumber (line: Buffer, i: number, to: number, st: ScanState): number {
  let v = 0
  let j = i
  let neg = false
  if (line[j] === 0x2d) { neg = true; j++ }
  const start = j
  let d = line[j]!
  while (d >= 0x30 && d <= 0x39) { v = v * 10 + (d - 0x30); d = line[++j]! }
  if (d === 0x2e || d === 0x65 || d === 0x45 || j - start > 15) {
    while (j < to) {
      const e = line[j]!
      if ((e >= 0x30 && e <= 0x39) || e === 0x2e || e === 0x65 || e === 0x45 || e === 0x2b || e === 0x2d) j++
      else break
    }
    v = Number(line.toString('latin1', start, j))
  }
  st.numEnd = j
  return neg ? -v : v
}

/**
 * Scans [from, to) — which must start at a key's opening quote at the top level of the TaskEnd object — and stores
 * the wanted values into `rec` and the head fields of `st`. Returns 0 when it read to the end of the object or range,
 * STOPPED when it reached the key of Task Info's Accumulables (its position is then in `st.stoppedAt`), and -1 on
 * anything it cannot follow. With `shapes`, the region's shape is learnt into it when the scan succeeds.
 */
export function scanFields (line: Buffer, from: number, to: number, rec: TaskEndRecord, st: ScanState, shapes?: ShapeSet): number {
  const stack = st.stack
  const sr = shapes ? st.recorder : undefined
  sr?.begin(line, from)
  let depth = 0
  stack[0] = ROOT
  let slot = -1 // slot code of the key whose value comes next; -1 when none or not wanted
  let keyHash = 0 // plain hash of that key (0: none, or it had escapes), the parent of an object value's keys
  let i = from
  while (i < to) {
    const c = line[i]!
    if (c === 0x22) {
      // a string: key (followed by ':') or value
      const j = closingQuote(line, i, to, st)
      if (j < 0) return -1
      const escaped = st.escaped
      let k = j + 1
      if (line[k] !== 0x3a) while (k < to && (line[k] === 0x20 || line[k] === 0x09)) k++
      if (line[k] === 0x3a) {
        let h = FNV_OFFSET
        for (let x = i + 1; x < j; x++) h = Math.imul(h ^ line[x]!, FNV_PRIME)
        const parent = stack[depth]!
        keyHash = escaped ? 0 : h
        slot = parent === 0 || escaped ? -1 : lookup(combine(parent, h))
        if (slot >= SLOT_ACCUMULABLES) {
          if (slot === SLOT_ACCUMULABLES) {
            st.stoppedAt = i
            if (sr) learn(shapes!, sr.shape(k + 1, k + 1 - i, false))
            return STOPPED
          }
          rec.hasExecutorMetrics = true
          if (sr) sr.executorMetrics = true
          slot = -1
        }
        i = k + 1
        continue
      }
      if (slot >= 2000) {
        const v = escaped ? unescape(line, i, j + 1) : slot < SLOT_CHECK_ONLY ? st.strings.get(line, i + 1, j) : ''
        if (v === undefined) return -1
        // only successful tasks are read here: anything else goes to JSON.parse, so stop early
        if (slot - 2000 === TI['Reason'] && v !== 'Success') return -1
        if (slot < SLOT_CHECK_ONLY) st.strs[slot - 2000] = v
      }
      sr?.value(i, j + 1, V_STR, slot)
      slot = -1
      keyHash = 0
      i = j + 1
      continue
    }
    if (c === 0x2c) { i++; continue }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
      const v = scanNumber(line, i, to, st)
      if (slot >= 0) store(slot, v, rec, st.nums)
      sr?.value(i, st.numEnd, V_NUM, slot)
      slot = -1
      keyHash = 0
      i = st.numEnd
      continue
    }
    if (c === 0x7b || c === 0x5b) {
      if (depth >= 63) return -1
      if (c === 0x5b) sr?.openArray(i, depth)
      stack[++depth] = c === 0x7b ? keyHash : 0
      slot = -1
      keyHash = 0
      i++
      continue
    }
    if (c === 0x7d || c === 0x5d) {
      if (depth === 0) {
        if (sr) learn(shapes!, sr.shape(i + 1, 0, i + 1 === to))
        return 0
      }
      depth--
      sr?.close(i, depth)
      i++
      continue
    }
    if (c === 0x74 || c === 0x66) {
      if (slot >= 2000) st.bools[slot - 2000] = c === 0x74
      const n = c === 0x74 ? 4 : 5
      sr?.value(i, i + n, V_BOOL, slot)
      slot = -1
      keyHash = 0
      i += n
      continue
    }
    if (c === 0x6e) {
      sr?.value(i, i + 4, V_NULL, -1)
      slot = -1
      keyHash = 0
      i += 4
      continue
    }
    i++
  }
  if (sr) learn(shapes!, sr.shape(to, 0, true))
  return 0
}

/** The closing quote of the string opening at `at` (-1: none before `to`); whether it has escapes goes to st.escaped. */
function closingQuote (line: Uint8Array, at: number, to: number, st: ScanState): number {
  let j = at + 1
  let escaped = false
  for (;;) {
    if (j >= to) return -1
    const d = line[j]!
    if (d === 0x22) break
    if (d === 0x5c) { escaped = true; j += 2; continue }
    j++
  }
  st.escaped = escaped
  return j
}

/** A JSON string with escapes; undefined when it is not valid JSON (a damaged line). */
function unescape (line: Buffer, from: number, to: number): string | undefined {
  try {
    return JSON.parse(line.toString('utf8', from, to)) as string
  } catch {
    return undefined
  }
}

function learn (set: ShapeSet, s: Shape | null): void {
  if (s) set.learn(s)
}

/**
 * Reads [from, to) by a learnt shape: the literal text must match byte for byte and every value must be of the
 * recorded kind, or it answers -1 (the caller then tokenizes the line). Stores what scanFields would store, and
 * answers what it would answer for the same line.
 */
export function matchShape (sh: Shape, line: Buffer, from: number, to: number, rec: TaskEndRecord, st: ScanState): number {
  const lits = sh.lits
  const ends = sh.litEnd
  const kinds = sh.kinds
  const slots = sh.slots
  const n = kinds.length
  const view = st.wordView(line)
  const base = line.byteOffset
  if (st.seen.length < n) st.seen = new Uint8Array(n)
  const seen = st.seen
  let p = from
  let x = 0
  for (let k = 0; ; k++) {
    const e = ends[k]!
    if (p + (e - x) > to) return -1
    const same = sh.literalAt(k, view, base + p)
    if (same === false) return -1
    if (same === undefined) {
      for (let y = x; y < e; y++) if (line[p + y - x] !== lits[y]) return -1
    }
    p += e - x
    x = e
    if (k === n) break
    const slot = slots[k]!
    const c = line[p]!
    switch (kinds[k]) {
      case V_NUM: {
        if (!((c >= 0x30 && c <= 0x39) || c === 0x2d)) return -1
        const v = scanNumber(line, p, to, st)
        if (slot >= 0) store(slot, v, rec, st.nums)
        seen[k] = c === 0x30 && st.numEnd === p + 1 ? SEEN_ZERO : SEEN_OTHER
        p = st.numEnd
        break
      }
      case V_STR: {
        if (c !== 0x22) return -1
        const j = closingQuote(line, p, to, st)
        if (j < 0) return -1
        if (slot >= 2000) {
          if (st.escaped) return -1
          if (slot < SLOT_CHECK_ONLY) {
            const v = st.strings.get(line, p + 1, j)
            if (slot - 2000 === TI['Reason'] && v !== 'Success') return -1
            st.strs[slot - 2000] = v
          }
        }
        seen[k] = SEEN_OTHER
        p = j + 1
        break
      }
      case V_BOOL:
        if (c === 0x74) {
          if (slot >= 2000) st.bools[slot - 2000] = true
          seen[k] = SEEN_OTHER
          p += 4
        } else if (c === 0x66) {
          if (slot >= 2000) st.bools[slot - 2000] = false
          seen[k] = SEEN_FALSE
          p += 5
        } else return -1
        break
      case V_NULL:
        if (c !== 0x6e) return -1
        seen[k] = SEEN_OTHER
        p += 4
        break
      default:
        if (c !== 0x5b) return -1
        p = skipArray(line, p, to)
        if (p < 0) return -1
        seen[k] = SEEN_OTHER
    }
  }
  storeFolded(sh, rec, st)
  if (sh.executorMetrics) rec.hasExecutorMetrics = true
  if (sh.stopBack > 0) {
    st.stoppedAt = p - sh.stopBack
    return STOPPED
  }
  return 0
}

/**
 * Reads the region that ends at `to` by a learnt shape, from its end backwards, so that its start need not be
 * searched for: answers where it starts (never before `lo`), or -1 when the bytes do not fit the shape. Only for
 * shapes in which no slot repeats (backwards, the first of two values would win) and that end at the line's end.
 * Values are delimited exactly as the forward tokenizer delimits them (a value it would read differently, such as a
 * string with escapes, answers -1), so a region that fits is read as scanFields reads it.
 */
export function matchShapeBack (sh: Shape, line: Buffer, lo: number, to: number, rec: TaskEndRecord, st: ScanState): number {
  if (!sh.backwards) return -1
  const lits = sh.lits
  const ends = sh.litEnd
  const kinds = sh.kinds
  const slots = sh.slots
  const view = st.wordView(line)
  const base = line.byteOffset
  if (st.seen.length < kinds.length) st.seen = new Uint8Array(kinds.length)
  const seen = st.seen
  let p = to
  for (let k = kinds.length; ; k--) {
    const b = k === 0 ? 0 : ends[k - 1]!
    const x = ends[k]!
    if (p - (x - b) < lo) return -1
    p -= x - b
    const same = sh.literalAt(k, view, base + p)
    if (same === false) return -1
    if (same === undefined) {
      for (let y = b; y < x; y++) if (line[p + y - b] !== lits[y]) return -1
    }
    if (k === 0) break
    const slot = slots[k - 1]!
    switch (kinds[k - 1]) {
      case V_NUM: {
        // Nearly every value here is a plain integer: its digits are summed from the last one back (exact up to 15
        // digits, as scanNumber's). Anything else (a sign, a fraction, an exponent, more digits, or a digit right
        // after the value, where the forward reader would not stop) takes the general path below.
        let v = 0
        let scale = 1
        let q = p
        let e = line[q - 1]!
        while (q > lo && e >= 0x30 && e <= 0x39) {
          v += (e - 0x30) * scale
          scale *= 10
          e = line[--q - 1]!
        }
        const next = line[p]!
        if (q < p && p - q <= 15 && (q === lo || !isNumberByte(e)) && !isNumberByte(next)) {
          if (slot >= 0) store(slot, v, rec, st.nums)
          seen[k - 1] = p - q === 1 && v === 0 ? SEEN_ZERO : SEEN_OTHER
          p = q
          break
        }
        seen[k - 1] = SEEN_OTHER
        while (q > lo) {
          e = line[q - 1]!
          if (isNumberByte(e)) q--
          else break
        }
        const c = line[q]!
        if (q === p || !((c >= 0x30 && c <= 0x39) || c === 0x2d)) return -1
        const n = scanNumber(line, q, p, st)
        if (st.numEnd !== p) return -1
        if (slot >= 0) store(slot, n, rec, st.nums)
        p = q
        break
      }
      case V_STR: {
        if (line[p - 1] !== 0x22) return -1
        let q = p - 2
        while (q >= lo) {
          const d = line[q]!
          if (d === 0x22) break
          if (d === 0x5c) return -1
          q--
        }
        if (q < lo) return -1
        if (slot >= 2000 && slot < SLOT_CHECK_ONLY) {
          const v = st.strings.get(line, q + 1, p - 1)
          if (slot - 2000 === TI['Reason'] && v !== 'Success') return -1
          st.strs[slot - 2000] = v
        }
        seen[k - 1] = SEEN_OTHER
        p = q
        break
      }
      case V_BOOL:
        if (p - 4 >= lo && line[p - 4] === 0x74 && line[p - 3] === 0x72 && line[p - 2] === 0x75 && line[p - 1] === 0x65) {
          if (slot >= 2000) st.bools[slot - 2000] = true
          seen[k - 1] = SEEN_OTHER
          p -= 4
        } else if (p - 5 >= lo && line[p - 5] === 0x66 && line[p - 4] === 0x61 && line[p - 3] === 0x6c && line[p - 2] === 0x73 && line[p - 1] === 0x65) {
          if (slot >= 2000) st.bools[slot - 2000] = false
          seen[k - 1] = SEEN_FALSE
          p -= 5
        } else return -1
        break
      case V_NULL:
        if (!(p - 4 >= lo && line[p - 4] === 0x6e && line[p - 3] === 0x75 && line[p - 2] === 0x6c && line[p - 1] === 0x6c)) return -1
        seen[k - 1] = SEEN_OTHER
        p -= 4
        break
      default: {
        // an array without strings (Updated Blocks is mostly []): brackets counted backwards
        if (line[p - 1] !== 0x5d) return -1
        let depth = 0
        let q = p - 1
        for (; q >= lo; q--) {
          const d = line[q]!
          if (d === 0x22) return -1
          if (d === 0x5d || d === 0x7d) depth++
          else if ((d === 0x5b || d === 0x7b) && --depth === 0) break
        }
        if (q < lo || line[q] !== 0x5b) return -1
        seen[k - 1] = SEEN_OTHER
        p = q
      }
    }
  }
  storeFolded(sh, rec, st)
  if (sh.executorMetrics) rec.hasExecutorMetrics = true
  return p
}

/** Stores the values folded into a shape's text (its line fitted the shape, so they are there). */
function storeFolded (sh: Shape, rec: TaskEndRecord, st: ScanState): void {
  const zs = sh.zeroSlots
  for (let i = 0; i < zs.length; i++) store(zs[i]!, 0, rec, st.nums)
  const fs = sh.falseSlots
  for (let i = 0; i < fs.length; i++) st.bools[fs[i]! - 2000] = false
}

/** Whether byte `c` can be part of a JSON number (a digit, '.', 'e', 'E', '+' or '-'). */
function isNumberByte (c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d
}

/** End of the array opening at `at` (brackets inside strings do not count); -1 when it does not end before `to`. */
function skipArray (line: Uint8Array, at: number, to: number): number {
  let depth = 0
  let i = at
  while (i < to) {
    const c = line[i]!
    if (c === 0x22) {
      i++
      while (i < to) {
        const d = line[i]!
        if (d === 0x22) break
        i += d === 0x5c ? 2 : 1
      }
    } else if (c === 0x5b || c === 0x7b) depth++
    else if (c === 0x5d || c === 0x7d) {
      if (--depth === 0) return i + 1
    }
    i++
  }
  return -1
}

function store (slot: number, v: number, rec: TaskEndRecord, nums: Float64Array): void {
  if (slot < 1000) rec.metrics[slot] = v
  else if (slot < 2000) { rec.executorMetrics[slot - 1000] = v; rec.hasExecutorMetrics = true } else nums[slot - 2000] = v
}
