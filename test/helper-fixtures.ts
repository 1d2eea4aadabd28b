import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** shared/fixtures: beside the clone, as CI lays it out, unless TRI_FIXTURES names another place. */
export const FIXTURES = process.env.TRI_FIXTURES ?? fileURLToPath(new URL('../../shared/fixtures', import.meta.url))
/** The real Spark event logs among the fixtures. */
export const EVENTLOGS = join(FIXTURES, 'eventlogs')
