// The app as benchmarks run it: demo mode on an in-process simulator, a temporary data folder, listening on
// 127.0.0.1; everything closed and removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadEffectiveConfig, createSettingsService } from '../src/settings/settings-service.js'
import { createLogger } from '../src/logger.js'
import { createServices, type Services } from '../src/services.js'
import { startSimulator } from '../src/simulator/index.js'
import { createTargetResolver } from '../src/upstreams/targets.js'

export interface BenchApp {
  /** the temporary folder (the data folder is its flows/) */
  dir: string
  services: Services
  /** builds the app and listens; its origin, http://127.0.0.1:<port> */
  listen: () => Promise<string>
}

/** Runs `body` with the services over a fresh data folder, then closes the app, services and simulator. */
export async function withBenchApp (prefix: string, body: (b: BenchApp) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  const sim = await startSimulator({ host: '127.0.0.1' })
  const state: { app: FastifyInstance | null } = { app: null }
  let services: Services | null = null
  try {
    const baseEnv = { DATA_DIR: path.join(dir, 'flows'), DEMO_MODE: 'on', LOG_LEVEL: 'warn' }
    const config = await loadEffectiveConfig(baseEnv)
    const log = createLogger('warn')
    const resolver = createTargetResolver(async () => sim)
    const { demo, targets } = await resolver.resolve(config)
    const svc = createServices({ config, demo, targets, log })
    services = svc
    const settings = createSettingsService({ store: svc.store, baseEnv, upstreams: svc.upstreams, flows: svc.flows, resolver, log })
    await body({
      dir,
      services: svc,
      async listen () {
        const app = state.app = await buildApp({ services: svc, settings, loggerInstance: log })
        await app.listen({ host: '127.0.0.1', port: 0 })
        return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
      }
    })
  } finally {
    await state.app?.close()
    await services?.close()
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
