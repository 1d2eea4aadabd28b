// The readers against the hand-written code they replaced (issue 9: "benches show the readers no slower"). The removed
// snappy block decoder, xxhash32 and zip directory reader are taken from git history (the commit before 7d09cfd) into
// a temp folder beside copies of today's shared reader pieces, and both versions decode the same big inputs made
// from q88's text, alternating, in this one process; medians of CPU throughput (MB of text per CPU-second).
// Needs the git history (a fresh clone has it) and the lz4/zip command-line tools; a missing piece skips its line.
import { spawnSync } from 'node:child_process'
import { createReadStream, statSync } from 'node:fs'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { openEventLog } from '../src/spark/read/index.js'
import { decodeLz4 } from '../src/spark/read/lz4.js'
import { decodeSnappy } from '../src/spark/read/snappy.js'
import { listZipEntries, zipEntryBytes } from '../src/spark/read/zip.js'
import { EVENTLOGS } from '../test/helper-fixtures.js'
import { bigLz4, bigSnappy } from './codec-inputs.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BEFORE = '7d09cfd^'
const READ = 'src/spark/read'
/** today's files the removed ones import, copied unchanged */
const SHARED = ['block-stream.ts', 'byte-reader.ts', 'out-buffer.ts', 'lz77-copy.ts', 'lz4-block.ts', 'transform-iter.ts']
const REMOVED = ['snappy.ts', 'snappy-block.ts', 'lz4.ts', 'xxhash32.ts', 'zip.ts']
const ROUNDS = 7

type Decode = () => AsyncIterable<Buffer>
interface RemovedZip { listZipEntries (path: string, size: number): Promise<unknown[]>; zipEntryBytes (path: string, entry: unknown): AsyncGenerator<Buffer> }

/** MB of output per CPU-second of one full decode; throws when the output length is not `expect`. */
async function cpuRate (decode: Decode, expect: number): Promise<number> {
  const c0 = process.cpuUsage()
  let n = 0
  for await (const c of decode()) n += c.length
  const c = process.cpuUsage(c0)
  if (n !== expect) throw new Error(`decoded ${n} bytes, expected ${expect}`)
  return expect / 1e6 / ((c.user + c.system) / 1e6)
}

async function compare (label: string, removed: Decode, today: Decode, expect: number): Promise<void> {
  const rates: { removed: number[]; today: number[] } = { removed: [], today: [] }
  for (let r = 0; r < ROUNDS; r++) {
    const a = await cpuRate(removed, expect)
    const b = await cpuRate(today, expect)
    if (r > 0) { rates.removed.push(a); rates.today.push(b) } // the first round warms both up
  }
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!
  const [a, b] = [med(rates.removed), med(rates.today)]
  console.log(`${label.padEnd(44)} removed ${a.toFixed(0).padStart(4)} MB/cpu-s  today ${b.toFixed(0).padStart(4)} MB/cpu-s  ${(b / a).toFixed(2)}x ${b >= a * 0.97 ? 'OK' : 'SLOWER'}`)
}

const fromGit = spawnSync('git', ['-C', ROOT, 'cat-file', '-e', `${BEFORE}:${READ}/snappy-block.ts`])
if (fromGit.status !== 0) {
  console.log('git history before 7d09cfd not available: the comparison with the removed readers is skipped')
  process.exit(0)
}
// Inside the project, so tsx compiles the removed files with the project's tsconfig like today's (gitignored).
const dir = await mkdtemp(join(ROOT, 'bench', '.removed-readers-'))
try {
  for (const f of SHARED) await copyFile(join(ROOT, READ, f), join(dir, f))
  for (const f of REMOVED) {
    const r = spawnSync('git', ['-C', ROOT, 'show', `${BEFORE}:${READ}/${f}`], { encoding: 'utf8', maxBuffer: 1 << 24 })
    if (r.status !== 0) throw new Error(`git show ${BEFORE}:${READ}/${f}: ${r.stderr}`)
    await writeFile(join(dir, f), r.stdout)
  }
  const load = async <T>(f: string): Promise<T> => (await import(pathToFileURL(join(dir, f)).href)) as T
  const old = {
    snappy: (await load<{ decodeSnappy: typeof decodeSnappy }>('snappy.ts')).decodeSnappy,
    lz4: (await load<{ decodeLz4: typeof decodeLz4 }>('lz4.ts')).decodeLz4,
    zip: await load<RemovedZip>('zip.ts'),
  }

  // q88's text (a real Databricks 13.3 Photon log, 142 MB) in each container.
  const plainPath = join(dir, 'q88.json')
  const parts: Buffer[] = []
  for await (const { data } of (await openEventLog(join(EVENTLOGS, 'spark-rapids-tools/spark-events-qualification/nds_q88_photon_db_13_3.zstd'))).chunks()) parts.push(Buffer.from(data))
  const plain = Buffer.concat(parts)
  parts.length = 0
  await writeFile(plainPath, plain)
  const file = (p: string) => () => createReadStream(p, { highWaterMark: 64 * 1024 })

  const snappyPath = join(dir, 'q88.snappy')
  await bigSnappy(plainPath, snappyPath)
  await compare('snappy (snappyjs vs removed block decoder)', () => old.snappy(file(snappyPath)()), () => decodeSnappy(file(snappyPath)()), plain.length)

  const lz4Path = join(dir, 'q88.lz4')
  if (await bigLz4(plainPath, lz4Path)) {
    await compare('lz4 (xxhash-wasm vs removed xxhash32)', () => old.lz4(file(lz4Path)()), () => decodeLz4(file(lz4Path)()), plain.length)
  } else console.log('lz4 CLI not found: lz4 comparison skipped')

  // zip (deflate): the directory is read by yauzl today, by the removed reader before; the entry inflated alike
  const zipPath = join(dir, 'q88.zip')
  if (spawnSync('zip', ['-q', '-j', zipPath, plainPath]).status === 0) {
    const size = statSync(zipPath).size
    await compare('zip (yauzl vs removed directory reader)',
      async function * () { yield * old.zip.zipEntryBytes(zipPath, (await old.zip.listZipEntries(zipPath, size))[0]) },
      async function * () { yield * zipEntryBytes(zipPath, (await listZipEntries(zipPath))[0]!) },
      plain.length)
  } else console.log('zip CLI not found: zip comparison skipped')
} finally {
  await rm(dir, { recursive: true, force: true })
}
