import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { aacErrorBody, registerAacRoutes } from './aac-routes.js'
import { databricksErrorBody, registerDatabricksRoutes } from './databricks-routes.js'
import { Dbfs } from './dbfs.js'
import { layoutEventLogs } from './dbfs-layout.js'
import { FILES_PAGE_MAX, registerFilesRoutes } from './files-routes.js'
import { Faults } from './faults.js'
import { SampleLogs } from './sample-logs.js'
import { SimOAuth, type SimOAuthOptions } from './oauth.js'
import { createUpstreamServer } from './server.js'
import { generateWorld } from './world.js'
import { HistoryLogs } from './history-logs.js'
import { registerS3Routes, s3ErrorBody, SimS3 } from './s3.js'
import { SIM_S3_BUCKET, SIM_S3_REGION } from './world-plan.js'
import { historyErrorBody, registerHistoryRoutes } from './history-routes.js'
import type { Upstream, World } from './world-types.js'

export type { FaultKind, FaultSpec } from './faults.js'
export type { Faults } from './faults.js'
export type { Dbfs, DbfsFileInfo } from './dbfs.js'
export type { SimS3 } from './s3.js'
export type { SimOAuth, IssuedTokens } from './oauth.js'
export type { World, WorldNotables, Upstream } from './world-types.js'

export interface SimulatorOptions {
  host?: string
  seed?: string | number
  /** epoch ms the world is laid out from (default: now) */
  now?: number
  /** added to every request on every upstream */
  latencyMs?: number
  /** false: on-prem answers 404 RouteNotFoundException on /v4/jobLibrary (older EE), exercising the fallback */
  onpremJobLibrary?: boolean
  logger?: FastifyBaseLogger | boolean
  /** where generated event log parts are cached (default: <os tmpdir>/tri-tracker-sim-cache) */
  cacheDir?: string
  /** the most rows one v4 list page returns (both Trifacta upstreams); default 100 */
  pageCap?: number
  /** the most entries one Files API directory page holds (default 1000, the documented maximum) */
  filesPageCap?: number
  /** legacy DBFS disabled in the workspace: the DBFS API answers 403 "Public DBFS root is disabled" */
  dbfsDisabled?: boolean
  /** AAC OAuth 2.0 token lifetimes (the static aac token works too) */
  oauth?: SimOAuthOptions
}

export interface Simulator {
  urls: {
    /** base including /v4, e.g. http://127.0.0.1:PORT/v4 */
    aac: string
    onprem: string
    /** host only, no path: http://127.0.0.1:PORT */
    databricks: string
    /** the History Server's root (the REST API is under /api/v1) */
    sparkHistory: string
    /** the S3 endpoint, path style: <url>/<bucket>/<key> */
    s3: string
  }
  /** random per start */
  tokens: { aac: string; onprem: string; databricks: string; sparkHistory: string }
  /** the simulated S3's long-term demo credentials (random per start) and the region of its log bucket */
  aws: { accessKeyId: string; secretAccessKey: string; region: string }
  /** the History Server takes basic auth as this user with tokens.sparkHistory as the password (or that token as a bearer) */
  users: { sparkHistory: string }
  faults: Faults
  /** AAC's OAuth 2.0 token endpoint (`<aac origin>/as/token`) and the tokens it issued */
  oauth: SimOAuth
  dbfs: Dbfs
  /** buckets, keys (issue temporary ones), the listing page cap */
  s3: SimS3
  world: World
  /** requests received (faulted and unauthorised ones included), optionally only paths starting with pathPrefix */
  requests(upstream: Upstream, pathPrefix?: string): number
  /** the Range headers of the requests received (optionally only paths starting with pathPrefix), in order */
  rangesAsked(upstream: Upstream, pathPrefix?: string): string[]
  resetRequests(): void
  setOnpremJobLibrary(enabled: boolean): void
  /** false: the History Server ignores Range on /logs (as Spark's own does); default true */
  setHistoryRanges(enabled: boolean): void
  /** the most rows one v4 list page returns from now on */
  setPageCap(rows: number): void
  /** the most entries one Files API directory page holds from now on */
  setFilesPageCap(entries: number): void
  /** turns legacy DBFS off (or back on) in the workspace */
  setDbfsDisabled(disabled: boolean): void
  close(): Promise<void>
}

const token = (prefix: string): string => `${prefix}${randomBytes(18).toString('base64url')}`

