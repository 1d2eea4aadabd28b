/** Why an upstream call failed, in terms a page can explain. */
export type UpstreamErrorKind = 'auth' | 'not-found' | 'rate-limited' | 'http' | 'timeout' | 'network' | 'malformed' | 'aborted' | 'config' | 'too-large'

/**
 * A failed call to AAC, on-prem Trifacta or Databricks. The message names the upstream, the request and the
 * status, and never contains a token (built from parts that cannot hold one, then scrubbed anyway).
 */
export class UpstreamError extends Error {
  readonly upstream: string
  readonly kind: UpstreamErrorKind
  readonly status: number | null
  /** the upstream's own error name/code, e.g. RouteNotFoundException, RESOURCE_DOES_NOT_EXIST */
  readonly code: string | null
  readonly upstreamMessage: string | null
  /** an upstream-specific value the caller may act on (S3: the region the bucket is in) */
  readonly detail: string | null

  constructor (init: { upstream: string, kind: UpstreamErrorKind, status?: number | null, code?: string | null, upstreamMessage?: string | null, detail?: string | null, message: string }) {
    super(init.message)
    this.name = 'UpstreamError'
    this.upstream = init.upstream
    this.kind = init.kind
    this.status = init.status ?? null
    this.code = init.code ?? null
    this.upstreamMessage = init.upstreamMessage ?? null
    this.detail = init.detail ?? null
  }
}

/** Replaces every occurrence of any secret in a text (defence in depth for messages built from upstream bodies). */
export function scrubSecrets (text: string, secrets: ReadonlyArray<string>): string {
  let out = text
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join('***')
  }
  // Bearer values that are not ours (e.g. echoed by a proxy) are hidden too.
  return out.replace(/(bearer\s+)[^\s"',;]+/gi, '$1***')
}
