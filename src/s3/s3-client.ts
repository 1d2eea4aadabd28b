import aws4 from 'aws4'
import type { Logger } from 'pino'
import { createHttpClient, type HttpClient, type NetworkOptions } from '../http/http-client.js'
import { UpstreamError, type UpstreamErrorKind } from '../http/upstream-error.js'
import { rangedGet } from '../http/ranged-get.js'
import { parseListObjectsV2, parseS3Error, S3XmlError, type S3ListPage, type S3Object } from './s3-xml.js'

/*
 * The few S3 calls reading a cluster's delivered logs needs: ListObjectsV2 (continuation tokens), HEAD and ranged
 * GETs, signed with AWS Signature V4 by `aws4`. Every request goes through the project's HTTP client, so proxies, CA
 * files, deadlines, body caps and retries (503 SlowDown with Retry-After) apply as for the other upstreams. S3's XML
 * errors become UpstreamErrors whose message says what to do.
 */

export type { S3Object, S3ListPage } from './s3-xml.js'

/** AWS credentials: the standard AWS_* variables or the settings page. */
export interface S3Credentials {
  accessKeyId: string
  secretAccessKey: string
  /** temporary credentials (STS) carry a session token; '' for long-term keys */
  sessionToken: string
}

/** Where a bucket is reached: cluster_log_conf.s3's region and endpoint. */
export interface S3Place {
  bucket: string
  /** null: the configured AWS_REGION (else the endpoint's, else us-east-1) */
  region: string | null
  /** null: AWS's own endpoint for the region; set: that endpoint, path style (S3-compatible stores, VPC endpoints) */
  endpoint: string | null
}

export interface S3ClientOptions {
  /** null when none are configured: every call fails with a message saying where to set them */
  credentials: S3Credentials | null
  /** AWS_REGION: used when the destination names none */
  defaultRegion: string
  /** AWS_ENDPOINT_URL_S3: where S3 is reached from here; when set it wins over the destination's endpoint */
  endpoint?: string
  network?: NetworkOptions
  timeoutMs?: number
  retries?: number
  baseDelayMs?: number
  log?: Logger
}

export interface S3CallOptions {
  signal?: AbortSignal
}

export interface S3Client {
  /** one ListObjectsV2 page */
  listPage: (place: S3Place, prefix: string, opts?: S3CallOptions & { continuationToken?: string | null, delimiter?: string, maxKeys?: number }) => Promise<S3ListPage>
  /** every page of a listing, following continuation tokens (at most `maxObjects` objects) */
  list: (place: S3Place, prefix: string, opts?: S3CallOptions & { delimiter?: string, maxKeys?: number, maxObjects?: number }) => Promise<{ objects: S3Object[], commonPrefixes: string[], pages: number }>
  /** the object's size and date (HEAD) */
  head: (place: S3Place, key: string, opts?: S3CallOptions) => Promise<S3Object>
  /**
   * `length` bytes from `offset` (a ranged GET answered 206); fewer at the object's end. With `etag`, a changed object
   * fails (If-Match) instead of mixing two versions.
   */
  getRange: (place: S3Place, key: string, offset: number, length: number, opts?: S3CallOptions & { etag?: string | null }) => Promise<Buffer>
  /** getRange streamed: the bytes go to `write` as they arrive (never held whole); returns how many */
  getRangeTo: (place: S3Place, key: string, offset: number, length: number, write: (piece: Buffer) => Promise<void>, opts?: S3CallOptions & { etag?: string | null }) => Promise<number>
  close: () => Promise<void>
}

/** The most objects one listing collects (a log folder holds a few dozen parts). */
export const MAX_LISTED_OBJECTS = 100_000
const UPSTREAM = 'S3'

