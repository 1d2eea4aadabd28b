// Quantiles by selection must equal quantiles of a full sort.
import t from 'tap'
import { select, sparkQuantileIndex, TaskSamples } from '../../src/spark/task-samples.js'
import { N_METRICS } from '../../src/spark/task-metrics.js'

t.test('select puts the k-th value in place', async (t) => {
  let seed = 42
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(rnd() * 400)
    const distinct = round % 3 === 0 ? 3 : 1e6
    const a = Float64Array.from({ length: n }, () => Math.floor(rnd() * distinct) - (round % 5 === 0 ? distinct / 2 : 0))
    const sorted = Float64Array.from(a).sort()
    const ks = [0, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 1]
    let lo = 0
    for (const k of ks) {
      select(a, k, lo, n - 1)
      lo = k
      if (a[k] !== sorted[k]) { t.fail(`round ${round}: n=${n} k=${k} got ${a[k]} want ${sorted[k]}`); return }
    }
  }
  t.pass('300 random arrays')
})

t.test('distributions equal sorted picks', async (t) => {
  const s = new TaskSamples()
  const m = new Float64Array(N_METRICS)
  const runTimes: number[] = []
  for (let i = 0; i < 5000; i++) {
    m[2] = (i * 7919) % 1013
    runTimes.push(m[2])
    s.add(m, 10 + (i % 17), 0, 0, i % 10 !== 0)
  }
  const d = s.distributions([0, 0.05, 0.25, 0.5, 0.75, 0.95, 1])!
  const ok = runTimes.filter((_, i) => i % 10 !== 0).sort((a, b) => a - b)
  t.same(d.executorRunTime, [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1].map((q) => ok[sparkQuantileIndex(q, ok.length)]))
  t.same(d.executorDeserializeTime, [0, 0, 0, 0, 0, 0, 0], 'constant column')
  const mm = s.maxAndMedian(2)
  t.same(mm, { max: ok[ok.length - 1], median: ok[sparkQuantileIndex(0.5, ok.length)], count: ok.length })
})
