import t from 'tap'
import { readFile } from 'node:fs/promises'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { createSparkHistoryClient, parseApplication, type SparkHistoryClient } from '../../src/spark-history/history-client.js'
import { findApplication, candidatesIn, narrowByName, runWindow } from '../../src/spark-history/app-finder.js'
import { downloadAppLogs, appLogName, parseContentRange } from '../../src/spark-history/download-app-logs.js'
import { eventLogFiles, STATE_FILE } from '../../src/store/eventlog-files.js'
import { analyseEventLog } from '../../src/spark/analyse.js'
import { UpstreamError } from '../../src/http/upstream-error.js'
import { tempDir } from '../helper.js'
import { finderCases } from './helper-history.js'
import { join } from 'node:path'

let sim: Simulator
let client: SparkHistoryClient
t.before(async () => {
  sim = await startSimulator({ seed: 'history' })
  client = createSparkHistoryClient({ baseUrl: sim.urls.sparkHistory, auth: 'basic', user: sim.users.sparkHistory, token: sim.tokens.sparkHistory, baseDelayMs: 2, timeoutMs: 2000 })
})
t.teardown(async () => { await client.close(); await sim.close() })

t.test('the application list in Spark REST shapes, filtered by start date and status', async (t) => {
  const all = await client.listApplications({})
  t.equal(all.length, sim.world.history.apps.length)
  const running = all.filter((a) => a.attempts.some((x) => !x.completed))
  t.ok(running.some((a) => a.name === 'Thrift JDBC/ODBC Server'), 'a long-running server is listed, running')
  t.equal(running[0]!.attempts[0]!.endTime, null, 'a running attempt has no end')
  const from = sim.world.now - 2 * 86_400_000
  const recent = await client.listApplications({ minDate: from, status: 'completed' })
  t.ok(recent.length > 0 && recent.length < all.length)
  t.ok(recent.every((a) => a.attempts.some((x) => x.startTime >= from && x.completed)), 'minDate and status applied by the server')
  t.equal((await client.listApplications({ limit: 3 })).length, 3)
})

t.test('parsing tolerates what a History Server may send', async (t) => {
  t.equal(parseApplication({ id: '../etc', attempts: [] }), null, 'an id that is no Spark id')
  t.equal(parseApplication(null), null)
  const a = parseApplication({ id: 'app-20200706201101-0003', name: 'x', attempts: [{ startTime: '2020-07-07T03:11:00.235GMT', endTime: '2020-07-07T03:17:04.231GMT', completed: true, attemptId: 7 }, { nothing: true }], extra: 1 })
  t.same(a?.attempts.map((x) => [x.attemptId, x.startTime, x.endTime]), [['7', 1594091460235, 1594091824231]], 'string dates (GMT) when there are no epochs; numeric attempt ids')
  // Spark's own expectation file of the application list parses whole
  const golden = JSON.parse(await readFile('/work/shared/fixtures/spark-expectations/application-list-json.json', 'utf8').catch(() => '[]')) as unknown[]
  if (golden.length > 0) t.equal(golden.map(parseApplication).filter((x) => x !== null).length, golden.length, 'every app of Spark\'s golden application list')
})

t.test('finder: by the id the job reports', async (t) => {
  const { byId } = finderCases(sim)
  sim.resetRequests()
  const r = await findApplication(client, byId)
  t.equal(r.kind, 'found')
  if (r.kind === 'found') {
    t.equal(r.how, 'id')
    t.equal(r.candidate.appId, byId.sparkAppId)
  }
  t.equal(sim.requests('sparkHistory', '/api/v1/applications/'), 1, 'one lookup, no listing')
})

t.test('finder: by the run window when the job reports no id', async (t) => {
  const { byWindow } = finderCases(sim)
  const r = await findApplication(client, byWindow)
  t.equal(r.kind, 'found')
  if (r.kind === 'found') {
    t.equal(r.how, 'window')
    t.equal(r.candidate.appId, sim.world.history.byJobGroup.get(byWindow.jobGroupId))
    const w = runWindow(byWindow)!
    t.ok(r.candidate.startTime >= w.from && (r.candidate.endTime ?? Infinity) <= w.to, 'inside the window')
  }
})

