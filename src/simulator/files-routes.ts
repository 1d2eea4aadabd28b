import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Dbfs, DbfsFileInfo } from './dbfs.js'
import { normalizeDbfsPath } from './dbfs.js'
import { SimHttpError } from './server.js'

/*
 * The Databricks Files API for Unity Catalog volumes (docs.databricks.com/api/workspace/files; api-databricks.md
 * §5b), over the same in-memory tree as DBFS:
 *   GET  /api/2.0/fs/directories{path}?page_size=&page_token=  {contents:[{path, name, is_directory, file_size,
 *        last_modified}], next_page_token}; at most 1000 entries a page; a token carries the listing's other params
 *   HEAD /api/2.0/fs/files{path}   content-length, content-type, last-modified; no body
 *   GET  /api/2.0/fs/files{path}   the raw bytes; Range: bytes=a-b (206 + content-range, 416 past the end),
 *        If-Unmodified-Since (412 when the file changed after it)
 * Only /Volumes/<catalog>/<schema>/<volume>/... paths are served.
 */

export const FILES_PAGE_MAX = 1000

export interface FilesRoutesOptions {
  dbfs: Dbfs
  /** the most entries one page holds (tests make it small to exercise paging) */
  pageCap: () => number
}

const notFound = (path: string, what: 'file' | 'directory'): SimHttpError => new SimHttpError(404, `The ${what} ${path} does not exist.`, 'NOT_FOUND')

function volumePathOf (req: FastifyRequest): string {
  const rest = (req.params as Record<string, string | undefined>)['*'] ?? ''
  const p = normalizeDbfsPath(`/${rest}`)
  if (!/^\/Volumes\/[^/]+\/[^/]+\/[^/]+(\/|$)/.test(p)) throw new SimHttpError(400, `Path must be a Unity Catalog volume path (/Volumes/<catalog>/<schema>/<volume>/...): ${p}`, 'INVALID_PARAMETER_VALUE')
  return p
}

async function statOrNull (dbfs: Dbfs, p: string): Promise<DbfsFileInfo | null> {
  try {
    return await dbfs.getStatus(p)
  } catch (err) {
    if (err instanceof SimHttpError && err.statusCode === 404) return null
    throw err
  }
}

const httpDate = (ms: number): string => new Date(ms).toUTCString()

function fileHeaders (reply: FastifyReply, info: DbfsFileInfo): void {
  reply.header('content-type', 'application/octet-stream')
  reply.header('last-modified', httpDate(info.modification_time))
  reply.header('accept-ranges', 'bytes')
}

/** [from, to] inclusive of a single `bytes=` range, null when absent; 'unsatisfiable' past the end */
function parseRange (raw: string | undefined, size: number): [number, number] | null | 'unsatisfiable' {
  if (raw === undefined) return null
  const m = /^bytes=(\d*)-(\d*)$/.exec(raw.trim())
  if (m === null || (m[1] === '' && m[2] === '')) throw new SimHttpError(400, `Invalid Range header: ${raw}`, 'INVALID_PARAMETER_VALUE')
  if (m[1] === '') {
    const n = Number(m[2])
    if (n === 0) return 'unsatisfiable'
    return [Math.max(0, size - n), size - 1]
  }
  const from = Number(m[1])
  const to = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (from >= size || to < from) return 'unsatisfiable'
  return [from, to]
}

function decodeToken (raw: string): { p?: unknown, o?: unknown, s?: unknown } | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString())
    return typeof v === 'object' && v !== null ? v as { p?: unknown, o?: unknown, s?: unknown } : null
  } catch {
    return null
  }
}

export function registerFilesRoutes (app: FastifyInstance, opts: FilesRoutesOptions): void {
  const { dbfs } = opts

  app.get('/api/2.0/fs/directories/*', async (req) => {
    const p = volumePathOf(req)
    const q = req.query as Record<string, string | undefined>
    const asked = q.page_size === undefined || q.page_size === '' ? FILES_PAGE_MAX : Number(q.page_size)
    if (!Number.isSafeInteger(asked) || asked < 0) throw new SimHttpError(400, `Invalid page_size: ${String(q.page_size)}`, 'INVALID_PARAMETER_VALUE')
    const size = Math.max(1, Math.min(asked === 0 ? FILES_PAGE_MAX : asked, FILES_PAGE_MAX, opts.pageCap()))
    let offset = 0
    if (q.page_token !== undefined && q.page_token !== '') {
      const tok = decodeToken(q.page_token)
      if (tok === null || typeof tok.o !== 'number') throw new SimHttpError(400, 'Invalid page_token', 'INVALID_PARAMETER_VALUE')
      // "all other parameters provided to the request must match the previous request"
      if (tok.p !== p || tok.s !== asked) throw new SimHttpError(400, 'The page_token does not belong to this listing (the path or page_size changed).', 'INVALID_PARAMETER_VALUE')
      offset = tok.o
    }
    const info = await statOrNull(dbfs, p)
    if (info === null) throw notFound(p, 'directory')
    if (!info.is_dir) throw new SimHttpError(400, `${p} is not a directory.`, 'NOT_A_DIRECTORY')
    const all = (await dbfs.list(p)).sort((a, b) => (a.path < b.path ? -1 : 1))
    const page = all.slice(offset, offset + size)
    const contents = page.map((f) => {
      const name = f.path.slice(f.path.lastIndexOf('/') + 1)
      return f.is_dir
        ? { path: `${f.path}/`, name, is_directory: true, last_modified: f.modification_time }
        : { path: f.path, name, is_directory: false, file_size: f.file_size, last_modified: f.modification_time }
    })
    const body: Record<string, unknown> = { contents }
    if (offset + size < all.length) body.next_page_token = Buffer.from(JSON.stringify({ p, o: offset + size, s: asked })).toString('base64url')
    return body
  })

  // declared before the GET so it is not the GET's automatic HEAD sibling (which would read the whole file)
  app.head('/api/2.0/fs/files/*', async (req, reply) => {
    const p = volumePathOf(req)
    const info = await statOrNull(dbfs, p)
    if (info === null || info.is_dir) throw notFound(p, 'file')
    fileHeaders(reply, info)
    reply.header('content-length', String(info.file_size))
    return await reply.code(200).send()
  })

  app.get('/api/2.0/fs/files/*', async (req, reply) => {
    const p = volumePathOf(req)
    const info = await statOrNull(dbfs, p)
    if (info === null || info.is_dir) throw notFound(p, 'file')
    const since = req.headers['if-unmodified-since']
    if (typeof since === 'string' && since !== '') {
      const t = Date.parse(since)
      // HTTP dates have whole seconds: a change within the same second is not seen (as with real servers)
      if (!Number.isNaN(t) && Math.floor(info.modification_time / 1000) * 1000 > t) {
        throw new SimHttpError(412, `The file ${p} was modified after ${since}.`, 'PRECONDITION_FAILED')
      }
    }
    const range = parseRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, info.file_size)
    fileHeaders(reply, info)
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${info.file_size}`)
      throw new SimHttpError(416, `The range ${String(req.headers.range)} is not satisfiable for ${p} (${info.file_size} bytes).`, 'INVALID_PARAMETER_VALUE')
    }
    if (range === null) return await reply.code(200).send(await dbfs.readRange(p, 0, info.file_size))
    const [from, to] = range
    reply.header('content-range', `bytes ${from}-${to}/${info.file_size}`)
    return await reply.code(206).send(await dbfs.readRange(p, from, to - from + 1))
  })
}
