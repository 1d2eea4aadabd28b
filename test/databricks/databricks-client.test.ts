import t from 'tap'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { createDatabricksClient, isResourceGone, parseCluster, parseEvent, parseFileInfo, parseRun, type DatabricksClient } from '../../src/databricks/databricks-client.js'
import { UpstreamError } from '../../src/http/upstream-error.js'
import { parseJsonKeepingBigInts } from '../../src/http/http-client.js'
import { notable } from '../helper-dbx.js'

let sim: Simulator
let client: DatabricksClient
t.before(async () => {
  sim = await startSimulator({ seed: 'dbx-client' })
  client = createDatabricksClient({ host: sim.urls.databricks, token: sim.tokens.databricks, baseDelayMs: 5, timeoutMs: 5000 })
})
t.teardown(async () => {
  await client.close()
  await sim.close()
})

t.test('runs/get: a single-task run with a top-level cluster_instance, ids as exact strings', async (t) => {
  const n = notable(sim, 'restartedCluster')
  const run = await client.getRun(n.runId)
  const simRun = sim.world.dbxRuns.get(Number(n.runId))!
  t.equal(run.runId, n.runId)
  t.equal(run.clusterInstance?.clusterId, simRun.clusterId)
  t.equal(run.clusterInstance?.sparkContextId, simRun.sparkContextId, 'spark_context_id beyond 2^53 kept exact')
  t.equal(run.state.lifeCycle, 'TERMINATED')
  t.equal(run.setupMs, simRun.setupMs)
  t.ok(run.runPageUrl?.startsWith(sim.urls.databricks))
})

t.test('runs/get: more than 100 tasks are paged with page_token (2.2)', async (t) => {
  const n = notable(sim, 'manyTasks')
  sim.resetRequests()
  const run = await client.getRun(n.runId)
  t.equal(run.tasks.length, sim.world.notable.manyTasks.taskCount)
  t.equal(run.pages, 2)
  t.equal(sim.requests('databricks', '/api/2.2/jobs/runs/get'), 2)
  t.equal(run.clusterInstance, null, 'multi-task runs have no top-level cluster')
  t.ok(run.tasks.every((x) => x.clusterInstance !== null))
  t.equal(new Set(run.tasks.map((x) => x.taskKey)).size, run.tasks.length, 'no task twice')
})

t.test('runs/get of an expired run: RESOURCE_DOES_NOT_EXIST, recognised as gone, no token in the error', async (t) => {
  const n = notable(sim, 'expired')
  const err = await client.getRun(n.runId).catch((e: unknown) => e)
  t.type(err, UpstreamError)
  t.equal((err as UpstreamError).code, 'RESOURCE_DOES_NOT_EXIST')
  t.ok(isResourceGone(err))
  t.notOk(JSON.stringify({ ...(err as object), message: (err as Error).message, stack: (err as Error).stack }).includes(sim.tokens.databricks))
})

