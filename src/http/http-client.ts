import { EnvHttpProxyAgent, Pool, errors as undiciErrors, type Dispatcher } from 'undici'
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { UpstreamError, scrubSecrets } from './upstream-error.js'
import { staticToken, type TokenSource } from './token-source.js'

export interface HttpClientOptions {
  /** shown in errors and logs: "AAC", "on-prem Trifacta", "Databricks" */
  name: string
  /** base URL; a path part (e.g. /v4) is prefixed to every request path */
  baseUrl: string
  /** a long-lived token, or a source that refreshes it (AAC OAuth 2.0) */
  token: string | TokenSource
  /** the Authorization header value when it is not `Bearer <token>` (e.g. Basic); null sends none */
  authorization?: string | null
  timeoutMs?: number
  /** retries after the first attempt, for idempotent requests */
  retries?: number
  baseDelayMs?: number
  maxDelayMs?: number
  /** a Retry-After longer than this fails the call instead of waiting */
  maxRetryAfterMs?: number
  connections?: number
  /** the network between here and the upstream: proxies, a private CA, skipped verification (on-prem only) */
  network?: NetworkOptions
  /** turn integers too long for a double into strings before parsing (Databricks' int64 ids) */
  quoteBigInts?: boolean
  /** the largest success body read (default MAX_JSON_BODY); a larger one fails the call, unread */
  maxBodyBytes?: number
  /**
   * Signs each attempt instead of sending a bearer token (S3's AWS Signature V4): gets the request as it will be
   * sent (path with its query string) and returns the headers to add. `secrets` are scrubbed from messages.
   */
  sign?: { headers: (req: SignableRequest) => Record<string, string>, secrets: () => string[] }
  /**
   * reads the upstream's error name and message from an error body (default: AAC / Databricks JSON), and optionally a
   * detail the caller may act on (S3: the bucket's region, from the body or the `x-amz-bucket-region` header)
   */
  errorBody?: (text: string, headers: Record<string, string | string[] | undefined>) => ErrorBodyInfo
  log?: Logger
}

/** What an error answer says: the upstream's error name and message, and an optional detail (see errorBody). */
export interface ErrorBodyInfo { code: string | null, message: string | null, detail?: string | null }

/** A request as it goes on the wire, for a signer. */
export interface SignableRequest {
  method: string
  /** host[:port] as sent in the Host header */
  host: string
  /** path and query string, encoded */
  path: string
  headers: Record<string, string>
}

/** How to reach one upstream through a corporate network. */
export interface NetworkOptions {
  /**
   * Proxies as the standard variables name them (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, either case); default: the
   * process environment. undici ignores them unless told, hence its EnvHttpProxyAgent.
   */
  proxy?: { httpProxy?: string, httpsProxy?: string, noProxy?: string }
  /** a PEM file of CA certificates to trust for this upstream (a private CA, a self-signed on-prem server) */
  caFile?: string
  /** accept any certificate: only ever set for on-prem Trifacta, and shown as a warning on every page */
  skipTlsVerify?: boolean
}

/** The proxy variables of an environment (lower case wins, as curl does). */
export function proxyEnv (env: Record<string, string | undefined> = process.env): NonNullable<NetworkOptions['proxy']> {
  const pick = (k: string): string | undefined => {
    const v = env[k.toLowerCase()] ?? env[k]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }
  return { httpProxy: pick('HTTP_PROXY'), httpsProxy: pick('HTTPS_PROXY'), noProxy: pick('NO_PROXY') }
}

type Method = 'GET' | 'HEAD' | 'POST'

export type Query = Record<string, string | number | boolean | undefined | null>

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** POST reads (e.g. Databricks clusters/events) may be retried when the caller says so */
  idempotent?: boolean
  signal?: AbortSignal
  /** overrides the client's headers/body timeout for this call (e.g. short DBFS chunk reads) */
  timeoutMs?: number
  /** overrides the client's quoteBigInts for this call (off for bodies known to hold no int64 id) */
  quoteBigInts?: boolean
  /** overrides the client's maxBodyBytes for this call (e.g. one DBFS chunk in base64) */
  maxBytes?: number
  /** extra request headers (e.g. Range) */
  headers?: Record<string, string>
}

/**
 * Where a streamed 2xx body goes (HttpClient.getStream): piece by piece as it arrives, each awaited (so a slow sink
 * pauses the socket instead of piling the body up in memory).
 */
