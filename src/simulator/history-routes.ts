import type { FastifyInstance, FastifyReply } from 'fastify'
import type { HistoryLogs } from './history-logs.js'
import { SimHttpError, type ErrorBody } from './server.js'
import type { HistoryWorld, SimSparkApp, SimSparkAttempt } from './world-types.js'

type Query = Record<string, string | string[] | undefined>

/** Spark's REST API answers errors as plain text (e.g. "unknown app: application_1_2"). */
export const historyErrorBody: ErrorBody = (status, message) => status === 401 ? 'Authentication required' : message

const one = (q: Query, key: string): string | undefined => {
  const v = q[key]
  return Array.isArray(v) ? v[v.length - 1] : v
}

const firstHeader = (v: string | string[] | undefined): string | undefined => Array.isArray(v) ? v[0] : v

const gmt = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, 'GMT')

/** "2015-02-03T16:42:40.000GMT" or "2015-02-03" (GMT), as Spark's SimpleDateParam takes them. */
function dateParam (q: Query, key: string): number | undefined {
  const v = one(q, key)
  if (v === undefined) return undefined
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}\.\d{3})GMT)?$/.exec(v)
  const t = m === null ? NaN : Date.parse(`${m[1]}T${m[2] ?? '00:00:00.000'}Z`)
  if (!Number.isFinite(t)) throw new SimHttpError(400, `Couldn't parse date: ${v}`)
  return t
}

/** ApplicationAttemptInfo as Spark serialises it (attemptId and the like left out when absent). */
function renderAttempt (a: SimSparkAttempt, now: number): Record<string, unknown> {
  const end = a.completed ? a.endTime : -1
  const lastUpdated = a.completed ? a.endTime + 1_500 : now
  return {
    ...(a.attemptId === null ? {} : { attemptId: a.attemptId }),
    startTime: gmt(a.startTime),
    endTime: a.completed ? gmt(a.endTime) : '1969-12-31T23:59:59.999GMT',
    lastUpdated: gmt(lastUpdated),
    duration: a.completed ? a.endTime - a.startTime : 0,
    sparkUser: a.sparkUser,
    completed: a.completed,
    appSparkVersion: a.sparkVersion,
    startTimeEpoch: a.startTime,
    endTimeEpoch: end,
    lastUpdatedEpoch: lastUpdated
  }
}

function renderApp (app: SimSparkApp, now: number): Record<string, unknown> {
  // newest attempt first, as Spark lists them
  return { id: app.id, name: app.name, attempts: [...app.attempts].reverse().map((a) => renderAttempt(a, now)) }
}

export interface HistoryRoutesOptions {
  history: HistoryWorld
  logs: HistoryLogs
  now: number
  /** whether /logs honours Range (Spark's own server does not; the simulator does unless told otherwise) */
  ranges: () => boolean
}

