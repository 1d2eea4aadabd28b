import t from 'tap'
import type { Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp, type TestApp } from '../helper.js'
import { notable, seedDbxFlow } from '../helper-dbx.js'
import { downloadTaskKey } from '../../src/databricks/dbx-service.js'
import type { FaultSpec } from '../../src/simulator/index.js'

/*
 * Issue 12: upstreams that answer with hostile bodies (huge, endless, trickling, back-tracking, absurd sizes), from
 * the simulator over real HTTP on 127.0.0.1. Each case checks that the app keeps answering other requests within
 * 1 s while it happens, that memory stays within a few hundred MB, and that the user reads a clear message.
 */
const HX = { 'hx-request': 'true' }
const MB = 1024 * 1024
// 8 MiB over loopback can take seconds on a loaded shared machine: the size cap, not the 3 s test timeout, must end these
const SLOW_MACHINE = { UPSTREAM_TIMEOUT_MS: '30000' }

interface Watch { maxLatencyMs: number, maxRssGrowthMb: number, probes: number }

/**
 * Asks the app for a small page every 50 ms until `work` settles: the slowest answer (the event loop stays free)
 * and the memory peak.
 */
async function watch<T> (ta: TestApp, work: Promise<T>): Promise<{ value: T, watch: Watch }> {
  const base = process.memoryUsage().rss
  const w: Watch = { maxLatencyMs: 0, maxRssGrowthMb: 0, probes: 0 }
  const state = { settled: false }
  const done = work.finally(() => { state.settled = true })
  while (!state.settled) {
    const start = performance.now()
    const res = await ta.app.inject('/favicon.ico')
    if (res.statusCode >= 400) throw new Error(`a probe answered ${res.statusCode}`)
    w.maxLatencyMs = Math.max(w.maxLatencyMs, performance.now() - start)
    w.maxRssGrowthMb = Math.max(w.maxRssGrowthMb, (process.memoryUsage().rss - base) / MB)
    w.probes++
    await sleep(50)
  }
  return { value: await done, watch: w }
}

function healthy (t: Test, w: Watch): void {
  t.ok(w.probes > 0, `${w.probes} probes`)
  t.ok(w.maxLatencyMs < 1000, `other pages answered within 1 s (slowest ${w.maxLatencyMs.toFixed(0)} ms)`)
  t.ok(w.maxRssGrowthMb < 300, `memory grew by less than 300 MB (${w.maxRssGrowthMb.toFixed(0)} MB)`)
}

/** Adds a flow, collects it through htmx while watching, and returns its saved collection status. */
async function collectWatched (t: Test, ta: TestApp, fault: Omit<FaultSpec, 'upstream'> & { upstream?: FaultSpec['upstream'] }): Promise<{ aacError: string | null, task: ReturnType<TestApp['services']['flows']['collectTask']>, watch: Watch }> {
  const name = ta.sim.world.notable.pagingFlow
  await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })
  const off = ta.sim.faults.add({ upstream: 'aac', ...fault })
  t.teardown(off)
  const res = await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(name)}/collect`, headers: HX })
  t.equal(res.statusCode, 200)
  const { watch: w } = await watch(ta, ta.services.flows.waitCollect(name))
  const flow = await ta.services.store.readFlow(name)
  return { aacError: flow?.lastCollect?.aac.error ?? null, task: ta.services.flows.collectTask(name), watch: w }
}

t.test('#1 a 300 MB body is cut at the JSON cap, not read', async (t) => {
  const ta = await buildTestApp(t, { onprem: false, env: SLOW_MACHINE })
  const r = await collectWatched(t, ta, { path: '/v4/jobLibrary', kind: 'huge-body', bytes: 300 * MB })
  healthy(t, r.watch)
  t.match(r.aacError, /AAC GET \/jobLibrary: the response sent more than 8 MiB, more than the 8 MiB this request allows; it was not read/)
})

t.test('#1 a body announcing 3 GB is refused before reading', async (t) => {
  const ta = await buildTestApp(t, { onprem: false, env: SLOW_MACHINE })
  const r = await collectWatched(t, ta, { path: '/v4/jobLibrary', kind: 'huge-body', bytes: 3 * 1024 * MB, announce: true })
  healthy(t, r.watch)
  t.match(r.aacError, /the response announced 3072 MiB/)
})

t.test('#1 an endless body: collection fails with a message, the server stays up', async (t) => {
  const ta = await buildTestApp(t, { onprem: false, env: SLOW_MACHINE })
  const r = await collectWatched(t, ta, { path: '/v4/jobLibrary', kind: 'endless-body' })
  healthy(t, r.watch)
  t.match(r.aacError, /more than 8 MiB/)
})

t.test('#1 flow-name suggestions survive an endless or trickling body', async (t) => {
  const ta = await buildTestApp(t, { onprem: false, env: SLOW_MACHINE })
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/flows', kind: 'endless-body' })
  const { value: page, watch: w } = await watch(ta, ta.app.inject('/flows/new'))
  healthy(t, w)
  t.equal(page.statusCode, 200)
  t.match(page.body, /<form/)
  const logged = (): boolean => ta.logLines.some((l) => /could not list upstream flows/.test(l) && /more than 8 MiB/.test(l))
  for (let i = 0; i < 200 && !logged(); i++) await sleep(50)
  t.ok(logged(), 'the reason is logged')
  ta.sim.faults.clear()
  ta.services.flows.forgetSuggestions()
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/flows', kind: 'trickle', ms: 100 })
  const started = performance.now()
  const home = await ta.app.inject('/')
  t.equal(home.statusCode, 200)
  t.ok(performance.now() - started < 4000, 'the home page does not wait for a trickling suggestion list')
})

t.test('#7 a trickling body ends at the per-request deadline', async (t) => {
  // UPSTREAM_TIMEOUT_MS is 3000 in tests; each byte comes 100 ms after the last, so no gap ever times out
  const ta = await buildTestApp(t, { onprem: false })
  const started = performance.now()
  const r = await collectWatched(t, ta, { path: '/v4/jobLibrary', kind: 'trickle', ms: 100 })
  healthy(t, r.watch)
  t.match(r.aacError, /AAC GET \/jobLibrary did not finish within 3 s \(the upstream sends its answer too slowly\)/)
  t.ok(performance.now() - started < 15_000, 'not retried for minutes')
})

t.test('#7 a collection has one overall deadline', async (t) => {
  const ta = await buildTestApp(t, { onprem: false, env: { COLLECT_TIMEOUT_MS: '1500' } })
  const r = await collectWatched(t, ta, { path: '/v4/jobLibrary', kind: 'trickle', ms: 100 })
  healthy(t, r.watch)
  t.equal(r.task?.status, 'failed')
  t.match(r.task?.error, /The collection did not finish within 1.5 s \(COLLECT_TIMEOUT_MS\)/)
  const page = await ta.app.inject(`/flows/${encodeURIComponent(ta.sim.world.notable.pagingFlow)}`)
  t.match(page.body, /Collection failed: The collection did not finish within 1.5 s/)
})

t.test('#7 Cancel stops a collection, with htmx and without JavaScript', async (t) => {
  const ta = await buildTestApp(t, { onprem: false, env: { UPSTREAM_TIMEOUT_MS: '60000' } })
  const name = ta.sim.world.notable.pagingFlow
  const path = `/flows/${encodeURIComponent(name)}`
  await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'trickle', ms: 100 })
  const started = await ta.app.inject({ method: 'POST', url: `${path}/collect`, headers: HX })
  t.match(started.body, new RegExp(`<form method="post" action="${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/collect/cancel" hx-post="[^"]+/collect/cancel" hx-target="closest #collect-progress" hx-swap="outerHTML">`))
  t.match(started.body, /<button type="submit" class="danger">Cancel<\/button>/)
  const cancel = await ta.app.inject({ method: 'POST', url: `${path}/collect/cancel`, headers: HX })
  t.equal(cancel.statusCode, 200)
  t.match(cancel.body, /<div id="collect-progress" class="progress-box">Collection was cancelled.<\/div>/)
  t.equal(ta.services.flows.collectTask(name)?.status, 'cancelled')

  // without JavaScript: the page shows the running collection with the same form; the POST redirects back
  ta.services.flows.startCollect(name)
  const page = await ta.app.inject(path)
  t.match(page.body, /action="[^"]+\/collect\/cancel"/)
  const noJs = await ta.app.inject({ method: 'POST', url: `${path}/collect/cancel` })
  t.equal(noJs.statusCode, 303)
  t.equal(noJs.headers.location, path)
  t.equal(ta.services.flows.collectTask(name)?.status, 'cancelled')
  const after = await ta.app.inject(path)
  t.match(after.body, /Collection was cancelled/)
})

