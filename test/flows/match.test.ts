import t from 'tap'
import { pairRuns, parseUtcMs } from '../../src/flows/match.js'
import type { Pair, Platform, Run } from '../../src/shared/flow-types.js'
import { makeRun } from '../helper-runs.js'

const BASE = Date.parse('2024-03-01T10:00:00Z')

function run (platform: Platform, jobGroupId: number, at: string | number, outputName: string | null = null): Run {
  const submittedAt = typeof at === 'number' ? new Date(BASE + at * 60_000).toISOString() : at
  return makeRun({ platform, jobGroupId, submittedAt, outputName })
}
const aac = (id: number, min: number | string, out: string | null = null): Run => run('aac', id, min, out)
const op = (id: number, min: number | string, out: string | null = null): Run => run('onprem', id, min, out)
const ids = (pairs: Pair[]): Array<[number, number]> => pairs.map((p) => [p.aacJobGroupId, p.onpremJobGroupId])

interface Case { name: string, aac: Run[], onprem: Run[], window: number, want: Array<[number, number]> }

const cases: Case[] = [
  {
    name: 'greedy trap from the spec: AAC 10:09, 10:01 vs on-prem 10:05, 10:19 gives two pairs',
    aac: [aac(1, 9), aac(2, 1)],
    onprem: [op(11, 5), op(12, 19)],
    window: 10,
    want: [[1, 12], [2, 11]]
  },
  { name: 'both sides empty', aac: [], onprem: [], window: 10, want: [] },
  { name: 'no AAC runs', aac: [], onprem: [op(1, 0)], window: 10, want: [] },
  { name: 'no on-prem runs', aac: [aac(1, 0)], onprem: [], window: 10, want: [] },
  { name: 'exactly on the window edge is inside', aac: [aac(1, 0)], onprem: [op(2, 10)], window: 10, want: [[1, 2]] },
  { name: 'edge before: -window is inside', aac: [aac(1, 10)], onprem: [op(2, 0)], window: 10, want: [[1, 2]] },
  { name: 'one ms past the window is outside', aac: [aac(1, 0)], onprem: [op(2, '2024-03-01T10:10:00.001Z')], window: 10, want: [] },
  { name: 'window 0 pairs only equal times', aac: [aac(1, 0), aac(2, 1)], onprem: [op(3, 0), op(4, 2)], window: 0, want: [[1, 3]] },
  { name: 'output mismatch never pairs', aac: [aac(1, 0, 'sales')], onprem: [op(2, 0, 'costs')], window: 10, want: [] },
  { name: 'null output on one side is compatible', aac: [aac(1, 0, 'sales')], onprem: [op(2, 1, null)], window: 10, want: [[1, 2]] },
  { name: 'empty output name counts as unnamed', aac: [aac(1, 0, '')], onprem: [op(2, 1, 'x')], window: 10, want: [[1, 2]] },
  {
    name: 'same output preferred structurally, closer wrong output ignored',
    aac: [aac(1, 0, 'a'), aac(2, 0, 'b')],
    onprem: [op(3, 1, 'b'), op(4, 5, 'a')],
    window: 10,
    want: [[1, 4], [2, 3]]
  },
  {
    name: 'tie: equal distance either side goes to the lower on-prem id',
    aac: [aac(1, 0)],
    onprem: [op(8, 5), op(7, -5)],
    window: 10,
    want: [[1, 7]]
  },
  {
    name: 'tie: identical times, lowest AAC id gets lowest on-prem id',
    aac: [aac(5, 0), aac(3, 0)],
    onprem: [op(9, 0), op(4, 0)],
    window: 10,
    want: [[5, 9], [3, 4]]
  },
  {
    name: 'tie: one on-prem run, two AAC runs at equal distance -> lower AAC id',
    aac: [aac(6, -3), aac(2, 3)],
    onprem: [op(1, 0)],
    window: 10,
    want: [[2, 1]]
  },
  {
    name: 'more pairs beats smaller total difference',
    aac: [aac(1, 0), aac(2, 10)],
    onprem: [op(3, 9), op(4, 19)],
    window: 10,
    want: [[2, 4], [1, 3]]
  },
  {
    name: 'duplicate job group ids keep the first occurrence',
    aac: [aac(1, 0), aac(1, 100)],
    onprem: [op(2, 100), op(3, 1)],
    window: 10,
    want: [[1, 3]]
  },
  {
    name: 'unparseable submittedAt never pairs',
    aac: [aac(1, 'not a date'), aac(2, 0)],
    onprem: [op(3, 0), op(4, 'garbage')],
    window: 10,
    want: [[2, 3]]
  },
  {
    name: 'zone-less timestamps are UTC and mix with zoned ones',
    aac: [aac(1, '2024-03-01T10:00:00')],
    onprem: [op(2, '2024-03-01T11:05:00+01:00')],
    window: 10,
    want: [[1, 2]]
  },
  {
    name: 'output sorted newest first',
    aac: [aac(1, 0), aac(2, 1000), aac(3, 500)],
    onprem: [op(4, 2), op(5, 1002), op(6, 501)],
    window: 10,
    want: [[2, 5], [3, 6], [1, 4]]
  }
]