export async function startSimulator (opts: SimulatorOptions = {}): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1'
  const world = generateWorld({ seed: opts.seed, now: opts.now })
  const faults = new Faults()
  faults.latencyMs = opts.latencyMs ?? 0
  const tokens = { aac: token('aac-'), onprem: token('onp-'), databricks: token('dapi'), sparkHistory: token('shs-') }
  const users = { sparkHistory: 'spark' }
  let historyRanges = true
  let onpremJobLibrary = opts.onpremJobLibrary ?? true
  const seen: Record<Upstream, string[]> = { aac: [], onprem: [], databricks: [], sparkHistory: [], s3: [] }
  const ranges: Record<Upstream, Array<{ path: string, range: string }>> = { aac: [], onprem: [], databricks: [], sparkHistory: [], s3: [] }
  const onRequest = (u: Upstream, path: string, range: string | null): void => {
    seen[u].push(path)
    if (range !== null) ranges[u].push({ path, range })
  }
  const samples = new SampleLogs({ cacheDir: opts.cacheDir })
  const dbfs = new Dbfs(samples)
  const s3 = new SimS3(samples)
  s3.createBucket(SIM_S3_BUCKET, SIM_S3_REGION)
  const aws = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64'), region: SIM_S3_REGION }
  s3.addKey(aws.accessKeyId, aws.secretAccessKey)
  layoutEventLogs(world, dbfs, samples, s3)
  dbfs.rootDisabled = opts.dbfsDisabled ?? false
  let filesPageCap = opts.filesPageCap ?? FILES_PAGE_MAX

  const common = { faults, onRequest, logger: opts.logger }
  const oauth = new SimOAuth(opts.oauth)
  const aac = createUpstreamServer({
    ...common,
    upstream: 'aac',
    token: tokens.aac,
    errorBody: aacErrorBody,
    isPublic: (p) => p.startsWith('/jobs/') || p === '/as/token',
    acceptToken: (t) => oauth.validAccess(t),
  })
  oauth.register(aac)
  let pageCap = opts.pageCap ?? 100
  registerAacRoutes(aac, { world: world.aac, hasJobLibrary: () => true, label: 'Alteryx Analytics Cloud', rowShape: 'flowId', pageCap: () => pageCap })
  const onprem = createUpstreamServer({
    ...common,
    upstream: 'onprem',
    token: tokens.onprem,
    errorBody: aacErrorBody,
    isPublic: (p) => p.startsWith('/jobs/'),
  })
  registerAacRoutes(onprem, { world: world.onprem, hasJobLibrary: () => onpremJobLibrary, label: 'Trifacta (on-prem)', pageCap: () => pageCap })
  const databricks = createUpstreamServer({ ...common, upstream: 'databricks', token: tokens.databricks, errorBody: databricksErrorBody })
  let dbxUrlValue = ''
  let s3UrlValue = ''
  registerDatabricksRoutes(databricks, { world, dbfs, host: () => dbxUrlValue, s3Endpoint: () => s3UrlValue })
  registerFilesRoutes(databricks, { dbfs, pageCap: () => filesPageCap })

  const basic = `Basic ${Buffer.from(`${users.sparkHistory}:${tokens.sparkHistory}`).toString('base64')}`
  const sparkHistory = createUpstreamServer({
    ...common,
    upstream: 'sparkHistory',
    token: tokens.sparkHistory,
    errorBody: historyErrorBody,
    authorized: (h) => h === basic || h === `Bearer ${tokens.sparkHistory}`,
  })
  registerHistoryRoutes(sparkHistory, { history: world.history, logs: new HistoryLogs(), now: world.now, ranges: () => historyRanges })

  // every request is checked by its SigV4 signature (registerS3Routes), not by a bearer token
  const s3Server = createUpstreamServer({ ...common, upstream: 's3', token: '', errorBody: s3ErrorBody, isPublic: () => true })
  registerS3Routes(s3Server, s3)

  const servers: FastifyInstance[] = [aac, onprem, databricks, sparkHistory, s3Server]
  const started: FastifyInstance[] = []
  const listen = async (app: FastifyInstance): Promise<string> => {
    await app.listen({ host, port: 0 })
    started.push(app)
    const addr = app.server.address() as AddressInfo
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
    return `http://${h}:${addr.port}`
  }
  try {
    const [aacUrl, onpremUrl, dbxUrl, historyUrl, s3Url] = await Promise.all(servers.map(listen))
    dbxUrlValue = dbxUrl ?? ''
    s3UrlValue = s3Url ?? ''
    oauth.setIssuer(aacUrl ?? '')
    return {
      urls: { aac: `${aacUrl}/v4`, onprem: `${onpremUrl}/v4`, databricks: dbxUrl ?? '', sparkHistory: historyUrl ?? '', s3: s3UrlValue },
      tokens,
      aws,
      users,
      faults,
      oauth,
      dbfs,
      s3,
      world,
      requests (upstream, pathPrefix) {
        const list = seen[upstream]
        return pathPrefix === undefined ? list.length : list.filter((p) => p.startsWith(pathPrefix)).length
      },
      rangesAsked (upstream, pathPrefix) {
        return ranges[upstream].filter((r) => pathPrefix === undefined || r.path.startsWith(pathPrefix)).map((r) => r.range)
      },
      resetRequests () {
        for (const k of Object.keys(seen) as Upstream[]) { seen[k] = []; ranges[k] = [] }
      },
      setOnpremJobLibrary (enabled) {
        onpremJobLibrary = enabled
      },
      setHistoryRanges (enabled) {
        historyRanges = enabled
      },
      setPageCap (rows) {
        pageCap = rows
      },
      setFilesPageCap (entries) {
        filesPageCap = Math.max(1, entries)
      },
      setDbfsDisabled (disabled) {
        dbfs.rootDisabled = disabled
      },
      async close () {
        faults.clear()
        await Promise.all(servers.map((s) => s.close()))
        await dbfs.close()
      },
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()))
    throw err
  }
}
