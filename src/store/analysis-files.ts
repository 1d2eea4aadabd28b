import { open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ANALYSIS_SCHEMA_VERSION, type Analysis } from '../spark/analysis-types.js'
import { writeFileAtomic } from './atomic-write.js'
import { InvalidDataError } from './errors.js'
import { ANALYSIS_FILE, FAILURE_FILE } from './eventlog-files.js'
import { readJsonFile } from './json-file.js'

/** A saved analysis.json with what HTTP caching needs. */
export interface SavedAnalysis {
  analysis: Analysis
  /** last write of the file (ms) */
  mtimeMs: number
  size: number
  /** weak validator from size and mtime: the file is only ever replaced whole (atomic rename) */
  etag: string
}

export type AnalysisLookup =
  | { kind: 'ok', saved: SavedAnalysis }
  | { kind: 'missing' }
  | { kind: 'unreadable', message: string }

export interface AnalysisFiles {
  /** the analysis of a Databricks run of a flow, if one was saved */
  read: (flowName: string, jobRunId: string) => Promise<AnalysisLookup>
  /** Databricks run ids of the flow that have an analysis.json */
  analysedRunIds: (flowName: string) => Promise<Set<string>>
  /**
   * The analysis keys of the flow that have an analysis.json, each with the analyser version it records (null: none,
   * made before versions were recorded). Read from the head of each file, not the whole analysis.
   */
  analyserVersions: (flowName: string) => Promise<Map<string, number | null>>
  /** saves a run's analysis atomically into its (existing) event log folder */
  write: (flowName: string, jobRunId: string, analysis: Analysis) => Promise<void>
  /**
   * Remembers that a download or analysis of the run failed (last-failure.json beside its analysis): an analysis
   * saved before it is stale, and stays marked so after a restart. Nothing is written when the run has no event log
   * folder (then there is no analysis to mark either).
   */
  writeFailure: (flowName: string, jobRunId: string, failure: FailedAttempt) => Promise<void>
  /** the last failed download or analysis of the run, or null (none, or an unreadable record: it only ever warns) */
  readFailure: (flowName: string, jobRunId: string) => Promise<FailedAttempt | null>
}

/** A download or analysis of a run that failed. */
export interface FailedAttempt {
  what: 'download' | 'analysis'
  /** when it failed (ISO 8601) */
  at: string
  error: string | null
}

const FAILURE_SCHEMA_VERSION = 1
function validateFailure (v: unknown): string | null {
  const f = v as Partial<FailedAttempt>
  if (f.what !== 'download' && f.what !== 'analysis') return 'what is neither download nor analysis'
  if (typeof f.at !== 'string' || Number.isNaN(Date.parse(f.at))) return 'at is not a time'
  if (f.error !== null && typeof f.error !== 'string') return 'error is not a string'
  return null
}

/** Where a flow's event log folders are (the flow store resolves and checks the names). */
export interface AnalysisPaths {
  eventlogDir: (flowName: string, jobRunId: string) => string
  eventlogsRoot: (flowName: string) => string
}
// write() puts schemaVersion and analyserVersion first, so the version is in the file's first bytes
const HEAD_BYTES = 256
const HEAD_VERSION = /^\{\s*"schemaVersion":\s*\d+,\s*"analyserVersion":\s*(\d{1,9})\s*[,}]/

/** The analyser version at the head of an analysis.json (null when it records none, or cannot be read). */
async function headVersion (file: string): Promise<number | null> {
  let fh
  try {
    fh = await open(file, 'r')
    const buf = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0)
    const m = HEAD_VERSION.exec(buf.toString('utf8', 0, bytesRead))
    return m === null ? null : Number(m[1])
  } catch {
    return null
  } finally {
    await fh?.close()
  }
}

// Parsed analyses are a few MB at most; keeping the last few spares re-parsing when the page, the panel and the
// chart data ask for the same one within seconds.
const CACHE_ENTRIES = 6