t.test('table', async (t) => {
  for (const c of cases) {
    t.same(ids(pairRuns(c.aac, c.onprem, c.window)), c.want, c.name)
  }
})

t.test('diffMs is the absolute submission difference', async (t) => {
  const pairs = pairRuns([aac(1, 0)], [op(2, -7)], 10)
  t.same(pairs, [{ aacJobGroupId: 1, onpremJobGroupId: 2, diffMs: 7 * 60_000 }])
})

t.test('bad windows are refused', async (t) => {
  for (const w of [-1, Number.NaN, Number.POSITIVE_INFINITY]) t.throws(() => pairRuns([], [], w), RangeError, String(w))
})

t.test('parseUtcMs', async (t) => {
  t.equal(parseUtcMs('2024-03-01T10:00:00Z'), BASE)
  t.equal(parseUtcMs('2024-03-01T10:00:00.000'), BASE)
  t.equal(parseUtcMs('2024-03-01T12:00:00+02:00'), BASE)
  t.ok(Number.isNaN(parseUtcMs('yesterday')))
})

/** Deterministic PRNG so failures reproduce. */
function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** Exhaustive search: most pairs, least total diff, then lexicographically smallest partner vector by AAC id. */
function bruteForce (A: Run[], O: Run[], window: number): Array<[number, number]> {
  const as = [...A].sort((x, y) => x.jobGroupId - y.jobGroupId)
  const ms = (r: Run): number => Date.parse(r.submittedAt)
  const ok = (a: Run, o: Run): boolean =>
    Math.abs(ms(a) - ms(o)) <= window * 60_000 && (a.outputName === null || o.outputName === null || a.outputName === o.outputName)
  let best: { n: number, cost: number, vec: number[], pairs: Array<[number, number]> } | null = null
  const used = new Set<number>()
  const vec: number[] = []
  const chosen: Array<[number, number]> = []
  const better = (n: number, cost: number, v: number[]): boolean => {
    if (best === null) return true
    if (n !== best.n) return n > best.n
    if (cost !== best.cost) return cost < best.cost
    for (let i = 0; i < v.length; i++) if (v[i] !== best.vec[i]) return v[i]! < best.vec[i]!
    return false
  }
  const rec = (i: number, cost: number): void => {
    if (i === as.length) {
      if (better(chosen.length, cost, vec)) best = { n: chosen.length, cost, vec: [...vec], pairs: [...chosen] }
      return
    }
    const a = as[i]!
    vec.push(Infinity); rec(i + 1, cost); vec.pop()
    for (const o of O) {
      if (used.has(o.jobGroupId) || !ok(a, o)) continue
      used.add(o.jobGroupId); vec.push(o.jobGroupId); chosen.push([a.jobGroupId, o.jobGroupId])
      rec(i + 1, cost + Math.abs(ms(a) - ms(o)))
      used.delete(o.jobGroupId); vec.pop(); chosen.pop()
    }
  }
  rec(0, 0)
  return best === null ? [] : (best as { pairs: Array<[number, number]> }).pairs
}

