import t from 'tap'
import type { Test } from 'tap'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp, type TestApp } from '../helper.js'
import { dbfsBytes, notable, seedDbxFlow } from '../helper-dbx.js'
import { downloadTaskKey, analyseTaskKey } from '../../src/databricks/dbx-service.js'

const FLOW = 'DBX drill-down'
const HX = { 'hx-request': 'true' }
const base = (jobGroupId: number): string => `/flows/${encodeURIComponent(FLOW)}/runs/${jobGroupId}`

async function setup (t: Test, opts: Parameters<typeof buildTestApp>[1] = {}): Promise<TestApp> {
  const ta = await buildTestApp(t, opts)
  await seedDbxFlow(ta.services.store, ta.sim, FLOW)
  return ta
}

function noToken (t: Test, ta: TestApp, text: string, what: string): void {
  t.notOk(text.includes(ta.sim.tokens.databricks), `${what}: no Databricks token`)
}

t.test('panel as an htmx fragment and as a full page', async (t) => {
  const ta = await setup(t)
  const n = notable(ta.sim, 'restartedCluster')
  const frag = await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })
  t.equal(frag.statusCode, 200)
  t.match(frag.headers['content-type'], /text\/html/)
  t.match(String(frag.headers.vary), /HX-Request/i)
  t.notMatch(frag.body, /<html/i, 'a fragment has no <html>')
  t.match(frag.body, new RegExp(`^\\s*<section id="dbx-panel-${n.jobGroupId}" class="dbx-panel"`))
  t.match(frag.body, /hx-post="[^"]+\/dbx\/refresh" hx-target="closest \.dbx-panel" hx-swap="outerHTML"/)
  t.match(frag.body, `<div id="download-progress-${n.jobGroupId}" class="download-progress progress-box" tabindex="-1" data-autofocus>`)
  t.match(frag.body, /hx-post="[^"]+\/eventlog\/download" hx-target="closest \.download-progress" hx-swap="outerHTML"/)
  t.match(frag.body, /<form method="post" action="[^"]+\/eventlog\/download"/, 'works without JS')
  // run
  t.match(frag.body, /TERMINATED/)
  t.match(frag.body, /<dt>Setup<\/dt>/)
  t.match(frag.body, /<dt>Execution<\/dt>/)
  t.match(frag.body, /<dt>Cleanup<\/dt>/)
  t.ok(frag.body.includes(`href="${ta.sim.urls.databricks}/`), 'links to the run page on DATABRICKS_HOST')
  // cluster
  for (const label of ['Runtime', 'Photon', 'Driver node', 'Worker nodes', 'Size', 'Availability', 'Elastic disk', 'Auto-termination', 'Terminated']) t.match(frag.body, new RegExp(`<dt>${label}</dt>`), label)
  // spark conf masked, references kept
  t.notMatch(frag.body, /wJalrXUtnFEMI/, 'secret key value masked')
  t.notMatch(frag.body, /AKIAIOSFODNN7EXAMPLE/, 'access key masked')
  t.notMatch(frag.body, /dapi0f3c9a7be/, 'PAT-looking value masked')
  t.match(frag.body, /\{\{secrets\/trifacta\/metastore-password\}\}/, 'secret reference shown as a reference')
  t.match(frag.body, /spark\.sql\.shuffle\.partitions/)
  // events
  t.match(frag.body, /<ol class="dbx-timeline">/)
  t.match(frag.body, /NODES_LOST/)
  t.match(frag.body, /SPOT_INSTANCE_TERMINATION/)
  t.match(frag.body, /TERMINATING/)
  t.match(frag.body, /DRIVER_NOT_RESPONDING/)

  const page = await ta.app.inject(`${base(n.jobGroupId)}/dbx`)
  t.equal(page.statusCode, 200)
  t.match(page.body, /^<!doctype html>/)
  t.match(page.body, `<section id="dbx-panel-${n.jobGroupId}"`)
  t.match(String(page.headers.vary), /HX-Request/i)
  const restore = await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: { ...HX, 'hx-history-restore-request': 'true' } })
  t.match(restore.body, /^<!doctype html>/, 'a history restore gets the full page')

  // cached: the second view does not ask Databricks
  ta.sim.resetRequests()
  const again = await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })
  t.equal(again.statusCode, 200)
  t.equal(ta.sim.requests('databricks'), 0, 'a settled run is served from flows/<flow>/dbx/<id>.json')
  const cache = await ta.services.store.readDbx(FLOW, n.runId)
  t.ok(cache !== null)
  const cacheText = JSON.stringify(cache)
  t.notMatch(cacheText, /wJalrXUtnFEMI|AKIAIOSFODNN7EXAMPLE|dapi0f3c9a7be/, 'the cache holds no secret')
  noToken(t, ta, cacheText, 'cache')
  const refreshed = await ta.app.inject({ method: 'POST', url: `${base(n.jobGroupId)}/dbx/refresh`, headers: HX })
  t.equal(refreshed.statusCode, 200)
  t.match(refreshed.body, new RegExp(`^\\s*<section id="dbx-panel-${n.jobGroupId}"`))
  t.ok(ta.sim.requests('databricks', '/api/2.2/jobs/runs/get') >= 1, 'refresh asks Databricks')
  const noJs = await ta.app.inject({ method: 'POST', url: `${base(n.jobGroupId)}/dbx/refresh` })
  t.equal(noJs.statusCode, 303)
  t.equal(noJs.headers.location, `${base(n.jobGroupId)}/dbx`)
  for (const r of [frag, page, again, refreshed]) noToken(t, ta, r.body, 'page')
})

