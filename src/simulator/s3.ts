import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { SampleLogs } from './sample-logs.js'
import type { ErrorBody } from './server.js'
import { verifySigV4, type SimAwsKey } from './s3-sigv4.js'

/*
 * A path-style S3 endpoint (http://127.0.0.1:PORT/<bucket>/<key>) holding the cluster logs delivered to s3://
 * destinations. It checks AWS Signature V4 against the keys it issued, lists with ListObjectsV2 (a small max-keys by
 * default, so continuation tokens are always exercised), serves HEAD and ranged GETs, and answers errors in S3's XML.
 */

type Content = { kind: 'buffer', data: Buffer } | { kind: 'sample', sample: string, part: number, shiftMs: number } | { kind: 'disk', path: string, size: number }
interface SimObject { mtime: number, content: Content }
interface Bucket { region: string, objects: Map<string, SimObject> }

/** Where a cluster's logs are written: DBFS, or one bucket of the simulated S3 (see dbfs-layout.ts). */
export interface LogSink {
  mkdirs: (path: string, mtime?: number) => void
  putText: (path: string, text: string, mtime?: number) => void
  /** a part of a sample event log, its times moved by shiftMs (sample-logs.ts) */
  putSamplePart: (path: string, sample: string, part: number, mtime: number, shiftMs?: number) => void
}

const xmlEscape = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
/** encoding-type=url, as S3 does it: URL encoding with spaces as "+" */
const urlEncode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+').replace(/%2F/g, '/')

