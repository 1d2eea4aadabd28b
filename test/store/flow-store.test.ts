import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFlowStore } from '../../src/store/flow-store.js'
import { encodeFlowDirName } from '../../src/store/flow-dir-name.js'
import {
  CorruptFileError, FlowNotFoundError, InvalidDataError, InvalidFlowNameError, InvalidSegmentError, PathEscapeError, UnsupportedSchemaError
} from '../../src/store/errors.js'
import type { FlowData, Run } from '../../src/shared/flow-types.js'
import { makeRun } from '../helper-runs.js'

/** A data dir inside an outer folder, so tests can prove nothing is created or deleted next to it. */
async function setup (): Promise<{ outer: string, dataDir: string }> {
  const outer = await mkdtemp(join(tmpdir(), 'tt-store-'))
  const dataDir = join(outer, 'flows')
  await mkdir(dataDir)
  await writeFile(join(outer, 'precious.txt'), 'do not delete')
  return { outer, dataDir }
}

function run (jobGroupId: number): Run {
  return makeRun({ platform: 'aac', jobGroupId, submittedAt: new Date(Date.UTC(2024, 0, 1, 0, jobGroupId)).toISOString(), flowName: 'f', link: `https://x.test/jobs/${jobGroupId}` })
}

const label = (v: string): string => JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

const hostileNames = [
  '..', '.', '...', 'a/b', 'a\\b', '%2e%2e', '%2E%2E', '../../outside', 'con', 'Sales', 'sales', 'SALES', ' spaced ',
  '-rf', '日本語', '🚀 rocket', 'é', 'e\u0301', '🎉'.repeat(200), 'x'.repeat(200), '.hidden', '~tilde', 'a^b'
]

t.test('hostile names: each is its own flow, one folder inside dataDir, nothing outside', async (t) => {
  const { outer, dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  for (const name of hostileNames) {
    const f = await store.addFlow(name)
    t.equal(f.name, name, `added ${label(name)}`)
  }
  const listed = await store.listFlows()
  t.same([...listed].sort(), [...hostileNames].sort(), 'every name listed once')
  t.same((await readdir(outer)).sort(), ['flows', 'precious.txt'], 'nothing created next to dataDir')
  const folders = await readdir(dataDir)
  t.equal(folders.length, hostileNames.length, 'one folder per flow')
  t.same(new Set(folders.map((f) => f.toLowerCase())).size, folders.length, 'no two folders differ only by case')
  for (const name of hostileNames) t.equal((await store.readFlow(name))?.name, name, `reads back ${label(name)}`)

  const again = createFlowStore({ dataDir })
  t.same(await again.listFlows(), listed, 'a new store instance (restart) restores the same flows')
})

t.test('names that cannot be flows', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  for (const name of ['', '   ', 'a\0b', 'line\nbreak', 'x'.repeat(1000), '\uD800']) {
    await t.rejects(store.addFlow(name), InvalidFlowNameError, label(name))
    t.equal(await store.readFlow(name), null, `read ${label(name)} is null`)
    t.equal(await store.removeFlow(name), false, `remove ${label(name)} is false`)
  }
  await t.rejects(store.updateFlow('a\0', (d) => d), InvalidFlowNameError)
  t.same(await readdir(dataDir), [])
})

t.test('addFlow is idempotent; readFlow of an unknown flow is null', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  const a = await store.addFlow('Daily Sales')
  const [b, c] = await Promise.all([store.addFlow('Daily Sales'), store.addFlow('Daily Sales')])
  t.same(b, a)
  t.same(c, a)
  t.equal(a.schemaVersion, 1)
  t.same(a.runs, [])
  t.equal(await store.readFlow('Nope'), null)
  t.same(await store.listFlows(), ['Daily Sales'])
})

t.test('listing is sorted by name, ignores dot-files and foreign folders', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  for (const n of ['beta', 'Alpha', 'flow 10', 'flow 9', 'alpha']) await store.addFlow(n)
  await writeFile(join(dataDir, '.gitkeep'), '')
  await mkdir(join(dataDir, 'Legacy Folder'))
  await mkdir(join(dataDir, '.cache'))
  t.same(await store.listFlows(), ['Alpha', 'alpha', 'beta', 'flow 9', 'flow 10'], 'case-insensitive, numeric, then code points')
})