t.test('two DBX panels open on one page share no element id (htmx targets them by class)', async (t) => {
  const ta = await setup(t)
  const ids = async (key: 'restartedCluster' | 'rolledParts'): Promise<string[]> => {
    const res = await ta.app.inject({ url: `${base(notable(ta.sim, key).jobGroupId)}/dbx`, headers: HX })
    t.equal(res.statusCode, 200)
    t.notMatch(res.body, /hx-target="[^"]*#/, 'no htmx target names a fixed id')
    return [...res.body.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]!)
  }
  const a = await ids('restartedCluster')
  const b = await ids('rolledParts')
  t.ok(a.includes(`dbx-panel-${notable(ta.sim, 'restartedCluster').jobGroupId}`) && a.includes(`download-progress-${notable(ta.sim, 'restartedCluster').jobGroupId}`))
  t.same(a.filter((id) => b.includes(id)), [], 'ids unique per run')
  t.equal(new Set(a).size, a.length, 'and within one panel')
})

t.test('multi-task run: durations from tasks, cluster from the tasks', async (t) => {
  const ta = await setup(t)
  const n = notable(ta.sim, 'manyTasks')
  const res = await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })
  t.equal(res.statusCode, 200)
  t.match(res.body, /phases summed over 130 tasks/)
  t.match(res.body, /<dt>Runtime<\/dt><dd>[^<–]+<\/dd>/, 'the cluster was found through the tasks')
})

t.test('expired run: a clear message without cache, the cache marked "from cache" with one', async (t) => {
  const ta = await setup(t)
  const n = notable(ta.sim, 'expired')
  const res = await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })
  t.equal(res.statusCode, 200)
  t.match(res.body, /Databricks keeps runs about 60 days; this one is gone\./)
  t.notMatch(res.body, /\/eventlog\/download"/, 'nothing to download')
  t.match(res.body, /action="[^"]+\/eventlog\/upload"/, 'a log file the user has can still be uploaded')
  // a copy saved while the run was fresh (taken from a live run, filed under the expired id)
  const live = notable(ta.sim, 'rolledParts')
  await ta.app.inject({ url: `${base(live.jobGroupId)}/dbx`, headers: HX })
  const saved = await ta.services.store.readDbx(FLOW, live.runId)
  await ta.services.store.writeDbx(FLOW, n.runId, { ...(saved!.data as object), run: { ...(saved!.data as { run: object }).run, lifeCycle: 'RUNNING' } })
  const cached = await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })
  t.match(cached.body, /<strong>From cache\.<\/strong>/)
  t.match(cached.body, /this one is gone\. Showing the copy saved on/)
  t.match(cached.body, /<dt>Runtime<\/dt>/, 'the cached details still show')
})

