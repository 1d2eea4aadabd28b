import { open, rename, rm, stat, statfs, utimes, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { readJsonFile, writeJsonFile } from './json-file.js'
import { validateSegment } from './flow-dir-name.js'
import { FILE_MODE } from './atomic-write.js'

/*
 * One run's event log folder: flows/<flow>/eventlogs/<jobRunId>/ holds the parts under the names their source gave
 * them, `<part>.partial` while a part downloads (preallocated, chunks written at their offsets), the resumable
 * download-state.json, manifest.json once complete, and analysis.json (see analysis-files.ts).
 */

export const MANIFEST_FILE = 'manifest.json'
export const STATE_FILE = 'download-state.json'
export const ANALYSIS_FILE = 'analysis.json'
export const APP_CHOICE_FILE = 'spark-app.json'
/** the last download or analysis of the run that failed (what marks an older analysis stale, across restarts) */
export const FAILURE_FILE = 'last-failure.json'
const STATE_SCHEMA = 1
const MANIFEST_SCHEMA = 1

export interface ManifestPart {
  name: string
  /** where the part came from (a DBFS path, a volume path, an S3 key, an uploaded file's name) */
  dbfsPath: string
  size: number
  /** source modification time, epoch ms */
  modificationTime: number | null
}

/** manifest.json beside the parts: what was downloaded from where. */
export interface EventLogManifest {
  schemaVersion: 1
  source: { destination: string | null, folder: string | null, clusterId: string | null, sparkContextId: string | null }
  parts: ManifestPart[]
  totalBytes: number
  completedAt: string
}

/** spark-app.json: which History Server application an on-prem run's log comes from (picked or found). */
export interface AppChoice {
  schemaVersion: 1
  appId: string
  attemptId: string | null
  /** found by the job's id, by its time window, or picked by the user among several */
  how: 'id' | 'window' | 'user'
  at: string
}

/** One part of an unfinished download: completed chunk index ranges [from, to). */
export interface DownloadPartState {
  path: string
  size: number
  modificationTime: number | null
  completed: Array<[number, number]>
  done: boolean
  /** an HTTP validator (ETag or Last-Modified) a resumed request sends as If-Range */
  validator?: string | null
}

/** download-state.json: the checkpoint a killed download resumes from. */
export interface DownloadState {
  schemaVersion: number
  /** the kind of source the chunks come from (dbfs, volume, s3); absent in checkpoints written before sources (DBFS) */
  source?: string
  chunkSize: number
  parts: Record<string, DownloadPartState>
}

/** A part being written at random offsets. */
export interface PartialFile {
  write: (data: Uint8Array, position: number) => Promise<void>
  /** data on disk before a checkpoint claims it */
  datasync: () => Promise<void>
  close: () => Promise<void>
}

/** The files of one run's event log folder; every method validates the part names it is given. */
export interface EventLogFiles {
  /** absolute folder: handed to the analyser (read only) */
  readonly dir: string
  /** the manifest of a finished download, or null (none, or unreadable) */
  readManifest: () => Promise<EventLogManifest | null>
  /** makes `m` the folder's log; the parts of the log it replaces that `m` does not name are removed afterwards */
  writeManifest: (m: EventLogManifest) => Promise<void>
  /** the download checkpoint, null when none; throws when it cannot be read */
  readState: () => Promise<DownloadState | null>
  writeState: (s: DownloadState) => Promise<void>
  removeState: () => Promise<void>
  /** size of a complete part on disk, null when absent */
  partSize: (name: string) => Promise<number | null>
  /** size of a part's `.partial` file, null when absent */
  partialSize: (name: string) => Promise<number | null>
  removePart: (name: string) => Promise<void>
  /** opens (or creates) `<name>.partial`, sized to `size` so chunks can land in any order */
  openPartial: (name: string, size: number) => Promise<PartialFile>
  /** renames `<name>.partial` to `<name>` and stamps the source's modification time */
  completePart: (name: string, modificationTime: number | null) => Promise<void>
  /** the remembered Spark application of an on-prem run, null when none (or unreadable) */
  readAppChoice: () => Promise<AppChoice | null>
  writeAppChoice: (c: AppChoice) => Promise<void>
  /** the analyser's input: the single part, or the folder when the log was rolled into parts */
  analysisInput: (manifest: EventLogManifest) => string
  /** bytes free for this user on the folder's file system, null when the system cannot tell */
  freeBytes: () => Promise<number | null>
}

function validateState (v: unknown): string | null {
  const o = v as Partial<DownloadState>
  if (typeof o.chunkSize !== 'number' || typeof o.parts !== 'object' || o.parts === null) return 'not a download state'
  return null
}

function validateAppChoice (v: unknown): string | null {
  const o = v as Partial<AppChoice>
  if (typeof o.appId !== 'string' || !(o.attemptId === null || typeof o.attemptId === 'string')) return 'not a Spark application choice'
  return null
}

function validateManifest (v: unknown): string | null {
  const o = v as Partial<EventLogManifest>
  if (!Array.isArray(o.parts) || typeof o.completedAt !== 'string') return 'not an event log manifest'
  return null
}

async function sizeOf (file: string): Promise<number | null> {
  try { return (await stat(file)).size } catch { return null }
}

/** The API over one event log folder (`dir` is already resolved and checked by the flow store). */
export function eventLogFiles (dir: string): EventLogFiles {
  const part = (name: string): string => join(dir, validateSegment(name, 'fileName'))
  return {
    dir,
    async readManifest () {
      try {
        return await readJsonFile<EventLogManifest>(join(dir, MANIFEST_FILE), { schemaVersion: MANIFEST_SCHEMA, validate: validateManifest })
      } catch {
        return null
      }
    },
    async writeManifest (m) {
      const previous = await this.readManifest()
      await writeJsonFile(join(dir, MANIFEST_FILE), m)
      // Only once the new manifest is in place: a kill in between leaves an unnamed file, never a log without its parts.
      // (An upload replacing a download, or a download replacing an upload, would otherwise keep the old bytes forever.)
      const kept = new Set(m.parts.map((p) => p.name))
      for (const p of previous?.parts ?? []) {
        if (!kept.has(p.name)) await this.removePart(p.name).catch(() => {})
      }
    },
    async readAppChoice () {
      try {
        return await readJsonFile<AppChoice>(join(dir, APP_CHOICE_FILE), { schemaVersion: 1, validate: validateAppChoice })
      } catch {
        return null
      }
    },
    async writeAppChoice (c) { await writeJsonFile(join(dir, APP_CHOICE_FILE), c) },
    async readState () {
      return await readJsonFile<DownloadState>(join(dir, STATE_FILE), { schemaVersion: STATE_SCHEMA, validate: validateState })
    },
    async writeState (s) { await writeJsonFile(join(dir, STATE_FILE), s) },
    async removeState () { await rm(join(dir, STATE_FILE), { force: true }) },
    partSize: async (name) => await sizeOf(part(name)),
    async freeBytes () {
      try {
        const fs = await statfs(dir)
        return fs.bavail * fs.bsize
      } catch {
        return null
      }
    },
    partialSize: async (name) => await sizeOf(`${part(name)}.partial`),
    async removePart (name) { await rm(part(name), { force: true }) },
    async openPartial (name, size) {
      const file = `${part(name)}.partial`
      const fh: FileHandle = await open(file, (await sizeOf(file)) !== null ? 'r+' : 'w+', FILE_MODE)
      await fh.truncate(size)
      return {
        async write (data, position) {
          let done = 0
          while (done < data.length) {
            const { bytesWritten } = await fh.write(data, done, data.length - done, position + done)
            done += bytesWritten
          }
        },
        datasync: async () => { await fh.datasync() },
        close: async () => { await fh.close() }
      }
    },
    async completePart (name, modificationTime) {
      const final = part(name)
      await rename(`${final}.partial`, final)
      if (modificationTime !== null) {
        const t = new Date(modificationTime)
        await utimes(final, t, t).catch(() => {})
      }
    },
    analysisInput (manifest) {
      return manifest.parts.length === 1 ? part(manifest.parts[0]!.name) : dir
    }
  }
}

/** [0,1,2,5] -> [[0,3],[5,6]]: how completed chunks are checkpointed. */
export function toRanges (indexes: Iterable<number>): Array<[number, number]> {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b)
  const out: Array<[number, number]> = []
  for (const i of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && last[1] === i) last[1] = i + 1
    else out.push([i, i + 1])
  }
  return out
}

