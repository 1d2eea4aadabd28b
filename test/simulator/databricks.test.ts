import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { request } from 'undici'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'

const now = Date.parse('2026-11-20T10:00:00Z')
let sim: Simulator
let tmp: string
t.before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sim-dbx-test-'))
  sim = await startSimulator({ seed: 'test', now })
})
t.teardown(async () => {
  await sim.close()
  await rm(tmp, { recursive: true, force: true })
})

type Json = Record<string, any>
async function get (path: string, tok = sim.tokens.databricks): Promise<{ status: number; body: Json; text: string }> {
  const res = await fetch(sim.urls.databricks + path, { headers: { authorization: `Bearer ${tok}` } })
  const text = await res.text()
  let body: Json = {}
  try {
    body = JSON.parse(text) as Json
  } catch {}
  return { status: res.status, body, text }
}
async function events (req: Json, version = '2.1'): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${sim.urls.databricks}/api/${version}/clusters/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sim.tokens.databricks}`, 'content-type': 'application/json' },
    body: JSON.stringify(req),
  })
  return { status: res.status, body: (await res.json()) as Json }
}
const q = (p: string): string => encodeURIComponent(p)
async function readAll (path: string, chunk = 1_048_576): Promise<Buffer> {
  const st = (await get(`/api/2.0/dbfs/get-status?path=${q(path)}`)).body
  const offsets: number[] = []
  for (let o = 0; o < st.file_size; o += chunk) offsets.push(o)
  // out of order and concurrent, as a parallel downloader would
  const parts = await Promise.all(
    offsets.reverse().map(async (o) => {
      const r = (await get(`/api/2.0/dbfs/read?path=${q(path)}&offset=${o}&length=${chunk}`)).body
      const b = Buffer.from(r.data as string, 'base64')
      if (b.length !== r.bytes_read) throw new Error('bytes_read mismatch')
      return [o, b] as const
    })
  )
  return Buffer.concat(parts.sort((a, b) => a[0] - b[0]).map((p) => p[1]))
}

/** finds the run's event log folder as the app must: list, then pick the <cluster>_<ip>/<context> folder */
async function contextFolder (runId: number): Promise<{ dest: string; dir: string | null; cluster: Json; run: Json }> {
  const run = (await get(`/api/2.1/jobs/runs/get?run_id=${runId}`)).body
  const inst = run.cluster_instance ?? run.tasks[0].cluster_instance
  const cluster = (await get(`/api/2.1/clusters/get?cluster_id=${inst.cluster_id}`)).body
  const dest = (cluster.cluster_log_conf?.dbfs?.destination ?? 'dbfs:/trifacta/logs') as string
  const root = `${dest}/${inst.cluster_id}/eventlog`
  const l = await get(`/api/2.0/dbfs/list?path=${q(root)}`)
  if (l.status !== 200) return { dest, dir: null, cluster, run }
  for (const d of l.body.files ?? []) {
    const sub = (await get(`/api/2.0/dbfs/list?path=${q(d.path)}`)).body
    const hit = (sub.files ?? []).find((f: Json) => f.path.endsWith(`/${inst.spark_context_id}`))
    if (hit) return { dest, dir: hit.path, cluster, run }
  }
  return { dest, dir: null, cluster, run }
}

t.test('auth and error bodies', async (t) => {
  const bad = await get('/api/2.1/jobs/runs/get?run_id=1', 'x')
  t.equal(bad.status, 401)
  t.match(bad.body, { error_code: String, message: String })
  const aacTok = await get('/api/2.1/jobs/runs/get?run_id=1', sim.tokens.aac)
  t.equal(aacTok.status, 401)
  const missing = await get('/api/2.1/jobs/runs/get?run_id=1')
  t.equal(missing.status, 404)
  t.match(missing.body, { error_code: 'RESOURCE_DOES_NOT_EXIST' })
  t.equal((await get('/api/2.1/jobs/runs/get')).body.error_code, 'INVALID_PARAMETER_VALUE')
  t.equal((await get('/api/2.0/nope')).status, 404)
  const denied = await get(`/api/2.0/dbfs/list?path=${q('dbfs:/restricted')}`)
  t.equal(denied.status, 403)
  t.equal(denied.body.error_code, 'PERMISSION_DENIED')
  sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/read', kind: 'status', status: 429, retryAfter: 1, times: 1 })
  const limited = await get(`/api/2.0/dbfs/read?path=${q('/restricted/README.txt')}`)
  t.equal(limited.status, 429)
  t.equal(limited.body.error_code, 'REQUEST_LIMIT_EXCEEDED')
})

t.test('runs/get: versions, cluster instance, 2.2 task paging', async (t) => {
  const n = sim.world.notable
  const r21 = (await get(`/api/2.1/jobs/runs/get?run_id=${n.rolledParts.runId}`)).body
  t.match(r21, { run_id: n.rolledParts.runId, state: { life_cycle_state: 'TERMINATED' }, cluster_instance: { cluster_id: String, spark_context_id: /^\d{19}$/ } })
  t.equal(r21.tasks.length, 1)
  t.ok(r21.setup_duration > 0 && r21.execution_duration > 0)
  const r20 = (await get(`/api/2.0/jobs/runs/get?run_id=${n.rolledParts.runId}`)).body
  t.equal(r20.tasks, undefined)
  const many = n.manyTasks
  const full = (await get(`/api/2.1/jobs/runs/get?run_id=${many.runId}`)).body
  t.equal(full.tasks.length, many.taskCount)
  t.equal(full.cluster_instance, undefined, 'multi-task: cluster per task only')
  const p1 = (await get(`/api/2.2/jobs/runs/get?run_id=${many.runId}`)).body
  t.equal(p1.tasks.length, 100)
  t.type(p1.next_page_token, 'string')
  const p2 = (await get(`/api/2.2/jobs/runs/get?run_id=${many.runId}&page_token=${p1.next_page_token}`)).body
  t.equal(p2.tasks.length, many.taskCount - 100)
  t.equal(p2.next_page_token, undefined)
  t.same([...p1.tasks, ...p2.tasks].map((x: Json) => x.run_id), full.tasks.map((x: Json) => x.run_id))
  const running = (await get(`/api/2.1/jobs/runs/get?run_id=${n.inProgress.runId}`)).body
  t.equal(running.state.life_cycle_state, 'RUNNING')
  t.equal(running.end_time, 0)
})

t.test('expired run and cluster answer RESOURCE_DOES_NOT_EXIST', async (t) => {
  const r = await get(`/api/2.1/jobs/runs/get?run_id=${sim.world.notable.expired.runId}`)
  t.equal(r.status, 404)
  t.equal(r.body.error_code, 'RESOURCE_DOES_NOT_EXIST')
  const run = sim.world.dbxRuns.get(sim.world.notable.expired.runId)!
  const c = await get(`/api/2.0/clusters/get?cluster_id=${run.clusterId}`)
  t.equal(c.status, 404)
  t.equal(c.body.error_code, 'RESOURCE_DOES_NOT_EXIST')
})

t.test('clusters/get: variants', async (t) => {
  const seen = { autoscale: false, fixed: false, photon: false, standard: false, spot: false, noConf: false, custom: false, trifacta: false }
  for (const c of sim.world.clusters.values()) {
    if (c.startTime < now - sim.world.retentionMs) continue
    const r = await get(`/api/2.1/clusters/get?cluster_id=${c.clusterId}`)
    t.equal(r.status, 200)
    const b = r.body
    if (b.autoscale) seen.autoscale = true
    else if (typeof b.num_workers === 'number') seen.fixed = true
    if (b.runtime_engine === 'PHOTON') seen.photon = true
    else seen.standard = true
    if (b.aws_attributes.availability === 'SPOT_WITH_FALLBACK') seen.spot = true
    const dest = b.cluster_log_conf?.dbfs?.destination
    if (dest === undefined) seen.noConf = true
    else if (dest === 'dbfs:/trifacta/logs') seen.trifacta = true
    else seen.custom = true
    if (Object.values(seen).every(Boolean)) break
  }
  t.same(Object.values(seen), Object.values(seen).map(() => true), JSON.stringify(seen))
  const restarted = sim.world.clusters.get(sim.world.notable.restartedCluster.clusterId)!
  const raw = (await get(`/api/2.1/clusters/get?cluster_id=${restarted.clusterId}`)).text
  t.match(raw, new RegExp(`"spark_context_id":${restarted.sparkContextId}[,}]`), 'int64 context id written as a bare number')
  t.match(JSON.parse(raw).spark_conf, { 'spark.hadoop.fs.s3a.secret.key': String })
})

t.test('clusters/events: paging, order, window, filters', async (t) => {
  const id = sim.world.notable.restartedCluster.clusterId
  const all = await events({ cluster_id: id, order: 'ASC', limit: 500 })
  t.equal(all.status, 200)
  const types = new Set(all.body.events.map((e: Json) => e.type))
  // a fixed-size cluster (two workers, as its Photon log shows) that lost a spot node and restarted its driver
  for (const ty of ['CREATING', 'RUNNING', 'UPSIZE_COMPLETED', 'NODES_LOST', 'RESTARTING', 'DRIVER_HEALTHY', 'RESIZING', 'TERMINATING']) {
    t.ok(types.has(ty), ty)
  }
  // an autoscaling cluster reports its autoscaler
  const scaling = sim.world.dbxRuns.get(sim.world.notable.inProgress.runId)!.clusterId
  const stats = await events({ cluster_id: scaling, order: 'ASC', limit: 500 })
  t.ok(stats.body.events.some((e: Json) => e.type === 'AUTOSCALING_STATS_REPORT'), 'AUTOSCALING_STATS_REPORT')
  const term = all.body.events.find((e: Json) => e.type === 'TERMINATING')
  t.match(term.details.reason, { code: String, type: String })
  // walk next_page until it disappears
  const paged: Json[] = []
  let req: Json | undefined = { cluster_id: id, order: 'ASC', limit: 7 }
  let pages = 0
  while (req) {
    const r = await events(req, '2.0')
    t.equal(r.status, 200)
    paged.push(...r.body.events)
    req = r.body.next_page
    pages++
  }
  t.ok(pages > 2)
  t.same(paged, all.body.events)
  const desc = await events({ cluster_id: id, limit: 500 })
  t.same(desc.body.events, [...all.body.events].reverse(), 'default order DESC')
  t.equal((await events({ cluster_id: id, offset: 5 })).status, 400, 'offset + DESC needs end_time')
  t.equal((await events({ cluster_id: id, limit: 501 })).status, 400)
  const first = all.body.events[0].timestamp as number
  const win = await events({ cluster_id: id, order: 'ASC', start_time: first + 1, end_time: first + 10 * 60_000, limit: 500 })
  t.ok(win.body.events.every((e: Json) => e.timestamp > first && e.timestamp <= first + 600_000))
  const only = await events({ cluster_id: id, order: 'ASC', event_types: ['NODES_LOST'] })
  t.ok(only.body.events.length >= 1 && only.body.events.every((e: Json) => e.type === 'NODES_LOST'))
  const tok1 = await events({ cluster_id: id, page_size: 10 })
  t.type(tok1.body.next_page_token, 'string')
  const tok2 = await events({ cluster_id: id, page_size: 10, page_token: tok1.body.next_page_token })
  t.same(tok2.body.events, desc.body.events.slice(10, 20))
})

t.test('DBFS layout: delivered, rolled parts, several driver folders, empty, not yet, none', async (t) => {
  const n = sim.world.notable
  const rolled = await contextFolder(n.rolledParts.runId)
  t.ok(rolled.dir, 'context folder found')
  const files = ((await get(`/api/2.0/dbfs/list?path=${q(rolled.dir!)}`)).body.files as Json[]).map((f) => f.path.split('/').pop() as string)
  t.ok(files.includes('eventlog'))
  const gz = files.filter((f) => /^eventlog-\d{4}-\d{2}-\d{2}--\d{2}-\d{2}\.gz$/.test(f)).sort()
  t.equal(gz.length, 2)
  // every part decompresses to JSON lines; parts concatenate to a whole log
  for (const f of gz) {
    const buf = await readAll(`${rolled.dir}/${f}`)
    const lines = gunzipSync(buf).toString('utf8').split('\n').filter(Boolean)
    t.ok(lines.length > 100)
    t.ok(lines.every((l) => l.startsWith('{') && typeof JSON.parse(l).Event === 'string'), `${f}: valid JSON lines`)
  }
  const last = (await readAll(`${rolled.dir}/eventlog`)).toString('utf8').split('\n').filter(Boolean)
  t.doesNotThrow(() => JSON.parse(last[0]!))

  const restarted = await contextFolder(n.restartedCluster.runId)
  const ipDirs = (await get(`/api/2.0/dbfs/list?path=${q(`${restarted.dest}/${n.restartedCluster.clusterId}/eventlog`)}`)).body.files
  t.equal(ipDirs.length, 2, 'two driver-ip folders')
  t.ok(restarted.dir)
  t.notOk(restarted.dest.startsWith('dbfs:/trifacta'), 'custom destination')

  const empty = await contextFolder(n.emptyLogFolder.runId)
  t.ok(empty.dir)
  t.same((await get(`/api/2.0/dbfs/list?path=${q(empty.dir!)}`)).body, {}, 'empty directory: no files key')

  const notYet = await contextFolder(n.logsNotDelivered.runId)
  t.equal(notYet.dir, null)
  const clusterDir = (await get(`/api/2.0/dbfs/list?path=${q(`${notYet.dest}/${notYet.cluster.cluster_id}`)}`)).body.files as Json[]
  t.same(clusterDir.map((f) => f.path.split('/').pop()), ['driver'], 'driver logs delivered, event log not yet')

  const fallback = await contextFolder(n.noLogConfFallback.runId)
  t.equal(fallback.cluster.cluster_log_conf, undefined)
  t.ok(fallback.dir, 'found under the default root')

  const none = await contextFolder(n.noLogDelivery.runId)
  t.equal(none.dir, null)
  t.equal((await get(`/api/2.0/dbfs/get-status?path=${q(`dbfs:/trifacta/logs/${none.cluster.cluster_id}`)}`)).status, 404)
})

t.test('DBFS read: chunks, limits, errors; addFile reassembles byte-identical', async (t) => {
  const local = join(tmp, 'big.bin')
  const data = Buffer.alloc(3 * 1_048_576 + 12_345)
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 10)) & 0xff
  await writeFile(local, data)
  const info = await sim.dbfs.addFile('dbfs:/bench/big/eventlog', local)
  t.equal(info.file_size, data.length)
  const st = (await get(`/api/2.0/dbfs/get-status?path=${q('/bench/big/eventlog')}`)).body
  t.match(st, { path: '/bench/big/eventlog', is_dir: false, file_size: data.length })
  const back = await readAll('dbfs:/bench/big/eventlog')
  t.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'))
  const def = (await get(`/api/2.0/dbfs/read?path=${q('/bench/big/eventlog')}`)).body
  t.equal(def.bytes_read, 524_288, 'default length 0.5 MB')
  const eof = (await get(`/api/2.0/dbfs/read?path=${q('/bench/big/eventlog')}&offset=${data.length}&length=100`)).body
  t.same(eof, { bytes_read: 0, data: '' })
  const tail = (await get(`/api/2.0/dbfs/read?path=${q('/bench/big/eventlog')}&offset=${data.length - 10}&length=100`)).body
  t.equal(tail.bytes_read, 10)
  const tooBig = await get(`/api/2.0/dbfs/read?path=${q('/bench/big/eventlog')}&length=1048577`)
  t.equal(tooBig.status, 400)
  t.equal(tooBig.body.error_code, 'MAX_READ_SIZE_EXCEEDED')
  const dir = await get(`/api/2.0/dbfs/read?path=${q('/bench/big')}`)
  t.equal(dir.body.error_code, 'INVALID_PARAMETER_VALUE')
  const missing = await get(`/api/2.0/dbfs/read?path=${q('/bench/nope')}`)
  t.equal(missing.status, 404)
  t.match(missing.body, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'No file or directory exists on path /bench/nope.' })
  t.equal((await get(`/api/2.0/dbfs/list?path=${q('/bench/big/eventlog')}`)).body.files.length, 1, 'list on a file')
})

t.test('faults on Databricks: truncate, reset mid-download, request count', async (t) => {
  sim.resetRequests()
  sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/read', kind: 'truncate', times: 1 })
  const r = await request(`${sim.urls.databricks}/api/2.0/dbfs/read?path=${q('/bench/big/eventlog')}&length=1048576`, {
    headers: { authorization: `Bearer ${sim.tokens.databricks}` },
  })
  await t.rejects(r.body.text())
  sim.faults.add({ upstream: 'databricks', path: /dbfs\/read/, kind: 'reset', times: 2 })
  await t.rejects(fetch(`${sim.urls.databricks}/api/2.0/dbfs/read?path=${q('/bench/big/eventlog')}`, { headers: { authorization: `Bearer ${sim.tokens.databricks}` } }))
  await t.rejects(fetch(`${sim.urls.databricks}/api/2.0/dbfs/read?path=${q('/bench/big/eventlog')}`, { headers: { authorization: `Bearer ${sim.tokens.databricks}` } }))
  t.equal((await get(`/api/2.0/dbfs/read?path=${q('/bench/big/eventlog')}&length=10`)).status, 200)
  t.equal(sim.requests('databricks', '/api/2.0/dbfs/read'), 4)
})
