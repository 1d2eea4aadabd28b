import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FlowData, Run } from '../shared/flow-types.js'
import type { JsonValidator } from './json-file.js'

/** schemaVersion written into flow_data.json and dbx cache files by this version of Tri-Tracker. */
export const FLOW_DATA_SCHEMA_VERSION = 1
export const DBX_CACHE_SCHEMA_VERSION = 1

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

// extra properties are allowed everywhere: a field added later must not make older files unreadable
const RunSchema = Type.Object({
  platform: Type.Union([Type.Literal('aac'), Type.Literal('onprem')]),
  jobGroupId: Type.Integer(),
  status: Type.String(),
  ranfor: Nullable(Type.String()),
  ranfrom: Nullable(Type.String()),
  flowId: Nullable(Type.Number()),
  flowName: Type.String(),
  outputName: Nullable(Type.String()),
  flowRunId: Nullable(Type.Number()),
  submittedAt: Type.String(),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  queueMs: Nullable(Type.Number()),
  runMs: Nullable(Type.Number()),
  executionLanguage: Nullable(Type.String()),
  databricksRunId: Nullable(Type.String()),
  databricksWorkspaceId: Nullable(Type.String()),
  link: Type.String(),
  errorMessage: Nullable(Type.String())
})

const SideStatusSchema = Type.Object({
  ok: Type.Boolean(),
  fetched: Type.Number(),
  error: Nullable(Type.String()),
  skipped: Type.Optional(Type.Boolean()),
  note: Type.Optional(Nullable(Type.String())),
  unmatched: Type.Optional(Type.Boolean())
})

const FlowDataSchema = Type.Object({
  schemaVersion: Type.Literal(1),
  name: Type.String(),
  addedAt: Type.String(),
  runs: Type.Array(RunSchema),
  pairs: Type.Array(Type.Object({ aacJobGroupId: Type.Integer(), onpremJobGroupId: Type.Integer(), diffMs: Type.Number() })),
  lastCollect: Nullable(Type.Object({ at: Type.String(), aac: SideStatusSchema, onprem: SideStatusSchema }))
})

const DbxCacheSchema = Type.Object({ schemaVersion: Type.Literal(1), cachedAt: Type.String(), data: Type.Unknown() })

/** A cached Databricks drill-down: flows/<flow>/dbx/<jobRunId>.json. */
export type DbxCacheFile = Static<typeof DbxCacheSchema>

// compile-time guard: the schema and the shared types must describe the same documents
const runMatches: [(r: Static<typeof RunSchema>) => Run, (r: Run) => Static<typeof RunSchema>] = [(r) => r, (r) => r]
const flowMatches: [(d: Static<typeof FlowDataSchema>) => FlowData, (d: FlowData) => Static<typeof FlowDataSchema>] = [(d) => d, (d) => d]
void runMatches
void flowMatches

function validator (schema: TSchema): JsonValidator {
  const check = TypeCompiler.Compile(schema)
  return (value) => {
    if (check.Check(value)) return null
    const first = check.Errors(value).First()
    return first === undefined ? 'unexpected shape' : `${first.path === '' ? '(root)' : first.path}: ${first.message}`
  }
}

/** Shape check of flow_data.json (version 1). */
export const validateFlowData: JsonValidator = validator(FlowDataSchema)
/** Shape check of a dbx cache file (version 1). */
export const validateDbxCache: JsonValidator = validator(DbxCacheSchema)
