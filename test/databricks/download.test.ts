import t from 'tap'
import type { Test } from 'tap'
import { existsSync } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { createDatabricksClient, type DatabricksClient } from '../../src/databricks/databricks-client.js'
import { fetchDbxDetails } from '../../src/databricks/dbx-details.js'
import { locateEventLog, type EventLogPart } from '../../src/databricks/locate-event-log.js'
import { downloadEventLog, type DownloadProgress } from '../../src/databricks/download-event-log.js'
import { eventLogFiles, pendingDownload, STATE_FILE, toRanges } from '../../src/store/eventlog-files.js'
import { dbfsBytes, notable } from '../helper-dbx.js'
import { tempDir } from '../helper.js'

let sim: Simulator
let client: DatabricksClient
t.before(async () => {
  sim = await startSimulator({ seed: 'download' })
  client = createDatabricksClient({ host: sim.urls.databricks, token: sim.tokens.databricks, baseDelayMs: 2, retries: 12 })
})
t.teardown(async () => {
  await client.close()
  await sim.close()
})

async function partsOf (key: 'rolledParts' | 'restartedCluster'): Promise<EventLogPart[]> {
  const d = await fetchDbxDetails(client, notable(sim, key).runId, { now: sim.world.now })
  const res = await locateEventLog(client, { clusterId: d.clusterId, sparkContextId: d.sparkContextId, logConf: d.logConf, defaultRoot: 'dbfs:/trifacta/logs', endedAt: d.run.endTime, now: sim.world.now })
  if (res.kind !== 'found') throw new Error(res.message)
  return res.parts
}

async function sameBytes (t: Test, dir: string, parts: EventLogPart[]): Promise<void> {
  for (const p of parts) {
    const got = await readFile(join(dir, p.name))
    const want = await dbfsBytes(sim, p.path)
    t.ok(got.equals(want), `${p.name}: ${got.length} bytes identical to the simulator's`)
  }
}

t.test('chunked parallel download with 429 / 5xx / resets / truncated and malformed bodies mid-file: byte-identical parts', async (t) => {
  const parts = await partsOf('rolledParts')
  const dir = tempDir(t)
  const chunks = parts.reduce((s, p) => s + Math.ceil(p.size / 1_048_576), 0)
  t.ok(chunks >= 8, `${chunks} chunks`)
  let armed = false
  const seen: DownloadProgress[] = []
  sim.resetRequests()
  const manifest = await downloadEventLog({
    client,
    parts,
    files: eventLogFiles(dir),
    concurrency: 4,
    onProgress: (p) => {
      seen.push(p)
      if (!armed && p.chunksRead >= 3) {
        armed = true
        const path = '/api/2.0/dbfs/read'
        sim.faults.add({ upstream: 'databricks', path, kind: 'status', status: 429, retryAfter: 0, times: 2 })
        sim.faults.add({ upstream: 'databricks', path, kind: 'status', status: 503, times: 1 })
        sim.faults.add({ upstream: 'databricks', path, kind: 'status', status: 502, times: 1 })
        sim.faults.add({ upstream: 'databricks', path, kind: 'reset', times: 2 })
        sim.faults.add({ upstream: 'databricks', path, kind: 'truncate', times: 1 })
        sim.faults.add({ upstream: 'databricks', path, kind: 'malformed', times: 1 })
        sim.faults.add({ upstream: 'databricks', path, kind: 'status', status: 429, retryAfter: 0, headerName: 'x-retry-after', times: 1 })
      }
    }
  })
  t.ok(armed)
  t.equal(sim.faults.size, 0, 'every injected fault was hit')
  t.ok(sim.requests('databricks', '/api/2.0/dbfs/read') >= chunks + 9, 'failed reads were retried')
  await sameBytes(t, dir, parts)
  t.same(manifest.parts.map((p) => p.name), parts.map((p) => p.name), 'manifest keeps Databricks\' order')
  t.same(manifest.parts.map((p) => p.size), parts.map((p) => p.size))
  t.same(manifest.parts.map((p) => p.dbfsPath), parts.map((p) => p.path))
  t.equal(manifest.totalBytes, parts.reduce((s, p) => s + p.size, 0))
  t.same(await eventLogFiles(dir).readManifest(), manifest)
  t.notOk(existsSync(join(dir, STATE_FILE)), 'no state left once complete')
  const files = (await readdir(dir)).sort()
  t.same(files, [...parts.map((p) => p.name), 'manifest.json'].sort(), 'no .partial or temp file left')
  const last = seen[seen.length - 1]!
  t.equal(last.bytesDone, last.bytesTotal)
  t.equal(last.partsDone, parts.length)
  t.ok(seen.every((p, i) => i === 0 || p.bytesDone >= seen[i - 1]!.bytesDone), 'progress only grows')
  const mtime = (await stat(join(dir, 'eventlog'))).mtimeMs
  t.equal(Math.round(mtime), parts[parts.length - 1]!.modificationTime, 'local mtime = DBFS modification_time')

  sim.resetRequests()
  const again = await downloadEventLog({ client, parts, files: eventLogFiles(dir) })
  t.equal(sim.requests('databricks', '/api/2.0/dbfs/read'), chunks, 'without state, a second download reads everything again')
  t.equal(again.totalBytes, manifest.totalBytes)
})

