import { createReadStream } from 'node:fs'
import { createInflateRaw } from 'node:zlib'
import yauzl, { type Entry } from 'yauzl'
import { throughTransform } from './transform-iter.js'

/** One member of a zip archive, as listed by its central directory (zip64 included). */
export interface ZipEntry {
  name: string
  compressedSize: number
  uncompressedSize: number
  /** yauzl's entry, to open the member again on every read */
  entry: Entry
}

// History-server downloads set the data-descriptor flag (sizes 0 in the local headers): yauzl reads the
// central directory, so their sizes are right.
const open = (path: string) => yauzl.openPromise(path, { autoClose: false, strictFileNames: false })

/** Lists a zip's members from its central directory. */
export async function listZipEntries (path: string): Promise<ZipEntry[]> {
  const zip = await open(path).catch((err: Error) => {
    throw new Error(`not a zip archive, or one cut off (${err.message})`)
  })
  try {
    const entries: ZipEntry[] = []
    for await (const e of zip.eachEntry()) {
      entries.push({ name: e.fileName, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize, entry: e })
    }
    return entries
  } finally {
    zip.close()
  }
}

/**
 * The uncompressed bytes of one zip member, streamed (stored or deflated). yauzl finds where its data starts; the data
 * is read here in `chunkSize` slices (yauzl's own stream reads 16 KiB slices, 3x slower on big members), and a member
 * longer than the central directory says is damage.
 */
export async function * zipEntryBytes (path: string, entry: ZipEntry, chunkSize = 64 * 1024): AsyncGenerator<Buffer> {
  const e = entry.entry
  if (e.isEncrypted()) throw new Error(`zip member ${entry.name} is encrypted`)
  if (e.compressionMethod !== 0 && e.compressionMethod !== 8) throw new Error(`zip member ${entry.name}: compression method ${e.compressionMethod} is not supported`)
  if (entry.compressedSize === 0) return
  const zip = await open(path)
  let start: number
  try {
    start = (await zip.readLocalFileHeaderPromise(e, { minimal: true })).fileDataStart
  } finally {
    zip.close()
  }
  const raw = createReadStream(path, { start, end: start + entry.compressedSize - 1, highWaterMark: chunkSize })
  let bytes = 0
  for await (const c of e.compressionMethod === 0 ? raw : throughTransform(raw, createInflateRaw({ chunkSize }))) {
    bytes += (c as Buffer).length
    if (bytes > entry.uncompressedSize) throw new Error(`zip member ${entry.name} holds more than the ${entry.uncompressedSize} bytes its directory entry announces`)
    yield c as Buffer
  }
}

/** The first few uncompressed bytes of a zip member, to sniff its codec (empty when they cannot be read). */
export async function zipEntryHead (path: string, entry: ZipEntry, n = 16): Promise<Buffer> {
  const got: Buffer[] = []
  let len = 0
  try {
    for await (const c of zipEntryBytes(path, entry)) {
      got.push(c)
      len += c.length
      if (len >= n) break
    }
  } catch {
    // a member that cannot be read is reported as damage when it is read for real
  }
  return Buffer.concat(got).subarray(0, n)
}
