import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createKeyedLock } from '../shared/keyed-lock.js'

/*
 * Temp files are ".<target name>.<pid>.<random>.tmp" in the target's directory: the same file system, so the
 * rename is atomic; a leading dot keeps them out of listings; the pid tells a leftover of a killed process
 * (safe to delete) from a write in progress in a live one.
 */
const TEMP_RE = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/

/**
 * Everything under the data folder is private to the user running Tri-Tracker: settings hold tokens, and downloaded
 * event logs and analyses hold Spark properties (connection strings, keys) as the cluster had them.
 */
export const FILE_MODE = 0o600
export const DIR_MODE = 0o700

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /** file mode of the new file (default 0600) */
  mode?: number
}

const oneWriterPerFile = createKeyedLock()

/** Parses a temp file name made by writeFileAtomic: the target's name and the writer's pid, else null. */
export function parseTempName (name: string): { target: string, pid: number } | null {
  const m = TEMP_RE.exec(name)
  return m === null ? null : { target: m[1]!, pid: Number(m[2]) }
}

/** A fresh temp file name for `file` in its own directory, in the form the sweeper recognises (parseTempName). */
export function tempPathFor (file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
}

async function writeNow (file: string, data: string | Uint8Array, opts: AtomicWriteOptions): Promise<void> {
  const dir = dirname(file)
  const tmp = tempPathFor(file)
  try {
    const fh = await open(tmp, 'wx', opts.mode ?? FILE_MODE)
    try {
      await fh.writeFile(data)
      // data on disk before the rename makes it visible, or a crash could leave an empty file under the real name
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {})
    throw err
  }
  await syncDir(dir)
}

/** fsyncs a directory so the rename itself survives a power loss; not supported everywhere (Windows), hence best effort. */
export async function syncDir (dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch {
    // best effort
  } finally {
    await fh?.close().catch(() => {})
  }
}

/**
 * Replaces `file` atomically (temp file in the same directory, fsync, rename, fsync directory). Writes to one
 * path run one at a time in call order, so the last call's content is what stays. The directory must exist.
 */
export async function writeFileAtomic (file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const key = resolve(file)
  await oneWriterPerFile(key, async () => { await writeNow(key, data, opts) })
}