/** The Spark History Server's REST API (/api/v1) over the world's on-prem applications. */
export function registerHistoryRoutes (app: FastifyInstance, opts: HistoryRoutesOptions): void {
  const { history, now } = opts
  const byId = new Map(history.apps.map((a) => [a.id, a]))
  const appOf = (id: string): SimSparkApp => {
    const a = byId.get(id)
    if (a === undefined) throw new SimHttpError(404, `unknown app: ${id}`)
    return a
  }

  app.get('/api/v1/applications', async (req) => {
    const q = req.query as Query
    const status = one(q, 'status')
    if (status !== undefined && status !== 'completed' && status !== 'running') throw new SimHttpError(404, `unknown status: ${status}`)
    const minDate = dateParam(q, 'minDate')
    const maxDate = dateParam(q, 'maxDate')
    const minEndDate = dateParam(q, 'minEndDate')
    const maxEndDate = dateParam(q, 'maxEndDate')
    const limitRaw = one(q, 'limit')
    const limit = limitRaw === undefined ? Infinity : Number(limitRaw)
    if (!Number.isInteger(limit) && limit !== Infinity) throw new SimHttpError(400, `bad limit: ${limitRaw ?? ''}`)
    const out: Array<Record<string, unknown>> = []
    for (const a of history.apps) {
      if (out.length >= limit) break
      // an application is listed when any attempt matches every filter (Spark's ApplicationListResource)
      const fits = a.attempts.some((t) => {
        if (status === 'completed' && !t.completed) return false
        if (status === 'running' && t.completed) return false
        if (minDate !== undefined && t.startTime < minDate) return false
        if (maxDate !== undefined && t.startTime > maxDate) return false
        const end = t.completed ? t.endTime : -1
        if (minEndDate !== undefined && end < minEndDate) return false
        if (maxEndDate !== undefined && (end < 0 || end > maxEndDate)) return false
        return true
      })
      if (fits) out.push(renderApp(a, now))
    }
    return out
  })

  app.get<{ Params: { id: string } }>('/api/v1/applications/:id', async (req) => renderApp(appOf(req.params.id), now))

  async function sendLogs (reply: FastifyReply, range: string | undefined, ifRange: string | undefined, a: SimSparkApp, attempt: SimSparkAttempt): Promise<FastifyReply> {
    if (attempt.sample === null || !attempt.completed) throw new SimHttpError(404, `Event logs are not found for app: ${a.id}.`)
    const zip = await opts.logs.zip(attempt.sample, attempt.shiftMs, { id: a.id, name: a.name, user: attempt.sparkUser }, attempt.attemptId)
    reply.header('content-type', 'application/octet-stream')
    reply.header('content-disposition', `attachment; filename="eventLogs-${a.id}${attempt.attemptId === null ? '' : `-${attempt.attemptId}`}.zip"`)
    reply.header('last-modified', new Date(zip.mtime).toUTCString())
    const size = zip.bytes.length
    if (!opts.ranges()) return await reply.send(zip.bytes)
    reply.header('accept-ranges', 'bytes')
    reply.header('etag', zip.etag)
    const m = range === undefined ? null : /^bytes=(\d+)-$/.exec(range)
    if (m !== null && (ifRange === undefined || ifRange === zip.etag)) {
      const from = Number(m[1])
      if (from >= size) return await reply.code(416).header('content-range', `bytes */${size}`).send()
      reply.code(206).header('content-range', `bytes ${from}-${size - 1}/${size}`)
      return await reply.send(zip.bytes.subarray(from))
    }
    return await reply.send(zip.bytes)
  }

  app.get<{ Params: { id: string } }>('/api/v1/applications/:id/logs', async (req, reply) => {
    const a = appOf(req.params.id)
    // the base id's zip holds every attempt; the apps here have one log per attempt, so it is served for one
    if (a.attempts.length !== 1) throw new SimHttpError(400, `application ${a.id} has ${a.attempts.length} attempts: ask for /applications/${a.id}/<attempt>/logs`)
    return await sendLogs(reply, req.headers.range, firstHeader(req.headers['if-range']), a, a.attempts[0]!)
  })

  app.get<{ Params: { id: string, attempt: string } }>('/api/v1/applications/:id/:attempt', async (req) => {
    const a = appOf(req.params.id)
    if (!a.attempts.some((t) => t.attemptId === req.params.attempt)) throw new SimHttpError(404, `unknown attempt for app ${a.id}: ${req.params.attempt}`)
    return renderApp(a, now)
  })

  app.get<{ Params: { id: string, attempt: string } }>('/api/v1/applications/:id/:attempt/logs', async (req, reply) => {
    const a = appOf(req.params.id)
    const t = a.attempts.find((x) => x.attemptId === req.params.attempt)
    if (t === undefined) throw new SimHttpError(404, `unknown attempt for app ${a.id}: ${req.params.attempt}`)
    return await sendLogs(reply, req.headers.range, firstHeader(req.headers['if-range']), a, t)
  })
}
