import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import fastifyFormbody from '@fastify/formbody'
import fastifySensible from '@fastify/sensible'
import fastifyMultipart from '@fastify/multipart'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { Services } from './services.js'
import type { FlowStore } from './store/flow-store.js'
import type { TaskRunner } from './tasks/task-runner.js'
import type { Upstreams } from './upstreams/upstreams.js'
import type { FlowService } from './flows/flow-service.js'
import type { DbxService } from './databricks/dbx-service.js'
import type { SettingsService } from './settings/settings-service.js'
import type { HistoryService } from './spark-history/history-service.js'
import type { UploadService } from './flows/upload-service.js'
import type { AnalyserService } from './flows/analyser-service.js'
import { uploadRoutes } from './flows/upload-routes.js'
import { historyRoutes } from './spark-history/history-routes.js'
import { expectContinuePlugin } from './plugins/expect-continue.js'
import { securityPlugin } from './plugins/security.js'
import { assetsPlugin } from './plugins/assets.js'
import { viewPlugin } from './plugins/view.js'
import { errorPagesPlugin } from './plugins/error-pages.js'
import { flowRoutes } from './flows/flow-routes.js'
import { flowApiRoutes } from './flows/flow-api-routes.js'
import { settingsRoutes } from './settings/settings-routes.js'
import { dbxRoutes } from './databricks/dbx-routes.js'
import { dashboardRoutes } from './dashboard/dashboard-routes.js'
import { pairRoutes } from './dashboard/pair-routes.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

// What routes get from the app: each service is its own decorator, typed here where they are composed.
declare module 'fastify' {
  interface FastifyInstance {
    store: FlowStore
    tasks: TaskRunner
    upstreams: Upstreams
    flows: FlowService
    dbx: DbxService
    history: HistoryService
    uploads: UploadService
    analyser: AnalyserService
    settings: SettingsService
  }
}

export interface BuildAppOptions {
  services: Services
  settings: SettingsService
  /** the pino instance shared with the services (Fastify's own request logging goes through it) */
  loggerInstance?: FastifyServerOptions['loggerInstance']
  /** compile templates once (production); tests and dev re-read them */
  cacheTemplates?: boolean
  /** the templates folder (default views/; a test swaps in a broken copy) */
  views?: string
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

/** Builds the Fastify app: plugins, services as decorators, then routes, in a fixed order. */
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
  app.decorate('store', services.store)
  app.decorate('tasks', services.tasks)
  app.decorate('upstreams', services.upstreams)
  app.decorate('flows', services.flows)
  app.decorate('dbx', services.dbx)
  app.decorate('history', services.history)
  app.decorate('uploads', services.uploads)
  app.decorate('analyser', services.analyser)
  app.decorate('settings', opts.settings)

  await app.register(securityPlugin, { host: services.upstreams.config.HOST })
  // after the security checks: a refused request never gets its `100 Continue`
  await app.register(expectContinuePlugin)
  await app.register(fastifySensible)
  await app.register(fastifyFormbody)
  // multipart bodies are streamed by the routes that take a file (req.file()); nothing is buffered or written here
  await app.register(fastifyMultipart, { limits: { files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100 } })
  await app.register(viewPlugin, {
    views: opts.views ?? join(ROOT, 'views'),
    cache: opts.cacheTemplates ?? true,
    layout: async () => ({ flows: await services.store.listFlows(), demo: services.upstreams.demo, onpremConfigured: services.upstreams.onprem() !== null, tlsSkipped: services.upstreams.targets.onprem?.network?.skipTlsVerify === true })
  })
  await app.register(errorPagesPlugin)
  await app.register(assetsPlugin, { publicDir: join(ROOT, 'public') })

  await app.register(flowRoutes)
  await app.register(flowApiRoutes)
  await app.register(dbxRoutes)
  await app.register(historyRoutes)
  await app.register(uploadRoutes)
  await app.register(dashboardRoutes)
  await app.register(pairRoutes)
  await app.register(settingsRoutes)
  return app
}
