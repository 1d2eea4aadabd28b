import type { Pair, Run } from '../shared/flow-types.js'

/*
 * Pairing AAC runs with on-prem runs is a min-cost maximum bipartite matching: an edge joins two runs whose
 * submissions are at most the window apart (inclusive) and whose outputs are compatible (same name, or either
 * side unnamed); its cost is |Δt| in ms.
 *
 * - The graph is split into connected components (runs weeks apart never interact), and each component is
 *   solved exactly by successive shortest paths (Dijkstra with potentials) on a unit-capacity flow network.
 *   Running until no augmenting path is left gives the most pairs, and each shortest augmentation keeps the
 *   total |Δt| minimal for that number of pairs. Dijkstra stops once the sink is settled, so an augmentation
 *   only explores the neighbourhood of its path in the usual sparse case.
 * - Tie rule: among all pairings with the most pairs and the least total |Δt|, the result is the one whose
 *   vector of partners is lexicographically smallest when AAC runs are taken in ascending jobGroupId and each
 *   entry is the partner's on-prem jobGroupId (unpaired counting as +infinity). In words: the AAC run with the
 *   lowest id gets the lowest-id on-prem partner it can have in any optimal pairing, then the next AAC run, and
 *   so on. It is applied exactly: another optimal pairing differs from the found one only by cycles of zero
 *   reduced cost in the residual graph, so each AAC run's best achievable partner is the lowest-id tight
 *   neighbour from which a BFS over tight residual edges (earlier AAC runs frozen) leads back to it; the
 *   pairing is then moved around that cycle. The result therefore does not depend on input order.
 *
 * Cost: O(E) to build the edges (after sorting) plus, per component of k runs and e edges,
 * O(k · e · log k) worst case for the matching and O(k · e₀) for the tie rule (e₀: edges of zero reduced
 * cost). Measured on 2000 x 2000 runs: spread over weeks < 0.1 s, over one day ~2 s, all within three hours
 * ~11 s; a pathological 1000 x 1000 burst inside a single window ~20 s. Saved runs spread over days make
 * components tiny; only bursts of hundreds of runs inside one window on both sides make a component large.
 */

const MINUTE_MS = 60_000
const INF = Number.POSITIVE_INFINITY

interface RunPoint {
  id: number
  t: number
  out: string | null
}

/** Parses an ISO-8601 timestamp as UTC (a date-time without an offset is UTC too); NaN when unparseable. */
export function parseUtcMs (iso: string): number {
  if (typeof iso !== 'string') return Number.NaN
  const s = iso.trim()
  // ECMAScript reads a zone-less date-time as local time; upstream timestamps are UTC
  const zoneless = /T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(s)
  return Date.parse(zoneless ? s + 'Z' : s)
}

function outputOf (run: Run): string | null {
  const o = run.outputName
  return typeof o === 'string' && o !== '' ? o : null
}

/** Keeps the first run of each jobGroupId with a parseable submission time: duplicates would make pairs ambiguous. */
function nodesOf (runs: Run[]): RunPoint[] {
  const seen = new Set<number>()
  const out: RunPoint[] = []
  for (const run of runs) {
    if (seen.has(run.jobGroupId)) continue
    seen.add(run.jobGroupId)
    const t = parseUtcMs(run.submittedAt)
    if (Number.isFinite(t)) out.push({ id: run.jobGroupId, t, out: outputOf(run) })
  }
  return out
}

function find (parent: Int32Array, x: number): number {
  let r = x
  while (parent[r] !== r) r = parent[r]!
  while (parent[x] !== r) { const nx = parent[x]!; parent[x] = r; x = nx }
  return r
}

/** Unit-capacity flow network with paired edges (e, e ^ 1) kept in flat arrays. */
class Network {
  readonly head: Int32Array
  readonly to: number[] = []
  readonly cap: number[] = []
  readonly cost: number[] = []
  readonly next: number[] = []

  constructor (nodes: number) {
    this.head = new Int32Array(nodes).fill(-1)
  }

  add (u: number, v: number, cost: number): void {
    this.push(u, v, 1, cost)
    this.push(v, u, 0, -cost)
  }

  private push (u: number, v: number, cap: number, cost: number): void {
    this.to.push(v)
    this.cap.push(cap)
    this.cost.push(cost)
    this.next.push(this.head[u]!)
    this.head[u] = this.to.length - 1
  }
}

/** Binary min-heap of (key, node) with lazy deletion. */
class Heap {
  private readonly keys: number[] = []
  private readonly vals: number[] = []
  get size (): number { return this.keys.length }
  clear (): void { this.keys.length = 0; this.vals.length = 0 }

