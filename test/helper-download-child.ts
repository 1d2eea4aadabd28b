// Child process of download-resume.test.ts: downloads, checkpointing every chunk, until the parent SIGKILLs it.
import { createDatabricksClient } from '../src/databricks/databricks-client.js'
import { downloadEventLog } from '../src/databricks/download-event-log.js'
import { eventLogFiles } from '../src/store/eventlog-files.js'
import { volumeSource } from '../src/databricks/volume-source.js'
import type { EventLogPart } from '../src/databricks/locate-event-log.js'

const env = process.env
const client = createDatabricksClient({ host: env.TT_DBX_HOST!, token: env.TT_DBX_TOKEN!, baseDelayMs: 2 })
const parts = JSON.parse(env.TT_PARTS!) as EventLogPart[]
const chunkSize = env.TT_CHUNK === undefined ? undefined : Number(env.TT_CHUNK)
// TT_VOLUME: the parts are on that Unity Catalog volume (Files API); else on DBFS
const from = env.TT_VOLUME === undefined ? { client } : { logSource: volumeSource(client, env.TT_VOLUME) }
await downloadEventLog({ ...from, parts, files: eventLogFiles(env.TT_DIR!), concurrency: 3, checkpointMs: 0, chunkSize })
await client.close()
process.stdout.write('finished\n')
