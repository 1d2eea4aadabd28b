import dotenv from 'dotenv'
import { ConfigError, isDemo, isLoopbackHost, loadConfig } from './config.js'
import { buildApp } from './app.js'
import { createLogger } from './logger.js'
import { createServices, type UpstreamTargets } from './services.js'
import { startSimulator, type Simulator } from './simulator/index.js'
import { seedDemoFlows } from './demo.js'

dotenv.config({ quiet: true })

let config
try {
  config = loadConfig(process.env)
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Tri-Tracker cannot start: ${err.message}\nFix it in .env (see .env.example) or in the environment.`)
    process.exit(1)
  }
  throw err
}

const log = createLogger(config.LOG_LEVEL)
const demo = isDemo(config)
let sim: Simulator | null = null
let targets: UpstreamTargets
if (demo) {
  sim = await startSimulator({ host: '127.0.0.1', logger: log.child({ component: 'simulator' }, { level: 'warn' }) })
  targets = {
    aac: { baseUrl: sim.urls.aac, token: sim.tokens.aac },
    onprem: { baseUrl: sim.urls.onprem, token: sim.tokens.onprem },
    databricks: { host: sim.urls.databricks, token: sim.tokens.databricks }
  }
  log.info({ aac: sim.urls.aac, onprem: sim.urls.onprem, databricks: sim.urls.databricks }, 'demo mode: embedded simulator started')
} else {
  targets = {
    aac: { baseUrl: config.PLATFORM_API_BASE_URL, token: config.PLATFORM_API_TOKEN },
    onprem: config.ONPREM_API_BASE_URL === '' ? null : { baseUrl: config.ONPREM_API_BASE_URL, token: config.ONPREM_API_TOKEN },
    databricks: config.DATABRICKS_HOST === '' ? null : { host: config.DATABRICKS_HOST, token: config.DATABRICKS_TOKEN }
  }
}

const services = createServices({ config, demo, targets, log })
if (sim !== null) await seedDemoFlows(services.store, sim.world)
const app = await buildApp({ services, loggerInstance: log })

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
  await sim?.close()
  process.exit(0)
}
process.on('SIGINT', () => { void shutdown('SIGINT') })
process.on('SIGTERM', () => { void shutdown('SIGTERM') })
