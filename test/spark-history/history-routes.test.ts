import t from 'tap'
import type { Test } from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Run } from '../../src/shared/flow-types.js'
import { buildTestApp, type TestApp } from '../helper.js'
import { analyseTaskKey, downloadTaskKey } from '../../src/databricks/dbx-service.js'
import { APP_CHOICE_FILE } from '../../src/store/eventlog-files.js'
import { finderCases } from './helper-history.js'

const FLOW = 'On-prem history'
const HX = { 'hx-request': 'true' }
const base = (id: number): string => `/flows/${encodeURIComponent(FLOW)}/runs/${id}`

async function setup (t: Test, opts: Parameters<typeof buildTestApp>[1] = {}): Promise<TestApp & { cases: ReturnType<typeof finderCases> }> {
  const ta = await buildTestApp(t, opts)
  const cases = finderCases(ta.sim)
  const runs: Run[] = Object.values(cases).map((r) => ({ ...r, flowName: FLOW }))
  await ta.services.store.addFlow(FLOW)
  await ta.services.store.updateFlow(FLOW, (d) => ({ ...d, runs }))
  return { ...ta, cases }
}

async function settle (ta: TestApp, key: string): Promise<void> {
  await ta.services.tasks.wait(downloadTaskKey(FLOW, key)).catch(() => {})
  await ta.services.tasks.wait(analyseTaskKey(FLOW, key)).catch(() => {})
}