t.test('finder: several candidates are handed to the user, none is a clear message', async (t) => {
  const { several, none } = finderCases(sim)
  const r = await findApplication(client, several)
  t.equal(r.kind, 'several')
  if (r.kind === 'several') {
    t.ok(r.candidates.length >= 2)
    t.ok(r.candidates.some((c) => c.appId === sim.world.history.byJobGroup.get(several.jobGroupId)), 'the right one is among them')
  }
  const n = await findApplication(client, none)
  t.equal(n.kind, 'none')
  if (n.kind === 'none') t.match(n.message, /No Spark application ran between .* History Server/)
  // a remembered pick wins over the window
  const mine = sim.world.history.byJobGroup.get(several.jobGroupId)!
  const again = await findApplication(client, several, { remembered: { appId: mine, attemptId: '1' } })
  t.match(again, { kind: 'found', how: 'remembered', candidate: { appId: mine } })
  // an id the server no longer knows falls back to the window
  const stale = await findApplication(client, { ...several, sparkAppId: 'application_1_0001' })
  t.equal(stale.kind, 'several')
})

t.test('finder: pure window and name rules', async (t) => {
  const apps = [
    { id: 'application_1_0001', name: 'Trifacta Transformer · out · job 42', attempts: [{ attemptId: '1', startTime: 1000, endTime: 5000, lastUpdated: null, durationMs: 4000, sparkUser: null, completed: true, appSparkVersion: '3.1.1' }] },
    { id: 'application_1_0002', name: 'Trifacta Transformer · out · job 420', attempts: [{ attemptId: '1', startTime: 1500, endTime: 6000, lastUpdated: null, durationMs: 4500, sparkUser: null, completed: true, appSparkVersion: '3.1.1' }] },
    { id: 'application_1_0003', name: 'late', attempts: [{ attemptId: null, startTime: 1500, endTime: 99_000, lastUpdated: null, durationMs: null, sparkUser: null, completed: true, appSparkVersion: null }] },
    { id: 'application_1_0004', name: 'running', attempts: [{ attemptId: null, startTime: 1500, endTime: null, lastUpdated: null, durationMs: null, sparkUser: null, completed: false, appSparkVersion: null }] }
  ]
  const win = { from: 1000, to: 7000 }
  t.same(candidatesIn(apps, win, { slackMs: 0 }).map((c) => c.appId), ['application_1_0001', 'application_1_0002'], 'ends after the window, or still running: not the finished run\'s')
  t.same(candidatesIn(apps, win, { slackMs: 0, runFinished: false }).map((c) => c.appId), ['application_1_0001', 'application_1_0002', 'application_1_0004'], 'a running run may have a running app')
  t.same(narrowByName(candidatesIn(apps, win, { slackMs: 0 }), { jobGroupId: 42, outputName: 'out' }).map((c) => c.appId), ['application_1_0001'], 'job 42, not 420')
  t.same(narrowByName(candidatesIn(apps, win, { slackMs: 0 }), { jobGroupId: 7, outputName: null }).length, 2, 'no name decides')
  t.equal(runWindow({ submittedAt: 'x', startedAt: null, finishedAt: null }), null)
})

