// Child process of download-resume.test.ts: downloads, checkpointing every chunk, until the parent SIGKILLs it.
import { createDatabricksClient } from '../src/databricks/databricks-client.js'
import { downloadEventLog } from '../src/databricks/download-event-log.js'
import { eventLogFiles } from '../src/store/eventlog-files.js'
import type { EventLogPart } from '../src/databricks/locate-event-log.js'

const env = process.env
const client = createDatabricksClient({ host: env.TT_DBX_HOST!, token: env.TT_DBX_TOKEN!, baseDelayMs: 2 })
const parts = JSON.parse(env.TT_PARTS!) as EventLogPart[]
await downloadEventLog({ client, parts, files: eventLogFiles(env.TT_DIR!), concurrency: 3, checkpointMs: 0 })
await client.close()
process.stdout.write('finished\n')
