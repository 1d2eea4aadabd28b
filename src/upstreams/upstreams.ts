import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { createTrifactaClient, type TrifactaClient } from '../trifacta/trifacta-client.js'
import { createDatabricksClient, type DatabricksClient } from '../databricks/databricks-client.js'
import { createSparkHistoryClient, type SparkHistoryClient } from '../spark-history/history-client.js'
import type { UpstreamTargets } from './targets.js'
import { createDispatcher } from '../http/http-client.js'
import type { Dispatcher } from 'undici'
import { createS3Client, type S3Client } from '../s3/s3-client.js'
import { createAacTokenSource, type AacTokenSource, type OAuthTokenStore } from '../trifacta/aac-oauth.js'

/** The configuration in force and the clients made from it; the settings page swaps them whole. */
export interface Upstreams {
  readonly config: Config
  readonly demo: boolean
  /** where the clients point now (tokens included: never render this) */
  readonly targets: UpstreamTargets
  aac: () => TrifactaClient
  /** AAC's token: long-lived or OAuth 2.0 with refresh (status for the settings page) */
  aacToken: () => AacTokenSource
  /** null when on-prem Trifacta is not configured */
  onprem: () => TrifactaClient | null
  /** null when Databricks is not configured */
  databricks: () => DatabricksClient | null
  /** null when no Spark History Server is configured */
  sparkHistory: () => SparkHistoryClient | null
  /** S3 log destinations (fails with a clear message while no AWS credentials are configured) */
  s3: () => S3Client
  /** points every client at new targets with a new configuration, without a restart */
  reconfigure: (next: { config: Config, demo: boolean, targets: UpstreamTargets }) => void
  close: () => Promise<void>
}

interface Connections {
  config: Config
  demo: boolean
  targets: UpstreamTargets
  aacToken: AacTokenSource
  aac: TrifactaClient
  onprem: TrifactaClient | null
  databricks: DatabricksClient | null
  sparkHistory: SparkHistoryClient | null
  s3: S3Client
}

/** Creates the upstream clients for a configuration. */
export function createUpstreams (opts: { config: Config, demo: boolean, targets: UpstreamTargets, log: Logger, retryBaseDelayMs?: number, tokenStore: OAuthTokenStore }): Upstreams {
  const { log } = opts
  // One AAC token source per configured token: a reconfiguration that keeps the tokens keeps the refresh chain (and
  // its one-refresh-at-a-time lock) shared by old and new clients.
  let aacToken: { key: string, source: AacTokenSource } | null = null
  function tokenSourceFor (t: UpstreamTargets['aac'], timeoutMs: number): AacTokenSource {
    const key = JSON.stringify([t.token, t.refreshToken, t.clientId, t.tokenUrl])
    if (aacToken?.key !== key) {
      // the token endpoint is another host (AAC: pingauth…): reached through the proxy and with AAC's CA file too
      const dispatcherFor = (origin: string): Dispatcher => createDispatcher('AAC token endpoint', origin, t.network ?? {}, { connectTimeout: 15_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
      aacToken = { key, source: createAacTokenSource({ accessToken: t.token, refreshToken: t.refreshToken, clientId: t.clientId, tokenUrl: t.tokenUrl, store: opts.tokenStore, timeoutMs, log, dispatcherFor }) }
    }
    return aacToken.source
  }
  function connect (config: Config, demo: boolean, targets: UpstreamTargets): Connections {
    const common = { timeoutMs: config.UPSTREAM_TIMEOUT_MS, baseDelayMs: opts.retryBaseDelayMs, log }
    const token = tokenSourceFor(targets.aac, config.UPSTREAM_TIMEOUT_MS)
    return {
      config,
      demo,
      targets,
      aacToken: token,
      aac: createTrifactaClient({ platform: 'aac', baseUrl: targets.aac.baseUrl, token, network: targets.aac.network, ...common }),
      onprem: targets.onprem === null ? null : createTrifactaClient({ platform: 'onprem', ...targets.onprem, ...common }),
      databricks: targets.databricks === null ? null : createDatabricksClient({ ...targets.databricks, ...common }),
      sparkHistory: targets.sparkHistory === null ? null : createSparkHistoryClient({ ...targets.sparkHistory, ...common }),
      s3: createS3Client({ credentials: targets.s3.credentials, defaultRegion: targets.s3.region, endpoint: targets.s3.endpoint, network: targets.s3.network, ...common })
    }
  }
  let cx = connect(opts.config, opts.demo, opts.targets)
  // Clients replaced by reconfigure() may still serve running tasks; they are closed at shutdown.
  const retired: Connections[] = []

  return {
    get config () { return cx.config },
    get demo () { return cx.demo },
    get targets () { return cx.targets },
    aac: () => cx.aac,
    aacToken: () => cx.aacToken,
    onprem: () => cx.onprem,
    databricks: () => cx.databricks,
    sparkHistory: () => cx.sparkHistory,
    s3: () => cx.s3,
    reconfigure (next) {
      retired.push(cx)
      cx = connect(next.config, next.demo, next.targets)
      log.info({ demo: next.demo, onprem: next.targets.onprem !== null, databricks: next.targets.databricks !== null, sparkHistory: next.targets.sparkHistory !== null }, 'configuration applied')
    },
    async close () {
      await Promise.allSettled([cx, ...retired].flatMap((c) => [c.aac.close(), c.onprem?.close(), c.databricks?.close(), c.sparkHistory?.close(), c.s3.close()]))
    }
  }
}