t.test('errors: wrong password, unknown app, 429 with Retry-After, 503, reset', async (t) => {
  const bad = createSparkHistoryClient({ baseUrl: sim.urls.sparkHistory, auth: 'basic', user: 'spark', token: 'wrong-password-1234', baseDelayMs: 2 })
  t.teardown(async () => { await bad.close() })
  const e401 = await bad.listApplications({}).catch((e: unknown) => e)
  t.ok(e401 instanceof UpstreamError && e401.kind === 'auth' && e401.status === 401)
  t.notMatch((e401 as Error).message, /wrong-password-1234/, 'no secret in the message')
  const bearer = createSparkHistoryClient({ baseUrl: sim.urls.sparkHistory, auth: 'bearer', user: '', token: sim.tokens.sparkHistory })
  t.teardown(async () => { await bearer.close() })
  t.ok((await bearer.listApplications({ limit: 1 })).length === 1, 'bearer auth works too')
  const e404 = await client.application('application_1_0001').catch((e: unknown) => e)
  t.match(e404, { kind: 'not-found', status: 404 })
  t.match((e404 as Error).message, /unknown app: application_1_0001/, 'the server\'s plain-text reason')
  const off = sim.faults.add({ upstream: 'sparkHistory', path: '/api/v1/applications', kind: 'status', status: 429, retryAfter: 0, times: 1 })
  t.ok((await client.listApplications({ limit: 1 })).length === 1, 'retried after 429')
  off()
  sim.faults.add({ upstream: 'sparkHistory', path: '/api/v1/applications', kind: 'status', status: 503, times: 2 })
  t.ok((await client.listApplications({ limit: 1 })).length === 1, 'retried after 503')
  sim.faults.add({ upstream: 'sparkHistory', path: '/api/v1/applications', kind: 'reset', times: 1 })
  t.ok((await client.listApplications({ limit: 1 })).length === 1, 'retried after a reset')
  const stop = sim.faults.add({ upstream: 'sparkHistory', path: '/api/v1/applications', kind: 'status', status: 500 })
  const e500 = await client.listApplications({}).catch((e: unknown) => e)
  t.match(e500, { kind: 'http', status: 500 })
  stop()
  await t.rejects(client.application('../../etc/passwd'), /not a Spark application id/)
})

t.test('download: the zip arrives whole, analyses as the run\'s application, and resumes with Range', async (t) => {
  const { byWindow } = finderCases(sim)
  const appId = sim.world.history.byJobGroup.get(byWindow.jobGroupId)!
  const dir = tempDir(t)
  const files = eventLogFiles(dir)
  // break the first transfer half-way: the downloader resumes from its checkpoint with a Range request
  sim.faults.add({ upstream: 'sparkHistory', path: /\/logs$/, kind: 'truncate', times: 1 })
  sim.resetRequests()
  const progress: number[] = []
  const m = await downloadAppLogs({ client, appId, attemptId: '1', files, origin: sim.urls.sparkHistory, checkpointMs: 0, onProgress: (p) => progress.push(p.bytesDone) })
  t.equal(m.parts[0]!.name, appLogName(appId, '1'))
  t.equal(sim.requests('sparkHistory', `/api/v1/applications/${appId}/1/logs`), 2, 'a second request after the break')
  t.ok(progress.at(-1) === m.totalBytes)
  await t.rejects(readFile(join(dir, STATE_FILE)), 'the download state is gone once complete')
  const a = await analyseEventLog(files.analysisInput(m))
  t.equal(a.application.id, appId, 'the log names the application the History Server listed')
  const listed = (await client.application(appId)).attempts[0]!
  t.equal(a.application.startTime, listed.startTime, 'its times were moved to the run\'s')
  t.equal(a.application.endTime, listed.endTime)
  t.equal(a.parse.badLines.count, 0, 'every shifted line parses')
})

t.test('download: a server without Range starts over; a cancelled download keeps its bytes', async (t) => {
  const { byId } = finderCases(sim)
  const appId = byId.sparkAppId!
  const dir = tempDir(t)
  const files = eventLogFiles(dir)
  sim.setHistoryRanges(false)
  t.teardown(() => { sim.setHistoryRanges(true) })
  sim.faults.add({ upstream: 'sparkHistory', path: /\/logs$/, kind: 'truncate', times: 1 })
  const m = await downloadAppLogs({ client, appId, attemptId: '1', files, origin: 'x', checkpointMs: 0 })
  const a = await analyseEventLog(files.analysisInput(m))
  t.equal(a.application.id, appId, 'complete after starting over')
  const ac = new AbortController()
  ac.abort()
  await t.rejects(downloadAppLogs({ client, appId, attemptId: '1', files: eventLogFiles(tempDir(t)), origin: 'x', signal: ac.signal }), /cancel/)
  t.same(parseContentRange('bytes 100-199/2000'), { start: 100, total: 2000 })
  t.equal(parseContentRange('bytes */2000'), null)
})
