import { isDemo, type Config } from '../config.js'
import type { Simulator } from '../simulator/index.js'
import type { SparkHistoryTarget } from '../spark-history/history-client.js'
import type { NetworkOptions } from '../http/http-client.js'
import type { S3Credentials } from '../s3/s3-client.js'

/** Where the upstreams are and which tokens they take, once demo mode has been resolved. */
export interface UpstreamTargets {
  /** refreshToken '' = a long-lived token; clientId / tokenUrl '' = from the access token's claims */
  aac: { baseUrl: string, token: string, refreshToken: string, clientId: string, tokenUrl: string, network?: NetworkOptions }
  onprem: { baseUrl: string, token: string, network?: NetworkOptions } | null
  databricks: { host: string, token: string, network?: NetworkOptions } | null
  /** the on-prem Spark History Server (its root, without /api/v1) */
  sparkHistory: SparkHistoryTarget | null
  /** S3 log destinations: credentials (null when none are configured), AWS_REGION ('' = us-east-1), AWS_ENDPOINT_URL_S3 ('' = none) */
  s3: { credentials: S3Credentials | null, region: string, endpoint: string, network?: NetworkOptions }
}

/** Where the clients must point for a configuration: the real upstreams, or the embedded simulator in demo mode. */
export interface TargetResolver {
  resolve: (config: Config) => Promise<{ demo: boolean, targets: UpstreamTargets }>
  /** the simulator, once demo mode has started it */
  simulator: () => Simulator | null
  close: () => Promise<void>
}

/** The targets a configuration names (no simulator involved). */
export function configTargets (config: Config): UpstreamTargets {
  return {
    aac: { baseUrl: config.PLATFORM_API_BASE_URL, token: config.PLATFORM_API_TOKEN, refreshToken: config.PLATFORM_API_REFRESH_TOKEN, clientId: config.PLATFORM_API_CLIENT_ID, tokenUrl: config.PLATFORM_API_TOKEN_URL.replace(/\/+$/, ''), network: { caFile: config.PLATFORM_API_CA_FILE } },
    // skipping TLS verification exists for on-prem only (the original tool disabled it there); AAC and Databricks never
    onprem: config.ONPREM_API_BASE_URL === '' ? null : { baseUrl: config.ONPREM_API_BASE_URL, token: config.ONPREM_API_TOKEN, network: { caFile: config.ONPREM_API_CA_FILE, skipTlsVerify: config.ONPREM_TLS_SKIP_VERIFY === 'true' } },
    databricks: config.DATABRICKS_HOST === '' ? null : { host: config.DATABRICKS_HOST, token: config.DATABRICKS_TOKEN, network: { caFile: config.DATABRICKS_CA_FILE } },
    sparkHistory: config.SPARK_HISTORY_SERVER_URL === ''
      ? null
      : { baseUrl: config.SPARK_HISTORY_SERVER_URL, auth: config.SPARK_HISTORY_SERVER_AUTH, user: config.SPARK_HISTORY_SERVER_USER, token: config.SPARK_HISTORY_SERVER_TOKEN },
    s3: {
      credentials: config.AWS_ACCESS_KEY_ID === '' || config.AWS_SECRET_ACCESS_KEY === '' ? null : { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY, sessionToken: config.AWS_SESSION_TOKEN },
      region: config.AWS_REGION,
      endpoint: config.AWS_ENDPOINT_URL_S3,
      network: { caFile: config.AWS_CA_BUNDLE }
    }
  }
}

/** The simulator's targets: every upstream, with the simulator's own tokens. */
export function simulatorTargets (sim: Simulator): UpstreamTargets {
  return {
    aac: { baseUrl: sim.urls.aac, token: sim.tokens.aac, refreshToken: '', clientId: '', tokenUrl: '' },
    onprem: { baseUrl: sim.urls.onprem, token: sim.tokens.onprem },
    databricks: { host: sim.urls.databricks, token: sim.tokens.databricks },
    sparkHistory: { baseUrl: sim.urls.sparkHistory, auth: 'basic', user: sim.users.sparkHistory, token: sim.tokens.sparkHistory },
    // the simulated S3's demo keys: clusters delivering to s3:// name its endpoint in their cluster_log_conf
    s3: { credentials: { accessKeyId: sim.aws.accessKeyId, secretAccessKey: sim.aws.secretAccessKey, sessionToken: '' }, region: sim.aws.region, endpoint: '' }
  }
}

/** Starts the simulator the first time demo mode is needed (at boot or when the settings page returns to it). */
export function createTargetResolver (start: () => Promise<Simulator>): TargetResolver {
  let sim: Promise<Simulator> | null = null
  let started: Simulator | null = null
  return {
    async resolve (config) {
      if (!isDemo(config)) return { demo: false, targets: configTargets(config) }
      sim ??= start().then((s) => { started = s; return s })
      return { demo: true, targets: simulatorTargets(await sim) }
    },
    simulator: () => started,
    async close () {
      if (sim !== null) await (await sim).close()
    }
  }
}
