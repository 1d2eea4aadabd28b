// What-if, after Sparklens (CompletionEstimator / PQParallelStageScheduler, JobTimeSpan.computeCriticalTimeForJob):
// the run's stage DAG is replayed task by task on N task slots, job group by job group, with the driver-only time
// (no job running) added unchanged. That gives the wall clock at ½×, 2× and 4× today's cores, and the critical path:
// the lower bound with unlimited executors (per job group, the longest chain of slowest tasks through the DAG).
import type { StageSkew } from './aggregator.js'
import type { JobData, StageData, WhatIf } from './analysis-types.js'

/** Core multiples the estimate is made for (Sparklens prints 10 %–500 %; the dashboard shows these four). */
export const WHAT_IF_FACTORS = [0.5, 1, 2, 4]

interface Node {
  key: string
  stageId: number
  durations: Float32Array
  /** each replayed task stands for this many (>1 only for stages thinned beyond MAX_REPLAY_TASKS) */
  scale: number
  children: Node[]
  parents: number
  maxTask: number
}

/** Estimates the wall clock at other core counts, the critical path and the driver-only time. */
export function whatIf (
  stages: StageData[], jobs: JobData[], skew: Map<string, StageSkew>, parents: Map<string, { parentIds?: number[] }>,
  opts: { start: number | null; end: number | null; cores: number; coresPerExecutor: number }
): WhatIf | null {
  const { start, end, cores } = opts
  if (start === null || end === null || cores <= 0) return null
  const actualMs = end - start
  // job groups: jobs whose spans overlap run together (Sparklens' JobOverlapHelper)
  const spans = jobs.filter((j) => j.submissionTime !== undefined)
    .map((j) => ({ from: j.submissionTime!, to: j.completionTime ?? end, ids: [j.jobId] }))
    .sort((x, y) => x.from - y.from)
  const groups: { from: number; to: number; ids: Set<number> }[] = []
  for (const s of spans) {
    const g = groups[groups.length - 1]
    if (g && s.from < g.to) { g.to = Math.max(g.to, s.to); for (const id of s.ids) g.ids.add(id) } else groups.push({ from: s.from, to: s.to, ids: new Set(s.ids) })
  }
  const inJobs = groups.reduce((x, g) => x + Math.max(0, Math.min(g.to, end) - Math.max(g.from, start)), 0)
  const driverOnlyMs = Math.max(0, actualMs - inJobs)
  // each group's stages, in stage order (a filter of all stages per group was quadratic on logs of many jobs)
  const groupOfJob = new Map<number, number>()
  groups.forEach((g, i) => { for (const id of g.ids) groupOfJob.set(id, i) })
  const members: StageData[][] = groups.map(() => [])
  for (const s of stages) {
    const gs = new Set<number>()
    for (const id of s.jobIds) { const g = groupOfJob.get(id); if (g !== undefined) gs.add(g) }
    for (const g of gs) members[g]!.push(s)
  }
  const dags = members.map((m) => buildDag(m, skew, parents))
  const criticalPathMs = driverOnlyMs + dags.reduce((x, d) => x + criticalPath(d), 0)
  const coresPerExecutor = opts.coresPerExecutor > 0 ? opts.coresPerExecutor : cores
  const points = WHAT_IF_FACTORS.map((factor) => {
    const slots = Math.max(1, Math.round(cores * factor))
    return {
      factor,
      cores: slots,
      executors: Math.round((slots / coresPerExecutor) * 10) / 10,
      wallClockMs: Math.round(driverOnlyMs + dags.reduce((x, d) => x + replay(d, slots), 0)),
    }
  })
  const model = points.find((p) => p.factor === 1)!.wallClockMs
  return {
    actualMs,
    driverOnlyMs,
    criticalPathMs: Math.round(criticalPathMs),
    coresToday: cores,
    coresPerExecutor,
    modelMs: model,
    modelErrorPercent: actualMs > 0 ? Math.round(((model - actualMs) / actualMs) * 1000) / 10 : 0,
    points,
  }
}

