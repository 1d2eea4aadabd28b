// One-pass tokenizer for the small JSON regions of a TaskEnd line (Task Info fields, Task Executor Metrics, Task
// Metrics). Keys are hashed (FNV-1a seeded with the parent key's hash) without allocating strings, and looked up in a
// table of the fields we want; everything else is stepped over.
import { EXECUTOR_METRICS, N_METRICS, TASK_METRICS, type TaskEndRecord } from './task-metrics.js'

const FNV_OFFSET = 0x811c9dc5 | 0
const fnv = (seed: number, s: string): number => {
  let h = seed
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h
}
const ROOT = FNV_OFFSET
const keyHash = (parent: string | null, key: string): number => fnv(parent === null ? ROOT : fnv(FNV_OFFSET, parent), key)

// Slot codes: [0, N_METRICS) task metrics; 1000 + i executor metrics; 2000 + k Task Info fields.
const TI_FIELDS = ['Task ID', 'Index', 'Attempt', 'Partition ID', 'Launch Time', 'Executor ID', 'Host', 'Locality', 'Speculative', 'Getting Result Time', 'Finish Time', 'Failed', 'Killed'] as const
export const TI = Object.fromEntries(TI_FIELDS.map((f, i) => [f, i])) as Record<(typeof TI_FIELDS)[number], number>
const SLOTS = new Map<number, number>()
for (let i = 0; i < N_METRICS; i++) {
  const [, key, parent] = TASK_METRICS[i]!
  if (parent === 'Shuffle Push Read Metrics') {
    SLOTS.set(keyHash('Shuffle Push Read Metrics', key), i)
    SLOTS.set(keyHash('Push Based Shuffle', key === 'Merged Fallback Count' ? 'Merged Fetch Fallback Count' : key), i)
  } else SLOTS.set(keyHash(parent === '' ? 'Task Metrics' : parent, key), i)
}
EXECUTOR_METRICS.forEach((n, i) => SLOTS.set(keyHash('Task Executor Metrics', n), 1000 + i))
TI_FIELDS.forEach((f, i) => SLOTS.set(keyHash('Task Info', f), 2000 + i))

/** Task Info values found by the last scan (NaN = absent); strings and booleans alongside. */
export const tiNums = new Float64Array(TI_FIELDS.length)
export const tiStrs: (string | undefined)[] = new Array(TI_FIELDS.length)
export const tiBools: (boolean | undefined)[] = new Array(TI_FIELDS.length)

const stack = new Int32Array(64)

/**
 * Scans [from, to) — which must start at a key's opening quote at the top level of the TaskEnd object — and stores
 * the wanted values into `rec` / tiNums / tiStrs / tiBools. Returns false on anything it cannot follow.
 */
export function scanFields(line: Buffer, from: number, to: number, rec: TaskEndRecord): boolean {
  let depth = 0
  stack[0] = ROOT
  let pending = 0 // hash of the key whose value comes next, 0 when none
  let lastKeyHash = 0
  let i = from
  while (i < to) {
    const c = line[i]!
    if (c === 0x22) {
      // a string: key (followed by ':') or value
      let h = stack[depth]!
      let j = i + 1
      let escaped = false
      for (;;) {
        if (j >= to) return false
        const d = line[j]!
        if (d === 0x22) break
        if (d === 0x5c) { escaped = true; j += 2; continue }
        h = Math.imul(h ^ d, 16777619)
        j++
      }
      let k = j + 1
      while (k < to && (line[k] === 0x20 || line[k] === 0x09)) k++
      if (line[k] === 0x3a) {
        // Keys of nested objects hash with their parent key's own hash as seed: remember the plain hash too.
        pending = h
        lastKeyHash = escaped ? 0 : plainHash(line, i + 1, j)
        i = k + 1
        continue
      }
      if (pending !== 0) {
        const slot = SLOTS.get(pending)
        if (slot !== undefined && slot >= 2000) tiStrs[slot - 2000] = escaped ? (JSON.parse(line.toString('utf8', i, j + 1)) as string) : line.toString('utf8', i + 1, j)
        pending = 0
      }
      i = j + 1
      continue
    }
    if (c === 0x7b || c === 0x5b) {
      if (depth >= 63) return false
      stack[++depth] = c === 0x7b && pending !== 0 ? lastKeyHash : 0
      pending = 0
      i++
      continue
    }
    if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return true
      depth--
      i++
      continue
    }
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
      if (pending !== 0) store(SLOTS.get(pending), v, rec)
      pending = 0
      i = j
      continue
    }
    if (c === 0x74 || c === 0x66) {
      if (pending !== 0) {
        const slot = SLOTS.get(pending)
        if (slot !== undefined && slot >= 2000) tiBools[slot - 2000] = c === 0x74
      }
      pending = 0
      i += c === 0x74 ? 4 : 5
      continue
    }
    if (c === 0x6e) { pending = 0; i += 4; continue }
    i++
  }
  return true
}

/** Hash of a key as a parent seed: FNV of the key text alone. */
function plainHash(line: Buffer, from: number, to: number): number {
  let h = FNV_OFFSET
  for (let i = from; i < to; i++) h = Math.imul(h ^ line[i]!, 16777619)
  return h
}

function store(slot: number | undefined, v: number, rec: TaskEndRecord): void {
  if (slot === undefined) return
  if (slot < 1000) rec.metrics[slot] = v
  else if (slot < 2000) { rec.executorMetrics[slot - 1000] = v; rec.hasExecutorMetrics = true }
  else tiNums[slot - 2000] = v
}

/** Clears the Task Info outputs before a scan. */
export function resetTaskInfo(): void {
  tiNums.fill(NaN)
  tiStrs.fill(undefined)
  tiBools.fill(undefined)
}
