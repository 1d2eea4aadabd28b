import t from 'tap'
import { buildTestApp, type TestApp } from '../helper.js'
import { collectTaskKey } from '../../src/flows/flow-service.js'
import type { FlowData } from '../../src/shared/flow-types.js'

async function collect (ta: TestApp, name: string): Promise<FlowData> {
  await ta.services.store.addFlow(name)
  ta.services.flows.startCollect(name)
  await ta.services.tasks.wait(collectTaskKey(name))
  const task = ta.services.tasks.get(collectTaskKey(name))
  if (task?.status !== 'done') throw new Error(`collect ended ${task?.status}: ${task?.error}`)
  return (await ta.services.store.readFlow(name))!
}

t.test('a flow AAC spells in another case (and with a trailing space) is collected, and the page says so', async (t) => {
  const ta = await buildTestApp(t)
  const { name, aacName } = ta.sim.world.notable.caseVariantFlow
  const flow = await collect(ta, name)
  const aac = flow.runs.filter((r) => r.platform === 'aac')
  t.ok(aac.length > 0, `${aac.length} AAC runs`)
  t.ok(aac.every((r) => r.flowName === aacName), 'runs carry AAC\'s own spelling')
  t.ok(flow.runs.some((r) => r.platform === 'onprem'), 'on-prem runs (exact name) too')
  t.match(flow.lastCollect?.aac.note, /names this flow “marketing mix ”/)
  t.notOk(flow.lastCollect?.aac.unmatched)
  t.equal(flow.lastCollect?.onprem.note ?? null, null, 'nothing to say about on-prem')
  const page = await ta.app.inject(`/flows/${encodeURIComponent(name)}`)
  t.match(page.body, /id="collect-note-aac"/)
  t.match(page.body, /ignoring case and surrounding spaces/)
})

t.test('rows but none of the flow: the page says so and names the flows it saw', async (t) => {
  const ta = await buildTestApp(t)
  // "Sales" fuzzy-matches Sales Daily, Sales Daily (copy), and a recipe of Marketing Mix, but no flow is called "Sales"
  const flow = await collect(ta, 'Sales')
  t.equal(flow.runs.length, 0)
  for (const side of ['aac', 'onprem'] as const) {
    const s = flow.lastCollect![side]
    t.equal(s.unmatched, true, `${side}: unmatched`)
    t.match(s.note, /returned \d+ runs for “Sales” but none of this flow/)
    t.match(s.note, /“Sales Daily”/, 'names a flow it saw')
  }
  const page = await ta.app.inject('/flows/Sales')
  t.match(page.body, /id="collect-note-aac" role=alert/)

  const none = await collect(ta, 'No Such Flow Anywhere')
  t.equal(none.lastCollect?.aac.unmatched, true)
  t.match(none.lastCollect?.aac.note, /AAC has no flow named “No Such Flow Anywhere”/)
})

t.test('a server that caps the page size: count is trusted, DEFAULT_LIMIT runs are still collected', async (t) => {
  const ta = await buildTestApp(t, { sim: { pageCap: 7 }, env: { DEFAULT_LIMIT: '40' } })
  const name = ta.sim.world.notable.pagingFlow
  ta.sim.resetRequests()
  const flow = await collect(ta, name)
  t.equal(flow.runs.filter((r) => r.platform === 'aac').length, 40)
  t.equal(flow.runs.filter((r) => r.platform === 'onprem').length, 40)
  t.equal(new Set(flow.runs.map((r) => `${r.platform}${r.jobGroupId}`)).size, flow.runs.length, 'no duplicates')
  t.ok(ta.sim.requests('aac', '/v4/jobLibrary') >= 6, 'paged by the 7 rows the server gives')
})

t.test('the connection test probes the job library that collection uses', async (t) => {
  const ta = await buildTestApp(t)
  ta.sim.resetRequests()
  const ok = await ta.settings.test('aac')
  t.equal(ok.ok, true)
  t.equal(ta.sim.requests('aac', '/v4/jobLibrary'), 1)
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'status', status: 403 })
  const refused = await ta.settings.test('aac')
  t.equal(refused.ok, false)
  t.match(refused.message, /jobLibrary.*403/)
  // an older on-prem without the job library: the fallback endpoint is probed
  ta.sim.setOnpremJobLibrary(false)
  t.equal((await ta.settings.test('onprem')).ok, true)
  t.ok(ta.sim.requests('onprem', '/v4/jobGroups') >= 1)
})
