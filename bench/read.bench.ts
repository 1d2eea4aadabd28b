// Decompression throughput of openEventLog on the big fixtures, plus the pure-TS block codecs on the derived files.
// Peak RSS is the process maximum so far, so the inputs run smallest-footprint first.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openEventLog } from '../src/eventlog/read/index.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const fixtures = join(process.env.TRI_FIXTURES ?? resolve(repoRoot, '../shared/fixtures'), 'eventlogs')
const q = join(fixtures, 'spark-rapids-tools/spark-events-qualification')

async function measure(label: string, path: string, repeat = 1): Promise<void> {
  let bytes = 0
  let lines = 0
  let damage = 0
  const t0 = performance.now()
  for (let r = 0; r < repeat; r++) {
    const src = await openEventLog(path)
    for await (const { data } of src.chunks()) {
      bytes += data.length
      for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) lines++
    }
    damage += src.damage.length
  }
  const s = (performance.now() - t0) / 1000
  const mb = bytes / 1e6
  const rssMb = process.resourceUsage().maxRSS / 1024
  console.log(
    `${label.padEnd(34)} ${mb.toFixed(1).padStart(7)} MB  ${s.toFixed(2).padStart(6)} s  ${(mb / s).toFixed(0).padStart(5)} MB/s  ` +
      `lines ${lines}  damage ${damage}  peak RSS ${rssMb.toFixed(0)} MB`,
  )
}

await measure('lzf (derived, x200)', join(fixtures, 'derived/local-1430917381534.lzf'), 200)
await measure('snappy (derived, x200)', join(fixtures, 'derived/app-20161115172038-0000.snappy'), 200)
await measure('lz4 (derived, x200)', join(fixtures, 'derived/application_1538416563558_0014.lz4'), 200)
await measure('gzip eventlog-2021-06-15--15-00.gz', join(q, 'db_sim_eventlog/eventlog-2021-06-15--15-00.gz'))
await measure('zstd nds_q88_photon_db_13_3.zstd', join(q, 'nds_q88_photon_db_13_3.zstd'))
