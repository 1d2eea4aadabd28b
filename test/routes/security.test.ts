import t from 'tap'
import { buildTestApp } from '../helper.js'
import type { Run } from '../../src/collect/types.js'

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
