export { DEFAULT_READ_LIMITS, openEventLog, type ReadLimits } from './open-event-log.js'
export type { ChunkOptions, EventLogChunk, EventLogCodec, EventLogPart, EventLogSource, ReadDamage } from './types.js'
