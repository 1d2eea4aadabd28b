import type { FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import { fmt } from '../shared/format.js'
import { VENDOR, vendorUrl } from './assets.js'
import { createPageCache, matchesEtag } from './page-cache.js'

/** What every full page's layout shows besides its own content: the sidebar and the demo banner. */
export interface LayoutState {
  flows: string[]
  demo: boolean
  onpremConfigured: boolean
  /** TLS verification is off for on-prem Trifacta: every page says so */
  tlsSkipped: boolean
}

export interface ViewOptions {
  /** the views/ folder (layouts, pages, partials) */
  views: string
  /** compile templates once (production); tests and dev re-read them */
  cache: boolean
  layout: () => Promise<LayoutState>
  /** bytes of rendered pages kept for cachedPage (default 24 MiB; none when templates are not cached either) */
  pageCacheBytes?: number
}

/**
 * What a cached page depends on besides its layout (which is always part of the key): `owner`, a document the store
 * hands out once per version of its file, and `parts`, every other input (a revision, the page number, a task's
 * state), as JSON-able values.
 */
export interface PageKey {
  owner: object
  parts: readonly unknown[]
}

declare module 'fastify' {
  interface FastifyReply {
    /** renders a full page (layout data added) as text/html */
    page: (template: string, data: Record<string, unknown>, meta: { title: string, current?: string | null }) => Promise<FastifyReply>
    /** renders a partial (no layout) as text/html */
    fragment: (template: string, data?: Record<string, unknown>) => Promise<FastifyReply>
    /**
     * A full page like `page`, kept rendered (as the bytes sent) while its key and layout stay the same; `data` is
     * asked only to render it. It answers If-None-Match with 304.
     */
    cachedPage: (key: PageKey, template: string, data: () => Promise<Record<string, unknown>>, meta: { title: string, current?: string | null }) => Promise<FastifyReply>
  }
}

/**
 * Eta behind @fastify/view. Pages and fragments render to a string first (viewAsync), so a failing template is an
 * error our error handler sees, not a reply @fastify/view already sent.
 */
async function view (app: FastifyInstance, opts: ViewOptions): Promise<void> {
  const eta = new Eta({ views: opts.views, cache: opts.cache, autoEscape: true, autoTrim: [false, 'nl'] })
  await app.register(fastifyView, { engine: { eta }, templates: opts.views, production: opts.cache, viewExt: 'eta' })
  const assets = { htmxUrl: vendorUrl(VENDOR.htmx), chartUrl: vendorUrl(VENDOR.chart) }

  app.decorateReply('fragment', async function (this: FastifyReply, template: string, data: Record<string, unknown> = {}) {
    const html = await this.viewAsync(template, { fmt, ...assets, ...data })
    return await this.type('text/html; charset=utf-8').send(html)
  })
  type Meta = { title: string, current?: string | null }
  const render = async (reply: FastifyReply, template: string, layout: LayoutState, data: Record<string, unknown>, meta: Meta): Promise<string> =>
    await reply.viewAsync(template, { fmt, ...assets, ...layout, title: meta.title, current: meta.current ?? null, ...data })

  app.decorateReply('page', async function (this: FastifyReply, template: string, data: Record<string, unknown>, meta: Meta) {
    const html = await render(this, template, await opts.layout(), data, meta)
    return await this.type('text/html; charset=utf-8').send(html)
  })

  const pages = createPageCache({ maxBytes: opts.cache ? opts.pageCacheBytes ?? 24 * 1024 * 1024 : 0 })
  app.decorateReply('cachedPage', async function (this: FastifyReply, key: PageKey, template: string, data: () => Promise<Record<string, unknown>>, meta: Meta) {
    const layout = await opts.layout()
    const id = JSON.stringify([template, pages.idOf(key.owner), key.parts, layout, meta.title, meta.current ?? null])
    const page = await pages.get(id, async () => await render(this, template, layout, await data(), meta))
    // revalidated on every use: the same URL shows new runs once they are collected
    this.header('etag', page.etag).header('cache-control', 'no-cache')
    if (matchesEtag(this.request.headers['if-none-match'], page.etag)) return await this.code(304).send()
    return await this.type('text/html; charset=utf-8').send(page.body)
  })
}

/** Not encapsulated: every route renders through it. */
export const viewPlugin = fp(view, { name: 'tri-tracker-view' })
