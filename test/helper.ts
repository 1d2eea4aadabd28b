import type { Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { buildApp } from '../src/app.js'
import { createLogger } from '../src/logger.js'
import { createServices, type Services } from '../src/services.js'
import { startSimulator, type Simulator } from '../src/simulator/index.js'
import { createSettingsService, loadEffectiveConfig, type SettingsService } from '../src/settings/settings-service.js'
import { createTargetResolver } from '../src/upstreams/targets.js'

export interface TestApp {
  app: FastifyInstance
  sim: Simulator
  services: Services
  settings: SettingsService
  /** the environment the settings page starts from (as .env would give it) */
  baseEnv: Record<string, string>
  config: Config
  dataDir: string
  /** every log line written so far (to scan for tokens) */
  logLines: string[]
}

/** A temporary data dir removed after the test. */
export function tempDir (t: Test, prefix = 'tri-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** Builds the app against a temp flows/ dir and an in-process simulator on 127.0.0.1. */
export async function buildTestApp (t: Test, opts: { onprem?: boolean, oauth?: boolean, env?: Record<string, string>, sim?: Parameters<typeof startSimulator>[0], dataDir?: string, views?: string, analysisHeapMb?: number } = {}): Promise<TestApp> {
  const sim = await startSimulator({ host: '127.0.0.1', ...opts.sim })
  const dataDir = opts.dataDir ?? tempDir(t)
  // oauth: an OAuth 2.0 pair from the simulator's token endpoint instead of a long-lived AAC token
  const issued = opts.oauth === true ? sim.oauth.issue() : null
  const baseEnv: Record<string, string> = {
    PLATFORM_API_BASE_URL: sim.urls.aac,
    PLATFORM_API_TOKEN: issued?.accessToken ?? sim.tokens.aac,
    ...(issued !== null ? { PLATFORM_API_REFRESH_TOKEN: issued.refreshToken } : {}),
    ONPREM_API_BASE_URL: opts.onprem === false ? '' : sim.urls.onprem,
    ONPREM_API_TOKEN: opts.onprem === false ? '' : sim.tokens.onprem,
    DATABRICKS_HOST: sim.urls.databricks,
    DATABRICKS_TOKEN: sim.tokens.databricks,
    DATA_DIR: dataDir,
    UPSTREAM_TIMEOUT_MS: '3000',
    ...opts.env
  }
  // As main.ts does: the saved settings override the environment at boot.
  const config = await loadEffectiveConfig(baseEnv)
  const logLines: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { logLines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '')); cb() } })
  const log = createLogger('debug', sink)
  // Demo mode in tests is the same simulator (the teardown closes it); otherwise the configured URLs, which point at it too.
  const resolver = createTargetResolver(async () => sim)
  const { demo, targets } = await resolver.resolve(config)
  const services = createServices({ config, demo, targets, log, retryBaseDelayMs: 5, ...(opts.analysisHeapMb !== undefined ? { analysisHeapMb: opts.analysisHeapMb } : {}) })
  const settings = createSettingsService({ store: services.store, baseEnv, upstreams: services.upstreams, flows: services.flows, resolver, log })
  const app = await buildApp({ services, settings, loggerInstance: log, ...(opts.views !== undefined ? { views: opts.views } : {}) })
  t.teardown(async () => {
    await app.close()
    await services.close()
    await sim.close()
  })
  return { app, sim, services, settings, baseEnv, config, dataDir, logLines }
}
