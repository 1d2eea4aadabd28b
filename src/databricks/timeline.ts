import type { DbxEvent, DbxTerminationReason } from './databricks-client.js'

/** One line of the cluster events timeline. */
export interface TimelineRow {
  timestamp: number
  /** ms since the run started (negative: before), null when the start is unknown */
  offsetMs: number | null
  type: string
  /** 'info' | 'resize' | 'warn' | 'error': only drives the colour */
  tone: 'info' | 'resize' | 'warn' | 'error'
  text: string
  /** how many events this row stands for (consecutive autoscaling reports are folded) */
  count: number
}

const WARN = new Set(['NODES_LOST', 'DRIVER_NOT_RESPONDING', 'DRIVER_UNAVAILABLE', 'SPARK_EXCEPTION', 'DBFS_DOWN', 'METASTORE_DOWN', 'AUTOSCALING_BACKOFF',
  'AUTOSCALING_FAILED', 'ADD_NODES_FAILED', 'NODE_BLACKLISTED', 'NODE_EXCLUDED_DECOMMISSIONED', 'FAILED_TO_EXPAND_DISK', 'DID_NOT_EXPAND_DISK', 'RESTARTING', 'UC_VOLUME_MISCONFIGURED'])
const RESIZE = new Set(['RESIZING', 'UPSIZE_COMPLETED', 'AUTOSCALING_STATS_REPORT', 'DECOMMISSION_STARTED', 'DECOMMISSION_ENDED', 'EXPANDED_DISK'])

function reasonText (r: DbxTerminationReason | null): string | null {
  if (r === null || (r.code === null && r.type === null)) return null
  const params = Object.entries(r.parameters).map(([k, v]) => `${k}: ${v}`).join('; ')
  return `${r.code ?? 'unknown reason'}${r.type !== null ? ` (${r.type})` : ''}${params !== '' ? ` — ${params}` : ''}`
}

function workers (e: DbxEvent): string | null {
  const { currentNumWorkers: cur, targetNumWorkers: target } = e.details
  if (cur === null && target === null) return null
  if (cur !== null && target !== null && cur !== target) return `${cur} of ${target} workers`
  return `${cur ?? target ?? 0} workers`
}

/** Plain-language description of one event; unknown types still show their details. */
export function describeEvent (e: DbxEvent): string {
  const d = e.details
  const bits: string[] = []
  const w = workers(e)
  switch (e.type) {
    case 'RESIZING':
      bits.push(`resizing ${d.currentNumWorkers ?? '?'} → ${d.targetNumWorkers ?? '?'} workers`)
      break
    case 'NODES_LOST':
      bits.push(`lost ${d.instanceId !== null ? `node ${d.instanceId}` : 'nodes'}`)
      if (w !== null) bits.push(`now ${w}`)
      break
    default:
      if (w !== null) bits.push(w)
  }
  if (d.cause !== null) bits.push(`cause ${d.cause}`)
  const reason = reasonText(d.reason)
  if (reason !== null) bits.push(e.type === 'TERMINATING' ? `reason ${reason}` : reason)
  if (d.driverStateMessage !== null) bits.push(d.driverStateMessage)
  if (d.user !== null && (e.type === 'CREATING' || e.type === 'EDITED' || e.type === 'TERMINATING' || e.type === 'RESTARTING')) bits.push(`by ${d.user}`)
  for (const [k, v] of Object.entries(d.extra)) bits.push(`${k.replace(/_/g, ' ')} ${v}`)
  return bits.join(' · ')
}

function toneOf (e: DbxEvent): TimelineRow['tone'] {
  if (e.type === 'TERMINATING') return e.details.reason?.type !== null && e.details.reason?.type !== undefined && e.details.reason.type !== 'SUCCESS' ? 'error' : 'info'
  if (WARN.has(e.type)) return 'warn'
  // a resize that completed short of its target, with a cloud reason, is a capacity problem
  if (e.type === 'UPSIZE_COMPLETED' && e.details.reason !== null) return 'warn'
  return RESIZE.has(e.type) ? 'resize' : 'info'
}

/** Timeline rows oldest first; consecutive AUTOSCALING_STATS_REPORT events fold into one row. */
export function timelineRows (events: DbxEvent[], runStart: number | null): TimelineRow[] {
  const rows: TimelineRow[] = []
  for (const e of events) {
    const prev = rows[rows.length - 1]
    if (e.type === 'AUTOSCALING_STATS_REPORT' && prev !== undefined && prev.type === e.type) {
      prev.count++
      const w = e.details.currentNumWorkers
      prev.text = `${prev.count} autoscaling reports${w !== null ? `, last at ${w} workers` : ''}`
      continue
    }
    rows.push({
      timestamp: e.timestamp,
      offsetMs: runStart === null ? null : e.timestamp - runStart,
      type: e.type,
      tone: toneOf(e),
      text: describeEvent(e),
      count: 1
    })
  }
  return rows
}
