import t from 'tap'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startSimulator } from '../../src/simulator/index.js'
import { createS3Client, type S3Place } from '../../src/s3/s3-client.js'
import { listS3Folder, s3Source } from '../../src/log-sources/s3-source.js'
import { downloadFromSource, type DownloadProgress } from '../../src/log-sources/download.js'
import { FileChanged, type LogPart } from '../../src/log-sources/log-source.js'
import { eventLogFiles, STATE_FILE } from '../../src/store/eventlog-files.js'
import { SIM_S3_BUCKET, SIM_S3_REGION } from '../../src/simulator/world-plan.js'
import { tempDir } from '../helper.js'

const MiB = 1_048_576

t.test('an S3 log downloads in ranged chunks, is cancelled, and resumes without reading its checkpointed chunks again', async (t) => {
  const sim = await startSimulator({ seed: 's3-resume' })
  const s3 = createS3Client({ credentials: { ...sim.aws, sessionToken: '' }, defaultRegion: '', baseDelayMs: 2, network: { proxy: {} } })
  t.teardown(async () => { await s3.close(); await sim.close() })
  const place: S3Place = { bucket: SIM_S3_BUCKET, region: SIM_S3_REGION, endpoint: sim.urls.s3 }
  const src = tempDir(t)
  const dir = tempDir(t)
  const small = randomBytes(MiB + 4321)
  const big = randomBytes(12 * MiB + 777)
  await writeFile(join(src, 'rolled.gz'), small)
  await writeFile(join(src, 'eventlog'), big)
  const folder = 'logs/c1/eventlog/c1_10_0_0_1/42'
  await sim.s3.addFile(SIM_S3_BUCKET, `${folder}/eventlog-2026-01-01--00-00.gz`, join(src, 'rolled.gz'), 1_700_000_000_000)
  await sim.s3.addFile(SIM_S3_BUCKET, `${folder}/eventlog`, join(src, 'eventlog'), 1_700_000_600_000)

  const listed = await listS3Folder(s3, place, folder)
  t.same(listed?.map((e) => [e.path, e.isDir, e.fileSize]), [[`${folder}/eventlog`, false, big.length], [`${folder}/eventlog-2026-01-01--00-00.gz`, false, small.length]], 'the folder as entries (keys, sizes)')
  t.same((await listS3Folder(s3, place, 'logs/c1/eventlog'))?.map((e) => [e.path, e.isDir]), [['logs/c1/eventlog/c1_10_0_0_1', true]], 'sub-folders from CommonPrefixes')
  t.equal(await listS3Folder(s3, place, 'logs/nothing-here'), null, 'an empty prefix does not exist')

  const parts: LogPart[] = listed!.filter((e) => !e.isDir).map((e) => ({ name: e.path.slice(e.path.lastIndexOf('/') + 1), path: e.path, size: e.fileSize, modificationTime: e.modificationTime }))
    .sort((a, b) => a.name === 'eventlog' ? 1 : b.name === 'eventlog' ? -1 : 0)
  const totalChunks = Math.ceil(small.length / MiB) + Math.ceil(big.length / MiB)
  const source = s3Source(s3, place)
  const stop = new AbortController()
  const slow = sim.faults.add({ upstream: 's3', path: `/${SIM_S3_BUCKET}/logs/`, kind: 'latency', ms: 40 })
  await t.rejects(downloadFromSource({
    logSource: source,
    parts,
    files: eventLogFiles(dir),
    chunkSize: MiB,
    concurrency: 2,
    checkpointMs: 0,
    signal: stop.signal,
    onProgress: (p) => { if (p.chunksRead >= 5) stop.abort(new Error('cancelled by the user')) }
  }), /cancelled/)
  slow()
  t.ok(existsSync(join(dir, STATE_FILE)), 'the cancelled download left its checkpoint')

  sim.resetRequests()
  let last: DownloadProgress | null = null
  const manifest = await downloadFromSource({ logSource: source, parts, files: eventLogFiles(dir), chunkSize: MiB, onProgress: (p) => { last = p } })
  const skipped = (last as DownloadProgress | null)?.chunksSkipped ?? 0
  t.ok(skipped >= 5, `${skipped} checkpointed chunks skipped`)
  t.equal(sim.requests('s3', `/${SIM_S3_BUCKET}/logs/`), parts.length + totalChunks - skipped, 'one HEAD per part, then only the missing chunks')
  t.ok((await readFile(join(dir, parts[0]!.name))).equals(small), 'first part byte-identical')
  t.ok((await readFile(join(dir, 'eventlog'))).equals(big), 'second part byte-identical')
  t.equal(manifest.totalBytes, small.length + big.length)
  t.notOk(existsSync(join(dir, STATE_FILE)))
})

