import type { HttpClient } from './http-client.js'
import { UpstreamError } from './upstream-error.js'

export interface RangedGet {
  /** the request path (under the client's base URL) */
  path: string
  /** first byte asked */
  offset: number
  /** bytes asked (at least 1); fewer come back at the file's end */
  length: number
  /** extra request headers (If-Match, If-Unmodified-Since) */
  headers?: Record<string, string>
  signal?: AbortSignal
  /** the upstream named in errors ("Databricks", "S3") */
  upstream: string
  /** the request as messages name it: "Databricks GET /api/2.0/fs/files/Volumes/…" */
  what: string
}

/**
 * A ranged GET of bytes [offset, offset + length) whose body is handed to `write` as it arrives (never gathered: the
 * memory a read holds is the socket's buffer, not the range). Before the first byte: a 206 must say it starts at
 * `offset` and holds at most `length` bytes; a 200 (a server ignoring Range sends the whole file) is only taken for a
 * read from 0, within `length` (past it the body cap refuses it). After the last: as many bytes as the answer said.
 * Returns the bytes delivered. Upstream errors (416, 412, 404 …) are the HttpClient's, for the caller to translate.
 */
export async function rangedGet (http: HttpClient, r: RangedGet, write: (piece: Buffer) => Promise<void>): Promise<number> {
  if (!Number.isSafeInteger(r.offset) || r.offset < 0 || !Number.isSafeInteger(r.length) || r.length < 1) throw new RangeError('a read needs a non-negative offset and a positive length')
  const end = r.offset + r.length - 1
  const malformed = (detail: string): UpstreamError => new UpstreamError({ upstream: r.upstream, kind: 'malformed', message: `${r.what}: ${detail}` })
  let expected: number | null = null
  const res = await http.getStream(r.path, { headers: { ...r.headers, range: `bytes=${r.offset}-${end}` }, signal: r.signal, maxBytes: r.length }, {
    accept (status, headers) {
      if (status === 206) {
        const raw = headers['content-range']
        const cr = Array.isArray(raw) ? raw[0] : raw
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr ?? '')
        const from = Number(m?.[1])
        const to = Number(m?.[2])
        if (m === null || from !== r.offset || to < from || to > end) throw malformed(`content-range ${String(cr)} does not fit bytes ${r.offset}-${end}`)
        expected = to - from + 1
        return
      }
      if (r.offset !== 0) throw malformed(`the server ignored the byte range (answered ${status} to bytes ${r.offset}-${end})`)
    },
    write
  })
  if (expected !== null && res.bytes !== expected) throw malformed(`the answer held ${res.bytes} bytes where its content-range said ${String(expected)}`)
  return res.bytes
}
