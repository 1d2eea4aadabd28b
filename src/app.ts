import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import fastifyView from '@fastify/view'
import fastifyFormbody from '@fastify/formbody'
import { Eta } from 'eta'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { Services } from './services.js'
import { securityPlugin } from './plugins/security.js'
import { assetsPlugin } from './plugins/assets.js'
import { flowRoutes } from './flows/flow-routes.js'
import { apiRoutes } from './flows/flow-api-routes.js'
import { settingsRoutes } from './settings/settings-routes.js'
import type { SettingsService } from './settings/settings-service.js'
import { dbxRoutes } from './databricks/dbx-routes.js'
import { dashboardRoutes } from './dashboard/dashboard-routes.js'
import { wantsFragment, layoutData, render } from './plugins/view-helpers.js'
import { UpstreamError } from './http/upstream-error.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface BuildAppOptions {
  services: Services
  settings: SettingsService
  /** the pino instance shared with the services (Fastify's own request logging goes through it) */
  loggerInstance?: FastifyServerOptions['loggerInstance']
  /** compile templates once (production); tests and dev re-read them */
  cacheTemplates?: boolean
}

/** Progress partials poll every second: per-request lines go to the debug level, where the configured level filters them. */
class DebugRequestLog extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    if (error != null) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

function statusOf (err: unknown): number {
  if (err instanceof UpstreamError) return err.kind === 'timeout' ? 504 : 502
  const s = (err as { statusCode?: number }).statusCode
  return typeof s === 'number' && s >= 400 && s < 600 ? s : 500
}

/** Builds the Fastify app: plugins, then routes, in a fixed order. */
export async function buildApp (opts: BuildAppOptions): Promise<FastifyInstance> {
  const { services } = opts
  const app = Fastify({
    ...(opts.loggerInstance !== undefined ? { loggerInstance: opts.loggerInstance } : { logger: false }),
    logController: new DebugRequestLog(),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    routerOptions: { maxParamLength: 1000 },
    ajv: { customOptions: { removeAdditional: 'all', coerceTypes: true } }
  })
  await app.register(securityPlugin, { host: services.config.HOST })
  await app.register(fastifyFormbody)
  const eta = new Eta({ views: join(ROOT, 'views'), cache: opts.cacheTemplates ?? true, autoEscape: true, autoTrim: [false, 'nl'] })
  await app.register(fastifyView, { engine: { eta }, templates: join(ROOT, 'views'), production: opts.cacheTemplates ?? true, viewExt: 'eta' })
  await app.register(assetsPlugin, { publicDir: join(ROOT, 'public') })

  app.setErrorHandler(async (err, req, reply) => {
    const status = statusOf(err)
    const validation = (err as { validation?: unknown }).validation !== undefined
    const message = validation
      ? `The request was not valid: ${(err as Error).message}`
      : status >= 500 && !(err instanceof UpstreamError) ? 'Something went wrong on our side; the details are in the server log.' : (err as Error).message
    if (status >= 500) req.log.error({ err }, 'request failed')
    reply.code(validation ? 400 : status)
    if (req.url.startsWith('/api/')) return await reply.send({ error: status, message })
    if (wantsFragment(req)) return await render(reply, 'partials/flash', { message, level: 'error' })
    try {
      return await render(reply, 'pages/error', { ...(await layoutData(services, null, 'Error')), status: validation ? 400 : status, message })
    } catch {
      return await reply.type('text/plain; charset=utf-8').send(message)
    }
  })
  app.setNotFoundHandler(async (req, reply) => {
    reply.code(404)
    if (req.url.startsWith('/api/')) return await reply.send({ error: 404, message: 'not found' })
    if (wantsFragment(req)) return await render(reply, 'partials/flash', { message: 'Not found.', level: 'error' })
    return await render(reply, 'pages/error', { ...(await layoutData(services, null, 'Not found')), status: 404, message: 'There is nothing at this address.' })
  })

  await app.register(flowRoutes, { services })
  await app.register(dbxRoutes, { services })
  await app.register(dashboardRoutes, { services })
  await app.register(apiRoutes, { services })
  await app.register(settingsRoutes, { services, settings: opts.settings })
  return app
}
