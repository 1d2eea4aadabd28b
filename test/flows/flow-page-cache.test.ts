import t from 'tap'
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { buildTestApp } from '../helper.js'
import { makeRun } from '../helper-runs.js'
import { cachedDbxDetails } from '../helper-dbx.js'
import { collectTaskKey } from '../../src/flows/flow-service.js'
import { analyseEventLog } from '../../src/spark/analyse.js'
import { SAMPLE_DIR } from '../../src/simulator/sample-logs.js'
import type { Pair, Run } from '../../src/shared/flow-types.js'
import { createPageCache, matchesEtag } from '../../src/plugins/page-cache.js'

/*
 * The flow page is kept rendered between requests (issues 9 and 13): every write through the store, a file changed
 * behind its back, a running collection, a settings change and another page of the table must show on the next GET.
 * Over real HTTP on 127.0.0.1, as a browser asks.
 */
const enc = encodeURIComponent

async function listen (app: Awaited<ReturnType<typeof buildTestApp>>['app']): Promise<(path: string, headers?: Record<string, string>) => Promise<{ status: number, body: string, headers: Record<string, string | string[] | undefined> }>> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  return async (path, headers = {}) => {
    const r = await request(origin + path, { headers })
    return { status: r.statusCode, body: await r.body.text(), headers: r.headers }
  }
}

/** A flow of `n` pairs an hour apart (newest first), saved through the store. */
function pairsOf (name: string, n: number): { runs: Run[], pairs: Pair[] } {
  const t0 = Date.parse('2026-06-01T00:00:00Z')
  const runs: Run[] = []
  const pairs: Pair[] = []
  for (let i = 0; i < n; i++) {
    const at = t0 + i * 3_600_000
    runs.push(
      makeRun({ platform: 'aac', jobGroupId: 5_000_000 + i, submittedAt: new Date(at).toISOString(), flowName: name, queueMs: 20_000, runMs: 600_000, databricksRunId: String(880_000_000 + i) }),
      makeRun({ platform: 'onprem', jobGroupId: 100_000 + i, submittedAt: new Date(at + 60_000).toISOString(), flowName: name, queueMs: 5_000, runMs: 500_000 })
    )
    pairs.push({ aacJobGroupId: 5_000_000 + i, onpremJobGroupId: 100_000 + i, diffMs: 60_000 })
  }
  return { runs: runs.reverse(), pairs }
}

t.test('the kept flow page follows every write through the store', async (t) => {
  const { app, services } = await buildTestApp(t)
  const { store } = services
  const name = 'Cached · flow'
  await store.addFlow(name)
  await store.updateFlow(name, (d) => ({ ...d, ...pairsOf(name, 120) }))
  const get = await listen(app)
  const url = `/flows/${enc(name)}`

  const first = await get(url)
  t.equal(first.status, 200)
  t.match(first.body, /120 pairs, 0 unpaired runs/)
  const again = await get(url)
  t.equal(again.body, first.body, 'the same page while nothing changed')
  t.equal(again.headers.etag, first.headers.etag)
  t.match(first.headers.etag, /^"p-[A-Za-z0-9_-]+"$/)
  t.equal(first.headers['cache-control'], 'no-cache', 'browsers revalidate every time')
  t.match(first.headers['content-security-policy'], /script-src 'self'/, 'security headers on a kept page too')
  const notModified = await get(url, { 'if-none-match': first.headers.etag as string })
  t.equal(notModified.status, 304, 'a conditional GET of an unchanged page')
  t.equal(notModified.body, '')

  // a new run saved (the flow document changes)
  const extra = makeRun({ platform: 'aac', jobGroupId: 7_777_777, submittedAt: '2026-12-01T00:00:00Z', flowName: name })
  await store.updateFlow(name, (d) => ({ ...d, runs: [extra, ...d.runs] }))
  const added = await get(url)
  t.match(added.body, /120 pairs, 1 unpaired runs/, 'the new run is counted')
  t.ok(added.body.includes('>7777777</a>'), 'and listed')
  t.not(added.headers.etag, first.headers.etag, 'a new validator')
  t.equal((await get(url, { 'if-none-match': first.headers.etag as string })).status, 200, 'the old validator no longer matches')

  // Databricks details cached (only the store's revision changes, not the flow document)
  const newest = 880_000_119
  const start = Date.parse('2026-06-05T23:00:20Z')
  const noSetup = added.body
  await store.writeDbx(name, newest, cachedDbxDetails(String(newest), start, 600_000))
  const withDbx = await get(url)
  t.not(withDbx.body, noSetup, 'the Databricks details change the page')
  t.match(withDbx.body, /id="median-startup"/, 'cluster start-up is now measured')
  t.notMatch(noSetup, /id="median-startup"/)

  // an analysis saved: its run gets its dashboard link
  const link = `href="/flows/${enc(name)}/runs/100119/dashboard"`
  t.notOk(withDbx.body.includes(link))
  await store.createEventLogs(name, 'onprem-100119')
  await store.analyses.write(name, 'onprem-100119', await analyseEventLog(join(SAMPLE_DIR, 'application_1538416563558_0014')))
  t.ok((await get(url)).body.includes(link), 'the analysed run links to its dashboard')

  // another flow added: the sidebar of this page lists it
  await store.addFlow('Another flow')
  t.match((await get(url)).body, /<li><a href="\/flows\/Another%20flow">Another flow<\/a><\/li>/)
})

