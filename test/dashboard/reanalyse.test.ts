// An analysis saved by an older analyser (or before versions were recorded) says so on the dashboard, the run page,
// the runs table and the compare pages, and is re-analysed from the log already on disk (no download).
import t from 'tap'
import type { Test } from 'tap'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { buildTestApp, type TestApp } from '../helper.js'
import { makeRun } from '../helper-runs.js'
import { notable, saveSampleAnalysis, seedDbxFlow } from '../helper-dbx.js'
import { analyseTaskKey, downloadTaskKey } from '../../src/databricks/dbx-service.js'
import { ANALYSER_VERSION } from '../../src/spark/analyser-version.js'
import type { Analysis, Flag } from '../../src/spark/analysis-types.js'

const FLOW = 'Re-analyse'
const HX = { 'hx-request': 'true' }
const OLD_FLAG: Flag = { id: 'skew', severity: 'critical', title: 'Retired rule: everything is skewed', impactMs: 1, impactShare: 0.5, evidence: ['a rule this version no longer has'], metrics: {}, recommendationIds: [] }

interface Setup { ta: TestApp, jobGroupId: number, runId: string, base: string, dash: string }

/** A flow whose AAC run's event log was downloaded from the simulator and analysed, as a user would. */
async function downloaded (t: Test): Promise<Setup> {
  const ta = await buildTestApp(t)
  await seedDbxFlow(ta.services.store, ta.sim, FLOW, ['rolledParts', 'manyTasks'])
  const { jobGroupId, runId } = notable(ta.sim, 'rolledParts')
  const base = `/flows/${encodeURIComponent(FLOW)}/runs/${jobGroupId}`
  const r = await ta.app.inject({ method: 'POST', url: `${base}/eventlog/download`, headers: HX })
  t.equal(r.statusCode, 200)
  await ta.services.tasks.wait(downloadTaskKey(FLOW, runId))
  await ta.services.tasks.wait(analyseTaskKey(FLOW, runId))
  t.equal(ta.services.tasks.get(analyseTaskKey(FLOW, runId))?.status, 'done', 'downloaded and analysed')
  return { ta, jobGroupId, runId, base, dash: `${base}/dashboard` }
}

async function saved (ta: TestApp, key: string): Promise<Analysis> {
  const found = await ta.services.store.analyses.read(FLOW, key)
  if (found.kind !== 'ok') throw new Error(`no analysis under ${key}`)
  return found.saved.analysis
}

/** Turns the saved analysis into one an older analyser made: no version (as before versions) or `version`, with a critical flag this analyser no longer raises. */
async function makeOld (ta: TestApp, key: string, version: number | null): Promise<void> {
  const { analyserVersion: _, schemaVersion, ...rest } = await saved(ta, key)
  const old = { schemaVersion, ...(version === null ? {} : { analyserVersion: version }), ...rest, flags: [OLD_FLAG, ...rest.flags] }
  // as such a Tri-Tracker wrote it (no version at the file's head, or an older one)
  await writeFile(join(ta.services.store.eventLogs(FLOW, key).dir, 'analysis.json'), JSON.stringify(old, null, 1))
  await new Promise((resolve) => setTimeout(resolve, 5))
}