/** Stage attempts of one job group as a DAG (parents from StageInfo "Parent IDs"; a retry follows its previous attempt). */
function buildDag (stages: StageData[], skew: Map<string, StageSkew>, parents: Map<string, { parentIds?: number[] }>): Node[] {
  const nodes: Node[] = []
  const latest = new Map<number, Node>()
  const sorted = [...stages].filter((s) => s.status !== 'SKIPPED' && s.status !== 'PENDING')
    .sort((x, y) => (x.submissionTime ?? 0) - (y.submissionTime ?? 0) || x.stageId - y.stageId || x.attemptId - y.attemptId)
  const hasParents = sorted.some((s) => parents.get(`${s.stageId}:${s.attemptId}`)?.parentIds !== undefined)
  let prev: Node | undefined
  for (const s of sorted) {
    const key = `${s.stageId}:${s.attemptId}`
    const k = skew.get(key)
    const durations = k?.durations ?? new Float32Array(0)
    const scale = k && durations.length > 0 ? k.durationTasks / durations.length : 1
    let maxTask = 0
    for (const d of durations) if (d > maxTask) maxTask = d
    const n: Node = { key, stageId: s.stageId, durations, scale, children: [], parents: 0, maxTask }
    const deps: Node[] = []
    const pids = parents.get(key)?.parentIds
    if (hasParents) {
      for (const p of pids ?? []) { const pn = latest.get(p); if (pn) deps.push(pn) }
      const before = latest.get(s.stageId)
      if (before) deps.push(before)
    } else if (prev) deps.push(prev)
    for (const d of new Set(deps)) { d.children.push(n); n.parents++ }
    latest.set(s.stageId, n)
    nodes.push(n)
    prev = n
  }
  return nodes
}

function criticalPath (nodes: Node[]): number {
  // nodes are in a topological order (a parent is submitted before its children)
  const finish = new Map<Node, number>()
  let best = 0
  for (const n of nodes) {
    const f = (finish.get(n) ?? 0) + n.maxTask
    best = Math.max(best, f)
    for (const c of n.children) finish.set(c, Math.max(finish.get(c) ?? 0, f))
  }
  return best
}

/** Event-driven list scheduling of the DAG's tasks on `slots` slots, stages FIFO by the time they became ready. */
function replay (nodes: Node[], slots: number): number {
  const waiting = new Map<Node, number>(nodes.map((n) => [n, n.parents]))
  const ready: { n: Node; next: number; left: number }[] = []
  let head = 0
  const running = new MinHeap()
  const left = new Map<Node, number>()
  let now = 0
  let free = slots
  const release = (n: Node): void => {
    if (n.durations.length === 0) { done(n); return }
    ready.push({ n, next: 0, left: n.durations.length })
    left.set(n, n.durations.length)
  }
  const done = (n: Node): void => {
    for (const c of n.children) {
      const w = waiting.get(c)! - 1
      waiting.set(c, w)
      if (w === 0) release(c)
    }
  }
  for (const n of nodes) if (n.parents === 0) release(n)
  for (;;) {
    while (free > 0 && head < ready.length) {
      const r = ready[head]!
      running.push(now + r.n.durations[r.next]! * r.n.scale, r.n)
      free--
      if (++r.next >= r.n.durations.length) head++
    }
    const ev = running.pop()
    if (!ev) break
    now = ev.t
    free++
    const l = left.get(ev.n)! - 1
    left.set(ev.n, l)
    if (l === 0) done(ev.n)
  }
  return now
}

/** Binary min-heap of (time, node). */
class MinHeap {
  private t: number[] = []
  private n: Node[] = []
  push (t: number, n: Node): void {
    const a = this.t; const b = this.n
    let i = a.length
    a.push(t); b.push(n)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (a[p]! <= t) break
      a[i] = a[p]!; b[i] = b[p]!; i = p
    }
    a[i] = t; b[i] = n
  }

  pop (): { t: number; n: Node } | undefined {
    const a = this.t; const b = this.n
    if (a.length === 0) return undefined
    const top = { t: a[0]!, n: b[0]! }
    const lt = a.pop()!; const ln = b.pop()!
    if (a.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= a.length) break
        const r = l + 1
        const c = r < a.length && a[r]! < a[l]! ? r : l
        if (a[c]! >= lt) break
        a[i] = a[c]!; b[i] = b[c]!; i = c
      }
      a[i] = lt; b[i] = ln
    }
    return top
  }
}
