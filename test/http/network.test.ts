import t from 'tap'
import { execFileSync } from 'node:child_process'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { createProxy } from 'proxy'
import { startSimulator } from '../../src/simulator/index.js'
import { createTrifactaClient } from '../../src/trifacta/trifacta-client.js'
import { createHttpClient, proxyEnv } from '../../src/http/http-client.js'
import { tempDir } from '../helper.js'

async function listen (server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('proxy variables: lower case wins, empty is unset', async (t) => {
  t.same(proxyEnv({ HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2', NO_PROXY: ' ', HTTP_PROXY: '' }), { httpProxy: undefined, httpsProxy: 'http://b:2', noProxy: undefined })
})

t.test('collection through an HTTP proxy (undici EnvHttpProxyAgent); NO_PROXY bypasses it', async (t) => {
  const sim = await startSimulator({ seed: 'proxy' })
  const proxied: string[] = []
  const proxy = createProxy(createHttpServer())
  // undici tunnels through the proxy with CONNECT host:port, for http targets too
  proxy.on('request', (req) => { proxied.push(req.url ?? '') })
  proxy.on('connect', (req) => { proxied.push(req.url ?? '') })
  const proxyUrl = `http://${await listen(proxy)}`
  t.teardown(async () => { await sim.close(); proxy.closeAllConnections(); await new Promise((resolve) => proxy.close(resolve)) })
  const via = createTrifactaClient({ platform: 'aac', baseUrl: sim.urls.aac, token: sim.tokens.aac, network: { proxy: { httpProxy: proxyUrl, httpsProxy: proxyUrl } }, baseDelayMs: 2 })
  t.teardown(async () => { await via.close() })
  const found = await via.listRunsOfFlow(sim.world.notable.fuzzyTwins[0], { limit: 5, ranfor: 'recipe,plan' })
  t.equal(found.runs.length, 5)
  t.ok(proxied.includes(new URL(sim.urls.aac).host), 'AAC was reached through the proxy')
  const before = proxied.length
  const direct = createTrifactaClient({ platform: 'aac', baseUrl: sim.urls.aac, token: sim.tokens.aac, network: { proxy: { httpProxy: proxyUrl, noProxy: '127.0.0.1' } }, baseDelayMs: 2 })
  t.teardown(async () => { await direct.close() })
  await direct.ping()
  t.equal(proxied.length, before, 'NO_PROXY host reached directly')
})

t.test('a self-signed server: refused by default, trusted with its CA file, or with verification skipped', async (t) => {
  const dir = tempDir(t)
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"data":[]}') })
  const base = `https://${await listen(server as unknown as Server)}/v4`
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  const client = (network: Parameters<typeof createHttpClient>[0]['network']): ReturnType<typeof createHttpClient> => {
    const c = createHttpClient({ name: 'on-prem Trifacta', baseUrl: base, token: 'tok-1234567890', network: { proxy: {}, ...network }, retries: 0 })
    t.teardown(async () => { await c.close() })
    return c
  }
  await t.rejects(client({}).getJson('/flows'), /on-prem Trifacta GET \/flows failed: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/)
  t.same(await client({ caFile: cert }).getJson('/flows'), { data: [] }, 'trusted through ONPREM_API_CA_FILE')
  t.same(await client({ skipTlsVerify: true }).getJson('/flows'), { data: [] }, 'accepted with verification skipped')
  await t.rejects(client({ caFile: join(dir, 'missing.pem') }).getJson('/flows'), /The CA file for on-prem Trifacta \(.*missing\.pem\) cannot be read \(ENOENT\)/)
})

t.test('skipped TLS verification for on-prem shows a warning on every page', async (t) => {
  const { buildTestApp } = await import('../helper.js')
  const ta = await buildTestApp(t, { env: { ONPREM_TLS_SKIP_VERIFY: 'true' } })
  for (const url of ['/', '/settings']) t.match((await ta.app.inject(url)).body, /id="tls-warning"/, url)
  const plain = await buildTestApp(t)
  t.notMatch((await plain.app.inject('/')).body, /id="tls-warning"/)
})
