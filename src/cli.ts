// `tri-track analyze <file-or-folder> [--json] [--out <file>]`: analyse a Spark event log from the command line;
// `tri-track --version`: the package version and the analyser version its analyses record.
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import type { Analysis } from './spark/analysis-types.js'
import { ANALYSER_VERSION } from './spark/analyser-version.js'
import { approxDuration, bytes, duration as dur, impactOverlapText, impactText, percent } from './shared/format.js'

const USAGE = `usage: tri-track analyze <event-log file or folder> [--json] [--out <analysis.json>]
       tri-track --version

  --json         print the analysis as JSON on stdout (analyserVersion: the analyser that made it)
  --out <file>   also write the analysis to <file> (atomically)
  -V, --version  print Tri-Tracker's version and its analyser's
  -h, --help     print this help`

/**
 * Tri-Tracker's version from its package.json: the first one named tri-tracker above this file (src/cli.ts and the
 * compiled dist/cli/cli.js sit at different depths), "unknown" when none can be read.
 */
export async function packageVersion (): Promise<string> {
  let dir = new URL('.', import.meta.url)
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(await readFile(new URL('package.json', dir), 'utf8')) as { name?: unknown, version?: unknown }
      if (pkg.name === 'tri-tracker' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // no package.json at this level (or not ours): one level up
    }
    dir = new URL('..', dir)
  }
  return 'unknown'
}

/** Human-readable summary: application, KPIs, flags, parse health. */
export function summary (a: Analysis): string {
  const app = a.application
  const k = a.kpis
  const p = a.parse
  const lines = [
    `${app.name ?? '(no name)'}  ${app.id ?? '(no app id)'}${app.attemptId ? ` attempt ${app.attemptId}` : ''}`,
    `  Spark ${app.sparkVersion || 'unknown'}${app.databricksRuntime ? ` (Databricks ${app.databricksRuntime})` : ''}, user ${app.sparkUser ?? '?'}, master ${app.master ?? '?'}`,
    `  ${app.startTime ? new Date(app.startTime).toISOString() : '?'}  wall clock ${dur(k.wallClockMs)}${app.completed ? '' : ' (no ApplicationEnd: incomplete log)'}`,
    '',
    `  executors ${k.executorsMin}-${k.executorsMax}, cores ${k.totalCoresMax}, core utilisation ${k.coreUtilisation === null ? 'n/a' : percent(k.coreUtilisation)}`,
    `  jobs ${k.jobs} (${k.failedJobs} failed), stages ${k.stages} (${k.failedStages} failed), tasks ${k.tasks} (${k.failedTasks} failed, ${k.killedTasks} killed)`,
    `  task time ${dur(k.totalTaskTimeMs)}, GC ${k.gcPercent}%, scheduler delay ${k.schedulerDelayPercent}%`,
    `  input ${bytes(k.inputBytes)}, output ${bytes(k.outputBytes)}, shuffle read ${bytes(k.shuffleReadBytes)} / write ${bytes(k.shuffleWriteBytes)}`,
    `  spill memory ${bytes(k.memoryBytesSpilled)} / disk ${bytes(k.diskBytesSpilled)}`,
    '',
  ]
  for (const r of (a.rootCauses ?? []).slice(0, 3)) lines.push(`  root cause: ${r.line}`)
  if (a.rootCauses?.length) lines.push('')
  if (a.flags.length === 0) lines.push('  no red flags')
  for (const f of a.flags) {
    const cost = impactText(f.impactMs, k.wallClockMs)
    lines.push(`  [${f.severity.toUpperCase()}] ${f.title}${cost ? ` (${cost})` : ''}`)
    for (const e of f.evidence.slice(0, 5)) lines.push(`      ${e}`)
    if (f.evidence.length > 5) lines.push(`      … ${f.evidence.length - 5} more`)
  }
  const overlap = impactOverlapText(a.flags.map((f) => f.impactMs), k.wallClockMs)
  if (overlap !== null) lines.push(`  ${overlap}`)
  const w = a.whatIf
  if (w) {
    lines.push('', `  what-if (replay of the stage DAG on other core counts; model ${approxDuration(w.modelMs)} vs actual ${approxDuration(w.actualMs)}):`)
    lines.push(`      ${w.points.map((pt) => `${pt.factor}× = ${pt.cores} cores: ${approxDuration(pt.wallClockMs)}`).join(', ')}`)
    lines.push(`      critical path (unlimited executors) ${approxDuration(w.criticalPathMs)}, driver-only time ${approxDuration(w.driverOnlyMs)}`)
  }
  const u = a.usage
  if (u) lines.push(`  held ${u.workerNodeHours.toFixed(2)} worker node-hours (${u.workerNodes} nodes) + ${u.driverHours.toFixed(2)} driver hours; busy ${u.busyCoreHours.toFixed(2)} of ${u.heldCoreHours.toFixed(2)} core-hours held`)
  for (const r of a.recommendations) {
    lines.push('', `  -> ${r.title}`)
    for (const c of r.configs) lines.push(`       ${c.key} = ${c.suggested}${c.current !== null ? ` (now ${c.current})` : ''}`)
  }
  lines.push('', `  parsed ${bytes(p.bytes)}, ${p.lines} lines, ${p.events} events in ${p.partsRead} part(s); ${p.badLines.count} bad line(s)${p.badLines.count ? ` (${p.badLines.first.slice(0, 10).map((b) => b.line).join(', ')})` : ''}, ${p.unknownEvents.count} unknown event(s)${p.truncated ? ', truncated tail' : ''}${p.damage.length ? `, damage: ${p.damage.map((d) => `${d.part}: ${d.message}`).join('; ')}` : ''}`)
  return lines.join('\n')
}