t.test('clusters/get and paged clusters/events cover the run window', async (t) => {
  const n = notable(sim, 'restartedCluster')
  const simRun = sim.world.dbxRuns.get(Number(n.runId))!
  const cluster = await client.getCluster(simRun.clusterId)
  t.equal(cluster.clusterId, simRun.clusterId)
  t.equal(cluster.sparkContextId, simRun.sparkContextId)
  t.ok(cluster.sparkVersion)
  t.equal(cluster.logConf?.kind, 'dbfs')
  t.ok(Object.keys(cluster.sparkConf).length > 0)
  const window = { startTime: simRun.startTime - 60_000, endTime: simRun.endTime + 30 * 60_000 }
  const all = await client.clusterEvents(simRun.clusterId, window)
  t.ok(all.events.length > 12, `${all.events.length} events`)
  t.equal(all.pages, 1)
  sim.resetRequests()
  const paged = await client.clusterEvents(simRun.clusterId, window, { pageSize: 4 })
  t.ok(paged.pages > 3, `${paged.pages} pages`)
  t.equal(sim.requests('databricks', '/api/2.1/clusters/events'), paged.pages)
  t.same(paged.events.map((e) => `${e.timestamp}:${e.type}`), all.events.map((e) => `${e.timestamp}:${e.type}`), 'same events, same order, no duplicate')
  t.ok(paged.events.every((e, i) => i === 0 || paged.events[i - 1]!.timestamp <= e.timestamp), 'oldest first')
  const types = new Set(all.events.map((e) => e.type))
  for (const ty of ['CREATING', 'DRIVER_HEALTHY', 'NODES_LOST', 'TERMINATING']) t.ok(types.has(ty), ty)
  const lost = all.events.find((e) => e.type === 'NODES_LOST')!
  t.equal(lost.details.reason?.code, 'SPOT_INSTANCE_TERMINATION')
  t.ok(lost.details.currentNumWorkers !== null && lost.details.targetNumWorkers !== null)
  const capped = await client.clusterEvents(simRun.clusterId, window, { pageSize: 5, maxPages: 2 })
  t.equal(capped.truncated, true, 'the page cap says so')
  t.equal(capped.events.length, 10)
})

t.test('clusters/events survives 429 with Retry-After and a 503 on the way', async (t) => {
  const n = notable(sim, 'rolledParts')
  const simRun = sim.world.dbxRuns.get(Number(n.runId))!
  sim.faults.add({ upstream: 'databricks', path: '/api/2.1/clusters/events', kind: 'status', status: 429, retryAfter: 0, times: 1 })
  sim.faults.add({ upstream: 'databricks', path: '/api/2.1/clusters/events', kind: 'status', status: 503, times: 1 })
  const res = await client.clusterEvents(simRun.clusterId, { startTime: simRun.startTime - 60_000, endTime: simRun.endTime + 60_000 }, { pageSize: 3 })
  t.ok(res.events.length > 3)
})

t.test('DBFS: an empty directory has no files key; get-status; reads are base64 decoded', async (t) => {
  sim.dbfs.mkdirs('/tmp/empty-dir')
  t.same(await client.dbfsList('dbfs:/tmp/empty-dir/'), [])
  sim.dbfs.putText('/tmp/hello.txt', 'héllo world')
  const st = await client.dbfsGetStatus('dbfs:/tmp/hello.txt')
  t.equal(st.path, '/tmp/hello.txt')
  t.equal(st.fileSize, Buffer.byteLength('héllo world'))
  t.equal((await client.dbfsRead('/tmp/hello.txt', 0, 1_048_576)).toString(), 'héllo world')
  t.equal((await client.dbfsRead('/tmp/hello.txt', 7, 100)).toString(), 'world')
  t.equal((await client.dbfsRead('/tmp/hello.txt', 999, 100)).length, 0, 'past EOF: nothing')
  await t.rejects(client.dbfsRead('/tmp/hello.txt', 0, 1_048_577), RangeError)
  const missing = await client.dbfsList('/no/such/dir').catch((e: unknown) => e)
  t.ok(isResourceGone(missing))
})

