import type { Dbfs } from './dbfs.js'
import type { LogSink, SimS3 } from './s3.js'
import { SAMPLE_INFO, type SampleLogs } from './sample-logs.js'
import { RESTART_AFTER_MS } from './world-dbx.js'
import { DAY, MIN } from './world-plan.js'
import type { SimCluster, World } from './world-types.js'

/** the earlier driver's short log on a restarted cluster */
const PREVIOUS_DRIVER_SAMPLE = 'photon-small'

const pad = (n: number): string => String(n).padStart(2, '0')

/** Databricks rolled part names: eventlog-YYYY-MM-DD--HH-MM.gz on 10-minute boundaries, UTC */
export function rolledName (ms: number): string {
  const d = new Date(Math.floor(ms / (10 * MIN)) * 10 * MIN)
  return `eventlog-${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}--${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}.gz`
}

const stripScheme = (dest: string): string => (dest.startsWith('dbfs:') ? dest.slice(5) : dest).replace(/\/+$/, '')

/** Where a served event log came from and how it was moved in time (the sample's attribution, per run). */
export function attribution (logs: SimCluster['logs']): string {
  if (logs.kind !== 'delivered') return ''
  const info = SAMPLE_INFO[logs.sample]
  const days = (logs.shiftMs / DAY).toFixed(2)
  return `Simulated event log: a real Spark event log from ${info?.source ?? logs.sample}, see sample-data/eventlogs/ATTRIBUTION.md; ` +
    `timestamps shifted by ${days} days (${logs.shiftMs} ms) to fall inside this run.\n`
}

/** `<dest>/<cluster_id>/eventlog/<cluster_id>_<ip with _>/<spark_context_id>/` */
export function contextDir (dest: string, clusterId: string, driverIp: string, sparkContextId: string): string {
  return `${stripScheme(dest)}/${clusterId}/eventlog/${clusterId}_${driverIp.replaceAll('.', '_')}/${sparkContextId}`
}

function layoutCluster (c: SimCluster, sinks: { dbfs: Dbfs, s3: SimS3 | null }, samples: SampleLogs, now: number): void {
  const placed = c.logs
  if (placed.kind === 'none') return
  // an s3://bucket/prefix destination is written into that bucket, with "/prefix" as the path
  const s3 = /^s3:\/\/([^/]+)(\/.*)?$/.exec(placed.dest)
  const dbfs: LogSink = s3 === null || sinks.s3 === null ? sinks.dbfs : sinks.s3.sink(s3[1]!)
  const logs = s3 === null ? placed : { ...placed, dest: s3[2] ?? '' }
  const end = c.terminatedTime || now
  const base = `${stripScheme(logs.dest)}/${c.clusterId}`
  // delivery runs every 5 minutes: driver logs are there even when the event log is not yet
  const delivered = Math.min(now, end + 2 * MIN)
  dbfs.putText(`${base}/driver/log4j-active.log`, `${new Date(c.startTime).toISOString()} INFO DriverDaemon: Started driver ${c.driverIp}\n`, delivered)
  dbfs.putText(`${base}/driver/stdout`, `Trifacta wrangle job for run ${c.runId}\n${attribution(logs)}`, delivered)
  if (logs.kind === 'not-yet') return
  if (c.previous) {
    // the first driver's context: a short application that ran before the driver stopped responding
    const dir = contextDir(logs.dest, c.clusterId, c.previous.driverIp, c.previous.sparkContextId)
    const first = c.previous.restartAt - RESTART_AFTER_MS + 5_000
    dbfs.putSamplePart(`${dir}/eventlog`, PREVIOUS_DRIVER_SAMPLE, 0, c.previous.restartAt, first - SAMPLE_INFO[PREVIOUS_DRIVER_SAMPLE]!.firstMs)
  }
  const dir = contextDir(logs.dest, c.clusterId, c.driverIp, c.sparkContextId)
  if (logs.kind === 'empty') {
    dbfs.mkdirs(dir, delivered)
    return
  }
  const n = samples.partCount(logs.sample)
  // parts roll over while the application runs
  const info = SAMPLE_INFO[logs.sample]
  const logStart = info === undefined ? c.startTime : info.firstMs + logs.shiftMs
  const span = info === undefined ? end - c.startTime : info.lastMs - info.firstMs
  let last = 0
  for (let i = 0; i < n - 1; i++) {
    let t = Math.floor((logStart + Math.round((span * (i + 1)) / n)) / (10 * MIN)) * 10 * MIN
    // names must stay distinct and ordered even for short runs
    if (t <= last) t = last + 10 * MIN
    last = t
    dbfs.putSamplePart(`${dir}/${rolledName(t)}`, logs.sample, i, Math.min(now, delivered, last + 10 * MIN), logs.shiftMs)
  }
  dbfs.putSamplePart(`${dir}/eventlog`, logs.sample, n - 1, delivered, logs.shiftMs)
}

/** Lays out every seeded cluster's log delivery on DBFS (metadata only: bodies are read from disk on demand). */
export function layoutEventLogs (world: World, dbfs: Dbfs, samples: SampleLogs, s3: SimS3 | null = null): void {
  dbfs.mkdirs('/trifacta/logs', world.now - 200 * 86_400_000)
  dbfs.mkdirs('/cluster-logs', world.now - 200 * 86_400_000)
  dbfs.mkdirs('/FileStore/tables', world.now - 300 * 86_400_000)
  dbfs.putText('/restricted/README.txt', 'finance only\n', world.now - 90 * 86_400_000)
  dbfs.deny('/restricted')
  for (const c of world.clusters.values()) {
    // log folders of clusters past retention are cleaned up too
    if (c.startTime < world.now - world.retentionMs) continue
    layoutCluster(c, { dbfs, s3 }, samples, world.now)
  }
}
