import { Type, type Static } from '@sinclair/typebox'

/*
 * The route parameters every feature shares, declared once. Flow names are any Unicode (URL-decoded by Fastify);
 * the store validates them further before they reach the disk. Job group ids are decimal integers.
 */
export const FlowName = Type.String({ minLength: 1, maxLength: 200 })
export const JobGroupId = Type.String({ pattern: '^[0-9]{1,15}$' })

export const FlowParamsSchema = Type.Object({ flow: FlowName })
export type FlowParams = Static<typeof FlowParamsSchema>

export const RunParamsSchema = Type.Object({ flow: FlowName, jobGroupId: JobGroupId })
export type RunParams = Static<typeof RunParamsSchema>

/** ?page= of a paged table (1-based); a page past the end shows the last one. */
export const PageQuerySchema = Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) })
export type PageQuery = Static<typeof PageQuerySchema>
