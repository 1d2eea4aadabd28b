// Every fixture log opens through openEventLog and yields exactly the lines INDEX.md promises;
// folder layouts are assembled in the right order.
import { mkdtemp, mkdir, writeFile, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { openEventLog } from '../../src/spark/read/index.js'
import type { EventLogSource } from '../../src/spark/read/index.js'
import { EVENTLOGS } from '../helper-fixtures.js'

const fixtures = EVENTLOGS

interface IndexRow {
  path: string
  lines: number
  sizeBytes: number
}

/** Rows of INDEX.md's fixture table, by column header so a reordered table still parses. */
async function readIndex (): Promise<IndexRow[]> {
  const text = await readFile(join(fixtures, 'INDEX.md'), 'utf8')
  const rows = text.split('\n').filter((l) => l.startsWith('|'))
  const header = rows[0]!.split('|').map((c) => c.trim())
  const col = (name: string) => header.findIndex((h) => h.startsWith(name))
  const pathCol = col('Path')
  const linesCol = col('Lines')
  const sizeCol = col('Size bytes')
  return rows
    .map((r) => r.split('|').map((c) => c.trim()))
    .filter((cells) => cells[pathCol]?.startsWith('`'))
    .map((cells) => ({
      path: cells[pathCol]!.replace(/`/g, ''),
      lines: Number(cells[linesCol]!.replace(/,/g, '')),
      sizeBytes: Number(cells[sizeCol]!.split(' ')[0]!.replace(/,/g, '')),
    }))
}

/** Reads a whole source, counting lines (newlines, plus the last part's unterminated last line if any). */
async function drain (src: EventLogSource, keep = false): Promise<{ lines: number; bytes: number; text: string }> {
  let lines = 0
  let bytes = 0
  const kept: Buffer[] = []
  let last = 10
  for await (const { data } of src.chunks()) {
    bytes += data.length
    for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) lines++
    if (data.length > 0) last = data[data.length - 1]!
    if (keep) kept.push(data)
  }
  if (last !== 10) lines++
  return { lines, bytes, text: Buffer.concat(kept).toString('utf8') }
}

t.test('every fixture in INDEX.md yields its line count', async (t) => {
  const rows = await readIndex()
  t.ok(rows.length >= 75, `INDEX lists ${rows.length} fixtures`)
  for (const row of rows) {
    const path = join(fixtures, row.path)
    if (row.sizeBytes === 0) {
      await t.rejects(openEventLog(path), /empty/, `${row.path}: 0-byte file is refused clearly`)
      continue
    }
    const src = await openEventLog(path)
    const { lines } = await drain(src)
    t.equal(lines, row.lines, `${row.path}: ${row.lines} lines`)
    t.same(src.damage, [], `${row.path}: no damage`)
  }
})

t.test('codec and layout are recognised for the fixture shapes', async (t) => {
  const q = join(fixtures, 'spark-rapids-tools/spark-events-qualification')
  const rolling = await openEventLog(join(q, 'eventlog_v2_local-1623876083964'))
  t.equal(rolling.layout, 'spark-rolling')
  t.same(rolling.parts.map((p) => [p.name, p.codec]), [
    ['events_1_local-1623876083964.zstd', 'zstd'],
    ['events_2_local-1623876083964.zstd', 'zstd'],
  ])
  const rollingText = await drain(rolling)
  t.equal(rollingText.lines, 5370 + 251)

  const dbx = await openEventLog(join(q, 'db_sim_eventlog'))
  t.equal(dbx.layout, 'databricks')
  t.same(dbx.parts.map((p) => [p.name, p.codec]), [
    ['eventlog-2021-06-15--15-00.gz', 'gzip'],
    ['eventlog', 'none'],
  ])
  const dbxText = await drain(dbx)
  // Same app as the rolling fixture: identical decompressed content.
  t.equal(dbxText.bytes, rollingText.bytes)
  t.equal(dbxText.lines, 5621)

  const zip = await openEventLog(join(fixtures, 'sparklint/eventLogs-application_1489705648216_1600.zip'))
  t.equal(zip.layout, 'file')
  t.equal(zip.parts[0]!.container, 'zip')
  t.equal(zip.parts[0]!.name, 'application_1489705648216_1600')
  const zipText = await drain(zip, true)
  t.equal(zipText.bytes, 177329)
  t.match(zipText.text, /^\{"Event":"SparkListenerLogStart","Spark Version":"1\.6\.1"\}\n/)

  const compass = await openEventLog(join(fixtures, 'compass'))
  t.equal(compass.layout, 'folder')
  t.equal(compass.parts.length, 1)

  const noNewline = await drain(await openEventLog(join(fixtures, 'spark/local-1430917381535_1')), true)
  t.equal(noNewline.bytes, 5223, 'the unterminated last line of the last part is passed on as it is')
  t.ok(noNewline.text.endsWith('}'))

  await t.rejects(openEventLog(join(q, 'multiple_attempts')), /holds 4 entries/)
})

t.test('folder layouts built in a temp dir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tri-read-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const line = (n: number) => `{"Event":"E","n":${n}}\n`

  // Rolling: numeric order (10 after 2), mixed codecs, appstatus ignored, an unterminated earlier part gets a newline.
  const roll = join(dir, 'eventlog_v2_app-1')
  await mkdir(roll)
  await writeFile(join(roll, 'events_10_app-1'), line(10))
  await writeFile(join(roll, 'events_2_app-1.gz'), gzipSync(line(2)))
  await writeFile(join(roll, 'events_1_app-1'), line(1).trimEnd())
  await writeFile(join(roll, 'appstatus_app-1.inprogress'), '')
  const r = await openEventLog(roll)
  t.equal(r.layout, 'spark-rolling')
  t.same(r.parts.map((p) => p.name), ['events_1_app-1', 'events_2_app-1.gz', 'events_10_app-1'])
  t.equal((await drain(r, true)).text, line(1) + line(2) + line(10))
  t.match(r.damage.find((d) => d.part === 'events_10_app-1'), { message: /missing part\(s\) 3\.\.9/ }, 'gap in indices is reported')
  t.match(r.damage.find((d) => d.part === 'events_1_app-1'), { partIndex: 0, message: /part ends inside a line/ }, 'an earlier part cut inside a line is damage')
  t.equal(r.damage.length, 2)

  // Compact file: everything before it is dropped, as Spark's reader does.
  const compact = join(dir, 'eventlog_v2_app-2')
  await mkdir(compact)
  await writeFile(join(compact, 'events_1_app-2'), line(1))
  await writeFile(join(compact, 'events_2_app-2.compact'), line(2))
  await writeFile(join(compact, 'events_3_app-2'), line(3))
  const c = await openEventLog(compact)
  t.same(c.parts.map((p) => p.name), ['events_2_app-2.compact', 'events_3_app-2'])

  // Databricks: rolled parts oldest first by the stamp in the name, current `eventlog` last.
  const dbx = join(dir, 'dbx')
  await mkdir(dbx)
  await writeFile(join(dbx, 'eventlog'), line(3))
  await writeFile(join(dbx, 'eventlog-2024-01-02--00-00.gz'), gzipSync(line(2)))
  await writeFile(join(dbx, 'eventlog-2023-12-31--23-59.gz'), Buffer.concat([gzipSync(line(0)), gzipSync(line(1))]))
  const d = await openEventLog(dbx)
  t.equal(d.layout, 'databricks')
  t.same(d.parts.map((p) => p.name), ['eventlog-2023-12-31--23-59.gz', 'eventlog-2024-01-02--00-00.gz', 'eventlog'])
  t.equal((await drain(d, true)).text, line(0) + line(1) + line(2) + line(3), 'multi-member gzip fully read')
  t.same(d.damage, [])

  // A wrapper folder with one log folder inside takes the inner layout.
  const wrap = join(dir, 'wrap')
  await mkdir(join(wrap, 'inner'), { recursive: true })
  await writeFile(join(wrap, 'inner', 'events_1_x.gz'), gzipSync(line(7)))
  const w = await openEventLog(wrap)
  t.equal(w.layout, 'spark-rolling')
  t.equal((await drain(w, true)).text, line(7))

  // Unknown suffix is sniffed.
  const sniff = join(dir, 'mystery.bin')
  await writeFile(sniff, gzipSync(line(9)))
  const s = await openEventLog(sniff)
  t.equal(s.parts[0]!.codec, 'gzip')
  t.equal((await drain(s, true)).text, line(9))

  // .inprogress is stripped before the suffix is read.
  const inprog = join(dir, 'app-3.gz.inprogress')
  await writeFile(inprog, gzipSync(line(4)))
  t.equal((await openEventLog(inprog)).parts[0]!.codec, 'gzip')

  // Reading twice gives the same bytes and does not pile up damage.
  const again = await drain(r, true)
  t.equal(again.text, line(1) + line(2) + line(10))
  t.equal(r.damage.length, 2)
})

t.test('unreadable inputs reject with the path and the reason', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tri-read-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const missing = join(dir, 'nope')
  await t.rejects(openEventLog(missing), { message: `Cannot open event log ${missing}: no such file or directory` })
  const empty = join(dir, 'empty')
  await mkdir(empty)
  await t.rejects(openEventLog(empty), { message: `Cannot open event log ${empty}: folder holds no event log` })
  const onlyStatus = join(dir, 'eventlog_v2_a')
  await mkdir(onlyStatus)
  await writeFile(join(onlyStatus, 'appstatus_a'), '')
  await t.rejects(openEventLog(onlyStatus), /eventlog_v2_a: folder holds only an appstatus_ marker/)
  const zero = join(dir, 'zero.zstd')
  await writeFile(zero, '')
  await t.rejects(openEventLog(zero), /zero\.zstd: file is empty/)
})
