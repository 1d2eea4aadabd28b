import t from 'tap'
import { clusterUsage } from '../../src/databricks/cluster-usage.js'
import type { DbxEvent } from '../../src/databricks/databricks-client.js'

const MIN = 60_000
const ev = (min: number, type: string, workers: number | null = null): DbxEvent => ({
  timestamp: 1_700_000_000_000 + min * MIN,
  type,
  details: { currentNumWorkers: workers, targetNumWorkers: workers, cause: null, reason: null, instanceId: null, driverStateMessage: null, user: null, logConf: null, extra: {} }
})

t.test('node-hours from cluster events: set-up, resizes and termination, table-driven', async (t) => {
  const cases: Array<{ name: string, events: DbxEvent[], want: { worker: number, driver: number, peak: number } | null }> = [
    {
      name: '5 min set-up then 4 workers for 55 min',
      events: [ev(0, 'CREATING'), ev(5, 'RUNNING', 4), ev(60, 'TERMINATING')],
      want: { worker: 4 * 55 / 60, driver: 1, peak: 4 }
    },
    {
      name: 'nodes acquired during set-up count (UPSIZE_COMPLETED before RUNNING)',
      events: [ev(0, 'CREATING'), ev(3, 'UPSIZE_COMPLETED', 2), ev(5, 'RUNNING', 2), ev(30, 'TERMINATING')],
      want: { worker: 2 * 27 / 60, driver: 0.5, peak: 2 }
    },
    {
      name: 'autoscaling 2 -> 8 -> 2 workers',
      events: [ev(0, 'STARTING'), ev(0, 'RUNNING', 2), ev(10, 'RESIZING', 8), ev(40, 'RESIZING', 2), ev(60, 'TERMINATING')],
      want: { worker: (2 * 10 + 8 * 30 + 2 * 20) / 60, driver: 1, peak: 8 }
    },
    {
      name: 'events out of order are sorted first',
      events: [ev(60, 'TERMINATING'), ev(5, 'RUNNING', 4), ev(0, 'CREATING')],
      want: { worker: 4 * 55 / 60, driver: 1, peak: 4 }
    },
    { name: 'no termination (still running, or the page cap cut it): unknown, not guessed', events: [ev(0, 'CREATING'), ev(5, 'RUNNING', 4)], want: null },
    { name: 'no creation in the window: unknown', events: [ev(5, 'RUNNING', 4), ev(60, 'TERMINATING')], want: null },
    { name: 'no events', events: [], want: null }
  ]
  for (const c of cases) {
    const got = clusterUsage(c.events)
    if (c.want === null) {
      t.equal(got, null, c.name)
      continue
    }
    t.ok(got !== null, c.name)
    t.ok(Math.abs(got!.workerNodeHours - c.want.worker) < 1e-9, `${c.name}: worker node-hours ${got!.workerNodeHours} = ${c.want.worker}`)
    t.ok(Math.abs(got!.driverHours - c.want.driver) < 1e-9, `${c.name}: driver hours`)
    t.equal(got!.peakWorkers, c.want.peak, `${c.name}: peak workers`)
  }
})