export interface BodySink {
  /** sees the answer's status and headers before any byte; throws (an UpstreamError) to refuse it unread */
  accept?: (status: number, headers: Record<string, string | string[] | undefined>) => void
  write: (piece: Buffer) => Promise<void>
}

/** What a streamed GET delivered. */
export interface StreamResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** bytes handed to the sink */
  bytes: number
}

/** A JSON client for one upstream: pooled connections, timeouts, retries with backoff, errors without tokens. */
export interface HttpClient {
  readonly name: string
  readonly origin: string
  getJson: (path: string, opts?: RequestOptions) => Promise<unknown>
  postJson: (path: string, opts?: RequestOptions) => Promise<unknown>
  /** GET whose body is returned as text (XML APIs); same retries, caps and errors as getJson */
  getText: (path: string, opts?: RequestOptions) => Promise<string>
  /** HEAD: the response headers of a 2xx; same retries and errors as getJson */
  head: (path: string, opts?: RequestOptions) => Promise<Record<string, string | string[] | undefined>>
  /**
   * GET of a bounded binary body (at most maxBytes) handed to `sink` as it arrives, never held whole. getJson's
   * retries apply until the first byte reaches the sink; a failure after that is thrown (the caller knows how much it
   * got and resumes with a Range). An error thrown by the sink is rethrown as it is, not retried.
   */
  getStream: (path: string, opts: RequestOptions, sink: BodySink) => Promise<StreamResponse>
  /**
   * GET of a large body, streamed: resolves on a 2xx with the open body (the caller consumes it), throws the
   * UpstreamErrors getJson would otherwise. Not retried: the caller resumes (Range) or starts over.
   */
  download: (path: string, opts?: DownloadRequestOptions) => Promise<DownloadResponse>
  close: () => Promise<void>
}

export interface DownloadRequestOptions {
  query?: Query
  headers?: Record<string, string>
  signal?: AbortSignal
  timeoutMs?: number
}

export interface DownloadResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: AsyncIterable<Buffer>
}

/**
 * Bodies are read with a cap that fits the endpoint, never whole: an upstream (or anything answering in its place)
 * can send gigabytes or never stop. JSON API pages are well below this; a DBFS read passes its own cap.
 */
export const MAX_JSON_BODY = 8 * 1024 * 1024
/** what is kept of an error body: enough for the upstream's message, the rest is not read */
export const MAX_ERROR_BODY = 64 * 1024

const RETRYABLE_STATUS = new Set([429, 502, 503, 504])
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_CLOSED'])

function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) { reject(signal.reason); return }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(t); reject(signal?.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

// an object member with an identifier-like key whose value is an integer of 16+ digits (beyond what a double
// holds exactly); the bounded key keeps the scan linear over megabyte-long string values (DBFS read data)
const BIG_INT_MEMBER = /("[A-Za-z0-9_]{1,64}"\s*:\s*)(-?\d{16,})(?=\s*[,}\]])/g

/** JSON.parse that keeps 16+ digit integer members as decimal strings (lossless int64 ids). */
export function parseJsonKeepingBigInts (text: string): unknown {
  return JSON.parse(text.replace(BIG_INT_MEMBER, '$1"$2"'))
}

/** Parses Retry-After / x-retry-after (seconds or an HTTP date) into ms, or null. */
export function parseRetryAfter (headers: Record<string, string | string[] | undefined>, now = Date.now()): number | null {
  for (const name of ['x-retry-after', 'retry-after']) {
    const raw = headers[name]
    const v = Array.isArray(raw) ? raw[0] : raw
    if (v === undefined || v.trim() === '') continue
    const secs = Number(v)
    if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000)
    const date = Date.parse(v)
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  return null
}

/**
 * Replaces every `<…>` tag with a space in one pass. A regular expression such as /<[^>]*>/g restarts at every `<`
 * and scans to the end when no `>` follows: quadratic on a body of `<`s (300 KB froze the server for 28 s).
 */
export function stripTags (text: string): string {
  let out = ''
  let from = 0
  for (;;) {
    const open = text.indexOf('<', from)
    if (open === -1) break
    const close = text.indexOf('>', open + 1)
    // no `>` after this `<`: none after any later `<` either, so the rest is text
    if (close === -1) break
    out += text.slice(from, open) + ' '
    from = close + 1
  }
  return out + text.slice(from)
}

type Body = AsyncIterable<Buffer> & { destroy: (err?: Error) => unknown }

