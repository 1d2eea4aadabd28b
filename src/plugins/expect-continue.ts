import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route sends `100 Continue` itself (sendContinue) once it accepts the body it is about to read */
    decidesContinue?: boolean
  }
}

/** True when the client waits for `100 Continue` before sending its body. */
function expectsContinue (req: FastifyRequest): boolean {
  return (req.headers.expect ?? '').toLowerCase() === '100-continue'
}

/** Lets a client that sent `Expect: 100-continue` send its body: the route accepted it (a no-op otherwise). */
export function sendContinue (req: FastifyRequest, reply: FastifyReply): void {
  if (expectsContinue(req) && !reply.raw.headersSent) reply.raw.writeContinue()
}

/**
 * `Expect: 100-continue` (curl sends it for bodies over 1 MiB, and so can any client): Node answers `100 Continue`
 * itself, before any route has looked at the request, unless the server listens for 'checkContinue'. Here it does,
 * so a request refused before its body is read (an upload past EVENTLOG_UPLOAD_MAX_MB, a foreign Host, a cross-site
 * write, an unknown run) is answered without the client sending a byte of its body. A route with
 * `config.decidesContinue` sends the 100 itself once it accepts the body; every other one gets it as it starts, after
 * the security checks, as Node would have sent it.
 */
export const expectContinuePlugin = fp(async (app: FastifyInstance) => {
  app.server.on('checkContinue', (req, res) => { app.server.emit('request', req, res) })
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.decidesContinue !== true) sendContinue(req, reply)
  })
}, { name: 'expect-continue' })
