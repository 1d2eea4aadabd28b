import dotenv from 'dotenv'
import { ConfigError, isLoopbackHost, type Config } from './config.js'
import { buildApp } from './app.js'
import { createLogger } from './logger.js'
import { createServices } from './services.js'
import { startSimulator } from './simulator/index.js'
import { seedDemoFlows } from './demo/seed-demo-flows.js'
import { createSettingsService, loadEffectiveConfig } from './settings/settings-service.js'
import { createTargetResolver } from './upstreams/targets.js'

dotenv.config({ quiet: true })
const baseEnv: Record<string, string | undefined> = { ...process.env }

function fail (message: string): never {
  console.error(`Tri-Tracker cannot start: ${message}`)
  process.exit(1)
}

let config: Config
try {
  config = await loadEffectiveConfig(baseEnv)
} catch (err) {
  if (err instanceof ConfigError) {
    fail(err.source === 'settings.json'
      ? `${err.message}\nThe value was saved from the settings page: fix or remove ${err.variable} in settings.json in the data folder (DATA_DIR), or delete that file to fall back to .env.`
      : `${err.message}\nFix ${err.variable} in .env (see .env.example) or in the environment.`)
  }
  // Only reading settings.json can fail otherwise.
  fail(`the saved settings cannot be read (${(err as Error).message}); fix or delete settings.json in the data folder`)
}

const log = createLogger(config.LOG_LEVEL)
const resolver = createTargetResolver(async () => {
  const sim = await startSimulator({ host: '127.0.0.1', logger: log.child({ component: 'simulator' }, { level: 'warn' }) })
  log.info({ aac: sim.urls.aac, onprem: sim.urls.onprem, databricks: sim.urls.databricks }, 'demo mode: embedded simulator started')
  return sim
})
const { demo, targets } = await resolver.resolve(config)
const services = createServices({ config, demo, targets, log })
const sim = resolver.simulator()
if (sim !== null) await seedDemoFlows(services.store, sim.world)
const settings = createSettingsService({ store: services.store, baseEnv, upstreams: services.upstreams, flows: services.flows, resolver, log })
const app = await buildApp({ services, settings, loggerInstance: log })

if (!isLoopbackHost(config.HOST)) {
  log.warn({ host: config.HOST }, 'HOST is not a loopback address: anyone who can reach this machine can use this Tri-Tracker and its tokens')
}
try {
  await app.listen({ host: config.HOST, port: config.PORT })
} catch (err) {
  log.error({ err }, `could not listen on ${config.HOST}:${config.PORT}`)
  process.exit(1)
}
console.log(`Tri-Tracker is running at http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${(app.server.address() as { port: number }).port}/${demo ? ' (demo data)' : ''}`)

let closing = false
async function shutdown (signal: string): Promise<void> {
  if (closing) return
  closing = true
  log.info({ signal }, 'shutting down')
  await app.close()
  await services.close()
  await resolver.close()
  process.exit(0)
}
process.on('SIGINT', () => { void shutdown('SIGINT') })
process.on('SIGTERM', () => { void shutdown('SIGTERM') })
