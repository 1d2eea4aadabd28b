import type { FlowData, Run } from '../shared/flow-types.js'

/** How AAC compares with on-prem on one pair. */
export interface Delta {
  /** AAC minus on-prem, ms (positive: AAC slower) */
  ms: number
  /** relative to on-prem, e.g. 0.25 = 25% slower */
  ratio: number | null
  /** 'slower' | 'faster' | 'same' (within 10%) */
  verdict: 'slower' | 'faster' | 'same'
}

export interface RunRow {
  aac: Run | null
  onprem: Run | null
  /** submission time difference of a pair */
  diffMs: number | null
  /** run duration delta (null when a side does not report when its jobs started) */
  run: Delta | null
  /** queue + run delta */
  total: Delta | null
}

// Differences under 10% (or 5 s) are noise between two schedulers.
const SAME_RATIO = 0.1
const SAME_MS = 5000

function delta (a: number | null, b: number | null): Delta | null {
  if (a === null || b === null) return null
  const ms = a - b
  const ratio = b > 0 ? ms / b : null
  const same = Math.abs(ms) < SAME_MS || (ratio !== null && Math.abs(ratio) < SAME_RATIO)
  return { ms, ratio, verdict: same ? 'same' : ms > 0 ? 'slower' : 'faster' }
}

function total (r: Run): number | null {
  if (r.runMs === null) return null
  return r.runMs + (r.queueMs ?? 0)
}

// the store hands out the same flow document until its file changes: its rows are worked out once
const rowsOf = new WeakMap<FlowData, RunRow[]>()

/** Rows of the runs table: pairs and unpaired runs, newest first (kept per flow document; do not change them). */
export function buildRunRows (flow: FlowData): RunRow[] {
  let rows = rowsOf.get(flow)
  if (rows === undefined) {
    rows = computeRunRows(flow)
    rowsOf.set(flow, rows)
  }
  return rows
}

function computeRunRows (flow: FlowData): RunRow[] {
  const byKey = new Map<string, Run>()
  for (const r of flow.runs) byKey.set(`${r.platform}:${r.jobGroupId}`, r)
  const used = new Set<string>()
  const rows: RunRow[] = []
  for (const p of flow.pairs) {
    const aac = byKey.get(`aac:${p.aacJobGroupId}`)
    const onprem = byKey.get(`onprem:${p.onpremJobGroupId}`)
    if (aac === undefined || onprem === undefined) continue
    used.add(`aac:${aac.jobGroupId}`)
    used.add(`onprem:${onprem.jobGroupId}`)
    // A side without job start times has no queue/run split: only the totals compare like with like.
    const split = aac.queueMs !== null && onprem.queueMs !== null
    rows.push({ aac, onprem, diffMs: p.diffMs, run: split ? delta(aac.runMs, onprem.runMs) : null, total: delta(total(aac), total(onprem)) })
  }
  for (const r of flow.runs) {
    if (used.has(`${r.platform}:${r.jobGroupId}`)) continue
    rows.push({ aac: r.platform === 'aac' ? r : null, onprem: r.platform === 'onprem' ? r : null, diffMs: null, run: null, total: null })
  }
  const newest = (row: RunRow): string => {
    const a = row.aac?.submittedAt ?? ''
    const b = row.onprem?.submittedAt ?? ''
    return a > b ? a : b
  }
  return rows.sort((x, y) => {
    const c = newest(y).localeCompare(newest(x))
    return c !== 0 ? c : (y.aac?.jobGroupId ?? y.onprem?.jobGroupId ?? 0) - (x.aac?.jobGroupId ?? x.onprem?.jobGroupId ?? 0)
  })
}

/** Rows shown per page of the runs table. */
export const ROWS_PER_PAGE = 50

export interface RowsPage {
  rows: RunRow[]
  /** 1-based, clamped to the pages there are */
  page: number
  pages: number
  total: number
}

/** One page of the rows (newest first); a page past the end shows the last one. */
export function pageOfRows (rows: RunRow[], page: number | undefined, perPage = ROWS_PER_PAGE): RowsPage {
  const pages = Math.max(1, Math.ceil(rows.length / perPage))
  const p = Math.min(Math.max(1, Math.floor(page ?? 1)), pages)
  return { rows: rows.slice((p - 1) * perPage, p * perPage), page: p, pages, total: rows.length }
}
