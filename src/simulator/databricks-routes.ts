import type { FastifyInstance } from 'fastify'
import type { Dbfs } from './dbfs.js'
import { clusterEvents, decodeTaskPageToken, renderCluster, renderRun, type ClusterEvent } from './dbx-render.js'
import { SimHttpError, type ErrorBody } from './server.js'
import type { SimCluster, SimDbxRun, World } from './world-types.js'

type Query = Record<string, string | string[] | undefined>

/** Databricks error body: `{"error_code": "...", "message": "..."}` */
export const databricksErrorBody: ErrorBody = (status, message, _path, code) => ({
  error_code:
    code ??
    (status === 401
      ? 'UNAUTHENTICATED'
      : status === 403
        ? 'PERMISSION_DENIED'
        : status === 404
          ? message.startsWith('Cannot ')
            ? 'ENDPOINT_NOT_FOUND'
            : 'RESOURCE_DOES_NOT_EXIST'
          : status === 400
            ? 'INVALID_PARAMETER_VALUE'
            : status === 429
              ? 'REQUEST_LIMIT_EXCEEDED'
              : status === 503
                ? 'TEMPORARILY_UNAVAILABLE'
                : status === 504
                  ? 'DEADLINE_EXCEEDED'
                  : 'INTERNAL_ERROR'),
  message: status === 401 ? 'Credential was not sent or was of an unsupported type for this API.' : message,
})

const one = (q: Query, key: string): string | undefined => {
  const v = q[key]
  return Array.isArray(v) ? v[v.length - 1] : v
}

function requiredInt (q: Query, key: string): number {
  const v = one(q, key)
  if (v === undefined || !/^\d+$/.test(v)) throw new SimHttpError(400, `Missing or invalid required parameter '${key}'`, 'INVALID_PARAMETER_VALUE')
  return Number(v)
}

function optInt (v: unknown, key: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN
  if (!Number.isSafeInteger(n)) throw new SimHttpError(400, `Invalid value for '${key}'`, 'INVALID_PARAMETER_VALUE')
  return n
}

export interface DatabricksRoutesOptions {
  world: World
  dbfs: Dbfs
  /** this server's own URL, for run_page_url */
  host: () => string
  /** the simulated S3's URL, the endpoint of cluster_log_conf.s3 */
  s3Endpoint?: () => string
}