t.test('#3 a back-tracking error body (1 MB of <) on every retry', async (t) => {
  const ta = await buildTestApp(t, { onprem: false })
  const r = await collectWatched(t, ta, { path: '/v4/jobLibrary', kind: 'backtrack-body', status: 503, bytes: MB })
  healthy(t, r.watch)
  t.match(r.aacError, /AAC GET \/jobLibrary answered 503/)
})

t.test('#2 a 2^50-byte DBFS file is refused before anything is sized or fetched', async (t) => {
  const ta = await buildTestApp(t)
  await seedDbxFlow(ta.services.store, ta.sim, 'DBX')
  const n = notable(ta.sim, 'rolledParts')
  ta.sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/get-status', kind: 'file-size', size: 2 ** 50 })
  const reads = (): number => ta.sim.requests('databricks', '/api/2.0/dbfs/read')
  const before = reads()
  await ta.app.inject({ method: 'POST', url: `/flows/DBX/runs/${n.jobGroupId}/eventlog/download`, headers: HX })
  const { watch: w } = await watch(ta, ta.services.tasks.wait(downloadTaskKey('DBX', n.runId)))
  healthy(t, w)
  const task = ta.services.tasks.get(downloadTaskKey('DBX', n.runId))
  t.equal(task?.status, 'failed')
  t.match(task?.error, /The event log is larger than 20\.0 GiB \(eventlog[^ ]* alone is 1\.0 PiB according to DBFS\), the most MAX_EVENT_LOG_GB allows: it was not downloaded/)
  t.equal(reads(), before, 'no chunk was read')
  const page = await ta.app.inject(`/flows/DBX/runs/${n.jobGroupId}/dbx`)
  t.match(page.body, /The download failed: The event log is larger than 20\.0 GiB/)
})

t.test('#2 a log larger than the free disk space is refused with a message', async (t) => {
  const ta = await buildTestApp(t, { env: { MAX_EVENT_LOG_GB: '10000' } })
  await seedDbxFlow(ta.services.store, ta.sim, 'DBX')
  const n = notable(ta.sim, 'rolledParts')
  ta.sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/get-status', kind: 'file-size', size: 3000 * 1024 ** 3 })
  await ta.app.inject({ method: 'POST', url: `/flows/DBX/runs/${n.jobGroupId}/eventlog/download`, headers: HX })
  await ta.services.tasks.wait(downloadTaskKey('DBX', n.runId))
  const task = ta.services.tasks.get(downloadTaskKey('DBX', n.runId))
  t.equal(task?.status, 'failed')
  t.match(task?.error, /Not enough free disk space for the event log: [\d.]+ TiB to download, [\d.]+ [KMGT]iB free in the data folder/)
})
