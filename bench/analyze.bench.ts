// `tri-track analyze` end to end against a JSON.parse baseline, both as whole processes (start-up included): the
// command line as users run it (bin/tri-track.js, compiled dist/ first) and bench/json-parse-baseline.js. Each side
// runs BENCH_RUNS times (default 3), alternating, medians compared; wall time is the target, CPU time is shown too
// (the box is shared). Inputs: nds_q88 (a real Databricks 13.3 Photon log, decompressed), and BENCH_GB (default 1) GB
// logs replayed from two real logs (bench/generate-log.ts): a Spark 3.5 SQL job (nds_q72 on Dataproc, TaskEnd lines
// with SQL accumulables) and the Photon log. Also the CLI's start-up time.
import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openEventLog } from '../src/spark/read/index.js'
import { FIXTURES } from '../test/helper-fixtures.js'
import { generateLog, replaySource } from './generate-log.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const QUAL = path.join(FIXTURES, 'eventlogs/spark-rapids-tools/spark-events-qualification')
const NDS88 = path.join(QUAL, 'nds_q88_photon_db_13_3.zstd')
const NDS72 = path.join(QUAL, 'nds_q72_dataproc_2_2.zstd')
const MB = 1024 * 1024
const BIN = path.join(ROOT, 'bin/tri-track.js')
const BASELINE = path.join(ROOT, 'bench/json-parse-baseline.js')
const REPORT = path.join(ROOT, 'bench/process-report.js')

interface Run { ms: number; cpuMs: number; rssMB: number; out: string }

/** Runs `node --import process-report.js …args` as a whole process; wall time measured from here. */
function runProcess (args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--import', REPORT, ...args], { encoding: 'utf8', env, maxBuffer: 64 * MB })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  const m = /@@bench (\{.*\})/.exec(r.stderr)
  const rep = m ? (JSON.parse(m[1]!) as { rssMB: number; cpuMs: number }) : { rssMB: NaN, cpuMs: NaN }
  return { ms, ...rep, out: r.stdout }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

/**
 * CLI start-up, medians of 20 whole processes: `tri-track --help` and `tri-track analyze` on a one-line log, beside a
 * bare `node -e 0`; wall and CPU (user + system) time, and what the CLI adds over bare node (target < 100 ms wall on a
 * quiet machine; on a loaded one the CPU figure is the steadier).
 */
function startup (dir: string): void {
  const n = 20
  const tiny = path.join(dir, 'tiny.json')
  writeFileSync(tiny, '{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}\n')
  const time = (args: string[], env?: NodeJS.ProcessEnv): { ms: number; cpu: number } => {
    const rs = Array.from({ length: n }, () => runProcess(args, env))
    return { ms: median(rs.map((r) => r.ms)), cpu: median(rs.map((r) => r.cpuMs)) }
  }
  const bare = time(['-e', '0'])
  const help = time([BIN, '--help'])
  const analyze = time([BIN, 'analyze', tiny])
  const tsx = time([BIN, '--help'], { ...process.env, TRI_TRACK_TSX: '1' })
  console.log(`CLI start-up, median of ${n} (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}): bare node ${bare.ms.toFixed(0)} ms wall / ${bare.cpu.toFixed(0)} ms CPU; through tsx (no dist/) ${tsx.ms.toFixed(0)} ms / ${tsx.cpu.toFixed(0)} ms`)
  for (const [what, t] of [['tri-track --help', help], ['tri-track analyze <1-line log>', analyze]] as const) {
    const over = t.ms - bare.ms
    console.log(`  ${what}: ${t.ms.toFixed(0)} ms wall / ${t.cpu.toFixed(0)} ms CPU, over bare node ${over.toFixed(0)} ms wall / ${(t.cpu - bare.cpu).toFixed(0)} ms CPU ${over < 100 ? 'OK' : 'OVER'} (target < 100 ms)`)
  }
}

/** Both sides BENCH_RUNS times, alternating; true when the targets are met. */
function report (name: string, file: string, dir: string): boolean {
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3))
  const bs: Run[] = []
  const os: Run[] = []
  for (let i = 0; i < runs; i++) {
    bs.push(runProcess([BASELINE, file]))
    os.push(runProcess([BIN, 'analyze', file, '--out', path.join(dir, `analysis-${i}.json`)]))
  }
  const bytes = statSync(file).size
  const side = (rs: Run[]) => ({ ms: median(rs.map((r) => r.ms)), cpu: median(rs.map((r) => r.cpuMs)), rss: Math.max(...rs.map((r) => r.rssMB)) })
  const b = side(bs)
  const o = side(os)
  const mbps = (ms: number): string => (bytes / MB / (ms / 1000)).toFixed(1)
  const ratio = b.ms / o.ms
  console.log(`${name}: ${(bytes / MB).toFixed(0)} MB, median of ${runs} run(s) per side, whole processes`)
  console.log(`  baseline JSON.parse  ${mbps(b.ms)} MB/s  ${(b.ms / 1000).toFixed(2)} s wall  ${(b.cpu / 1000).toFixed(2)} s CPU  maxRSS ${b.rss.toFixed(0)} MB`)
  console.log(`  tri-track analyze    ${mbps(o.ms)} MB/s  ${(o.ms / 1000).toFixed(2)} s wall  ${(o.cpu / 1000).toFixed(2)} s CPU  maxRSS ${o.rss.toFixed(0)} MB`)
  // the two must have read the same tasks: Σ executor run time of the baseline and of the analysis's stages
  const theirs = bs.map((r) => /Σ executor run time (\d+)/.exec(r.out)?.[1] ?? '?')
  const ours = os.map((_, i) => {
    const a = JSON.parse(readFileSync(path.join(dir, `analysis-${i}.json`), 'utf8')) as { stages: { executorRunTime: number }[] }
    return String(a.stages.reduce((x, st) => x + st.executorRunTime, 0))
  })
  const same = new Set([...ours, ...theirs]).size === 1
  console.log(`  end-to-end ratio ${ratio.toFixed(2)}x wall, ${(b.cpu / o.cpu).toFixed(2)}x CPU (target >= 4x); RSS ${o.rss < 200 ? 'OK' : 'OVER'} (target < 200 MB); Σ run time ${same ? 'matches' : `DIFFERS ${[...new Set([...ours, ...theirs])].join(' vs ')}`}`)
  return ratio >= 4 && o.rss < 200 && same
}