/** S3's REST error document. */
export function s3ErrorXml (code: string, message: string, resource: string, extra: Record<string, string> = {}): string {
  const more = Object.entries(extra).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId>${more}</Error>`
}

/** The error body of the simulated S3 for a status (faults included). */
export const s3ErrorBody: ErrorBody = (status, message, path, code) => {
  const c = code ?? (status === 503 || status === 429 ? 'SlowDown' : status === 404 ? 'NoSuchKey' : status === 403 ? 'AccessDenied' : status === 400 ? 'InvalidRequest' : 'InternalError')
  const m = c === 'SlowDown' ? 'Please reduce your request rate.' : c === 'InternalError' ? 'We encountered an internal error. Please try again.' : message
  return s3ErrorXml(c, m, path)
}

/** The simulated S3: buckets, objects and the keys it accepts. */
export class SimS3 {
  private readonly buckets = new Map<string, Bucket>()
  readonly keys = new Map<string, SimAwsKey>()
  /** the most keys one ListObjectsV2 page returns, whatever max-keys asks */
  maxKeys = 2
  /** the clock signatures are checked against */
  now: () => number = Date.now
  /**
   * Whether a wrong-region refusal names the bucket's region (x-amz-bucket-region and <Region>), as AWS does; tests
   * turn it off for a store that does not, where the client can only explain what to set.
   */
  tellsBucketRegion = true

  constructor (private readonly samples: SampleLogs) {}

  createBucket (name: string, region: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, { region, objects: new Map() })
  }

  regionOf (bucket: string): string | null {
    return this.buckets.get(bucket)?.region ?? null
  }

  /** long-term keys: AKIA… and a secret */
  addKey (accessKeyId: string, secretAccessKey: string): void {
    this.keys.set(accessKeyId, { secretAccessKey })
  }

  /** temporary credentials (ASIA… with a session token) that expire after `ttlMs` */
  issueTemporary (ttlMs: number): { accessKeyId: string, secretAccessKey: string, sessionToken: string } {
    const cred = { accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64'), sessionToken: randomBytes(48).toString('base64') }
    this.keys.set(cred.accessKeyId, { secretAccessKey: cred.secretAccessKey, sessionToken: cred.sessionToken, expiresAt: this.now() + ttlMs })
    return cred
  }

  putText (bucket: string, key: string, text: string, mtime = Date.now()): void {
    this.bucket(bucket).objects.set(key, { mtime, content: { kind: 'buffer', data: Buffer.from(text) } })
  }

  putSamplePart (bucket: string, key: string, sample: string, part: number, mtime: number, shiftMs = 0): void {
    this.bucket(bucket).objects.set(key, { mtime, content: { kind: 'sample', sample, part, shiftMs } })
  }

  /** serve a local file (read from disk per request) as an object */
  async addFile (bucket: string, key: string, localPath: string, mtime = Date.now()): Promise<void> {
    const st = await stat(localPath)
    this.bucket(bucket).objects.set(key, { mtime, content: { kind: 'disk', path: localPath, size: st.size } })
  }

  remove (bucket: string, key: string): boolean {
    return this.buckets.get(bucket)?.objects.delete(key) ?? false
  }

  /** a LogSink writing under s3://<bucket>/: "/a/b" is the key "a/b" (S3 has no folders, so mkdirs does nothing) */
  sink (bucket: string): LogSink {
    const key = (p: string): string => p.replace(/^\/+/, '')
    return {
      mkdirs: () => {},
      putText: (p, text, mtime) => { this.putText(bucket, key(p), text, mtime) },
      putSamplePart: (p, sample, part, mtime, shiftMs) => { this.putSamplePart(bucket, key(p), sample, part, mtime, shiftMs) }
    }
  }

  async stat (bucket: string, key: string): Promise<{ size: number, mtime: number, etag: string } | null> {
    const o = this.buckets.get(bucket)?.objects.get(key)
    if (o === undefined) return null
    const size = o.content.kind === 'buffer' ? o.content.data.length : (await this.disk(o.content)).size
    return { size, mtime: o.mtime, etag: `"${createHash('md5').update(`${bucket}/${key}/${o.mtime}/${size}`).digest('hex')}"` }
  }

  /** bytes start..end (inclusive) of an object */
  async read (bucket: string, key: string, start: number, end: number): Promise<Buffer> {
    const o = this.buckets.get(bucket)?.objects.get(key)
    if (o === undefined) return Buffer.alloc(0)
    if (o.content.kind === 'buffer') return o.content.data.subarray(start, end + 1)
    const d = await this.disk(o.content)
    const buf = Buffer.allocUnsafe(end - start + 1)
    const fh = await open(d.path, 'r')
    try {
      let done = 0
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, d.offset + start + done)
        if (bytesRead === 0) break
        done += bytesRead
      }
      return buf.subarray(0, done)
    } finally {
      await fh.close()
    }
  }

  /** the whole object as a stream (a GET without Range) */
  async stream (bucket: string, key: string): Promise<NodeJS.ReadableStream | Buffer> {
    const o = this.buckets.get(bucket)?.objects.get(key)
    if (o === undefined) return Buffer.alloc(0)
    if (o.content.kind === 'buffer') return o.content.data
    const d = await this.disk(o.content)
    return d.size === 0 ? Buffer.alloc(0) : createReadStream(d.path, { start: d.offset, end: d.offset + d.size - 1 })
  }

  /** ListObjectsV2 over the sorted keys; the continuation token is opaque (the last key returned, encoded) */
  async list (bucket: string, q: { prefix: string, delimiter: string, after: string, maxKeys: number }): Promise<{ objects: Array<{ key: string, size: number, mtime: number, etag: string }>, prefixes: string[], next: string | null }> {
    const b = this.buckets.get(bucket)
    if (b === undefined) return { objects: [], prefixes: [], next: null }
    const keys = [...b.objects.keys()].filter((k) => k.startsWith(q.prefix) && k > q.after).sort()
    const objects: Array<{ key: string, size: number, mtime: number, etag: string }> = []
    const prefixes: string[] = []
    let last = ''
    for (const k of keys) {
      if (objects.length + prefixes.length >= q.maxKeys) return { objects, prefixes, next: Buffer.from(last).toString('base64url') }
      if (q.delimiter !== '') {
        const i = k.indexOf(q.delimiter, q.prefix.length)
        if (i !== -1) {
          const p = k.slice(0, i + q.delimiter.length)
          if (prefixes[prefixes.length - 1] !== p) prefixes.push(p)
          // every key under that common prefix is rolled into it
          last = `${p}\uffff`
          continue
        }
      }
      const st = (await this.stat(bucket, k))!
      objects.push({ key: k, size: st.size, mtime: st.mtime, etag: st.etag })
      last = k
    }
    return { objects, prefixes, next: null }
  }

  private bucket (name: string): Bucket {
    const b = this.buckets.get(name)
    if (b === undefined) throw new Error(`no simulated bucket ${name}`)
    return b
  }

  /** where an object's bytes are on disk */
  private async disk (c: Exclude<Content, { kind: 'buffer' }>): Promise<{ path: string, offset: number, size: number }> {
    if (c.kind === 'disk') return { path: c.path, offset: 0, size: c.size }
    const d = (await this.samples.parts(c.sample, c.shiftMs))[c.part]
    if (d === undefined) throw new Error(`sample ${c.sample} has no part ${c.part}`)
    return d
  }
}

const one = (v: unknown): string | undefined => typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined

function sendXml (reply: FastifyReply, status: number, xml: string): FastifyReply {
  return reply.code(status).type('application/xml').send(xml)
}

/** The bucket and key of a path-style request target (raw, still encoded). */
function target (rawUrl: string): { bucket: string, key: string } {
  const q = rawUrl.indexOf('?')
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q)
  const [, bucket = '', ...rest] = path.split('/')
  const dec = (s: string): string => { try { return decodeURIComponent(s) } catch { return s } }
  return { bucket: dec(bucket), key: rest.map(dec).join('/') }
}

/** Registers the S3 routes and the signature check on the S3 upstream server. */
export function registerS3Routes (app: FastifyInstance, s3: SimS3): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (reply.sent) return
    const { bucket } = target(req.raw.url ?? '/')
    const refused = verifySigV4({ method: req.method, url: req.raw.url ?? '/', headers: req.headers }, s3.keys, s3.regionOf(bucket), s3.now())
    if (refused !== null) {
      const extra: Record<string, string> = refused.region === undefined ? {} : { Region: refused.region }
      // S3 names the bucket's region in a header too (the only place a HEAD answer can), so clients can follow it:
      // x-amz-bucket-region as in the S3 API Reference (HeadBucket) and the redirect answers of "Request redirection
      // and the REST API"; <Region> in the body as S3 sends it for AuthorizationHeaderMalformed
      if (refused.region !== undefined && s3.tellsBucketRegion) reply.header('x-amz-bucket-region', refused.region)
      return sendXml(reply, refused.status, s3ErrorXml(refused.code, refused.message, req.url.split('?')[0] ?? '/', s3.tellsBucketRegion ? extra : {}))
    }
  })

  app.get('/:bucket', async (req, reply) => {
    const { bucket } = target(req.raw.url ?? '/')
    const q = req.query as Record<string, unknown>
    if (s3.regionOf(bucket) === null) return sendXml(reply, 404, s3ErrorXml('NoSuchBucket', 'The specified bucket does not exist', `/${bucket}`, { BucketName: bucket }))
    if (one(q['list-type']) !== '2') return sendXml(reply, 501, s3ErrorXml('NotImplemented', 'Only ListObjectsV2 (list-type=2) is simulated', `/${bucket}`))
    const prefix = one(q.prefix) ?? ''
    const delimiter = one(q.delimiter) ?? ''
    const encoded = one(q['encoding-type']) === 'url'
    const token = one(q['continuation-token'])
    let after = one(q['start-after']) ?? ''
    if (token !== undefined) {
      after = Buffer.from(token, 'base64url').toString('utf8')
      if (token === '' || Buffer.from(after).toString('base64url') !== token) return sendXml(reply, 400, s3ErrorXml('InvalidArgument', 'The continuation token provided is incorrect', `/${bucket}`))
    }
    const asked = Number(one(q['max-keys']) ?? 1000)
    if (!Number.isInteger(asked) || asked < 0) return sendXml(reply, 400, s3ErrorXml('InvalidArgument', 'Provided max-keys not an integer or within integer range', `/${bucket}`))
    const maxKeys = Math.min(asked, 1000, s3.maxKeys)
    const page = await s3.list(bucket, { prefix, delimiter, after, maxKeys })
    const k = (s: string): string => xmlEscape(encoded ? urlEncode(s) : s)
    const parts = [
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Name>${xmlEscape(bucket)}</Name><Prefix>${k(prefix)}</Prefix><KeyCount>${page.objects.length + page.prefixes.length}</KeyCount><MaxKeys>${asked}</MaxKeys>`,
      delimiter === '' ? '' : `<Delimiter>${k(delimiter)}</Delimiter>`,
      encoded ? '<EncodingType>url</EncodingType>' : '',
      `<IsTruncated>${page.next !== null}</IsTruncated>`,
      token === undefined ? '' : `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`,
      page.next === null ? '' : `<NextContinuationToken>${xmlEscape(page.next)}</NextContinuationToken>`,
      ...page.objects.map((o) => `<Contents><Key>${k(o.key)}</Key><LastModified>${new Date(o.mtime).toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`),
      ...page.prefixes.map((p) => `<CommonPrefixes><Prefix>${k(p)}</Prefix></CommonPrefixes>`),
      '</ListBucketResult>'
    ]
    return sendXml(reply, 200, parts.join(''))
  })

  const object = async (req: FastifyRequest, reply: FastifyReply, head: boolean): Promise<FastifyReply> => {
    const { bucket, key } = target(req.raw.url ?? '/')
    const resource = `/${bucket}/${key}`
    // HEAD answers carry no body, errors included
    const fail = (status: number, code: string, message: string): FastifyReply => head ? reply.code(status).send() : sendXml(reply, status, s3ErrorXml(code, message, resource))
    if (s3.regionOf(bucket) === null) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist')
    const st = await s3.stat(bucket, key)
    if (st === null) return fail(404, 'NoSuchKey', 'The specified key does not exist.')
    const ifMatch = one(req.headers['if-match'])
    if (ifMatch !== undefined && ifMatch !== st.etag && ifMatch !== '*') return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold')
    reply.header('etag', st.etag).header('last-modified', new Date(st.mtime).toUTCString()).header('accept-ranges', 'bytes')
    if (head) return reply.code(200).header('content-length', String(st.size)).type('application/octet-stream').send()
    const range = one(req.headers.range)
    if (range === undefined) return reply.code(200).type('application/octet-stream').header('content-length', String(st.size)).send(await s3.stream(bucket, key))
    const m = /^bytes=(\d+)-(\d*)$/.exec(range)
    if (m === null) return reply.code(200).type('application/octet-stream').header('content-length', String(st.size)).send(await s3.stream(bucket, key))
    const start = Number(m[1])
    const end = Math.min(st.size - 1, m[2] === '' ? st.size - 1 : Number(m[2]))
    if (start >= st.size || end < start) {
      reply.header('content-range', `bytes */${st.size}`)
      return sendXml(reply, 416, s3ErrorXml('InvalidRange', 'The requested range is not satisfiable', resource))
    }
    const body = await s3.read(bucket, key, start, end)
    return reply.code(206).type('application/octet-stream').header('content-range', `bytes ${start}-${end}/${st.size}`).send(body)
  }
  app.route({ method: 'GET', url: '/:bucket/*', exposeHeadRoute: false, handler: async (req, reply) => await object(req, reply, false) })
  app.route({ method: 'HEAD', url: '/:bucket/*', handler: async (req, reply) => await object(req, reply, true) })
}
