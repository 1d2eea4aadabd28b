import t from 'tap'
import { request } from 'undici'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { generateWorld } from '../../src/simulator/world.js'

interface Row {
  id: number
  status: string
  ranfor: string
  createdAt: string
  flowRun: { id: number } | null
  flowId?: number
  wrangledDataset: { id: number; name?: string; flowId?: number; flow?: { id: number; name: string } }
  jobs?: { data: Array<{ jobType: string; executionLanguage?: string; cpJobId?: string | null; startedAt?: string; finishedAt?: string }> }
}
interface List {
  data: Row[]
  count?: number
}

const now = Date.parse('2026-11-20T10:00:00Z')
let sim: Simulator
t.before(async () => {
  sim = await startSimulator({ seed: 'test', now })
})
t.teardown(() => sim.close())

async function get (base: string, tok: string, path: string): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${tok}`, accept: 'application/json' } })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, body, headers: Object.fromEntries(res.headers) }
}
const aac = (path: string) => get(sim.urls.aac, sim.tokens.aac, path)
/** AAC rows carry a numeric flowId and no flow name (the newer documented shape): the name comes from /v4/flows */
const aacFlow = (x: Row): string | undefined => sim.world.aac.flows.find((f) => f.id === x.flowId)?.name
const onprem = (path: string) => get(sim.urls.onprem, sim.tokens.onprem, path)

// speed is the bench's business (a timed unit test fails on a loaded machine and proves nothing): this checks the answer
t.test('world is generated deterministically', async (t) => {
  const a = generateWorld({ seed: 's', now })
  const b = generateWorld({ seed: 's', now })
  t.same(a.aac.jobGroups.map((g) => g.id), b.aac.jobGroups.map((g) => g.id))
  t.ok(a.aac.jobGroups.length > 300 && a.onprem.jobGroups.length > 300)
})

t.test('auth: 401 with the v4 exception body', async (t) => {
  const bad = await get(sim.urls.aac, 'nope', '/jobLibrary')
  t.equal(bad.status, 401)
  t.match(bad.body, { exception: { name: String, message: String } })
  const none = await fetch(`${sim.urls.aac}/jobLibrary`)
  t.equal(none.status, 401)
  // a token of the other platform is refused too
  t.equal((await get(sim.urls.aac, sim.tokens.onprem, '/jobLibrary')).status, 401)
})

t.test('unknown route: 404 RouteNotFoundException', async (t) => {
  const r = await aac('/nothingHere')
  t.equal(r.status, 404)
  t.match(r.body, { exception: { name: 'RouteNotFoundException', message: 'This route does not exist', details: /Cannot GET \/v4\/nothingHere/ } })
})

t.test('jobLibrary: default limit, sort, paging, count', async (t) => {
  const first = (await aac('/jobLibrary?sort=-createdAt&includeCount=true')).body as List
  t.equal(first.data.length, 25)
  t.type(first.count, 'number')
  const times = first.data.map((r) => Date.parse(r.createdAt))
  t.same(times, [...times].sort((a, b) => b - a), 'newest first')
  const asc = (await aac('/jobLibrary?sort=createdAt&limit=5')).body as List
  t.ok(Date.parse(asc.data[0]!.createdAt) < Date.parse(asc.data[4]!.createdAt))
  // pages reassemble to the whole, no duplicate nor gap
  const flow = encodeURIComponent('Hourly Clickstream')
  const all: Row[] = []
  let total = 0
  for (let offset = 0; ; offset += 100) {
    const p = (await aac(`/jobLibrary?filter=${flow}&ranfor=recipe,plan&sort=-createdAt&limit=100&offset=${offset}&includeCount=true`)).body as List
    total = p.count ?? 0
    all.push(...p.data)
    if (p.data.length < 100) break
  }
  t.ok(all.length > 200, `paging flow has ${all.length} runs (> 200)`)
  t.equal(all.length, total)
  t.equal(new Set(all.map((r) => r.id)).size, all.length)
  const bad = await aac('/jobLibrary?limit=abc')
  t.equal(bad.status, 400)
  t.match(bad.body, { exception: { name: 'ApiValidationFailed' } })
})

t.test('jobLibrary: fuzzy filter matches other flows, exact post-filter needed', async (t) => {
  const r = (await aac(`/jobLibrary?filter=${encodeURIComponent('Sales Daily')}&ranfor=recipe,plan&limit=100`)).body as List
  const flows = new Set(r.data.map(aacFlow))
  t.ok(flows.has('Sales Daily'))
  t.ok(flows.has('Sales Daily (copy)'), 'flow name substring')
  t.ok(flows.has('marketing mix '), 'recipe name "Sales Daily extract" (a flow AAC spells in lower case)')
  t.notOk(r.data.some((x) => x.ranfor === 'sampling'), 'ranfor filter')
  const withSampling = (await aac(`/jobLibrary?filter=${encodeURIComponent('Sales Daily')}&limit=1000`)).body as List
  t.ok(withSampling.data.some((x) => x.ranfor === 'sampling'), 'sampling job groups exist without ranfor')
  // accents and case do not matter; job group id matches too
  const v = (await aac(`/jobLibrary?filter=${encodeURIComponent('ventes — europe/ouest')}&limit=5`)).body as List
  t.ok(v.data.length > 0 && v.data.every((x) => aacFlow(x) === 'Ventes — Europe/Ouest'))
  const id = r.data[0]!.id
  const byId = (await aac(`/jobLibrary?filter=${id}&limit=5`)).body as List
  t.ok(byId.data.some((x) => x.id === id))
  const failed = (await aac('/jobLibrary?status=Failed&limit=1000')).body as List
  t.ok(failed.data.length > 0 && failed.data.every((x) => x.status === 'Failed'))
})

t.test('rows are shaped like the docs', async (t) => {
  const r = (await aac(`/jobLibrary?filter=${encodeURIComponent('Sales Daily')}&limit=50`)).body as List
  const row = r.data.find((x) => aacFlow(x) === 'Sales Daily' && x.status === 'Complete' && x.ranfor !== 'sampling')!
  t.ok(row)
  t.match(row, { flowId: Number, wrangledDataset: { id: Number, name: 'sales_daily_clean', flowId: row.flowId }, flowRun: { id: Number }, creator: { id: Number, email: String, name: String } })
  t.equal(row.wrangledDataset.flow, undefined, 'no nested flow name on AAC rows')
  const nested = ((await onprem(`/jobLibrary?filter=${encodeURIComponent('Sales Daily')}&limit=5`)).body as List).data[0]!
  t.match(nested, { wrangledDataset: { flow: { id: Number, name: String } } }, 'on-prem rows nest the flow')
  const wrangle = row.jobs!.data.find((j) => j.jobType === 'wrangle')!
  t.equal(wrangle.executionLanguage, 'databricksSpark')
  const cp = JSON.parse(wrangle.cpJobId!) as { databricksWorkspaceId: string; databricksJobId: string }
  t.match(cp, { databricksWorkspaceId: /^\d+$/, databricksJobId: /^\d+$/ })
  t.ok(sim.world.dbxRuns.has(Number(cp.databricksJobId)))
  t.ok(wrangle.startedAt && wrangle.finishedAt)
  // job order is not guaranteed: somewhere the wrangle job is not first
  const rows = ((await aac('/jobLibrary?limit=200')).body as List).data
  t.ok(rows.some((x) => x.jobs!.data[0]?.jobType !== 'wrangle'))
  // on-prem jobs carry no startedAt/finishedAt; Sales Daily's on-prem Trifacta reports the YARN application in cpJobId
  const o = ((await onprem(`/jobLibrary?filter=${encodeURIComponent('Sales Daily')}&limit=5`)).body as List).data[0]!
  const ow = o.jobs!.data.find((j) => j.jobType === 'wrangle')!
  t.equal(ow.startedAt, undefined)
  t.equal(ow.cpJobId, sim.world.history.byJobGroup.get(o.id as number) ?? null)
  const m = ((await onprem(`/jobLibrary?filter=${encodeURIComponent('Marketing Mix')}&limit=5`)).body as List).data[0]!
  t.equal(m.jobs!.data.find((j) => j.jobType === 'wrangle')!.cpJobId, null, 'other flows report none')
  // multi-output: several job groups share a flowRun
  const ventes = ((await aac(`/jobLibrary?filter=${encodeURIComponent('Ventes — Europe/Ouest')}&limit=40`)).body as List).data
  const byRun = new Map<number, Set<string>>()
  for (const x of ventes) if (x.flowRun) byRun.set(x.flowRun.id, (byRun.get(x.flowRun.id) ?? new Set()).add(x.wrangledDataset.name!))
  t.ok([...byRun.values()].some((s) => s.size === 2))
})

t.test('jobGroups fallback, detail, jobs, embed validation', async (t) => {
  const plain = (await onprem('/jobGroups?limit=3')).body as List
  t.equal(plain.data.length, 3)
  t.same(Object.keys(plain.data[0]!.wrangledDataset), ['id'])
  t.equal(plain.data[0]!.jobs, undefined)
  const emb = (await onprem('/jobGroups?embed=wrangledDataset,jobs&sort=-createdAt&limit=100&offset=100')).body as List
  t.equal(emb.data.length, 100)
  t.ok(emb.data[0]!.wrangledDataset.flow?.name)
  t.ok(Array.isArray(emb.data[0]!.jobs?.data))
  const bad = await onprem('/jobGroups?embed=bogus')
  t.equal(bad.status, 400)
  t.match(bad.body, { exception: { name: 'ValidationFailed', message: /Valid associations/ } })
  const id = emb.data[0]!.id
  const one = (await onprem(`/jobGroups/${id}?embed=jobs`)).body as Row
  t.equal(one.id, id)
  t.ok(one.jobs)
  const jobs = (await onprem(`/jobGroups/${id}/jobs`)).body as { data: unknown[] }
  t.ok(jobs.data.length >= 2)
  const missing = await onprem('/jobGroups/1')
  t.equal(missing.status, 404)
  t.match(missing.body, { exception: { name: String } })
})

t.test('on-prem without jobLibrary answers 404 RouteNotFoundException', async (t) => {
  const s2 = await startSimulator({ now, onpremJobLibrary: false })
  t.teardown(() => s2.close())
  const r = await get(s2.urls.onprem, s2.tokens.onprem, '/jobLibrary?limit=1')
  t.equal(r.status, 404)
  t.match(r.body, { exception: { name: 'RouteNotFoundException' } })
  t.equal((await get(s2.urls.onprem, s2.tokens.onprem, '/jobGroups?limit=1')).status, 200)
  t.equal((await get(s2.urls.aac, s2.tokens.aac, '/jobLibrary?limit=1')).status, 200)
  s2.setOnpremJobLibrary(true)
  t.equal((await get(s2.urls.onprem, s2.tokens.onprem, '/jobLibrary?limit=1')).status, 200)
})

t.test('flows: filter types, names needing encoding', async (t) => {
  const all = (await aac('/flows?limit=100&includeCount=true')).body as { data: Array<{ name: string }>; count: number }
  t.ok(all.data.some((f) => f.name === 'R&D #7 — 100% Q/A'))
  t.notOk(all.data.some((f) => f.name === 'Inventory Sync'), 'on-prem-only flow absent on AAC')
  const exact = (await aac(`/flows?filter=${encodeURIComponent('Sales Daily')}&filterType=exact`)).body as { data: Array<{ name: string }> }
  t.same(exact.data.map((f) => f.name), ['Sales Daily'])
  const fuzzy = (await aac(`/flows?filter=${encodeURIComponent('Sales Daily')}`)).body as { data: Array<{ name: string }> }
  t.same(fuzzy.data.map((f) => f.name).sort(), ['Sales Daily', 'Sales Daily (copy)'])
  const paged = (await aac('/flows?limit=2&offset=1')).body as { data: unknown[] }
  t.equal(paged.data.length, 2)
})

t.test('deep link page needs no token', async (t) => {
  const id = sim.world.aac.jobGroups[0]!.id
  const res = await fetch(`${sim.urls.aac.replace(/\/v4$/, '')}/jobs/${id}`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /text\/html/)
  t.match(await res.text(), String(id))
})

t.test('faults: status with retry-after, times, request counting', async (t) => {
  sim.resetRequests()
  sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'status', status: 429, retryAfter: 2, headerName: 'x-retry-after', times: 2 })
  const a = await aac('/jobLibrary?limit=1')
  t.equal(a.status, 429)
  t.equal(a.headers['x-retry-after'], '2')
  t.match(a.body, { exception: { name: 'TooManyRequestsException' } })
  t.equal((await aac('/jobLibrary?limit=1')).status, 429)
  t.equal((await aac('/jobLibrary?limit=1')).status, 200, 'fault used up')
  t.equal(sim.requests('aac', '/v4/jobLibrary'), 3)
  t.equal(sim.requests('onprem'), 0)
  sim.faults.add({ upstream: 'onprem', path: /jobGroups/, kind: 'status', status: 503 })
  t.equal((await onprem('/jobGroups?limit=1')).status, 503)
  t.equal((await onprem('/flows?limit=1')).status, 200, 'path filter')
  sim.faults.clear()
  t.equal((await onprem('/jobGroups?limit=1')).status, 200)
})

t.test('faults: latency', async (t) => {
  sim.faults.add({ upstream: 'aac', kind: 'latency', ms: 150, times: 1 })
  const t0 = Date.now()
  await aac('/flows?limit=1')
  t.ok(Date.now() - t0 >= 140)
  const t1 = Date.now()
  await aac('/flows?limit=1')
  t.ok(Date.now() - t1 < 140)
})

t.test('faults: reset, timeout, malformed, truncate', async (t) => {
  sim.faults.add({ upstream: 'aac', kind: 'reset', times: 1 })
  await t.rejects(request(`${sim.urls.aac}/flows`, { headers: { authorization: `Bearer ${sim.tokens.aac}` } }))

  sim.faults.add({ upstream: 'aac', kind: 'timeout', times: 1 })
  await t.rejects(request(`${sim.urls.aac}/flows`, { headers: { authorization: `Bearer ${sim.tokens.aac}` }, headersTimeout: 300 }))

  sim.faults.add({ upstream: 'aac', kind: 'malformed', times: 1 })
  const m = await request(`${sim.urls.aac}/flows`, { headers: { authorization: `Bearer ${sim.tokens.aac}` } })
  t.equal(m.statusCode, 200)
  await t.rejects(m.body.json())

  sim.faults.add({ upstream: 'aac', kind: 'truncate', times: 1 })
  const tr = await request(`${sim.urls.aac}/jobLibrary?limit=5`, { headers: { authorization: `Bearer ${sim.tokens.aac}` } })
  t.equal(tr.statusCode, 200)
  await t.rejects(tr.body.text(), 'body cut short')
  t.equal((await aac('/flows?limit=1')).status, 200, 'server still fine')
})

t.test('100 concurrent requests', async (t) => {
  const res = await Promise.all(Array.from({ length: 100 }, (_, i) => aac(`/jobLibrary?limit=10&offset=${i}`)))
  t.ok(res.every((r) => r.status === 200))
})

t.test('a page-size cap: fewer rows than asked, count tells the total', async (t) => {
  sim.setPageCap(10)
  t.teardown(() => { sim.setPageCap(100) })
  const p = (await aac('/jobLibrary?limit=25&includeCount=true')).body as List
  t.equal(p.data.length, 10)
  t.ok((p.count ?? 0) > 10)
})