/** Runs the CLI; returns the exit code. */
export async function runCli (argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [cmd, ...rest] = argv
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') { out.write(USAGE + '\n'); return 0 }
  if (cmd === '--version' || cmd === '-V') { out.write(`tri-track ${await packageVersion()} (analyser ${ANALYSER_VERSION})\n`); return 0 }
  if (cmd !== 'analyze' && cmd !== 'analyse') { err.write(`${cmd ? `unknown command: ${cmd}\n` : ''}${USAGE}\n`); return 64 }
  let json = false
  let outFile: string | undefined
  let input: string | undefined
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    if (a === '--json') json = true
    else if (a === '--out' || a === '-o') {
      outFile = rest[++i]
      if (!outFile) { err.write(`--out needs a file name\n${USAGE}\n`); return 64 }
    } else if (a.startsWith('-')) { err.write(`unknown option: ${a}\n${USAGE}\n`); return 64 } else if (input === undefined) input = a
    else { err.write(`only one input path, got also: ${a}\n`); return 64 }
  }
  if (!input) { err.write(`missing the event log path\n${USAGE}\n`); return 64 }
  // loaded here, not at start-up: `--help` and a bad command line start as fast as node does
  const { analyseEventLog, noEventsReason } = await import('./spark/analyse.js')
  let analysis: Analysis
  try {
    analysis = await analyseEventLog(input)
  } catch (e) {
    err.write(`tri-track: cannot read ${input}: ${(e as Error).message}\n`)
    return 66
  }
  const empty = noEventsReason(analysis, input)
  if (empty !== null) {
    err.write(`tri-track: ${empty}\n`)
    return 65
  }
  if (outFile) {
    try {
      const { writeFileAtomic } = await import('./store/atomic-write.js')
      await writeFileAtomic(outFile, JSON.stringify(analysis, null, 1), { mode: 0o644 })
    } catch (e) {
      err.write(`tri-track: cannot write ${outFile}: ${(e as Error).message}\n`)
      return 73
    }
  }
  out.write(json ? JSON.stringify(analysis, null, 1) + '\n' : summary(analysis) + '\n')
  return 0
}

/** Exit quietly when stdout is closed early (e.g. piped into `head`). */
export function ignoreEpipe (): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw e
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ignoreEpipe()
  process.exitCode = await runCli(process.argv.slice(2))
}
