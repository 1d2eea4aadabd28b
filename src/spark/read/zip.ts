import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createInflateRaw, inflateRawSync, constants as zc } from 'node:zlib'
import { throughTransform } from './transform-iter.js'

/** One member of a zip archive, as listed by its central directory. */
export interface ZipEntry {
  name: string
  method: number
  compressedSize: number
  uncompressedSize: number
  localHeaderOffset: number
}

const EOCD_SIG = 0x06054b50
const CEN_SIG = 0x02014b50
const LOC_SIG = 0x04034b50

/**
 * Lists a zip's members from its central directory. The central directory is used rather than the local
 * headers because history-server downloads set the data-descriptor flag (sizes 0 in the local header).
 */
export async function listZipEntries (path: string, size: number): Promise<ZipEntry[]> {
  const fh = await open(path, 'r')
  try {
    const tailLen = Math.min(size, 22 + 0xffff)
    const tail = Buffer.alloc(tailLen)
    await fh.read(tail, 0, tailLen, size - tailLen)
    let eocd = -1
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i
        break
      }
    }
    if (eocd < 0) throw new Error('not a zip archive (no end-of-central-directory record)')
    const count = tail.readUInt16LE(eocd + 10)
    const cdSize = tail.readUInt32LE(eocd + 12)
    const cdOffset = tail.readUInt32LE(eocd + 16)
    if (cdOffset === 0xffffffff || count === 0xffff) throw new Error('zip64 archives are not supported')
    if (cdOffset + cdSize > size) throw new Error('zip central directory lies beyond the end of the file')
    const cd = Buffer.alloc(cdSize)
    await fh.read(cd, 0, cdSize, cdOffset)
    const entries: ZipEntry[] = []
    let p = 0
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CEN_SIG) throw new Error('corrupt zip central directory')
      const nameLen = cd.readUInt16LE(p + 28)
      const extraLen = cd.readUInt16LE(p + 30)
      const commentLen = cd.readUInt16LE(p + 32)
      entries.push({
        method: cd.readUInt16LE(p + 10),
        compressedSize: cd.readUInt32LE(p + 20),
        uncompressedSize: cd.readUInt32LE(p + 24),
        localHeaderOffset: cd.readUInt32LE(p + 42),
        name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      })
      p += 46 + nameLen + extraLen + commentLen
    }
    return entries
  } finally {
    await fh.close()
  }
}

async function dataStart (path: string, entry: ZipEntry): Promise<number> {
  const fh = await open(path, 'r')
  try {
    const h = Buffer.alloc(30)
    const { bytesRead } = await fh.read(h, 0, 30, entry.localHeaderOffset)
    if (bytesRead < 30 || h.readUInt32LE(0) !== LOC_SIG) throw new Error(`zip member ${entry.name}: bad local header`)
    return entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28)
  } finally {
    await fh.close()
  }
}

/** The uncompressed bytes of one zip member, streamed. */
export async function * zipEntryBytes (path: string, entry: ZipEntry, chunkSize = 64 * 1024): AsyncGenerator<Buffer> {
  if (entry.method !== 0 && entry.method !== 8) throw new Error(`zip member ${entry.name}: compression method ${entry.method} is not supported`)
  if (entry.compressedSize === 0) return
  const start = await dataStart(path, entry)
  const raw = createReadStream(path, { start, end: start + entry.compressedSize - 1, highWaterMark: chunkSize })
  if (entry.method === 0) {
    for await (const c of raw) yield c as Buffer
  } else {
    yield * throughTransform(raw, createInflateRaw())
  }
}

/** The first few uncompressed bytes of a zip member, to sniff its codec. */
export async function zipEntryHead (path: string, entry: ZipEntry, n = 16): Promise<Buffer> {
  if (entry.compressedSize === 0) return Buffer.alloc(0)
  const start = await dataStart(path, entry)
  const fh = await open(path, 'r')
  try {
    const want = entry.method === 0 ? n : Math.min(entry.compressedSize, 4096)
    const b = Buffer.alloc(want)
    const { bytesRead } = await fh.read(b, 0, want, start)
    if (entry.method === 0) return b.subarray(0, bytesRead)
    try {
      // A sync flush lets a prefix of the deflate stream decode without its end.
      return inflateRawSync(b.subarray(0, bytesRead), { finishFlush: zc.Z_SYNC_FLUSH }).subarray(0, n)
    } catch {
      return Buffer.alloc(0)
    }
  } finally {
    await fh.close()
  }
}
