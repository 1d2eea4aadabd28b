import { readFileSync } from 'node:fs'
import type { DeltaId, FlowTiming } from './decompose.js'

/** One entry of knowledge/time_decomposition_advice.json. */
export interface TimingAdvice {
  id: string
  part: DeltaId
  minMedianDeltaMs: number
  title: string
  advice: string
}

let cached: TimingAdvice[] | null = null

/** The knowledge base's advice per decomposition part, read once. */
export function timingAdviceBase (): TimingAdvice[] {
  cached ??= (JSON.parse(readFileSync(new URL('../../knowledge/time_decomposition_advice.json', import.meta.url), 'utf8')) as { advice: TimingAdvice[] }).advice
  return cached
}

/** The advice that follows from a flow's medians, in the order of the parts (largest delta first). */
export function adviceFor (timing: FlowTiming, base: TimingAdvice[] = timingAdviceBase()): TimingAdvice[] {
  const out: TimingAdvice[] = []
  for (const p of timing.parts) {
    for (const a of base) if (a.part === p.id && p.medianDeltaMs >= a.minMedianDeltaMs) out.push(a)
  }
  return out
}
