import { XMLParser } from 'fast-xml-parser'
import { stripTags } from '../http/http-client.js'

/*
 * S3's XML answers, parsed once at the edge into the typed shapes below (Amazon S3 API reference: ListObjectsV2,
 * "Error responses"). Values stay strings until converted here: a key such as "0012" must not become a number.
 */

/** One object of a listing. */
export interface S3Object {
  key: string
  size: number
  /** epoch ms, null when absent or unreadable */
  lastModified: number | null
  etag: string | null
}

/** One ListObjectsV2 page. */
export interface S3ListPage {
  objects: S3Object[]
  /** "folders" when a delimiter was sent */
  commonPrefixes: string[]
  isTruncated: boolean
  nextContinuationToken: string | null
}

/** An S3 REST error body: `<Error><Code>…</Code><Message>…</Message>…</Error>`. */
export interface S3ErrorBody {
  code: string | null
  message: string | null
  /** AuthorizationHeaderMalformed / PermanentRedirect name the bucket's region or endpoint */
  region: string | null
  endpoint: string | null
}

/** The XML was not what S3 sends (a proxy's HTML page, a cut body). */
export class S3XmlError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'S3XmlError'
  }
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) => jpath === 'ListBucketResult.Contents' || jpath === 'ListBucketResult.CommonPrefixes'
})

function parse (text: string): Record<string, unknown> {
  // S3 never sends a DOCTYPE; one here is not S3, and entity declarations are an expansion risk
  if (/<!DOCTYPE/i.test(text)) throw new S3XmlError('the answer declares a DOCTYPE, which S3 never sends')
  try {
    return parser.parse(text) as Record<string, unknown>
  } catch (err) {
    throw new S3XmlError(`the answer is not well-formed XML (${(err as Error).message.split('\n')[0] ?? ''})`)
  }
}

const rec = (v: unknown): Record<string, unknown> | null => typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : null
const text = (v: unknown): string | null => typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null

/** encoding-type=url: keys come URL-encoded, spaces as "+" (as the AWS SDKs decode them) */
function decodeUrl (v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '))
  } catch {
    throw new S3XmlError(`a key is not valid URL encoding: ${v.slice(0, 80)}`)
  }
}

/** Parses a ListObjectsV2 answer (`ListBucketResult`). */
export function parseListObjectsV2 (xml: string): S3ListPage {
  const doc = rec(parse(xml).ListBucketResult)
  if (doc === null) throw new S3XmlError('the answer has no ListBucketResult element')
  const encoded = text(doc.EncodingType) === 'url'
  const key = (v: string): string => encoded ? decodeUrl(v) : v
  const objects: S3Object[] = []
  for (const c of (doc.Contents as unknown[] | undefined) ?? []) {
    const o = rec(c)
    const k = text(o?.Key)
    const sizeText = text(o?.Size)
    if (o === null || k === null || sizeText === null) throw new S3XmlError('a listed object has no Key or Size')
    const size = Number(sizeText)
    if (!Number.isSafeInteger(size) || size < 0) throw new S3XmlError(`the object ${k} has an impossible size (${sizeText})`)
    const lm = text(o.LastModified)
    const t = lm === null ? NaN : Date.parse(lm)
    objects.push({ key: key(k), size, lastModified: Number.isNaN(t) ? null : t, etag: text(o.ETag) })
  }
  const commonPrefixes: string[] = []
  for (const p of (doc.CommonPrefixes as unknown[] | undefined) ?? []) {
    const v = text(rec(p)?.Prefix)
    if (v !== null) commonPrefixes.push(key(v))
  }
  const isTruncated = text(doc.IsTruncated) === 'true'
  const next = text(doc.NextContinuationToken)
  if (isTruncated && (next === null || next === '')) throw new S3XmlError('the listing is truncated but carries no NextContinuationToken')
  return { objects, commonPrefixes, isTruncated, nextContinuationToken: isTruncated ? next : null }
}

/** Reads an S3 error body; anything else (HTML from a proxy, an empty HEAD answer) gives nulls and a short text. */
export function parseS3Error (body: string): S3ErrorBody {
  const none: S3ErrorBody = { code: null, message: null, region: null, endpoint: null }
  if (body.trim() === '') return none
  try {
    const e = rec(parse(body).Error)
    if (e === null) throw new S3XmlError('no Error element')
    return { code: text(e.Code), message: text(e.Message), region: text(e.Region), endpoint: text(e.Endpoint) }
  } catch {
    const plain = stripTags(body).replace(/\s+/g, ' ').trim()
    return { ...none, message: plain === '' ? null : plain.slice(0, 200) }
  }
}
