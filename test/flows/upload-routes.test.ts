// Bring your own log: an event log file uploaded on a run's page (multipart over HTTP) is kept in the run's event
// log folder and analysed by the same path as a download; its numbers equal Spark History Server's own.
import t from 'tap'
import type { Test } from 'tap'
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import { buildTestApp, type TestApp } from '../helper.js'
import { makeRun } from '../helper-runs.js'
import { FIXTURES } from '../helper-fixtures.js'
import { analyseTaskKey, downloadTaskKey } from '../../src/databricks/dbx-service.js'
import { createFlowStore } from '../../src/store/flow-store.js'
import { uploadDisplayName, uploadPartName } from '../../src/store/eventlog-upload.js'
import { loadConfig } from '../../src/config.js'

const FLOW = 'Bring your own log'
const AAC_JOB = 7001
const DBX_RUN = '880001'
const ONPREM_JOB = 7002
const NO_DBX_JOB = 7003
const HX = { 'hx-request': 'true' }
const runUrl = (id: number): string => `/flows/${encodeURIComponent(FLOW)}/runs/${id}`

// Spark's History Server answers for this log (shared/fixtures/spark-expectations, Apache License 2.0)
const LOG = join(FIXTURES, 'eventlogs/spark/local-1422981780767')
const EXPECT = join(FIXTURES, 'spark-expectations')

async function setup (t: Test, env: Record<string, string> = {}): Promise<TestApp> {
  const ta = await buildTestApp(t, { env })
  await ta.services.store.addFlow(FLOW)
  const at = '2026-11-20T08:00:00.000Z'
  await ta.services.store.updateFlow(FLOW, (d) => ({
    ...d,
    runs: [
      makeRun({ platform: 'aac', jobGroupId: AAC_JOB, submittedAt: at, flowName: FLOW, databricksRunId: DBX_RUN }),
      makeRun({ platform: 'onprem', jobGroupId: ONPREM_JOB, submittedAt: at, flowName: FLOW }),
      makeRun({ platform: 'aac', jobGroupId: NO_DBX_JOB, submittedAt: at, flowName: FLOW })
    ]
  }))
  return ta
}

/** A multipart/form-data body as a browser sends it: one file field (and an unrelated text field before it). */
function multipart (fileName: string, content: Buffer, field = 'eventlog'): { body: Buffer, headers: Record<string, string> } {
  const boundary = `----TriTrackerTest${randomBytes(8).toString('hex')}`
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ])
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

async function upload (ta: TestApp, url: string, fileName: string, content: Buffer, headers: Record<string, string> = {}): Promise<Awaited<ReturnType<TestApp['app']['inject']>>> {
  const m = multipart(fileName, content)
  return await ta.app.inject({ method: 'POST', url, payload: m.body, headers: { ...m.headers, ...headers } })
}

async function settle (ta: TestApp, key: string): Promise<void> {
  await ta.services.tasks.wait(downloadTaskKey(FLOW, key)).catch(() => {})
  await ta.services.tasks.wait(analyseTaskKey(FLOW, key)).catch(() => {})
}

const folder = (ta: TestApp, key: string): string => join(ta.services.store.flowDir(FLOW), 'eventlogs', key)
const listing = async (dir: string): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).sort()

/** The analysis compared with Spark's own answers for local-1422981780767: application, jobs, executors. */
async function equalsSpark (t: Test, ta: TestApp, key: string): Promise<void> {
  const found = await ta.services.store.analyses.read(FLOW, key)
  t.equal(found.kind, 'ok', 'an analysis was saved')
  if (found.kind !== 'ok') return
  const a = found.saved.analysis
  const app = JSON.parse(await readFile(join(EXPECT, 'one-app-json.json'), 'utf8')) as { id: string, name: string, attempts: Array<{ startTimeEpoch: number, endTimeEpoch: number, duration: number, sparkUser: string }> }
  t.match(a.application, { id: app.id, name: app.name, startTime: app.attempts[0]!.startTimeEpoch, endTime: app.attempts[0]!.endTimeEpoch, duration: app.attempts[0]!.duration, sparkUser: app.attempts[0]!.sparkUser }, 'application as Spark reports it')
  const jobs = JSON.parse(await readFile(join(EXPECT, 'job-list-json.json'), 'utf8')) as Array<Record<string, unknown>>
  const fields = ['jobId', 'status', 'numTasks', 'numCompletedTasks', 'numFailedTasks', 'numCompletedStages', 'numFailedStages', 'numSkippedStages'] as const
  const pick = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(fields.map((f) => [f, o[f]]))
  t.same([...a.jobs].sort((x, y) => y.jobId - x.jobId).map((j) => pick(j as unknown as Record<string, unknown>)), jobs.map(pick), 'jobs as Spark reports them')
  const execs = JSON.parse(await readFile(join(EXPECT, 'executor-list-json.json'), 'utf8')) as Array<Record<string, unknown>>
  const ef = ['id', 'totalTasks', 'completedTasks', 'failedTasks', 'totalDuration', 'totalGCTime', 'totalInputBytes', 'totalShuffleRead', 'totalShuffleWrite', 'maxMemory'] as const
  const epick = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(ef.map((f) => [f, o[f]]))
  t.same(a.executors.filter((x) => x.isActive).map((x) => epick(x as unknown as Record<string, unknown>)), execs.map(epick), 'executors as Spark reports them')
}

