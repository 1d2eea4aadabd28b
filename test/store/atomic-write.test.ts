import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseTempName, writeFileAtomic } from '../../src/store/atomic-write.js'
import { removeStrayTempFiles } from '../../src/store/json-file.js'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('concurrent writers to one file: all settle, last call wins, no temp files left', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tt-atomic-'))
  const file = join(dir, 'data.json')
  const writes = Array.from({ length: 100 }, async (_, i) => { await writeFileAtomic(file, JSON.stringify({ i, pad: 'x'.repeat(i * 100) })) })
  await Promise.all(writes)
  t.same(JSON.parse(await readFile(file, 'utf8')).i, 99)
  t.same(await readdir(dir), ['data.json'])
})

t.test('writers to different files do not wait for each other and do not mix', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tt-atomic-'))
  await Promise.all(Array.from({ length: 20 }, async (_, i) => { await writeFileAtomic(join(dir, `f${i}.json`), JSON.stringify({ i })) }))
  for (let i = 0; i < 20; i++) t.equal(JSON.parse(await readFile(join(dir, `f${i}.json`), 'utf8')).i, i)
})

t.test('file mode', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tt-atomic-'))
  const file = join(dir, 'settings.json')
  await writeFileAtomic(file, '{}', { mode: 0o600 })
  t.equal((await stat(file)).mode & 0o777, 0o600)
  await writeFileAtomic(file, '{"a":1}', { mode: 0o600 })
  t.equal((await stat(file)).mode & 0o777, 0o600, 'still private after a rewrite')
})

t.test('a failed write rejects, leaves no temp file, and does not block the queue', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tt-atomic-'))
  await t.rejects(writeFileAtomic(join(dir, 'missing-dir', 'x.json'), '{}'), { code: 'ENOENT' })
  const target = join(dir, 'x.json')
  await writeFile(join(dir, 'blocker'), '')
  const failing = writeFileAtomic(join(dir, 'blocker', 'y.json'), '{}')
  const ok = writeFileAtomic(target, '{"ok":true}')
  await t.rejects(failing)
  await ok
  t.same(JSON.parse(await readFile(target, 'utf8')), { ok: true })
  t.same((await readdir(dir)).sort(), ['blocker', 'x.json'])
})

t.test('temp names', async (t) => {
  t.same(parseTempName('.flow_data.json.1234.0123456789ab.tmp'), { target: 'flow_data.json', pid: 1234 })
  t.equal(parseTempName('flow_data.json'), null)
  t.equal(parseTempName('.x.tmp'), null)
})

t.test('SIGKILL at random moments never leaves a damaged file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tt-atomic-kill-'))
  const script = join(dir, 'writer.mts')
  const modUrl = pathToFileURL(join(repo, 'src/store/atomic-write.ts')).href
  await writeFile(script, `
import { writeFileAtomic } from ${JSON.stringify(modUrl)}
const dir = process.argv[2]
process.stdout.write('ready\\n')
for (let i = 0; ; i++) {
  const doc = JSON.stringify({ schemaVersion: 1, i, pad: 'x'.repeat(20000 + (i % 13) * 15000) })
  await Promise.all(['a.json', 'b.json', 'c.json'].map((f) => writeFileAtomic(dir + '/data/' + f, doc)))
}
`)
  const data = join(dir, 'data')
  await import('node:fs/promises').then(async (fs) => { await fs.mkdir(data) })
  let seed = 12345
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  const rounds = 12
  let sawFiles = 0
  for (let round = 0; round < rounds; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => { resolve() })
      child.once('error', reject)
      child.once('exit', (code) => { reject(new Error(`writer exited early with ${String(code)}`)) })
    })
    await sleep(5 + Math.floor(rnd() * 80))
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    for (const name of await readdir(data)) {
      if (parseTempName(name) !== null) continue
      const doc = JSON.parse(await readFile(join(data, name), 'utf8'))
      if (doc.schemaVersion !== 1 || typeof doc.i !== 'number') t.fail(`bad content in ${name}`)
      sawFiles++
    }
  }
  t.ok(sawFiles > 0, `${sawFiles} files checked after ${rounds} kills, all parse`)
  const leftover = (await readdir(data)).filter((n) => parseTempName(n) !== null).length
  t.comment(`${leftover} temp files were left by kills mid-write`)
  await removeStrayTempFiles(data)
  t.same((await readdir(data)).filter((n) => parseTempName(n) !== null), [], 'leftover temp files of killed writers are cleaned')
})

t.test('removeStrayTempFiles keeps temp files of live writers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tt-atomic-'))
  const dead = spawnSync(process.execPath, ['-e', '0']).pid
  const mine = `.x.json.${process.pid}.0123456789ab.tmp`
  const theirs = `.x.json.${dead}.0123456789ab.tmp`
  await writeFile(join(dir, mine), '')
  await writeFile(join(dir, theirs), '')
  await writeFile(join(dir, 'keep.json'), '{}')
  t.equal(await removeStrayTempFiles(dir), 1)
  t.same((await readdir(dir)).sort(), [mine, 'keep.json'].sort())
  t.equal(await removeStrayTempFiles(join(dir, 'nope')), 0, 'missing folder is fine')
})
