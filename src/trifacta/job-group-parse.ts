import type { Platform, Run } from '../shared/flow-types.js'

const TERMINAL = new Set(['Complete', 'Failed', 'Canceled'])

type Obj = Record<string, unknown>

function obj (v: unknown): Obj | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : null
}
function str (v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null
}
function int (v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v)
  return null
}
function time (v: unknown): number | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null
  const t = typeof v === 'number' ? v : Date.parse(v)
  return Number.isFinite(t) ? t : null
}
function iso (t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString()
}

/** The jobs of a job group row, whether embedded as {data:[...]} or as a bare array. */
export function jobsOf (row: unknown): Obj[] {
  const r = obj(row)
  if (r === null) return []
  const jobs = r.jobs
  const list = Array.isArray(jobs) ? jobs : obj(jobs)?.data
  return Array.isArray(list) ? list.map(obj).filter((j): j is Obj => j !== null) : []
}

/** Reads the Databricks run reference out of a wrangle job's cpJobId (a JSON string on AAC-Databricks). */
export function parseCpJobId (cp: unknown): { runId: string | null, workspaceId: string | null } {
  let parsed: Obj | null = obj(cp)
  if (parsed === null && typeof cp === 'string' && cp.trim().startsWith('{')) {
    try { parsed = obj(JSON.parse(cp)) } catch { parsed = null }
  }
  if (parsed === null) return { runId: null, workspaceId: null }
  const id = parsed.databricksJobId ?? parsed.databricksRunId
  const ws = parsed.databricksWorkspaceId
  const runId = (typeof id === 'string' && /^\d{1,30}$/.test(id)) || (typeof id === 'number' && Number.isSafeInteger(id)) ? String(id) : null
  const workspaceId = typeof ws === 'string' || typeof ws === 'number' ? String(ws) : null
  return { runId, workspaceId }
}

/** The flow name of a job group row (wrangledDataset.flow.name), or null (newer rows carry only the flow id). */
export function flowNameOf (row: unknown): string | null {
  return str(obj(obj(obj(row)?.wrangledDataset)?.flow)?.name)
}

/**
 * The flow id of a job group row: a numeric `flowId` on the row or its wrangledDataset (newer rows; the public v4
 * spec leaves wrangledDataset untyped), else wrangledDataset.flow.id; null when the row names no flow.
 */
export function flowIdOf (row: unknown): number | null {
  const r = obj(row)
  const ds = obj(r?.wrangledDataset)
  return int(r?.flowId) ?? int(ds?.flowId) ?? int(obj(ds?.flow)?.id)
}

/** A flow name compared as people see it: trimmed, case-insensitive, Unicode-normalised. */
export function looseName (name: string): string {
  return name.normalize('NFC').trim().toLocaleLowerCase('en')
}

/**
 * Parses one job group row (jobLibrary or jobGroups with embeds) into a Run, once, at the edge.
 * Returns null for rows without an id or creation time: they cannot be shown or paired.
 */
export function parseJobGroup (row: unknown, platform: Platform, uiHost: string, jobsOverride?: unknown[]): Run | null {
  const r = obj(row)
  if (r === null) return null
  const id = int(r.id)
  const created = time(r.createdAt)
  if (id === null || created === null) return null
  const status = str(r.status) ?? 'Unknown'
  const ds = obj(r.wrangledDataset)
  const flow = obj(ds?.flow)
  const jobs = jobsOverride !== undefined ? jobsOverride.map(obj).filter((j): j is Obj => j !== null) : jobsOf(r)
  const wrangle = jobs.find((j) => j.jobType === 'wrangle') ?? null
  let started: number | null = null
  let finished: number | null = null
  for (const j of jobs) {
    const s = time(j.startedAt)
    const f = time(j.finishedAt)
    if (s !== null && (started === null || s < started)) started = s
    if (f !== null && (finished === null || f > finished)) finished = f
  }
  if (finished === null && TERMINAL.has(status)) finished = time(r.updatedAt)
  if (finished !== null && !TERMINAL.has(status) && jobs.some((j) => !TERMINAL.has(String(j.status)))) finished = null
  if (started !== null && started < created) started = created
  const runFrom = started ?? created
  const cp = parseCpJobId(wrangle?.cpJobId)
  const failedJob = jobs.find((j) => j.status === 'Failed' && str(j.errorMessage) !== null)
  const flowRun = obj(r.flowRun) ?? obj(r.flowrun)
  return {
    platform,
    jobGroupId: id,
    status,
    ranfor: str(r.ranfor),
    ranfrom: str(r.ranfrom),
    flowId: flowIdOf(r),
    flowName: str(flow?.name) ?? '',
    outputName: str(ds?.name),
    flowRunId: int(flowRun?.id),
    submittedAt: iso(created)!,
    startedAt: iso(started),
    finishedAt: iso(finished),
    queueMs: started === null ? null : started - created,
    runMs: finished === null ? null : Math.max(0, finished - runFrom),
    executionLanguage: str(wrangle?.executionLanguage),
    databricksRunId: cp.runId,
    databricksWorkspaceId: cp.workspaceId,
    link: `${uiHost}/jobs/${id}`,
    errorMessage: str(failedJob?.errorMessage) ?? str(r.workloadError)
  }
}
