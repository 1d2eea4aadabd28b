// The readers seen through analyseEventLog on real fixture logs: where a log was cut, and what a cut is reported as.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { analyseEventLog } from '../../src/spark/analyse.js'
import { EVENTLOGS } from '../helper-fixtures.js'

const LOG = join(EVENTLOGS, 'spark/local-1642039451826')

/** The log cut inside a line, about `share` of the way in (never right after a newline). */
async function cutLog (share: number): Promise<{ text: Buffer; cut: Buffer; linesBefore: number }> {
  const text = await readFile(LOG)
  let at = Math.floor(text.length * share)
  while (text[at - 1] === 10 || text[at] === 10) at++
  const cut = text.subarray(0, at)
  return { text, cut, linesBefore: cut.toString().split('\n').length - 1 }
}

t.test('a log cut inside its last line is reported as truncated', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tri-cut-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { cut, linesBefore } = await cutLog(0.6)

  const plain = join(dir, 'app-1')
  await writeFile(plain, cut)
  const a = await analyseEventLog(plain)
  t.equal(a.parse.truncated, true, 'plain file cut mid-line: truncated')
  t.equal(a.parse.badLines.count, 1, 'the cut line is the only bad line')
  t.equal(a.parse.badLines.first[0]!.line, linesBefore + 1, 'and it is the last line')
  t.same(a.parse.damage, [])

  const gz = join(dir, 'app-2.gz')
  await writeFile(gz, gzipSync(cut))
  const g = await analyseEventLog(gz)
  t.equal(g.parse.truncated, true, 'a whole .gz of a cut log: truncated')
  t.same(g.parse.damage, [])

  // The last line complete but without its newline is no cut.
  const whole = (await readFile(LOG)).toString().trimEnd()
  await writeFile(join(dir, 'app-3'), whole)
  const w = await analyseEventLog(join(dir, 'app-3'))
  t.equal(w.parse.truncated, false)
  t.equal(w.parse.badLines.count, 0)
})

t.test('an earlier part cut inside a line is damage and a bad line, not a truncated log', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tri-cut-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { text, cut } = await cutLog(0.5)
  const roll = join(dir, 'eventlog_v2_app-4')
  await mkdir(roll)
  await writeFile(join(roll, 'events_1_app-4'), cut)
  await writeFile(join(roll, 'events_2_app-4'), text.subarray(text.indexOf(10, cut.length) + 1))
  const a = await analyseEventLog(roll)
  t.equal(a.parse.truncated, false)
  t.equal(a.parse.badLines.count, 1)
  t.match(a.parse.damage, [{ part: 'events_1_app-4', message: /part ends inside a line/ }])
  t.equal(a.parse.partsRead, 2)
})
