import { createHash } from 'node:crypto'
import { request, type Dispatcher } from 'undici'
import type { Logger } from 'pino'
import type { TokenSource } from '../http/token-source.js'
import { UpstreamError, scrubSecrets } from '../http/upstream-error.js'
import { MAX_ERROR_BODY, readBodyLimited } from '../http/http-client.js'
import type { SavedOAuthTokens } from '../store/oauth-tokens.js'

/*
 * AAC OAuth 2.0 API tokens. Sources:
 * - Alteryx help, "OAuth 2.0 API Tokens Page for Users"
 *   (https://help.alteryx.com/aac/en/platform/profile/preferences-page/oauth-2-0-api-tokens-page-for-users.html):
 *   an access token (1 hour) and a refresh token whose lifetime (1-365 days) the user picks; legacy API tokens
 *   were deprecated with a migration deadline of 11 July 2024.
 * - Alteryx Community, "How to Use AAC's New OAuth 2.0 Refresh Tokens for the AAC API"
 *   (https://community.alteryx.com/t5/Cloud-API-Resources/How-to-Use-AAC-s-New-OAuth-2-0-Refresh-Tokens-for-the-AAC-API/ta-p/1272281):
 *   the client id and the issuer are claims of the access token's JWT payload (`client_id`, `iss`); the refresh
 *   endpoint is `<iss>/token`, called with a form-encoded `grant_type=refresh_token`, `refresh_token`, `client_id`;
 *   the answer carries a new access token AND a new refresh token, and the old refresh token stops working (one
 *   revision of the article says access tokens last 5 minutes).
 */

/** What the settings page shows about the AAC token (never the token itself). */
export interface AacTokenStatus {
  kind: 'none' | 'static' | 'oauth'
  accessExpiresAt: string | null
  refreshExpiresAt: string | null
  clientId: string | null
  tokenUrl: string | null
  lastRefreshAt: string | null
  /** why refreshing is impossible or failed last, when it did */
  problem: string | null
}

export interface AacTokenSource extends TokenSource {
  refreshAfter401: NonNullable<TokenSource['refreshAfter401']>
  status: () => Promise<AacTokenStatus>
}

/** Where rotated tokens are kept: the store's aac-oauth.json. */
export interface OAuthTokenStore {
  readOAuthTokens: () => Promise<SavedOAuthTokens | null>
  writeOAuthTokens: (doc: SavedOAuthTokens) => Promise<void>
}

export interface AacOAuthOptions {
  /** PLATFORM_API_TOKEN: the access token as configured (may be spent or expired) */
  accessToken: string
  /** PLATFORM_API_REFRESH_TOKEN; empty: a plain long-lived token */
  refreshToken: string
  /** PLATFORM_API_CLIENT_ID, else the access token's `client_id` claim */
  clientId?: string
  /** PLATFORM_API_TOKEN_URL, else the access token's `iss` claim + /token */
  tokenUrl?: string
  store: OAuthTokenStore
  /** the connections to the token endpoint's origin (proxy, CA file); default: undici's global dispatcher */
  dispatcherFor?: (origin: string) => Dispatcher
  timeoutMs?: number
  log?: Logger
  now?: () => number
}

/** The payload of a JWT (not verified: only read for its expiry, issuer and client id), or null. */
export function jwtClaims (token: string): Record<string, unknown> | null {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1] === undefined) return null
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload as Record<string, unknown> : null
  } catch {
    return null
  }
}

const secondsClaim = (claims: Record<string, unknown> | null, key: string): number | null => {
  const v = claims?.[key]
  return typeof v === 'number' && Number.isFinite(v) ? v * 1000 : null
}
const stringClaim = (claims: Record<string, unknown> | null, ...keys: string[]): string | null => {
  for (const k of keys) {
    const v = claims?.[k]
    if (typeof v === 'string' && v !== '') return v
  }
  return null
}
const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()
const msOf = (s: string | null): number | null => s === null ? null : Date.parse(s)

/** The token endpoint from an issuer: `<iss>/token` (the issuer itself when it already ends in /token). */
export function tokenUrlOf (iss: string): string {
  const base = iss.replace(/\/+$/, '')
  return base.endsWith('/token') ? base : `${base}/token`
}

/** SHA-256 of a configured refresh token: recognises it later without keeping the spent token on disk. */
export function tokenSeed (refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('hex')
}

interface State {
  access: string
  accessExpiresAt: number | null
  accessIssuedAt: number | null
  refresh: string
  refreshExpiresAt: number | null
  /** the newest tokens could not be written yet: they are not used until they are */
  unsaved: boolean
}

/**
 * The AAC token source: a plain token when no refresh token is configured; otherwise refreshes the access token
 * shortly before it expires and once after a 401, one refresh at a time, and saves the rotated refresh token
 * (atomically, 0600, through the store) before the new access token is used.
 */
