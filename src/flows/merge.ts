import type { Run } from '../shared/flow-types.js'
import { parseUtcMs } from './match.js'

const keyOf = (r: Run): string => `${r.platform}:${r.jobGroupId}`

/** Newest submission first; unparseable times last; then AAC before on-prem, then higher job group id first. */
function compareRuns (x: Run, y: Run): number {
  const tx = parseUtcMs(x.submittedAt)
  const ty = parseUtcMs(y.submittedAt)
  const nx = Number.isNaN(tx)
  const ny = Number.isNaN(ty)
  if (nx !== ny) return nx ? 1 : -1
  if (!nx && tx !== ty) return ty - tx
  if (x.platform !== y.platform) return x.platform === 'aac' ? -1 : 1
  return y.jobGroupId - x.jobGroupId
}

/**
 * Merges freshly collected runs into the saved ones by (platform, jobGroupId): one entry per run, fresh values
 * win for every field the fresh run carries (fields only the saved copy has are kept), newest submittedAt first.
 * The order is total, so merging is deterministic and idempotent whatever the input order.
 */
export function mergeRuns (saved: Run[], fresh: Run[]): Run[] {
  const byKey = new Map<string, Run>()
  for (const r of saved) byKey.set(keyOf(r), { ...byKey.get(keyOf(r)), ...r })
  for (const r of fresh) {
    const k = keyOf(r)
    const prev = byKey.get(k)
    // an absent (undefined) fresh field must not erase what was saved; an explicit null from upstream does
    const defined = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Partial<Run>
    byKey.set(k, { ...prev, ...defined } as Run)
  }
  return [...byKey.values()].sort(compareRuns)
}
