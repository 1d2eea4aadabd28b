import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { Transform, type Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip, createGzip } from 'node:zlib'
import { DecompressStream } from 'zstd-napi'
import { shiftEventBlock } from './shift-log.js'

/** bump when the way parts are cut changes, so old caches are not reused */
const CACHE_VERSION = 'v1'
/** shifted copies kept in the cache (a big sample's copy is ~60 MB) */
const KEEP_SHIFTED = 8
export const SAMPLE_DIR = fileURLToPath(new URL('../../sample-data/eventlogs/', import.meta.url))

interface SampleDef {
  /** file under sample-data/eventlogs */
  file: string
  codec: 'plain' | 'zstd'
  /** Databricks parts: parts-1 rolled .gz segments, then the plain `eventlog` */
  parts: number
}

/** Already in Databricks' layout: served as-is, oldest first */
const AS_IS: Record<string, string[]> = {
  dbsim: ['db_sim_eventlog/eventlog-2021-06-15--15-00.gz', 'db_sim_eventlog/eventlog'],
}

const SAMPLES: Record<string, SampleDef> = {
  'db-11.3-subexec': { file: 'db_subExecution_id.zstd', codec: 'zstd', parts: 2 },
  'db-10.4-xgboost': { file: 'xgboost_eventlog.zstd', codec: 'zstd', parts: 1 },
  'db-13.3-photon-q88': { file: 'nds_q88_photon_db_13_3.zstd', codec: 'zstd', parts: 3 },
  'exec-fail': { file: 'tasks_executors_fail_compressed_eventlog.zstd', codec: 'zstd', parts: 3 },
  'photon-small': { file: 'photon_eventlog.zstd', codec: 'zstd', parts: 1 },
}

/**
 * What a simulated cluster must be for a sample to be its believable log: the Databricks runtime whose Spark is the
 * log's (the log's own `clusterUsageTags.sparkVersion` when it has one, else the runtime that shipped its Spark
 * version, per the Databricks runtime release notes: 8.0 → 3.1.1, 10.4 → 3.2.1, 11.3 → 3.3.0, 13.3 → 3.4.1), the
 * engine, node types when the runtime needs them (aarch64 Photon runs on Graviton), and the span of its timestamps
 * (first and last epoch ms in the log, as recorded; a test reads them back from the logs).
 */
export interface SampleInfo {
  sparkVersion: string
  runtime: string
  engine: 'STANDARD' | 'PHOTON'
  nodeType?: string
  driverNodeType?: string
  firstMs: number
  lastMs: number
  /** where it came from (see sample-data/eventlogs/ATTRIBUTION.md) */
  source: string
}

export const SAMPLE_INFO: Record<string, SampleInfo> = {
  dbsim: { sparkVersion: '3.1.1', runtime: '8.0.x-scala2.12', engine: 'STANDARD', firstMs: 1623876083370, lastMs: 1623876217227, source: 'NVIDIA/spark-rapids-tools (Apache-2.0) db_sim_eventlog' },
  'db-11.3-subexec': { sparkVersion: '3.3.0', runtime: '11.3.x-scala2.12', engine: 'STANDARD', firstMs: 1707850698237, lastMs: 1707851043846, source: 'NVIDIA/spark-rapids-tools (Apache-2.0) db_subExecution_id.zstd' },
  'db-10.4-xgboost': { sparkVersion: '3.2.1', runtime: '10.4.x-cpu-ml-scala2.12', engine: 'STANDARD', firstMs: 1671662138929, lastMs: 1671662962490, source: 'NVIDIA/spark-rapids-tools (Apache-2.0) xgboost_eventlog.zstd' },
  'db-13.3-photon-q88': { sparkVersion: '3.4.1', runtime: '13.3.x-aarch64-photon-scala2.12', engine: 'PHOTON', nodeType: 'm6gd.2xlarge', driverNodeType: 'm6gd.xlarge', firstMs: 1726763195840, lastMs: 1726763613590, source: 'NVIDIA/spark-rapids-tools (Apache-2.0) nds_q88_photon_db_13_3.zstd' },
  'exec-fail': { sparkVersion: '3.1.1', runtime: '8.0.x-scala2.12', engine: 'STANDARD', firstMs: 1623285329454, lastMs: 1623285426976, source: 'NVIDIA/spark-rapids-tools (Apache-2.0) tasks_executors_fail_compressed_eventlog.zstd' },
  // an edited test log: Photon 13.3 properties but a Spark 3.1.1 LogStart; only the earlier driver of a restarted cluster
  'photon-small': { sparkVersion: '3.1.1', runtime: '13.3.x-photon-scala2.12', engine: 'PHOTON', firstMs: 1629446105772, lastMs: 1629446123470, source: 'NVIDIA/spark-rapids-tools (Apache-2.0) photon_eventlog.zstd' },
}

