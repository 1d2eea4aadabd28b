// Every fixture log analyses without throwing; broken ones report their damage in `parse`. And what the analyses say
// about all of them is fingerprinted: a change of any flag, impact, advice or number must come with a new
// ANALYSER_VERSION (saved analyses made by the older analyser are then marked "older analysis").
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { analyseEventLog } from '../../src/spark/analyse.js'
import type { Analysis } from '../../src/spark/analysis-types.js'
import { ANALYSER_VERSION } from '../../src/spark/analyser-version.js'
import { FIXTURES, eventLogInputs } from '../helper-fixtures.js'

const LOGS = path.join(FIXTURES, 'eventlogs')

const all = eventLogInputs(LOGS)
const rel = (p: string): string => path.relative(LOGS, p)

t.test('fixture set is complete', async (t) => {
  // 77 logs in INDEX.md; the rolling and Databricks folders (2 + 3 files incl. the empty appstatus) count as one input each
  t.ok(all.length >= 73, `found ${all.length} inputs`)
})

/** What an analysis concludes, without what depends on where or when it ran or on how the parser got there. */
function conclusions (a: Analysis): unknown {
  const { generatedAt: _at, analyserVersion: _v, source, parse, ...rest } = a
  const { fastTaskLines: _f, slowTaskLines: _s, ...health } = parse
  return { ...rest, source: { layout: source.layout, parts: source.parts }, parse: health }
}
const digests = new Map<string, string>()

for (const p of all) {
  t.test(rel(p), async (t) => {
    const a = await analyseEventLog(p)
    t.equal(a.schemaVersion, 1)
    t.ok(a.parse.partsRead >= 0)
    t.ok(Number.isFinite(a.kpis.wallClockMs))
    digests.set(rel(p), createHash('sha256').update(JSON.stringify(conclusions(a))).digest('hex'))
  })
}

const FINGERPRINT = path.join(import.meta.dirname, 'analyser-fingerprint.json')
t.test('a change of what the analyses conclude comes with a new ANALYSER_VERSION', async (t) => {
  t.equal(digests.size, all.length)
  const sha256 = createHash('sha256').update(JSON.stringify([...digests].sort(([x], [y]) => x.localeCompare(y)))).digest('hex')
  const recorded = JSON.parse(readFileSync(FINGERPRINT, 'utf8')) as { analyserVersion: number, sha256: string }
  const how = 'raise ANALYSER_VERSION in src/spark/analyser-version.ts (say why in its comment), then record it: UPDATE_ANALYSER_FINGERPRINT=1 npx tap test/spark/fixtures-walk.test.ts'
  if (process.env.UPDATE_ANALYSER_FINGERPRINT === '1') {
    if (recorded.sha256 !== '' && sha256 !== recorded.sha256 && ANALYSER_VERSION === recorded.analyserVersion) t.fail(`the analyses changed but ANALYSER_VERSION is still ${ANALYSER_VERSION}: ${how}`)
    else writeFileSync(FINGERPRINT, JSON.stringify({ analyserVersion: ANALYSER_VERSION, sha256 }, null, 2) + '\n')
    return
  }
  t.equal(sha256, recorded.sha256, `what the analyses of the ${all.length} fixtures conclude changed: ${how}. (A change that should not alter any analysis is a bug.)`)
  t.equal(ANALYSER_VERSION, recorded.analyserVersion, `ANALYSER_VERSION changed: record it (${how.split(', then ')[1]})`)
})

t.test('damage is reported', async (t) => {
  const malformed = await analyseEventLog(path.join(LOGS, 'spark-rapids-tools/spark-events-profiling/malformed_json_eventlog.zstd'))
  t.equal(malformed.parse.badLines.count, 1)
  t.same(malformed.parse.badLines.first.map((b) => b.line), [4])
  t.equal(malformed.parse.truncated, false)

  const cut = await analyseEventLog(path.join(LOGS, 'spark-rapids-tools/spark-events-qualification/truncated_eventlog'))
  t.equal(cut.parse.incomplete, true)
  t.equal(cut.application.completed, false)
  t.equal(cut.application.endTimeSource, 'lastEvent')
  t.equal(cut.parse.badLines.count, 0)

  const noNewline = await analyseEventLog(path.join(LOGS, 'spark/local-1430917381535_1'))
  t.equal(noNewline.parse.badLines.count, 0, 'a valid last line without newline is fine')
  t.equal(noNewline.parse.lines, 5)

  const sqlEnd = await analyseEventLog(path.join(LOGS, 'spark-rapids-tools/spark-events-qualification/join_missing_sql_end'))
  t.equal(sqlEnd.sql.length, 1)
  t.equal(sqlEnd.sql[0]!.status, 'RUNNING')

  const rolling = await analyseEventLog(path.join(LOGS, 'spark-rapids-tools/spark-events-qualification/eventlog_v2_local-1623876083964'))
  t.equal(rolling.parse.partsRead, 2)
  t.equal(rolling.kpis.tasks, 2672 + 129)
  t.equal(rolling.application.completed, true)

  const dbx = await analyseEventLog(path.join(LOGS, 'spark-rapids-tools/spark-events-qualification/db_sim_eventlog'))
  t.equal(dbx.kpis.tasks, rolling.kpis.tasks, 'Databricks rotation of the same app gives the same tasks')
  t.same(dbx.stages.map((s) => s.executorRunTime), rolling.stages.map((s) => s.executorRunTime))
})

t.test('a log cut mid-line reports a truncated tail', async (t) => {
  const { analyseText } = await import('../../src/spark/analyse.js')
  const a = analyseText('{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}\n{"Event":"SparkListenerTaskEnd","Stage ID":0,"Task Info":{"Task ID":1')
  t.equal(a.parse.truncated, true)
  t.equal(a.parse.badLines.count, 1)
  t.same(a.parse.badLines.first, [{ part: 0, line: 2, reason: 'invalid JSON (SparkListenerTaskEnd)' }])
  t.equal(a.application.sparkVersion, '3.5.0')
})

t.test('hostile lines are counted, not thrown', async (t) => {
  const { analyseText } = await import('../../src/spark/analyse.js')
  const a = analyseText('x\n{}\n[1]\n{"Event":5}\n\n\r\n{"Event":"SparkListenerJobEnd","Job ID":\n{"Event":"com.vendor.Thing","a":1}\n')
  t.equal(a.parse.badLines.count, 5)
  t.same(a.parse.badLines.first.map((b) => b.line), [1, 2, 3, 4, 7])
  t.same(a.parse.unknownEvents.byType, { 'com.vendor.Thing': 1 })
  t.equal(a.parse.truncated, false)
})