t.test('pages of the table are kept apart and stay bookmarkable', async (t) => {
  const { app, services } = await buildTestApp(t)
  const name = 'Paged'
  await services.store.addFlow(name)
  await services.store.updateFlow(name, (d) => ({ ...d, ...pairsOf(name, 120) }))
  const get = await listen(app)
  const base = `/flows/${enc(name)}`
  const one = await get(base)
  const two = await get(`${base}?page=2`)
  const last = await get(`${base}?page=3`)
  t.match(one.body, /page 1 of 3/)
  t.match(two.body, /page 2 of 3/)
  t.match(last.body, /page 3 of 3/)
  t.equal((await get(`${base}?page=1`)).body, one.body, '?page=1 is the first page')
  t.equal((await get(`${base}?page=99`)).body, last.body, 'a page past the end shows the last one')
  t.ok(one.body.includes('>5000119</a>') && !two.body.includes('>5000119</a>'), 'the newest run on page 1 only')
  t.equal((await get(`${base}?page=0`)).status, 400)
})

t.test('a flow file changed behind the store\'s back is shown as it is now', async (t) => {
  const { app, services } = await buildTestApp(t)
  const name = 'Edited by hand'
  await services.store.addFlow(name)
  await services.store.updateFlow(name, (d) => ({ ...d, ...pairsOf(name, 3) }))
  const get = await listen(app)
  const url = `/flows/${enc(name)}`
  t.match((await get(url)).body, /3 pairs, 0 unpaired runs/)
  const file = join(services.store.flowDir(name), 'flow_data.json')
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { pairs: unknown[] }
  doc.pairs = doc.pairs.slice(1)
  writeFileSync(file, JSON.stringify(doc))
  t.match((await get(url)).body, /2 pairs, 2 unpaired runs/)
})

t.test('a running collection shows its progress, then its result', async (t) => {
  const { app, services, sim } = await buildTestApp(t)
  const name = sim.world.notable.multiOutputFlow
  await services.store.addFlow(name)
  const get = await listen(app)
  const url = `/flows/${enc(name)}`
  const before = await get(url)
  t.match(before.body, /<div id="collect-progress"><\/div>/)
  t.match(before.body, /No runs saved for this flow yet/)
  sim.faults.add({ upstream: 'aac', kind: 'latency', ms: 400, times: 1 })
  services.flows.startCollect(name)
  const running = await get(url)
  t.match(running.body, /<div id="collect-progress" class="progress-box" hx-get=/, 'the progress box while it runs')
  await services.tasks.wait(collectTaskKey(name))
  const after = await get(url)
  t.match(after.body, /<div id="collect-progress"><\/div>/, 'no progress box once it is done')
  t.match(after.body, /\d+ pairs, \d+ unpaired runs/, 'the collected runs')
  t.match(after.body, /Last collected /)
})

t.test('a settings change shows on the kept page', async (t) => {
  const { app, services } = await buildTestApp(t)
  await services.store.addFlow('Settings flow')
  const get = await listen(app)
  const url = `/flows/${enc('Settings flow')}`
  t.match((await get(url)).body, /fetches the latest runs from AAC and on-prem Trifacta/)
  const res = await app.inject({ method: 'POST', url: '/settings', payload: { ONPREM_API_BASE_URL: '', clear: 'ONPREM_API_TOKEN' } })
  t.equal(res.statusCode, 303)
  const after = await get(url)
  t.match(after.body, /fetches the latest runs from AAC\./, 'on-prem is no longer mentioned')
})

t.test('the page cache: bounded by bytes, least recently used out first, one render per key at a time', async (t) => {
  const cache = createPageCache({ maxBytes: 30 })
  let renders = 0
  const render = (s: string) => async () => { renders++; await new Promise((resolve) => setTimeout(resolve, 5)); return s }
  const [a1, a2] = await Promise.all([cache.get('a', render('a'.repeat(10))), cache.get('a', render('x'))])
  t.equal(renders, 1, 'concurrent misses render once')
  t.equal(a1, a2)
  await cache.get('b', render('b'.repeat(10)))
  await cache.get('a', render('never'))
  t.equal(renders, 2, 'a hit renders nothing')
  await cache.get('c', render('c'.repeat(15)))
  t.same(cache.stats(), { pages: 2, bytes: 25 }, 'b, the least recently used, went')
  t.equal((await cache.get('a', render('A'))).body.toString(), 'a'.repeat(10))
  await cache.get('huge', render('h'.repeat(31)))
  t.same(cache.stats(), { pages: 2, bytes: 25 }, 'a page larger than the budget is not kept')
  await t.rejects(cache.get('bad', async () => { throw new Error('boom') }), /boom/)
  t.equal((await cache.get('bad', render('ok'))).body.toString(), 'ok', 'a failed render is not kept')
  const o1 = {}
  const o2 = {}
  t.not(cache.idOf(o1), cache.idOf(o2))
  t.equal(cache.idOf(o1), cache.idOf(o1))
  t.ok(matchesEtag('W/"x", "y"', '"y"'))
  t.ok(matchesEtag('W/"y"', '"y"'))
  t.ok(matchesEtag('*', '"y"'))
  t.notOk(matchesEtag('"yy"', '"y"'))
  t.notOk(matchesEtag(undefined, '"y"'))
})
