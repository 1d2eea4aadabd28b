import type { FastifyInstance } from 'fastify'
import type { Dbfs } from './dbfs.js'
import type { ErrorBody } from './server.js'
import type { World } from './world-types.js'

export const databricksErrorBody: ErrorBody = (status, message, _path, code) => ({
  error_code: code ?? (status === 401 ? 'UNAUTHENTICATED' : status === 404 ? 'ENDPOINT_NOT_FOUND' : 'INTERNAL_ERROR'),
  message,
})

export function registerDatabricksRoutes(_app: FastifyInstance, _opts: { world: World; dbfs: Dbfs }): void {}
