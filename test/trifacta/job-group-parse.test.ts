import t from 'tap'
import { parseCpJobId, parseSparkAppId, parseJobGroup } from '../../src/trifacta/job-group-parse.js'

const row = {
  id: 4087561,
  status: 'Complete',
  ranfrom: 'schedule',
  ranfor: 'recipe',
  createdAt: '2026-07-07T23:25:27.000Z',
  updatedAt: '2026-07-07T23:40:34.000Z',
  flowRun: { id: 12 },
  wrangledDataset: { id: 88, name: 'Sales clean', flow: { id: 123, name: 'Sales Daily' } },
  jobs: {
    data: [
      { id: 900002, jobType: 'filewriter', status: 'Complete', startedAt: '2026-07-07T23:38:00.000Z', finishedAt: '2026-07-07T23:40:00.000Z' },
      { id: 900001, jobType: 'wrangle', status: 'Complete', executionLanguage: 'databricksSpark', cpJobId: '{"databricksWorkspaceId":"123","databricksJobId":"943293893227722123"}', startedAt: '2026-07-07T23:27:27.000Z', finishedAt: '2026-07-07T23:38:00.000Z' }
    ]
  }
}

t.test('a jobLibrary row becomes a Run', async (t) => {
  const r = parseJobGroup(row, 'aac', 'https://eu1.alteryxcloud.com')
  t.ok(r)
  t.same(r, {
    platform: 'aac',
    jobGroupId: 4087561,
    status: 'Complete',
    ranfor: 'recipe',
    ranfrom: 'schedule',
    flowId: 123,
    flowName: 'Sales Daily',
    outputName: 'Sales clean',
    flowRunId: 12,
    submittedAt: '2026-07-07T23:25:27.000Z',
    startedAt: '2026-07-07T23:27:27.000Z',
    finishedAt: '2026-07-07T23:40:00.000Z',
    queueMs: 120_000,
    runMs: 12 * 60_000 + 33_000,
    executionLanguage: 'databricksSpark',
    databricksRunId: '943293893227722123',
    databricksWorkspaceId: '123',
    link: 'https://eu1.alteryxcloud.com/jobs/4087561',
    errorMessage: null
  })
})

t.test('without job times a terminal run ends at updatedAt', async (t) => {
  const r = parseJobGroup({ ...row, jobs: { data: [{ id: 1, jobType: 'wrangle', status: 'Complete', executionLanguage: 'spark' }] } }, 'onprem', 'http://x:3005')
  t.equal(r?.startedAt, null)
  t.equal(r?.queueMs, null)
  t.equal(r?.finishedAt, '2026-07-07T23:40:34.000Z')
  t.equal(r?.runMs, 15 * 60_000 + 7_000)
  t.equal(r?.databricksRunId, null)
})

t.test('a running job group has no finish', async (t) => {
  const r = parseJobGroup({ ...row, status: 'InProgress', jobs: { data: [{ id: 1, jobType: 'wrangle', status: 'InProgress', startedAt: '2026-07-07T23:26:27.000Z' }] } }, 'aac', 'h')
  t.equal(r?.finishedAt, null)
  t.equal(r?.runMs, null)
  t.equal(r?.queueMs, 60_000)
})

t.test('hostile and partial rows', async (t) => {
  t.equal(parseJobGroup(null, 'aac', 'h'), null)
  t.equal(parseJobGroup({ id: 'x', createdAt: 'now' }, 'aac', 'h'), null)
  t.equal(parseJobGroup({ id: 1 }, 'aac', 'h'), null, 'no createdAt')
  const r = parseJobGroup({ id: '17', createdAt: '2026-01-01T00:00:00Z', flowrun: { id: 3 }, jobs: [{ jobType: 'wrangle', cpJobId: 'not json' }] }, 'aac', 'h')
  t.equal(r?.jobGroupId, 17)
  t.equal(r?.flowRunId, 3, 'lowercase flowrun is read too')
  t.equal(r?.status, 'Unknown')
  t.equal(r?.flowName, '')
})

t.test('cpJobId variants', async (t) => {
  t.same(parseCpJobId('{"databricksJobId":12345}'), { runId: '12345', workspaceId: null })
  t.same(parseCpJobId({ databricksJobId: '99', databricksWorkspaceId: 7 }), { runId: '99', workspaceId: '7' })
  t.same(parseCpJobId('{"databricksJobId":"../etc"}'), { runId: null, workspaceId: null }, 'non-numeric ids never reach a URL or a path')
  t.same(parseCpJobId(null), { runId: null, workspaceId: null })
  t.same(parseCpJobId('{bad'), { runId: null, workspaceId: null })
})

t.test('the Spark application id of an on-prem wrangle job', async (t) => {
  const cases: Array<[unknown, string | null]> = [
    ['application_1764000000000_0042', 'application_1764000000000_0042'],
    ['{"sparkApplicationId":"app-20261203065206-0007"}', 'app-20261203065206-0007'],
    [{ applicationId: 'local-1430917381534' }, 'local-1430917381534'],
    ['application_1/../../etc', null],
    ['{"databricksJobId":"99"}', null],
    ['{not json', null],
    [null, null],
    [42, null]
  ]
  for (const [cp, want] of cases) t.equal(parseSparkAppId(cp), want, JSON.stringify(cp))
  const row = { id: 7, createdAt: '2026-01-01T00:00:00Z', status: 'Complete', jobs: [{ jobType: 'wrangle', cpJobId: 'application_1764000000000_0042' }] }
  t.equal(parseJobGroup(row, 'onprem', 'h')?.sparkAppId, 'application_1764000000000_0042')
  t.equal(parseJobGroup(row, 'aac', 'h')?.sparkAppId, undefined, 'AAC runs carry a Databricks run instead')
})
