// Analysis engine vs a straightforward baseline (stream the plain file, split lines, JSON.parse every line, minimal
// aggregation). Each side runs in its own child process so maxRSS is per side, BENCH_RUNS times (default 3, medians
// compared). Inputs: nds_q88 (decompressed first) and a generated log of BENCH_GB (default 1) GB made from real task
// lines with new ids.
import { spawnSync } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { analyseEventLog } from '../src/spark/analyse.js'
import { openEventLog } from '../src/spark/read/index.js'
import { FIXTURES } from '../test/helper-fixtures.js'

const here = fileURLToPath(import.meta.url)
const NDS = path.join(FIXTURES, 'eventlogs/spark-rapids-tools/spark-events-qualification/nds_q88_photon_db_13_3.zstd')
const MB = 1024 * 1024

interface SideResult { ms: number; bytes: number; maxRssMB: number; check: number }

async function baseline (file: string): Promise<number> {
  // minimal aggregation: events by type and Σ executor run time, so the parse cannot be optimised away
  const byType = new Map<string, number>()
  let runTime = 0
  let rest = ''
  const onLine = (line: string): void => {
    if (line === '') return
    let e: any
    try { e = JSON.parse(line) } catch { return }
    byType.set(e.Event, (byType.get(e.Event) ?? 0) + 1)
    if (e.Event === 'SparkListenerTaskEnd') runTime += e['Task Metrics']?.['Executor Run Time'] ?? 0
  }
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: MB })) {
    const s = rest + (chunk as string)
    let start = 0
    let nl = s.indexOf('\n')
    while (nl >= 0) { onLine(s.slice(start, nl)); start = nl + 1; nl = s.indexOf('\n', start) }
    rest = s.slice(start)
  }
  onLine(rest)
  return runTime
}

async function ours (file: string): Promise<number> {
  const a = await analyseEventLog(file)
  return a.stages.reduce((x, s) => x + s.executorRunTime, 0)
}

/**
 * This process's own peak RSS. getrusage's maxRSS is inherited across fork on Linux, so a child spawned by a parent
 * that once held more (decompressing, generating) reports the parent's peak: read VmHWM of this address space instead.
 */
function peakRssMB (): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m) return Number(m[1]) / 1024
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024
}

async function child (side: string, file: string): Promise<void> {
  const t0 = performance.now()
  const check = side === 'baseline' ? await baseline(file) : await ours(file)
  const ms = performance.now() - t0
  const r: SideResult = { ms, bytes: statSync(file).size, maxRssMB: peakRssMB(), check }
  process.stdout.write(JSON.stringify(r) + '\n')
}

