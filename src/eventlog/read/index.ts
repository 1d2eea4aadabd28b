export { openEventLog } from './open-event-log.js'
export type { EventLogChunk, EventLogCodec, EventLogPart, EventLogSource, ReadDamage } from './types.js'
