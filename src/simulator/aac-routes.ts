import type { FastifyInstance } from 'fastify'
import { SimHttpError, type ErrorBody } from './server.js'
import type { PlatformWorld, SimFlow, SimJobGroup } from './world-types.js'

type Query = Record<string, string | string[] | undefined>

/** AAC / Trifacta v4 error body: `{"exception":{name,message,details}}` */
export const aacErrorBody: ErrorBody = (status, message, path, code) => {
  const name =
    code ??
    (status === 401
      ? 'AuthenticationRequired'
      : status === 403
        ? 'AccessControlException'
        : status === 404
          ? message.startsWith('Cannot ')
            ? 'RouteNotFoundException'
            : 'NotFoundException'
          : status === 400
            ? 'ValidationFailed'
            : status === 429
              ? 'TooManyRequestsException'
              : 'InternalServerError')
  const details = name === 'RouteNotFoundException' ? message : status === 429 ? `Rate limit exceeded on ${path}` : message
  return {
    exception: { name, message: name === 'RouteNotFoundException' ? 'This route does not exist' : message, details },
  }
}

const one = (q: Query, key: string): string | undefined => {
  const v = q[key]
  return Array.isArray(v) ? v[v.length - 1] : v
}

const list = (q: Query, key: string): string[] | null => {
  const v = one(q, key)
  if (v === undefined || v === '') return null
  return v.split(',').map((s) => s.trim()).filter(Boolean)
}

function intParam (q: Query, key: string, dflt: number, max = 10_000): number {
  const v = one(q, key)
  if (v === undefined || v === '') return dflt
  if (!/^\d+$/.test(v) || Number(v) > max) throw new SimHttpError(400, `Invalid value for "${key}": ${v}`, 'ApiValidationFailed')
  return Number(v)
}

const norm = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()

/**
 * Fuzzy as Trifacta does it, approximately: case- and accent-insensitive, the whole term as a substring or every
 * whitespace-separated word somewhere in the field. So "Sales Daily" matches "Sales Daily (copy)" and
 * "Sales Daily extract": clients must post-filter on the exact flow name.
 */
export function textMatch (value: string, filter: string, filterType = 'fuzzy'): boolean {
  switch (filterType) {
    case 'exact':
      return value === filter
    case 'exactIgnoreCase':
      return value.toLowerCase() === filter.toLowerCase()
    case 'contains':
      return value.toLowerCase().includes(filter.toLowerCase())
    default: {
      const v = norm(value)
      const f = norm(filter).trim()
      if (f === '' || v.includes(f)) return true
      return f.split(/\s+/).every((t) => v.includes(t))
    }
  }
}

function checkFilterType (q: Query): string {
  const t = one(q, 'filterType') ?? 'fuzzy'
  if (!['fuzzy', 'contains', 'exact', 'exactIgnoreCase'].includes(t)) {
    throw new SimHttpError(400, `Invalid filterType "${t}"; valid values: fuzzy, contains, exact, exactIgnoreCase`, 'ValidationFailed')
  }
  return t
}

function sorter (q: Query, allowed: string[], dflt: string): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  const s = one(q, 'sort') ?? dflt
  const desc = s.startsWith('-')
  const field = desc ? s.slice(1) : s
  if (!allowed.includes(field)) throw new SimHttpError(400, `Invalid sort field "${field}"; valid: ${allowed.join(', ')}`, 'ValidationFailed')
  return (a, b) => {
    const x = a[field]
    const y = b[field]
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))
    // ties broken by id so paging is stable
    const t = c !== 0 ? c : Number(a.id) - Number(b.id)
    return desc ? -t : t
  }
}

const JG_EMBEDS = ['jobs', 'wrangledDataset', 'creator', 'flowRun', 'snapshot']

function embeds (q: Query): Set<string> {
  const e = list(q, 'embed') ?? []
  for (const name of e) {
    if (!JG_EMBEDS.includes(name)) {
      throw new SimHttpError(400, `Invalid embed "${name}". Valid associations: ${JG_EMBEDS.join(', ')}`, 'ValidationFailed')
    }
  }
  return new Set(e)
}

/**
 * How rows name their flow: 'nested' as older releases and on-prem do (`wrangledDataset.flow {id, name}`), or
 * 'flowId' as newer AAC rows do (a numeric `flowId`, no flow name: the public v4 spec leaves wrangledDataset untyped).
 */
