// Event log download over the DBFS API: a 200 MB (BENCH_DOWNLOAD_MB) file read in 1 MiB base64 chunks from the
// simulator with 50 ms latency per call, bounded-parallel vs sequential; then the same file on a Unity Catalog volume
// through the Files API (8 MiB ranged GETs), and from an S3 bucket (8 MiB ranged GETs, SigV4), bounded-parallel.
// Each side runs in its own child process so its peak RSS is the downloader's alone (the simulator stays in this
// process); the child also samples process.memoryUsage() every 10 ms for its peak heap and off-heap buffers.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { downloadEventLog } from '../src/databricks/download-event-log.js'
import { volumeSource } from '../src/databricks/volume-source.js'
import { eventLogFiles } from '../src/store/eventlog-files.js'
import type { EventLogPart } from '../src/databricks/locate-event-log.js'
import { startSimulator } from '../src/simulator/index.js'
import { createDatabricksClient } from '../src/databricks/databricks-client.js'
import { createS3Client } from '../src/s3/s3-client.js'
import { s3Source } from '../src/log-sources/s3-source.js'
import { downloadFromSource } from '../src/log-sources/download.js'

const MB = 1024 * 1024
const here = fileURLToPath(import.meta.url)

interface Side { ms: number, bytes: number, maxRssMB: number, startRssMB: number, peakHeapMB: number, peakBuffersMB: number }

async function child (): Promise<void> {
  const env = process.env
  const client = createDatabricksClient({ host: env.BENCH_HOST!, token: env.BENCH_TOKEN!, connections: 16 })
  const parts = JSON.parse(env.BENCH_PARTS!) as EventLogPart[]
  const s3 = createS3Client({ credentials: { accessKeyId: env.BENCH_AWS_KEY!, secretAccessKey: env.BENCH_AWS_SECRET!, sessionToken: '' }, defaultRegion: '', network: { proxy: {} } })
  const startRssMB = process.memoryUsage().rss / MB
  let peakHeap = 0
  let peakBuffers = 0
  const sample = (): void => {
    const u = process.memoryUsage()
    peakHeap = Math.max(peakHeap, u.heapUsed)
    peakBuffers = Math.max(peakBuffers, u.arrayBuffers)
  }
  const sampler = setInterval(sample, 10)
  const t0 = performance.now()
  const files = eventLogFiles(env.BENCH_DIR!)
  const concurrency = Number(env.BENCH_CONCURRENCY)
  const chunkSize = env.BENCH_CHUNK === undefined ? undefined : Number(env.BENCH_CHUNK)
  const m = env.BENCH_S3_BUCKET !== undefined
    ? await downloadFromSource({ logSource: s3Source(s3, { bucket: env.BENCH_S3_BUCKET, region: env.BENCH_S3_REGION!, endpoint: env.BENCH_S3_ENDPOINT! }), parts, files, concurrency, chunkSize })
    : await downloadEventLog({ ...(env.BENCH_VOLUME === undefined ? { client } : { logSource: volumeSource(client, env.BENCH_VOLUME) }), parts, files, concurrency, chunkSize })
  const ms = performance.now() - t0
  clearInterval(sampler)
  sample()
  await client.close()
  await s3.close()
  const side: Side = { ms, bytes: m.totalBytes, maxRssMB: process.resourceUsage().maxRSS / 1024, startRssMB, peakHeapMB: peakHeap / MB, peakBuffersMB: peakBuffers / MB }
  process.stdout.write(JSON.stringify(side) + '\n')
}

