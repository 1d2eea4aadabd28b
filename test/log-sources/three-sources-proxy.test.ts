import t from 'tap'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProxy } from 'proxy'
import { analyseTaskKey, downloadTaskKey } from '../../src/databricks/dbx-service.js'
import { VOLUME_LOG_DEST } from '../../src/simulator/world-dbx.js'
import { notable, seedDbxFlow, type NotableRun } from '../helper-dbx.js'
import { buildTestApp } from '../helper.js'

/*
 * The done-when of issue 11: one run's event log from each destination (DBFS, a Unity Catalog volume, S3) downloads
 * and analyses in the app, every upstream call going through an HTTP proxy. Demo mode: the S3 requests are signed
 * with the simulator's demo keys, as `npm start` does without credentials.
 */

t.test('DBFS, a volume and S3, through a proxy, in the demo: downloaded and analysed from the run page', async (t) => {
  const proxied: string[] = []
  const proxy = createProxy(createServer())
  proxy.on('request', (req) => { proxied.push(new URL(req.url ?? '/', 'http://x').host) })
  proxy.on('connect', (req) => { proxied.push(req.url ?? '') })
  await new Promise<void>((resolve) => (proxy as Server).listen(0, '127.0.0.1', resolve))
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  t.teardown(async () => { proxy.closeAllConnections(); await new Promise((resolve) => proxy.close(resolve)) })
  // every upstream client reads the standard variables when it is made
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy }
  process.env.HTTP_PROXY = proxyUrl
  process.env.HTTPS_PROXY = proxyUrl
  delete process.env.NO_PROXY
  delete process.env.no_proxy
  t.teardown(() => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v } })

  const ta = await buildTestApp(t, { sim: { seed: 'three-sources' }, env: { DEMO_MODE: 'on', UPSTREAM_TIMEOUT_MS: '20000' } })
  t.ok(ta.services.upstreams.demo, 'the demo: no AWS credentials configured')
  const FLOW = 'Three destinations'
  const runs: Array<[NotableRun, RegExp]> = [['rolledParts', /^dbfs:\//], ['volumeLogs', new RegExp(`^${VOLUME_LOG_DEST}`)], ['s3Logs', /^s3:\/\/tri-sim-logs\/cluster-logs$/]]
  await seedDbxFlow(ta.services.store, ta.sim, FLOW, runs.map(([k]) => k))
  ta.sim.resetRequests()
  for (const [key, destination] of runs) {
    const n = notable(ta.sim, key)
    const url = `/flows/${encodeURIComponent(FLOW)}/runs/${n.jobGroupId}/eventlog/download`
    const res = await ta.app.inject({ method: 'POST', url, headers: { 'hx-request': 'true' } })
    t.ok(res.statusCode < 400, `${key}: download started (${res.statusCode})`)
    await ta.services.tasks.wait(downloadTaskKey(FLOW, n.runId))
    const dl = ta.services.tasks.get(downloadTaskKey(FLOW, n.runId))
    t.equal(dl?.status, 'done', `${key}: downloaded ${dl?.error ?? ''}`)
    await ta.services.tasks.wait(analyseTaskKey(FLOW, n.runId))
    t.equal(ta.services.tasks.get(analyseTaskKey(FLOW, n.runId))?.status, 'done', `${key}: analysed`)
    const manifest = await ta.services.store.eventLogs(FLOW, n.runId).readManifest()
    t.match(manifest?.source.destination ?? '', destination, `${key}: from ${manifest?.source.destination ?? '?'}`)
    t.ok((manifest?.totalBytes ?? 0) > 0)
    const dash = await ta.app.inject(`/flows/${encodeURIComponent(FLOW)}/runs/${n.jobGroupId}/dashboard`)
    t.equal(dash.statusCode, 200, `${key}: its dashboard`)
  }
  t.ok(ta.sim.requests('s3') >= 4, `${ta.sim.requests('s3')} S3 requests (listings of 2 keys a page, HEADs, ranged GETs)`)
  t.ok(ta.sim.requests('databricks', '/api/2.0/dbfs/read') > 0, 'DBFS reads')
  t.ok(ta.sim.requests('databricks', '/api/2.0/fs/files/') > 0, 'Files API reads')
  const host = (u: string): string => new URL(u).host
  t.ok(proxied.includes(host(ta.sim.urls.databricks)), 'Databricks (DBFS and the Files API) through the proxy')
  t.ok(proxied.includes(host(ta.sim.urls.s3)), 'S3 through the proxy')
  t.notOk(ta.logLines.some((l) => l.includes(ta.sim.aws.secretAccessKey)), 'the AWS secret is never logged')
})