t.test('not configured, unknown runs, bad ids', async (t) => {
  const ta = await setup(t)
  const n = notable(ta.sim, 'rolledParts')
  await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })
  ta.services.upstreams.reconfigure({ config: ta.services.upstreams.config, demo: false, targets: { ...ta.services.upstreams.targets, databricks: null } })
  const cached = await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })
  t.equal(cached.statusCode, 200)
  t.match(cached.body, /Databricks is not configured; showing the copy saved earlier\./)
  t.match(cached.body, /Databricks is not configured, so the event log cannot be downloaded\./)
  const other = notable(ta.sim, 'manyTasks')
  const none = await ta.app.inject({ url: `${base(other.jobGroupId)}/dbx`, headers: HX })
  t.equal(none.statusCode, 200)
  t.match(none.body, /Databricks is not configured: set DATABRICKS_HOST and DATABRICKS_TOKEN/)
  const dl = await ta.app.inject({ method: 'POST', url: `${base(other.jobGroupId)}/eventlog/download`, headers: HX })
  t.equal(dl.statusCode, 409)
  t.match(dl.body, /id="flash"/, 'htmx errors land in #flash')
  const missing = await ta.app.inject({ url: `${base(1)}/dbx`, headers: HX })
  t.equal(missing.statusCode, 404)
  const bad = await ta.app.inject({ url: `/flows/${encodeURIComponent(FLOW)}/runs/abc/dbx` })
  t.equal(bad.statusCode, 400)
  const noFlow = await ta.app.inject({ url: '/flows/nope/runs/1/dbx' })
  t.equal(noFlow.statusCode, 404)
})

t.test('download from the panel: progress partial polls, parts land on disk, analysis follows; cancel', async (t) => {
  const ta = await setup(t)
  const n = notable(ta.sim, 'rolledParts')
  await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })
  const slow = ta.sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/read', kind: 'latency', ms: 30 })
  const start = await ta.app.inject({ method: 'POST', url: `${base(n.jobGroupId)}/eventlog/download`, headers: HX })
  t.equal(start.statusCode, 200)
  t.notMatch(start.body, /<html/i)
  t.match(start.body, /^\s*<div id="download-progress-\d+"[^>]* hx-get="[^"]+\/eventlog\/progress" hx-trigger="every 1s" hx-target="this" hx-swap="outerHTML"/)
  let polls = 0
  let sawBar = false
  for (;;) {
    const p = await ta.app.inject({ url: `${base(n.jobGroupId)}/eventlog/progress`, headers: HX })
    t.equal(p.statusCode, 200)
    noToken(t, ta, p.body, 'progress')
    if (/role="progressbar" aria-labelledby="download-label-\d+" aria-valuemin="0" aria-valuemax="100" aria-valuenow="\d+"/.test(p.body) && /parts \d+ \/ 3/.test(p.body)) sawBar = true
    if (!/hx-trigger="every 1s"/.test(p.body)) {
      t.match(p.body, /Downloaded 3 parts/)
      t.match(p.body, /analysed|analysis failed/)
      break
    }
    if (++polls > 400) throw new Error('the download never finished')
    await sleep(25)
  }
  slow()
  t.ok(sawBar, 'a progress bar with aria-valuenow while running')
  const dir = ta.services.store.eventLogs(FLOW, n.runId).dir
  const files = (await readdir(dir)).sort()
  t.ok(files.includes('manifest.json'))
  t.ok(files.includes('eventlog'))
  t.notOk(files.some((f) => f.endsWith('.partial')))
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { parts: Array<{ name: string, dbfsPath: string, size: number }> }
  t.equal(manifest.parts.length, 3)
  t.equal(manifest.parts[2]!.name, 'eventlog', 'Databricks order kept')
  for (const p of manifest.parts) t.ok((await readFile(join(dir, p.name))).equals(await dbfsBytes(ta.sim, p.dbfsPath)), `${p.name} identical`)
  t.equal(ta.services.tasks.get(analyseTaskKey(FLOW, n.runId))?.status, 'done', 'the analysis ran after the download')
  t.ok(files.includes('analysis.json'), 'analysis.json beside the parts')

  // no-JS: 303 back to the run page
  const noJs = await ta.app.inject({ method: 'POST', url: `${base(n.jobGroupId)}/eventlog/download` })
  t.equal(noJs.statusCode, 303)
  t.equal(noJs.headers.location, base(n.jobGroupId))
  await ta.services.tasks.wait(downloadTaskKey(FLOW, n.runId))

  // cancel a big one
  const big = notable(ta.sim, 'restartedCluster')
  const slower = ta.sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/read', kind: 'latency', ms: 80 })
  await ta.app.inject({ method: 'POST', url: `${base(big.jobGroupId)}/eventlog/download`, headers: HX })
  // the simulator first moves the 142 MB log to the run's time (a few seconds on a busy machine)
  for (const until = Date.now() + 90_000; Date.now() < until && (ta.services.tasks.get(downloadTaskKey(FLOW, big.runId))?.progress.done ?? 0) === 0;) await sleep(20)
  const cancel = await ta.app.inject({ method: 'POST', url: `${base(big.jobGroupId)}/eventlog/cancel`, headers: HX })
  slower()
  t.equal(cancel.statusCode, 200)
  t.match(cancel.body, /Download cancelled at/)
  t.match(cancel.body, /Resume download/)
  t.notMatch(cancel.body, /hx-trigger/, 'no more polling')
  t.equal(ta.services.tasks.get(downloadTaskKey(FLOW, big.runId))?.status, 'cancelled')
})

