import type { DatabricksClient } from './databricks-client.js'
import { isResourceGone, VOLUME_CHUNK, volumeName } from './databricks-client.js'
import type { LogSource } from '../log-sources/log-source.js'

/**
 * A Unity Catalog volume as a log source, through the Files API: HEAD for the size and last-modified, ranged GETs
 * (8 MiB, If-Unmodified-Since the HEAD's last-modified, so a file rewritten mid-download is noticed, not mixed).
 */
export function volumeSource (client: Pick<DatabricksClient, 'filesGetMetadata' | 'filesReadTo'>, destination: string): LogSource {
  return {
    kind: 'volume',
    label: `the volume ${volumeName(destination)}`,
    upstream: 'Databricks',
    chunkBytes: VOLUME_CHUNK,
    maxChunkBytes: 64 * 1024 * 1024,
    async stat (path, o) {
      try {
        const m = await client.filesGetMetadata(path, { signal: o.signal })
        return { size: m.size, modificationTime: m.modificationTime, validator: m.lastModified }
      } catch (err) {
        if (isResourceGone(err)) return null
        throw err
      }
    },
    async read (path, offset, length, write, o) {
      return await client.filesReadTo(path, offset, length, write, { signal: o.signal, ifUnmodifiedSince: o.validator ?? null })
    }
  }
}