function runSide (side: string, file: string): SideResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', here, '--child', side, file], { encoding: 'utf8', maxBuffer: 1 << 20 })
  if (r.status !== 0) throw new Error(`${side} failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as SideResult
}

/** Decompresses a log with our reader into a plain file. */
async function decompress (src: string, dest: string): Promise<void> {
  const log = await openEventLog(src)
  const out = createWriteStream(dest)
  for await (const c of log.chunks()) if (!out.write(c.data)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  await new Promise<void>((resolve, reject) => out.end((e?: Error) => (e ? reject(e) : resolve())))
}

/** A big log: nds_q88's header events, then stages of 10 000 real TaskEnd lines with new stage and task ids. */
async function generate (src: string, dest: string, targetBytes: number): Promise<void> {
  const header: string[] = []
  const tasks: string[] = []
  let rest = ''
  for await (const chunk of createReadStream(src, { encoding: 'utf8', highWaterMark: MB })) {
    const lines = (rest + (chunk as string)).split('\n')
    rest = lines.pop()!
    for (const l of lines) {
      if (l.startsWith('{"Event":"SparkListenerTaskEnd"') && l.includes('"Reason":"Success"') && tasks.length < 2000) tasks.push(l)
      else if (header.length < 3 && /"Event":"(SparkListenerLogStart|DBCEventLoggingListenerMetadata|SparkListenerApplicationStart|SparkListenerEnvironmentUpdate|SparkListenerExecutorAdded)"/.test(l)) header.push(l)
    }
  }
  // Split each template at its ids once, so generation is string concatenation only.
  const parts = tasks.map((l) => {
    const m = /^(.*?"Stage ID":)\d+(.*?"Task ID":)\d+(.*)$/.exec(l)!
    return [m[1]!, m[2]!, m[3]!] as const
  })
  const out = createWriteStream(dest, { highWaterMark: 4 * MB })
  const write = async (s: string): Promise<void> => { if (!out.write(s)) await new Promise<void>((resolve) => out.once('drain', () => resolve())) }
  let written = 0
  for (const h of header) { await write(h + '\n'); written += h.length + 1 }
  const PER_STAGE = 10_000
  let taskId = 0
  for (let stage = 0; written < targetBytes; stage++) {
    const info = `{"Stage ID":${stage},"Stage Attempt ID":0,"Stage Name":"gen ${stage}","Number of Tasks":${PER_STAGE},"Submission Time":1700000000000`
    let buf = `{"Event":"SparkListenerStageSubmitted","Stage Info":${info}}}\n`
    for (let i = 0; i < PER_STAGE; i++) {
      const p = parts[(taskId + stage) % parts.length]!
      buf += `${p[0]}${stage}${p[1]}${taskId++}${p[2]}\n`
      if (buf.length > 4 * MB) { await write(buf); written += buf.length; buf = '' }
    }
    buf += `{"Event":"SparkListenerStageCompleted","Stage Info":${info},"Completion Time":1700000100000}}\n`
    await write(buf)
    written += buf.length
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error) => (e ? reject(e) : resolve())))
}

/** Runs both sides BENCH_RUNS times (default 3), alternating, and compares their median times (the box is shared). */
function report (name: string, file: string): boolean {
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3))
  const bs: SideResult[] = []
  const os: SideResult[] = []
  for (let i = 0; i < runs; i++) {
    bs.push(runSide('baseline', file))
    os.push(runSide('ours', file))
  }
  const median = (rs: SideResult[]): SideResult => [...rs].sort((x, y) => x.ms - y.ms)[rs.length >> 1]!
  const b = median(bs)
  const o = median(os)
  const maxRss = (rs: SideResult[]): number => Math.max(...rs.map((r) => r.maxRssMB))
  const mbps = (r: SideResult): number => r.bytes / MB / (r.ms / 1000)
  const ratio = mbps(o) / mbps(b)
  const all = (rs: SideResult[]): string => (rs.length > 1 ? `  [${rs.map((r) => mbps(r).toFixed(0)).join(', ')}]` : '')
  console.log(`${name}: ${(b.bytes / MB).toFixed(0)} MB, median of ${runs} run(s) per side`)
  console.log(`  baseline JSON.parse  ${mbps(b).toFixed(1)} MB/s  ${(b.ms / 1000).toFixed(2)} s  maxRSS ${maxRss(bs).toFixed(0)} MB${all(bs)}`)
  console.log(`  analyser             ${mbps(o).toFixed(1)} MB/s  ${(o.ms / 1000).toFixed(2)} s  maxRSS ${maxRss(os).toFixed(0)} MB${all(os)}`)
  const checks = new Set([...bs, ...os].map((r) => r.check))
  console.log(`  ratio ${ratio.toFixed(2)}x (target >= 4x), RSS ${maxRss(os) < 200 ? 'OK' : 'OVER'} (target < 200 MB); Σ run time ${checks.size === 1 ? 'matches' : `DIFFERS ${[...checks].join(' vs ')}`}`)
  return ratio >= 4 && maxRss(os) < 200 && checks.size === 1
}

async function main (): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, process.argv[4]!)
  if (!existsSync(NDS)) { console.log(`skipped: ${NDS} not found`); return }
  const dir = mkdtempSync(path.join(tmpdir(), 'tri-bench-'))
  try {
    const plain = path.join(dir, 'nds_q88.json')
    await decompress(NDS, plain)
    const ok1 = report('nds_q88_photon_db_13_3 (decompressed)', plain)
    const big = path.join(dir, 'generated.json')
    const gb = Number(process.env.BENCH_GB ?? 1)
    const t0 = performance.now()
    await generate(plain, big, gb * 1024 * MB)
    console.log(`(generated ${(statSync(big).size / MB).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    rmSync(plain)
    const ok2 = report(`generated ${gb} GB log`, big)
    if (!ok1 || !ok2) process.exitCode = 1
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