/** The Spark version each Databricks runtime ships (Databricks runtime release notes). */
export const RUNTIME_SPARK: Record<string, string> = {
  '8.0': '3.1.1',
  10.4: '3.2.1',
  11.3: '3.3.0',
  12.2: '3.3.2',
  13.3: '3.4.1',
  14.3: '3.5.0',
  15.4: '3.5.0',
}

/** "13.3.x-aarch64-photon-scala2.12" -> "3.4.1"; null for a runtime not in the table */
export function sparkOfRuntime (runtime: string): string | null {
  const m = /^(\d+\.\d+)\./.exec(runtime)
  return m === null ? null : RUNTIME_SPARK[m[1] ?? ''] ?? null
}

/** A byte range of a file on disk: one DBFS file */
export interface DiskPart {
  path: string
  offset: number
  size: number
  gz: boolean
}

export const SAMPLE_IDS = [...Object.keys(AS_IS), ...Object.keys(SAMPLES)]

/**
 * Real event logs turned into Databricks parts. Decompressing and gzipping the big ones takes a few seconds, so it
 * happens lazily (first DBFS access), once per machine (a cache dir shared by processes, written atomically), and
 * never in memory: DBFS reads are served from these files by offset.
 */
export class SampleLogs {
  private readonly root: string
  private readonly pending = new Map<string, Promise<DiskPart[]>>()

  constructor (opts: { cacheDir?: string | undefined } = {}) {
    this.root = join(opts.cacheDir ?? join(tmpdir(), 'tri-tracker-sim-cache'), CACHE_VERSION)
  }

  partCount (id: string): number {
    const asIs = AS_IS[id]
    if (asIs) return asIs.length
    const def = SAMPLES[id]
    if (!def) throw new Error(`unknown sample event log ${id}`)
    return def.parts
  }

  /**
   * The sample's Databricks parts; with `shiftMs`, every timestamp moved by that much (shift-log.ts), built once
   * per (sample, shift) into the cache from the unshifted parts and kept while recently used.
   */
  parts (id: string, shiftMs = 0): Promise<DiskPart[]> {
    const key = shiftMs === 0 ? id : `${id}@${shiftMs}`
    let p = this.pending.get(key)
    if (!p) {
      p = shiftMs === 0 ? this.materialise(id) : this.materialiseShifted(id, shiftMs, key)
      // a failed build may be retried by the next request
      p.catch(() => this.pending.delete(key))
      this.pending.set(key, p)
    }
    return p
  }

  private async materialiseShifted (id: string, shiftMs: number, key: string): Promise<DiskPart[]> {
    const base = await this.parts(id)
    const final = join(this.root, 'shifted', key)
    const cached = await this.readManifest(final)
    if (cached) {
      await utimes(final, new Date(), new Date()).catch(() => {})
      return cached
    }
    await mkdir(join(this.root, 'shifted'), { recursive: true })
    const work = join(this.root, 'shifted', `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`)
    await mkdir(work, { recursive: true })
    try {
      const manifest: Array<{ file: string; offset: number; size: number; gz: boolean }> = []
      for (const [i, part] of base.entries()) {
        const file = `part-${i}${part.gz ? '.gz' : ''}`
        let src: Readable = createReadStream(part.path, { start: part.offset, end: part.offset + part.size - 1 })
        if (part.gz) src = src.pipe(createGunzip())
        if (part.size === 0) await writeFile(join(work, file), '')
        else if (part.gz) await pipeline(src, shiftLines(shiftMs), createGzip({ level: 1 }), createWriteStream(join(work, file)))
        else await pipeline(src, shiftLines(shiftMs), createWriteStream(join(work, file)))
        manifest.push({ file, offset: 0, size: (await stat(join(work, file))).size, gz: part.gz })
      }
      const done = await this.publish(work, final, manifest, key)
      await this.pruneShifted()
      return done
    } catch (err) {
      await rm(work, { recursive: true, force: true })
      throw err
    }
  }