t.test('updateFlow serialises read-modify-write per flow', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  await store.addFlow('busy')
  await store.addFlow('other')
  await Promise.all([
    ...Array.from({ length: 50 }, async (_, i) => await store.updateFlow('busy', (d) => ({ ...d, runs: [...d.runs, run(i)] }))),
    ...Array.from({ length: 10 }, async (_, i) => await store.updateFlow('other', (d) => ({ ...d, runs: [...d.runs, run(i)] })))
  ])
  t.equal((await store.readFlow('busy'))?.runs.length, 50, 'no lost update')
  t.equal((await store.readFlow('other'))?.runs.length, 10)
  await t.rejects(store.updateFlow('missing', (d) => d), FlowNotFoundError)
  t.equal(await store.readFlow('missing'), null, 'update does not create')
  await t.rejects(store.updateFlow('busy', (d) => ({ ...d, name: 'renamed' })), InvalidDataError)
  await t.rejects(store.updateFlow('busy', (d) => ({ ...d, runs: [{ bad: true }] }) as unknown as FlowData), InvalidDataError)
  await t.rejects(store.updateFlow('busy', () => { throw new Error('boom') }), { message: 'boom' })
  t.equal((await store.readFlow('busy'))?.runs.length, 50, 'a failed update changes nothing')
  await store.updateFlow('busy', (d) => ({ ...d, runs: [] }))
  t.equal((await store.readFlow('busy'))?.runs.length, 0, 'the lock is released after failures')
})

t.test('writeFlow and restart keep everything', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  const data: FlowData = {
    schemaVersion: 1,
    name: 'Ünïcödé ✨',
    addedAt: '2024-01-01T00:00:00.000Z',
    runs: [run(2), run(1)],
    pairs: [{ aacJobGroupId: 2, onpremJobGroupId: 9, diffMs: 1000 }],
    lastCollect: { at: '2024-01-02T00:00:00.000Z', aac: { ok: true, fetched: 2, error: null }, onprem: { ok: false, fetched: 0, error: 'HTTP 503', skipped: false } }
  }
  await store.writeFlow(data)
  await store.writeDbx(data.name, '123456789012345678', { run: { state: 'TERMINATED' } })
  const restarted = createFlowStore({ dataDir })
  t.same(await restarted.readFlow(data.name), data)
  t.same((await restarted.readDbx(data.name, '123456789012345678'))?.data, { run: { state: 'TERMINATED' } })
  const [summary] = await restarted.listFlowSummaries()
  t.match(summary, { name: data.name, runCount: 2, pairCount: 1, lastCollectAt: '2024-01-02T00:00:00.000Z', error: null })
  await t.rejects(store.writeFlow({ ...data, runs: 'nope' } as unknown as FlowData), InvalidDataError)
  await t.rejects(store.writeFlow({ ...data, name: '' }), InvalidFlowNameError)
})

t.test('damaged files are reported clearly and never break listing', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  for (const n of ['good', 'truncated', 'empty', 'wrong shape', 'future', 'no version', 'misplaced']) await store.addFlow(n)
  const file = (n: string): string => join(dataDir, encodeFlowDirName(n), 'flow_data.json')
  const full = await readFile(file('truncated'), 'utf8')
  await writeFile(file('truncated'), full.slice(0, full.length / 2))
  await writeFile(file('empty'), '')
  await writeFile(file('wrong shape'), JSON.stringify({ schemaVersion: 1, name: 'wrong shape', addedAt: 'x', runs: [{ ...run(1), jobGroupId: 'one' }], pairs: [], lastCollect: null }))
  const future = JSON.stringify({ schemaVersion: 2, name: 'future', shiny: true })
  await writeFile(file('future'), future)
  await writeFile(file('no version'), JSON.stringify({ name: 'no version' }))
  await writeFile(file('misplaced'), JSON.stringify({ ...(await store.readFlow('good')), name: 'good' }))

  const summaries = await store.listFlowSummaries()
  t.equal(summaries.length, 7)
  const err = (n: string): string | null | undefined => summaries.find((s) => s.name === n)?.error
  t.equal(err('good'), null)
  t.match(err('truncated'), /not valid JSON.*cut short/)
  t.match(err('empty'), /empty/)
  t.match(err('wrong shape'), /\/runs\/0\/jobGroupId/)
  t.match(err('future'), /schemaVersion 2.*upgrade/)
  t.match(err('no version'), /schemaVersion is missing/)
  t.match(err('misplaced'), /does not belong in this folder/)
  t.same(await store.listFlows(), summaries.map((s) => s.name), 'damaged flows stay listed so they can be seen and removed')

  await t.rejects(store.readFlow('truncated'), CorruptFileError)
  await t.rejects(store.readFlow('future'), UnsupportedSchemaError)
  await t.rejects(store.addFlow('empty'), CorruptFileError, 'addFlow never overwrites damaged data')
  await t.rejects(store.updateFlow('future', (d) => d), UnsupportedSchemaError)
  t.equal(await readFile(file('future'), 'utf8'), future, 'a newer file is left untouched')
  t.equal(await store.removeFlow('truncated'), true, 'a damaged flow can still be removed')
})

