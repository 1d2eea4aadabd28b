import t from 'tap'
import { existsSync } from 'node:fs'
import { buildTestApp } from '../helper.js'
import { collectTaskKey } from '../../src/flows/flow-service.js'
import type { FlowData, Run } from '../../src/shared/flow-types.js'
import { join } from 'node:path'
import { analyseEventLog } from '../../src/spark/analyse.js'
import { SAMPLE_DIR } from '../../src/simulator/sample-logs.js'

const enc = encodeURIComponent
const HX = { 'hx-request': 'true' }

t.test('home, add flow, flow page: full pages with the sidebar', async (t) => {
  const { app } = await buildTestApp(t)
  const home = await app.inject('/')
  t.equal(home.statusCode, 200)
  t.match(home.headers['content-type'], /text\/html/)
  t.match(home.body, /^<!doctype html>/)
  t.match(home.body, /id="flow-list"/)
  t.match(home.body, /id="add-flow-name"[^>]*list="flow-suggestions"/)
  t.match(home.body, /<option value="Sales Daily"><\/option>/, 'upstream flow names are suggested')

  for (const name of ['Ventes — Europe/Ouest', 'R&D #7 — 100% Q/A', 'a/../b', '%2e%2e', '日本語 フロー']) {
    const add = await app.inject({ method: 'POST', url: '/flows', payload: { name } })
    t.equal(add.statusCode, 303, `add ${name}`)
    t.equal(add.headers.location, `/flows/${enc(name)}`)
    const page = await app.inject(add.headers.location as string)
    t.equal(page.statusCode, 200, `page of ${name}`)
    const escaped = name.replace(/&/g, '&amp;')
    t.ok(page.body.includes(`<h1>${escaped}</h1>`), 'the name is the heading, escaped')
    t.match(page.body, /<form id="collect-form" method="post" action="\/flows\/[^"]+\/collect"\s+hx-post="\/flows\/[^"]+\/collect" hx-target="#collect-progress" hx-swap="outerHTML"/)
    t.match(page.body, /aria-current="page"/)
  }
  const badName = await app.inject({ method: 'POST', url: '/flows', payload: { name: 'bad\u0000name' } })
  t.equal(badName.statusCode, 400, 'NUL in a name is refused')
  const empty = await app.inject({ method: 'POST', url: '/flows', payload: { name: '' } })
  t.equal(empty.statusCode, 400)
  const long = await app.inject({ method: 'POST', url: '/flows', payload: { name: 'x'.repeat(201) } })
  t.equal(long.statusCode, 400)
})

t.test('an XSS payload in a flow name is rendered inert', async (t) => {
  const { app } = await buildTestApp(t)
  const name = '<script>alert(1)</script><img src=x onerror=alert(2)>'
  const add = await app.inject({ method: 'POST', url: '/flows', payload: { name } })
  t.equal(add.statusCode, 303)
  for (const url of ['/', add.headers.location as string]) {
    const page = await app.inject(url)
    t.notOk(page.body.includes('<script>alert(1)'), `no raw script in ${url}`)
    t.notOk(page.body.includes('<img src=x'), `no raw img in ${url}`)
    t.ok(page.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'escaped text is there')
  }
})

t.test('collect with htmx: progress partial polls, then swaps the table in', async (t) => {
  const { app, services, sim } = await buildTestApp(t)
  const name = sim.world.notable.fuzzyTwins[0]
  await app.inject({ method: 'POST', url: '/flows', payload: { name } })
  sim.faults.add({ upstream: 'aac', kind: 'latency', ms: 300, times: 1 })
  const start = await app.inject({ method: 'POST', url: `/flows/${enc(name)}/collect`, headers: HX })
  t.equal(start.statusCode, 200)
  t.notMatch(start.body, /<html/, 'a partial has no <html>')
  t.match(start.body, /^\s*<div id="collect-progress" class="progress-box" hx-get="\/flows\/Sales%20Daily\/collect\/progress" hx-trigger="every 1s" hx-swap="outerHTML">/)
  t.match(start.body, /role="progressbar"[^>]*aria-valuenow="\d+"/)
  await services.tasks.wait(collectTaskKey(name))
  const done = await app.inject({ url: `/flows/${enc(name)}/collect/progress`, headers: HX })
  t.equal(done.statusCode, 200)
  t.notMatch(done.body, /hx-trigger/, 'the final partial stops polling')
  t.match(done.body, /<div id="runs-table" class="runs-table-wrap" hx-swap-oob="true">/)
  t.match(done.body, /<div id="collect-status" class="collect-status" hx-swap-oob="true">/)
  t.match(done.body, /class="paired"/)
  t.match(done.body, /delta-(slower|faster|same)/)
})

