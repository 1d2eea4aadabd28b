// Decompression throughput of openEventLog on the big fixtures, plus the pure-TS block codecs on the derived files.
// Peak RSS is the process maximum so far, so the inputs run smallest-footprint first.
import { spawnSync } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { openEventLog } from '../src/spark/read/index.js'
import { bigLz4, bigSnappy } from './codec-inputs.js'
import { EVENTLOGS } from '../test/helper-fixtures.js'

const fixtures = EVENTLOGS
const q = join(fixtures, 'spark-rapids-tools/spark-events-qualification')

async function measure (label: string, path: string, repeat = 1): Promise<void> {
  let bytes = 0
  let lines = 0
  let damage = 0
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  for (let r = 0; r < repeat; r++) {
    const src = await openEventLog(path)
    for await (const { data } of src.chunks()) {
      bytes += data.length
      for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) lines++
    }
    damage += src.damage.length
  }
  const s = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(c0)
  // CPU seconds (all threads of the process) vary less than wall time on a busy machine.
  const cpuS = (cpu.user + cpu.system) / 1e6
  const mb = bytes / 1e6
  const rssMb = process.resourceUsage().maxRSS / 1024
  console.log(
    `${label.padEnd(34)} ${mb.toFixed(1).padStart(7)} MB  ${s.toFixed(2).padStart(6)} s  ${(mb / s).toFixed(0).padStart(5)} MB/s  ` +
      `cpu ${cpuS.toFixed(2).padStart(5)} s ${(mb / cpuS).toFixed(0).padStart(5)} MB/cpu-s  ` +
      `lines ${lines}  damage ${damage}  peak RSS ${rssMb.toFixed(0)} MB`
  )
}

await measure('lzf (derived, x200)', join(fixtures, 'derived/local-1430917381534.lzf'), 200)
await measure('snappy (derived, x200)', join(fixtures, 'derived/app-20161115172038-0000.snappy'), 200)
await measure('lz4 (derived, x200)', join(fixtures, 'derived/application_1538416563558_0014.lz4'), 200)
await measure('zip sparklint (deflate, x50)', join(fixtures, 'sparklint/eventLogs-application_1489705648216_1600.zip'), 50)
await measure('gzip eventlog-2021-06-15--15-00.gz', join(q, 'db_sim_eventlog/eventlog-2021-06-15--15-00.gz'))
await measure('zstd nds_q88_photon_db_13_3.zstd', join(q, 'nds_q88_photon_db_13_3.zstd'))

const tmp = await mkdtemp(join(tmpdir(), 'tri-read-bench-'))
try {
  const plainPath = join(tmp, 'nds_q88.json')
  const sink = createWriteStream(plainPath)
  for await (const { data } of (await openEventLog(join(q, 'nds_q88_photon_db_13_3.zstd'))).chunks()) {
    if (!sink.write(data)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()))
  }
  sink.end()
  await finished(sink)
  await measure('plain nds_q88 (142 MB)', plainPath)
  const snappyPath = join(tmp, 'nds_q88.snappy')
  await bigSnappy(plainPath, snappyPath)
  await measure('snappy nds_q88 (32 KiB blocks)', snappyPath)
  const lz4Path = join(tmp, 'nds_q88.lz4')
  if (await bigLz4(plainPath, lz4Path)) await measure('lz4 nds_q88 (RSS incl. bench copy)', lz4Path)
  else console.log('lz4 CLI not found: big lz4 run skipped')
  const zipPath = join(tmp, 'nds_q88.zip')
  if (spawnSync('zip', ['-q', '-j', zipPath, plainPath]).status === 0) await measure('zip nds_q88 (deflate)', zipPath)
  else console.log('zip CLI not found: big zip run skipped')
} finally {
  await rm(tmp, { recursive: true, force: true })
}
