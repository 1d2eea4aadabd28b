import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { createDeflateRaw, crc32 } from 'node:zlib'
import { DecompressStream } from 'zstd-napi'
import { SAMPLE_DIR } from './sample-logs.js'
import { shiftEventBlock } from './shift-log.js'
import { HISTORY_SAMPLES, type HistorySample, type HistorySampleId } from './history-samples.js'

/*
 * The simulated on-prem History Server's event logs: real YARN logs from sample-data/eventlogs (see ATTRIBUTION.md
 * there), each moved to the time of the simulated run it belongs to, served as Spark's /logs endpoint does: a zip
 * holding the attempt's event log file. Built on first request and kept in memory.
 */

export interface HistoryZip {
  bytes: Buffer
  /** strong validator: the zip is a pure function of its inputs */
  etag: string
  mtime: number
}

/** A one-member zip (deflated, data descriptor after the data, as java.util.zip.ZipOutputStream writes it). */
async function zipOf (lines: AsyncIterable<string>, member: string, mtime: number): Promise<Buffer> {
  const out: Buffer[] = []
  const name = Buffer.from(member, 'utf8')
  const d = new Date(mtime)
  const dosTime = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2)
  const dosDate = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate()
  const local = Buffer.alloc(30)
  local.writeUInt32LE(0x04034b50, 0)
  local.writeUInt16LE(20, 4)
  local.writeUInt16LE(0x0808, 6) // data descriptor + UTF-8 names
  local.writeUInt16LE(8, 8)
  local.writeUInt16LE(dosTime, 10)
  local.writeUInt16LE(dosDate, 12)
  local.writeUInt16LE(name.length, 26)
  out.push(local, name)
  let crc = 0
  let raw = 0
  let packed = 0
  const deflate = createDeflateRaw({ level: 1 })
  const drained = (async () => {
    for await (const c of deflate) {
      packed += (c as Buffer).length
      out.push(c as Buffer)
    }
  })()
  for await (const line of lines) {
    const b = Buffer.from(line + '\n', 'utf8')
    crc = crc32(b, crc)
    raw += b.length
    if (!deflate.write(b)) await new Promise<void>((resolve) => deflate.once('drain', resolve))
  }
  deflate.end()
  await drained
  const desc = Buffer.alloc(16)
  desc.writeUInt32LE(0x08074b50, 0)
  desc.writeUInt32LE(crc >>> 0, 4)
  desc.writeUInt32LE(packed, 8)
  desc.writeUInt32LE(raw, 12)
  const cenOffset = 30 + name.length + packed + 16
  const cen = Buffer.alloc(46)
  cen.writeUInt32LE(0x02014b50, 0)
  cen.writeUInt16LE(20, 4)
  cen.writeUInt16LE(20, 6)
  cen.writeUInt16LE(0x0808, 8)
  cen.writeUInt16LE(8, 10)
  cen.writeUInt16LE(dosTime, 12)
  cen.writeUInt16LE(dosDate, 14)
  cen.writeUInt32LE(crc >>> 0, 16)
  cen.writeUInt32LE(packed, 20)
  cen.writeUInt32LE(raw, 24)
  cen.writeUInt16LE(name.length, 28)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(1, 8)
  end.writeUInt16LE(1, 10)
  end.writeUInt32LE(46 + name.length, 12)
  end.writeUInt32LE(cenOffset, 16)
  out.push(desc, cen, name, end)
  return Buffer.concat(out)
}

// zips are a few MB at most; the last few built are kept (a download, its resume, a second viewer)
const KEEP = 6

/** The zips the simulated History Server hands out, built on first request and kept in memory. */
export class HistoryLogs {
  private readonly built = new Map<string, Promise<HistoryZip>>()

  /** The zip of `sample` as application `app` (attempt), its times moved by `shiftMs`. */
  zip (sample: HistorySampleId, shiftMs: number, app: { id: string, name: string, user: string }, attemptId: string | null): Promise<HistoryZip> {
    const key = `${sample}~${shiftMs}~${app.id}~${attemptId ?? ''}`
    let p = this.built.get(key)
    if (p === undefined) {
      p = this.build(sample, shiftMs, app, attemptId, key)
      p.catch(() => this.built.delete(key))
      this.built.set(key, p)
      for (const k of this.built.keys()) {
        if (this.built.size <= KEEP) break
        this.built.delete(k)
      }
    }
    return p
  }

  private async build (sample: HistorySampleId, shiftMs: number, app: { id: string, name: string, user: string }, attemptId: string | null, key: string): Promise<HistoryZip> {
    const def: HistorySample = HISTORY_SAMPLES[sample]
    let src: Readable = createReadStream(join(SAMPLE_DIR, def.file))
    if (def.codec === 'zstd') src = src.pipe(new DecompressStream())
    const opts = { shiftMs, appId: app.id, attemptId, appName: app.name, user: app.user }
    // whole blocks of lines at a time: one regular expression pass per block is what keeps a 40 MB log fast
    async function * shifted (): AsyncGenerator<string> {
      let rest = ''
      for await (const chunk of src) {
        const text = rest + (chunk as Buffer).toString('utf8')
        const cut = text.lastIndexOf('\n')
        if (cut === -1) { rest = text; continue }
        rest = text.slice(cut + 1)
        yield shiftEventBlock(text.slice(0, cut), opts)
      }
      if (rest !== '') yield shiftEventBlock(rest, opts)
    }
    const mtime = def.endTime + shiftMs
    // Spark names the member after the log file: <appId>[_<attempt>]
    const bytes = await zipOf(shifted(), `${app.id}${attemptId === null ? '' : `_${attemptId}`}`, mtime)
    return { bytes, etag: `"${key.replace(/[^A-Za-z0-9._~-]/g, '_')}"`, mtime }
  }
}
