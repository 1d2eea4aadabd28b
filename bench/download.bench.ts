// Event log download over the DBFS API: a 200 MB (BENCH_DOWNLOAD_MB) file read in 1 MiB base64 chunks from the
// simulator with 50 ms latency per call, bounded-parallel vs sequential; then the same file on a Unity Catalog volume
// through the Files API (8 MiB ranged GETs), bounded-parallel. Each side runs in its own child process so
// its peak RSS is the downloader's alone (the simulator stays in this process).
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

const MB = 1024 * 1024
const here = fileURLToPath(import.meta.url)

interface Side { ms: number, bytes: number, maxRssMB: number, startRssMB: number }

async function child (): Promise<void> {
  const env = process.env
  const client = createDatabricksClient({ host: env.BENCH_HOST!, token: env.BENCH_TOKEN!, connections: 16 })
  const parts = JSON.parse(env.BENCH_PARTS!) as EventLogPart[]
  const startRssMB = process.memoryUsage().rss / MB
  const t0 = performance.now()
  const from = env.BENCH_VOLUME === undefined ? { client } : { logSource: volumeSource(client, env.BENCH_VOLUME) }
  const m = await downloadEventLog({ ...from, parts, files: eventLogFiles(env.BENCH_DIR!), concurrency: Number(env.BENCH_CONCURRENCY) })
  const ms = performance.now() - t0
  await client.close()
  const side: Side = { ms, bytes: m.totalBytes, maxRssMB: process.resourceUsage().maxRSS / 1024, startRssMB }
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
      // the simulator answers from this process's event loop, so the children are awaited, never spawnSync'd
      const runAsync = async (concurrency: number, onVolume = false): Promise<Side> => {
        const dir = mkdtempSync(path.join(tmp, `out-${concurrency}-`))
        return await new Promise<Side>((resolve, reject) => {
          const c = spawn(process.execPath, ['--import', 'tsx', here], {
            env: { ...process.env, BENCH_CHILD: '1', BENCH_HOST: sim.urls.databricks, BENCH_TOKEN: sim.tokens.databricks, BENCH_PARTS: JSON.stringify(onVolume ? vparts : parts), BENCH_DIR: dir, BENCH_CONCURRENCY: String(concurrency), ...(onVolume ? { BENCH_VOLUME: volume } : {}) },
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
      const vol = await runAsync(6, true)
      const mbps = (s: Side): string => (s.bytes / MB / (s.ms / 1000)).toFixed(1)
      console.log(`download ${sizeMB} MB over DBFS read (1 MiB base64 chunks, ${latencyMs} ms latency per call)`)
      console.log(`  parallel (${parallelN} in flight): ${(par.ms / 1000).toFixed(2)} s, ${mbps(par)} MB/s, peak RSS ${par.maxRssMB.toFixed(0)} MB (${par.startRssMB.toFixed(0)} MB before the download)`)
      console.log(`  sequential:             ${(seq.ms / 1000).toFixed(2)} s, ${mbps(seq)} MB/s, peak RSS ${seq.maxRssMB.toFixed(0)} MB (${seq.startRssMB.toFixed(0)} MB before the download)`)
      console.log(`  speed-up: ${(seq.ms / par.ms).toFixed(1)}x`)
      console.log(`download ${sizeMB} MB from a volume over the Files API (8 MiB ranged GETs, ${latencyMs} ms latency per call)`)
      console.log(`  parallel (6 in flight):  ${(vol.ms / 1000).toFixed(2)} s, ${mbps(vol)} MB/s, peak RSS ${vol.maxRssMB.toFixed(0)} MB (${vol.startRssMB.toFixed(0)} MB before the download)`)
    } finally {
      await sim.close()
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.env.BENCH_CHILD === '1') await child()
else await main()