/**
 * Reads a body up to `limit` bytes. Past it, the rest is not read (the stream is destroyed, so the connection is
 * dropped rather than drained): `over` tells, and `text` holds the first `limit` bytes.
 */
export async function readBodyLimited (body: Body, limit: number): Promise<{ text: string, over: boolean, bytes: number, buffer: Buffer }> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of body) {
    if (bytes + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - bytes))
      body.destroy()
      const buffer = Buffer.concat(chunks)
      return { text: buffer.toString('utf8'), over: true, bytes: limit, buffer }
    }
    chunks.push(chunk)
    bytes += chunk.length
  }
  const buffer = Buffer.concat(chunks)
  return { text: buffer.toString('utf8'), over: false, bytes, buffer }
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 2 : 0)} MiB`

/** Pulls the upstream's own error name and message out of an AAC or Databricks error body. */
export function describeErrorBody (text: string): { code: string | null, message: string | null } {
  try {
    const body = JSON.parse(text) as Record<string, unknown>
    const exc = body.exception as Record<string, unknown> | undefined
    if (exc !== undefined && typeof exc === 'object' && exc !== null) {
      const msg = [exc.message, exc.details].filter((x) => typeof x === 'string' && x !== '').join(': ')
      return { code: typeof exc.name === 'string' ? exc.name : null, message: msg !== '' ? msg : null }
    }
    // Databricks sends error_code as a number on some auth failures (e.g. 403)
    const code = typeof body.error_code === 'string' || typeof body.error_code === 'number' ? String(body.error_code) : (typeof body.error === 'string' ? body.error : null)
    const message = typeof body.message === 'string' ? body.message : null
    return { code, message }
  } catch {
    const plain = stripTags(text).replace(/\s+/g, ' ').trim()
    // some gateways answer "RESOURCE_DOES_NOT_EXIST: message" as plain text
    const m = /^([A-Z][A-Z0-9_]{2,63}): (.*)$/s.exec(plain)
    if (m !== null) return { code: m[1]!, message: m[2]!.slice(0, 200) }
    return { code: null, message: plain === '' ? null : plain.slice(0, 200) }
  }
}

/** An error of the caller's sink (a disk write): not the upstream's, never retried. */
class SinkFailed extends Error {
  constructor (readonly failure: unknown) {
    super('the body sink failed')
  }
}

/** Hands a 2xx body to a sink piece by piece, at most `limit` bytes; the pieces are never gathered. */
async function streamBody (body: Body, limit: number, sink: BodySink, phase: { delivered: number }): Promise<void> {
  for await (const piece of body) {
    const chunk = piece as Buffer
    if (phase.delivered + chunk.length > limit) {
      body.destroy()
      throw new BodyTooLarge(`sent more than ${mib(limit)}`, limit)
    }
    try {
      await sink.write(chunk)
    } catch (err) {
      body.destroy()
      throw new SinkFailed(err)
    }
    phase.delivered += chunk.length
  }
}

class BodyTooLarge extends Error {
  constructor (readonly what: string, readonly limit: number) {
    super(what)
  }
}

/** A dispatcher that fails every request with the same configuration error (e.g. an unreadable CA file). */
class FailingDispatcher extends Pool {
  constructor (origin: string, private readonly error: UpstreamError) { super(origin) }
  override async request (): Promise<never> { throw this.error }
}

/**
 * The connections of one upstream: a Pool to its origin, or undici's EnvHttpProxyAgent when a proxy is configured
 * (it honours NO_PROXY per host); a CA bundle and skipped verification apply to the upstream's TLS either way.
 */
export function createDispatcher (name: string, origin: string, net: NetworkOptions, pool: Pool.Options): Dispatcher {
  const tls: { ca?: Buffer, rejectUnauthorized?: boolean } = {}
  if (net.caFile !== undefined && net.caFile !== '') {
    try {
      tls.ca = readFileSync(net.caFile)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      return new FailingDispatcher(origin, new UpstreamError({ upstream: name, kind: 'config', message: `The CA file for ${name} (${net.caFile}) cannot be read (${code}): fix the path in Settings or .env` }))
    }
  }
  if (net.skipTlsVerify === true) tls.rejectUnauthorized = false
  const proxy = net.proxy ?? proxyEnv()
  if (proxy.httpProxy === undefined && proxy.httpsProxy === undefined) return new Pool(origin, { ...pool, connect: { ...tls, timeout: pool.connectTimeout } })
  return new EnvHttpProxyAgent({
    httpProxy: proxy.httpProxy,
    httpsProxy: proxy.httpsProxy,
    noProxy: proxy.noProxy ?? '',
    connections: pool.connections,
    headersTimeout: pool.headersTimeout,
    bodyTimeout: pool.bodyTimeout,
    keepAliveTimeout: pool.keepAliveTimeout,
    // the upstream's TLS, whether reached through the proxy (requestTls) or directly (connect)
    requestTls: tls,
    connect: { ...tls, timeout: pool.connectTimeout }
  })
}

/** Creates the pooled JSON client of one upstream. */
export function createHttpClient (opts: HttpClientOptions): HttpClient {
  const url = new URL(opts.baseUrl)
  const basePath = url.pathname.replace(/\/+$/, '')
  const timeoutMs = opts.timeoutMs ?? 120_000
  const retries = opts.retries ?? 4
  const baseDelayMs = opts.baseDelayMs ?? 300
  const maxDelayMs = opts.maxDelayMs ?? 10_000
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000
  const maxBodyBytes = opts.maxBodyBytes ?? MAX_JSON_BODY
  const pool = createDispatcher(opts.name, url.origin, opts.network ?? {}, {
    connections: opts.connections ?? 8,
    connectTimeout: Math.min(timeoutMs, 15_000),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000
  })
  const auth: TokenSource = typeof opts.token === 'string' ? staticToken(opts.token) : opts.token
  const name = opts.name

  // a Basic header's encoded user:password is a secret too
  const headerSecret = opts.authorization == null ? [] : [opts.authorization.replace(/^\S+\s+/, '')]
  const authorization = async (signal?: AbortSignal, req?: Omit<SignableRequest, 'host'>): Promise<{ header: Record<string, string>, token: string }> => {
    if (opts.sign !== undefined) return { header: opts.sign.headers({ method: req?.method ?? 'GET', host: url.host, path: req?.path ?? '/', headers: req?.headers ?? {} }), token: '' }
    if (opts.authorization !== undefined) return { header: opts.authorization === null ? {} : { authorization: opts.authorization }, token: '' }
    const token = await auth.token(signal)
    return { header: { authorization: `Bearer ${token}` }, token }
  }

  function fail (init: ConstructorParameters<typeof UpstreamError>[0]): UpstreamError {
    const secrets = [...auth.secrets(), ...headerSecret, ...(opts.sign?.secrets() ?? [])]
    return new UpstreamError({ ...init, message: scrubSecrets(init.message, secrets), upstreamMessage: init.upstreamMessage == null ? null : scrubSecrets(init.upstreamMessage, secrets) })
  }

  function buildPath (path: string, query?: Query): string {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null) params.append(k, String(v))
    }
    const qs = params.toString()
    return `${basePath}${path}${qs === '' ? '' : `?${qs}`}`
  }

  async function once (method: Method, path: string, ro: RequestOptions, signal: AbortSignal, phase: { headers: boolean, delivered: number }, sink?: BodySink): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, text: string, token: string }> {
    const fullPath = buildPath(path, ro.query)
    const extra = { ...(opts.sign === undefined ? { accept: 'application/json' } : {}), ...ro.headers }
    const { header, token } = await authorization(ro.signal, { method, path: fullPath, headers: extra })
    const headers: Record<string, string> = { ...extra, ...header }
    let body: string | undefined
    if (ro.body !== undefined) {
      body = JSON.stringify(ro.body)
      headers['content-type'] = 'application/json'
    }
    const perCall = ro.timeoutMs === undefined ? {} : { headersTimeout: ro.timeoutMs, bodyTimeout: ro.timeoutMs }
    const res = await pool.request({ origin: url.origin, method, path: fullPath, headers, body, signal, ...perCall })
    phase.headers = true
    const ok = res.statusCode >= 200 && res.statusCode < 300
    // an error body only needs its message: its head is kept, however long it claims or turns out to be
    const limit = ok ? (ro.maxBytes ?? maxBodyBytes) : MAX_ERROR_BODY
    const declared = Number(res.headers['content-length'])
    // a HEAD's content-length is the file's, not a body's
    if (ok && method !== 'HEAD' && Number.isFinite(declared) && declared > limit) {
      res.body.destroy()
      throw new BodyTooLarge(`announced ${mib(declared)}`, limit)
    }
    if (ok && sink !== undefined) {
      try {
        sink.accept?.(res.statusCode, res.headers)
      } catch (err) {
        res.body.destroy()
        throw err
      }
      await streamBody(res.body, limit, sink, phase)
      return { status: res.statusCode, headers: res.headers, text: '', token }
    }
    const read = await readBodyLimited(res.body, limit)
    if (ok && read.over) throw new BodyTooLarge(`sent more than ${mib(limit)}`, limit)
    return { status: res.statusCode, headers: res.headers, text: read.text, token }
  }

  async function call (method: Method, path: string, ro: RequestOptions = {}, as: 'json' | 'text' | 'headers' | 'stream' = 'json', sink?: BodySink): Promise<unknown> {
    const retryable = method !== 'POST' || ro.idempotent === true
    const what = `${name} ${method} ${path}`
    let refreshed = false
    for (let attempt = 0; ; attempt++) {
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt) * (0.5 + Math.random() * 0.5)
      let waitMs: number | null = null
      let lastError: UpstreamError
      // the whole attempt, body included, within the timeout: undici's own timeouts measure only the gaps between
      // chunks, so a body trickling a byte at a time would never end
      const attemptMs = ro.timeoutMs ?? timeoutMs
      const deadline = AbortSignal.timeout(attemptMs)
      const signal = ro.signal === undefined ? deadline : AbortSignal.any([ro.signal, deadline])
      const phase = { headers: false, delivered: 0 }
      try {
        const res = await once(method, path, ro, signal, phase, sink)
        if (res.status >= 200 && res.status < 300) {
          if (as === 'stream') return { status: res.status, headers: res.headers, bytes: phase.delivered } satisfies StreamResponse
          if (as === 'text') return res.text
          if (as === 'headers') return res.headers
          try {
            return res.text === '' ? null : (ro.quoteBigInts ?? opts.quoteBigInts) === true ? parseJsonKeepingBigInts(res.text) : JSON.parse(res.text)
          } catch {
            lastError = fail({ upstream: name, kind: 'malformed', status: res.status, message: `${what}: the response was not valid JSON (${res.text.length} bytes)` })
          }
        } else {
          const parsed: ErrorBodyInfo = (opts.errorBody ?? describeErrorBody)(res.text, res.headers)
          const { code, message } = parsed
          const said = [code, message].filter((x) => x !== null).join(': ')
          const suffix = said === '' ? '' : ` (${said})`
          // An expired or revoked access token: refresh it once and try again (any method: the call was refused, not run).
          if (res.status === 401 && !refreshed && auth.refreshAfter401 !== undefined && await auth.refreshAfter401(res.token, ro.signal)) {
            refreshed = true
            attempt--
            continue
          }
          if (res.status === 401 && refreshed) {
            throw fail({ upstream: name, kind: 'auth', status: 401, code, upstreamMessage: message, detail: parsed.detail ?? null, message: `${what} was refused with 401${suffix} even with a freshly refreshed access token: check that the ${name} OAuth token belongs to this workspace and is enabled` })
          }
          if (res.status === 401 || res.status === 403) {
            throw fail({ upstream: name, kind: 'auth', status: res.status, code, upstreamMessage: message, detail: parsed.detail ?? null, message: `${what} was refused with ${res.status}${suffix}: check the ${name} token and its permissions` })
          }
          if (res.status === 404) {
            throw fail({ upstream: name, kind: 'not-found', status: 404, code, upstreamMessage: message, detail: parsed.detail ?? null, message: `${what} answered 404${suffix}` })
          }
          const kind = res.status === 429 ? 'rate-limited' : 'http'
          lastError = fail({ upstream: name, kind, status: res.status, code, upstreamMessage: message, detail: parsed.detail ?? null, message: `${what} answered ${res.status}${suffix}` })
          if (!RETRYABLE_STATUS.has(res.status)) throw lastError
          const ra = parseRetryAfter(res.headers)
          if (ra !== null) {
            if (ra > maxRetryAfterMs) throw fail({ upstream: name, kind, status: res.status, code, upstreamMessage: message, detail: parsed.detail ?? null, message: `${what} is rate limited: the upstream asks to retry after ${Math.ceil(ra / 1000)} s` })
            waitMs = ra + Math.random() * 100
          }
        }
      } catch (err) {
        if (err instanceof UpstreamError) throw err
        if (err instanceof SinkFailed) throw err.failure
        if (ro.signal?.aborted === true) throw fail({ upstream: name, kind: 'aborted', message: `${what} was cancelled` })
        if (err instanceof BodyTooLarge) {
          throw fail({ upstream: name, kind: 'too-large', message: `${what}: the response ${err.what}, more than the ${mib(err.limit)} this request allows; it was not read` })
        }
        if (deadline.aborted && phase.headers) {
          // the upstream answers, but too slowly to finish: trying again would take as long
          throw fail({ upstream: name, kind: 'timeout', message: `${what} did not finish within ${attemptMs / 1000} s (the upstream sends its answer too slowly)` })
        }
        const code = (err as { code?: string }).code ?? ''
        // no answer at all within the time: the same as undici's headers timeout (retried)
        const isTimeout = deadline.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError
        lastError = fail({
          upstream: name,
          kind: isTimeout ? 'timeout' : 'network',
          message: isTimeout ? `${what} timed out after ${Math.round((ro.timeoutMs ?? timeoutMs) / 1000)} s` : `${what} failed: ${code !== '' ? code : (err as Error).message}`
        })
        if (!isTimeout && !RETRYABLE_CODES.has(code)) throw lastError
      }
      // bytes already handed to a sink cannot be taken back: its caller resumes from them
      if (!retryable || attempt >= retries || phase.delivered > 0) throw lastError
      opts.log?.warn({ upstream: name, method, path, attempt: attempt + 1, status: lastError.status, kind: lastError.kind }, 'upstream call failed, retrying')
      try {
        await sleep(waitMs ?? backoff, ro.signal)
      } catch {
        throw fail({ upstream: name, kind: 'aborted', message: `${what} was cancelled` })
      }
    }
  }

  async function download (path: string, ro: DownloadRequestOptions = {}): Promise<DownloadResponse> {
    const what = `${name} GET ${path}`
    const perCall = ro.timeoutMs === undefined ? {} : { headersTimeout: ro.timeoutMs, bodyTimeout: ro.timeoutMs }
    const transport = (err: unknown): UpstreamError => {
      if (ro.signal?.aborted === true) return fail({ upstream: name, kind: 'aborted', message: `${what} was cancelled` })
      const code = (err as { code?: string }).code ?? ''
      const isTimeout = err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError
      return fail({ upstream: name, kind: isTimeout ? 'timeout' : 'network', message: isTimeout ? `${what} timed out after ${Math.round((ro.timeoutMs ?? timeoutMs) / 1000)} s` : `${what} failed: ${code !== '' ? code : (err as Error).message}` })
    }
    let res: Dispatcher.ResponseData
    try {
      const fullPath = buildPath(path, ro.query)
      const { header } = await authorization(ro.signal, { method: 'GET', path: fullPath, headers: ro.headers ?? {} })
      res = await pool.request({ method: 'GET', path: fullPath, headers: { ...ro.headers, ...header }, signal: ro.signal, ...perCall })
    } catch (err) {
      throw transport(err)
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const { text } = await readBodyLimited(res.body, MAX_ERROR_BODY).catch(() => ({ text: '' }))
      const parsed: ErrorBodyInfo = (opts.errorBody ?? describeErrorBody)(text, res.headers)
      const { code, message } = parsed
      const said = [code, message].filter((x) => x !== null).join(': ')
      const suffix = said === '' ? '' : ` (${said})`
      const status = res.statusCode
      if (status === 401 || status === 403) throw fail({ upstream: name, kind: 'auth', status, code, upstreamMessage: message, detail: parsed.detail ?? null, message: `${what} was refused with ${status}${suffix}: check the ${name} credentials and their permissions` })
      throw fail({ upstream: name, kind: status === 404 ? 'not-found' : status === 429 ? 'rate-limited' : 'http', status, code, upstreamMessage: message, detail: parsed.detail ?? null, message: `${what} answered ${status}${suffix}` })
    }
    const body = res.body
    async function * chunks (): AsyncGenerator<Buffer> {
      try {
        for await (const c of body) yield c as Buffer
      } catch (err) {
        throw transport(err)
      } finally {
        if (!body.destroyed) body.destroy()
      }
    }
    return { status: res.statusCode, headers: res.headers, body: chunks() }
  }

  return {
    name,
    origin: url.origin,
    getJson: async (path, ro) => await call('GET', path, ro),
    postJson: async (path, ro) => await call('POST', path, ro),
    getText: async (path, ro) => await call('GET', path, ro, 'text') as string,
    head: async (path, ro) => await call('HEAD', path, ro, 'headers') as Record<string, string | string[] | undefined>,
    getStream: async (path, ro, sink) => await call('GET', path, ro, 'stream', sink) as StreamResponse,
    download,
    close: async () => { await pool.close() }
  }
}
