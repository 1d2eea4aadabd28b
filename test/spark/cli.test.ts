// The installed `tri-track` bin, spawned as a user would run it.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { EVENTLOGS } from '../helper-fixtures.js'
import { ANALYSER_VERSION } from '../../src/spark/analyser-version.js'
// @ts-expect-error plain JavaScript beside the bin, no types
import { distIsFresh } from '../../bin/dist-fresh.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const LOGS = EVENTLOGS
const BIN = path.join(repoRoot, 'bin/tri-track.js')
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 })

t.test('readable summary', async (t) => {
  const r = run('analyze', path.join(LOGS, 'spark/local-1422981780767'))
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /Spark shell\s+local-1422981780767/)
  t.match(r.stdout, /tasks 32 \(1 failed, 0 killed\)/)
  // a failed local run: capped at warning (local mode), the root cause first
  t.match(r.stdout, /\[WARNING\] Failed run: a job failed/)
  t.match(r.stdout, /root cause: exception in the task: java.lang.RuntimeException: got a 3, failing/)
})

t.test('--json and --out on a compressed log', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tri-cli-'))
  const out = path.join(dir, 'analysis.json')
  const r = run('analyze', path.join(LOGS, 'spark-rapids-tools/spark-events-profiling/malformed_json_eventlog.zstd'), '--json', '--out', out)
  t.equal(r.status, 0, r.stderr)
  const printed = JSON.parse(r.stdout)
  const written = JSON.parse(readFileSync(out, 'utf8'))
  t.equal(printed.schemaVersion, 1)
  t.equal(printed.analyserVersion, ANALYSER_VERSION, 'the JSON records the analyser')
  t.equal(written.analyserVersion, ANALYSER_VERSION)
  t.same(printed.parse.badLines.first.map((b: { line: number }) => b.line), [4])
  t.equal(written.kpis.tasks, printed.kpis.tasks)
  t.equal(written.kpis.tasks, 217)
})

t.test('--version and -V print the package and analyser versions, from the sources and the compiled CLI', async (t) => {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  for (const tsx of ['1', '0']) {
    for (const flag of ['--version', '-V']) {
      const r = spawnSync(process.execPath, [BIN, flag], { encoding: 'utf8', cwd: tmpdir(), env: { ...process.env, TRI_TRACK_TSX: tsx }, timeout: 120_000 })
      t.equal(r.status, 0, r.stderr)
      t.equal(r.stdout, `tri-track ${version} (analyser ${ANALYSER_VERSION})\n`, `${flag}, TRI_TRACK_TSX=${tsx}`)
      t.equal(r.stderr, '')
    }
  }
  const help = run('--help')
  t.equal(help.status, 0)
  t.match(help.stdout, /-V, --version {2}print Tri-Tracker's version and its analyser's/)
})

t.test('unreadable input fails with a message', async (t) => {
  const r = run('analyze', '/nonexistent/eventlog')
  t.not(r.status, 0)
  t.match(r.stderr, /cannot read \/nonexistent\/eventlog/)
  const dir = mkdtempSync(path.join(tmpdir(), 'tri-cli-'))
  const junk = path.join(dir, 'junk')
  writeFileSync(junk, 'hello\nworld\n')
  const j = run('analyze', junk)
  t.equal(j.status, 65)
  t.match(j.stderr, /no Spark events found/)
  const u = run('frobnicate')
  t.equal(u.status, 64)
  t.match(u.stderr, /usage: tri-track analyze/)
})

t.test('the compiled CLI (dist/) answers as the TypeScript sources do', async (t) => {
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build-cli.js')], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 })
  t.equal(build.status, 0, build.stderr)
  t.ok(distIsFresh(repoRoot), 'fresh after a build')
  const log = path.join(LOGS, 'spark/local-1642039451826')
  const env = (tsx: boolean) => ({ ...process.env, TRI_TRACK_TSX: tsx ? '1' : '0' })
  const compiled = spawnSync(process.execPath, [BIN, 'analyze', log, '--json'], { encoding: 'utf8', cwd: repoRoot, env: env(false), timeout: 120_000 })
  const sources = spawnSync(process.execPath, [BIN, 'analyze', log, '--json'], { encoding: 'utf8', cwd: repoRoot, env: env(true), timeout: 120_000 })
  t.equal(compiled.status, 0, compiled.stderr)
  t.equal(sources.status, 0, sources.stderr)
  const strip = (s: string) => ({ ...JSON.parse(s), generatedAt: '' })
  t.same(strip(compiled.stdout), strip(sources.stdout))
})

t.test('dist/ counts as stale when a source it was built from is newer or gone', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'tri-dist-'))
  mkdirSync(path.join(root, 'dist/cli'), { recursive: true })
  mkdirSync(path.join(root, 'src'))
  t.notOk(distIsFresh(root), 'no dist')
  writeFileSync(path.join(root, 'src/a.ts'), '')
  writeFileSync(path.join(root, 'dist/cli/cli.js'), '')
  writeFileSync(path.join(root, 'dist/cli/cli.inputs.json'), JSON.stringify(['src/a.ts']))
  const past = new Date(Date.now() - 60_000)
  utimesSync(path.join(root, 'src/a.ts'), past, past)
  t.ok(distIsFresh(root), 'built after its source')
  const future = new Date(Date.now() + 60_000)
  utimesSync(path.join(root, 'src/a.ts'), future, future)
  t.notOk(distIsFresh(root), 'a source changed since')
  writeFileSync(path.join(root, 'dist/cli/cli.inputs.json'), JSON.stringify(['src/a.ts', 'src/gone.ts']))
  utimesSync(path.join(root, 'src/a.ts'), past, past)
  t.notOk(distIsFresh(root), 'a source is gone')
})
