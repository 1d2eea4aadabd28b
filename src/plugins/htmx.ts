import type { FastifyReply, FastifyRequest } from 'fastify'

/** True for htmx requests that want a fragment (history restores want the full page). */
export function wantsFragment (req: FastifyRequest): boolean {
  return req.headers['hx-request'] === 'true' && req.headers['hx-history-restore-request'] !== 'true'
}

/** 303 to a URL of ours: for htmx requests an HX-Redirect header instead, so htmx does the navigation. */
export async function redirectAfterPost (req: FastifyRequest, reply: FastifyReply, url: string): Promise<FastifyReply> {
  if (wantsFragment(req)) return await reply.header('hx-redirect', url).code(204).send()
  return await reply.redirect(url, 303)
}