t.test('a run found by its id: panel, download with progress, analysis, dashboard', async (t) => {
  const ta = await setup(t)
  const run = ta.cases.byId
  const page = await ta.app.inject(base(run.jobGroupId))
  t.equal(page.statusCode, 200)
  t.match(page.body, new RegExp(`hx-get="${base(run.jobGroupId).replace(/[%]/g, '%')}/onprem" hx-trigger="load"`), 'the run page loads the on-prem panel')
  const frag = await ta.app.inject({ url: `${base(run.jobGroupId)}/onprem`, headers: HX })
  t.equal(frag.statusCode, 200)
  t.notMatch(frag.body, /<html/i)
  t.match(frag.body, /^\s*<section id="history-panel"/)
  t.ok(frag.body.includes(`Found <code>${run.sparkAppId}</code>`), 'the application named by the job')
  t.match(frag.body, /named by the job/)
  t.match(frag.body, /hx-post="[^"]+\/onprem\/eventlog\/download" hx-target="closest \.download-progress"/)

  const start = await ta.app.inject({ method: 'POST', url: `${base(run.jobGroupId)}/onprem/eventlog/download`, headers: HX })
  t.equal(start.statusCode, 200)
  t.match(start.body, /id="download-progress-onprem-/)
  const key = `onprem-${run.jobGroupId}`
  await settle(ta, key)
  const done = await ta.app.inject({ url: `${base(run.jobGroupId)}/onprem/eventlog/progress` })
  t.match(done.body, /Downloaded 1 part/)
  t.ok(done.body.includes(`${run.sparkAppId}_1.zip`), 'the zip is kept under the application\'s name')
  t.match(done.body, /Modified on the History Server/)
  t.notMatch(done.body, /hx-trigger="every 1s"/, 'polling stops')
  const choice = JSON.parse(await readFile(join(ta.services.store.flowDir(FLOW), 'eventlogs', key, APP_CHOICE_FILE), 'utf8')) as { appId: string, how: string }
  t.match(choice, { appId: run.sparkAppId, how: 'id' }, 'the application is remembered')

  const found = await ta.services.store.analyses.read(FLOW, key)
  t.equal(found.kind, 'ok')
  if (found.kind === 'ok') t.equal(found.saved.analysis.application.id, run.sparkAppId)
  const dash = await ta.app.inject(`${base(run.jobGroupId)}/dashboard`)
  t.equal(dash.statusCode, 200)
  t.ok(dash.body.includes(run.sparkAppId!), 'the dashboard shows the on-prem application')
  const api = await ta.app.inject(`/api${base(run.jobGroupId)}/analysis`)
  t.equal(api.statusCode, 200)
  const runPage = await ta.app.inject(base(run.jobGroupId))
  t.match(runPage.body, /<dt>Spark analysis<\/dt>/, 'the run page links its dashboard')
  for (const text of [frag.body, done.body, dash.body, ...ta.logLines]) t.notOk(text.includes(ta.sim.tokens.sparkHistory), 'no History Server secret in pages or logs')
})

t.test('several candidates: the user picks one (remembered), without JavaScript too', async (t) => {
  const ta = await setup(t)
  const run = ta.cases.several
  const frag = await ta.app.inject({ url: `${base(run.jobGroupId)}/onprem`, headers: HX })
  t.match(frag.body, /Spark applications ran between/)
  t.match(frag.body, /<form method="post" action="[^"]+\/onprem\/choose" hx-post="[^"]+\/onprem\/choose" hx-target="closest #history-panel"/)
  t.notMatch(frag.body, /eventlog\/download/, 'no download before a pick')
  const mine = ta.sim.world.history.byJobGroup.get(run.jobGroupId)!
  t.ok(frag.body.includes(`value="${mine}/1"`))
  const bad = await ta.app.inject({ method: 'POST', url: `${base(run.jobGroupId)}/onprem/choose`, payload: 'app=..%2Fetc', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(bad.statusCode, 400, 'a value that is no application id is refused')
  const unknown = await ta.app.inject({ method: 'POST', url: `${base(run.jobGroupId)}/onprem/choose`, payload: 'app=application_1_0001%2F1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(unknown.statusCode, 404, 'an application the History Server does not know')
  const pick = await ta.app.inject({ method: 'POST', url: `${base(run.jobGroupId)}/onprem/choose`, payload: `app=${encodeURIComponent(`${mine}/1`)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(pick.statusCode, 303)
  t.equal(pick.headers.location, `${base(run.jobGroupId)}/onprem`)
  const after = await ta.app.inject(`${base(run.jobGroupId)}/onprem`)
  t.match(after.body, /^<!doctype html>/, 'a full page without htmx')
  t.ok(after.body.includes(`Application <code>${mine}</code> attempt <code>1</code> (picked by you)`))
  t.match(after.body, /eventlog\/download/)
  await ta.app.inject({ method: 'POST', url: `${base(run.jobGroupId)}/onprem/eventlog/download` })
  await settle(ta, `onprem-${run.jobGroupId}`)
  const found = await ta.services.store.analyses.read(FLOW, `onprem-${run.jobGroupId}`)
  t.ok(found.kind === 'ok' && found.saved.analysis.application.id === mine, 'the picked application was analysed', { tasks: ta.services.tasks.list() })
})

t.test('no application in the window; the History Server failing; not configured', async (t) => {
  const ta = await setup(t)
  const none = await ta.app.inject({ url: `${base(ta.cases.none.jobGroupId)}/onprem`, headers: HX })
  t.match(none.body, /No Spark application ran between/)
  ta.sim.faults.add({ upstream: 'sparkHistory', kind: 'status', status: 503 })
  const down = await ta.app.inject({ url: `${base(ta.cases.byWindow.jobGroupId)}/onprem`, headers: HX })
  t.equal(down.statusCode, 200, 'the panel still renders')
  t.match(down.body, /role="alert">Spark History Server GET \/applications answered 503/)
  ta.sim.faults.clear()
  // an AAC-only id is no on-prem run
  const aac = await ta.app.inject(`/flows/${encodeURIComponent(FLOW)}/runs/999999999/onprem`)
  t.equal(aac.statusCode, 404)

  const off = await setup(t, { history: false })
  const panel = await off.app.inject({ url: `${base(off.cases.byId.jobGroupId)}/onprem`, headers: HX })
  t.match(panel.body, /Spark History Server is not configured/)
  const post = await off.app.inject({ method: 'POST', url: `${base(off.cases.byId.jobGroupId)}/onprem/eventlog/download` })
  t.equal(post.statusCode, 409)
})

t.test('cancel a running download: the next one resumes', async (t) => {
  const ta = await setup(t)
  const run = ta.cases.byWindow
  const slow = ta.sim.faults.add({ upstream: 'sparkHistory', path: /\/logs$/, kind: 'latency', ms: 400 })
  await ta.app.inject({ method: 'POST', url: `${base(run.jobGroupId)}/onprem/eventlog/download`, headers: HX })
  const running = await ta.app.inject({ url: `${base(run.jobGroupId)}/onprem/eventlog/progress` })
  t.match(running.body, /hx-trigger="every 1s"/, 'polls while running')
  t.match(running.body, /role="progressbar"/)
  const cancelled = await ta.app.inject({ method: 'POST', url: `${base(run.jobGroupId)}/onprem/eventlog/cancel`, headers: HX })
  t.match(cancelled.body, /Download cancelled/)
  slow()
  await ta.app.inject({ method: 'POST', url: `${base(run.jobGroupId)}/onprem/eventlog/download` })
  await settle(ta, `onprem-${run.jobGroupId}`)
  const done = await ta.app.inject({ url: `${base(run.jobGroupId)}/onprem/eventlog/progress` })
  t.match(done.body, /Downloaded 1 part/)
})
