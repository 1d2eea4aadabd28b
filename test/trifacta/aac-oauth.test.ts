import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSimulator } from '../../src/simulator/index.js'
import { createFlowStore } from '../../src/store/flow-store.js'
import type { SavedOAuthTokens } from '../../src/store/oauth-tokens.js'
import { createAacTokenSource, jwtClaims, tokenUrlOf } from '../../src/trifacta/aac-oauth.js'
import { createTrifactaClient } from '../../src/trifacta/trifacta-client.js'
import { UpstreamError } from '../../src/http/upstream-error.js'
import { tempDir } from '../helper.js'

const CHILD = fileURLToPath(new URL('../helper-oauth-child.ts', import.meta.url))

async function setup (t: Test, accessTtlSec = 3600): Promise<{ sim: Awaited<ReturnType<typeof startSimulator>>, dir: string }> {
  const sim = await startSimulator({ seed: 'oauth', oauth: { accessTtlSec, refreshTtlSec: 5 * 86_400 } })
  t.teardown(async () => { await sim.close() })
  return { sim, dir: tempDir(t) }
}

/** an AAC client over a token source of the issued pair and the store */
function clientWith (t: Test, baseUrl: string, issued: { accessToken: string, refreshToken: string }, store: ReturnType<typeof createFlowStore>): { token: ReturnType<typeof createAacTokenSource>, aac: ReturnType<typeof createTrifactaClient> } {
  const token = createAacTokenSource({ accessToken: issued.accessToken, refreshToken: issued.refreshToken, store })
  const aac = createTrifactaClient({ platform: 'aac', baseUrl, token, baseDelayMs: 2 })
  t.teardown(async () => { await aac.close() })
  return { token, aac }
}

t.test('client id and token endpoint come from the access token\'s claims', async (t) => {
  const { sim } = await setup(t)
  const issued = sim.oauth.issue()
  const claims = jwtClaims(issued.accessToken)
  t.equal(claims?.client_id, issued.clientId)
  t.equal(tokenUrlOf(String(claims?.iss)), issued.tokenUrl)
  t.equal(tokenUrlOf('https://pingauth.alteryxcloud.com/as/'), 'https://pingauth.alteryxcloud.com/as/token')
  t.equal(tokenUrlOf('https://x.example/as/token'), 'https://x.example/as/token')
  t.equal(jwtClaims('not-a-jwt'), null)
})

t.test('an expired access token is refreshed once for concurrent calls; the rotated refresh token is saved 0600 first', async (t) => {
  const { sim, dir } = await setup(t)
  const issued = sim.oauth.issue()
  const store = createFlowStore({ dataDir: dir })
  const { token, aac } = clientWith(t, sim.urls.aac, issued, store)
  await aac.ping()
  t.equal(sim.oauth.refreshes, 0, 'a valid access token is used as is')
  sim.oauth.expireAccessTokens()
  await Promise.all(Array.from({ length: 6 }, async () => { await aac.ping() }))
  t.equal(sim.oauth.refreshes, 1, 'six concurrent 401s spent the refresh token once')
  t.equal(sim.oauth.spentReuse, 0, 'no call reused a spent refresh token')
  const file = join(dir, 'aac-oauth.json')
  t.equal((await stat(file)).mode & 0o777, 0o600)
  const saved = JSON.parse(await readFile(file, 'utf8')) as SavedOAuthTokens
  t.not(saved.refreshToken, issued.refreshToken, 'the rotated refresh token is saved')
  t.ok(saved.refreshExpiresAt !== null && Date.parse(saved.refreshExpiresAt) > Date.now() + 4 * 86_400_000, 'its expiry is known from the answer')
  const status = await token.status()
  t.equal(status.kind, 'oauth')
  t.equal(status.clientId, issued.clientId)
  t.equal(status.tokenUrl, sim.oauth.tokenUrl)
  t.equal(status.problem, null)
})