  push (k: number, v: number): void {
    const { keys, vals } = this
    let i = keys.length
    keys.push(k); vals.push(v)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (keys[p]! <= k) break
      keys[i] = keys[p]!; vals[i] = vals[p]!
      i = p
    }
    keys[i] = k; vals[i] = v
  }

  /** Pops the minimum into out[0] (key) and out[1] (node). */
  pop (out: [number, number]): void {
    const { keys, vals } = this
    out[0] = keys[0]!; out[1] = vals[0]!
    const k = keys.pop()!
    const v = vals.pop()!
    const n = keys.length
    if (n === 0) return
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && keys[c + 1]! < keys[c]!) c++
      if (keys[c]! >= k) break
      keys[i] = keys[c]!; vals[i] = vals[c]!
      i = c
    }
    keys[i] = k; vals[i] = v
  }
}

/**
 * Solves one component. `aac` must be sorted by ascending id (the tie rule's order); edges are
 * [aacIndex, onpremIndex, costMs]. Returns the partner index in `onprem` per AAC index, or -1.
 */
function solveComponent (aac: RunPoint[], onprem: RunPoint[], edges: Array<[number, number, number]>): Int32Array {
  const na = aac.length
  const no = onprem.length
  const S = 0
  const T = na + no + 1
  const V = T + 1
  const net = new Network(V)
  for (let a = 0; a < na; a++) net.add(S, 1 + a, 0)
  for (let o = 0; o < no; o++) net.add(1 + na + o, T, 0)
  for (const [a, o, c] of edges) net.add(1 + a, 1 + na + o, c)
  const { head, to, cap, cost, next } = net

  // successive shortest paths; potentials stay feasible because distances are capped (see below)
  const pi = new Float64Array(V)
  const dist = new Float64Array(V)
  const prevEdge = new Int32Array(V)
  const flip = (e: number): void => { cap[e] = cap[e]! - 1; cap[e ^ 1] = cap[e ^ 1]! + 1 }
  const heap = new Heap()
  const top: [number, number] = [0, 0]
  for (;;) {
    dist.fill(INF)
    dist[S] = 0
    heap.push(0, S)
    while (heap.size > 0) {
      heap.pop(top)
      const [d, u] = top
      if (d > dist[u]!) continue
      // unsettled nodes are at least d(T) away, which is where their potential gets capped anyway
      if (u === T) break
      for (let e = head[u]!; e !== -1; e = next[e]!) {
        if (cap[e] === 0) continue
        const v = to[e]!
        const nd = d + cost[e]! + pi[u]! - pi[v]!
        if (nd < dist[v]!) { dist[v] = nd; prevEdge[v] = e; heap.push(nd, v) }
      }
    }
    heap.clear()
    const dt = dist[T]!
    if (dt === INF) break
    // capping at d(T) keeps every residual reduced cost >= 0 and makes the augmenting path tight
    for (let v = 0; v < V; v++) pi[v] = pi[v]! + Math.min(dist[v]!, dt)
    for (let v = T; v !== S; v = to[prevEdge[v]! ^ 1]!) flip(prevEdge[v]!)
  }

  const isOnprem = (v: number): boolean => v > na && v < T
  const partnerEdge = (a: number): number => {
    for (let e = head[a]!; e !== -1; e = next[e]!) if ((e & 1) === 0 && isOnprem(to[e]!) && cap[e] === 0) return e
    return -1
  }

  // tie rule: AAC runs in ascending id, each takes the lowest-id partner reachable by a zero-cost cycle.
  // Candidates are tried lowest id first with a forward BFS to `a`; nodes a failed search saw cannot reach `a`
  // either, so they are not searched again for the same `a` (at most one sweep of the component per AAC run).
  // potentials no longer change, so the zero-reduced-cost edges are fixed: search only those (few, even when the
  // component is dense); whether one is usable then only depends on its capacity
  const tightAdj: number[][] = Array.from({ length: V }, () => [])
  for (let u = 0; u < V; u++) {
    for (let e = head[u]!; e !== -1; e = next[e]!) if (cost[e]! + pi[u]! - pi[to[e]!]! === 0) tightAdj[u]!.push(e)
  }
  const fixed = new Uint8Array(V)
  const seen = new Int32Array(V)
  const via = new Int32Array(V)
  const queue = new Int32Array(V)
  for (let ai = 0; ai < na; ai++) {
    const a = 1 + ai
    const stamp = ai + 1
    const pe = partnerEdge(a)
    const currentId = pe === -1 ? INF : onprem[to[pe]! - 1 - na]!.id
    const candidates: number[] = []
    for (const e of tightAdj[a]!) {
      const o = to[e]!
      if (cap[e]! > 0 && isOnprem(o) && onprem[o - 1 - na]!.id < currentId) candidates.push(e)
    }
    candidates.sort((x, y) => onprem[to[x]! - 1 - na]!.id - onprem[to[y]! - 1 - na]!.id)
    seen[a] = stamp
    for (const ce of candidates) {
      const o = to[ce]!
      if (seen[o] === stamp) continue
      seen[o] = stamp
      let qh = 0
      let qt = 0
      queue[qt++] = o
      let found = false
      while (qh < qt && !found) {
        const v = queue[qh++]!
        for (const e of tightAdj[v]!) {
          if (cap[e] === 0) continue
          const w = to[e]!
          if (w === a) { via[a] = e; found = true; break }
          if (seen[w] === stamp || fixed[w] === 1) continue
          seen[w] = stamp
          via[w] = e
          queue[qt++] = w
        }
      }
      if (!found) continue
      for (let w = a; w !== o;) {
        const e = via[w]!
        flip(e)
        w = to[e ^ 1]!
      }
      flip(ce)
      break
    }
    fixed[a] = 1
  }

  const result = new Int32Array(na).fill(-1)
  for (let ai = 0; ai < na; ai++) {
    const pe = partnerEdge(1 + ai)
    if (pe !== -1) result[ai] = to[pe]! - 1 - na
  }
  return result
}

