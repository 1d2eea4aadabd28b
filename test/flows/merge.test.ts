import t from 'tap'
import { mergeRuns } from '../../src/flows/merge.js'
import type { Platform, Run } from '../../src/shared/flow-types.js'
import { makeRun } from '../helper-runs.js'

function run (platform: Platform, jobGroupId: number, submittedAt: string, extra: Partial<Run> = {}): Run {
  return makeRun({ platform, jobGroupId, submittedAt, status: 'InProgress', ...extra })
}
const keys = (runs: Run[]): string[] => runs.map((r) => `${r.platform}:${r.jobGroupId}`)

t.test('table', async (t) => {
  const d1 = '2024-03-01T10:00:00Z'
  const d2 = '2024-03-02T10:00:00Z'
  const d3 = '2024-03-03T10:00:00Z'
  const cases: Array<{ name: string, saved: Run[], fresh: Run[], want: string[] }> = [
    { name: 'both empty', saved: [], fresh: [], want: [] },
    { name: 'only saved', saved: [run('aac', 1, d1)], fresh: [], want: ['aac:1'] },
    { name: 'only fresh', saved: [], fresh: [run('onprem', 1, d1)], want: ['onprem:1'] },
    {
      name: 'newest first across both sources',
      saved: [run('aac', 1, d1), run('aac', 3, d3)],
      fresh: [run('aac', 2, d2)],
      want: ['aac:3', 'aac:2', 'aac:1']
    },
    { name: 'no duplicates', saved: [run('aac', 1, d1)], fresh: [run('aac', 1, d1), run('aac', 1, d1)], want: ['aac:1'] },
    {
      name: 'same id on different platforms are different runs',
      saved: [run('aac', 7, d1)],
      fresh: [run('onprem', 7, d1)],
      want: ['aac:7', 'onprem:7']
    },
    {
      name: 'equal times: AAC first, then higher id first',
      saved: [run('onprem', 5, d1), run('aac', 2, d1)],
      fresh: [run('aac', 9, d1)],
      want: ['aac:9', 'aac:2', 'onprem:5']
    },
    {
      name: 'unparseable times sort last',
      saved: [run('aac', 1, 'garbage')],
      fresh: [run('aac', 2, d1)],
      want: ['aac:2', 'aac:1']
    },
    {
      name: 'different offsets compare as instants',
      saved: [run('aac', 1, '2024-03-01T11:30:00+02:00')],
      fresh: [run('aac', 2, '2024-03-01T10:00:00Z')],
      want: ['aac:2', 'aac:1']
    }
  ]
  for (const c of cases) t.same(keys(mergeRuns(c.saved, c.fresh)), c.want, c.name)
})

t.test('fresh wins for upstream fields', async (t) => {
  const saved = [run('aac', 1, '2024-03-01T10:00:00Z', { status: 'InProgress', databricksRunId: '123' })]
  const fresh = [run('aac', 1, '2024-03-01T10:00:00Z', { status: 'Complete', runMs: 5000, databricksRunId: null })]
  const [m] = mergeRuns(saved, fresh)
  t.equal(m?.status, 'Complete')
  t.equal(m?.runMs, 5000)
  t.equal(m?.databricksRunId, null, 'an explicit null from upstream is the truth')
})

t.test('fields only the saved copy has survive', async (t) => {
  const saved = [{ ...run('aac', 1, '2024-03-01T10:00:00Z'), note: 'kept' } as Run]
  const fresh = [{ ...run('aac', 1, '2024-03-01T10:00:00Z'), errorMessage: undefined } as unknown as Run]
  const [m] = mergeRuns(saved, fresh)
  t.equal((m as unknown as { note: string }).note, 'kept')
  t.equal(m?.errorMessage, null, 'undefined does not erase')
})

t.test('deterministic and idempotent whatever the input order', async (t) => {
  const runs = Array.from({ length: 50 }, (_, i) => run(i % 2 === 0 ? 'aac' : 'onprem', i % 17, `2024-03-0${1 + (i % 5)}T10:00:00Z`))
  const a = mergeRuns(runs.slice(0, 25), runs.slice(25))
  const b = mergeRuns([...runs.slice(0, 25)].reverse(), [...runs.slice(25)].reverse())
  t.same(keys(a), keys(b))
  t.same(mergeRuns(a, runs.slice(25)), a, 'merging the same fresh runs again changes nothing')
  t.equal(new Set(keys(a)).size, a.length)
})

t.test('does not mutate its inputs', async (t) => {
  const saved = [run('aac', 1, '2024-03-01T10:00:00Z')]
  const fresh = [run('aac', 1, '2024-03-01T10:00:00Z', { status: 'Failed' })]
  mergeRuns(saved, fresh)
  t.equal(saved[0]?.status, 'InProgress')
})
