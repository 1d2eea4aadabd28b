import type { Analysis, Kpis } from '../spark/analysis-types.js'
import { bytes, duration, number, percent } from '../shared/format.js'

/** Whether a larger value is better, worse, or neither (sizes of the data are facts, not scores). */
type Better = 'lower' | 'higher' | 'neither'

export interface CompareRow {
  id: string
  label: string
  a: string
  b: string
  /** B minus A, formatted with its sign; null when either side is unknown */
  delta: string | null
  /** (B − A) / A; null when A is 0 or unknown */
  ratio: number | null
  /** from B's point of view */
  verdict: 'better' | 'worse' | 'same' | 'neutral'
}

interface Metric {
  id: string
  label: string
  get: (k: Kpis) => number | null
  show: (v: number) => string
  better: Better
}

const signed = (show: (v: number) => string) => (v: number): string => (v > 0 ? '+' : v < 0 ? '−' : '±') + show(Math.abs(v))
const pct100 = (v: number): string => `${v.toFixed(1)}%`
const pts = (v: number): string => `${v.toFixed(1)} pt`

const METRICS: Metric[] = [
  { id: 'wall-clock', label: 'Wall-clock', get: (k) => k.wallClockMs, show: duration, better: 'lower' },
  { id: 'executors-min', label: 'Executors (min)', get: (k) => k.executorsMin, show: number, better: 'neither' },
  { id: 'executors-max', label: 'Executors (max)', get: (k) => k.executorsMax, show: number, better: 'neither' },
  { id: 'cores', label: 'Total cores (peak)', get: (k) => k.totalCoresMax, show: number, better: 'neither' },
  { id: 'core-utilisation', label: 'Core utilisation', get: (k) => k.coreUtilisation === null ? null : k.coreUtilisation * 100, show: pct100, better: 'higher' },
  { id: 'task-time', label: 'Task time', get: (k) => k.totalTaskTimeMs, show: duration, better: 'lower' },
  { id: 'gc', label: 'GC % of run time', get: (k) => k.gcPercent, show: pct100, better: 'lower' },
  { id: 'scheduler-delay', label: 'Scheduler delay %', get: (k) => k.schedulerDelayPercent, show: pct100, better: 'lower' },
  { id: 'input', label: 'Input', get: (k) => k.inputBytes, show: bytes, better: 'neither' },
  { id: 'output', label: 'Output', get: (k) => k.outputBytes, show: bytes, better: 'neither' },
  { id: 'shuffle-read', label: 'Shuffle read', get: (k) => k.shuffleReadBytes, show: bytes, better: 'lower' },
  { id: 'shuffle-write', label: 'Shuffle write', get: (k) => k.shuffleWriteBytes, show: bytes, better: 'lower' },
  { id: 'spill-memory', label: 'Spill (memory)', get: (k) => k.memoryBytesSpilled, show: bytes, better: 'lower' },
  { id: 'spill-disk', label: 'Spill (disk)', get: (k) => k.diskBytesSpilled, show: bytes, better: 'lower' },
  { id: 'tasks', label: 'Tasks', get: (k) => k.tasks, show: number, better: 'neither' },
  { id: 'failed-tasks', label: 'Failed tasks', get: (k) => k.failedTasks, show: number, better: 'lower' },
  { id: 'stages', label: 'Stages', get: (k) => k.stages, show: number, better: 'neither' },
  { id: 'jobs', label: 'Jobs', get: (k) => k.jobs, show: number, better: 'neither' }
]

// Under 5% apart two runs of the same flow are the same for practical purposes.
const SAME_RATIO = 0.05

/** Side-by-side KPIs of two analyses, B against A. */
export function compareRows (a: Analysis, b: Analysis): CompareRow[] {
  return METRICS.map((m) => {
    const va = m.get(a.kpis)
    const vb = m.get(b.kpis)
    if (va === null || vb === null) {
      return { id: m.id, label: m.label, a: va === null ? '–' : m.show(va), b: vb === null ? '–' : m.show(vb), delta: null, ratio: null, verdict: 'neutral' }
    }
    const d = vb - va
    const isPercent = m.show === pct100
    const ratio = va !== 0 ? d / Math.abs(va) : null
    const same = d === 0 || (ratio !== null && Math.abs(ratio) < SAME_RATIO)
    const verdict: CompareRow['verdict'] = m.better === 'neither' ? 'neutral' : same ? 'same' : (d < 0) === (m.better === 'lower') ? 'better' : 'worse'
    return { id: m.id, label: m.label, a: m.show(va), b: m.show(vb), delta: isPercent ? signed(pts)(d) : signed(m.show)(d), ratio: isPercent ? null : ratio, verdict }
  })
}

/** "+12.5%" / "−3.0%" for a ratio. */
export function signedPercent (ratio: number): string {
  return (ratio > 0 ? '+' : ratio < 0 ? '−' : '±') + percent(Math.abs(ratio))
}
