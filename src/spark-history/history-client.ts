import type { Logger } from 'pino'
import { createHttpClient, type DownloadResponse } from '../http/http-client.js'
import { UpstreamError } from '../http/upstream-error.js'

/*
 * The on-prem Spark History Server's REST API (Spark "Monitoring and Instrumentation": /api/v1/applications,
 * /applications/<id>, /applications/<id>[/<attempt>]/logs). Field names follow Spark's ApplicationInfo /
 * ApplicationAttemptInfo; times are taken from the *Epoch fields (the string forms carry the server's time zone name).
 */

/** Where the History Server is and how it is authenticated. */
export interface SparkHistoryTarget {
  baseUrl: string
  auth: 'none' | 'basic' | 'bearer'
  user: string
  /** basic: the password; bearer: the token */
  token: string
}

/** One attempt of a Spark application as the History Server lists it. */
export interface SparkAppAttempt {
  /** null for applications with a single, unnamed attempt (client mode, local) */
  attemptId: string | null
  /** epoch ms */
  startTime: number
  /** epoch ms; null while the attempt runs (Spark sends -1 or 1969) */
  endTime: number | null
  lastUpdated: number | null
  durationMs: number | null
  sparkUser: string | null
  completed: boolean
  appSparkVersion: string | null
}

/** A Spark application of the History Server. */
export interface SparkApplication {
  id: string
  name: string
  attempts: SparkAppAttempt[]
}

export interface ListApplicationsQuery {
  /** attempts that started at or after (epoch ms) */
  minDate?: number
  /** attempts that started at or before */
  maxDate?: number
  minEndDate?: number
  maxEndDate?: number
  status?: 'completed' | 'running'
  limit?: number
}

export interface SparkHistoryClient {
  readonly name: string
  listApplications: (q: ListApplicationsQuery, opts?: { signal?: AbortSignal }) => Promise<SparkApplication[]>
  /** one application; UpstreamError kind 'not-found' when the server does not know it */
  application: (appId: string, opts?: { signal?: AbortSignal }) => Promise<SparkApplication>
  /** the zip of an application's (attempt's) event log, streamed from `offset` when the server honours Range */
  downloadLogs: (appId: string, attemptId: string | null, opts?: { offset?: number, ifRange?: string | null, signal?: AbortSignal }) => Promise<DownloadResponse>
  close: () => Promise<void>
}

export const HISTORY_SERVER = 'Spark History Server'

// Spark application and attempt ids: application_<cluster ts>_<n>, app-<date>-<n>, local-<ms>, spark-<uuid> (k8s)
const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/
const ATTEMPT_ID = /^[A-Za-z0-9._-]{1,64}$/

/** Whether a string can be a Spark application id (used before it reaches a URL or a file name). */
export function isSparkAppId (s: string): boolean {
  return APP_ID.test(s)
}

/** Whether a string can be a Spark attempt id. */
export function isSparkAttemptId (s: string): boolean {
  return ATTEMPT_ID.test(s)
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | null => typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : null
const str = (v: unknown): string | null => typeof v === 'string' && v !== '' ? v : null

/** Spark's "2015-02-03T16:42:40.000GMT" (GMT only: other zone names are ambiguous). */
function sparkDate (v: unknown): number | null {
  if (typeof v !== 'string') return null
  const t = Date.parse(v.replace(/GMT$/, 'Z'))
  return Number.isFinite(t) ? t : null
}

function epoch (o: Obj, field: string): number | null {
  const e = o[`${field}Epoch`]
  const t = typeof e === 'number' && Number.isFinite(e) ? e : sparkDate(o[field])
  // running attempts carry endTime -1 (1969-12-31T23:59:59.999GMT)
  return t === null || t <= 0 ? null : t
}

/** Parses one attempt at the edge; null when it has no usable start time. */
export function parseAttempt (v: unknown): SparkAppAttempt | null {
  const o = obj(v)
  if (o === null) return null
  const startTime = epoch(o, 'startTime')
  if (startTime === null) return null
  const completed = o.completed === true
  const endTime = completed ? epoch(o, 'endTime') : null
  const attemptId = str(o.attemptId) ?? (typeof o.attemptId === 'number' ? String(o.attemptId) : null)
  return {
    attemptId: attemptId !== null && isSparkAttemptId(attemptId) ? attemptId : null,
    startTime,
    endTime,
    lastUpdated: epoch(o, 'lastUpdated'),
    durationMs: typeof o.duration === 'number' && o.duration >= 0 ? o.duration : null,
    sparkUser: str(o.sparkUser),
    completed,
    appSparkVersion: str(o.appSparkVersion)
  }
}

/** Parses one ApplicationInfo; null when the id is missing or not one Spark could give. */
export function parseApplication (v: unknown): SparkApplication | null {
  const o = obj(v)
  const id = str(o?.id)
  if (o === null || id === null || !isSparkAppId(id)) return null
  const attempts = Array.isArray(o.attempts) ? o.attempts.map(parseAttempt).filter((a): a is SparkAppAttempt => a !== null) : []
  return { id, name: str(o.name) ?? '', attempts }
}

/** Formats epoch ms the way the History Server's minDate/maxDate parameters take it. */
export function sparkQueryDate (ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, 'GMT')
}

