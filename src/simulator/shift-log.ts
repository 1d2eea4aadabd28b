/*
 * Moves a real Spark event log in time so it fits the simulated run it is served for: every timestamp field is
 * shifted by the same amount (durations and metrics stay as Spark wrote them) and the application id is the one
 * the simulated History Server lists. The served sample's attribution records the shift (see sample-logs ATTRIBUTION).
 */

/*
 * Event fields that hold epoch ms (SparkListener* JSON as JsonProtocol writes it): application start / end, executor
 * and block manager added / removed ("Timestamp"), executor info ("Registration Time", "Request Time"), job and stage
 * ("Submission Time", "Completion Time"), task ("Launch Time", "Finish Time", "Getting Result Time"), SQL execution
 * start / end and exclusions ("time"). 0 means "not set" and stays. Properties that carry a time as a string (the
 * application's start in every job's properties, Databricks' last-activity tag) move too. SparkListenerLogStart
 * and DBCEventLoggingListenerMetadata carry no time.
 */
const TIME_FIELD = /"(Timestamp|Submission Time|Completion Time|Launch Time|Finish Time|Getting Result Time|Registration Time|Request Time|time)":(\d{10,})(?=[,}\]])/g
const TIME_PROPERTY = /"(spark\.app\.startTime|spark\.databricks\.clusterUsageTags\.clusterLastActivityTime)":"(\d{10,})"/g

function moveTimes (text: string, shiftMs: number): string {
  return text
    .replace(TIME_FIELD, (_m, key: string, v: string) => `"${key}":${Number(v) + shiftMs}`)
    .replace(TIME_PROPERTY, (_m, key: string, v: string) => `"${key}":"${Number(v) + shiftMs}"`)
}

export interface ShiftOptions {
  shiftMs: number
  /** replaces the application id (ApplicationStart "App ID", spark.app.id) */
  appId?: string
  /** replaces the attempt id (ApplicationStart "App Attempt ID") */
  attemptId?: string | null
  /** replaces the application name and user (ApplicationStart "App Name" / "User", spark.app.name) */
  appName?: string
  user?: string
}

/**
 * One event log line, shifted. The time fields are rewritten in place (a regular expression: the rest of the line
 * stays byte for byte); only the two events that carry the application's identity are parsed and written again.
 * Lines that are not JSON come back with their times moved and nothing else (damage stays damage).
 */
export function shiftEventLine (line: string, opts: ShiftOptions): string {
  const moved = moveTimes(line, opts.shiftMs)
  if (opts.appId === undefined && opts.appName === undefined && opts.user === undefined && opts.attemptId === undefined) return moved
  const start = moved.includes('"SparkListenerApplicationStart"')
  if (!start && !moved.includes('"SparkListenerEnvironmentUpdate"')) return moved
  let ev: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(moved)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return moved
    ev = parsed as Record<string, unknown>
  } catch {
    return moved
  }
  if (ev.Event === 'SparkListenerApplicationStart') {
    if (opts.appId !== undefined) ev['App ID'] = opts.appId
    if (opts.appName !== undefined) ev['App Name'] = opts.appName
    if (opts.user !== undefined) ev.User = opts.user
    if (opts.attemptId !== undefined) {
      if (opts.attemptId === null) delete ev['App Attempt ID']
      else ev['App Attempt ID'] = opts.attemptId
    }
  } else if (ev.Event === 'SparkListenerEnvironmentUpdate') {
    const props = ev['Spark Properties']
    if (typeof props === 'object' && props !== null && !Array.isArray(props)) {
      const p = props as Record<string, unknown>
      if (opts.appId !== undefined && typeof p['spark.app.id'] === 'string') p['spark.app.id'] = opts.appId
      if (opts.appName !== undefined && typeof p['spark.app.name'] === 'string') p['spark.app.name'] = opts.appName
    }
  } else {
    return moved
  }
  return JSON.stringify(ev)
}

/** Several lines (joined by \n, no trailing newline) shifted as shiftEventLine would, line by line. */
export function shiftEventBlock (block: string, opts: ShiftOptions): string {
  if (!block.includes('"SparkListenerApplicationStart"') && !block.includes('"SparkListenerEnvironmentUpdate"')) {
    return moveTimes(block, opts.shiftMs)
  }
  return block.split('\n').map((l) => shiftEventLine(l, opts)).join('\n')
}
