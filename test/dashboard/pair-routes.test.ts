import t from 'tap'
import { join } from 'node:path'
import { buildTestApp, type TestApp } from '../helper.js'
import { analyseEventLog } from '../../src/spark/analyse.js'
import { SAMPLE_DIR } from '../../src/simulator/sample-logs.js'
import { analysisKeyOf } from '../../src/flows/analysis-key.js'
import type { FlowData, Run } from '../../src/shared/flow-types.js'

const FLOW = 'Sales Daily'
const flowUrl = `/flows/${encodeURIComponent(FLOW)}`

/** Analyses a real sample log with the project's engine and saves it under the run's analysis key. */
async function saveAnalysis (ta: TestApp, run: Run, sample: string): Promise<void> {
  const key = analysisKeyOf(run)!
  await ta.services.store.createEventLogs(FLOW, key)
  await ta.services.store.analyses.write(FLOW, key, await analyseEventLog(join(SAMPLE_DIR, sample)))
}

async function collected (ta: TestApp): Promise<FlowData> {
  await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: FLOW } })
  const res = await ta.app.inject({ method: 'POST', url: `${flowUrl}/collect` })
  t.equal(res.statusCode, 303)
  return (await ta.services.store.readFlow(FLOW))!
}

t.test('AAC vs on-prem: decomposition on the table, run page, flow page; the pair page compares the analyses', async (t) => {
  const ta = await buildTestApp(t)
  const flow = await collected(ta)
  t.ok(flow.pairs.length >= 3, 'the demo flow has pairs')
  const run = (p: 'aac' | 'onprem', id: number): Run => flow.runs.find((r) => r.platform === p && r.jobGroupId === id)!
  const complete = flow.pairs.filter((p) => run('aac', p.aacJobGroupId).status === 'Complete' && run('onprem', p.onpremJobGroupId).status === 'Complete' && run('aac', p.aacJobGroupId).databricksRunId !== null)
  const pair = complete[0]!
  const aac = run('aac', pair.aacJobGroupId)
  const onprem = run('onprem', pair.onpremJobGroupId)
  const pairUrl = `${flowUrl}/pairs/${aac.jobGroupId}/${onprem.jobGroupId}`

  t.test('before anything is fetched: only the queue is known, the rest says how to get it', async (t) => {
    const res = await ta.app.inject({ url: pairUrl })
    t.equal(res.statusCode, 200)
    t.match(res.body, /id="missing-aac"[^>]*>.*has no analysis yet: open its DBX/s)
    t.match(res.body, /id="missing-onprem"[^>]*>.*On-prem job \d+ has no analysis yet.*Spark History Server/s)
    t.match(res.body, /id="part-startup"[\s\S]*?no Databricks details saved/)
    t.notMatch(res.body, /id="pair-kpis"/, 'no side-by-side figures without both analyses')
  })

  // the Databricks details through the app's own panel (real HTTP to the simulator), then both analyses
  await ta.services.dbx.panel(FLOW, aac.databricksRunId!)
  await saveAnalysis(ta, aac, 'eventlog_3nodes_12cores_exec_removed')

  t.test('the AAC side measured, the on-prem analysis missing: execution compared as a whole', async (t) => {
    const res = await ta.app.inject({ url: pairUrl })
    t.equal(res.statusCode, 200)
    t.match(res.body, /id="part-startup"[\s\S]*?Databricks setup_duration/)
    t.match(res.body, /id="part-compute"[\s\S]*?unknown/)
    t.match(res.body, /id="missing-onprem"/)
    t.notMatch(res.body, /id="missing-aac"/)
  })

  await saveAnalysis(ta, onprem, 'application_1538416563558_0014')

  t.test('both analysed: summary ranked by contribution, KPIs, task time, flags, matched stages', async (t) => {
    const res = await ta.app.inject({ url: pairUrl })
    t.equal(res.statusCode, 200)
    const body = res.body
    t.match(body, /<h1>AAC job \d+ vs on-prem job \d+<\/h1>/)
    t.match(body, /id="compare-summary"/)
    t.match(body, /AAC took <strong>[+−]/)
    const items = [...body.matchAll(/<li id="summary-([a-z-]+)"><strong class="d-\w+">([+−][^<]+)<\/strong>/g)]
    t.ok(items.length >= 2, 'several parts explain the difference')
    const UNIT: Record<string, number> = { h: 3600_000, m: 60_000, s: 1000, ms: 1 }
    const toMs = (s: string): number => {
      let v = 0
      for (const m of s.matchAll(/(\d+) ?(ms|h|m|s)\b/g)) v += Number(m[1]) * UNIT[m[2]!]!
      return s.trim().startsWith('−') ? -v : v
    }
    const sizes = items.map((m) => Math.abs(toMs(m[2]!)))
    t.same(sizes, [...sizes].sort((a, b) => b - a), 'ranked by the size of the contribution')
    t.match(body, /id="summary-compute"[^>]*>.*AAC used \d+ cores vs \d+ on-prem/s)
    t.match(body, /id="kpi-cores"/)
    t.match(body, /id="kpi-executors-max"/)
    t.match(body, /id="kpi-gc"/)
    t.match(body, /id="kpi-spill-disk"/)
    t.match(body, /id="kpi-failed-tasks"/)
    t.match(body, /id="task-compute"[\s\S]*?id="task-gc"[\s\S]*?id="task-total"/)
    t.match(body, /Red flags: On-prem[\s\S]*Red flags: AAC/)
    t.match(body, /id="pair-stages"/)
    t.notMatch(body, /id="missing-(aac|onprem)"/)
    t.notMatch(body, /<script>/, 'no inline script')
  })

  t.test('the run page shows the pair\'s decomposition, the runs table its headline', async (t) => {
    const page = await ta.app.inject({ url: `${flowUrl}/runs/${aac.jobGroupId}` })
    t.match(page.body, /id="pair-timing"[\s\S]*Where the time went[\s\S]*id="part-startup"/)
    t.match(page.body, new RegExp(`href="${pairUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`))
    const table = await ta.app.inject({ url: flowUrl })
    t.match(table.body, new RegExp(`<td class="timing-cell"><a href="[^"]*/pairs/${aac.jobGroupId}/${onprem.jobGroupId}"[^>]*>[+−]\\d`))
    t.match(table.body, /id="flow-timing"[\s\S]*Over \d+ pairs AAC is [+−]/)
  })

  t.test('a failed side is not compared; unknown runs are 404; ids are validated', async (t) => {
    const failed = flow.pairs.find((p) => run('aac', p.aacJobGroupId).status !== 'Complete' || run('onprem', p.onpremJobGroupId).status !== 'Complete')
    if (failed !== undefined) {
      const res = await ta.app.inject({ url: `${flowUrl}/pairs/${failed.aacJobGroupId}/${failed.onpremJobGroupId}` })
      t.equal(res.statusCode, 200)
      t.match(res.body, /did not complete \(\w+\): a run that stopped early is not compared part by part/)
    }
    t.equal((await ta.app.inject({ url: `${flowUrl}/pairs/999999999/${onprem.jobGroupId}` })).statusCode, 404)
    t.equal((await ta.app.inject({ url: `${flowUrl}/pairs/${aac.jobGroupId}/12x` })).statusCode, 400)
    t.equal((await ta.app.inject({ url: `${flowUrl}/pairs/${onprem.jobGroupId}/${aac.jobGroupId}` })).statusCode, 404, 'the sides are not swapped')
  })
})