/** The chunk indexes below `max` that checkpointed ranges claim (tolerates overlapping or malformed ranges). */
export function fromRanges (ranges: unknown, max: number): Set<number> {
  const s = new Set<number>()
  if (!Array.isArray(ranges)) return s
  for (const r of ranges) {
    if (!Array.isArray(r) || typeof r[0] !== 'number' || typeof r[1] !== 'number') continue
    for (let i = Math.max(0, r[0]); i < Math.min(max, r[1]); i++) s.add(i)
  }
  return s
}

/** Numbers of an unfinished download on disk (for "resume" buttons), or null when there is none. */
export async function pendingDownload (files: EventLogFiles): Promise<{ bytesDone: number, bytesTotal: number, partsDone: number, partsTotal: number } | null> {
  let st: DownloadState | null
  try {
    st = await files.readState()
  } catch {
    return null
  }
  if (st === null) return null
  let bytesDone = 0
  let bytesTotal = 0
  let partsDone = 0
  const parts = Object.values(st.parts)
  for (const p of parts) {
    bytesTotal += p.size
    if (p.done) { partsDone++; bytesDone += p.size; continue }
    const chunks = Math.ceil(p.size / st.chunkSize)
    for (const i of fromRanges(p.completed, chunks)) bytesDone += Math.min(st.chunkSize, p.size - i * st.chunkSize)
  }
  return { bytesDone, bytesTotal, partsDone, partsTotal: parts.length }
}
