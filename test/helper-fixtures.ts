import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** shared/fixtures: beside the clone, as CI lays it out, unless TRI_FIXTURES names another place. */
export const FIXTURES = process.env.TRI_FIXTURES ?? fileURLToPath(new URL('../../shared/fixtures', import.meta.url))
/** The real Spark event logs among the fixtures. */
export const EVENTLOGS = join(FIXTURES, 'eventlogs')

/** The fixture logs as the app would be given them: each file, but a rolling / Databricks folder as one input. */
export function eventLogInputs (dir: string = EVENTLOGS): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) {
      if (name.startsWith('eventlog_v2_') || name === 'db_sim_eventlog') out.push(p)
      else out.push(...eventLogInputs(p))
    } else if (!name.endsWith('.md')) out.push(p)
  }
  return out
}
