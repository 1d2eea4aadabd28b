export { openEventLog } from './open-event-log.js'
export type { ChunkOptions, EventLogChunk, EventLogCodec, EventLogPart, EventLogSource, ReadDamage } from './types.js'