export function createAacTokenSource (opts: AacOAuthOptions): AacTokenSource {
  const now = opts.now ?? Date.now
  const seen = new Set<string>([opts.accessToken, opts.refreshToken].filter((s) => s !== ''))
  const seed = tokenSeed(opts.refreshToken)
  let state: State | null = null
  let loading: Promise<State> | null = null
  let inflight: Promise<void> | null = null
  let lastRefreshAt: number | null = null
  let problem: string | null = null
  const dispatchers = new Map<string, Dispatcher>()
  const dispatcherOf = (url: string): Dispatcher | undefined => {
    if (opts.dispatcherFor === undefined) return undefined
    const origin = new URL(url).origin
    let d = dispatchers.get(origin)
    if (d === undefined) dispatchers.set(origin, d = opts.dispatcherFor(origin))
    return d
  }

  const fromConfig = (): State => {
    const claims = jwtClaims(opts.accessToken)
    return {
      access: opts.accessToken,
      accessExpiresAt: secondsClaim(claims, 'exp'),
      accessIssuedAt: secondsClaim(claims, 'iat'),
      refresh: opts.refreshToken,
      refreshExpiresAt: secondsClaim(jwtClaims(opts.refreshToken), 'exp'),
      unsaved: false
    }
  }

  async function load (): Promise<State> {
    if (state !== null) return state
    loading ??= (async () => {
      let saved: SavedOAuthTokens | null = null
      try {
        saved = await opts.store.readOAuthTokens()
      } catch (err) {
        opts.log?.warn({ err: (err as Error).message }, 'the saved AAC OAuth tokens cannot be read; using the configured ones')
      }
      // A rotated token saved by the app wins over the configured one it replaced (that one is spent), until the
      // user configures a different refresh token.
      if (saved !== null && saved.seed === seed) {
        seen.add(saved.accessToken).add(saved.refreshToken)
        lastRefreshAt = Date.parse(saved.savedAt)
        const claims = jwtClaims(saved.accessToken)
        state = { access: saved.accessToken, accessExpiresAt: msOf(saved.accessExpiresAt), accessIssuedAt: secondsClaim(claims, 'iat'), refresh: saved.refreshToken, refreshExpiresAt: msOf(saved.refreshExpiresAt), unsaved: false }
      } else {
        state = fromConfig()
      }
      return state
    })()
    return await loading
  }

  function endpoint (s: State): { clientId: string | null, tokenUrl: string | null } {
    const claims = jwtClaims(s.access) ?? jwtClaims(opts.accessToken)
    const iss = stringClaim(claims, 'iss')
    return {
      clientId: opts.clientId !== undefined && opts.clientId !== '' ? opts.clientId : stringClaim(claims, 'client_id', 'cid', 'azp'),
      tokenUrl: opts.tokenUrl !== undefined && opts.tokenUrl !== '' ? opts.tokenUrl : iss === null ? null : tokenUrlOf(iss)
    }
  }

  const fail = (message: string, init: { kind?: 'auth' | 'config' | 'network' | 'http' | 'malformed', status?: number | null, code?: string | null } = {}): UpstreamError =>
    new UpstreamError({ upstream: 'AAC', kind: init.kind ?? 'auth', status: init.status ?? null, code: init.code ?? null, message: scrubSecrets(message, [...seen]) })

  async function save (s: State): Promise<void> {
    await opts.store.writeOAuthTokens({
      schemaVersion: 1,
      seed,
      refreshToken: s.refresh,
      refreshExpiresAt: iso(s.refreshExpiresAt),
      accessToken: s.access,
      accessExpiresAt: iso(s.accessExpiresAt),
      savedAt: new Date(now()).toISOString()
    })
  }

  async function postRefresh (s: State, clientId: string, tokenUrl: string): Promise<Record<string, unknown>> {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: s.refresh, client_id: clientId }).toString()
    const timeout = opts.timeoutMs ?? 30_000
    // No caller's signal here: a refresh cut off after AAC rotated the token would lose the only valid refresh token.
    for (let attempt = 0; ; attempt++) {
      let status: number
      let text: string
      try {
        const res = await request(tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body,
          dispatcher: dispatcherOf(tokenUrl),
          headersTimeout: timeout,
          bodyTimeout: timeout
        })
        status = res.statusCode
        // a token answer is a few hundred bytes: an endless one is cut (and then fails as unparsable)
        text = (await readBodyLimited(res.body, MAX_ERROR_BODY)).text
      } catch (err) {
        const code = (err as { code?: string }).code ?? ''
        // Only failures before the request was sent are safe to repeat: a sent one may have spent the token.
        if (attempt < 2 && (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND')) continue
        throw fail(`AAC token refresh (POST ${tokenUrl}) failed: ${code !== '' ? code : (err as Error).message}`, { kind: 'network' })
      }
      let json: Record<string, unknown> | null = null
      try { json = JSON.parse(text) as Record<string, unknown> } catch { json = null }
      if (status >= 200 && status < 300 && json !== null && typeof json.access_token === 'string' && json.access_token !== '') return json
      // 429 / 503: the server refused before using the token
      if ((status === 429 || status === 503) && attempt < 2) {
        await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)))
        continue
      }
      const code = typeof json?.error === 'string' ? json.error : null
      const detail = [code, typeof json?.error_description === 'string' ? json.error_description : null].filter((x) => x !== null).join(': ')
      if (status === 400 || status === 401) {
        throw fail(`AAC refused the refresh token (${status}${detail === '' ? '' : ` ${detail}`}): it expired, was disabled or was already used. Generate a new OAuth 2.0 API token in AAC (User Preferences › OAuth 2.0 API Tokens) and enter its access and refresh tokens in Settings.`, { status, code })
      }
      if (status >= 200 && status < 300) throw fail(`AAC token refresh (POST ${tokenUrl}) answered without an access_token`, { kind: 'malformed', status })
      throw fail(`AAC token refresh (POST ${tokenUrl}) answered ${status}${detail === '' ? '' : ` (${detail})`}`, { kind: 'http', status, code })
    }
  }

  async function refreshNow (): Promise<void> {
    const s = await load()
    const { clientId, tokenUrl } = endpoint(s)
    if (clientId === null || tokenUrl === null) {
      throw fail('The AAC access token cannot be refreshed: its client id or token endpoint is unknown (the access token is not a JWT carrying client_id and iss). Set PLATFORM_API_CLIENT_ID and PLATFORM_API_TOKEN_URL as shown on AAC\'s OAuth 2.0 API Tokens page.', { kind: 'config' })
    }
    const json = await postRefresh(s, clientId, tokenUrl)
    const access = json.access_token as string
    const rotated = typeof json.refresh_token === 'string' && json.refresh_token !== '' ? json.refresh_token : s.refresh
    seen.add(access).add(rotated)
    const claims = jwtClaims(access)
    const t = now()
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in)
    const refreshIn = [json.refresh_token_expires_in, json.refresh_expires_in].map(Number).find((n) => Number.isFinite(n) && n > 0)
    const next: State = {
      access,
      accessExpiresAt: secondsClaim(claims, 'exp') ?? (Number.isFinite(expiresIn) && expiresIn > 0 ? t + expiresIn * 1000 : null),
      accessIssuedAt: secondsClaim(claims, 'iat') ?? t,
      refresh: rotated,
      refreshExpiresAt: secondsClaim(jwtClaims(rotated), 'exp') ?? (refreshIn !== undefined ? t + refreshIn * 1000 : (rotated === s.refresh ? s.refreshExpiresAt : null)),
      unsaved: true
    }
    // Kept in memory first (it is the only valid refresh token now), but not used before it is on disk.
    state = next
    lastRefreshAt = t
    await persist(next)
    opts.log?.info({ accessExpiresAt: iso(next.accessExpiresAt), refreshExpiresAt: iso(next.refreshExpiresAt) }, 'AAC access token refreshed, rotated refresh token saved')
  }

  async function persist (s: State): Promise<void> {
    try {
      await save(s)
      s.unsaved = false
    } catch (err) {
      throw fail(`The rotated AAC refresh token could not be saved to the data folder (${(err as Error).message}); it is not used until it is saved.`, { kind: 'config' })
    }
  }

  /** One refresh at a time: concurrent callers wait for the one in flight instead of spending the token twice. */
  async function refresh (): Promise<void> {
    inflight ??= refreshNow()
      .then(() => { problem = null }, (err: unknown) => { problem = (err as Error).message; throw err })
      .finally(() => { inflight = null })
    await inflight
  }

  const refreshable = opts.refreshToken !== ''

  function dueSoon (s: State): boolean {
    if (s.access === '') return true
    if (s.accessExpiresAt === null) return false
    const lifetime = s.accessIssuedAt !== null ? s.accessExpiresAt - s.accessIssuedAt : 3_600_000
    const margin = Math.min(60_000, Math.max(1000, lifetime * 0.2))
    return now() >= s.accessExpiresAt - margin
  }

  return {
    async token () {
      if (!refreshable) return opts.accessToken
      if (inflight !== null) await inflight
      let s = await load()
      if (s.unsaved) await persist(s)
      if (dueSoon(s)) {
        await refresh()
        s = await load()
      }
      return s.access
    },
    async refreshAfter401 (refused) {
      if (!refreshable) return false
      if (inflight !== null) await inflight.catch(() => {})
      const s = await load()
      // another call refreshed meanwhile: its token is worth a try
      if (s.access !== refused && !s.unsaved) return true
      await refresh()
      return true
    },
    secrets: () => [...seen],
    async status () {
      if (opts.accessToken === '' && !refreshable) return { kind: 'none', accessExpiresAt: null, refreshExpiresAt: null, clientId: null, tokenUrl: null, lastRefreshAt: null, problem: null }
      const s = refreshable ? await load() : fromConfig()
      const ep = endpoint(s)
      return {
        kind: refreshable ? 'oauth' : 'static',
        accessExpiresAt: iso(s.accessExpiresAt),
        refreshExpiresAt: refreshable ? iso(s.refreshExpiresAt) : null,
        clientId: ep.clientId,
        tokenUrl: ep.tokenUrl,
        lastRefreshAt: iso(lastRefreshAt),
        problem: problem ?? (refreshable && (ep.clientId === null || ep.tokenUrl === null) ? 'client id or token endpoint unknown: set PLATFORM_API_CLIENT_ID and PLATFORM_API_TOKEN_URL' : null)
      }
    }
  }
}
