import type { EventLogCodec } from './types.js'

/** How a part's bytes are stored: its codec, possibly inside a zip archive. */
export type StoredCodec = EventLogCodec | 'zip'

const SUFFIXES: Record<string, StoredCodec> = {
  gz: 'gzip',
  gzip: 'gzip',
  zstd: 'zstd',
  zst: 'zstd',
  lz4: 'lz4',
  snappy: 'snappy',
  lzf: 'lzf',
  zip: 'zip',
}

/** Codec named by a file's suffix (after Spark's `.inprogress` / `.compact` markers), or undefined when the suffix says nothing. */
export function codecFromName (name: string): StoredCodec | undefined {
  // a loop, not /(\.inprogress|\.compact)+$/: that pattern back-tracks quadratically on a long run of markers
  let base = name
  for (;;) {
    const lower = base.toLowerCase()
    if (lower.endsWith('.inprogress')) base = base.slice(0, -'.inprogress'.length)
    else if (lower.endsWith('.compact')) base = base.slice(0, -'.compact'.length)
    else break
  }
  const dot = base.lastIndexOf('.')
  if (dot < 0) return undefined
  return SUFFIXES[base.slice(dot + 1).toLowerCase()]
}

const SNAPPY_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const LZ4_MAGIC = Buffer.from('LZ4Block', 'latin1')

/** Codec recognised from a part's first bytes, or undefined when they match no known magic. */
export function codecFromMagic (head: Buffer): StoredCodec | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd'
  // Skippable zstd frames (0x184D2A5?) may lead a Spark-compatible zstd file.
  if (head.length >= 4 && (head.readUInt32LE(0) & 0xfffffff0) === 0x184d2a50) return 'zstd'
  if (head.length >= 8 && head.subarray(0, 8).equals(LZ4_MAGIC)) return 'lz4'
  if (head.length >= 8 && head.subarray(0, 8).equals(SNAPPY_MAGIC)) return 'snappy'
  if (head.length >= 3 && head[0] === 0x5a && head[1] === 0x56 && (head[2] === 0 || head[2] === 1)) return 'lzf'
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip'
  return undefined
}

/** True when the bytes look like JSON-lines text, so a mislabelled file can still be read as plain. */
export function looksLikeJsonText (head: Buffer): boolean {
  for (const b of head) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue
    return b === 0x7b
  }
  return false
}

/**
 * The suffix picks the codec and the magic confirms it (docs: mislabelled / recompressed files exist).
 * A clear magic of another codec wins; JSON text wins over a codec suffix; otherwise the suffix stands
 * so that garbage behind a codec suffix is reported as damage by that codec.
 */
export function chooseCodec (name: string, head: Buffer): StoredCodec {
  const bySuffix = codecFromName(name)
  const byMagic = codecFromMagic(head)
  if (byMagic) return byMagic
  if (bySuffix && bySuffix !== 'zip' && looksLikeJsonText(head)) return 'none'
  return bySuffix ?? 'none'
}
