import { decodePart, newReadBuffers } from './decode-part.js'
import { resolveLog } from './layout.js'
import { bytes as formatBytes } from '../../shared/format.js'
import type { ChunkOptions, EventLogChunk, EventLogPart, EventLogSource, ReadDamage } from './types.js'

/** Bounds on what one part may decompress to (decompression bombs); see DEFAULT_READ_LIMITS. */
export interface ReadLimits {
  /** decompressed bytes of one part, whatever its size */
  maxPartBytes: number
  /** decompressed bytes per compressed byte of one part, checked once the part has given `expansionFloorBytes` */
  maxExpansion: number
  expansionFloorBytes: number
}

/**
 * Real event logs expand 5-42x (zstd, the 77 fixtures; JSON text rarely beyond ~100x); a bomb expands thousands of
 * times (3 GB of zeros in 109 KB of zstd is 27,000x). 1000x stops a bomb after at most a thousand times its size and
 * never a real part; small parts may always reach 256 MiB. 64 GiB is far beyond any one real part (Spark rolls at
 * 128 MiB, Databricks hourly) and bounds the time a plain or mislabelled file can take.
 */
export const DEFAULT_READ_LIMITS: ReadLimits = { maxPartBytes: 64 * 1024 ** 3, maxExpansion: 1000, expansionFloorBytes: 256 * 1024 ** 2 }

/** The decompressed bytes a part may deliver. */
function partLimit (part: EventLogPart, l: ReadLimits): number {
  return Math.min(l.maxPartBytes, Math.max(l.expansionFloorBytes, l.maxExpansion * part.compressedBytes))
}

function tooLarge (part: EventLogPart, limit: number, l: ReadLimits): string {
  const why = limit < l.maxPartBytes
    ? `more than ${l.maxExpansion} times its ${formatBytes(part.compressedBytes)} on disk (maxExpansion)`
    : `more than ${formatBytes(limit)} (maxPartBytes)`
  return `damaged or too large: decompresses to ${why}, a decompression bomb or not an event log; the rest of the part is skipped`
}

function describe (codec: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return codec === 'none' ? `read failed: ${msg}` : `${codec} data is corrupt or truncated: ${msg}`
}

/** Opens an event log file or folder; rejects with a message naming the path when it cannot be read at all. */
export async function openEventLog (input: string, limits: Partial<ReadLimits> = {}): Promise<EventLogSource> {
  const l: ReadLimits = { ...DEFAULT_READ_LIMITS, ...limits }
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
      const limit = partLimit(plan.part, l)
      try {
        // Decoders are pulled: leaving the loop stops the decompression and closes the part.
        for await (const whole of decodePart(plan, reuse)) {
          const data = bytes + whole.length > limit ? whole.subarray(0, limit - bytes) : whole
          if (data.length > 0) {
            bytes += data.length
            last = data[data.length - 1]!
            yield { partIndex: i, data }
          }
          if (data !== whole) {
            damage.push({ part: plan.part.name, partIndex: i, afterBytes: bytes, message: tooLarge(plan.part, limit, l) })
            damaged = true
            break
          }
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
