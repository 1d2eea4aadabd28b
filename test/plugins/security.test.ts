import t from 'tap'
import { buildTestApp } from '../helper.js'
import { EVENTLOGS } from '../helper-fixtures.js'
import type { Run } from '../../src/shared/flow-types.js'

const XSS = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>'

t.test('job names, statuses, errors and links from upstream are rendered inert', async (t) => {
  const ta = await buildTestApp(t)
  const name = 'xss flow'
  await ta.services.store.addFlow(name)
  const at = '2026-11-01T10:00:00.000Z'
  const run = (platform: 'aac' | 'onprem', id: number): Run => ({
    platform,
    jobGroupId: id,
    status: XSS,
    ranfor: XSS,
    ranfrom: XSS,
    flowId: 1,
    flowName: name,
    outputName: XSS,
    flowRunId: null,
    submittedAt: at,
    startedAt: at,
    finishedAt: at,
    queueMs: 0,
    runMs: 1000,
    executionLanguage: XSS,
    databricksRunId: null,
    databricksWorkspaceId: null,
    link: 'javascript:alert(3)',
    errorMessage: XSS
  })
  await ta.services.store.updateFlow(name, (d) => ({ ...d, runs: [run('aac', 11), run('onprem', 12)], pairs: [{ aacJobGroupId: 11, onpremJobGroupId: 12, diffMs: 0 }] }))
  for (const url of ['/flows/xss%20flow', '/flows/xss%20flow/runs/11', '/flows/xss%20flow/runs/12', '/']) {
    const res = await ta.app.inject(url)
    t.equal(res.statusCode, 200, url)
    t.notOk(res.body.includes('<script>alert(1)'), `${url}: no live script`)
    t.notOk(res.body.includes('<img src=x'), `${url}: no live img`)
    t.notOk(/href="javascript:/i.test(res.body), `${url}: no javascript: link`)
  }
})

t.test('no token in any page, fragment, JSON or log line of a whole session', async (t) => {
  const ta = await buildTestApp(t)
  const name = ta.sim.world.notable.fuzzyTwins[0]
  const bodies: string[] = []
  const get = async (url: string, headers: Record<string, string> = {}): Promise<void> => { bodies.push((await ta.app.inject({ url, headers })).body) }
  bodies.push((await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })).body)
  bodies.push((await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(name)}/collect` })).body)
  ta.sim.faults.add({ upstream: 'aac', kind: 'status', status: 401, times: 10 })
  bodies.push((await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(name)}/collect` })).body)
  for (const url of ['/', `/flows/${encodeURIComponent(name)}`, '/settings', '/api/flows', `/api/flows/${encodeURIComponent(name)}`, '/fragments/flow-suggestions']) {
    await get(url)
    await get(url, { 'hx-request': 'true' })
  }
  bodies.push((await ta.app.inject({ method: 'POST', url: '/settings/test/aac', headers: { 'hx-request': 'true' } })).body)
  const all = bodies.join('\n') + ta.logLines.join('\n')
  t.ok(bodies.some((b) => b.includes('refused with 401') || b.includes('401')), 'the 401 is reported somewhere')
  for (const tok of Object.values(ta.sim.tokens)) t.notOk(all.includes(tok), 'token absent')
  t.notMatch(all, /Bearer [A-Za-z0-9]/, 'no Authorization value')
})

t.test('strings from an event log and from Databricks are rendered inert', async (t) => {
  const { readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { analyseText } = await import('../../src/spark/analyse.js')
  const ta = await buildTestApp(t)
  const n = ta.sim.world.notable.rolledParts
  const flow = ta.sim.world.aac.byId.get(n.jobGroupId)!.wrangledDataset.flow.name
  const f = encodeURIComponent(flow)
  await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: flow } })
  await ta.app.inject({ method: 'POST', url: `/flows/${f}/collect` })
  const run = (await ta.services.store.readFlow(flow))!.runs.find((r) => r.jobGroupId === n.jobGroupId)!
  const runId = run.databricksRunId!

  // An event log whose app name, stage names, removal reasons and properties carry markup.
  const payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
  const text = readFileSync(join(EVENTLOGS, 'spark', 'application_1538416563558_0014'), 'utf8')
    .replaceAll('PythonBisectingKMeansExample', payload)
    .replaceAll('Container marked as failed', `${payload} worker lost`)
    .replaceAll('"Stage Name":"', `"Stage Name":"${payload}`)
  const analysis = analyseText(text)
  t.ok(analysis.flags.length > 0, 'the hostile log still raises flags')
  await ta.services.store.createEventLogs(flow, runId)
  await ta.services.store.analyses.write(flow, runId, analysis)

  // Databricks details with markup in the cluster name, a Spark conf value and an event reason.
  const panel = await ta.app.inject(`/flows/${f}/runs/${n.jobGroupId}/dbx`)
  t.equal(panel.statusCode, 200)
  const cached = await ta.services.store.readDbx(flow, runId)
  t.ok(cached, 'the Databricks details were cached')
  const poisoned = JSON.parse(JSON.stringify(cached!.data).replaceAll('job-', `${payload.replaceAll('"', '')}job-`).replaceAll('AUTOSCALE', payload)) as unknown
  await ta.services.store.writeDbx(flow, runId, poisoned)

  const base = `/flows/${f}/runs/${n.jobGroupId}`
  for (const [url, headers] of [[`${base}/dashboard`, {}], [`${base}/dashboard`, { 'hx-request': 'true' }], [`${base}/dbx`, {}], [`${base}/dbx`, { 'hx-request': 'true' }], [`/flows/${f}`, {}], [base, {}], [`/flows/${f}/compare`, {}]] as const) {
    const res = await ta.app.inject({ url, headers })
    t.equal(res.statusCode, 200, url)
    t.notOk(res.body.includes('<script>alert(1)'), `${url}: no live script`)
    t.notOk(res.body.includes('<img src=x'), `${url}: no live img`)
  }
  const dash = await ta.app.inject(`${base}/dashboard`)
  t.ok(dash.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the app name is shown, escaped')
  const json = await ta.app.inject(`/api/flows/${f}/runs/${n.jobGroupId}/analysis`)
  t.match(json.headers['content-type'], /application\/json/)
})
