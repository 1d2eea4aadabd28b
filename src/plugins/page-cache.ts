import { createHash } from 'node:crypto'

/** A rendered page kept as the bytes sent, with a validator of exactly those bytes. */
export interface RenderedPage {
  body: Buffer
  /** strong ETag: a hash of `body` (the same bytes after a restart give the same tag) */
  etag: string
}

/**
 * Rendered pages by key, least recently used dropped first once their bytes pass `maxBytes`. A key names everything
 * the page shows; `idOf` turns a shared document (the store hands out one object per version of a file) into a
 * number for it, so a new version of the document is a new key and the old pages age out unseen.
 */
export interface PageCache {
  /** the page of `key`, rendered by `render` when it is not kept (concurrent misses of a key render once) */
  get: (key: string, render: () => Promise<string>) => Promise<RenderedPage>
  /** a number for this very object, never reused for another one */
  idOf: (owner: object) => number
  /** pages kept and their bytes */
  stats: () => { pages: number, bytes: number }
}

export function createPageCache (opts: { maxBytes: number }): PageCache {
  const pages = new Map<string, RenderedPage>()
  const rendering = new Map<string, Promise<RenderedPage>>()
  const ids = new WeakMap<object, number>()
  let nextId = 0
  let bytes = 0

  function keep (key: string, page: RenderedPage): void {
    // a page larger than the whole budget is served but not kept
    if (page.body.length > opts.maxBytes) return
    pages.set(key, page)
    bytes += page.body.length
    for (const [k, p] of pages) {
      if (bytes <= opts.maxBytes) break
      pages.delete(k)
      bytes -= p.body.length
    }
  }

  return {
    async get (key, render) {
      const hit = pages.get(key)
      if (hit !== undefined) {
        // most recently used last: Map keeps insertion order
        pages.delete(key)
        pages.set(key, hit)
        return hit
      }
      const pending = rendering.get(key)
      if (pending !== undefined) return await pending
      const made = render().then((html) => {
        const body = Buffer.from(html, 'utf8')
        const page = { body, etag: `"p-${createHash('sha1').update(body).digest('base64url')}"` }
        keep(key, page)
        return page
      }).finally(() => { rendering.delete(key) })
      rendering.set(key, made)
      return await made
    },
    idOf (owner) {
      let id = ids.get(owner)
      if (id === undefined) {
        id = ++nextId
        ids.set(owner, id)
      }
      return id
    },
    stats: () => ({ pages: pages.size, bytes })
  }
}

/** Whether an If-None-Match header names `etag` (or is `*`). */
export function matchesEtag (ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (typeof ifNoneMatch !== 'string') return false
  // weak comparison (RFC 9110 13.1.2): W/"x" matches "x"
  const bare = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim()
    return tag === '*' || tag.replace(/^W\//, '') === bare
  })
}