t.test('tolerant parsing: unknown types and codes, ids as numbers or strings, missing fields', async (t) => {
  const ev = parseEvent({ timestamp: '1717000000000', type: 'SOMETHING_NEW', details: { reason: { code: 'BRAND_NEW_CODE', type: 'WEIRD' }, current_num_workers: '3', mystery: { a: 1 } } })
  t.equal(ev?.type, 'SOMETHING_NEW')
  t.equal(ev?.details.reason?.code, 'BRAND_NEW_CODE')
  t.equal(ev?.details.currentNumWorkers, 3)
  t.equal(parseEvent({ type: 'X' }), null, 'no timestamp: skipped')
  t.equal(parseEvent('garbage'), null)
  const run = parseRun({ run_id: 611204053596050, cluster_instance: { cluster_id: 'c1', spark_context_id: '8973803133475064931' }, end_time: 0, state: { life_cycle_state: 'NEW_STATE' } }, '1')
  t.equal(run.runId, '611204053596050')
  t.equal(run.endTime, null, 'end_time 0 means still running')
  t.equal(run.clusterInstance?.sparkContextId, '8973803133475064931')
  t.equal(run.state.lifeCycle, 'NEW_STATE')
  const c = parseCluster({ spark_version: '14.3.x-photon-scala2.12', termination_reason: { code: 'NEVER_SEEN_BEFORE' }, spark_context_id: 12 }, 'cid')
  t.equal(c.clusterId, 'cid')
  t.equal(c.photon, true, 'Photon implied by the runtime name')
  t.equal(c.terminationReason?.code, 'NEVER_SEEN_BEFORE')
  t.equal(c.sparkContextId, '12')
  t.same(c.sparkConf, {})
  t.same(parseJsonKeepingBigInts('{"a": 8973803133475064931, "b": [1, 2], "c": "x\\": 12345678901234567", "t": 1717000000000}'),
    { a: '8973803133475064931', b: [1, 2], c: 'x": 12345678901234567', t: 1717000000000 }, 'long integers kept as strings, strings untouched')
  t.same(parseFileInfo({ path: 'dbfs:/a/b' }), { path: '/a/b', isDir: false, fileSize: 0, modificationTime: null })
  t.equal(parseFileInfo({}), null)
})

t.test('non-JSON and numeric-code error bodies; the token goes to the workspace host only', async (t) => {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    if (req.url?.startsWith('/api/2.1/clusters/get')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('RESOURCE_DOES_NOT_EXIST: Cluster x does not exist')
    } else if (req.url?.startsWith('/api/2.0/dbfs/list')) {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"error_code": 403, "message": "Invalid access token."}')
    } else {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const token = 'dapi-secret-token-value-123456'
  const c = createDatabricksClient({ host: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ignored/path`, token, baseDelayMs: 1, retries: 1 })
  t.teardown(async () => { await c.close() })
  const gone = await c.getCluster('x').catch((e: unknown) => e) as UpstreamError
  t.equal(gone.code, 'RESOURCE_DOES_NOT_EXIST')
  t.ok(isResourceGone(gone))
  const denied = await c.dbfsList('/x').catch((e: unknown) => e) as UpstreamError
  t.equal(denied.kind, 'auth')
  t.equal(denied.code, '403')
  const bad = await c.dbfsGetStatus('/x').catch((e: unknown) => e) as UpstreamError
  t.equal(bad.status, 502)
  t.match(bad.message, /502 Bad Gateway/)
  for (const e of [gone, denied, bad]) t.notOk(`${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`.includes(token))
  t.ok(seen.every((h) => h.authorization === `Bearer ${token}`), 'every request carried the token to this host')
  t.equal(c.host, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'the path part of DATABRICKS_HOST is ignored')
})

t.test('does-not-exist messages are "gone" as the Databricks SDKs map them', async (t) => {
  const e = (status: number, code: string, msg: string): UpstreamError => new UpstreamError({ upstream: 'Databricks', kind: 'http', status, code, upstreamMessage: msg, message: msg })
  t.ok(isResourceGone(e(400, 'INVALID_PARAMETER_VALUE', 'Run 611203884112345 does not exist')))
  t.ok(isResourceGone(e(400, 'INVALID_PARAMETER_VALUE', "Run: 611203884112345 in job: 42 doesn't exist")))
  t.ok(isResourceGone(e(400, 'INVALID_PARAMETER_VALUE', 'Cluster 0101-abc does not exist')))
  t.notOk(isResourceGone(e(400, 'INVALID_PARAMETER_VALUE', 'page_size must be between 0 and 500')))
  t.notOk(isResourceGone(e(400, 'INVALID_STATE', 'Run 1 does not exist')))
})
