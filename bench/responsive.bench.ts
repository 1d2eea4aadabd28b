// Page latency while a large event log is analysed (issue 12): the app (demo mode, its simulator, a temporary data
// folder) listens on 127.0.0.1 and one client asks GET / back to back while a BENCH_GB (default 1) GB log replayed from
// a real Spark 3.5 SQL job (nds_q72, see generate-log.ts) is analysed: first in a worker thread, as the app does since
// issue 12, then on the request thread, as before, for comparison. Target: p99 of GET / under 200 ms during the first.
import { createWriteStream, statSync } from 'node:fs'
import path from 'node:path'
import { request } from 'undici'
import { analyseEventLog } from '../src/spark/analyse.js'
import { analyseInWorker } from '../src/spark/analyse-in-worker.js'
import { openEventLog } from '../src/spark/read/index.js'
import { FIXTURES } from '../test/helper-fixtures.js'
import { generateLog, replaySource } from './generate-log.js'
import { withBenchApp } from './bench-app.js'

const NDS72 = path.join(FIXTURES, 'eventlogs/spark-rapids-tools/spark-events-qualification/nds_q72_dataproc_2_2.zstd')
const MB = 1024 * 1024

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN
}

/** GET `url` back to back (a 10 ms pause between answers) until `done` settles; the latencies in ms. */
async function probe (url: string, done: Promise<unknown>): Promise<number[]> {
  const state = { finished: false }
  void done.finally(() => { state.finished = true })
  const out: number[] = []
  while (!state.finished) {
    const t0 = performance.now()
    const r = await request(url)
    await r.body.text()
    if (r.statusCode !== 200) throw new Error(`GET / answered ${r.statusCode}`)
    out.push(performance.now() - t0)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return out
}

const line = (label: string, xs: number[], ms: number): string =>
  `  ${label}: ${xs.length} requests in ${(ms / 1000).toFixed(1)} s, p50 ${pct(xs, 0.5).toFixed(0)} ms, p99 ${pct(xs, 0.99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`

async function main (): Promise<void> {
  if (!statSync(NDS72, { throwIfNoEntry: false })) { console.log(`skipped: ${NDS72} not found`); return }
  await withBenchApp('tri-bench-resp-', async ({ dir, listen }) => {
    const plain = path.join(dir, 'q72.json')
    const src = await openEventLog(NDS72)
    const w = createWriteStream(plain)
    for await (const c of src.chunks()) if (!w.write(c.data)) await new Promise<void>((resolve) => w.once('drain', () => resolve()))
    await new Promise<void>((resolve) => w.end(() => resolve()))
    const gb = Number(process.env.BENCH_GB ?? 1)
    const big = path.join(dir, 'generated.json')
    const g = await generateLog(await replaySource(plain), big, gb * 1024 * MB)

    const url = `${await listen()}/`
    {
      console.log(`GET / while a ${(g.bytes / MB).toFixed(0)} MB log (nds_q72 replayed ${g.rounds} times) is analysed`)
      let t0 = performance.now()
      const idle = await probe(url, new Promise((resolve) => setTimeout(resolve, 2000)))
      console.log(line('idle', idle, performance.now() - t0))
      t0 = performance.now()
      const inWorker = analyseInWorker(big)
      const during = await probe(url, inWorker)
      const a = await inWorker
      const workerMs = performance.now() - t0
      console.log(line('analysis in a worker thread', during, workerMs) + `  (${a.kpis.tasks} tasks)`)
      t0 = performance.now()
      const inThread = analyseEventLog(big)
      const blocked = await probe(url, inThread)
      await inThread
      console.log(line('analysis on the request thread (before)', blocked, performance.now() - t0))
      const p99 = pct(during, 0.99)
      console.log(`  p99 of GET / during the worker analysis ${p99.toFixed(0)} ms ${p99 < 200 ? 'OK' : 'OVER'} (target < 200 ms)`)
      if (!(p99 < 200)) process.exitCode = 1
    }
  })
}

await main()