  /** keeps the most recently used shifted copies; older ones go once nobody used them for a while */
  private async pruneShifted (): Promise<void> {
    const dir = join(this.root, 'shifted')
    const entries = await Promise.all((await readdir(dir)).filter((n) => !n.startsWith('.')).map(async (n) => ({ n, t: (await stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })))
    entries.sort((a, b) => b.t - a.t)
    for (const e of entries.slice(KEEP_SHIFTED)) {
      if (Date.now() - e.t > 10 * 60_000) await rm(join(dir, e.n), { recursive: true, force: true })
    }
  }

  private async materialise (id: string): Promise<DiskPart[]> {
    const asIs = AS_IS[id]
    if (asIs) {
      return Promise.all(
        asIs.map(async (f) => {
          const path = join(SAMPLE_DIR, f)
          return { path, offset: 0, size: (await stat(path)).size, gz: f.endsWith('.gz') }
        })
      )
    }
    const def = SAMPLES[id]
    if (!def) throw new Error(`unknown sample event log ${id}`)
    const src = join(SAMPLE_DIR, def.file)
    if (def.codec === 'plain' && def.parts === 1) return [{ path: src, offset: 0, size: (await stat(src)).size, gz: false }]
    const final = join(this.root, id)
    const cached = await this.readManifest(final)
    if (cached) return cached
    await mkdir(this.root, { recursive: true })
    const work = join(this.root, `.tmp-${id}-${process.pid}-${randomBytes(4).toString('hex')}`)
    await mkdir(work, { recursive: true })
    try {
      let plain = src
      if (def.codec === 'zstd') {
        plain = join(work, 'plain')
        await pipeline(createReadStream(src), new DecompressStream(), createWriteStream(plain))
      }
      const size = (await stat(plain)).size
      const cuts = [0, ...(await lineCuts(plain, size, def.parts)), size]
      const manifest: Array<{ file: string; offset: number; size: number; gz: boolean }> = []
      for (let i = 0; i < def.parts; i++) {
        const from = cuts[i] ?? 0
        const to = cuts[i + 1] ?? size
        if (i < def.parts - 1) {
          const file = `part-${i}.gz`
          await pipeline(createReadStream(plain, { start: from, end: to - 1 }), createGzip({ level: 1 }), createWriteStream(join(work, file)))
          manifest.push({ file, offset: 0, size: (await stat(join(work, file))).size, gz: true })
        } else {
          manifest.push({ file: plain === src ? src : 'plain', offset: from, size: to - from, gz: false })
        }
      }
      return await this.publish(work, final, manifest, id)
    } catch (err) {
      await rm(work, { recursive: true, force: true })
      throw err
    }
  }

  /** moves a finished build in place atomically (or uses the copy another process finished first) */
  private async publish (work: string, final: string, manifest: Array<{ file: string; offset: number; size: number; gz: boolean }>, key: string): Promise<DiskPart[]> {
    await writeFile(join(work, 'manifest.json'), JSON.stringify(manifest))
    try {
      await rename(work, final)
    } catch {
      // another process won the race: use its copy
      await rm(work, { recursive: true, force: true })
    }
    const done = await this.readManifest(final)
    if (!done) throw new Error(`sample event log ${key}: cache not readable in ${final}`)
    return done
  }

  private async readManifest (dir: string): Promise<DiskPart[] | null> {
    try {
      const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Array<{ file: string; offset: number; size: number; gz: boolean }>
      const parts: DiskPart[] = []
      for (const e of m) {
        const path = e.file.startsWith('/') ? e.file : join(dir, e.file)
        const st = await stat(path)
        if (st.size < e.offset + e.size) return null
        parts.push({ path, offset: e.offset, size: e.size, gz: e.gz })
      }
      return parts
    } catch {
      return null
    }
  }
}

/** line-aligned blocks of an event log with every timestamp moved by shiftMs (shift-log.ts) */
function shiftLines (shiftMs: number): Transform {
  let rest = ''
  const utf8 = new StringDecoder('utf8')
  return new Transform({
    transform (chunk: Buffer, _enc, done) {
      const text = rest + utf8.write(chunk)
      const cut = text.lastIndexOf('\n')
      if (cut === -1) {
        rest = text
        done()
        return
      }
      rest = text.slice(cut + 1)
      done(null, shiftEventBlock(text.slice(0, cut + 1), { shiftMs }))
    },
    flush (done) {
      rest += utf8.end()
      done(null, rest === '' ? undefined : shiftEventBlock(rest, { shiftMs }))
    },
  })
}

/** offsets just after a newline near each 1/n of the file: Databricks rolls parts on event boundaries */
async function lineCuts (path: string, size: number, parts: number): Promise<number[]> {
  const fh = await open(path, 'r')
  try {
    const cuts: number[] = []
    const buf = Buffer.alloc(1 << 20)
    for (let i = 1; i < parts; i++) {
      let pos = Math.floor((size * i) / parts)
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
        if (bytesRead === 0) throw new Error(`no line break after offset ${pos} in ${path}`)
        const nl = buf.subarray(0, bytesRead).indexOf(10)
        if (nl !== -1) {
          cuts.push(pos + nl + 1)
          break
        }
        pos += bytesRead
      }
    }
    return cuts
  } finally {
    await fh.close()
  }
}