/** Reads and writes saved analyses: flows/<flow>/eventlogs/<jobRunId>/analysis.json. */
export function createAnalysisFiles (paths: AnalysisPaths, onWrite: (flowName: string) => void = () => {}): AnalysisFiles {
  const cache = new Map<string, SavedAnalysis>()
  // analysis.json path -> the version at its head, as of that size and mtime (files are only ever replaced whole)
  const versions = new Map<string, { mtimeMs: number, size: number, version: number | null }>()

  async function analyserVersions (flowName: string): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>()
    let root: string
    try {
      root = paths.eventlogsRoot(flowName)
    } catch {
      return out
    }
    const entries = await readdir(root).catch(() => [] as string[])
    await Promise.all(entries.map(async (e) => {
      const file = join(root, e, ANALYSIS_FILE)
      const info = await stat(file).catch(() => null)
      if (info === null || !info.isFile()) {
        versions.delete(file)
        return
      }
      let hit = versions.get(file)
      if (hit === undefined || hit.mtimeMs !== info.mtimeMs || hit.size !== info.size) {
        hit = { mtimeMs: info.mtimeMs, size: info.size, version: await headVersion(file) }
        versions.set(file, hit)
      }
      out.set(e, hit.version)
    }))
    return out
  }

  return {
    async read (flowName, jobRunId) {
      let file: string
      try {
        file = join(paths.eventlogDir(flowName, jobRunId), ANALYSIS_FILE)
      } catch {
        return { kind: 'missing' }
      }
      let info
      try {
        info = await stat(file)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
        throw err
      }
      const hit = cache.get(file)
      if (hit !== undefined && hit.mtimeMs === info.mtimeMs && hit.size === info.size) {
        cache.delete(file)
        cache.set(file, hit)
        return { kind: 'ok', saved: hit }
      }
      let doc: unknown
      try {
        doc = JSON.parse(await readFile(file, 'utf8'))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
        return { kind: 'unreadable', message: 'The saved analysis is not valid JSON; download the event log again to redo it.' }
      }
      const a = doc as Partial<Analysis> | null
      if (a === null || typeof a !== 'object' || typeof a.kpis !== 'object' || !Array.isArray(a.stages)) {
        return { kind: 'unreadable', message: 'The saved analysis does not have the expected shape; download the event log again to redo it.' }
      }
      if (a.schemaVersion !== ANALYSIS_SCHEMA_VERSION) {
        return { kind: 'unreadable', message: `The saved analysis has schema version ${String(a.schemaVersion)}, this Tri-Tracker reads ${ANALYSIS_SCHEMA_VERSION}; download the event log again to redo it.` }
      }
      const saved: SavedAnalysis = {
        analysis: a as Analysis,
        mtimeMs: info.mtimeMs,
        size: info.size,
        etag: `W/"a-${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`
      }
      cache.set(file, saved)
      while (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string)
      return { kind: 'ok', saved }
    },

    async analysedRunIds (flowName) {
      return new Set((await analyserVersions(flowName)).keys())
    },

    analyserVersions,

    async write (flowName, jobRunId, analysis) {
      const dir = paths.eventlogDir(flowName, jobRunId)
      // the versions first: analyserVersions() reads them from the file's head (an analysis without analyserVersion,
      // an old one, is written without it: JSON leaves undefined out)
      const { schemaVersion, analyserVersion, ...rest } = analysis
      const doc = { schemaVersion, analyserVersion, ...rest }
      await writeFileAtomic(join(dir, ANALYSIS_FILE), JSON.stringify(doc, null, 1))
      // a newer analysis answers the failure recorded before it
      await rm(join(dir, FAILURE_FILE), { force: true })
      onWrite(flowName)
    },

    async writeFailure (flowName, jobRunId, failure) {
      const problem = validateFailure(failure)
      if (problem !== null) throw new InvalidDataError(`refusing to record a failure of run ${jobRunId}: ${problem}`)
      const dir = paths.eventlogDir(flowName, jobRunId)
      const isDir = await stat(dir).then((s) => s.isDirectory(), () => false)
      if (!isDir) return
      const doc = { schemaVersion: FAILURE_SCHEMA_VERSION, what: failure.what, at: failure.at, error: failure.error === null ? null : failure.error.slice(0, 2000) }
      await writeFileAtomic(join(dir, FAILURE_FILE), JSON.stringify(doc, null, 2) + '\n')
      onWrite(flowName)
    },

    async readFailure (flowName, jobRunId) {
      let file: string
      try {
        file = join(paths.eventlogDir(flowName, jobRunId), FAILURE_FILE)
      } catch {
        return null
      }
      try {
        const doc = await readJsonFile<FailedAttempt & { schemaVersion: number }>(file, { schemaVersion: FAILURE_SCHEMA_VERSION, validate: validateFailure })
        return doc === null ? null : { what: doc.what, at: doc.at, error: doc.error }
      } catch {
        return null
      }
    }
  }
}