/**
 * Pairs AAC with on-prem runs one-to-one: most pairs, then least total |Δ submittedAt|, ties by the rule above;
 * newest pair first (by the later of its two submissions, then AAC id descending).
 */
export function pairRuns (aac: Run[], onprem: Run[], windowMinutes: number): Pair[] {
  if (!Number.isFinite(windowMinutes) || windowMinutes < 0) {
    throw new RangeError(`match window must be a non-negative number of minutes, got ${String(windowMinutes)}`)
  }
  const windowMs = windowMinutes * MINUTE_MS
  const A = nodesOf(aac)
  const O = nodesOf(onprem).sort((x, y) => x.t - y.t || x.id - y.id)
  const na = A.length

  const edges: Array<[number, number, number]> = []
  const parent = new Int32Array(na + O.length)
  for (let i = 0; i < parent.length; i++) parent[i] = i
  for (let ai = 0; ai < na; ai++) {
    const a = A[ai]!
    let lo = 0
    let hi = O.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (O[mid]!.t < a.t - windowMs) lo = mid + 1
      else hi = mid
    }
    for (let oi = lo; oi < O.length && O[oi]!.t <= a.t + windowMs; oi++) {
      const o = O[oi]!
      if (a.out !== null && o.out !== null && a.out !== o.out) continue
      edges.push([ai, oi, Math.abs(a.t - o.t)])
      const ra = find(parent, ai)
      const ro = find(parent, na + oi)
      if (ra !== ro) parent[ra] = ro
    }
  }

  const components = new Map<number, Array<[number, number, number]>>()
  for (const e of edges) {
    const r = find(parent, e[0])
    const list = components.get(r)
    if (list === undefined) components.set(r, [e])
    else list.push(e)
  }
  const pairs: Array<Pair & { newest: number }> = []
  for (const componentEdges of components.values()) {
    const aacIdx = [...new Set(componentEdges.map((e) => e[0]))].sort((x, y) => A[x]!.id - A[y]!.id)
    const onpremIdx = [...new Set(componentEdges.map((e) => e[1]))]
    const localA = new Map(aacIdx.map((g, l) => [g, l]))
    const localO = new Map(onpremIdx.map((g, l) => [g, l]))
    const local = componentEdges.map(([a, o, w]): [number, number, number] => [localA.get(a)!, localO.get(o)!, w])
    const nodesA = aacIdx.map((g) => A[g]!)
    const nodesO = onpremIdx.map((g) => O[g]!)
    const partner = solveComponent(nodesA, nodesO, local)
    for (let l = 0; l < nodesA.length; l++) {
      const p = partner[l]!
      if (p === -1) continue
      const a = nodesA[l]!
      const o = nodesO[p]!
      pairs.push({ aacJobGroupId: a.id, onpremJobGroupId: o.id, diffMs: Math.abs(a.t - o.t), newest: Math.max(a.t, o.t) })
    }
  }
  pairs.sort((x, y) => y.newest - x.newest || y.aacJobGroupId - x.aacJobGroupId)
  return pairs.map(({ aacJobGroupId, onpremJobGroupId, diffMs }) => ({ aacJobGroupId, onpremJobGroupId, diffMs }))
}

/** Pairs the AAC runs of a flow's saved runs with its on-prem runs (see pairRuns). */
export function pairFlowRuns (runs: Run[], windowMinutes: number): Pair[] {
  return pairRuns(runs.filter((r) => r.platform === 'aac'), runs.filter((r) => r.platform === 'onprem'), windowMinutes)
}
