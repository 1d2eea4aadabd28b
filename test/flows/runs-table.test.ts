import t from 'tap'
import { buildRunRows } from '../../src/flows/runs-table.js'
import { duration, dateTime, bytes, percent } from '../../src/shared/format.js'
import type { FlowData, Run } from '../../src/shared/flow-types.js'
import { makeRun } from '../helper-runs.js'

function run (platform: 'aac' | 'onprem', id: number, at: string, runMs: number | null, queueMs: number | null): Run {
  return makeRun({ platform, jobGroupId: id, submittedAt: at, runMs, queueMs, flowName: 'f', link: '' })
}

t.test('pairs and unpaired runs, newest first, with verdicts', async (t) => {
  const flow: FlowData = {
    schemaVersion: 1,
    name: 'f',
    addedAt: '2026-01-01T00:00:00Z',
    runs: [
      run('aac', 3, '2026-01-03T10:00:00.000Z', 200_000, 10_000),
      run('onprem', 30, '2026-01-03T10:02:00.000Z', 100_000, 0),
      run('aac', 2, '2026-01-02T10:00:00.000Z', 95_000, 5_000),
      run('onprem', 20, '2026-01-02T10:01:00.000Z', 100_000, null),
      run('aac', 1, '2026-01-01T10:00:00.000Z', 10_000, 0)
    ],
    pairs: [
      { aacJobGroupId: 2, onpremJobGroupId: 20, diffMs: 60_000 },
      { aacJobGroupId: 3, onpremJobGroupId: 30, diffMs: 120_000 }
    ],
    lastCollect: null
  }
  const rows = buildRunRows(flow)
  t.same(rows.map((r) => [r.aac?.jobGroupId ?? null, r.onprem?.jobGroupId ?? null]), [[3, 30], [2, 20], [1, null]])
  t.equal(rows[0]!.run?.verdict, 'slower')
  t.equal(rows[0]!.run?.ms, 100_000)
  t.equal(rows[0]!.run?.ratio, 1)
  t.equal(rows[0]!.total?.ms, 110_000)
  t.equal(rows[1]!.run, null, 'no run delta when on-prem reports no start times')
  t.equal(rows[1]!.total?.verdict, 'same', '100 s vs 100 s')
  t.equal(rows[2]!.total, null)
})

t.test('formatting', async (t) => {
  t.equal(duration(null), '–')
  t.equal(duration(850), '850 ms')
  t.equal(duration(65_000), '1m 05s')
  t.equal(duration(3_720_000), '1h 02m')
  t.equal(duration(-5_000), '-5.0s')
  t.equal(duration(4_240), '4.2s', 'a tenth of a second below 10 s')
  t.equal(duration(12_400), '12s')
  t.equal(dateTime('2026-11-20T08:05:59.000Z'), '2026-11-20 08:05 UTC')
  t.equal(dateTime('garbage'), '–')
  t.equal(bytes(1536), '1.5 KiB')
  t.equal(bytes(200 * 1024 * 1024), '200 MiB')
  t.equal(percent(0.1234), '12.3%')
})
