import { chmod, lstat, mkdir, readdir, rm, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { FlowData } from '../shared/flow-types.js'
import { DIR_MODE, type AtomicWriteOptions } from './atomic-write.js'
import { createKeyedLock } from '../shared/keyed-lock.js'
import { createAnalysisFiles, type AnalysisFiles } from './analysis-files.js'
import { eventLogFiles, type EventLogFiles } from './eventlog-files.js'
import { CorruptFileError, FlowNotFoundError, InvalidDataError, InvalidFlowNameError, PathEscapeError } from './errors.js'
import { decodeFlowDirName, encodeFlowDirName, validateFlowName, validateSegment } from './flow-dir-name.js'
import { DBX_CACHE_SCHEMA_VERSION, FLOW_DATA_SCHEMA_VERSION, validateDbxCache, validateFlowData, type DbxCacheFile } from './flow-schema.js'
import { readJsonFile, removeStrayTempFiles, writeJsonFile, type ReadJsonOptions } from './json-file.js'
import { OAUTH_TOKENS_FILE, validateOAuthTokens, type SavedOAuthTokens } from './oauth-tokens.js'

const FLOW_FILE = 'flow_data.json'
const SETTINGS_FILE = 'settings.json'
const DEMO_STATE_FILE = 'demo-state.json'
/** Databricks cache files kept parsed in memory (each a few KB to a few hundred KB) */
const DBX_READS_MAX = 256

/** One line of the flow list; `error` says why a flow's data could not be read (the flow is still listed). */
export interface FlowSummary {
  name: string
  dirName: string
  addedAt: string | null
  runCount: number
  pairCount: number
  lastCollectAt: string | null
  error: string | null
}

/** A cached Databricks drill-down as handed back to callers. */
export interface DbxCacheEntry {
  cachedAt: string
  data: unknown
}

/** The only API that touches the data directory (flows/). */
export interface FlowStore {
  readonly dataDir: string
  /** names of all flows, sorted; includes flows whose data is damaged (readFlow then throws a clear error) */
  listFlows: () => Promise<string[]>
  /** one summary per flow folder, sorted by name; damaged folders appear with `error` set */
  listFlowSummaries: () => Promise<FlowSummary[]>
  /** the flow, or null when there is none of that name (or the name cannot be a flow); shared with other readers: read only */
  readFlow: (name: string) => Promise<FlowData | null>
  /** creates the flow, or returns it unchanged when it exists */
  addFlow: (name: string) => Promise<FlowData>
  /** saves the whole flow (creating it when needed) */
  writeFlow: (data: FlowData) => Promise<void>
  /** read-modify-write under the flow's lock; `fn` must be synchronous and not call the store; FlowNotFoundError when absent */
  updateFlow: (name: string, fn: (d: FlowData) => FlowData) => Promise<FlowData>
  /** deletes the flow's folder and nothing else; false when there was none */
  removeFlow: (name: string) => Promise<boolean>
  /** absolute folder of a flow (whether or not it exists) */
  flowDir: (name: string) => string
  /**
   * A number that changes whenever this process writes anything of the flow (its data, a Databricks cache, an
   * analysis): what is derived from those files can be kept while it stays the same.
   */
  revision: (name: string) => number
  dbxCachePath: (name: string, jobRunId: string | number) => string
  readDbx: (name: string, jobRunId: string | number) => Promise<DbxCacheEntry | null>
  /** caches Databricks details of a run of an existing flow; FlowNotFoundError otherwise */
  writeDbx: (name: string, jobRunId: string | number, data: unknown) => Promise<DbxCacheEntry>
  /** the files of a run's event log folder (parts, download state, manifest); nothing is created */
  eventLogs: (name: string, jobRunId: string | number) => EventLogFiles
  /** the same, with the folder created when the flow exists; FlowNotFoundError otherwise */
  createEventLogs: (name: string, jobRunId: string | number) => Promise<EventLogFiles>
  /** saved event log analyses (analysis.json beside the parts) */
  readonly analyses: AnalysisFiles
  /** settings.json (values saved from the settings page), null when there is none */
  readSettings: <T>(opts: ReadJsonOptions) => Promise<T | null>
  writeSettings: (doc: object) => Promise<void>
  /** aac-oauth.json: the AAC OAuth tokens as last rotated (null when none was saved) */
  readOAuthTokens: () => Promise<SavedOAuthTokens | null>
  /** replaces aac-oauth.json atomically (fsync before rename, mode 0600): the rotated refresh token survives a crash */
  writeOAuthTokens: (doc: SavedOAuthTokens) => Promise<void>
  /** demo-state.json: which demo flows were seeded (so removed ones stay removed) */
  readDemoState: <T>() => Promise<T | null>
  writeDemoState: (doc: object) => Promise<void>
  /** reads a versioned JSON file inside the data directory (null when missing) */
  readJson: <T>(file: string, opts: ReadJsonOptions) => Promise<T | null>
  /** writes a versioned JSON document atomically inside the data directory */
  writeJsonAtomic: (file: string, value: object, opts?: AtomicWriteOptions) => Promise<void>
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true })
const byName = (a: string, b: string): number => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)