t.test('collect without JavaScript: POST, redirect, same result', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const name = sim.world.notable.multiOutputFlow
  await app.inject({ method: 'POST', url: '/flows', payload: { name } })
  const res = await app.inject({ method: 'POST', url: `/flows/${enc(name)}/collect` })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `/flows/${enc(name)}`)
  const page = await app.inject(res.headers.location as string)
  t.match(page.body, /<div id="runs-table" class="runs-table-wrap">/)
  t.match(page.body, /\d+ pairs, \d+ unpaired runs/)
  t.match(page.body, /DBX ▸/)
  // colour is never the only carrier of meaning: every AAC-vs-on-prem delta says slower / faster / same in words,
  // and the trend chart is described by a pointer to the table with its numbers (issue 14)
  const deltas = [...page.body.matchAll(/<td class="num delta delta-(slower|faster|same)"[^>]*>(.*?)<\/td>/g)]
  t.ok(deltas.length > 0, 'pairs show deltas')
  for (const [, verdict, cell] of deltas) t.match(cell, new RegExp(`<small class="delta-word">${verdict}</small>`))
  t.match(page.body, /<canvas role="img" aria-describedby="flow-trend-alt"/)
  t.match(page.body, /id="flow-trend-alt">[^<]*<a href="#runs-table">/)
  const json = await app.inject(`/api/flows/${enc(name)}`)
  t.equal(json.statusCode, 200)
  const data = json.json() as FlowData & { rows: unknown[] }
  t.equal(data.name, name)
  t.ok(data.pairs.length > 0)
  t.ok(data.rows.length >= data.pairs.length)
})

t.test('one run page, and errors as pages or fragments', async (t) => {
  const { app, sim, services } = await buildTestApp(t)
  const name = sim.world.notable.fuzzyTwins[0]
  await app.inject({ method: 'POST', url: '/flows', payload: { name } })
  await app.inject({ method: 'POST', url: `/flows/${enc(name)}/collect` })
  const flow = (await services.store.readFlow(name))!
  const run = flow.runs.find((r) => r.platform === 'aac')!
  const page = await app.inject(`/flows/${enc(name)}/runs/${run.jobGroupId}`)
  t.equal(page.statusCode, 200)
  t.match(page.body, new RegExp(`AAC job ${run.jobGroupId}`))
  t.match(page.body, /<!doctype html>/)

  const missingRun = await app.inject(`/flows/${enc(name)}/runs/1`)
  t.equal(missingRun.statusCode, 404)
  t.match(missingRun.body, /not among the saved runs/)
  const badId = await app.inject(`/flows/${enc(name)}/runs/abc`)
  t.equal(badId.statusCode, 400)
  const missing = await app.inject('/flows/nope')
  t.equal(missing.statusCode, 404)
  t.match(missing.body, /<!doctype html>[\s\S]*There is no flow named “nope”/)
  const fragment = await app.inject({ url: '/flows/nope', headers: HX })
  t.equal(fragment.statusCode, 404)
  t.match(fragment.body, /^<div id="flash" role="alert"/)
  t.notMatch(fragment.body, /<html/)
  const api404 = await app.inject('/api/flows/nope')
  t.equal(api404.statusCode, 404)
  t.match(api404.json(), { error: 404, message: /no flow named “nope”/ })
})