/** Decompresses a log with our reader into a plain file. */
async function decompress (src: string, dest: string): Promise<void> {
  const log = await openEventLog(src)
  const out = createWriteStream(dest)
  for await (const c of log.chunks()) if (!out.write(c.data)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  await new Promise<void>((resolve, reject) => out.end((e?: Error) => (e ? reject(e) : resolve())))
}

async function main (): Promise<void> {
  if (![NDS88, NDS72].every((f) => statSync(f, { throwIfNoEntry: false }))) { console.log(`skipped: ${NDS88} or ${NDS72} not found`); return }
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-cli.js')], { encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`)
  const dir = mkdtempSync(path.join(tmpdir(), 'tri-bench-'))
  startup(dir)
  const gb = Number(process.env.BENCH_GB ?? 1)
  let ok = true
  try {
    const q88 = path.join(dir, 'nds_q88.json')
    const q72 = path.join(dir, 'nds_q72.json')
    await decompress(NDS88, q88)
    await decompress(NDS72, q72)
    ok = report('nds_q88_photon_db_13_3 (Databricks 13.3 Photon, decompressed)', q88, dir) && ok
    for (const [name, src] of [['Spark 3.5 SQL job (nds_q72 replayed)', q72], ['Photon (nds_q88 replayed)', q88]] as const) {
      const big = path.join(dir, 'generated.json')
      const t0 = performance.now()
      const g = await generateLog(await replaySource(src), big, gb * 1024 * MB)
      console.log(`(generated ${(g.bytes / MB).toFixed(0)} MB, ${g.rounds} rounds, in ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
      ok = report(`generated ${gb} GB: ${name}`, big, dir) && ok
      rmSync(big)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  if (!ok) process.exitCode = 1
}

await main()