/** `s3://bucket/some/prefix` (also s3a:// and s3n://, as Hadoop writes them) -> bucket and prefix without slashes around it. */
export function parseS3Uri (uri: string): { bucket: string, prefix: string } | null {
  const m = /^s3[an]?:\/\/([^/]+)(?:\/(.*))?$/i.exec(uri.trim())
  if (m === null) return null
  const bucket = m[1]!
  // bucket naming rules (lower case, digits, dots, hyphens; 3-63), so it is safe in a host name and a path
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return null
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/')
  return { bucket, prefix }
}

/** RFC 3986 encoding of one key segment, as SigV4 canonicalises it. */
function encodeSegment (s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The region a standard AWS endpoint host names (s3.eu-west-1.amazonaws.com, s3-eu-west-1.amazonaws.com). */
function regionOfEndpoint (host: string): string | null {
  const m = /(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(host)
  return m?.[1] ?? null
}

/**
 * The origin, path style and signing region for a bucket. AWS's own endpoint is virtual-hosted
 * (`https://<bucket>.s3.<region>.amazonaws.com`), except for bucket names with dots (they break the TLS wildcard);
 * a configured endpoint is addressed path style (`<endpoint>/<bucket>/<key>`).
 */
export function s3Target (place: S3Place, defaultRegion: string): { origin: string, pathStyle: boolean, region: string } {
  if (place.endpoint !== null && place.endpoint !== '') {
    const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(place.endpoint) ? place.endpoint : `https://${place.endpoint}`
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new UpstreamError({ upstream: UPSTREAM, kind: 'config', message: `The S3 endpoint ${place.endpoint} of the log destination is not a URL: fix cluster_log_conf.s3.endpoint` })
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UpstreamError({ upstream: UPSTREAM, kind: 'config', message: `The S3 endpoint ${place.endpoint} must be http or https` })
    return { origin: url.origin, pathStyle: true, region: place.region ?? regionOfEndpoint(url.hostname) ?? (defaultRegion !== '' ? defaultRegion : 'us-east-1') }
  }
  const region = place.region ?? (defaultRegion !== '' ? defaultRegion : 'us-east-1')
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  if (place.bucket.includes('.')) return { origin: `https://s3.${region}.${domain}`, pathStyle: true, region }
  return { origin: `https://${place.bucket}.s3.${region}.${domain}`, pathStyle: false, region }
}

const hint4 = (s: string): string => s.length > 8 ? `…${s.slice(-4)}` : ''

/** What to do about each S3 error code: the kind a page explains and the advice. */
function advice (code: string | null, status: number | null, creds: S3Credentials | null, region: string): { kind: UpstreamErrorKind, what: string } | null {
  switch (code) {
    case 'AccessDenied':
    case 'AllAccessDisabled':
      return { kind: 'auth', what: 'the AWS credentials are not allowed to read the log destination: grant them s3:ListBucket on the bucket and s3:GetObject on the log prefix (IAM or bucket policy)' }
    case 'InvalidAccessKeyId':
      return { kind: 'auth', what: `S3 does not know the access key id${creds === null ? '' : ` ${hint4(creds.accessKeyId)}`}: check AWS_ACCESS_KEY_ID (in .env or on the settings page)` }
    case 'SignatureDoesNotMatch':
      return { kind: 'auth', what: 'the request signature does not match: AWS_SECRET_ACCESS_KEY is not the secret of AWS_ACCESS_KEY_ID; enter the pair again' }
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
      return { kind: 'auth', what: 'the AWS session token has expired: get fresh temporary credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN together), or use long-term keys without a session token' }
    case 'InvalidToken':
      return { kind: 'auth', what: 'S3 does not accept the AWS session token: set AWS_SESSION_TOKEN to the token issued with these keys, or clear it for long-term keys' }
    case 'RequestTimeTooSkewed':
      return { kind: 'auth', what: 'this computer\'s clock is more than 15 minutes off S3\'s: set the system clock right (NTP) and retry' }
    case 'AuthorizationHeaderMalformed':
    case 'PermanentRedirect':
    case 'IllegalLocationConstraintException':
      return { kind: 'config', what: `the bucket is not in region ${region}: set cluster_log_conf.s3.region (or AWS_REGION) to the bucket's region` }
    case 'NoSuchBucket':
      return { kind: 'not-found', what: 'the bucket does not exist: check cluster_log_conf.s3.destination, and the region or endpoint' }
    case 'NoSuchKey':
      return { kind: 'not-found', what: 'the object is gone from the bucket (deleted, or expired by a lifecycle rule)' }
    case 'PreconditionFailed':
      return { kind: 'http', what: 'the object changed during the download: download it again' }
    case 'SlowDown':
      return { kind: 'rate-limited', what: 'S3 is throttling requests to this bucket (SlowDown): retry in a few minutes' }
    default:
      if (status === 301) return { kind: 'config', what: `the bucket is not in region ${region}: set cluster_log_conf.s3.region (or AWS_REGION) to the bucket's region` }
      if (status === 403) return { kind: 'auth', what: 'S3 refused the request (403): check the AWS credentials and their s3:ListBucket / s3:GetObject permissions' }
      if (status === 404) return { kind: 'not-found', what: 'S3 has no such bucket or object' }
      if (status === 412) return { kind: 'http', what: 'the object changed during the download: download it again' }
      return null
  }
}

/** A call made ready: the pooled client of its origin and region, the request path, the region it is signed for. */
interface Prepared { http: HttpClient, path: string, region: string, where: string, customEndpoint: boolean }

const WRONG_REGION = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException'])
/** AWS region names (they become part of a host name); an S3-compatible store may use any short token */
const AWS_REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/
const OTHER_REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/

/** The region a wrong-region answer names, when it is a usable one other than `current`; else null. */
function regionRedirect (err: unknown, current: string, awsEndpoint: boolean): string | null {
  if (!(err instanceof UpstreamError) || err.upstream !== UPSTREAM || err.detail === null) return null
  if (!(err.status === 301 || (err.status === 400 && (err.code === null || WRONG_REGION.has(err.code))))) return null
  const region = err.detail.trim()
  if (region === current || !(awsEndpoint ? AWS_REGION_NAME : OTHER_REGION_NAME).test(region)) return null
  return region
}

/** Creates the S3 client: one pooled HTTP client per endpoint origin and signing region. */
export function createS3Client (opts: S3ClientOptions): S3Client {
  const creds = opts.credentials
  const clients = new Map<string, HttpClient>()
  const secrets = (): string[] => creds === null ? [] : [creds.secretAccessKey, creds.sessionToken].filter((s) => s !== '')
  /** buckets whose region S3 told us, when it differed from the configured one */
  const learnedRegion = new Map<string, string>()

  function clientFor (origin: string, region: string): HttpClient {
    const k = `${origin} ${region}`
    let c = clients.get(k)
    if (c === undefined) {
      c = createHttpClient({
        name: UPSTREAM,
        baseUrl: origin,
        token: '',
        network: opts.network,
        timeoutMs: opts.timeoutMs,
        retries: opts.retries,
        baseDelayMs: opts.baseDelayMs,
        log: opts.log,
        // the listing of one prefix and a 200 MB log's parts are read by few concurrent calls
        connections: 8,
        // the bucket's region: the x-amz-bucket-region header (also on HEAD, which has no body), else the error's <Region>
        errorBody: (text, headers) => {
          const e = parseS3Error(text)
          const h = headers['x-amz-bucket-region']
          return { code: e.code, message: e.message, detail: typeof h === 'string' && h !== '' ? h : e.region }
        },
        sign: {
          secrets,
          headers: (req) => {
            if (creds === null) return {}
            const signed = aws4.sign({ service: 's3', region, method: req.method, host: req.host, path: req.path, headers: { ...req.headers } },
              { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, ...(creds.sessionToken !== '' ? { sessionToken: creds.sessionToken } : {}) })
            const out: Record<string, string> = {}
            for (const [name, value] of Object.entries(signed.headers ?? {})) {
              // undici sets Host from the origin (the same value aws4 signed)
              if (name.toLowerCase() !== 'host' && value !== undefined) out[name.toLowerCase()] = String(value)
            }
            return out
          }
        }
      })
      clients.set(k, c)
    }
    return c
  }

  function prepare (place: S3Place, key: string | null): Prepared {
    if (creds === null || creds.accessKeyId === '' || creds.secretAccessKey === '') {
      throw new UpstreamError({ upstream: UPSTREAM, kind: 'config', message: `No AWS credentials to read s3://${place.bucket}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) in .env or on the settings page` })
    }
    const learned = learnedRegion.get(place.bucket)
    const reached = opts.endpoint === undefined || opts.endpoint === '' ? place : { ...place, endpoint: opts.endpoint }
    const t = s3Target(learned === undefined ? reached : { ...reached, region: learned }, opts.defaultRegion)
    const keyPath = key === null ? '' : key.split('/').map(encodeSegment).join('/')
    const path = t.pathStyle ? `/${place.bucket}${key === null ? '' : `/${keyPath}`}` : `/${keyPath}`
    return { http: clientFor(t.origin, t.region), path, region: t.region, where: `s3://${place.bucket}${key === null ? '' : `/${key}`}`, customEndpoint: reached.endpoint !== null && reached.endpoint !== '' }
  }

  /**
   * Runs one call; when S3 answers that the bucket is in another region (301 PermanentRedirect, or 400
   * AuthorizationHeaderMalformed / IllegalLocationConstraintException) and names that region (the
   * x-amz-bucket-region header or the error's <Region>), the region is remembered for the bucket and the call made
   * once more, as the AWS SDKs' region redirects do. Without a named region the error says what to set.
   * Public documentation followed: Amazon S3 User Guide, "Request redirection and the REST API" (301
   * PermanentRedirect for a bucket addressed in the wrong region); S3 API Reference, HeadBucket (the
   * `x-amz-bucket-region` response header) and "Error responses" (AuthorizationHeaderMalformed,
   * IllegalLocationConstraintException). The `<Region>` element of AuthorizationHeaderMalformed is what S3 sends in
   * practice (seen in SDK and tool issue reports), not in the reference's error table.
   */
  async function inRegion<T> (place: S3Place, key: string | null, action: string, where: string, run: (p: Prepared) => Promise<T>): Promise<T> {
    let p = prepare(place, key)
    for (let redirected = false; ; redirected = true) {
      try {
        return await run(p)
      } catch (err) {
        const region = redirected ? null : regionRedirect(err, p.region, !p.customEndpoint)
        if (region === null) throw explain(err, where, p.region, action)
        opts.log?.info({ upstream: UPSTREAM, bucket: place.bucket, from: p.region, to: region }, 'S3 bucket is in another region: following it')
        learnedRegion.set(place.bucket, region)
        p = prepare(place, key)
      }
    }
  }

  /** an UpstreamError of S3 said again with what to do; anything else unchanged */
  function explain (err: unknown, where: string, region: string, action: string): unknown {
    if (err instanceof S3XmlError) return new UpstreamError({ upstream: UPSTREAM, kind: 'malformed', message: `S3 ${action} ${where}: ${err.message}` })
    if (!(err instanceof UpstreamError) || err.upstream !== UPSTREAM) return err
    if (err.kind === 'aborted' || err.kind === 'timeout' || err.kind === 'network' || err.kind === 'too-large' || err.kind === 'config' || err.kind === 'malformed') return err
    const a = advice(err.code, err.status, creds, region)
    const said = [err.code, err.upstreamMessage].filter((x) => x !== null).join(': ')
    const status = err.status === null ? '' : ` with ${err.status}`
    const head = `S3 refused to ${action} ${where}${status}${said === '' ? '' : ` (${said})`}`
    return new UpstreamError({ upstream: UPSTREAM, kind: a?.kind ?? err.kind, status: err.status, code: err.code, upstreamMessage: err.upstreamMessage, message: a === null ? head : `${head}: ${a.what}` })
  }

  const listPage: S3Client['listPage'] = async (place, prefix, o = {}) =>
    await inRegion(place, null, 'list', `s3://${place.bucket}/${prefix}`, async (p) => {
      const xml = await p.http.getText(p.path, {
        signal: o.signal,
        query: { 'list-type': 2, prefix, 'continuation-token': o.continuationToken ?? undefined, delimiter: o.delimiter, 'max-keys': o.maxKeys, 'encoding-type': 'url' }
      })
      return parseListObjectsV2(xml)
    })

  const getRangeTo: S3Client['getRangeTo'] = async (place, key, offset, length, write, o = {}) => {
    if (length <= 0) {
      prepare(place, key) // still refuses a call without credentials
      return 0
    }
    // a region redirect is an answer without a body: it comes before any byte reaches `write`
    return await inRegion(place, key, 'read', `s3://${place.bucket}/${key}`, async (p) =>
      await rangedGet(p.http, { path: p.path, offset, length, headers: o.etag != null ? { 'if-match': o.etag } : {}, signal: o.signal, upstream: UPSTREAM, what: `S3 GET ${p.where}` }, write))
  }

  return {
    listPage,
    async list (place, prefix, o = {}) {
      const max = o.maxObjects ?? MAX_LISTED_OBJECTS
      const objects: S3Object[] = []
      const commonPrefixes: string[] = []
      let token: string | null = null
      let pages = 0
      const seen = new Set<string>()
      do {
        const page = await listPage(place, prefix, { ...o, continuationToken: token })
        pages++
        objects.push(...page.objects)
        commonPrefixes.push(...page.commonPrefixes)
        token = page.nextContinuationToken
        if (token !== null && seen.has(token)) {
          throw new UpstreamError({ upstream: UPSTREAM, kind: 'malformed', message: `S3 listed s3://${place.bucket}/${prefix} in a loop (a continuation token came back twice)` })
        }
        if (token !== null) seen.add(token)
        if (objects.length > max) {
          throw new UpstreamError({ upstream: UPSTREAM, kind: 'too-large', message: `s3://${place.bucket}/${prefix} holds more than ${max} objects; that is not a cluster's log folder` })
        }
      } while (token !== null)
      return { objects, commonPrefixes, pages }
    },
    async head (place, key, o = {}) {
      return await inRegion(place, key, 'read', `s3://${place.bucket}/${key}`, async (p) => {
        const h = await p.http.head(p.path, { signal: o.signal })
        const size = Number(h['content-length'])
        if (!Number.isSafeInteger(size) || size < 0) throw new UpstreamError({ upstream: UPSTREAM, kind: 'malformed', message: `S3 reports an impossible size for ${p.where} (${String(h['content-length'])})` })
        const lm = typeof h['last-modified'] === 'string' ? Date.parse(h['last-modified']) : NaN
        return { key, size, lastModified: Number.isNaN(lm) ? null : lm, etag: typeof h.etag === 'string' ? h.etag : null }
      })
    },
    getRangeTo,
    async getRange (place, key, offset, length, o = {}) {
      const pieces: Buffer[] = []
      await getRangeTo(place, key, offset, length, async (p) => { pieces.push(p) }, o)
      return Buffer.concat(pieces)
    },
    async close () {
      await Promise.allSettled([...clients.values()].map(async (c) => { await c.close() }))
    }
  }
}

/** True when S3 says the bucket or object does not exist. */
export function isS3NotFound (err: unknown): boolean {
  return err instanceof UpstreamError && err.upstream === UPSTREAM && err.kind === 'not-found'
}