t.test('cancel mid-download keeps completed chunks; the next call resumes without re-reading them', async (t) => {
  const parts = await partsOf('rolledParts')
  const dir = tempDir(t)
  const chunks = parts.reduce((s, p) => s + Math.ceil(p.size / 1_048_576), 0)
  const slow = sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/read', kind: 'latency', ms: 40 })
  const ac = new AbortController()
  sim.resetRequests()
  const err = await downloadEventLog({
    client,
    parts,
    files: eventLogFiles(dir),
    concurrency: 2,
    checkpointMs: 0,
    signal: ac.signal,
    onProgress: (p) => { if (p.chunksRead >= 4) ac.abort(new Error('cancelled by the user')) }
  }).catch((e: unknown) => e)
  slow()
  t.equal((err as Error).name, 'AbortError')
  t.ok(existsSync(join(dir, STATE_FILE)), 'state kept for a resume')
  t.equal(await eventLogFiles(dir).readManifest(), null, 'not complete')
  const pending = await pendingDownload(eventLogFiles(dir))
  t.ok(pending !== null && pending.bytesDone > 0 && pending.bytesDone < pending.bytesTotal, JSON.stringify(pending))
  const readsBefore = sim.requests('databricks', '/api/2.0/dbfs/read')
  t.ok(readsBefore < chunks, 'stopped early')
  sim.resetRequests()
  let skipped = -1
  await downloadEventLog({ client, parts, files: eventLogFiles(dir), onProgress: (p) => { skipped = p.chunksSkipped } })
  const reads = sim.requests('databricks', '/api/2.0/dbfs/read')
  t.ok(skipped >= 4, `${skipped} chunks skipped`)
  t.equal(reads, chunks - skipped, 'only the missing chunks were read')
  await sameBytes(t, dir, parts)
})

t.test('a part that changed on DBFS since the state was written is downloaded again', async (t) => {
  const dir = tempDir(t)
  sim.dbfs.putText('/tmp/changing/eventlog', 'a'.repeat(3000))
  const part = (): EventLogPart => ({ name: 'eventlog', path: '/tmp/changing/eventlog', size: 3000, modificationTime: null })
  const ac = new AbortController()
  await downloadEventLog({ client, parts: [part()], files: eventLogFiles(dir), chunkSize: 1000, concurrency: 1, checkpointMs: 0, signal: ac.signal, onProgress: (p) => { if (p.chunksRead === 1) ac.abort() } }).catch(() => {})
  sim.dbfs.putText('/tmp/changing/eventlog', 'b'.repeat(2500))
  const m = await downloadEventLog({ client, parts: [part()], files: eventLogFiles(dir), chunkSize: 1000 })
  t.equal(m.totalBytes, 2500, 'get-status is the authority on the size')
  t.equal((await readFile(join(dir, 'eventlog'), 'utf8')), 'b'.repeat(2500))
})

t.test('an empty part and hostile part names', async (t) => {
  const dir = tempDir(t)
  sim.dbfs.putText('/tmp/empty-part/eventlog', '')
  const m = await downloadEventLog({ client, parts: [{ name: 'eventlog', path: '/tmp/empty-part/eventlog', size: 0, modificationTime: null }], files: eventLogFiles(dir) })
  t.equal(m.totalBytes, 0)
  t.equal((await stat(join(dir, 'eventlog'))).size, 0)
  await t.rejects(downloadEventLog({ client, parts: [{ name: '../evil', path: '/x', size: 1, modificationTime: null }], files: eventLogFiles(dir) }), /not a safe file name/)
})

t.test('toRanges', async (t) => {
  t.same(toRanges([5, 0, 1, 2, 2, 7, 6]), [[0, 3], [5, 8]])
  t.same(toRanges([]), [])
})