t.test('a plain log uploaded with htmx on an AAC run: kept, analysed as Spark does, shown as an upload', async (t) => {
  const ta = await setup(t)
  const log = await readFile(LOG)
  const res = await upload(ta, `${runUrl(AAC_JOB)}/eventlog/upload`, 'local-1422981780767', log, HX)
  t.equal(res.statusCode, 303, 'htmx follows a redirect to the progress fragment')
  t.equal(res.headers.location, `${runUrl(AAC_JOB)}/eventlog/progress`)
  await settle(ta, DBX_RUN)
  t.same(await listing(folder(ta, DBX_RUN)), ['analysis.json', 'manifest.json', 'uploaded-eventlog'], 'the file under a name of ours, no temp file left')
  t.same(await readFile(join(folder(ta, DBX_RUN), 'uploaded-eventlog')), log, 'byte for byte')
  await equalsSpark(t, ta, DBX_RUN)

  const frag = await ta.app.inject({ url: res.headers.location as string, headers: HX })
  t.equal(frag.statusCode, 200)
  t.notMatch(frag.body, /<html/i)
  t.match(frag.body, /Analysed from an uploaded file <strong class="upload-name">local-1422981780767<\/strong>, 66\.6 KiB, uploaded on <time/)
  t.match(frag.body, /➜ Dashboard|dashboard/i)
  t.notMatch(frag.body, /hx-trigger="every 1s"/, 'polling stopped')
  t.match(frag.body, /<form method="post" action="[^"]+\/eventlog\/upload" enctype="multipart\/form-data" class="eventlog-upload" hx-post="[^"]+\/eventlog\/upload" hx-encoding="multipart\/form-data" hx-target="closest \.download-progress"/, 'the form again, for another file')
  const dash = await ta.app.inject(`${runUrl(AAC_JOB)}/dashboard`)
  t.equal(dash.statusCode, 200)
  t.match(dash.body, /Spark shell/, 'the dashboard shows the uploaded application')
})

t.test('a gzip log uploaded without JavaScript on an on-prem run, under a hostile name without a suffix', async (t) => {
  const ta = await setup(t)
  const key = `onprem-${ONPREM_JOB}`
  const gz = gzipSync(await readFile(LOG))
  const res = await upload(ta, `${runUrl(ONPREM_JOB)}/onprem/eventlog/upload`, '../../etc/\u202epasswd', gz)
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `${runUrl(ONPREM_JOB)}/onprem`, 'back to the panel the form was on')
  await settle(ta, key)
  t.same(await listing(folder(ta, key)), ['analysis.json', 'manifest.json', 'uploaded-eventlog'], 'the client\'s name never reaches the disk')
  await equalsSpark(t, ta, key)
  const manifest = JSON.parse(await readFile(join(folder(ta, key), 'manifest.json'), 'utf8')) as { source: { destination: string }, parts: Array<{ dbfsPath: string, size: number }> }
  t.equal(manifest.source.destination, 'upload')
  t.same(manifest.parts.map((p) => [p.dbfsPath, p.size]), [['passwd', gz.length]], 'the display name: last path component, no bidi override')

  const page = await ta.app.inject(`${runUrl(ONPREM_JOB)}/onprem`)
  t.equal(page.statusCode, 200)
  t.match(page.body, /Analysed from an uploaded file <strong class="upload-name">passwd<\/strong>/)
  t.match(page.body, /Analyse a log file you have/, 'the form is there even with the History Server set')
})

t.test('an upload replaces the log before it; a .gz name keeps its suffix', async (t) => {
  const ta = await setup(t)
  const log = await readFile(LOG)
  t.equal((await upload(ta, `${runUrl(AAC_JOB)}/eventlog/upload`, 'first.json', log)).statusCode, 303)
  await settle(ta, DBX_RUN)
  t.equal((await upload(ta, `${runUrl(AAC_JOB)}/eventlog/upload`, 'C:\\logs\\second.GZ', gzipSync(log))).statusCode, 303)
  await settle(ta, DBX_RUN)
  t.same(await listing(folder(ta, DBX_RUN)), ['analysis.json', 'manifest.json', 'uploaded-eventlog.gz'], 'the first upload is gone')
  await equalsSpark(t, ta, DBX_RUN)
  const frag = await ta.app.inject(`${runUrl(AAC_JOB)}/eventlog/progress`)
  t.match(frag.body, /uploaded file <strong class="upload-name">second\.GZ<\/strong>/)
})