t.test('an analysed on-prem run has a ➜ Dashboard link in the runs table', async (t) => {
  const { app, sim, services } = await buildTestApp(t)
  const name = sim.world.notable.multiOutputFlow
  await app.inject({ method: 'POST', url: '/flows', payload: { name } })
  await app.inject({ method: 'POST', url: `/flows/${enc(name)}/collect` })
  const flow = (await services.store.readFlow(name))!
  const [analysed, other] = flow.runs.filter((r) => r.platform === 'onprem' && flow.pairs.some((p) => p.onpremJobGroupId === r.jobGroupId))
  t.ok(analysed !== undefined && other !== undefined, 'two paired on-prem runs')
  const link = (r: Run): RegExp => new RegExp(`<a class="dash-link" href="/flows/${enc(name)}/runs/${r.jobGroupId}/dashboard"`)
  const before = await app.inject(`/flows/${enc(name)}`)
  t.notMatch(before.body, link(analysed!), 'no link before the analysis')
  await services.store.createEventLogs(name, `onprem-${analysed!.jobGroupId}`)
  await services.store.analyses.write(name, `onprem-${analysed!.jobGroupId}`, await analyseEventLog(join(SAMPLE_DIR, 'application_1538416563558_0014')))
  const after = await app.inject(`/flows/${enc(name)}`)
  t.equal(after.statusCode, 200)
  t.match(after.body, link(analysed!), 'the analysed on-prem run links to its dashboard')
  t.notMatch(after.body, link(other!), 'a run without an analysis has none')
  const dash = await app.inject(`/flows/${enc(name)}/runs/${analysed!.jobGroupId}/dashboard`)
  t.equal(dash.statusCode, 200, 'the link leads to the dashboard')
})

t.test('remove a flow: only its folder goes', async (t) => {
  const { app, services } = await buildTestApp(t)
  await app.inject({ method: 'POST', url: '/flows', payload: { name: 'keep me' } })
  await app.inject({ method: 'POST', url: '/flows', payload: { name: 'drop me' } })
  const dir = services.store.flowDir('drop me')
  const keep = services.store.flowDir('keep me')
  t.ok(existsSync(dir))
  const res = await app.inject({ method: 'POST', url: `/flows/${enc('drop me')}/delete` })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/')
  t.notOk(existsSync(dir))
  t.ok(existsSync(keep))
  t.same(await services.store.listFlows(), ['keep me'])
  const hx = await app.inject({ method: 'POST', url: `/flows/${enc('keep me')}/delete`, headers: HX })
  t.equal(hx.statusCode, 204)
  t.equal(hx.headers['hx-redirect'], '/')
})

