// One-pass tokenizer for the small JSON regions of a TaskEnd line (Task Info fields, Task Executor Metrics, Task
// Metrics). Keys are hashed (FNV-1a of the key, mixed with its parent key's hash) without allocating strings, and
// looked up in a table of the fields we want; everything else is stepped over.
import { EXECUTOR_METRICS, N_METRICS, TASK_METRICS, type TaskEndRecord } from './task-metrics.js'

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
  ['Task Info', 'Launch Time'], ['Task Info', 'Executor ID'], ['Task Info', 'Host'], ['Task Info', 'Locality'],
  ['Task Info', 'Speculative'], ['Task Info', 'Getting Result Time'], ['Task Info', 'Finish Time'],
  ['Task Info', 'Failed'], ['Task Info', 'Killed'],
  [null, 'Stage ID'], [null, 'Stage Attempt ID'], ['Task End Reason', 'Reason'],
] as const
type HeadField = (typeof HEAD_FIELDS)[number][1]
/** Index of each head field in ScanState's nums / strs / bools. */
export const TI = Object.fromEntries(HEAD_FIELDS.map((f, i) => [f[1], i])) as Record<HeadField, number>
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
 * field values found by the last scan (NaN / undefined = absent, indexed by TI), where it stopped, and the stack of
 * parent key hashes.
 */
export class ScanState {
  readonly nums = new Float64Array(HEAD_FIELDS.length)
  readonly strs: (string | undefined)[] = new Array<string | undefined>(HEAD_FIELDS.length).fill(undefined)
  readonly bools: (boolean | undefined)[] = new Array<boolean | undefined>(HEAD_FIELDS.length).fill(undefined)
  /** position of Task Info's Accumulables key after a STOPPED scan */
  stoppedAt = -1
  readonly stack = new Int32Array(64)

  /** Clears the head field values before a scan. */
  reset (): void {
    this.nums.fill(NaN)
    this.strs.fill(undefined)
    this.bools.fill(undefined)
    this.stoppedAt = -1
  }
}

/**
 * Scans [from, to) — which must start at a key's opening quote at the top level of the TaskEnd object — and stores
 * the wanted values into `rec` and the head fields of `st`. Returns 0 when it read to the end of the object or range,
 * STOPPED when it reached the key of Task Info's Accumulables (its position is then in `st.stoppedAt`), and -1 on
 * anything it cannot follow.
 */
export function scanFields (line: Buffer, from: number, to: number, rec: TaskEndRecord, st: ScanState): number {
  const stack = st.stack
  let depth = 0
  stack[0] = ROOT
  let slot = -1 // slot code of the key whose value comes next; -1 when none or not wanted
  let keyHash = 0 // plain hash of that key (0: none, or it had escapes), the parent of an object value's keys
  let i = from
  while (i < to) {
    const c = line[i]!
    if (c === 0x22) {
      // a string: key (followed by ':') or value
      let h = FNV_OFFSET
      let j = i + 1
      let escaped = false
      for (;;) {
        if (j >= to) return -1
        const d = line[j]!
        if (d === 0x22) break
        if (d === 0x5c) { escaped = true; j += 2; continue }
        h = Math.imul(h ^ d, FNV_PRIME)
        j++
      }
      let k = j + 1
      if (line[k] !== 0x3a) while (k < to && (line[k] === 0x20 || line[k] === 0x09)) k++
      if (line[k] === 0x3a) {
        const parent = stack[depth]!
        keyHash = escaped ? 0 : h
        slot = parent === 0 || escaped ? -1 : lookup(combine(parent, h))
        if (slot >= SLOT_ACCUMULABLES) {
          if (slot === SLOT_ACCUMULABLES) { st.stoppedAt = i; return STOPPED }
          rec.hasExecutorMetrics = true
          slot = -1
        }
        i = k + 1
        continue
      }
      if (slot >= 2000) {
        const v = escaped ? (JSON.parse(line.toString('utf8', i, j + 1)) as string) : line.toString('utf8', i + 1, j)
        // only successful tasks are read here: anything else goes to JSON.parse, so stop early
        if (slot - 2000 === TI['Reason'] && v !== 'Success') return -1
        st.strs[slot - 2000] = v
      }
      slot = -1
      keyHash = 0
      i = j + 1
      continue
    }
    if (c === 0x2c) { i++; continue }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
      let v = 0
      let j = i
      let neg = false
      if (c === 0x2d) { neg = true; j++ }
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
      if (neg) v = -v
      if (slot >= 0) store(slot, v, rec, st.nums)
      slot = -1
      keyHash = 0
      i = j
      continue
    }
    if (c === 0x7b || c === 0x5b) {
      if (depth >= 63) return -1
      stack[++depth] = c === 0x7b ? keyHash : 0
      slot = -1
      keyHash = 0
      i++
      continue
    }
    if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return 0
      depth--
      i++
      continue
    }
    if (c === 0x74 || c === 0x66) {
      if (slot >= 2000) st.bools[slot - 2000] = c === 0x74
      slot = -1
      keyHash = 0
      i += c === 0x74 ? 4 : 5
      continue
    }
    if (c === 0x6e) { slot = -1; keyHash = 0; i += 4; continue }
    i++
  }
  return 0
}

function store (slot: number, v: number, rec: TaskEndRecord, nums: Float64Array): void {
  if (slot < 1000) rec.metrics[slot] = v
  else if (slot < 2000) { rec.executorMetrics[slot - 1000] = v; rec.hasExecutorMetrics = true } else nums[slot - 2000] = v
}
