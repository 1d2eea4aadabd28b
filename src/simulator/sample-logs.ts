import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { createGzip } from 'node:zlib'
import { DecompressStream } from 'zstd-napi'

/** bump when the way parts are cut changes, so old caches are not reused */
const CACHE_VERSION = 'v1'
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
  'yarn-exec-lost': { file: 'application_1538416563558_0014', codec: 'plain', parts: 1 },
  'exec-removed-3nodes': { file: 'eventlog_3nodes_12cores_exec_removed', codec: 'plain', parts: 1 },
  'photon-small': { file: 'photon_eventlog.zstd', codec: 'zstd', parts: 1 },
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

  parts (id: string): Promise<DiskPart[]> {
    let p = this.pending.get(id)
    if (!p) {
      p = this.materialise(id)
      // a failed build may be retried by the next request
      p.catch(() => this.pending.delete(id))
      this.pending.set(id, p)
    }
    return p
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
      await writeFile(join(work, 'manifest.json'), JSON.stringify(manifest))
      try {
        await rename(work, final)
      } catch {
        // another process won the race: use its copy
        await rm(work, { recursive: true, force: true })
      }
      const done = await this.readManifest(final)
      if (!done) throw new Error(`sample event log ${id}: cache not readable in ${final}`)
      return done
    } catch (err) {
      await rm(work, { recursive: true, force: true })
      throw err
    }
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