t.test('security: foreign Host, cross-site POST, files outside public/', async (t) => {
  const { app } = await buildTestApp(t)
  const foreign = await app.inject({ url: '/', headers: { host: 'evil.example:5050' } })
  t.equal(foreign.statusCode, 421, 'DNS rebinding refused')
  const ok = await app.inject({ url: '/', headers: { host: '127.0.0.1:5050' } })
  t.equal(ok.statusCode, 200)
  const cross = await app.inject({ method: 'POST', url: '/flows', payload: { name: 'x' }, headers: { origin: 'https://evil.example' } })
  t.equal(cross.statusCode, 403)
  const crossSite = await app.inject({ method: 'POST', url: '/flows', payload: { name: 'x' }, headers: { 'sec-fetch-site': 'cross-site' } })
  t.equal(crossSite.statusCode, 403)
  const same = await app.inject({ method: 'POST', url: '/flows', payload: { name: 'x' }, headers: { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' } })
  t.equal(same.statusCode, 303)
  for (const url of ['/.env', '/static/../.env', '/static/%2e%2e/package.json', '/flows/x/flow_data.json', '/src/app.ts', '/package.json', '/static/../src/app.ts', '/node_modules/htmx.org/package.json']) {
    const res = await app.inject(url)
    t.not(res.statusCode, 200, `${url} is not served`)
    t.notMatch(res.body, /PLATFORM_API|"dependencies"|buildApp/, `${url} leaks nothing`)
  }
  const css = await app.inject('/static/css/app.css')
  t.equal(css.statusCode, 200)
  const home = await app.inject('/')
  t.match(home.headers['content-security-policy'], /script-src 'self'/)
  t.notMatch(home.headers['content-security-policy'], /unsafe-inline/)
  t.equal(home.headers['x-content-type-options'], 'nosniff')
  t.notMatch(home.body, /<script>|<script type="text\/javascript">|\son\w+="/, 'no inline script or handler attributes')
  const htmxUrl = /<script src="(\/vendor\/htmx\.org@[^"]+)"/.exec(home.body)?.[1]
  t.ok(htmxUrl)
  const htmx = await app.inject(htmxUrl!)
  t.equal(htmx.statusCode, 200)
  t.match(htmx.headers['cache-control'], /immutable/)
})

t.test('a flow with 1,000 pairs: the runs table pages (newest first, bookmarkable ?page=), the trend is downsampled', async (t) => {
  const { app, services } = await buildTestApp(t)
  const name = 'Big flow'
  await services.store.addFlow(name)
  const runs: Run[] = []
  const base = Date.parse('2026-01-01T00:00:00Z')
  for (let i = 0; i < 1000; i++) {
    for (const platform of ['aac', 'onprem'] as const) {
      const at = new Date(base + i * 3_600_000 + (platform === 'aac' ? 60_000 : 0)).toISOString()
      runs.push({ platform, jobGroupId: i + (platform === 'aac' ? 1_000_000 : 0), status: 'Complete', ranfor: 'recipe', ranfrom: 'schedule', flowId: 1, flowName: name, outputName: null, flowRunId: null, submittedAt: at, startedAt: at, finishedAt: at, queueMs: 0, runMs: 1000 * (i % 50), executionLanguage: null, databricksRunId: null, databricksWorkspaceId: null, link: `http://x/jobs/${i}`, errorMessage: null })
    }
  }
  runs.sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))
  const pairs = Array.from({ length: 1000 }, (_, i) => ({ aacJobGroupId: i + 1_000_000, onpremJobGroupId: i, diffMs: 60_000 }))
  await services.store.updateFlow(name, (d) => ({ ...d, runs, pairs }))
  const page = await app.inject(`/flows/${enc(name)}`)
  t.equal(page.statusCode, 200)
  t.equal(page.body.match(/<tr class="paired">/g)?.length, 50, 'one page of rows')
  t.match(page.body, /page 1 of 20/)
  t.match(page.body, /href="\/flows\/Big%20flow\?page=2" rel="next"/)
  t.ok(page.body.indexOf('>1000999<') < page.body.indexOf('>1000950<') && page.body.includes('>1000950<'), 'newest first')
  t.ok(page.body.length < 200_000, `page size ${page.body.length} B`)
  const last = await app.inject(`/flows/${enc(name)}?page=20`)
  t.equal(last.body.match(/<tr class="paired">/g)?.length, 50)
  t.ok(last.body.includes('>1000000<') && !last.body.includes('>1000050<'), 'the oldest rows on the last page')
  t.match(last.body, /rel="prev"/)
  t.notMatch(last.body, /rel="next"/)
  t.match((await app.inject(`/flows/${enc(name)}?page=999`)).body, /page 20 of 20/, 'past the end: the last page')
  t.equal((await app.inject(`/flows/${enc(name)}?page=0`)).statusCode, 400)
  t.equal((await app.inject(`/flows/${enc(name)}?page=x`)).statusCode, 400)

  const trend = await app.inject(`/api/flows/${enc(name)}/trend`)
  t.equal(trend.statusCode, 200)
  const d = trend.json<{ points: { t: number, aac: { totalMs: number } | null, url: string }[], total: number, downsampled: boolean }>()
  t.equal(d.total, 1000)
  t.ok(d.downsampled && d.points.length <= 300, `${d.points.length} points drawn`)
  t.same(d.points.map((p) => p.t), [...d.points.map((p) => p.t)].sort((a, b) => a - b), 'oldest first')
  t.equal(d.points[0]!.t, base + 60_000, 'the first run kept')
  t.equal(d.points.at(-1)!.t, base + 999 * 3_600_000 + 60_000, 'the last run kept')
  t.equal(Math.max(...d.points.map((p) => p.aac!.totalMs)), 49_000, 'the peaks kept')
  t.match(d.points[0]!.url, /^\/flows\/Big%20flow\/pairs\/1000000\/0$/)
})