async function main (): Promise<void> {
  const sizeMB = Number(process.env.BENCH_DOWNLOAD_MB ?? 200)
  const latencyMs = 50
  const tmp = mkdtempSync(path.join(tmpdir(), 'tt-download-bench-'))
  try {
    const src = path.join(tmp, 'eventlog')
    const fh = await open(src, 'w')
    // incompressible content, written in slices so this process does not hold 200 MB either
    for (let i = 0; i < sizeMB; i++) await fh.write(randomBytes(MB))
    await fh.close()
    const sim = await startSimulator({ latencyMs })
    try {
      const info = await sim.dbfs.addFile('/cluster-logs/bench/eventlog/bench_10_0_0_1/1/eventlog', src)
      const parts: EventLogPart[] = [{ name: 'eventlog', path: info.path, size: info.file_size, modificationTime: info.modification_time }]
      const volume = '/Volumes/main/bench/cluster_logs'
      const vinfo = await sim.dbfs.addFile(`${volume}/bench/eventlog/bench_10_0_0_1/1/eventlog`, src)
      const vparts: EventLogPart[] = [{ name: 'eventlog', path: vinfo.path, size: vinfo.file_size, modificationTime: vinfo.modification_time }]
      const bucket = 'tt-bench-logs'
      sim.s3.createBucket(bucket, sim.aws.region)
      const s3key = 'cluster-logs/bench/eventlog/bench_10_0_0_1/1/eventlog'
      await sim.s3.addFile(bucket, s3key, src)
      const sparts: EventLogPart[] = [{ name: 'eventlog', path: s3key, size: sizeMB * MB, modificationTime: null }]
      // the simulator answers from this process's event loop, so the children are awaited, never spawnSync'd
      const runAsync = async (concurrency: number, on: 'dbfs' | 'volume' | 's3' = 'dbfs', chunk?: number): Promise<Side> => {
        const dir = mkdtempSync(path.join(tmp, `out-${concurrency}-`))
        return await new Promise<Side>((resolve, reject) => {
          const c = spawn(process.execPath, ['--import', 'tsx', here], {
            env: { ...process.env, BENCH_CHILD: '1', BENCH_HOST: sim.urls.databricks, BENCH_TOKEN: sim.tokens.databricks, BENCH_AWS_KEY: sim.aws.accessKeyId, BENCH_AWS_SECRET: sim.aws.secretAccessKey, BENCH_PARTS: JSON.stringify(on === 'volume' ? vparts : on === 's3' ? sparts : parts), BENCH_DIR: dir, BENCH_CONCURRENCY: String(concurrency), ...(chunk !== undefined ? { BENCH_CHUNK: String(chunk) } : {}), ...(on === 'volume' ? { BENCH_VOLUME: volume } : {}), ...(on === 's3' ? { BENCH_S3_BUCKET: bucket, BENCH_S3_REGION: sim.aws.region, BENCH_S3_ENDPOINT: sim.urls.s3 } : {}) },
            stdio: ['ignore', 'pipe', 'inherit']
          })
          let out = ''
          c.stdout.on('data', (d: Buffer) => { out += d.toString() })
          c.once('exit', (code) => {
            rmSync(dir, { recursive: true, force: true })
            if (code !== 0) { reject(new Error(`download child exited with ${code}`)); return }
            resolve(JSON.parse(out.trim().split('\n').pop()!) as Side)
          })
        })
      }
      const parallelN = 8
      const par = await runAsync(parallelN)
      const seq = await runAsync(1)
      const vol = await runAsync(6, 'volume')
      const s3 = await runAsync(6, 's3')
      // the memory a read holds does not grow with its range: 4x larger ranges, the same peak
      const vol32 = await runAsync(6, 'volume', 32 * MB)
      const mbps = (s: Side): string => (s.bytes / MB / (s.ms / 1000)).toFixed(1)
      const mem = (s: Side): string => `peak RSS ${s.maxRssMB.toFixed(0)} MB (${s.startRssMB.toFixed(0)} MB before the download; peak heap ${s.peakHeapMB.toFixed(0)} MB, buffers ${s.peakBuffersMB.toFixed(0)} MB)`
      console.log(`download ${sizeMB} MB over DBFS read (1 MiB base64 chunks, ${latencyMs} ms latency per call)`)
      console.log(`  parallel (${parallelN} in flight): ${(par.ms / 1000).toFixed(2)} s, ${mbps(par)} MB/s, ${mem(par)}`)
      console.log(`  sequential:             ${(seq.ms / 1000).toFixed(2)} s, ${mbps(seq)} MB/s, ${mem(seq)}`)
      console.log(`  speed-up: ${(seq.ms / par.ms).toFixed(1)}x`)
      console.log(`download ${sizeMB} MB from a volume over the Files API (8 MiB ranged GETs, ${latencyMs} ms latency per call)`)
      console.log(`  parallel (6 in flight):  ${(vol.ms / 1000).toFixed(2)} s, ${mbps(vol)} MB/s, ${mem(vol)}`)
      console.log(`  32 MiB ranges (6 in flight): ${(vol32.ms / 1000).toFixed(2)} s, ${mbps(vol32)} MB/s, ${mem(vol32)}`)
      console.log(`download ${sizeMB} MB from an S3 bucket (8 MiB ranged GETs, SigV4, ${latencyMs} ms latency per call)`)
      console.log(`  parallel (6 in flight):  ${(s3.ms / 1000).toFixed(2)} s, ${mbps(s3)} MB/s, ${mem(s3)}`)
    } finally {
      await sim.close()
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.env.BENCH_CHILD === '1') await child()
else await main()