t.test('the new access token is not used before the rotated refresh token is on disk', async (t) => {
  const { sim, dir } = await setup(t)
  const issued = sim.oauth.issue()
  const real = createFlowStore({ dataDir: dir })
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let written = false
  const store = {
    readOAuthTokens: real.readOAuthTokens,
    async writeOAuthTokens (doc: SavedOAuthTokens) { await gate; await real.writeOAuthTokens(doc); written = true }
  }
  const token = createAacTokenSource({ accessToken: issued.accessToken, refreshToken: issued.refreshToken, store })
  sim.oauth.expireAccessTokens()
  let got: string | null = null
  const pending = token.refreshAfter401(issued.accessToken).then(async () => { got = await token.token() })
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(sim.oauth.refreshes, 1, 'the platform rotated the token')
  t.equal(got, null, 'no access token handed out while the save is pending')
  release()
  await pending
  t.ok(written, 'saved')
  t.not(got, issued.accessToken)
})

t.test('killed right after a refresh: a restart with the spent .env token uses the saved one', async (t) => {
  const { sim, dir } = await setup(t)
  const issued = sim.oauth.issue()
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, TT_DIR: dir, TT_ACCESS: issued.accessToken, TT_REFRESH: issued.refreshToken, TT_AAC: sim.urls.aac },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  const refreshed = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('refreshed')) resolve() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    child.once('exit', () => { reject(new Error(`child exited: ${out}`)) })
  })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, signal) => { resolve(signal) }))
  await refreshed
  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL')
  t.equal(sim.oauth.refreshes, 1)

  // .env still holds the spent refresh token
  sim.oauth.expireAccessTokens()
  const store = createFlowStore({ dataDir: dir })
  const { aac } = clientWith(t, sim.urls.aac, issued, store)
  await aac.ping()
  t.equal(sim.oauth.refreshes, 2, 'refreshed with the saved rotated token')
  t.equal(sim.oauth.spentReuse, 0, 'the spent .env token was never sent')

  // the user configures a different (new) pair: it wins over the saved chain
  const fresh = sim.oauth.issue()
  const other = createAacTokenSource({ accessToken: fresh.accessToken, refreshToken: fresh.refreshToken, store })
  t.equal(await other.token(), fresh.accessToken)
})

t.test('a refused refresh token gives a clear message; a plain token is never refreshed', async (t) => {
  const { sim, dir } = await setup(t)
  const issued = sim.oauth.issue()
  const store = createFlowStore({ dataDir: dir })
  const token = createAacTokenSource({ accessToken: issued.accessToken, refreshToken: 'rt-not-a-valid-token-1234567890', store })
  const aac = createTrifactaClient({ platform: 'aac', baseUrl: sim.urls.aac, token, baseDelayMs: 2 })
  t.teardown(async () => { await aac.close() })
  sim.oauth.expireAccessTokens()
  const err = await aac.ping().then(() => null, (e: unknown) => e)
  t.ok(err instanceof UpstreamError)
  t.match((err as Error).message, /AAC refused the refresh token \(400 invalid_grant/)
  t.match((err as Error).message, /OAuth 2\.0 API Tokens/)
  t.notMatch((err as Error).message, /rt-not-a-valid/, 'the token is not in the message')
  t.match((await token.status()).problem, /refused the refresh token/)

  const plain = createTrifactaClient({ platform: 'aac', baseUrl: sim.urls.aac, token: createAacTokenSource({ accessToken: sim.tokens.aac, refreshToken: '', store }), baseDelayMs: 2 })
  t.teardown(async () => { await plain.close() })
  await plain.ping()
  t.equal(sim.oauth.refreshes, 0)
})

t.test('without client id and issuer claims a refresh is impossible and says what to set', async (t) => {
  const { sim, dir } = await setup(t)
  const token = createAacTokenSource({ accessToken: 'opaque-access-token-0123456789', refreshToken: 'opaque-refresh', store: createFlowStore({ dataDir: dir }) })
  const aac = createTrifactaClient({ platform: 'aac', baseUrl: sim.urls.aac, token, baseDelayMs: 2 })
  t.teardown(async () => { await aac.close() })
  await t.rejects(aac.ping(), /PLATFORM_API_CLIENT_ID and PLATFORM_API_TOKEN_URL/)
})
