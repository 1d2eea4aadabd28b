import { open, readdir, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { chooseCodec } from './codec.js'
import type { EventLogCodec, EventLogPart, EventLogSource } from './types.js'
import type { ZipEntry } from './zip.js'

/** A part plus what the decoder needs to find its bytes. */
export interface PartPlan {
  part: EventLogPart
  zip?: ZipEntry
}

export interface ResolvedLog {
  layout: EventLogSource['layout']
  plans: PartPlan[]
  /** problems found while ordering parts (e.g. a missing rolling index), reported as damage */
  notes: { part: string; message: string }[]
}

const ROLLING = /^events_(\d+)_/
const DBX_ROLLED = /^eventlog-(\d{4}-\d{2}-\d{2}--\d{2}-\d{2})(\..+)?$/

/** Files that sit next to event logs but are not part of one. */
function isNoise (name: string): boolean {
  return name.startsWith('.') || name.startsWith('appstatus_') || name.endsWith('.crc') || name === '_SUCCESS'
}

/** Error for an input that cannot be read at all; the message names the path and the reason. */
export function openError (path: string, reason: string): Error {
  return new Error(`Cannot open event log ${path}: ${reason}`)
}

function reasonOf (err: unknown): string {
  const e = err as NodeJS.ErrnoException
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOTDIR':
      return 'a path component is not a directory'
    case 'EISDIR':
      return 'is a directory'
    default:
      return e?.message ?? String(err)
  }
}

async function readHead (path: string, n = 16): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    const b = Buffer.alloc(n)
    const { bytesRead } = await fh.read(b, 0, n, 0)
    return b.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

/** Orders member names of one log (folder listing or zip members); undefined when they are not one log. */
export function orderNames (names: string[]): { layout: ResolvedLog['layout']; ordered: string[]; notes: ResolvedLog['notes'] } | undefined {
  const notes: ResolvedLog['notes'] = []
  const rolling = names.filter((n) => ROLLING.test(n))
  if (rolling.length > 0) {
    const idx = (n: string) => Number(ROLLING.exec(n)![1])
    const isCompact = (n: string) => /\.compact(\.inprogress)?$/.test(n)
    rolling.sort((a, b) => idx(a) - idx(b) || Number(isCompact(a)) - Number(isCompact(b)))
    // Spark's reader: a compact file already holds everything before it.
    let from = 0
    rolling.forEach((n, i) => {
      if (isCompact(n)) from = i
    })
    const ordered = rolling.slice(from)
    for (let i = 1; i < ordered.length; i++) {
      const gap = idx(ordered[i]!) - idx(ordered[i - 1]!)
      if (gap > 1) notes.push({ part: ordered[i]!, message: `rolling event log is missing part(s) ${idx(ordered[i - 1]!) + 1}..${idx(ordered[i]!) - 1} before this one` })
    }
    return { layout: 'spark-rolling', ordered, notes }
  }
  const rolled = names.filter((n) => DBX_ROLLED.test(n))
  if (rolled.length > 0) {
    // The timestamp format sorts lexicographically in time order.
    const stamp = (n: string) => DBX_ROLLED.exec(n)![1]!
    rolled.sort((a, b) => (stamp(a) < stamp(b) ? -1 : stamp(a) > stamp(b) ? 1 : 0))
    const current = names.filter((n) => n === 'eventlog' || /^eventlog\.[a-z0-9]+$/i.test(n))
    return { layout: 'databricks', ordered: [...rolled, ...current], notes }
  }
  return undefined
}

async function filePlans (path: string, name: string, size: number): Promise<PartPlan[]> {
  const head = await readHead(path)
  const stored = chooseCodec(name, head)
  if (stored !== 'zip') return [{ part: { name, path, codec: stored, compressedBytes: size } }]
  // (the zip module, with yauzl, loads only for a zip)
  const { listZipEntries, zipEntryHead } = await import('./zip.js')
  const entries = (await listZipEntries(path)).filter((e) => !e.name.endsWith('/'))
  const byBase = new Map(entries.map((e) => [basename(e.name), e]))
  const names = [...byBase.keys()].filter((n) => !isNoise(n))
  const order = orderNames(names)
  let chosen: string[]
  if (order) chosen = order.ordered
  else if (names.length === 1) chosen = names
  else throw new Error(`zip holds ${names.length} files that are not one event log (${names.slice(0, 5).join(', ')})`)
  const plans: PartPlan[] = []
  for (const n of chosen) {
    const entry = byBase.get(n)!
    const codec = chooseCodec(n, await zipEntryHead(path, entry))
    if (codec === 'zip') throw new Error(`zip member ${entry.name} is itself a zip`)
    plans.push({ part: { name: entry.name, path, codec: codec as EventLogCodec, compressedBytes: entry.compressedSize, container: 'zip' }, zip: entry })
  }
  return plans
}

async function resolveFolder (dir: string): Promise<ResolvedLog> {
  const entries = await readdir(dir, { withFileTypes: true })
  const files = entries.filter((e) => e.isFile() && !isNoise(e.name)).map((e) => e.name)
  const order = orderNames(files)
  if (order) {
    const plans: PartPlan[] = []
    for (const n of order.ordered) {
      const p = join(dir, n)
      plans.push(...(await filePlans(p, n, (await stat(p)).size)))
    }
    return { layout: order.layout, plans, notes: order.notes }
  }
  const candidates = entries.filter((e) => (e.isFile() || e.isDirectory()) && !isNoise(e.name))
  if (candidates.length === 0) {
    const markers = entries.filter((e) => e.name.startsWith('appstatus_')).length
    throw new Error(markers > 0 ? 'folder holds only an appstatus_ marker, no events_<n>_ part' : 'folder holds no event log')
  }
  if (candidates.length > 1) {
    const shown = candidates.slice(0, 5).map((e) => e.name).join(', ')
    throw new Error(`folder holds ${candidates.length} entries, not one event log (${shown}${candidates.length > 5 ? ', …' : ''}); open one of them`)
  }
  const only = candidates[0]!
  const p = join(dir, only.name)
  if (only.isDirectory()) return resolveFolder(p)
  const s = await stat(p)
  if (s.size === 0) throw new Error(`its only file ${only.name} is empty`)
  return { layout: 'folder', plans: await filePlans(p, only.name, s.size), notes: [] }
}

/** Turns a file or folder path into the ordered parts of one event log, or throws a message naming the path. */
export async function resolveLog (input: string): Promise<ResolvedLog> {
  const path = resolve(input)
  try {
    const s = await stat(path)
    if (s.isDirectory()) return await resolveFolder(path)
    if (!s.isFile()) throw new Error('not a regular file or folder')
    if (s.size === 0) throw new Error('file is empty (0 bytes)')
    return { layout: 'file', plans: await filePlans(path, basename(path), s.size), notes: [] }
  } catch (err) {
    throw openError(path, reasonOf(err))
  }
}
