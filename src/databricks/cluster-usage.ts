import type { DbxEvent } from './databricks-client.js'

/** Node-hours a Databricks cluster held, from its events (what the cloud bills, not what Spark saw). */
export interface ClusterUsage {
  /** Σ workers × time, from the cluster's creation to its termination */
  workerNodeHours: number
  /** the driver node, held for the same span */
  driverHours: number
  peakWorkers: number
  /** creation (CREATING / STARTING / RESTARTING) and termination (TERMINATING) times, epoch ms */
  fromMs: number
  toMs: number
}

const START = new Set(['CREATING', 'STARTING', 'RESTARTING'])
const HOUR = 3_600_000

/**
 * Worker and driver node-hours from the cluster events of a run: the worker count is the last `current_num_workers`
 * an event reported (RUNNING, UPSIZE_COMPLETED, RESIZING, NODES_LOST, autoscaling reports), held until the next
 * report; the driver is held from creation to termination. Nodes acquired during set-up count: the cloud bills them
 * while the cluster starts. The end is the TERMINATING event: the Clusters API's documented event types have no
 * TERMINATED (docs.databricks.com/api/clusters/v2, List Events), and the nodes go within moments of it. Null unless
 * both ends are among the events (a window cut by the events' page cap, a cluster still running): a span that is
 * not known is not guessed.
 */
export function clusterUsage (events: readonly DbxEvent[]): ClusterUsage | null {
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp)
  const start = sorted.find((e) => START.has(e.type))
  if (start === undefined) return null
  const end = sorted.find((e) => (e.type === 'TERMINATING' || e.type === 'TERMINATED') && e.timestamp > start.timestamp)
  if (end === undefined) return null
  let workers = 0
  let peak = 0
  let last = start.timestamp
  let workerMs = 0
  for (const e of sorted) {
    if (e.timestamp < start.timestamp || e.timestamp > end.timestamp) continue
    workerMs += workers * (e.timestamp - last)
    last = e.timestamp
    const now = e.details.currentNumWorkers
    if (now !== null && Number.isFinite(now) && now >= 0) {
      workers = now
      peak = Math.max(peak, now)
    }
  }
  workerMs += workers * (end.timestamp - last)
  const spanMs = end.timestamp - start.timestamp
  return { workerNodeHours: workerMs / HOUR, driverHours: spanMs / HOUR, peakWorkers: peak, fromMs: start.timestamp, toMs: end.timestamp }
}
