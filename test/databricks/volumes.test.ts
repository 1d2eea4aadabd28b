import t from 'tap'
import type { Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { createDatabricksClient, type DatabricksClient } from '../../src/databricks/databricks-client.js'
import { fetchDbxDetails } from '../../src/databricks/dbx-details.js'
import { locateEventLog, type EventLogPart, type LocateResult } from '../../src/databricks/locate-event-log.js'
import { downloadEventLog, type DownloadProgress } from '../../src/databricks/download-event-log.js'
import { volumeSource } from '../../src/databricks/volume-source.js'
import { downloadTaskKey, analyseTaskKey } from '../../src/databricks/dbx-service.js'
import { eventLogFiles, STATE_FILE } from '../../src/store/eventlog-files.js'
import { analyseEventLog } from '../../src/spark/analyse.js'
import { dbfsBytes, notable, seedDbxFlow, startDownloadChild } from '../helper-dbx.js'
import { buildTestApp, tempDir } from '../helper.js'

const VOLUME = '/Volumes/main/trifacta/cluster_logs'
const FILES = '/api/2.0/fs/files'
const DIRS = '/api/2.0/fs/directories'
const KiB = 1024
const MiB = 1024 * KiB

let sim: Simulator
let client: DatabricksClient
t.before(async () => {
  sim = await startSimulator({ seed: 'volumes' })
  client = createDatabricksClient({ host: sim.urls.databricks, token: sim.tokens.databricks, baseDelayMs: 2, retries: 8 })
})
t.teardown(async () => {
  await client.close()
  await sim.close()
})

async function locate (key: 'volumeLogs' | 'noLogConfFallback' | 'rolledParts', opts: { pageSize?: number } = {}): Promise<LocateResult> {
  const d = await fetchDbxDetails(client, notable(sim, key).runId, { now: sim.world.now })
  return await locateEventLog(client, { clusterId: d.clusterId, sparkContextId: d.sparkContextId, logConf: d.logConf, defaultRoot: 'dbfs:/trifacta/logs', endedAt: d.run.endTime, now: sim.world.now }, opts)
}

async function volumeParts (): Promise<EventLogPart[]> {
  const res = await locate('volumeLogs')
  if (res.kind !== 'found') throw new Error(res.message)
  return res.parts
}

async function sameBytes (t: Test, dir: string, parts: EventLogPart[]): Promise<void> {
  for (const p of parts) t.ok((await readFile(join(dir, p.name))).equals(await dbfsBytes(sim, p.path)), `${p.name}: byte-identical to the volume's file`)
}

t.test('cluster_log_conf.volumes: located through the Files API, listing page after page', async (t) => {
  sim.setFilesPageCap(1)
  t.teardown(() => { sim.setFilesPageCap(1000) })
  sim.resetRequests()
  const res = await locate('volumeLogs')
  t.equal(res.kind, 'found')
  if (res.kind !== 'found') return
  t.equal(res.store, 'volume')
  t.equal(res.destination, VOLUME)
  t.equal(res.destinationSource, 'cluster_log_conf')
  t.ok(res.contextMatched, 'the run\'s Spark context folder')
  t.ok(res.folder.startsWith(`${VOLUME}/`), res.folder)
  t.ok(res.parts.length >= 1 && res.parts[res.parts.length - 1]!.name === 'eventlog', 'parts in Databricks order, eventlog last')
  t.ok(res.parts.every((p) => p.size > 0 && p.modificationTime !== null), 'sizes and times from the listing')
  t.ok(sim.requests('databricks', DIRS) > 3, `one entry a page: ${sim.requests('databricks', DIRS)} directory pages`)
  t.equal(sim.requests('databricks', '/api/2.0/dbfs/'), 0, 'the DBFS API is not asked about a volume')

  // the same with the documented page size: fewer pages, the same parts
  sim.setFilesPageCap(1000)
  const again = await locate('volumeLogs')
  t.same(again.kind === 'found' && again.parts, res.parts)
  // a bad token is refused by the simulator as by the docs (the other parameters must match): paging is real
  const listing = await fetch(`${sim.urls.databricks}${DIRS}${VOLUME}?page_token=bm9wZQ`, { headers: { authorization: `Bearer ${sim.tokens.databricks}` } })
  t.equal(listing.status, 400)
})

t.test('download from a volume: ranged parallel chunks through 429 / 503 / resets / truncation, byte-identical, then analysed', async (t) => {
  const parts = await volumeParts()
  const dir = tempDir(t)
  const chunkSize = 256 * KiB
  const chunks = parts.reduce((s, p) => s + Math.ceil(p.size / chunkSize), 0)
  t.ok(chunks >= 6, `${chunks} chunks`)
  let armed = false
  const seen: DownloadProgress[] = []
  sim.resetRequests()
  const manifest = await downloadEventLog({
    logSource: volumeSource(client, VOLUME),
    parts,
    files: eventLogFiles(dir),
    chunkSize,
    concurrency: 4,
    onProgress: (p) => {
      seen.push(p)
      if (!armed && p.chunksRead >= 2) {
        armed = true
        sim.faults.add({ upstream: 'databricks', path: FILES, kind: 'status', status: 429, retryAfter: 0, times: 2 })
        sim.faults.add({ upstream: 'databricks', path: FILES, kind: 'status', status: 503, retryAfter: 0, times: 1 })
        sim.faults.add({ upstream: 'databricks', path: FILES, kind: 'reset', times: 1 })
        sim.faults.add({ upstream: 'databricks', path: FILES, kind: 'truncate', times: 1 })
      }
    }
  })
  t.ok(armed)
  t.equal(sim.faults.size, 0, 'every injected fault was hit')
  t.equal(sim.requests('databricks', '/api/2.0/dbfs/'), 0, 'nothing read through the DBFS API')
  t.ok(sim.requests('databricks', FILES) >= chunks + parts.length + 4, 'failed ranged reads were retried')
  await sameBytes(t, dir, parts)
  t.same(manifest.parts.map((p) => p.name), parts.map((p) => p.name))
  t.same(manifest.parts.map((p) => p.dbfsPath), parts.map((p) => p.path), 'the manifest names the volume paths')
  t.equal(manifest.totalBytes, parts.reduce((s, p) => s + p.size, 0))
  t.equal(seen[seen.length - 1]?.bytesDone, manifest.totalBytes, 'progress reached the total')
  t.notOk(existsSync(join(dir, STATE_FILE)))
  t.same((await readdir(dir)).sort(), [...parts.map((p) => p.name), 'manifest.json'].sort(), 'no partial file left')
  const analysis = await analyseEventLog(eventLogFiles(dir).analysisInput(manifest))
  t.ok(analysis.kpis.stages > 0 && analysis.kpis.wallClockMs > 0 && analysis.kpis.tasks > 0, `analysed: ${analysis.kpis.stages} stages, ${analysis.kpis.tasks} tasks`)
})

t.test('a ranged read cut off mid-body keeps what it streamed to disk and asks only for the rest of its range', async (t) => {
  const parts = await volumeParts()
  const dir = tempDir(t)
  const chunkSize = 256 * KiB
  const chunks = parts.reduce((s, p) => s + Math.ceil(p.size / chunkSize), 0)
  let armed = false
  sim.resetRequests()
  await downloadEventLog({
    logSource: volumeSource(client, VOLUME),
    parts,
    files: eventLogFiles(dir),
    chunkSize,
    concurrency: 1,
    onProgress: (p) => {
      if (!armed && p.chunksRead >= 1) {
        armed = true
        // the next ranged GET announces its whole length, sends half of it, then the socket is cut
        sim.faults.add({ upstream: 'databricks', path: FILES, kind: 'truncate', times: 1 })
      }
    }
  })
  t.equal(sim.faults.size, 0, 'the truncation was hit')
  const asked = sim.rangesAsked('databricks', FILES).map((r) => /^bytes=(\d+)-(\d+)$/.exec(r)).map((m) => [Number(m![1]), Number(m![2])] as const)
  t.equal(asked.length, chunks + 1, 'one request per chunk, and one for the rest of the cut one')
  const resumed = asked.filter(([from]) => from % chunkSize !== 0)
  t.equal(resumed.length, 1, `one read started inside its chunk: ${JSON.stringify(resumed)}`)
  const [from, to] = resumed[0]!
  t.equal((to + 1) % chunkSize === 0 || parts.some((p) => p.size === to + 1), true, 'it asked up to the end of the chunk')
  t.ok(from % chunkSize >= chunkSize / 2 - 64 * KiB, `it resumed after the half already on disk (${from % chunkSize} bytes into the chunk)`)
  await sameBytes(t, dir, parts)
})

t.test('cancel mid-download keeps the finished ranges; the next click resumes; a change of source or chunk size starts over', async (t) => {
  const parts = await volumeParts()
  const dir = tempDir(t)
  const chunkSize = 128 * KiB
  const total = parts.reduce((s, p) => s + Math.ceil(p.size / chunkSize), 0)
  const ac = new AbortController()
  const slow = sim.faults.add({ upstream: 'databricks', path: FILES, kind: 'latency', ms: 20 })
  const err = await downloadEventLog({ logSource: volumeSource(client, VOLUME), parts, files: eventLogFiles(dir), chunkSize, concurrency: 2, checkpointMs: 0, signal: ac.signal, onProgress: (p) => { if (p.chunksRead === 3) ac.abort() } }).catch((e: unknown) => e)
  slow()
  t.equal((err as Error).name, 'AbortError', 'cancelled')
  const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as { source: string, chunkSize: number }
  t.equal(state.source, 'volume', 'the checkpoint names its source')
  t.equal(state.chunkSize, chunkSize)

  let resumed: DownloadProgress | null = null
  sim.resetRequests()
  await downloadEventLog({ logSource: volumeSource(client, VOLUME), parts, files: eventLogFiles(dir), chunkSize, onProgress: (p) => { resumed = p } })
  const r = resumed as DownloadProgress | null
  t.ok(r !== null && r.chunksSkipped >= 3 && r.chunksRead + r.chunksSkipped === total, `resumed: ${r?.chunksSkipped ?? 0} chunks kept, ${r?.chunksRead ?? 0} read`)
  t.equal(sim.requests('databricks', FILES) - parts.length, total - (r?.chunksSkipped ?? 0), 'kept ranges were not asked again')
  await sameBytes(t, dir, parts)

  // a checkpoint written for another source is not trusted, even at the same chunk size
  const other = tempDir(t)
  const ac2 = new AbortController()
  await downloadEventLog({ logSource: volumeSource(client, VOLUME), parts, files: eventLogFiles(other), chunkSize, concurrency: 1, checkpointMs: 0, signal: ac2.signal, onProgress: (p) => { if (p.chunksRead === 2) ac2.abort() } }).catch(() => {})
  const s = JSON.parse(await readFile(join(other, STATE_FILE), 'utf8')) as Record<string, unknown>
  await writeFile(join(other, STATE_FILE), JSON.stringify({ ...s, source: 'dbfs' }))
  let fresh: DownloadProgress | null = null
  await downloadEventLog({ logSource: volumeSource(client, VOLUME), parts, files: eventLogFiles(other), chunkSize, onProgress: (p) => { fresh = p } })
  t.equal((fresh as DownloadProgress | null)?.chunksSkipped, 0, 'another source\'s checkpoint: started over')
  await sameBytes(t, other, parts)
})

t.test('resume after the downloading process is SIGKILLed mid-file (volume)', async (t) => {
  const src = tempDir(t)
  const dir = tempDir(t)
  const big = randomBytes(12 * MiB + 333)
  await writeFile(join(src, 'eventlog'), big)
  const folder = `${VOLUME}/0000-kill/eventlog/0000-kill_10_0_0_9/77`
  const info = await sim.dbfs.addFile(`${folder}/eventlog`, join(src, 'eventlog'), 1_700_000_000_000)
  const parts: EventLogPart[] = [{ name: 'eventlog', path: info.path, size: info.file_size, modificationTime: info.modification_time }]
  const chunk = MiB
  const totalChunks = Math.ceil(big.length / chunk)
  const slow = sim.faults.add({ upstream: 'databricks', path: FILES, kind: 'latency', ms: 60 })
  const { child, exited, output } = startDownloadChild(sim, parts, dir, { TT_VOLUME: VOLUME, TT_CHUNK: String(chunk) })
  const deadline = Date.now() + 60_000
  for (;;) {
    if (Date.now() > deadline) throw new Error(`the child made no progress: ${output()}`)
    const state = await readFile(join(dir, STATE_FILE), 'utf8').then((s) => JSON.parse(s) as { parts: Record<string, { completed: number[][] }> }, () => null)
    if ((state?.parts.eventlog?.completed.reduce((s, r) => s + r[1]! - r[0]!, 0) ?? 0) >= 3) break
    await sleep(20)
  }
  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL', 'killed mid-download')
  slow()
  const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as { parts: Record<string, { completed: number[][] }> }
  const checkpointed = state.parts.eventlog!.completed.reduce((s, r) => s + r[1]! - r[0]!, 0)
  t.ok(checkpointed < totalChunks, `${checkpointed} of ${totalChunks} chunks checkpointed before the kill`)
  sim.resetRequests()
  await downloadEventLog({ logSource: volumeSource(client, VOLUME), parts, files: eventLogFiles(dir), chunkSize: chunk })
  t.equal(sim.requests('databricks', FILES), 1 + totalChunks - checkpointed, 'one HEAD, then only the ranges not checkpointed')
  t.ok((await readFile(join(dir, 'eventlog'))).equals(big), 'byte-identical')
})

t.test('a file rewritten during the download is noticed (If-Unmodified-Since → 412), not mixed', async (t) => {
  const src = tempDir(t)
  const dir = tempDir(t)
  await writeFile(join(src, 'a'), randomBytes(2 * MiB))
  const path = `${VOLUME}/0000-changed/eventlog/0000-changed_10_0_0_8/1/eventlog`
  const info = await sim.dbfs.addFile(path, join(src, 'a'), 1_700_000_000_000)
  const parts: EventLogPart[] = [{ name: 'eventlog', path, size: info.file_size, modificationTime: info.modification_time }]
  let changed = false
  const err = await downloadEventLog({
    logSource: volumeSource(client, VOLUME),
    parts,
    files: eventLogFiles(dir),
    chunkSize: 256 * KiB,
    concurrency: 1,
    onProgress: (p) => {
      if (!changed && p.chunksRead === 1) {
        changed = true
        void sim.dbfs.addFile(path, join(src, 'a'), 1_700_000_900_000)
      }
    }
  }).catch((e: unknown) => e)
  t.match((err as Error).message, /changed on the volume during the download/)
})

t.test('403 on the volume: the destination is unreachable, and the message names the grant', async (t) => {
  sim.dbfs.deny(VOLUME)
  t.teardown(() => { sim.dbfs.allow(VOLUME) })
  const res = await locate('volumeLogs')
  t.equal(res.kind, 'not-found')
  if (res.kind !== 'not-found') return
  t.equal(res.reason, 'unreachable')
  t.match(res.message, /refused to read the volume main\.trifacta\.cluster_logs/)
  t.match(res.message, /READ VOLUME on main\.trifacta\.cluster_logs/)
  t.match(res.message, /USE CATALOG on main and USE SCHEMA on main\.trifacta/)
  t.match(res.hint, /upload it on the run page/)
  t.same(res.looked, [`${VOLUME}/${(await fetchDbxDetails(client, notable(sim, 'volumeLogs').runId, { now: sim.world.now })).clusterId ?? ''}/eventlog`])
  t.notMatch(res.message, new RegExp(sim.tokens.databricks), 'no token')
})

t.test('a grant revoked mid-download: the error names the grant', async (t) => {
  const parts = await volumeParts()
  const dir = tempDir(t)
  const err = await downloadEventLog({
    logSource: volumeSource(client, VOLUME),
    parts,
    files: eventLogFiles(dir),
    chunkSize: 128 * KiB,
    concurrency: 1,
    onProgress: (p) => { if (p.chunksRead === 1) sim.dbfs.deny(VOLUME) }
  }).catch((e: unknown) => e)
  sim.dbfs.allow(VOLUME)
  t.match((err as Error).message, /Grant the token's user READ VOLUME on main\.trifacta\.cluster_logs/)
  t.ok(existsSync(join(dir, STATE_FILE)), 'what was done is kept for a retry')
})

t.test('DBFS disabled in the workspace: the default root is unreachable, said with which destination, why and what to do; volumes still work', async (t) => {
  sim.setDbfsDisabled(true)
  t.teardown(() => { sim.setDbfsDisabled(false) })
  const res = await locate('noLogConfFallback')
  t.equal(res.kind, 'not-found')
  if (res.kind !== 'not-found') return
  t.equal(res.reason, 'unreachable', 'not "cannot read", not "no delivery"')
  t.match(res.message, /The log destination dbfs:\/trifacta\/logs\/[^ ]+\/eventlog \(the default root, DBFS_LOG_ROOT\) is on DBFS, and legacy DBFS is disabled in this workspace/)
  t.match(res.message, /Public DBFS root is disabled/)
  t.match(res.hint, /cluster_log_conf that delivers to a Unity Catalog volume/)
  t.match(res.hint, /upload it on the run page/)
  // a cluster whose own cluster_log_conf is on DBFS gets the same, naming cluster_log_conf
  const conf = await locate('rolledParts')
  t.equal(conf.kind === 'not-found' && conf.reason, 'unreachable')
  t.match(conf.kind === 'not-found' ? conf.message : '', /the cluster's cluster_log_conf\) is on DBFS/)
  const vol = await locate('volumeLogs')
  t.equal(vol.kind, 'found', 'a volume destination does not need DBFS')
})

t.test('the app: a volume run downloads and analyses from the run page; DBFS disabled says what to do there', async (t) => {
  const ta = await buildTestApp(t, { sim: { seed: 'volumes-app' } })
  const FLOW = 'Volumes'
  await seedDbxFlow(ta.services.store, ta.sim, FLOW, ['volumeLogs', 'noLogConfFallback'])
  const base = (jobGroupId: number): string => `/flows/${encodeURIComponent(FLOW)}/runs/${jobGroupId}`
  const HX = { 'hx-request': 'true' }
  const n = notable(ta.sim, 'volumeLogs')
  await ta.app.inject({ method: 'POST', url: `${base(n.jobGroupId)}/eventlog/download`, headers: HX })
  await ta.services.tasks.wait(downloadTaskKey(FLOW, n.runId))
  await ta.services.tasks.wait(analyseTaskKey(FLOW, n.runId))
  t.equal(ta.services.tasks.get(downloadTaskKey(FLOW, n.runId))?.status, 'done', ta.services.tasks.get(downloadTaskKey(FLOW, n.runId))?.error ?? '')
  t.equal(ta.services.tasks.get(analyseTaskKey(FLOW, n.runId))?.status, 'done', 'analysed after the download')
  const manifest = await ta.services.store.eventLogs(FLOW, n.runId).readManifest()
  t.equal(manifest?.source.destination, VOLUME)
  const dash = await ta.app.inject(`${base(n.jobGroupId)}/dashboard`)
  t.equal(dash.statusCode, 200)

  ta.sim.setDbfsDisabled(true)
  const m = notable(ta.sim, 'noLogConfFallback')
  await ta.app.inject({ method: 'POST', url: `${base(m.jobGroupId)}/eventlog/download`, headers: HX })
  await ta.services.tasks.wait(downloadTaskKey(FLOW, m.runId))
  const p = await ta.app.inject({ url: `${base(m.jobGroupId)}/eventlog/progress`, headers: HX })
  t.match(p.body, /class="download-outcome outcome-unreachable"/)
  t.match(p.body, /legacy DBFS is disabled in this workspace/)
  t.match(p.body, /Unity Catalog volume/)
  t.notMatch(p.body, new RegExp(ta.sim.tokens.databricks))
})
