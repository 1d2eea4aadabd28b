import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { DIR_MODE, writeFileAtomic, parseTempName, type AtomicWriteOptions } from './atomic-write.js'
import { CorruptFileError, InvalidDataError, UnsupportedSchemaError } from './errors.js'

/** Checks a parsed document; returns a description of the first problem, or null when it is fine. */
export type JsonValidator = (value: unknown) => string | null

/** How to read one kind of versioned JSON file. */
export interface ReadJsonOptions {
  /** newest schemaVersion this code understands; newer files are refused, never rewritten */
  schemaVersion: number
  /** shape check of the document once migrated to `schemaVersion` */
  validate?: JsonValidator
  /** upgrades a document of an older version (1 <= from < schemaVersion) to the current one */
  migrate?: (doc: Record<string, unknown>, from: number) => Record<string, unknown>
}

/** Reads a versioned JSON file: null when missing; CorruptFileError / UnsupportedSchemaError when it cannot be used. */
export async function readJsonFile<T> (file: string, opts: ReadJsonOptions): Promise<T | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  if (text.trim() === '') throw new CorruptFileError(file, 'the file is empty')
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new CorruptFileError(file, `not valid JSON (${(err as Error).message}); it may have been cut short`, { cause: err })
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CorruptFileError(file, 'expected a JSON object')
  const version = (doc as { schemaVersion?: unknown }).schemaVersion
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new CorruptFileError(file, `schemaVersion is missing or not a positive integer (${JSON.stringify(version)})`)
  }
  if (version > opts.schemaVersion) throw new UnsupportedSchemaError(file, version, opts.schemaVersion)
  let current = doc as Record<string, unknown>
  if (version < opts.schemaVersion) {
    if (opts.migrate === undefined) throw new CorruptFileError(file, `schemaVersion ${version} is older than any this Tri-Tracker can read`)
    current = opts.migrate(current, version)
  }
  const problem = opts.validate?.(current) ?? null
  if (problem !== null) throw new CorruptFileError(file, problem)
  return current as T
}

/** Writes a JSON document that carries a schemaVersion atomically, creating its directory when needed. */
export async function writeJsonFile (file: string, value: object, opts: AtomicWriteOptions = {}): Promise<void> {
  const version = (value as { schemaVersion?: unknown }).schemaVersion
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new InvalidDataError(`refusing to write ${file}: the document has no schemaVersion`)
  }
  await mkdir(dirname(file), { recursive: true, mode: DIR_MODE })
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', opts)
}

function isAlive (pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes temp files left in `dir` by writers that no longer run (a kill mid-write); returns how many went. */
export async function removeStrayTempFiles (dir: string): Promise<number> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }
  let removed = 0
  for (const name of names) {
    const tmp = parseTempName(name)
    if (tmp === null || isAlive(tmp.pid)) continue
    await rm(join(dir, name), { force: true }).then(() => { removed++ }, () => {})
  }
  return removed
}