export type RowShape = 'nested' | 'flowId'

/** a job group as the API renders it; jobLibrary rows always embed dataset+flow, jobs and the full person */
export function renderJobGroup (jg: SimJobGroup, embed: Set<string>, shape: RowShape = 'nested'): Record<string, unknown> {
  const { createdMs: _c, updatedMs: _u, jobs, creator, wrangledDataset, ...rest } = jg
  const ds = shape === 'flowId'
    ? { id: wrangledDataset.id, name: wrangledDataset.name, flowId: wrangledDataset.flow.id }
    : wrangledDataset
  return {
    ...rest,
    ...(shape === 'flowId' ? { flowId: wrangledDataset.flow.id } : {}),
    creator: embed.has('creator') ? creator : { id: creator.id },
    wrangledDataset: embed.has('wrangledDataset') ? ds : { id: wrangledDataset.id },
    ...(embed.has('jobs') ? { jobs: { data: jobs } } : {}),
  }
}

const LIBRARY_EMBED = new Set(['jobs', 'wrangledDataset', 'creator'])

/** Pages as v4 does: `limit` defaults to 25; a server may cap it (silently: `count` still tells the total). */
function page<T> (rows: T[], q: Query, cap = Number.POSITIVE_INFINITY): { data: T[]; count?: number } {
  const limit = Math.min(intParam(q, 'limit', 25), cap)
  const offset = intParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER)
  const data = rows.slice(offset, offset + limit)
  return one(q, 'includeCount') === 'true' ? { data, count: rows.length } : { data }
}

function filterGroups (groups: SimJobGroup[], q: Query): SimJobGroup[] {
  const ranfor = list(q, 'ranfor')
  const status = list(q, 'status')?.map((s) => s.toLowerCase()) ?? null
  const ranfrom = list(q, 'ranfrom')
  return groups.filter(
    (g) =>
      (ranfor === null || ranfor.includes(g.ranfor)) &&
      (status === null || status.includes(g.status.toLowerCase())) &&
      (ranfrom === null || ranfrom.includes(g.ranfrom))
  )
}

function libraryMatches (g: SimJobGroup, filter: string, filterType: string): boolean {
  return (
    textMatch(String(g.id), filter, filterType) ||
    textMatch(g.wrangledDataset.name, filter, filterType) ||
    textMatch(g.wrangledDataset.flow.name, filter, filterType) ||
    textMatch(g.creator.name, filter, filterType)
  )
}

