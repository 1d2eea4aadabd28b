import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Faults, FaultSpec } from './faults.js'
import type { Upstream } from './world-types.js'

/** Builds the error body in the upstream's own format (AAC `{exception}` or Databricks `{error_code}`) */
export type ErrorBody = (status: number, message: string, path: string, code?: string) => unknown

export interface UpstreamServerOptions {
  upstream: Upstream
  faults: Faults
  token: string
  errorBody: ErrorBody
  /** whether an Authorization header is accepted (default: exactly `Bearer <token>`) */
  authorized?: (header: string | undefined) => boolean
  /** paths reachable without a token (UI deep links) */
  isPublic?: (path: string) => boolean
  /** bearer tokens accepted besides `token` (AAC's OAuth access tokens) */
  acceptToken?: (token: string) => boolean
  /** every request as received: its path (no query string) and the Range header it asked, if any */
  onRequest: (upstream: Upstream, path: string, range: string | null) => void
  logger?: FastifyBaseLogger | boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    simTruncate?: boolean
    simFileSize?: number
  }
}

const JUNK_ROW = '{"id":1,"name":"x"},'
/** A JSON array of `bytes` bytes (endless when null), made as it is read: the simulator itself holds none of it. */
function junkJson (bytes: number | null): Readable {
  const chunk = Buffer.from(JUNK_ROW.repeat(Math.ceil(65536 / JUNK_ROW.length)))
  let sent = 0
  return new Readable({
    read () {
      if (sent === 0) { this.push('{"data":['); sent = 9; return }
      if (bytes !== null && sent >= bytes) { this.push(null); return }
      const n = bytes === null ? chunk.length : Math.min(chunk.length, bytes - sent)
      this.push(chunk.subarray(0, n))
      sent += n
    }
  })
}

/** One byte every `ms`, for ever: each gap is short, so only a deadline on the whole body ends it. */
function trickle (ms: number): Readable {
  let first = true
  let timer: NodeJS.Timeout | undefined
  return new Readable({
    read () {
      if (first) { first = false; this.push('{'); return }
      timer = setTimeout(() => { this.push(' ') }, ms)
    },
    destroy (err, cb) { clearTimeout(timer); cb(err) }
  })
}

/** Sets every file's size in a DBFS get-status or list answer. */
function withFileSize (payload: string, size: number): string {
  const doc = JSON.parse(payload) as { file_size?: number, files?: Array<{ is_dir?: boolean, file_size?: number }> }
  if (typeof doc.file_size === 'number') doc.file_size = size
  for (const f of doc.files ?? []) if (f.is_dir !== true) f.file_size = size
  return JSON.stringify(doc)
}

const pathOf = (url: string): string => {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/**
 * One Fastify instance per upstream, so each upstream is its own host:port as in production and a token sent to the
 * wrong one fails.
 */
export function createUpstreamServer (opts: UpstreamServerOptions): FastifyInstance {
  const base = { forceCloseConnections: true, bodyLimit: 1_048_576, routerOptions: { maxParamLength: 2000 } }
  const app: FastifyInstance =
    typeof opts.logger === 'object'
      ? Fastify({ ...base, loggerInstance: opts.logger })
      : Fastify({ ...base, logger: opts.logger ?? false })

  const sendStatusFault = (reply: FastifyReply, f: FaultSpec, path: string): FastifyReply => {
    const status = f.status ?? 503
    if (f.retryAfter !== undefined) reply.header(f.headerName ?? 'retry-after', String(f.retryAfter))
    const message = status === 429 ? 'Too many requests, please retry later' : `Injected failure ${status}`
    return sendError(reply.code(status), opts.errorBody(status, message, path))
  }

  app.addHook('onRequest', async (req, reply) => {
    const path = pathOf(req.url)
    opts.onRequest(opts.upstream, path, typeof req.headers.range === 'string' ? req.headers.range : null)
    const { latencyMs, fault } = opts.faults.take(opts.upstream, path)
    if (latencyMs > 0) await sleep(latencyMs)
    if (fault) {
      switch (fault.kind) {
        case 'status':
          return sendStatusFault(reply, fault, path)
        case 'reset':
          reply.hijack()
          req.raw.socket.destroy()
          return reply
        case 'timeout':
          // never answers; forceCloseConnections ends it when the simulator closes
          reply.hijack()
          return reply
        case 'malformed':
          return reply.code(200).type('application/json').send('{"data": [{"id": 1, "status": "Comp')
        case 'truncate':
          req.simTruncate = true
          break
        case 'huge-body': {
          const bytes = fault.bytes ?? 300 * 1024 * 1024
          if (fault.announce === true) reply.header('content-length', String(bytes))
          return reply.code(200).type('application/json').send(junkJson(bytes))
        }
        case 'endless-body':
          return reply.code(200).type('application/json').send(junkJson(null))
        case 'trickle':
          return reply.code(200).type('application/json').send(trickle(fault.ms ?? 200))
        case 'backtrack-body':
          return reply.code(fault.status ?? 500).type('text/html').send('<'.repeat(fault.bytes ?? 1024 * 1024))
        case 'file-size':
          req.simFileSize = fault.size ?? 2 ** 50
          break
        default:
          break
      }
    }
    if (opts.isPublic?.(path)) return
    const auth = req.headers.authorization
    const bearer = auth?.startsWith('Bearer ') === true ? auth.slice(7) : ''
    const ok = opts.authorized !== undefined ? opts.authorized(auth) : bearer === opts.token || opts.acceptToken?.(bearer) === true
    if (!ok) {
      return sendError(reply.code(401), opts.errorBody(401, 'Invalid or missing bearer token', path))
    }
  })

  // a truncated body: full content-length announced, half of it sent, then the socket is cut
  app.addHook('onSend', async (req: FastifyRequest, reply, payload) => {
    if (req.simFileSize !== undefined && typeof payload === 'string' && reply.statusCode === 200) return withFileSize(payload, req.simFileSize)
    if (!req.simTruncate) return payload
    const buf = typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : null
    if (buf === null) return payload
    reply.header('content-length', String(buf.length))
    const half = buf.subarray(0, Math.max(1, Math.floor(buf.length / 2)))
    let sent = false
    return new Readable({
      read () {
        if (!sent) {
          sent = true
          this.push(half)
          setTimeout(() => this.destroy(new Error('simulated truncation')), 20)
        }
      },
    })
  })

  app.setNotFoundHandler((req, reply) => {
    sendError(reply.code(404), opts.errorBody(404, `Cannot ${req.method} ${pathOf(req.url)}`, pathOf(req.url)))
  })

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    const code = err instanceof SimHttpError ? err.code : undefined
    sendError(reply.code(status), opts.errorBody(status, err.message, pathOf(req.url), code))
  })
  return app
}

/** An error body: JSON, or plain text when the upstream answers errors as text (Spark's REST API). */
function sendError (reply: FastifyReply, body: unknown): FastifyReply {
  if (typeof body !== 'string') return reply.type('application/json').send(body)
  // S3 answers errors in XML
  return reply.type(body.startsWith('<?xml') ? 'application/xml' : 'text/plain; charset=utf-8').send(body)
}

/** Error raised by route handlers; the error handler renders it in the upstream's format. */
export class SimHttpError extends Error {
  constructor (
    readonly statusCode: number,
    message: string,
    readonly code?: string
  ) {
    super(message)
  }
}
