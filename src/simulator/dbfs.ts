import { open, stat } from 'node:fs/promises'
import type { SampleLogs } from './sample-logs.js'
import { SimHttpError } from './server.js'

/** DBFS API FileInfo */
export interface DbfsFileInfo {
  path: string
  is_dir: boolean
  file_size: number
  modification_time: number
}

type Content =
  | { kind: 'buffer'; data: Buffer }
  | { kind: 'disk'; path: string; offset: number; size: number }
  | { kind: 'sample'; sample: string; part: number; shiftMs: number }

interface FileNode {
  type: 'file'
  mtime: number
  content: Content
}
interface DirNode {
  type: 'dir'
  mtime: number
  children: Map<string, DbfsNode>
}
type DbfsNode = FileNode | DirNode

export const MAX_READ = 1_048_576
const DEFAULT_READ = 524_288

const notFound = (path: string): SimHttpError => new SimHttpError(404, `No file or directory exists on path ${path}.`, 'RESOURCE_DOES_NOT_EXIST')

/** `dbfs:/a/b/` and `/a/b` are the same path; anything else (relative, `..`) is refused as the API does */
export function normalizeDbfsPath (raw: string): string {
  let p = raw.startsWith('dbfs:') ? raw.slice(5) : raw
  if (!p.startsWith('/')) throw new SimHttpError(400, `Path must be absolute: ${raw}`, 'INVALID_PARAMETER_VALUE')
  p = p.replace(/\/+/g, '/')
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1)
  if (p.split('/').some((s) => s === '..' || s === '.')) throw new SimHttpError(400, `Invalid path: ${raw}`, 'INVALID_PARAMETER_VALUE')
  return p
}

/** An in-memory DBFS tree whose file bodies live on disk (or are tiny buffers). */
export class Dbfs {
  private readonly root: DirNode = { type: 'dir', mtime: 0, children: new Map() }
  private denied: string[] = []
  /**
   * Legacy DBFS (root and mounts) disabled in the workspace: the DBFS API answers 403 "Public DBFS root is disabled"
   * for every path but the reserved prefixes (docs: "Disable access to DBFS root and mounts"); volumes stay readable
   * through the Files API.
   */
  rootDisabled = false

  constructor (private readonly samples: SampleLogs) {}

  mkdirs (path: string, mtime = Date.now()): void {
    this.dirAt(normalizeDbfsPath(path), mtime, true)
  }

  /** a small text file held in memory */
  putText (path: string, text: string, mtime = Date.now()): void {
    this.put(path, { kind: 'buffer', data: Buffer.from(text) }, mtime)
  }

  /** a part of a sample event log (see sample-logs.ts), its times moved by shiftMs; its size is known once built */
  putSamplePart (path: string, sample: string, part: number, mtime: number, shiftMs = 0): void {
    this.put(path, { kind: 'sample', sample, part, shiftMs }, mtime)
  }

  /** serve a local file (e.g. a 200 MB synthetic log for the download benchmark) at dbfsPath, read from disk per request */
  async addFile (dbfsPath: string, localFilePath: string, mtime = Date.now()): Promise<DbfsFileInfo> {
    const st = await stat(localFilePath)
    if (!st.isFile()) throw new Error(`${localFilePath} is not a file`)
    this.put(dbfsPath, { kind: 'disk', path: localFilePath, offset: 0, size: st.size }, mtime)
    return this.getStatus(dbfsPath)
  }

  /** remove a file or a directory tree; true if it existed */
  remove (dbfsPath: string): boolean {
    const p = normalizeDbfsPath(dbfsPath)
    const i = p.lastIndexOf('/')
    const parent = this.lookup(p.slice(0, i) || '/')
    return parent?.type === 'dir' ? parent.children.delete(p.slice(i + 1)) : false
  }

  /** every path under prefix answers 403 PERMISSION_DENIED */
  deny (prefix: string): void {
    this.denied.push(normalizeDbfsPath(prefix))
  }

  /** undoes deny(prefix) */
  allow (prefix: string): void {
    const p = normalizeDbfsPath(prefix)
    this.denied = this.denied.filter((d) => d !== p)
  }

  /**
   * What the DBFS API refuses before looking: the root when DBFS is disabled, and /Volumes paths (the SDKs send those
   * to the Files API; we assume the DBFS API does not serve them, so a client that routes them wrong fails here).
   */
  checkDbfsApi (raw: string): void {
    const p = normalizeDbfsPath(raw)
    if (p === '/Volumes' || p.startsWith('/Volumes/')) throw new SimHttpError(400, `Unity Catalog volume paths are not served by the DBFS API: ${p}. Use the Files API.`, 'INVALID_PARAMETER_VALUE')
    if (this.rootDisabled && !p.startsWith('/databricks-datasets')) {
      throw new SimHttpError(403, `Public DBFS root is disabled. Access is denied on path: ${p}`, 'PERMISSION_DENIED')
    }
  }