t.test('removeFlow removes only that flow folder and cannot escape dataDir', async (t) => {
  const { outer, dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  for (const n of ['..', '.', '%2e%2e', 'keep me', '../../outside', 'x'.repeat(200)]) await store.addFlow(n)
  await store.writeDbx('keep me', 1, { a: 1 })
  t.equal(await store.removeFlow('..'), true)
  t.equal(await store.removeFlow('.'), true)
  t.equal(await store.removeFlow('%2e%2e'), true)
  t.equal(await store.removeFlow('../../outside'), true)
  t.equal(await store.removeFlow('x'.repeat(200)), true, 'long (hashed) name')
  t.equal(await store.removeFlow('..'), false, 'already gone')
  t.equal(await store.removeFlow('never existed'), false)
  t.same(await store.listFlows(), ['keep me'])
  t.same((await readdir(outer)).sort(), ['flows', 'precious.txt'])
  t.same((await store.readDbx('keep me', 1))?.data, { a: 1 }, "other flows' files untouched")

  // a planted symlink in place of a flow folder: only the link goes
  const victim = join(outer, 'victim')
  await mkdir(victim)
  await writeFile(join(victim, 'file.txt'), 'x')
  await symlink(victim, join(dataDir, encodeFlowDirName('linked')))
  t.equal(await store.removeFlow('linked'), true)
  t.equal(await readFile(join(victim, 'file.txt'), 'utf8'), 'x', 'the symlink target survives')
})

t.test('dbx cache and event log folders', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  await t.rejects(store.writeDbx('ghost', 1, {}), FlowNotFoundError, 'no cache for a flow that does not exist')
  t.same(await readdir(dataDir), [], 'and no folder resurrected')
  await store.addFlow('f')
  t.equal(await store.readDbx('f', 5), null)
  const entry = await store.writeDbx('f', 5, { cluster: { id: 'c' } })
  t.match(entry.cachedAt, /^\d{4}-\d\d-\d\dT/)
  t.same(await store.readDbx('f', '5'), entry)
  t.equal(store.dbxCachePath('f', 5), join(dataDir, 'f', 'dbx', '5.json'))
  for (const bad of ['../x', '..', '5/6', '', '05', 'abc']) {
    t.throws(() => store.dbxCachePath('f', bad), InvalidSegmentError, label(bad))
    t.throws(() => store.eventLogs('f', bad), InvalidSegmentError, label(bad))
  }
  const logDir = (await store.createEventLogs('f', '98765432109876543210')).dir
  t.equal(logDir, join(dataDir, 'f', 'eventlogs', '98765432109876543210'))
  t.ok((await stat(logDir)).isDirectory())
  await t.rejects(store.createEventLogs('ghost', 1), FlowNotFoundError)

  await store.writeJsonAtomic(join(logDir, 'analysis.json'), { schemaVersion: 3, jobs: [] })
  t.same(await store.readJson(join(logDir, 'analysis.json'), { schemaVersion: 3 }), { schemaVersion: 3, jobs: [] })
  await t.rejects(store.readJson(join(logDir, 'analysis.json'), { schemaVersion: 2 }), UnsupportedSchemaError)
  t.same(
    await store.readJson(join(logDir, 'analysis.json'), { schemaVersion: 4, migrate: (d) => ({ ...d, schemaVersion: 4, migrated: true }) }),
    { schemaVersion: 4, jobs: [], migrated: true }
  )
  await t.rejects(store.writeJsonAtomic(join(logDir, 'x.json'), { noVersion: true }), InvalidDataError)
  await t.rejects(store.writeJsonAtomic(join(dataDir, '..', 'evil.json'), { schemaVersion: 1 }), PathEscapeError)
  await t.rejects(store.readJson('/etc/passwd', { schemaVersion: 1 }), PathEscapeError)
  await t.rejects(store.readJson(dataDir, { schemaVersion: 1 }), PathEscapeError, 'dataDir itself is not a file of ours')
})

