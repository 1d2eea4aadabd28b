import { UpstreamError } from '../http/upstream-error.js'
import { isS3NotFound, type S3Client, type S3Place } from '../s3/s3-client.js'
import { FileChanged, type LogSource } from './log-source.js'

/*
 * An S3 bucket as a log source and as a folder tree. S3 has no folders: a "directory" is a key prefix listed with
 * the "/" delimiter (its CommonPrefixes are the sub-folders), and an empty one does not exist.
 */

/** Ranged GETs of 8 MiB: few requests per part, bounded memory (concurrency x this). */
export const S3_CHUNK = 8 * 1024 * 1024

/** One entry of a folder listing, in the shape the locator reads for every store. */
export interface FolderEntry {
  /** the key without a trailing slash (a folder's prefix minus its "/") */
  path: string
  isDir: boolean
  fileSize: number
  modificationTime: number | null
}

/** A bucket as a log source: HEAD for the size and ETag, ranged GETs If-Match that ETag. */
export function s3Source (s3: Pick<S3Client, 'head' | 'getRangeTo'>, place: S3Place): LogSource {
  return {
    kind: 's3',
    label: `the S3 bucket ${place.bucket}`,
    upstream: 'S3',
    chunkBytes: S3_CHUNK,
    maxChunkBytes: 64 * 1024 * 1024,
    async stat (key, o) {
      try {
        const h = await s3.head(place, key, { signal: o.signal })
        return { size: h.size, modificationTime: h.lastModified, validator: h.etag }
      } catch (err) {
        if (isS3NotFound(err)) return null
        throw err
      }
    },
    async read (key, offset, length, write, o) {
      try {
        return await s3.getRangeTo(place, key, offset, length, write, { signal: o.signal, etag: o.validator ?? null })
      } catch (err) {
        // If-Match failed: the object was rewritten since its HEAD
        if (err instanceof UpstreamError && err.status === 412) throw new FileChanged(`${key} changed in the S3 bucket ${place.bucket} during the download: download it again`)
        throw err
      }
    }
  }
}

/** The entries directly under `folder` (a key prefix without its trailing slash), or null when nothing is there. */
export async function listS3Folder (s3: Pick<S3Client, 'list'>, place: S3Place, folder: string, signal?: AbortSignal): Promise<FolderEntry[] | null> {
  const prefix = folder === '' ? '' : `${folder.replace(/\/+$/, '')}/`
  const { objects, commonPrefixes } = await s3.list(place, prefix, { delimiter: '/', signal })
  const entries: FolderEntry[] = [
    ...commonPrefixes.map((p) => ({ path: p.replace(/\/+$/, ''), isDir: true, fileSize: 0, modificationTime: null })),
    // a zero-byte "folder marker" object (some tools write them) is not a file
    ...objects.filter((o) => o.key !== prefix && !o.key.endsWith('/')).map((o) => ({ path: o.key, isDir: false, fileSize: o.size, modificationTime: o.lastModified }))
  ]
  return entries.length === 0 ? null : entries
}