export interface AacRoutesOptions {
  world: PlatformWorld
  /** false: behave like an older on-prem without /v4/jobLibrary */
  hasJobLibrary: () => boolean
  label: string
  /** how job group rows name their flow (AAC: flowId) */
  rowShape?: RowShape
  /** the most rows one page returns, whatever `limit` asks (default: no cap) */
  pageCap?: () => number
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

export function registerAacRoutes (app: FastifyInstance, opts: AacRoutesOptions): void {
  const { world } = opts
  const routeNotFound = (method: string, url: string): never => {
    throw new SimHttpError(404, `Cannot ${method} ${url.split('?')[0] ?? url}`, 'RouteNotFoundException')
  }
  const library = (q: Query): SimJobGroup[] => {
    const filterType = checkFilterType(q)
    const filter = one(q, 'filter')
    let rows = filterGroups(world.jobGroups, q)
    if (filter !== undefined && filter !== '') rows = rows.filter((g) => libraryMatches(g, filter, filterType))
    const cmp = sorter(q, ['createdAt', 'updatedAt', 'id'], '-createdAt')
    return rows.slice().sort((a, b) => cmp(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>))
  }

  app.get('/v4/jobLibrary', async (req) => {
    if (!opts.hasJobLibrary()) routeNotFound('GET', req.url)
    const q = req.query as Query
    const p = page(library(q), q, opts.pageCap?.())
    return { ...p, data: p.data.map((g) => renderJobGroup(g, LIBRARY_EMBED, opts.rowShape)) }
  })

  app.get('/v4/jobLibrary/count', async (req) => {
    if (!opts.hasJobLibrary()) routeNotFound('GET', req.url)
    return { count: library(req.query as Query).length }
  })

  app.get('/v4/jobGroups', async (req) => {
    const q = req.query as Query
    const embed = embeds(q)
    const filterType = checkFilterType(q)
    const filter = one(q, 'filter')
    const fields = list(q, 'filterFields') ?? ['name']
    const flowNodeId = one(q, 'flowNodeId')
    let rows = filterGroups(world.jobGroups, q)
    if (flowNodeId !== undefined) rows = rows.filter((g) => String(g.wrangledDataset.id) === flowNodeId)
    if (filter !== undefined && filter !== '') {
      rows = rows.filter((g) =>
        fields.some((f) => {
          const v = f === 'id' ? String(g.id) : f === 'name' ? g.name : f === 'status' ? g.status : null
          return v !== null && textMatch(v, filter, filterType)
        })
      )
    }
    const cmp = sorter(q, ['createdAt', 'updatedAt', 'id'], '-createdAt')
    rows = rows.slice().sort((a, b) => cmp(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>))
    const p = page(rows, q, opts.pageCap?.())
    return { ...p, data: p.data.map((g) => renderJobGroup(g, embed, opts.rowShape)) }
  })

  const groupById = (raw: string): SimJobGroup => {
    const g = /^\d+$/.test(raw) ? world.byId.get(Number(raw)) : undefined
    if (!g) throw new SimHttpError(404, `JobGroup ${raw} does not exist`, 'NotFoundException')
    return g
  }

  app.get<{ Params: { id: string } }>('/v4/jobGroups/:id', async (req) =>
    renderJobGroup(groupById(req.params.id), embeds(req.query as Query), opts.rowShape)
  )
  app.get<{ Params: { id: string } }>('/v4/jobGroups/:id/jobs', async (req) => ({ data: groupById(req.params.id).jobs }))
  app.get<{ Params: { id: string } }>('/v4/jobGroups/:id/status', async (req, reply) =>
    reply.type('application/json').send(JSON.stringify(groupById(req.params.id).status))
  )

  app.get('/v4/flows', async (req) => {
    const q = req.query as Query
    const filterType = checkFilterType(q)
    const filter = one(q, 'filter')
    const fields = list(q, 'filterFields') ?? ['name']
    let rows: SimFlow[] = world.flows
    if (filter !== undefined && filter !== '') {
      rows = rows.filter((f) =>
        fields.some((field) => {
          const v = field === 'name' ? f.name : field === 'description' ? f.description : field === 'id' ? String(f.id) : null
          return v !== null && textMatch(v, filter, filterType)
        })
      )
    }
    const cmp = sorter(q, ['createdAt', 'updatedAt', 'id', 'name'], 'id')
    rows = rows.slice().sort((a, b) => cmp(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>))
    return page(rows, q, opts.pageCap?.())
  })

  app.get<{ Params: { id: string } }>('/v4/flows/:id', async (req) => {
    const f = world.flows.find((x) => String(x.id) === req.params.id)
    if (!f) throw new SimHttpError(404, `Flow ${req.params.id} does not exist`, 'NotFoundException')
    return f
  })

  // the platform UI's deep link target: a browser follows it, so no bearer token
  app.get<{ Params: { id: string } }>('/jobs/:id', async (req, reply) => {
    const g = /^\d+$/.test(req.params.id) ? world.byId.get(Number(req.params.id)) : undefined
    reply.type('text/html; charset=utf-8')
    if (!g) return reply.code(404).send(`<!doctype html><title>Not found</title><h1>Job ${escapeHtml(req.params.id)} not found</h1>`)
    const flow = escapeHtml(g.wrangledDataset.flow.name)
    return `<!doctype html><html><head><meta charset="utf-8"><title>Job ${g.id} · ${escapeHtml(opts.label)}</title></head><body>
<h1>${escapeHtml(opts.label)}: job ${g.id}</h1>
<dl><dt>Flow</dt><dd>${flow}</dd><dt>Output</dt><dd>${escapeHtml(g.wrangledDataset.name)}</dd>
<dt>Status</dt><dd>${escapeHtml(g.status)}</dd><dt>Submitted</dt><dd>${g.createdAt}</dd></dl>
<p>Simulated page (Tri-Tracker demo).</p></body></html>`
  })
}
