import t from 'tap'
import type { Test } from 'tap'
import { buildTestApp } from '../helper.js'
import { collectTaskKey } from '../../src/flows/flow-service.js'
import type { FlowData } from '../../src/shared/flow-types.js'

async function collect (ta: Awaited<ReturnType<typeof buildTestApp>>, name: string): Promise<FlowData> {
  await ta.services.store.addFlow(name)
  ta.services.flows.startCollect(name)
  await ta.services.tasks.wait(collectTaskKey(name))
  const task = ta.services.tasks.get(collectTaskKey(name))
  if (task?.status !== 'done') throw new Error(`collect ended ${task?.status}: ${task?.error}`)
  const flow = await ta.services.store.readFlow(name)
  if (flow === null) throw new Error('flow vanished')
  return flow
}

function noToken (t: Test, ta: Awaited<ReturnType<typeof buildTestApp>>, text: string): void {
  for (const tok of Object.values(ta.sim.tokens)) t.notOk(text.includes(tok), 'no token in the text')
}

t.test('collects both platforms, keeps only the exact flow, pairs, newest first', async (t) => {
  const ta = await buildTestApp(t)
  const [name, twin] = ta.sim.world.notable.fuzzyTwins
  const flow = await collect(ta, name)
  const aac = flow.runs.filter((r) => r.platform === 'aac')
  const onprem = flow.runs.filter((r) => r.platform === 'onprem')
  t.equal(aac.length, 25, 'DEFAULT_LIMIT runs on AAC')
  t.equal(onprem.length, 25, 'DEFAULT_LIMIT runs on-prem')
  t.ok(flow.runs.every((r) => r.flowName === name), `no run of “${twin}” slipped in`)
  const times = flow.runs.map((r) => r.submittedAt)
  t.same(times, [...times].sort().reverse(), 'newest first')
  t.ok(flow.pairs.length >= 15, `pairs found (${flow.pairs.length})`)
  const byId = new Map(flow.runs.map((r) => [`${r.platform}:${r.jobGroupId}`, r]))
  for (const p of flow.pairs) {
    const a = byId.get(`aac:${p.aacJobGroupId}`)!
    const o = byId.get(`onprem:${p.onpremJobGroupId}`)!
    t.ok(Math.abs(Date.parse(a.submittedAt) - Date.parse(o.submittedAt)) <= 10 * 60_000, 'within the window')
    t.equal(p.diffMs, Math.abs(Date.parse(a.submittedAt) - Date.parse(o.submittedAt)))
  }
  t.ok(aac.some((r) => r.databricksRunId !== null), 'AAC runs carry their Databricks run id')
  t.ok(aac.every((r) => r.link.endsWith(`/jobs/${r.jobGroupId}`)))
  t.equal(flow.lastCollect?.aac.ok, true)
  t.equal(flow.lastCollect?.onprem.ok, true)

  // Collecting again merges: no duplicates.
  const again = await collect(ta, name)
  t.equal(again.runs.length, flow.runs.length, 'no duplicates after a second collection')
})

t.test('pages through jobLibrary concurrently up to the limit', async (t) => {
  const ta = await buildTestApp(t, { env: { DEFAULT_LIMIT: '200' } })
  const name = ta.sim.world.notable.pagingFlow
  ta.sim.resetRequests()
  const flow = await collect(ta, name)
  t.equal(flow.runs.filter((r) => r.platform === 'aac').length, 200)
  t.equal(flow.runs.filter((r) => r.platform === 'onprem').length, 200)
  t.ok(ta.sim.requests('aac', '/v4/jobLibrary') >= 2, 'several pages were read')
  t.ok(new Set(flow.runs.map((r) => `${r.platform}:${r.jobGroupId}`)).size === 400, 'no duplicate across pages')
})

t.test('falls back to jobGroups when on-prem has no jobLibrary', async (t) => {
  const ta = await buildTestApp(t, { sim: { onpremJobLibrary: false } })
  const name = ta.sim.world.notable.fuzzyTwins[0]
  ta.sim.resetRequests()
  const flow = await collect(ta, name)
  t.ok(ta.sim.requests('onprem', '/v4/jobGroups') >= 1, 'jobGroups was asked')
  t.equal(flow.runs.filter((r) => r.platform === 'onprem').length, 25)
  t.ok(flow.runs.filter((r) => r.platform === 'onprem').every((r) => r.flowName === name))
})