t.test('an upload past EVENTLOG_UPLOAD_MAX_MB is cut off over a real socket: 413, nothing left, the previous log kept', async (t) => {
  const ta = await setup(t, { EVENTLOG_UPLOAD_MAX_MB: '1' })
  const log = await readFile(LOG)
  t.equal((await upload(ta, `${runUrl(AAC_JOB)}/eventlog/upload`, 'small', log)).statusCode, 303)
  await settle(ta, DBX_RUN)
  const before = await listing(folder(ta, DBX_RUN))

  await ta.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = ta.app.server.address() as AddressInfo
  const big = multipart('big.log', Buffer.alloc(3 * 1024 * 1024, 0x7b))
  // chunked, no Content-Length: only counting the bytes can stop it
  const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: `${runUrl(AAC_JOB)}/eventlog/upload`, headers: { ...big.headers, 'transfer-encoding': 'chunked' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    for (let i = 0; i < big.body.length; i += 64 * 1024) req.write(big.body.subarray(i, i + 64 * 1024))
    req.end()
  })
  t.equal(answer.status, 413)
  t.match(answer.body, /larger than 1\.0 MiB, the most EVENTLOG_UPLOAD_MAX_MB allows: the upload was cut off and nothing of it was kept/)
  t.match(answer.body, /<html/i, 'a full error page without JavaScript')
  t.same(await listing(folder(ta, DBX_RUN)), before, 'no temp file, the earlier upload and its analysis untouched')
  const dash = await ta.app.inject(`${runUrl(AAC_JOB)}/dashboard`)
  t.notMatch(dash.body, /This analysis is stale/, 'a refused upload does not make the analysis stale')
  const frag = await ta.app.inject(`${runUrl(AAC_JOB)}/eventlog/progress`)
  t.match(frag.body, /The upload failed: The file is larger than 1\.0 MiB/)

  // a Content-Length beyond the limit is refused before reading; as an htmx request it lands in #flash
  const declared = await upload(ta, `${runUrl(AAC_JOB)}/eventlog/upload`, 'big.log', Buffer.alloc(2 * 1024 * 1024, 0x7b), HX)
  t.equal(declared.statusCode, 413)
  t.notMatch(declared.body, /<html/i)
  t.match(declared.body, /EVENTLOG_UPLOAD_MAX_MB/)
  t.same(await listing(folder(ta, DBX_RUN)), before)
})

t.test('a file that is not an event log ends in a clear failed analysis, nothing saved', async (t) => {
  const ta = await setup(t)
  const res = await upload(ta, `${runUrl(AAC_JOB)}/eventlog/upload`, 'holiday.jpg', randomBytes(50_000), HX)
  t.equal(res.statusCode, 303)
  await settle(ta, DBX_RUN)
  t.equal(ta.services.tasks.get(analyseTaskKey(FLOW, DBX_RUN))?.status, 'failed')
  // last-failure.json (the failed analysis, remembered) may or may not be written yet: it is not what is checked here
  t.same((await listing(folder(ta, DBX_RUN))).filter((n) => n !== 'last-failure.json'), ['manifest.json', 'uploaded-eventlog'], 'no analysis.json')
  const frag = await ta.app.inject(`${runUrl(AAC_JOB)}/eventlog/progress`)
  t.match(frag.body, /Uploaded file <strong class="upload-name">holiday\.jpg<\/strong>/)
  t.match(frag.body, /analysis failed: This is not a Spark event log, or it is damaged from its start: no Spark events found \(50000 bytes, \d+ unparseable line\(s\)\)/)
  const dash = await ta.app.inject(`${runUrl(AAC_JOB)}/dashboard`)
  t.equal(dash.statusCode, 200)
  t.match(dash.body, /The last analysis failed: This is not a Spark event log/)
})