  /** bytes [offset, offset + length) of a file, any length (the Files API's ranged GET); fewer at its end */
  async readRange (raw: string, offset: number, length: number): Promise<Buffer> {
    const out: Buffer[] = []
    let got = 0
    while (got < length) {
      const b = await this.read(raw, offset + got, Math.min(MAX_READ, length - got))
      if (b.length === 0) break
      out.push(b)
      got += b.length
    }
    return Buffer.concat(out)
  }

  async getStatus (raw: string): Promise<DbfsFileInfo> {
    const p = this.check(raw)
    const node = this.lookup(p)
    if (!node) throw notFound(p)
    return this.info(p, node)
  }

  /** children of a directory (empty array for an empty one), or the file's own entry */
  async list (raw: string): Promise<DbfsFileInfo[]> {
    const p = this.check(raw)
    const node = this.lookup(p)
    if (!node) throw notFound(p)
    if (node.type === 'file') return [await this.info(p, node)]
    const base = p === '/' ? '' : p
    return Promise.all([...node.children].map(([name, child]) => this.info(`${base}/${name}`, child)))
  }

  async read (raw: string, offset: number, length: number | undefined): Promise<Buffer> {
    const p = this.check(raw)
    const len = length ?? DEFAULT_READ
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(len) || len < 0) {
      throw new SimHttpError(400, 'offset and length must be non-negative integers', 'INVALID_PARAMETER_VALUE')
    }
    if (len > MAX_READ) throw new SimHttpError(400, `Cannot read more than ${MAX_READ} bytes (requested ${len}).`, 'MAX_READ_SIZE_EXCEEDED')
    const node = this.lookup(p)
    if (!node) throw notFound(p)
    if (node.type === 'dir') throw new SimHttpError(400, `The path ${p} is a directory.`, 'INVALID_PARAMETER_VALUE')
    const c = node.content
    if (c.kind === 'buffer') return c.data.subarray(Math.min(offset, c.data.length), Math.min(offset + len, c.data.length))
    const disk = c.kind === 'disk' ? c : await this.samplePart(c)
    const n = Math.max(0, Math.min(len, disk.size - offset))
    if (n === 0) return Buffer.alloc(0)
    const fh = await open(disk.path, 'r')
    try {
      const buf = Buffer.allocUnsafe(n)
      let done = 0
      while (done < n) {
        const { bytesRead } = await fh.read(buf, done, n - done, disk.offset + offset + done)
        if (bytesRead === 0) break
        done += bytesRead
      }
      return buf.subarray(0, done)
    } finally {
      await fh.close()
    }
  }

  async close (): Promise<void> {}

  private async samplePart (c: { sample: string; part: number; shiftMs: number }): Promise<{ path: string; offset: number; size: number }> {
    const parts = await this.samples.parts(c.sample, c.shiftMs)
    const d = parts[c.part]
    if (!d) throw new SimHttpError(500, `sample ${c.sample} has no part ${c.part}`, 'INTERNAL_ERROR')
    return d
  }

  private async info (path: string, node: DbfsNode): Promise<DbfsFileInfo> {
    if (node.type === 'dir') return { path, is_dir: true, file_size: 0, modification_time: node.mtime }
    const c = node.content
    const size = c.kind === 'buffer' ? c.data.length : c.kind === 'disk' ? c.size : (await this.samplePart(c)).size
    return { path, is_dir: false, file_size: size, modification_time: node.mtime }
  }

  private check (raw: string): string {
    const p = normalizeDbfsPath(raw)
    if (this.denied.some((d) => p === d || p.startsWith(`${d}/`))) {
      throw new SimHttpError(403, `User does not have permission to read ${p}.`, 'PERMISSION_DENIED')
    }
    return p
  }

  private put (path: string, content: Content, mtime: number): void {
    const p = normalizeDbfsPath(path)
    const i = p.lastIndexOf('/')
    const name = p.slice(i + 1)
    if (!name) throw new Error(`cannot put a file at ${path}`)
    const dir = this.dirAt(p.slice(0, i) || '/', mtime, true)
    if (!dir) throw new Error(`a file is in the way of ${path}`)
    dir.children.set(name, { type: 'file', mtime, content })
    if (mtime > dir.mtime) dir.mtime = mtime
  }

  private lookup (p: string): DbfsNode | undefined {
    let node: DbfsNode = this.root
    for (const seg of p.split('/')) {
      if (seg === '') continue
      if (node.type !== 'dir') return undefined
      const next: DbfsNode | undefined = node.children.get(seg)
      if (!next) return undefined
      node = next
    }
    return node
  }

  private dirAt (p: string, mtime: number, create: boolean): DirNode | undefined {
    let node: DirNode = this.root
    for (const seg of p.split('/')) {
      if (seg === '') continue
      let next = node.children.get(seg)
      if (!next) {
        if (!create) return undefined
        next = { type: 'dir', mtime, children: new Map() }
        node.children.set(seg, next)
      }
      if (next.type !== 'dir') return undefined
      node = next
    }
    return node
  }
}