/** Creates the flow store over `dataDir` (created on first write); one instance per data directory and process. */
export function createFlowStore (opts: { dataDir: string }): FlowStore {
  const root = resolve(opts.dataDir)
  const withLock = createKeyedLock()
  const summaries = new Map<string, { mtimeMs: number, size: number, summary: FlowSummary }>()
  const revisions = new Map<string, number>()
  let revisionCounter = 0
  // the last read of each flow file: a page of a flow with a thousand pairs must not parse a megabyte every time
  const reads = new Map<string, { mtimeMs: number, size: number, data: FlowData }>()
  // the last read of each Databricks cache file, keyed by its path and checked against its stat (shared, read only)
  const dbxReads = new Map<string, { mtimeMs: number, size: number, ino: number, entry: DbxCacheEntry }>()
  const bump = (name: string): void => { revisions.set(name, ++revisionCounter) }
  let swept: Promise<void> | null = null

  /** Resolves a path and refuses anything that is not strictly below the data directory. */
  function inside (p: string): string {
    const full = resolve(root, p)
    const rel = relative(root, full)
    if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) throw new PathEscapeError(p)
    return full
  }

  const dirOf = (name: string): string => inside(encodeFlowDirName(name))
  const flowFile = (dir: string): string => join(dir, FLOW_FILE)

  /** Reads a flow folder's data and checks it belongs to that folder. */
  async function readDir (dir: string): Promise<FlowData | null> {
    const file = flowFile(dir)
    const data = await readJsonFile<FlowData>(file, { schemaVersion: FLOW_DATA_SCHEMA_VERSION, validate: validateFlowData })
    if (data === null) return null
    let expected: string | null = null
    try { expected = encodeFlowDirName(data.name) } catch {}
    if (expected === null || join(root, expected) !== dir) {
      throw new CorruptFileError(file, `it names the flow ${JSON.stringify(data.name)}, which does not belong in this folder`)
    }
    return data
  }

  async function save (dir: string, data: FlowData): Promise<void> {
    const problem = validateFlowData(data)
    if (problem !== null) throw new InvalidDataError(`refusing to save flow ${JSON.stringify(data.name)}: ${problem}`)
    await writeJsonFile(flowFile(dir), data)
    summaries.delete(dir)
  }

  async function exists (file: string): Promise<boolean> {
    try {
      await stat(file)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
  }

  /** Leftover temp files of a killed writer are harmless (dot-names, never read) but are removed once per instance. */
  async function sweep (dirs: string[]): Promise<void> {
    // folders made by older versions were 0755: closing the root closes everything below it
    await chmod(root, DIR_MODE).catch(() => {})
    await removeStrayTempFiles(root)
    for (const dir of dirs) {
      await removeStrayTempFiles(dir)
      await removeStrayTempFiles(join(dir, 'dbx'))
      const logs = await readdir(join(dir, 'eventlogs')).catch(() => [] as string[])
      for (const l of logs) await removeStrayTempFiles(join(dir, 'eventlogs', l))
    }
  }

  async function summarise (dirName: string): Promise<FlowSummary | null> {
    const decoded = decodeFlowDirName(dirName)
    if (decoded === null) return null // not a folder this store made
    const dir = join(root, dirName)
    const shownName = decoded.kind === 'exact' ? decoded.name : `${decoded.prefix}…`
    const broken = (error: string): FlowSummary =>
      ({ name: shownName, dirName, addedAt: null, runCount: 0, pairCount: 0, lastCollectAt: null, error })
    let st
    try {
      st = await stat(flowFile(dir))
    } catch (err) {
      return broken((err as NodeJS.ErrnoException).code === 'ENOENT' ? `${FLOW_FILE} is missing` : (err as Error).message)
    }
    const cached = summaries.get(dir)
    if (cached !== undefined && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.summary
    try {
      const data = await readDir(dir)
      if (data === null) return broken(`${FLOW_FILE} is missing`)
      const summary: FlowSummary = {
        name: data.name,
        dirName,
        addedAt: data.addedAt,
        runCount: data.runs.length,
        pairCount: data.pairs.length,
        lastCollectAt: data.lastCollect?.at ?? null,
        error: null
      }
      summaries.set(dir, { mtimeMs: st.mtimeMs, size: st.size, summary })
      return summary
    } catch (err) {
      return broken((err as Error).message)
    }
  }

  async function listFlowSummaries (): Promise<FlowSummary[]> {
    let entries
    try {
      entries = await readdir(root, { withFileTypes: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    // dot-entries are ours (temp files) or foreign (.gitkeep); an encoded flow folder never starts with "."
    const dirNames = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name)
    swept ??= sweep(dirNames.map((d) => join(root, d))).catch(() => {})
    await swept
    const list = await Promise.all(dirNames.map(summarise))
    return list.filter((s): s is FlowSummary => s !== null).sort((a, b) => byName(a.name, b.name) || byName(a.dirName, b.dirName))
  }

  async function requireFlow (dir: string, name: string): Promise<void> {
    if (!(await exists(flowFile(dir)))) throw new FlowNotFoundError(name)
  }

  function runSegment (jobRunId: string | number): string {
    return validateSegment(jobRunId, 'jobRunId')
  }

  function eventlogDir (name: string, jobRunId: string | number): string {
    return join(dirOf(name), 'eventlogs', runSegment(jobRunId))
  }

  const store: FlowStore = {
    dataDir: root,
    listFlowSummaries,

    async listFlows () {
      const all = await listFlowSummaries()
      // a hashed folder whose data cannot be read has no known name, so it has no name to list
      return all.filter((s) => s.error === null || decodeFlowDirName(s.dirName)?.kind === 'exact').map((s) => s.name)
    },

    async readFlow (name) {
      try {
        validateFlowName(name)
      } catch (err) {
        if (err instanceof InvalidFlowNameError) return null
        throw err
      }
      const dir = dirOf(name)
      const info = await stat(flowFile(dir)).catch(() => null)
      const hit = reads.get(dir)
      if (info !== null && hit !== undefined && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit.data
      const data = await readDir(dir)
      if (data === null || info === null) {
        reads.delete(dir)
        return data
      }
      // shared between readers: frozen lists so no reader changes what the next one gets (writes go through updateFlow)
      Object.freeze(data.runs)
      Object.freeze(data.pairs)
      reads.set(dir, { mtimeMs: info.mtimeMs, size: info.size, data })
      return data
    },

    async addFlow (name) {
      const dir = dirOf(validateFlowName(name))
      return await withLock(dir, async () => {
        const existing = await readDir(dir)
        if (existing !== null) return existing
        const data: FlowData = { schemaVersion: FLOW_DATA_SCHEMA_VERSION, name, addedAt: new Date().toISOString(), runs: [], pairs: [], lastCollect: null }
        await mkdir(dir, { recursive: true, mode: DIR_MODE })
        await save(dir, data)
        bump(name)
        return data
      })
    },

    async writeFlow (data) {
      const dir = dirOf(validateFlowName(data?.name))
      await withLock(dir, async () => {
        await mkdir(dir, { recursive: true, mode: DIR_MODE })
        await save(dir, data)
        bump(data.name)
      })
    },

    async updateFlow (name, fn) {
      const dir = dirOf(validateFlowName(name))
      return await withLock(dir, async () => {
        const current = await readDir(dir)
        if (current === null) throw new FlowNotFoundError(name)
        const next = fn(current)
        if (next?.name !== name) throw new InvalidDataError(`updateFlow cannot rename ${JSON.stringify(name)}`)
        await save(dir, next)
        bump(name)
        return next
      })
    },

    async removeFlow (name) {
      let dir: string
      try {
        dir = dirOf(validateFlowName(name))
      } catch (err) {
        if (err instanceof InvalidFlowNameError) return false
        throw err
      }
      return await withLock(dir, async () => {
        try {
          await lstat(dir)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
          throw err
        }
        // a hashed folder is shared by every name with that hash; make sure it really is this flow's
        if (decodeFlowDirName(encodeFlowDirName(name))?.kind === 'hashed') {
          const data = await readDir(dir).catch(() => null)
          if (data !== null && data.name !== name) throw new CorruptFileError(flowFile(dir), `it holds ${JSON.stringify(data.name)}, not ${JSON.stringify(name)}`)
        }
        // rm removes a symlink itself, never what it points to
        await rm(dir, { recursive: true, force: true })
        summaries.delete(dir)
        bump(name)
        return true
      })
    },

    flowDir: (name) => dirOf(name),

    revision: (name) => revisions.get(name) ?? 0,

    dbxCachePath: (name, jobRunId) => join(dirOf(name), 'dbx', `${runSegment(jobRunId)}.json`),

    async readDbx (name, jobRunId) {
      const file = store.dbxCachePath(name, jobRunId)
      // every dashboard view asks for the run's cached details: one stat, and a re-read only when the file changed
      const info = await stat(file).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return null; throw err })
      const hit = dbxReads.get(file)
      if (info !== null && hit !== undefined && hit.mtimeMs === info.mtimeMs && hit.size === info.size && hit.ino === info.ino) return hit.entry
      dbxReads.delete(file)
      if (info === null) return null
      const doc = await readJsonFile<DbxCacheFile>(file, { schemaVersion: DBX_CACHE_SCHEMA_VERSION, validate: validateDbxCache })
      if (doc === null) return null
      const entry: DbxCacheEntry = Object.freeze({ cachedAt: doc.cachedAt, data: doc.data })
      dbxReads.set(file, { mtimeMs: info.mtimeMs, size: info.size, ino: info.ino, entry })
      // bounded: the oldest read goes first (a Map iterates in insertion order)
      if (dbxReads.size > DBX_READS_MAX) dbxReads.delete(dbxReads.keys().next().value!)
      return entry
    },

    async writeDbx (name, jobRunId, data) {
      const dir = dirOf(validateFlowName(name))
      const file = store.dbxCachePath(name, jobRunId)
      return await withLock(dir, async () => {
        await requireFlow(dir, name)
        const doc: DbxCacheFile = { schemaVersion: DBX_CACHE_SCHEMA_VERSION, cachedAt: new Date().toISOString(), data }
        await writeJsonFile(file, doc)
        bump(name)
        return { cachedAt: doc.cachedAt, data }
      })
    },

    eventLogs: (name, jobRunId) => eventLogFiles(eventlogDir(name, jobRunId)),

    async createEventLogs (name, jobRunId) {
      const dir = dirOf(validateFlowName(name))
      const target = eventlogDir(name, jobRunId)
      return await withLock(dir, async () => {
        await requireFlow(dir, name)
        await mkdir(target, { recursive: true, mode: DIR_MODE })
        return eventLogFiles(target)
      })
    },

    analyses: createAnalysisFiles({ eventlogDir, eventlogsRoot: (name) => join(dirOf(name), 'eventlogs') }, bump),

    readSettings: async (o) => await readJsonFile(join(root, SETTINGS_FILE), o),
    writeSettings: async (doc) => { await writeJsonFile(join(root, SETTINGS_FILE), doc) },
    readOAuthTokens: async () => await readJsonFile<SavedOAuthTokens>(join(root, OAUTH_TOKENS_FILE), { schemaVersion: 1, validate: validateOAuthTokens }),
    async writeOAuthTokens (doc) {
      const problem = validateOAuthTokens(doc)
      if (problem !== null) throw new InvalidDataError(`refusing to write ${OAUTH_TOKENS_FILE}: ${problem}`)
      await writeJsonFile(join(root, OAUTH_TOKENS_FILE), doc)
    },
    readDemoState: async () => await readJsonFile(join(root, DEMO_STATE_FILE), { schemaVersion: 1 }),
    writeDemoState: async (doc) => { await writeJsonFile(join(root, DEMO_STATE_FILE), doc) },

    async readJson (file, o) {
      return await readJsonFile(inside(file), o)
    },

    async writeJsonAtomic (file, value, o) {
      await writeJsonFile(inside(file), value, o)
    }
  }
  return store
}
