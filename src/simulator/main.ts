// Standalone simulator: `npm run simulator`. Prints where each upstream listens and the tokens to use.
import { startSimulator } from './index.js'

const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v))

const sim = await startSimulator({
  host: process.env.SIM_HOST ?? '127.0.0.1',
  seed: process.env.SIM_SEED,
  latencyMs: num(process.env.SIM_LATENCY_MS),
  onpremJobLibrary: process.env.SIM_ONPREM_JOBLIBRARY !== 'false',
})

console.log(`Tri-Tracker simulator (seed ${sim.world.seed})
PLATFORM_API_BASE_URL=${sim.urls.aac}
PLATFORM_API_TOKEN=${sim.tokens.aac}
ONPREM_API_BASE_URL=${sim.urls.onprem}
ONPREM_API_TOKEN=${sim.tokens.onprem}
DATABRICKS_HOST=${sim.urls.databricks}
DATABRICKS_TOKEN=${sim.tokens.databricks}
SPARK_HISTORY_SERVER_URL=${sim.urls.sparkHistory}
SPARK_HISTORY_SERVER_AUTH=basic
SPARK_HISTORY_SERVER_USER=${sim.users.sparkHistory}
SPARK_HISTORY_SERVER_TOKEN=${sim.tokens.sparkHistory}
AWS_ACCESS_KEY_ID=${sim.aws.accessKeyId}
AWS_SECRET_ACCESS_KEY=${sim.aws.secretAccessKey}
AWS_REGION=${sim.aws.region}
(S3 at ${sim.urls.s3}, path style: the clusters' cluster_log_conf.s3.endpoint names it)

Flows: ${sim.world.flowNames.map((n) => JSON.stringify(n)).join(', ')}
Ctrl-C to stop.`)

const stop = (): void => {
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
