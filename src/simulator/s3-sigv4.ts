import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/*
 * AWS Signature Version 4 checked the way S3 checks it (AWS General Reference, "Create a signed AWS API request";
 * Amazon S3 API reference, "Authenticating Requests: Using the Authorization Header"). Written from the
 * specification, not with the client's library, so a mistake in either shows as a refused request.
 */

/** Keys the simulated S3 knows; a session token marks temporary credentials, which expire. */
export interface SimAwsKey {
  secretAccessKey: string
  sessionToken?: string
  /** epoch ms */
  expiresAt?: number
}

/** Why a request is refused, as S3 answers it. */
export interface SigV4Refusal {
  status: number
  code: string
  message: string
  /** AuthorizationHeaderMalformed names the bucket's region */
  region?: string
}

export interface SignedRequest {
  method: string
  /** the raw request target: path and query string as received */
  url: string
  headers: Record<string, string | string[] | undefined>
}

const MAX_SKEW_MS = 15 * 60_000
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex')

const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
const decode = (s: string): string => {
  try { return decodeURIComponent(s) } catch { return s }
}
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest()

function headerValue (h: SignedRequest['headers'], name: string): string | undefined {
  const v = h[name]
  return Array.isArray(v) ? v.join(',') : v
}

/** The canonical request of SigV4 for S3: the path is not normalised, each segment is encoded once. */
export function canonicalRequest (req: SignedRequest, signedHeaders: string[], payloadHash: string): string {
  const q = req.url.indexOf('?')
  const rawPath = q === -1 ? req.url : req.url.slice(0, q)
  const rawQuery = q === -1 ? '' : req.url.slice(q + 1)
  const path = rawPath.split('/').map((seg) => rfc3986(decode(seg))).join('/')
  const pairs = rawQuery === ''
    ? []
    : rawQuery.split('&').filter((p) => p !== '').map((p) => {
      const i = p.indexOf('=')
      const k = decode((i === -1 ? p : p.slice(0, i)).replace(/\+/g, ' '))
      const v = i === -1 ? '' : decode(p.slice(i + 1).replace(/\+/g, ' '))
      return [rfc3986(k), rfc3986(v)] as const
    })
  pairs.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
  const headers = signedHeaders.map((n) => `${n}:${(headerValue(req.headers, n) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('')
  return [req.method, path, pairs.map(([k, v]) => `${k}=${v}`).join('&'), headers, signedHeaders.join(';'), payloadHash].join('\n')
}

/** The signature of a canonical request with a secret, for a date (YYYYMMDD), region and service. */
export function signature (secret: string, amzDate: string, region: string, service: string, canonical: string): string {
  const day = amzDate.slice(0, 8)
  const scope = `${day}/${region}/${service}/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n')
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request')
  return hmac(key, toSign).toString('hex')
}

const AUTH = /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request\s*,\s*SignedHeaders=([a-z0-9;-]+)\s*,\s*Signature=([0-9a-f]{64})$/

function amzDateMs (v: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v)
  return m === null ? NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
}

/** Checks a request's SigV4 Authorization header; null when it is good, else S3's refusal. `region` null: any (no such bucket). */
export function verifySigV4 (req: SignedRequest, keys: ReadonlyMap<string, SimAwsKey>, region: string | null, now = Date.now()): SigV4Refusal | null {
  const auth = headerValue(req.headers, 'authorization')
  if (auth === undefined || auth === '') return { status: 403, code: 'AccessDenied', message: 'Access Denied' }
  const m = AUTH.exec(auth.trim())
  if (m === null) return { status: 400, code: 'AuthorizationHeaderMalformed', message: 'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".' }
  const [, akid, day, scopeRegion, service, signedList, sig] = m as unknown as [string, string, string, string, string, string, string]
  const key = keys.get(akid)
  if (key === undefined) return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' }
  if (region !== null && scopeRegion !== region) return { status: 400, code: 'AuthorizationHeaderMalformed', message: `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'`, region }
  if (service !== 's3') return { status: 400, code: 'AuthorizationHeaderMalformed', message: `The authorization header is malformed; incorrect service "${service}". This endpoint belongs to "s3".` }
  const amzDate = headerValue(req.headers, 'x-amz-date') ?? ''
  const t = amzDateMs(amzDate)
  if (Number.isNaN(t)) return { status: 403, code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header' }
  if (Math.abs(t - now) > MAX_SKEW_MS) return { status: 403, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.' }
  const payload = headerValue(req.headers, 'x-amz-content-sha256')
  if (payload === undefined) return { status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' }
  if (payload !== EMPTY_SHA256 && payload !== 'UNSIGNED-PAYLOAD') return { status: 400, code: 'XAmzContentSHA256Mismatch', message: 'The provided \'x-amz-content-sha256\' header does not match what was computed.' }
  const signedHeaders = signedList.split(';')
  if (!signedHeaders.includes('host') || signedHeaders.some((h) => h.startsWith('x-amz-') && headerValue(req.headers, h) === undefined)) {
    return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' }
  }
  if (key.sessionToken !== undefined) {
    const token = headerValue(req.headers, 'x-amz-security-token')
    if (token !== key.sessionToken) return { status: 400, code: 'InvalidToken', message: 'The provided token is malformed or otherwise invalid.' }
    if (!signedHeaders.includes('x-amz-security-token')) return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' }
    if (key.expiresAt !== undefined && now >= key.expiresAt) return { status: 400, code: 'ExpiredToken', message: 'The provided token has expired.' }
  }
  const expected = signature(key.secretAccessKey, amzDate, scopeRegion, service, canonicalRequest(req, signedHeaders, payload))
  if (day !== amzDate.slice(0, 8) || !timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(sig, 'hex'))) {
    return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' }
  }
  return null
}
