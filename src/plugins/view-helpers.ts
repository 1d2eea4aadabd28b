import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Services } from '../services.js'
import { fmt } from '../shared/format.js'
import { VENDOR, vendorUrl } from './assets.js'

/** True for htmx requests that want a fragment (history restores want the full page). */
export function wantsFragment (req: FastifyRequest): boolean {
  return req.headers['hx-request'] === 'true' && req.headers['hx-history-restore-request'] !== 'true'
}

/** Data every full page's layout needs: the sidebar, the demo banner, asset URLs. */
export async function layoutData (services: Services, current: string | null, title: string): Promise<Record<string, unknown>> {
  const flows = await services.store.listFlows()
  return {
    title,
    current,
    flows,
    demo: services.demo,
    onpremConfigured: services.onprem() !== null,
    fmt,
    htmxUrl: vendorUrl(VENDOR.htmx),
    chartUrl: vendorUrl(VENDOR.chart)
  }
}

/** Renders a template to HTML with the shared helpers in scope. */
export async function render (reply: FastifyReply, template: string, data: Record<string, unknown>): Promise<FastifyReply> {
  return await reply.type('text/html; charset=utf-8').view(template, { fmt, ...data })
}

/** 303 to a URL of ours: for htmx requests an HX-Redirect header instead, so htmx does the navigation. */
export async function redirectAfterPost (req: FastifyRequest, reply: FastifyReply, url: string): Promise<FastifyReply> {
  if (wantsFragment(req)) return await reply.header('hx-redirect', url).code(204).send()
  return await reply.redirect(url, 303)
}