export function registerDatabricksRoutes (app: FastifyInstance, opts: DatabricksRoutesOptions): void {
  const { world, dbfs } = opts
  const expired = (start: number): boolean => start < world.now - world.retentionMs
  const eventsCache = new Map<string, ClusterEvent[]>()
  const runFor = (c: SimCluster): SimDbxRun | undefined => world.dbxRuns.get(c.runId)

  const getRun = (q: Query): SimDbxRun => {
    const id = requiredInt(q, 'run_id')
    const r = world.dbxRuns.get(id)
    if (!r || expired(r.startTime)) throw new SimHttpError(404, `Run ${id} does not exist.`, 'RESOURCE_DOES_NOT_EXIST')
    return r
  }
  const getCluster = (id: string | undefined): SimCluster => {
    if (!id) throw new SimHttpError(400, "Missing required parameter 'cluster_id'", 'INVALID_PARAMETER_VALUE')
    const c = world.clusters.get(id)
    if (!c || expired(c.startTime)) throw new SimHttpError(404, `Cluster ${id} does not exist`, 'RESOURCE_DOES_NOT_EXIST')
    return c
  }

  for (const version of ['2.0', '2.1', '2.2'] as const) {
    app.get(`/api/${version}/jobs/runs/get`, async (req) => {
      const q = req.query as Query
      const r = getRun(q)
      let pageOffset = 0
      const token = one(q, 'page_token')
      if (token !== undefined && token !== '') {
        if (version !== '2.2') throw new SimHttpError(400, 'page_token is only supported by API 2.2', 'INVALID_PARAMETER_VALUE')
        const off = decodeTaskPageToken(token)
        if (off === null) throw new SimHttpError(400, 'Invalid page_token', 'INVALID_PARAMETER_VALUE')
        pageOffset = off
      }
      return renderRun(r, { version, host: opts.host(), s3Endpoint: opts.s3Endpoint?.(), workspaceId: world.workspaceId, cluster: world.clusters.get(r.clusterId), pageOffset })
    })
  }

  for (const version of ['2.0', '2.1'] as const) {
    app.get(`/api/${version}/clusters/get`, async (req, reply) => {
      const c = getCluster(one(req.query as Query, 'cluster_id'))
      return reply.type('application/json').send(renderCluster(c, runFor(c), world.now, { s3Endpoint: opts.s3Endpoint?.() }))
    })

    app.post(`/api/${version}/clusters/events`, async (req) => {
      const body = (req.body ?? {}) as Record<string, unknown>
      const c = getCluster(typeof body.cluster_id === 'string' ? body.cluster_id : undefined)
      const order = body.order === undefined ? 'DESC' : body.order
      if (order !== 'ASC' && order !== 'DESC') throw new SimHttpError(400, `Invalid order: ${String(order)}`, 'INVALID_PARAMETER_VALUE')
      const start = optInt(body.start_time, 'start_time')
      const end = optInt(body.end_time, 'end_time')
      let offset = optInt(body.offset, 'offset') ?? 0
      let limit = optInt(body.limit, 'limit') ?? 50
      const pageSize = optInt(body.page_size, 'page_size')
      const usesToken = typeof body.page_token === 'string' || pageSize !== undefined
      if (typeof body.page_token === 'string' && body.page_token !== '') {
        const m = /^events:(\d+)$/.exec(Buffer.from(body.page_token, 'base64url').toString())
        if (!m) throw new SimHttpError(400, 'Invalid page_token', 'INVALID_PARAMETER_VALUE')
        offset = Number(m[1])
      }
      if (pageSize !== undefined) limit = pageSize <= 0 ? 50 : Math.min(pageSize, 500)
      if (limit < 1 || limit > 500) throw new SimHttpError(400, `limit must be between 1 and 500, got ${limit}`, 'INVALID_PARAMETER_VALUE')
      if (offset < 0) throw new SimHttpError(400, 'offset must be non-negative', 'INVALID_PARAMETER_VALUE')
      if (offset > 0 && order === 'DESC' && end === undefined && !usesToken) {
        throw new SimHttpError(400, 'end_time is required when using offset with DESC order', 'INVALID_PARAMETER_VALUE')
      }
      const types = Array.isArray(body.event_types) ? (body.event_types as unknown[]).map(String) : null
      let events = eventsCache.get(c.clusterId)
      if (!events) eventsCache.set(c.clusterId, (events = clusterEvents(c, runFor(c), world.now, { s3Endpoint: opts.s3Endpoint?.() })))
      let sel = events.filter(
        (e) =>
          (start === undefined || e.timestamp >= start) &&
          (end === undefined || e.timestamp <= end) &&
          (types === null || types.length === 0 || types.includes(e.type))
      )
      if (order === 'DESC') sel = sel.slice().reverse()
      const page = sel.slice(offset, offset + limit)
      const res: Record<string, unknown> = { events: page, total_count: usesToken ? 0 : sel.length }
      if (offset + limit < sel.length) {
        if (usesToken) res.next_page_token = Buffer.from(`events:${offset + limit}`).toString('base64url')
        else res.next_page = { ...body, cluster_id: c.clusterId, order, offset: offset + limit, limit }
      }
      if (usesToken && offset > 0) res.prev_page_token = Buffer.from(`events:${Math.max(0, offset - limit)}`).toString('base64url')
      return res
    })
  }

  const pathParam = (q: Query): string => {
    const p = one(q, 'path')
    if (p === undefined || p === '') throw new SimHttpError(400, "Missing required parameter 'path'", 'INVALID_PARAMETER_VALUE')
    dbfs.checkDbfsApi(p)
    return p
  }

  app.get('/api/2.0/dbfs/list', async (req) => {
    const files = await dbfs.list(pathParam(req.query as Query))
    // the real API omits `files` for an empty directory
    return files.length === 0 ? {} : { files }
  })

  app.get('/api/2.0/dbfs/get-status', async (req) => dbfs.getStatus(pathParam(req.query as Query)))

  app.get('/api/2.0/dbfs/read', async (req) => {
    const q = req.query as Query
    const path = pathParam(q)
    const offset = optInt(one(q, 'offset'), 'offset') ?? 0
    const length = optInt(one(q, 'length'), 'length')
    const buf = await dbfs.read(path, offset, length)
    return { bytes_read: buf.length, data: buf.toString('base64') }
  })
}
