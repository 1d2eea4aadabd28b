import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { UpstreamError } from '../http/upstream-error.js'
import { wantsFragment } from './htmx.js'

function statusOf (err: unknown): number {
  if (err instanceof UpstreamError) return err.kind === 'timeout' ? 504 : 502
  const s = (err as { statusCode?: number }).statusCode
  return typeof s === 'number' && s >= 400 && s < 600 ? s : 500
}

/**
 * One answer per kind of client: JSON for /api/, an error fragment (htmx lands it in #flash) for fragments, a full
 * page otherwise. When the error page itself cannot render, plain text with the same message: never Fastify's
 * default JSON carrying an internal message.
 */
async function errorPages (app: FastifyInstance): Promise<void> {
  async function answer (req: FastifyRequest, reply: FastifyReply, status: number, message: string): Promise<FastifyReply> {
    reply.code(status)
    if (req.url.startsWith('/api/')) return await reply.send({ error: status, message })
    try {
      if (wantsFragment(req)) return await reply.fragment('partials/flash', { message, level: 'error' })
      return await reply.page('pages/error', { status, message }, { title: status === 404 ? 'Not found' : 'Error' })
    } catch (err) {
      req.log.error({ err }, 'the error page could not be rendered')
      return await reply.code(status).type('text/plain; charset=utf-8').send(message)
    }
  }

  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const validation = err.validation !== undefined
    const status = validation ? 400 : statusOf(err)
    const message = validation
      ? `The request was not valid: ${err.message}`
      : status >= 500 && !(err instanceof UpstreamError) ? 'Something went wrong on our side; the details are in the server log.' : err.message
    if (status >= 500) req.log.error({ err }, 'request failed')
    return await answer(req, reply, status, message)
  })
  app.setNotFoundHandler(async (req, reply) => {
    return await answer(req, reply, 404, req.url.startsWith('/api/') ? 'not found' : 'There is nothing at this address.')
  })
}

export const errorPagesPlugin = fp(errorPages, { name: 'tri-tracker-error-pages', dependencies: ['tri-tracker-view'] })
