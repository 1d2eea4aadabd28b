import type { DatabricksClient } from './databricks-client.js'
import { DBFS_MAX_READ, isResourceGone } from './databricks-client.js'
import type { EventLogManifest } from '../store/eventlog-files.js'
import type { LogSource } from '../log-sources/log-source.js'
import { downloadFromSource, type SourceDownloadOptions } from '../log-sources/download.js'

export { DEFAULT_MAX_EVENT_LOG_BYTES, EventLogRefused, type DownloadProgress } from '../log-sources/download.js'

/** DBFS as a log source: get-status for the size, 1 MiB base64 reads (the API's cap per call). */
export function dbfsSource (client: Pick<DatabricksClient, 'dbfsRead' | 'dbfsGetStatus'>): LogSource {
  return {
    kind: 'dbfs',
    label: 'DBFS',
    upstream: 'Databricks',
    chunkBytes: DBFS_MAX_READ,
    maxChunkBytes: DBFS_MAX_READ,
    async stat (path, o) {
      try {
        const st = await client.dbfsGetStatus(path, { signal: o.signal })
        return { size: st.fileSize, modificationTime: st.modificationTime }
      } catch (err) {
        if (isResourceGone(err)) return null
        throw err
      }
    },
    async read (path, offset, length, write, o) {
      // a DBFS read is one JSON answer of at most 1 MiB: decoded whole, then handed on
      const buf = await client.dbfsRead(path, offset, length, { signal: o.signal })
      if (buf.length > 0) await write(buf)
      return buf.length
    }
  }
}

export type DownloadOptions = Omit<SourceDownloadOptions, 'logSource'> & (
  | { client: Pick<DatabricksClient, 'dbfsRead' | 'dbfsGetStatus'>, logSource?: undefined }
  | { logSource: LogSource, client?: undefined }
)

/** Downloads a run's event log parts from DBFS (a client) or any other log source. */
export async function downloadEventLog (opts: DownloadOptions): Promise<EventLogManifest> {
  const { client, logSource, ...rest } = opts
  return await downloadFromSource({ ...rest, logSource: client !== undefined ? dbfsSource(client) : logSource })
}
