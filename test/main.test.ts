// The app's entry point, started as `npm start` would: a bad URL stops it with one message, no stack (issue 12 #4).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from './helper.js'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const TSX = import.meta.resolve('tsx')

// Only what the test sets: no PLATFORM_* or DATABRICKS_* of the machine running it, nothing that could listen for long.
function start (cwd: string, env: Record<string, string>): { status: number | null, stderr: string, stdout: string } {
  const res = spawnSync(process.execPath, ['--import', TSX, MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, PORT: '0', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000
  })
  return { status: res.status, stderr: res.stderr, stdout: res.stdout }
}

t.test('a bad URL in .env names the variable and .env, without a stack', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, '.env'), 'PLATFORM_API_BASE_URL=http://127.0.0.1:99999/v4\nPLATFORM_API_TOKEN=abc\n')
  const res = start(dir, { DATA_DIR: join(dir, 'flows') })
  t.equal(res.status, 1)
  t.match(res.stderr, /^Tri-Tracker cannot start: PLATFORM_API_BASE_URL must be an http\(s\) URL[^\n]*not a valid URL/)
  t.match(res.stderr, /Fix PLATFORM_API_BASE_URL in \.env/)
  t.notMatch(res.stderr, /TypeError|\n\s+at /, 'no stack trace')
})

t.test('a bad URL saved in settings.json names the variable and the file, without a stack', async (t) => {
  const dir = tempDir(t)
  const data = join(dir, 'flows')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(data, { mode: 0o700 })
  // as an older version could have saved it
  const settings = { schemaVersion: 1, savedAt: '2026-01-01T00:00:00.000Z', values: { DATABRICKS_HOST: 'https://dbx.example:99999', DATABRICKS_TOKEN: 'dapi0123' } }
  writeFileSync(join(data, 'settings.json'), JSON.stringify(settings), { mode: 0o600 })
  const res = start(dir, { DATA_DIR: data, DEMO_MODE: 'off' })
  t.equal(res.status, 1)
  t.match(res.stderr, /Tri-Tracker cannot start: DATABRICKS_HOST must be an http\(s\) URL/)
  t.match(res.stderr, /settings\.json in the data folder/)
  t.notMatch(res.stderr, /TypeError|\n\s+at /, 'no stack trace')
  t.notMatch(res.stderr, /dapi0123/)
  t.ok(existsSync(join(data, 'settings.json')))
  t.same(JSON.parse(readFileSync(join(data, 'settings.json'), 'utf8')), settings, 'the file is left for the user to fix')
})
