import { open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { bytes } from '../shared/format.js'
import { codecFromName, type StoredCodec } from '../spark/read/codec.js'
import { FILE_MODE, syncDir, tempPathFor } from './atomic-write.js'
import { EmptyUploadError, UploadTooLargeError } from './errors.js'
import { validateSegment } from './flow-dir-name.js'
import type { EventLogFiles, EventLogManifest } from './eventlog-files.js'

/*
 * "Bring your own log": a file the user uploads on a run's page becomes that run's event log. It is streamed into a
 * temp file in the run's event log folder (named as writeFileAtomic names its temp files, so the start-up sweep
 * removes what a killed process left), cut off past the size limit, fsynced, then renamed to `uploaded-eventlog<.codec>`
 * and described by a new manifest.json: the upload replaces the log downloaded before (its parts are removed).
 * The client's file name never reaches the file system: it is kept as a display name in the manifest only.
 */

/** Manifest source.destination of an uploaded log. */
export const UPLOAD_DESTINATION = 'upload'
const STEM = 'uploaded-eventlog'
const SUFFIX: Record<StoredCodec, string> = { none: '', gzip: '.gz', zstd: '.zst', lz4: '.lz4', snappy: '.snappy', lzf: '.lzf', zip: '.zip' }
const MAX_DISPLAY = 200

/** True for a manifest that describes an uploaded file. */
export function isUploadManifest (m: Pick<EventLogManifest, 'source'>): boolean {
  return m.source.destination === UPLOAD_DESTINATION
}

/**
 * What is shown of the client's file name: its last path component, without control, zero-width or bidi-override
 * characters, at most 200 characters; "event log" when nothing is left.
 */
export function uploadDisplayName (clientName: string): string {
  const last = clientName.normalize('NFC').split(/[/\\]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  const clean = last.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, '').trim()
  const chars = [...clean]
  const shown = chars.length > MAX_DISPLAY ? chars.slice(0, MAX_DISPLAY - 1).join('') + '…' : clean
  return shown === '' ? 'event log' : shown
}

/**
 * The name the upload is kept under: a fixed stem plus the codec suffix the client's name carries (the readers
 * recognise a codec by its magic bytes first; the suffix keeps a magic-less codec readable), never the name itself.
 */
export function uploadPartName (clientName: string): string {
  const codec = codecFromName(uploadDisplayName(clientName))
  return `${STEM}${codec === undefined ? '' : SUFFIX[codec]}`
}

export interface ReceiveUploadOptions {
  /** the file name the browser sent (display only) */
  clientName: string
  /** the most bytes kept; one more cuts the upload off */
  maxBytes: number
  signal?: AbortSignal
  /** bytes received so far */
  onProgress?: (bytes: number) => void
}

/** The answer to an upload past the limit (the route also gives it when Content-Length already says so). */
export function uploadTooLarge (maxBytes: number): UploadTooLargeError {
  return new UploadTooLargeError(maxBytes, `The file is larger than ${bytes(maxBytes)}, the most EVENTLOG_UPLOAD_MAX_MB allows: the upload was cut off and nothing of it was kept. Raise EVENTLOG_UPLOAD_MAX_MB (settings page or .env) if the log really is that large.`)
}

/**
 * Streams an uploaded file into the run's event log folder and makes it the run's log (see above); returns the new
 * manifest. Oversize (UploadTooLargeError), empty (EmptyUploadError), cancelled or failed uploads leave nothing
 * behind and the previous log untouched.
 */
export async function receiveUpload (files: EventLogFiles, source: AsyncIterable<Uint8Array>, opts: ReceiveUploadOptions): Promise<EventLogManifest> {
  const name = validateSegment(uploadPartName(opts.clientName), 'fileName')
  const final = join(files.dir, name)
  const tmp = tempPathFor(final)
  let size = 0
  try {
    const fh = await open(tmp, 'wx', FILE_MODE)
    try {
      for await (const chunk of source) {
        if (opts.signal?.aborted === true) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('upload cancelled')
        size += chunk.length
        if (size > opts.maxBytes) throw uploadTooLarge(opts.maxBytes)
        let done = 0
        while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done)).bytesWritten
        opts.onProgress?.(size)
      }
      if (opts.signal?.aborted === true) throw new Error('upload cancelled')
      if (size === 0) throw new EmptyUploadError('The uploaded file is empty (0 bytes): choose the Spark event log file to analyse.')
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, final)
    await syncDir(files.dir)
    const manifest: EventLogManifest = {
      schemaVersion: 1,
      source: { destination: UPLOAD_DESTINATION, folder: null, clusterId: null, sparkContextId: null },
      parts: [{ name, dbfsPath: uploadDisplayName(opts.clientName), size, modificationTime: Date.now() }],
      totalBytes: size,
      completedAt: new Date().toISOString()
    }
    // replaces the log downloaded before: its parts go once the manifest no longer names them
    await files.writeManifest(manifest)
    return manifest
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {})
    throw err
  }
}
