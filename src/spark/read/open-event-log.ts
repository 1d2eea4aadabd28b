import { decodePart, newReadBuffers } from './decode-part.js'
import { resolveLog } from './layout.js'
import type { ChunkOptions, EventLogChunk, EventLogSource, ReadDamage } from './types.js'

function describe (codec: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return codec === 'none' ? `read failed: ${msg}` : `${codec} data is corrupt or truncated: ${msg}`
}

/** Opens an event log file or folder; rejects with a message naming the path when it cannot be read at all. */
export async function openEventLog (input: string): Promise<EventLogSource> {
  const { layout, plans, notes } = await resolveLog(input)
  const parts = plans.map((p) => p.part)
  const damage: ReadDamage[] = []

  async function * chunks (opts: ChunkOptions = {}): AsyncGenerator<EventLogChunk> {
    damage.length = 0
    const reuse = opts.reuseBuffers === true ? newReadBuffers() : undefined
    for (const n of notes) damage.push({ part: n.part, afterBytes: 0, message: n.message })
    for (let i = 0; i < plans.length; i++) {
      const plan = plans[i]!
      let bytes = 0
      let last = 0x0a
      let damaged = false
      try {
        for await (const data of decodePart(plan, reuse)) {
          if (data.length === 0) continue
          bytes += data.length
          last = data[data.length - 1]!
          yield { partIndex: i, data }
        }
      } catch (err) {
        damage.push({ part: plan.part.name, partIndex: i, afterBytes: bytes, message: describe(plan.part.codec, err) })
        damaged = true
      }
      // Spark rolls its parts between events, so only the last part may end inside a line (a log still being written,
      // or cut): that line is passed on unterminated and the parser decides whether it is a cut (truncated) line.
      // An earlier part cut inside a line is damage; the newline keeps its cut line apart from the next part's first.
      if (last === 0x0a || i === plans.length - 1) continue
      if (!damaged) damage.push({ part: plan.part.name, partIndex: i, afterBytes: bytes, message: 'part ends inside a line: its last line is cut off' })
      yield { partIndex: i, data: Buffer.from('\n') }
    }
  }

  return { layout, parts, damage, chunks }
}