t.test('refused uploads: cross-site, bad paths, no file, an empty file, not multipart, a run with no log folder', async (t) => {
  const ta = await setup(t)
  const log = await readFile(LOG)
  const url = `${runUrl(AAC_JOB)}/eventlog/upload`
  const crossSite: Array<Record<string, string>> = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://evil.example' }, { origin: 'null' }]
  for (const headers of crossSite) {
    const r = await upload(ta, url, 'x', log, headers)
    t.equal(r.statusCode, 403, `cross-site refused: ${JSON.stringify(headers)}`)
  }
  const foreignHost = await upload(ta, url, 'x', log, { host: 'evil.example' })
  t.equal(foreignHost.statusCode, 421, 'a foreign Host is refused')
  t.same(await listing(folder(ta, DBX_RUN)), [], 'nothing written by refused requests')

  const statuses: Array<[string, number]> = [
    [`/flows/${encodeURIComponent(FLOW)}/runs/abc/eventlog/upload`, 400],
    [`/flows/${encodeURIComponent(FLOW)}/runs/..%2F..%2Fx/eventlog/upload`, 400],
    [`/flows/${encodeURIComponent(FLOW)}/runs/99999/eventlog/upload`, 404],
    [`/flows/${encodeURIComponent('No such flow')}/runs/${AAC_JOB}/eventlog/upload`, 404],
    [`/flows/%2E%2E/runs/${AAC_JOB}/eventlog/upload`, 404],
    [`${runUrl(NO_DBX_JOB)}/eventlog/upload`, 404],
    [`${runUrl(AAC_JOB)}/onprem/eventlog/upload`, 404],
    [`${runUrl(ONPREM_JOB)}/eventlog/upload`, 404]
  ]
  for (const [u, status] of statuses) t.equal((await upload(ta, u, 'x', log)).statusCode, status, u)

  const empty = await upload(ta, url, 'empty.log', Buffer.alloc(0))
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /empty \(0 bytes\)/)
  const boundary = '----TriTrackerTextOnly'
  const onlyText = await ta.app.inject({ method: 'POST', url, payload: `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } })
  t.equal(onlyText.statusCode, 400, 'no file part')
  t.match(onlyText.body, /No file was sent/)
  const form = await ta.app.inject({ method: 'POST', url, payload: 'eventlog=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.statusCode, 415)
  t.same(await listing(folder(ta, DBX_RUN)), [], 'nothing kept')
  t.notOk(ta.logLines.some((l) => l.includes(ta.sim.tokens.databricks)), 'no token in the log')
})

t.test('the panels offer the upload even when nothing can be downloaded', async (t) => {
  const ta = await buildTestApp(t, { history: false, env: { DATABRICKS_HOST: '', DATABRICKS_TOKEN: '' } })
  await ta.services.store.addFlow(FLOW)
  await ta.services.store.updateFlow(FLOW, (d) => ({
    ...d,
    runs: [
      makeRun({ platform: 'aac', jobGroupId: AAC_JOB, submittedAt: '2026-11-20T08:00:00.000Z', flowName: FLOW, databricksRunId: DBX_RUN }),
      makeRun({ platform: 'onprem', jobGroupId: ONPREM_JOB, submittedAt: '2026-11-20T08:00:00.000Z', flowName: FLOW })
    ]
  }))
  const dbx = await ta.app.inject({ url: `${runUrl(AAC_JOB)}/dbx`, headers: HX })
  t.equal(dbx.statusCode, 200)
  t.match(dbx.body, /Databricks is not configured, so the event log cannot be downloaded/)
  t.match(dbx.body, /Analyse a log file you have/)
  t.notMatch(dbx.body, /\/eventlog\/download"/, 'no download button')
  t.match(dbx.body, /up to 2\.0 GiB/, 'the default limit')
  const onprem = await ta.app.inject({ url: `${runUrl(ONPREM_JOB)}/onprem`, headers: HX })
  t.equal(onprem.statusCode, 200)
  t.match(onprem.body, /action="[^"]+\/onprem\/eventlog\/upload"/)
  t.notMatch(onprem.body, /\/onprem\/eventlog\/download"/)
})

t.test('names: display and stored', async (t) => {
  t.equal(uploadDisplayName('a/b\\c.log'), 'c.log')
  t.equal(uploadDisplayName('\u0000\u001b[31m'), '[31m')
  t.equal(uploadDisplayName('   '), 'event log')
  t.equal([...uploadDisplayName('x'.repeat(500))].length, 200)
  t.equal(uploadPartName('app.zstd'), 'uploaded-eventlog.zst')
  t.equal(uploadPartName('app.lz4.inprogress'), 'uploaded-eventlog.lz4')
  t.equal(uploadPartName('../../.env'), 'uploaded-eventlog')
  t.equal(uploadPartName('events.zip'), 'uploaded-eventlog.zip')
  t.equal(loadConfig({}).EVENTLOG_UPLOAD_MAX_MB, 2048)
  t.throws(() => loadConfig({ EVENTLOG_UPLOAD_MAX_MB: '0' }), /EVENTLOG_UPLOAD_MAX_MB must be an integer from 1/)
})

t.test('a temp file of an upload killed mid-way is swept at the next start', async (t) => {
  const ta = await setup(t)
  const dir = folder(ta, DBX_RUN)
  await mkdir(dir, { recursive: true })
  const stray = '.uploaded-eventlog.gz.999999999.0123456789ab.tmp'
  await writeFile(join(dir, stray), 'half an upload')
  const fresh = createFlowStore({ dataDir: ta.dataDir })
  await fresh.listFlowSummaries()
  t.same(await listing(dir), [], 'the dead writer\'s temp file is gone')
})