function authorizationOf (t: SparkHistoryTarget): string | null {
  if (t.auth === 'basic') return `Basic ${Buffer.from(`${t.user}:${t.token}`, 'utf8').toString('base64')}`
  if (t.auth === 'bearer') return `Bearer ${t.token}`
  return null
}

/** The History Server client over the shared HTTP client (pooling, timeouts, retries, errors without secrets). */
export function createSparkHistoryClient (opts: SparkHistoryTarget & { timeoutMs?: number, baseDelayMs?: number, log?: Logger }): SparkHistoryClient {
  const http = createHttpClient({
    name: HISTORY_SERVER,
    baseUrl: `${opts.baseUrl.replace(/\/+$/, '')}/api/v1`,
    token: opts.token,
    authorization: authorizationOf(opts),
    timeoutMs: opts.timeoutMs,
    baseDelayMs: opts.baseDelayMs,
    log: opts.log
  })
  const appPath = (appId: string, attemptId: string | null): string => {
    if (!isSparkAppId(appId)) throw new UpstreamError({ upstream: HISTORY_SERVER, kind: 'config', message: `not a Spark application id: ${JSON.stringify(appId.slice(0, 80))}` })
    if (attemptId !== null && !isSparkAttemptId(attemptId)) throw new UpstreamError({ upstream: HISTORY_SERVER, kind: 'config', message: `not a Spark attempt id: ${JSON.stringify(attemptId.slice(0, 80))}` })
    return `/applications/${encodeURIComponent(appId)}${attemptId === null ? '' : `/${encodeURIComponent(attemptId)}`}`
  }
  const malformed = (what: string): UpstreamError => new UpstreamError({ upstream: HISTORY_SERVER, kind: 'malformed', message: `${HISTORY_SERVER} GET ${what}: the answer is not what Spark's REST API returns` })

  return {
    name: HISTORY_SERVER,
    async listApplications (q, o = {}) {
      const body = await http.getJson('/applications', {
        signal: o.signal,
        query: {
          status: q.status,
          minDate: q.minDate === undefined ? undefined : sparkQueryDate(q.minDate),
          maxDate: q.maxDate === undefined ? undefined : sparkQueryDate(q.maxDate),
          minEndDate: q.minEndDate === undefined ? undefined : sparkQueryDate(q.minEndDate),
          maxEndDate: q.maxEndDate === undefined ? undefined : sparkQueryDate(q.maxEndDate),
          limit: q.limit
        }
      })
      if (!Array.isArray(body)) throw malformed('/applications')
      return body.map(parseApplication).filter((a): a is SparkApplication => a !== null)
    },
    async application (appId, o = {}) {
      const path = appPath(appId, null)
      const app = parseApplication(await http.getJson(path, { signal: o.signal }))
      if (app === null) throw malformed(path)
      return app
    },
    async downloadLogs (appId, attemptId, o = {}) {
      const offset = o.offset ?? 0
      const headers: Record<string, string> = { accept: 'application/zip, application/octet-stream' }
      if (offset > 0) {
        headers.range = `bytes=${offset}-`
        if (o.ifRange != null) headers['if-range'] = o.ifRange
      }
      return await http.download(`${appPath(appId, attemptId)}/logs`, { headers, signal: o.signal })
    },
    close: async () => { await http.close() }
  }
}
