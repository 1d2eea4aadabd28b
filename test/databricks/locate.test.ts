import t from 'tap'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { createDatabricksClient, type DatabricksClient } from '../../src/databricks/databricks-client.js'
import { fetchDbxDetails, type DbxDetails } from '../../src/databricks/dbx-details.js'
import { locateEventLog, orderParts, type LocateInput, type LocateResult } from '../../src/databricks/locate-event-log.js'
import { notable, type NotableRun } from '../helper-dbx.js'

let sim: Simulator
let client: DatabricksClient
const ROOT = 'dbfs:/trifacta/logs'
t.before(async () => {
  sim = await startSimulator({ seed: 'locate' })
  client = createDatabricksClient({ host: sim.urls.databricks, token: sim.tokens.databricks, baseDelayMs: 5 })
})
t.teardown(async () => {
  await client.close()
  await sim.close()
})

function inputOf (d: DbxDetails, extra: Partial<LocateInput> = {}): LocateInput {
  const terminal = d.run.lifeCycle === 'TERMINATED'
  return { clusterId: d.clusterId, sparkContextId: d.sparkContextId, logConf: d.logConf, defaultRoot: ROOT, endedAt: terminal ? d.run.endTime : null, now: sim.world.now, ...extra }
}

async function locate (key: NotableRun, extra: Partial<LocateInput> = {}): Promise<{ res: LocateResult, d: DbxDetails }> {
  const d = await fetchDbxDetails(client, notable(sim, key).runId, { now: sim.world.now })
  return { res: await locateEventLog(client, inputOf(d, extra)), d }
}

t.test('custom destination, restarted cluster: several driver folders, the run\'s context wins, parts in order', async (t) => {
  const { res, d } = await locate('restartedCluster')
  const cluster = sim.world.clusters.get(d.clusterId!)!
  t.equal(d.logConf?.kind, 'dbfs')
  t.not(d.logConf?.destination, ROOT, 'not the default root')
  if (res.kind !== 'found') throw new Error(res.message)
  t.equal(res.destinationSource, 'cluster_log_conf')
  t.equal(res.driverFolders, 2, 'one folder per driver')
  t.equal(res.contextMatched, true)
  t.ok(res.folder.endsWith(`/${cluster.clusterId}_${cluster.driverIp.replaceAll('.', '_')}/${cluster.sparkContextId}`), res.folder)
  const names = res.parts.map((p) => p.name)
  t.equal(names[names.length - 1], 'eventlog', 'eventlog last')
  t.ok(names.length >= 2)
  t.same(names.slice(0, -1), [...names.slice(0, -1)].sort(), 'rolled parts oldest first')
  t.ok(names.slice(0, -1).every((n) => /^eventlog-\d{4}-\d{2}-\d{2}--\d{2}-\d{2}\.gz$/.test(n)))
  t.equal(res.totalBytes, res.parts.reduce((s, p) => s + p.size, 0))
})

t.test('context id unknown: the newest driver folder with files', async (t) => {
  const { res, d } = await locate('restartedCluster', { sparkContextId: null })
  const cluster = sim.world.clusters.get(d.clusterId!)!
  if (res.kind !== 'found') throw new Error(res.message)
  t.equal(res.contextMatched, false)
  t.ok(res.folder.endsWith(`/${cluster.sparkContextId}`), 'the current driver\'s context is the newest')
  const stale = await locateEventLog(client, inputOf(d, { sparkContextId: '1234' }))
  t.equal(stale.kind === 'found' && stale.contextMatched, false, 'a context id not among the folders falls back too')
})

t.test('no cluster_log_conf: the default root', async (t) => {
  const { res, d } = await locate('noLogConfFallback')
  t.equal(d.logConf, null)
  if (res.kind !== 'found') throw new Error(res.message)
  t.equal(res.destinationSource, 'default root')
  t.equal(res.destination, ROOT)
  t.ok(res.folder.startsWith('/trifacta/logs/'))
  t.same(res.parts.map((p) => p.name), ['eventlog'])
})

t.test('no cluster_log_conf and nothing delivered: log delivery not configured', async (t) => {
  const { res } = await locate('noLogDelivery')
  t.equal(res.kind, 'not-found')
  if (res.kind !== 'not-found') return
  t.equal(res.reason, 'no-delivery')
  t.match(res.hint, /cluster_log_conf/)
  t.ok(res.looked.length > 0)
})

t.test('context folder present but empty', async (t) => {
  const { res } = await locate('emptyLogFolder')
  t.equal(res.kind === 'not-found' && res.reason, 'empty')
})

t.test('run ended minutes ago: not delivered yet, retry later', async (t) => {
  const { res } = await locate('logsNotDelivered')
  t.equal(res.kind === 'not-found' && res.reason, 'not-yet')
  t.match(res.kind === 'not-found' ? res.hint : '', /retry in a few minutes/i)
  const later = await locate('logsNotDelivered', { now: sim.world.now + 3 * 3600_000 })
  t.equal(later.res.kind === 'not-found' && later.res.reason, 'not-yet', 'the driver logs are there: delivery works, the event log is late')
})

t.test('a still running cluster: its current log is found', async (t) => {
  const { res, d } = await locate('inProgress')
  t.equal(d.run.lifeCycle, 'RUNNING')
  t.equal(res.kind, 'found')
})

t.test('expired run: Databricks forgot it and its logs are gone', async (t) => {
  const n = notable(sim, 'expired')
  const run = sim.world.dbxRuns.get(Number(n.runId))!
  const cluster = sim.world.clusters.get(run.clusterId)!
  // what a cache from the time the run was fresh would still say
  const res = await locateEventLog(client, {
    clusterId: cluster.clusterId,
    sparkContextId: cluster.sparkContextId,
    logConf: cluster.profile.logDest === null ? null : { kind: 'dbfs', destination: cluster.profile.logDest },
    defaultRoot: ROOT,
    endedAt: run.endTime,
    runGone: true,
    now: sim.world.now
  })
  t.equal(res.kind === 'not-found' && res.reason, 'expired')
  t.match(res.kind === 'not-found' ? res.message : '', /60 days/)
})

t.test('no cluster, or an S3 destination', async (t) => {
  const none = await locateEventLog(client, { clusterId: null, sparkContextId: null, logConf: null, defaultRoot: ROOT, endedAt: 1 })
  t.equal(none.kind === 'not-found' && none.reason, 'no-cluster')
  const s3 = await locateEventLog(client, { clusterId: 'c', sparkContextId: null, logConf: { kind: 's3', destination: 's3://bucket/logs' }, defaultRoot: ROOT, endedAt: 1 })
  t.equal(s3.kind === 'not-found' && s3.reason, 'unsupported-destination')
})

t.test('orderParts: dated parts by date, unknown names next, eventlog last; directories and oddities ignored', async (t) => {
  const f = (name: string, isDir = false): { path: string, isDir: boolean, fileSize: number, modificationTime: number } => ({ path: `/d/${name}`, isDir, fileSize: 1, modificationTime: 1 })
  const parts = orderParts([f('eventlog'), f('eventlog-2024-03-19--11-10.gz'), f('eventlog-2024-03-19--09-50.gz'), f('eventlog-2024-03-18--23-00'), f('eventlog.partial'),
    f('eventlog-x.zstd'), f('stdout'), f('eventlog-2024-01-01--00-00.gz', true), f('eventlog/../../etc')])
  t.same(parts.map((p) => p.name), ['eventlog-2024-03-18--23-00', 'eventlog-2024-03-19--09-50.gz', 'eventlog-2024-03-19--11-10.gz', 'eventlog-x.zstd', 'eventlog'])
})
