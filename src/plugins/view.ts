import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import { fmt } from '../shared/format.js'
import { VENDOR, vendorUrl } from './assets.js'

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
}

declare module 'fastify' {
  interface FastifyReply {
    /** renders a full page (layout data added) as text/html */
    page: (template: string, data: Record<string, unknown>, meta: { title: string, current?: string | null }) => Promise<FastifyReply>
    /** renders a partial (no layout) as text/html */
    fragment: (template: string, data?: Record<string, unknown>) => Promise<FastifyReply>
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

  app.decorateReply('fragment', async function (this: import('fastify').FastifyReply, template: string, data: Record<string, unknown> = {}) {
    const html = await this.viewAsync(template, { fmt, ...assets, ...data })
    return await this.type('text/html; charset=utf-8').send(html)
  })
  app.decorateReply('page', async function (this: import('fastify').FastifyReply, template: string, data: Record<string, unknown>, meta: { title: string, current?: string | null }) {
    const layout = await opts.layout()
    const html = await this.viewAsync(template, { fmt, ...assets, ...layout, title: meta.title, current: meta.current ?? null, ...data })
    return await this.type('text/html; charset=utf-8').send(html)
  })
}

/** Not encapsulated: every route renders through it. */
export const viewPlugin = fp(view, { name: 'tri-tracker-view' })
