// Executor KPIs come from the full executor series, and the stored series keeps its steps and extremes however much
// the executors churned (issue 9, defect 1: a thinned series made the KPIs read the blips, not the burst).
import t from 'tap'
import { analyseText } from '../../src/spark/analyse.js'
import { MAX_TIMELINE_POINTS } from '../../src/spark/build-analysis.js'

const START = 1_700_000_000_000
const ev = (o: object): string => JSON.stringify(o)
const added = (id: string, time: number, cores: number): string =>
  ev({ Event: 'SparkListenerExecutorAdded', Timestamp: time, 'Executor ID': id, 'Executor Info': { Host: `h${id}`, 'Total Cores': cores, 'Log Urls': {} } })
const removed = (id: string, time: number): string =>
  ev({ Event: 'SparkListenerExecutorRemoved', Timestamp: time, 'Executor ID': id, 'Removed Reason': 'idle' })

t.test('3,000 add/remove blips and a 64-executor burst: KPIs from the full series', async (t) => {
  const lines = [
    ev({ Event: 'SparkListenerLogStart', 'Spark Version': '3.5.0' }),
    ev({ Event: 'SparkListenerApplicationStart', 'App Name': 'churn', 'App ID': 'app-churn', Timestamp: START, User: 'u' }),
  ]
  // one short-lived 4-core executor at a time, 3,000 times
  let time = START + 1000
  for (let i = 0; i < 3000; i++) {
    lines.push(added(`b${i}`, time, 4), removed(`b${i}`, time + 5))
    time += 10
  }
  // then 64 executors of 8 cores at once, gone a minute later
  const burst = time + 1000
  for (let i = 0; i < 64; i++) lines.push(added(`x${i}`, burst, 8))
  for (let i = 0; i < 64; i++) lines.push(removed(`x${i}`, burst + 60_000))
  lines.push(ev({ Event: 'SparkListenerApplicationEnd', Timestamp: burst + 120_000 }))
  const a = await analyseText(lines.join('\n') + '\n')

  t.equal(a.kpis.executorsMax, 64, 'the burst is the maximum')
  t.equal(a.kpis.totalCoresMax, 64 * 8, 'cores at the burst')
  t.equal(a.kpis.executorsMin, 0, 'between blips no executor ran')
  const series = a.timeline.executors
  t.ok(series.length <= MAX_TIMELINE_POINTS, `${series.length} stored points`)
  t.ok(series.some((p) => p.executors === 64 && p.cores === 512 && p.time === burst), 'the burst survives downsampling')
  t.ok(series.some((p) => p.time === burst + 60_000 && p.executors === 0), 'so does the step back down')
  t.equal(series[0]!.time, START, 'starts at the application start')
  t.equal(series.at(-1)!.time, burst + 120_000, 'ends at the application end')
  t.ok(series.every((p, i) => i === 0 || p.time > series[i - 1]!.time), 'time order kept')
})

t.test('a short series is kept whole and its KPIs unchanged', async (t) => {
  const lines = [
    ev({ Event: 'SparkListenerApplicationStart', 'App Name': 'small', 'App ID': 'app-small', Timestamp: START, User: 'u' }),
    added('1', START + 100, 4), added('2', START + 200, 4), removed('1', START + 900),
    ev({ Event: 'SparkListenerApplicationEnd', Timestamp: START + 1000 }),
  ]
  const a = await analyseText(lines.join('\n') + '\n')
  t.same(a.timeline.executors.map((p) => [p.time - START, p.executors, p.cores]), [[0, 0, 0], [100, 1, 4], [200, 2, 8], [900, 1, 4], [1000, 1, 4]])
  t.equal(a.kpis.executorsMin, 1)
  t.equal(a.kpis.executorsMax, 2)
  t.equal(a.kpis.totalCoresMax, 8)
})