t.test('the dbx cache is read once while its file stays the same, and a changed file is picked up', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  await store.addFlow('f')
  const written = await store.writeDbx('f', 7, { run: { state: 'RUNNING' } })
  const first = await store.readDbx('f', 7)
  t.same(first, written)
  t.equal(await store.readDbx('f', 7), first, 'a second read hands back the same parsed entry (no re-read)')

  // another process (or a hand edit) replaces the file: a different size
  const file = store.dbxCachePath('f', 7)
  await writeFile(file, JSON.stringify({ schemaVersion: 1, cachedAt: '2026-01-02T03:04:05.000Z', data: { run: { state: 'TERMINATED' } } }))
  t.same((await store.readDbx('f', 7))?.data, { run: { state: 'TERMINATED' } }, 'the changed file is read again')

  // the same size, only the modification time differs
  const sameSize = JSON.stringify({ schemaVersion: 1, cachedAt: '2026-01-02T03:04:05.000Z', data: { run: { state: 'TERMINATEX' } } })
  await writeFile(file, sameSize)
  await utimes(file, new Date(), new Date(Date.now() + 5000))
  t.same((await store.readDbx('f', 7))?.data, { run: { state: 'TERMINATEX' } }, 'a same-size change with a new mtime is read again')

  // through the store: the write replaces the file (new inode), the next read sees it
  await store.writeDbx('f', 7, { run: { state: 'SKIPPED' } })
  t.same((await store.readDbx('f', 7))?.data, { run: { state: 'SKIPPED' } })

  await writeFile(file, '{ cut')
  await t.rejects(store.readDbx('f', 7), CorruptFileError, 'a damaged file is an error, not the copy read before')
  await rm(file)
  t.equal(await store.readDbx('f', 7), null, 'a removed file is gone, not served from memory')
})

t.test('stray temp files from a killed writer are ignored and cleaned', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  await store.addFlow('f')
  await store.writeDbx('f', 1, {})
  const dead = spawnSync(process.execPath, ['-e', '0']).pid
  const strays = [
    join(dataDir, 'f', `.flow_data.json.${dead}.0123456789ab.tmp`),
    join(dataDir, 'f', 'dbx', `.1.json.${dead}.0123456789ab.tmp`)
  ]
  for (const s of strays) await writeFile(s, '{"half')
  const fresh = createFlowStore({ dataDir })
  t.same(await fresh.listFlows(), ['f'])
  t.same(await readdir(join(dataDir, 'f')), ['dbx', 'flow_data.json'])
  t.same(await readdir(join(dataDir, 'f', 'dbx')), ['1.json'])
})

t.test('listing a data dir that does not exist yet', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir: join(dataDir, 'not-yet') })
  t.same(await store.listFlows(), [])
  await store.addFlow('first')
  t.same(await store.listFlows(), ['first'], 'created on first write')
})

t.test('summaries are cached but follow changes on disk', async (t) => {
  const { dataDir } = await setup()
  const store = createFlowStore({ dataDir })
  await store.addFlow('f')
  t.equal((await store.listFlowSummaries())[0]?.runCount, 0)
  await store.updateFlow('f', (d) => ({ ...d, runs: [run(1)] }))
  t.equal((await store.listFlowSummaries())[0]?.runCount, 1)
  const other = createFlowStore({ dataDir })
  await other.updateFlow('f', (d) => ({ ...d, runs: [run(1), run(2)] }))
  t.equal((await store.listFlowSummaries())[0]?.runCount, 2, 'a write by another instance is seen')
})

t.test('a new manifest replaces the log: the parts it no longer names are removed, after it is written', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tri-store-manifest-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const store = createFlowStore({ dataDir })
  await store.addFlow('f')
  const files = await store.createEventLogs('f', 42)
  const manifest = (names: string[]) => ({
    schemaVersion: 1 as const,
    source: { destination: 'dbfs:/logs', folder: null, clusterId: null, sparkContextId: null },
    parts: names.map((name) => ({ name, dbfsPath: `dbfs:/logs/${name}`, size: 1, modificationTime: 0 })),
    totalBytes: names.length,
    completedAt: new Date().toISOString()
  })
  for (const n of ['uploaded-eventlog.gz', 'eventlog', 'eventlog-2026-12-03--10-00.gz', 'analysis.json']) await writeFile(join(files.dir, n), 'x')
  await files.writeManifest(manifest(['uploaded-eventlog.gz']))
  // a download replacing an uploaded file: the upload's bytes go, the new parts and other files stay
  await files.writeManifest(manifest(['eventlog-2026-12-03--10-00.gz', 'eventlog']))
  t.same((await readdir(files.dir)).sort(), ['analysis.json', 'eventlog', 'eventlog-2026-12-03--10-00.gz', 'manifest.json'])
  // the same parts again (a resumed download completing): nothing removed
  await files.writeManifest(manifest(['eventlog', 'eventlog-2026-12-03--10-00.gz']))
  t.same((await readdir(files.dir)).sort(), ['analysis.json', 'eventlog', 'eventlog-2026-12-03--10-00.gz', 'manifest.json'])
})