t.test('an object rewritten during the download is noticed (If-Match), not mixed', async (t) => {
  const sim = await startSimulator({ seed: 's3-changed' })
  const s3 = createS3Client({ credentials: { ...sim.aws, sessionToken: '' }, defaultRegion: '', baseDelayMs: 2, network: { proxy: {} } })
  t.teardown(async () => { await s3.close(); await sim.close() })
  const place: S3Place = { bucket: SIM_S3_BUCKET, region: SIM_S3_REGION, endpoint: sim.urls.s3 }
  sim.s3.putText(SIM_S3_BUCKET, 'x/eventlog', 'a'.repeat(1000), 1_700_000_000_000)
  const source = s3Source(s3, place)
  const st = await source.stat('x/eventlog', {})
  t.equal(st?.size, 1000)
  sim.s3.putText(SIM_S3_BUCKET, 'x/eventlog', 'b'.repeat(1000), 1_700_000_100_000)
  await t.rejects(source.read('x/eventlog', 0, 100, async () => {}, { validator: st?.validator ?? null }), FileChanged)
  t.equal(await source.stat('x/gone', {}), null, 'a missing object: null')
})

t.test('locate on S3: the run\'s folder found through ListObjectsV2; refused credentials make the destination unreachable, said with what to fix', async (t) => {
  const { createDatabricksClient } = await import('../../src/databricks/databricks-client.js')
  const { fetchDbxDetails } = await import('../../src/databricks/dbx-details.js')
  const { locateEventLog } = await import('../../src/databricks/locate-event-log.js')
  const sim = await startSimulator({ seed: 's3-locate' })
  const dbx = createDatabricksClient({ host: sim.urls.databricks, token: sim.tokens.databricks, baseDelayMs: 2, network: { proxy: {} } })
  const good = createS3Client({ credentials: { ...sim.aws, sessionToken: '' }, defaultRegion: '', baseDelayMs: 2, network: { proxy: {} } })
  const bad = createS3Client({ credentials: { ...sim.aws, secretAccessKey: 'not-the-secret-at-all', sessionToken: '' }, defaultRegion: '', baseDelayMs: 2, network: { proxy: {} } })
  t.teardown(async () => { await dbx.close(); await good.close(); await bad.close(); await sim.close() })
  const run = sim.world.notable.s3Logs
  const d = await fetchDbxDetails(dbx, String(run.runId), { now: sim.world.now })
  t.same({ kind: d.logConf?.kind, destination: d.logConf?.destination, region: d.logConf?.region, endpoint: d.logConf?.endpoint }, { kind: 's3', destination: `s3://${SIM_S3_BUCKET}/cluster-logs`, region: SIM_S3_REGION, endpoint: sim.urls.s3 }, 'cluster_log_conf.s3 with its region and endpoint')
  const input = { clusterId: d.clusterId, sparkContextId: d.sparkContextId, logConf: d.logConf, defaultRoot: 'dbfs:/trifacta/logs', endedAt: d.run.endTime, now: sim.world.now }
  const found = await locateEventLog(dbx, input, { s3: good })
  t.equal(found.kind, 'found')
  if (found.kind === 'found') {
    t.equal(found.store, 's3')
    t.equal(found.destination, `s3://${SIM_S3_BUCKET}/cluster-logs`)
    t.ok(found.contextMatched, 'the run\'s spark context folder')
    t.equal(found.parts[found.parts.length - 1]?.name, 'eventlog', 'parts in Databricks\' order')
    t.ok(found.parts.every((p) => p.path.startsWith(`cluster-logs/${d.clusterId ?? ''}/eventlog/`)), 'keys under <destination>/<cluster_id>/eventlog/')
    t.same(found.s3Place, { bucket: SIM_S3_BUCKET, region: SIM_S3_REGION, endpoint: sim.urls.s3 })
  }
  const refused = await locateEventLog(dbx, input, { s3: bad })
  t.equal(refused.kind === 'not-found' && refused.reason, 'unreachable')
  t.match(refused.kind === 'not-found' ? refused.message : '', /s3:\/\/tri-sim-logs\/cluster-logs\/.*cannot be read: S3 refused to list .*SignatureDoesNotMatch.*AWS_SECRET_ACCESS_KEY/)
  t.notMatch(JSON.stringify(refused), /not-the-secret-at-all/)
  const none = await locateEventLog(dbx, input, { s3: createS3Client({ credentials: null, defaultRegion: '' }) })
  t.match(none.kind === 'not-found' ? none.message : '', /No AWS credentials to read s3:\/\/tri-sim-logs: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/)
  const unsupported = await locateEventLog(dbx, input)
  t.equal(unsupported.kind === 'not-found' && unsupported.reason, 'unsupported-destination', 'without an S3 client')
})