t.test('retries 429 (honouring retry-after), 503 and resets, then succeeds', async (t) => {
  const ta = await buildTestApp(t)
  const name = ta.sim.world.notable.fuzzyTwins[0]
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'status', status: 429, retryAfter: 0, headerName: 'x-retry-after', times: 1 })
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'status', status: 503, times: 1 })
  ta.sim.faults.add({ upstream: 'onprem', path: '/v4/jobLibrary', kind: 'reset', times: 1 })
  ta.sim.faults.add({ upstream: 'onprem', path: '/v4/jobLibrary', kind: 'malformed', times: 1 })
  ta.sim.resetRequests()
  const flow = await collect(ta, name)
  t.equal(flow.lastCollect?.aac.ok, true)
  t.equal(flow.lastCollect?.onprem.ok, true)
  t.equal(flow.runs.length, 50)
  t.ok(ta.sim.requests('aac', '/v4/jobLibrary') >= 3, 'AAC was asked again after 429 and 503')
  t.ok(ta.sim.requests('onprem', '/v4/jobLibrary') >= 3, 'on-prem was asked again after a reset and a malformed body')
  t.ok(ta.logLines.some((l) => l.includes('retrying')), 'retries are logged')
  noToken(t, ta, ta.logLines.join('\n'))
})

t.test('a 429 asking to wait too long fails clearly instead of hanging', async (t) => {
  const ta = await buildTestApp(t)
  const name = ta.sim.world.notable.fuzzyTwins[0]
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'status', status: 429, retryAfter: 3600 })
  const flow = await collect(ta, name)
  t.equal(flow.lastCollect?.aac.ok, false)
  t.match(flow.lastCollect?.aac.error, /AAC GET \/jobLibrary is rate limited: the upstream asks to retry after 3600 s/)
  t.equal(flow.lastCollect?.onprem.ok, true, 'the other side is not lost')
})

t.test('one side failing keeps the other side and the saved runs', async (t) => {
  const ta = await buildTestApp(t)
  const name = ta.sim.world.notable.fuzzyTwins[0]
  const first = await collect(ta, name)
  const savedOnprem = first.runs.filter((r) => r.platform === 'onprem').length
  ta.sim.faults.add({ upstream: 'onprem', kind: 'status', status: 500 })
  const flow = await collect(ta, name)
  t.equal(flow.lastCollect?.onprem.ok, false)
  t.match(flow.lastCollect?.onprem.error, /on-prem Trifacta GET \/jobLibrary answered 500/)
  t.equal(flow.runs.filter((r) => r.platform === 'onprem').length, savedOnprem, 'saved on-prem runs kept')
  t.equal(flow.lastCollect?.aac.ok, true)
  t.ok(flow.pairs.length > 0, 'pairs still computed from saved runs')
  t.equal(ta.sim.requests('onprem', '/v4/jobLibrary') > 0, true)
})

t.test('401: a wrong token is reported without the token', async (t) => {
  const ta = await buildTestApp(t, { env: { ONPREM_API_TOKEN: 'wrong-token-value-123' } })
  const name = ta.sim.world.notable.fuzzyTwins[0]
  const flow = await collect(ta, name)
  t.equal(flow.lastCollect?.onprem.ok, false)
  t.match(flow.lastCollect?.onprem.error, /refused with 401.*check the on-prem Trifacta token/)
  t.notMatch(flow.lastCollect?.onprem.error, /wrong-token-value-123/)
  t.notOk(ta.logLines.join('\n').includes('wrong-token-value-123'), 'not in the logs either')
  t.equal(flow.lastCollect?.aac.ok, true)
})

t.test('a timeout is retried, then reported', async (t) => {
  const ta = await buildTestApp(t, { env: { UPSTREAM_TIMEOUT_MS: '1000' } })
  const name = ta.sim.world.notable.fuzzyTwins[0]
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'timeout', times: 1 })
  const ok = await collect(ta, name)
  t.equal(ok.lastCollect?.aac.ok, true, 'one timeout is survived')
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'timeout' })
  ta.services.upstreams.aac()
  const flow = await collect(ta, name)
  t.equal(flow.lastCollect?.aac.ok, false)
  t.match(flow.lastCollect?.aac.error, /timed out/)
})

t.test('without on-prem configured only AAC is collected', async (t) => {
  const ta = await buildTestApp(t, { onprem: false })
  const name = ta.sim.world.notable.fuzzyTwins[0]
  const flow = await collect(ta, name)
  t.equal(flow.lastCollect?.onprem.skipped, true)
  t.equal(flow.runs.filter((r) => r.platform === 'onprem').length, 0)
  t.equal(flow.pairs.length, 0)
  t.equal(ta.sim.requests('onprem'), 0, 'on-prem never called')
})