t.test('not found outcomes explain why and what to do', async (t) => {
  const ta = await setup(t)
  for (const [key, text] of [['noLogDelivery', /cluster_log_conf/], ['logsNotDelivered', /retry in a few minutes/i], ['emptyLogFolder', /holds no event log file/]] as const) {
    const n = notable(ta.sim, key)
    await ta.app.inject({ method: 'POST', url: `${base(n.jobGroupId)}/eventlog/download`, headers: HX })
    await ta.services.tasks.wait(downloadTaskKey(FLOW, n.runId))
    const p = await ta.app.inject({ url: `${base(n.jobGroupId)}/eventlog/progress`, headers: HX })
    t.match(p.body, /class="download-outcome outcome-/, key)
    t.match(p.body, text, key)
    t.match(p.body, /Try again/)
  }
})

t.test('runs table and run page expand the panel in place', async (t) => {
  const ta = await setup(t)
  const n = notable(ta.sim, 'rolledParts')
  const flow = await ta.app.inject(`/flows/${encodeURIComponent(FLOW)}`)
  t.equal(flow.statusCode, 200)
  const link = new RegExp(`<a class="details" href="${base(n.jobGroupId)}"[^>]* hx-get="${base(n.jobGroupId)}/dbx" hx-target="#dbx-slot-${n.jobGroupId}" hx-swap="innerHTML"[^>]*>DBX ▸</a>`)
  t.match(flow.body, link)
  t.match(flow.body, new RegExp(`<td colspan="\\d+" id="dbx-slot-${n.jobGroupId}" class="dbx-slot"></td>`))
  const run = await ta.app.inject(base(n.jobGroupId))
  t.equal(run.statusCode, 200)
  t.match(run.body, new RegExp(`<div id="dbx-slot-${n.jobGroupId}" class="dbx-slot" hx-get="${base(n.jobGroupId)}/dbx" hx-trigger="load" hx-swap="innerHTML">`))
  t.match(run.body, new RegExp(`<a href="${base(n.jobGroupId)}/dbx">`), 'a plain link without JS')
})

t.test('the Databricks token never shows in pages, JSON, logs or errors', async (t) => {
  const ta = await setup(t)
  const bodies: string[] = []
  for (const key of ['restartedCluster', 'expired', 'noLogDelivery', 'inProgress'] as const) {
    const n = notable(ta.sim, key)
    bodies.push((await ta.app.inject({ url: `${base(n.jobGroupId)}/dbx`, headers: HX })).body)
    bodies.push((await ta.app.inject(`${base(n.jobGroupId)}/dbx`)).body)
    await ta.app.inject({ method: 'POST', url: `${base(n.jobGroupId)}/eventlog/download`, headers: HX })
    await ta.services.tasks.wait(downloadTaskKey(FLOW, n.runId))
    bodies.push((await ta.app.inject({ url: `${base(n.jobGroupId)}/eventlog/progress`, headers: HX })).body)
  }
  // upstream failures: auth refused, server errors
  ta.sim.faults.add({ upstream: 'databricks', kind: 'status', status: 500 })
  const n = notable(ta.sim, 'manyTasks')
  const failed = await ta.app.inject({ method: 'POST', url: `${base(n.jobGroupId)}/dbx/refresh`, headers: HX })
  t.match(failed.body, /Databricks GET \/api\/2\.2\/jobs\/runs\/get answered 500/)
  bodies.push(failed.body)
  ta.sim.faults.clear()
  bodies.push((await ta.app.inject('/api/flows')).body)
  for (const task of ta.services.tasks.list()) bodies.push(JSON.stringify(task))
  const dataFiles = await readdir(ta.dataDir, { recursive: true })
  for (const f of dataFiles.filter((x) => x.endsWith('.json'))) bodies.push(await readFile(join(ta.dataDir, f), 'utf8'))
  t.ok(ta.logLines.length > 0)
  for (const b of [...bodies, ...ta.logLines]) noToken(t, ta, b, b.slice(0, 60))
})
