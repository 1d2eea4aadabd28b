import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

/*
 * AAC's OAuth 2.0 API tokens as Alteryx documents them ("OAuth 2.0 API Tokens Page for Users"; Community article
 * "How to Use AAC's New OAuth 2.0 Refresh Tokens for the AAC API"): JWT access tokens carrying `iss` and
 * `client_id`, a token endpoint at `<iss>/token` taking a form-encoded refresh_token grant, and rotation: each refresh
 * returns a new refresh token and the old one stops working. Lifetimes are short in tests.
 */
export interface SimOAuthOptions {
  /** access token lifetime (AAC: 3600 s; one article revision says 300 s) */
  accessTtlSec?: number
  /** refresh token lifetime (AAC: 1-365 days, chosen by the user) */
  refreshTtlSec?: number
}

export interface IssuedTokens { accessToken: string, refreshToken: string, clientId: string, tokenUrl: string }

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

export class SimOAuth {
  readonly clientId = `tri-sim-${randomBytes(4).toString('hex')}`
  accessTtlSec: number
  refreshTtlSec: number
  /** successful refreshes so far */
  refreshes = 0
  /** refresh attempts with a token that was already used (a client that lost the rotated one) */
  spentReuse = 0
  private readonly key = randomBytes(32)
  private readonly refreshTokens = new Map<string, number>()
  private readonly spent = new Set<string>()
  private notBefore = 0
  private issuer = ''

  constructor (opts: SimOAuthOptions = {}) {
    this.accessTtlSec = opts.accessTtlSec ?? 3600
    this.refreshTtlSec = opts.refreshTtlSec ?? 30 * 86_400
  }

  /** the token endpoint's base (the `iss` claim), once the server listens */
  setIssuer (origin: string): void { this.issuer = `${origin}/as` }
  get tokenUrl (): string { return `${this.issuer}/token` }

  /** a fresh pair, as AAC's token page hands it out */
  issue (): IssuedTokens {
    return { accessToken: this.access(), refreshToken: this.newRefresh(), clientId: this.clientId, tokenUrl: this.tokenUrl }
  }

  /** every access token issued so far stops working (as when they expire) */
  expireAccessTokens (): void { this.notBefore = Math.floor(Date.now() / 1000) + 1 }

  /** true for an access token this simulator signed, not expired and not revoked */
  validAccess (token: string): boolean {
    const [h, p, sig] = token.split('.')
    if (h === undefined || p === undefined || sig === undefined) return false
    const want = createHmac('sha256', this.key).update(`${h}.${p}`).digest()
    const got = Buffer.from(sig, 'base64url')
    if (got.length !== want.length || !timingSafeEqual(got, want)) return false
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { exp: number, iat: number }
    const now = Date.now() / 1000
    return claims.exp > now && claims.iat >= this.notBefore
  }

  private access (): string {
    const iat = Math.max(Math.floor(Date.now() / 1000), this.notBefore)
    const head = b64({ alg: 'HS256', typ: 'JWT' })
    const body = b64({ iss: this.issuer, client_id: this.clientId, sub: 'sim-user@example.com', iat, exp: iat + this.accessTtlSec, jti: randomBytes(6).toString('hex') })
    const sig = createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url')
    return `${head}.${body}.${sig}`
  }

  private newRefresh (): string {
    const t = `rt-${randomBytes(24).toString('base64url')}`
    this.refreshTokens.set(t, Date.now() + this.refreshTtlSec * 1000)
    return t
  }

  /** POST /as/token (public: the refresh token is the credential) */
  register (app: FastifyInstance): void {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))))
    })
    app.post('/as/token', async (req, reply) => {
      const form = (req.body ?? {}) as Record<string, string | undefined>
      const deny = (status: number, error: string, description: string): unknown =>
        reply.code(status).header('cache-control', 'no-store').send({ error, error_description: description })
      if (form.grant_type !== 'refresh_token') return deny(400, 'unsupported_grant_type', 'grant_type must be refresh_token')
      if (form.client_id !== this.clientId) return deny(401, 'invalid_client', 'unknown client_id')
      const rt = form.refresh_token ?? ''
      const exp = this.refreshTokens.get(rt)
      if (exp === undefined) {
        if (this.spent.has(rt)) this.spentReuse++
        return deny(400, 'invalid_grant', 'refresh token is invalid, expired or revoked')
      }
      this.refreshTokens.delete(rt)
      this.spent.add(rt)
      if (exp < Date.now()) return deny(400, 'invalid_grant', 'refresh token expired')
      this.refreshes++
      return reply.header('cache-control', 'no-store').send({
        access_token: this.access(),
        refresh_token: this.newRefresh(),
        token_type: 'Bearer',
        expires_in: this.accessTtlSec,
        refresh_token_expires_in: this.refreshTtlSec
      })
    })
  }
}