t.test('an older analysis says so everywhere and POST re-analyse (no JS, real HTTP) replaces it from the log on disk', async (t) => {
  const { ta, jobGroupId, runId, base, dash } = await downloaded(t)
  t.equal((await saved(ta, runId)).analyserVersion, ANALYSER_VERSION, 'a new analysis records this analyser')
  t.notMatch((await ta.app.inject(dash)).body, /class="reanalyse/, 'a current analysis: no notice')

  for (const version of [null, ANALYSER_VERSION - 1]) {
    await makeOld(ta, runId, version)
    t.equal((await saved(ta, runId)).analyserVersion, version ?? undefined, 'the old file still loads')
    t.same(await ta.services.store.analyses.analyserVersions(FLOW), new Map([[runId, version]]), 'its version read from the file head')
    const page = await ta.app.inject(dash)
    t.equal(page.statusCode, 200)
    t.match(page.body, /<strong>Analysed by an older version of Tri-Tracker: flags may differ\.<\/strong>/, `version ${String(version)}: the notice`)
    t.match(page.body, version === null ? /made by an analyser that recorded no version/ : new RegExp(`made by analyser ${version};`))
    t.match(page.body, new RegExp(`<form method="post" action="${base.replace(/[/.]/g, '\\$&')}/reanalyse" hx-post="[^"]+/reanalyse" hx-target="closest \\.reanalyse" hx-swap="outerHTML"`), 'a POST form, upgraded by htmx')
    t.match(page.body, /<input type="hidden" name="from" value="dashboard">/)
    t.match(page.body, /<button type="submit" class="primary" id="reanalyse-button-\d+">Re-analyse<\/button>/)
    t.match(page.body, /Retired rule: everything is skewed/, 'the old flags are still shown below the notice')
    const panel = await ta.app.inject({ url: dash, headers: HX })
    t.match(panel.body, /name="from" value="panel"/, 'in the sliding panel too')
    t.notMatch(panel.body, /<html/)
    const run = await ta.app.inject(base)
    t.match(run.body, /Analysed by an older version of Tri-Tracker: flags may differ/, 'the run page says so')
    t.match(run.body, /name="from" value="run"/)
    const flow = await ta.app.inject(`/flows/${encodeURIComponent(FLOW)}`)
    t.match(flow.body, new RegExp(`runs/${jobGroupId}/dashboard"[^]*?<small class="outdated-mark"[^>]*>older analysis</small>`), 'the runs table marks the run')
  }

  // without JavaScript, over real HTTP: a plain form POST, then the dashboard again
  const origin = await ta.app.listen({ host: '127.0.0.1', port: 0 }).then(() => `http://127.0.0.1:${(ta.app.server.address() as AddressInfo).port}`)
  const dbfsBefore = ta.sim.requests('databricks', '/api/2.0/dbfs')
  const downloadTask = ta.services.tasks.get(downloadTaskKey(FLOW, runId))
  const res = await fetch(`${origin}${base}/reanalyse`, { method: 'POST', body: new URLSearchParams({ from: 'dashboard' }), redirect: 'manual', headers: { origin } })
  t.equal(res.status, 303)
  t.equal(res.headers.get('location'), dash, 'back to the dashboard')
  await res.arrayBuffer()
  t.equal(ta.services.tasks.get(analyseTaskKey(FLOW, runId))?.status, 'done', 'analysed again within the wait')
  const now = await saved(ta, runId)
  t.equal(now.analyserVersion, ANALYSER_VERSION, 'replaced by this analyser\'s')
  t.notOk(now.flags.some((f) => f.title === OLD_FLAG.title), 'the retired critical is gone')
  t.equal(ta.sim.requests('databricks', '/api/2.0/dbfs'), dbfsBefore, 'nothing was downloaded')
  t.equal(ta.services.tasks.get(downloadTaskKey(FLOW, runId))?.startedAt, downloadTask?.startedAt, 'no download task either')
  const after = await fetch(`${origin}${dash}`)
  const html = await after.text()
  t.equal(after.status, 200)
  t.notMatch(html, /class="reanalyse/, 'the notice is gone')
  t.notMatch(html, /Retired rule/)
  t.notMatch((await ta.app.inject(`/flows/${encodeURIComponent(FLOW)}`)).body, /outdated-mark/, 'the runs table mark is gone')
})

t.test('with htmx: the box polls while the log is analysed, then the new dashboard replaces the old one in place', async (t) => {
  const { ta, runId, base } = await downloaded(t)
  await makeOld(ta, runId, null)
  const r = await ta.app.inject({ method: 'POST', url: `${base}/reanalyse`, payload: 'from=panel', headers: { ...HX, 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(r.statusCode, 200)
  t.notMatch(r.body, /<html/, 'a fragment')
  t.match(r.body, /<div id="reanalyse-\d+" class="reanalyse dash-notice notice-info" tabindex="-1" data-autofocus hx-get="[^"]+\/reanalyse\?from=panel" hx-trigger="every 1s" hx-target="this" hx-swap="outerHTML">/, 'a polling box')
  t.match(r.body, /<progress id="reanalyse-bar-\d+" aria-labelledby="reanalyse-label-\d+">/)
  await ta.services.tasks.wait(analyseTaskKey(FLOW, runId))
  const done = await ta.app.inject({ url: `${base}/reanalyse?from=panel`, headers: HX })
  t.equal(done.statusCode, 200)
  t.equal(done.headers['hx-retarget'], '#dashboard-content')
  t.equal(done.headers['hx-reswap'], 'outerHTML')
  t.equal(done.headers['cache-control'], 'no-store')
  t.match(done.body, /^<article id="dashboard-content"/, 'the dashboard content, for the panel')
  t.match(done.body, /<h2 id="dash-title">/, 'panel heading levels')
  t.notMatch(done.body, /class="reanalyse|Retired rule/, 'the new analysis, without the notice')

  // asked from the run page: the box ends with a link to the new dashboard
  await makeOld(ta, runId, 0)
  const fromRun = await ta.app.inject({ method: 'POST', url: `${base}/reanalyse`, payload: 'from=run', headers: { ...HX, 'content-type': 'application/x-www-form-urlencoded' } })
  t.match(fromRun.body, /hx-get="[^"]+\/reanalyse\?from=run"/)
  await ta.services.tasks.wait(analyseTaskKey(FLOW, runId))
  const end = await ta.app.inject({ url: `${base}/reanalyse?from=run`, headers: HX })
  t.equal(end.headers['hx-retarget'], undefined)
  t.match(end.body, /<p role="status"><strong>Re-analysed<\/strong> by this version of Tri-Tracker \(analyser \d+\)\. <a class="dash-link" href="[^"]+\/dashboard"/)
  t.notMatch(end.body, /hx-trigger/, 'polling stops')
  // without JS from the run page: back to the run page
  await makeOld(ta, runId, null)
  const noJs = await ta.app.inject({ method: 'POST', url: `${base}/reanalyse`, payload: 'from=run', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(noJs.statusCode, 303)
  t.equal(noJs.headers.location, base)
})

t.test('refused: cross-site, no log on disk, a run without a log, bad input', async (t) => {
  const { ta, runId, base } = await downloaded(t)
  await makeOld(ta, runId, null)
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'http://evil.example' }, { 'sec-fetch-site': 'same-site' }]) {
    const r = await ta.app.inject({ method: 'POST', url: `${base}/reanalyse`, payload: 'from=dashboard', headers: { ...form, ...headers } })
    t.equal(r.statusCode, 403, `cross-site refused: ${JSON.stringify(headers)}`)
  }
  const foreign = await ta.app.inject({ method: 'POST', url: `${base}/reanalyse`, payload: 'from=dashboard', headers: { ...form, host: 'evil.example' } })
  t.equal(foreign.statusCode, 421, 'a foreign Host refused')
  t.equal(ta.services.tasks.get(analyseTaskKey(FLOW, runId))?.status, 'done', 'no analysis was started')
  t.equal((await saved(ta, runId)).analyserVersion, undefined, 'the old analysis stays')

  t.equal((await ta.app.inject({ method: 'POST', url: `${base}/reanalyse`, payload: 'from=elsewhere', headers: form })).statusCode, 400, 'an unknown origin page')
  t.equal((await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(FLOW)}/runs/99999/reanalyse`, payload: 'from=run', headers: form })).statusCode, 404, 'an unknown run')
  t.equal((await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(FLOW)}/runs/..%2F1/reanalyse`, payload: 'from=run', headers: form })).statusCode, 400, 'a bad path segment')

  // the log is gone from disk (only the analysis is left): no button, and a POST says why
  const { jobGroupId: otherJob, runId: otherRun } = notable(ta.sim, 'manyTasks')
  await saveSampleAnalysis(ta.services.store, FLOW, otherRun, 'tasks_executors_fail_compressed_eventlog.zstd')
  await makeOld(ta, otherRun, null)
  const otherBase = `/flows/${encodeURIComponent(FLOW)}/runs/${otherJob}`
  const dash = await ta.app.inject(`${otherBase}/dashboard`)
  t.match(dash.body, /Analysed by an older version of Tri-Tracker: flags may differ/)
  t.match(dash.body, /Its event log is not on disk any more: download it again/)
  t.notMatch(dash.body, /reanalyse-button/, 'no button without a log to analyse')
  const r = await ta.app.inject({ method: 'POST', url: `${otherBase}/reanalyse`, payload: 'from=dashboard', headers: form })
  t.equal(r.statusCode, 409)
  t.match(r.body, /not on disk any more/)
  const hx = await ta.app.inject({ method: 'POST', url: `${otherBase}/reanalyse`, payload: 'from=dashboard', headers: { ...form, ...HX } })
  t.equal(hx.statusCode, 409)
  t.notMatch(hx.body, /<html/, 'an error fragment for htmx')
})

t.test('compare pages do not present an older analysis\' red flags as current', async (t) => {
  const { ta, jobGroupId, runId } = await downloaded(t)
  const other = notable(ta.sim, 'manyTasks')
  await saveSampleAnalysis(ta.services.store, FLOW, other.runId, 'tasks_executors_fail_compressed_eventlog.zstd')
  await makeOld(ta, runId, null)
  const cmp = await ta.app.inject(`/flows/${encodeURIComponent(FLOW)}/compare?a=${other.jobGroupId}&b=${jobGroupId}`)
  t.equal(cmp.statusCode, 200)
  t.match(cmp.body, new RegExp(`id="compare-outdated-b"><strong>Run ${jobGroupId} \\(B\\) was analysed by an older version of Tri-Tracker: flags may differ\\.</strong>`))
  t.notMatch(cmp.body, /compare-outdated-a/, 'A is current')
  t.notMatch(cmp.body, /Retired rule/, 'B\'s old flags are not listed')
  t.match(cmp.body, /<h3>Red flags of B<\/h3><p class="muted flags-outdated">not shown: analysed by an older version/)
  t.match(cmp.body, new RegExp(`<option value="${jobGroupId}" selected>${jobGroupId} · [^<]+ · older analysis</option>`), 'the run to choose says so')
  t.notMatch(cmp.body, new RegExp(`<option value="${other.jobGroupId}"[^>]*>[^<]+older analysis`))

  // AAC vs on-prem: an on-prem run analysed by an older analyser faces the AAC run
  const onpremJob = 424242
  await ta.services.store.updateFlow(FLOW, (d) => ({
    ...d,
    runs: [...d.runs, makeRun({ platform: 'onprem', jobGroupId: onpremJob, submittedAt: d.runs[0]!.submittedAt, flowName: FLOW })],
    pairs: [{ aacJobGroupId: jobGroupId, onpremJobGroupId: onpremJob, diffMs: 0 }]
  }))
  await saveSampleAnalysis(ta.services.store, FLOW, `onprem-${onpremJob}`, 'tasks_executors_fail_compressed_eventlog.zstd')
  await makeOld(ta, `onprem-${onpremJob}`, 0)
  const pair = await ta.app.inject(`/flows/${encodeURIComponent(FLOW)}/pairs/${jobGroupId}/${onpremJob}`)
  t.equal(pair.statusCode, 200)
  t.match(pair.body, /id="outdated-aac"><strong>AAC job \d+ was analysed by an older version/)
  t.match(pair.body, /id="outdated-onprem"><strong>On-prem job 424242 was analysed by an older version/)
  t.notMatch(pair.body, /Retired rule/, 'no old flag, in the flags or the summary')
  t.match(pair.body, /<li id="summary-flags-outdated">Red flags are left out: the AAC run and the on-prem run were analysed by an older version of Tri-Tracker/)
  const flow = await ta.app.inject(`/flows/${encodeURIComponent(FLOW)}`)
  t.match(flow.body, new RegExp(`runs/${onpremJob}/dashboard"[^]*?older analysis</small>`), 'the on-prem run is marked too')
})

t.test('analyser versions of a flow: from each file\'s head, kept while the file is unchanged', async (t) => {
  const { ta, runId } = await downloaded(t)
  const file = join(ta.services.store.eventLogs(FLOW, runId).dir, 'analysis.json')
  t.match(await readFile(file, 'utf8'), new RegExp(`^\\{\\n "schemaVersion": 1,\\n "analyserVersion": ${ANALYSER_VERSION},\\n "generatedAt"`), 'the version at the head')
  t.same(await ta.services.store.analyses.analyserVersions(FLOW), new Map([[runId, ANALYSER_VERSION]]))
  // an analysis written before versions: schemaVersion then generatedAt
  const { analyserVersion: _, ...old } = await saved(ta, runId)
  await writeFile(file, JSON.stringify(old, null, 2))
  t.same(await ta.services.store.analyses.analyserVersions(FLOW), new Map([[runId, null]]))
  await writeFile(file, '{ damaged')
  t.same(await ta.services.store.analyses.analyserVersions(FLOW), new Map([[runId, null]]), 'a damaged file records none')
  t.same(await ta.services.store.analyses.analyserVersions('no such flow'), new Map())
})