const key = (p: Array<[number, number]>): string => JSON.stringify([...p].sort((x, y) => x[0] - y[0]))

t.test('brute-force cross-check on random small inputs', async (t) => {
  const rnd = mulberry32(20240301)
  const outputs = [null, 'a', 'b']
  let checked = 0
  for (let iter = 0; iter < 3000; iter++) {
    const n = Math.floor(rnd() * 7)
    const m = Math.floor(rnd() * 7)
    // coarse minutes make equal times and equal distances (ties) common
    const span = 1 + Math.floor(rnd() * 30)
    const idPool = [...Array(20).keys()].map((i) => i + 1).sort(() => rnd() - 0.5)
    const A = Array.from({ length: n }, (_, i) => aac(idPool[i]!, Math.floor(rnd() * span), outputs[Math.floor(rnd() * 3)]!))
    const O = Array.from({ length: m }, (_, i) => op(idPool[10 + i]!, Math.floor(rnd() * span), outputs[Math.floor(rnd() * 3)]!))
    const window = [0, 1, 3, 5, 10][Math.floor(rnd() * 5)]!
    const got = pairRuns(A, O, window)
    const want = bruteForce(A, O, window)
    if (key(ids(got)) !== key(want)) {
      t.fail('mismatch', { A: A.map((r) => [r.jobGroupId, r.submittedAt, r.outputName]), O: O.map((r) => [r.jobGroupId, r.submittedAt, r.outputName]), window, got: ids(got), want })
      return
    }
    // input order must not matter
    const shuffled = pairRuns([...A].reverse(), [...O].reverse(), window)
    if (JSON.stringify(shuffled) !== JSON.stringify(got)) { t.fail('order dependent'); return }
    checked++
  }
  t.equal(checked, 3000, 'all random cases agree with exhaustive search')
})

t.test('2000 x 2000 runs complete (weeks of history, bursts, several outputs)', async (t) => {
  const rnd = mulberry32(7)
  const outs = [null, 'sales', 'costs', 'stock']
  const mk = (p: Platform, base: number): Run[] => Array.from({ length: 2000 }, (_, i) => {
    // mostly spread over 60 days, every tenth run in a shared 20-minute burst
    const min = i % 10 === 0 ? 5000 + rnd() * 20 : rnd() * 60 * 24 * 60
    return run(p, base + i, min, outs[Math.floor(rnd() * outs.length)]!)
  })
  const pairs = pairRuns(mk('aac', 1), mk('onprem', 100001), 10)
  t.ok(pairs.length > 200, `paired ${pairs.length}`)
  t.equal(new Set(pairs.map((p) => p.aacJobGroupId)).size, pairs.length, 'one-to-one (AAC)')
  t.equal(new Set(pairs.map((p) => p.onpremJobGroupId)).size, pairs.length, 'one-to-one (on-prem)')
  t.ok(pairs.every((p) => p.diffMs <= 10 * 60_000), 'all inside the window')
})

t.test('2000 x 2000 runs inside one day (one large component) complete', async (t) => {
  const rnd = mulberry32(11)
  const outs = [null, 'sales', 'costs']
  const mk = (p: Platform, base: number): Run[] =>
    Array.from({ length: 2000 }, (_, i) => run(p, base + i, Math.floor(rnd() * 24 * 60 * 60) / 60, outs[Math.floor(rnd() * 3)]!))
  const pairs = pairRuns(mk('aac', 1), mk('onprem', 5001), 10)
  t.ok(pairs.length > 1800, `paired ${pairs.length}`)
})

t.test('a dense burst (300 x 300 inside one window) completes', async (t) => {
  const A = Array.from({ length: 300 }, (_, i) => aac(i + 1, (i * 7) % 10))
  const O = Array.from({ length: 300 }, (_, i) => op(i + 1, (i * 3) % 10))
  t.equal(pairRuns(A, O, 10).length, 300)
})
