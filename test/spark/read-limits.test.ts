// Bounds on what a log can make the analysis hold: one line (maxLineBytes), decompressed bytes per part, JSON depth.
// Memory is measured as the peak RSS of a child process that does nothing else.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { compress as snappyBlock } from 'snappyjs'
import xxhash from 'xxhash-wasm'
import { compress as zstdCompress } from 'zstd-napi'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { analyseText } from '../../src/spark/analyse.js'
import { EVENTLOGS } from '../helper-fixtures.js'
import { openEventLog, type ReadLimits } from '../../src/spark/read/index.js'

const CHILD = fileURLToPath(new URL('../helper-memory-child.ts', import.meta.url))
const run = promisify(execFile)

/** Runs a scenario of the memory child; its last stdout line is its report. */
export async function child (args: string[], env: Record<string, string> = {}): Promise<any> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

t.test('a line longer than maxLineBytes is one bad line, however it is chunked', async (t) => {
  const long = `{"Event":"SparkListenerEnvironmentUpdate","x":"${'a'.repeat(5000)}"}`
  const text = ['{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}', long, '{"Event":"SparkListenerApplicationEnd","Timestamp":1}', ''].join('\n')
  const whole = analyseText(text, { maxLineBytes: 1000 })
  t.equal(whole.parse.badLines.count, 1)
  t.match(whole.parse.badLines.first[0], { line: 2, reason: /longer than 1000 B \(maxLineBytes\)/ })
  t.equal(whole.parse.events, 2, 'the lines around it are read')
  const { Aggregator } = await import('../../src/spark/aggregator.js')
  const { EventLogParser } = await import('../../src/spark/event-parser.js')
  for (const size of [1, 7, 999, 1001, 4096]) {
    const p = new EventLogParser(new Aggregator(), { maxLineBytes: 1000 })
    const b = Buffer.from(text)
    for (let i = 0; i < b.length; i += size) p.push(b.subarray(i, i + size))
    const h = p.end()
    t.same({ bad: h.badLines, events: h.events, lines: h.lines, truncated: h.truncated }, { bad: whole.parse.badLines, events: 2, lines: 3, truncated: false }, `chunks of ${size}`)
  }
  // An over-long last line that never ends is also a cut line.
  const cut = analyseText(text.slice(0, text.indexOf(long) + 3000), { maxLineBytes: 1000 })
  t.equal(cut.parse.badLines.count, 1)
  t.equal(cut.parse.truncated, true)
})

t.test('memory stays bounded with one 300 MiB line (default maxLineBytes)', async (t) => {
  const r = await child(['long-line', '300'])
  t.equal(r.badLines.count, 1)
  t.match(r.badLines.first[0].reason, /longer than 128 MiB/)
  t.equal(r.events, 2, 'the lines before and after it are read')
  // Bounded, the carried line's last growth holds 64 + 128 MiB at once, beside ~100 MiB of runtime. Unbounded, it
  // doubles to 512 MiB (with the 256 MiB it grew from) for this line, and with the line's length for longer ones.
  t.ok(r.peakRssMiB < 400, `peak RSS ${r.peakRssMiB.toFixed(0)} MiB stays under 400 MiB`)
})

const MiB = 1024 * 1024
/** 1 MiB of event lines the analysis skips cheaply (a known event it does not decode). */
const MIB_OF_LINES = (() => {
  const line = `{"Event":"SparkListenerBlockUpdated","pad":"${'a'.repeat(1000)}"}\n`
  return Buffer.from(line.repeat(Math.ceil(MiB / line.length))).subarray(0, MiB)
})()

/** A zstd bomb: `n` frames of the same MiB, a few KiB on disk. */
const zstdBomb = (n: number) => {
  const frame = zstdCompress(MIB_OF_LINES)
  return Buffer.concat(Array.from({ length: n }, () => frame))
}

/** A snappy-java stream of `n` MiB: 32 KiB chunks of the same lines. */
function snappyBomb (n: number): Buffer {
  const block = Buffer.from(snappyBlock(MIB_OF_LINES.subarray(0, 32 * 1024)))
  const len = Buffer.alloc(4)
  len.writeInt32BE(block.length)
  const head = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
  return Buffer.concat([head, ...Array.from({ length: n * 32 }, () => [len, block]).flat()])
}

/** An lz4-java stream of `n` 64 KiB blocks of one repeated byte, each block a literal and one long match (~250x). */
async function lz4Bomb (n: number): Promise<Buffer> {
  const original = Buffer.alloc(65536, 0x61)
  // literal 'a', match offset 1 of 65530 bytes (15 + 255 x 256 + 231 + 4), then the 5 closing literals
  const block = Buffer.concat([Buffer.from([0x1f, 0x61, 0x01, 0x00]), Buffer.alloc(256, 0xff), Buffer.from([231, 0x50]), original.subarray(0, 5)])
  const head = Buffer.alloc(21)
  head.write('LZ4Block', 'latin1')
  head[8] = 0x20 | 6
  head.writeInt32LE(block.length, 9)
  head.writeInt32LE(original.length, 13)
  head.writeInt32LE((await xxhash()).h32Raw(original, 0x9747b28c) & 0x0fffffff, 17)
  return Buffer.concat(Array.from({ length: n }, () => [head, block]).flat())
}

async function readCounting (path: string, limits: Partial<ReadLimits> = {}) {
  const src = await openEventLog(path, limits)
  let bytes = 0
  for await (const c of src.chunks()) bytes += c.data.length
  return { bytes, damage: src.damage }
}

t.test('decompression bombs stop at the part bound with a clear damage report', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tri-bomb-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  // Default bounds: 400 MiB from a few KiB of zstd is far beyond 1000x, so the part stops at the 256 MiB floor.
  await writeFile(join(dir, 'bomb.zstd'), zstdBomb(400))
  const z = await readCounting(join(dir, 'bomb.zstd'))
  t.equal(z.bytes, 256 * MiB, 'zstd: delivered up to the bound')
  t.match(z.damage, [{ part: 'bomb.zstd', afterBytes: 256 * MiB, message: /^damaged or too large: decompresses to more than 1000 times its .* \(maxExpansion\)/ }])

  const cases: [string, Buffer, Partial<ReadLimits>, RegExp][] = [
    ['bomb.snappy', snappyBomb(8), { maxPartBytes: 2 * MiB }, /more than 2\.0 MiB \(maxPartBytes\)/],
    ['bomb.lz4', await lz4Bomb(64), { maxExpansion: 100, expansionFloorBytes: MiB }, /more than 100 times .*maxExpansion/],
    ['bomb.gz', gzipSync(Buffer.alloc(64 * MiB)), { maxExpansion: 100, expansionFloorBytes: MiB }, /more than 100 times .*maxExpansion/],
  ]
  for (const [name, bytes, limits, message] of cases) {
    await writeFile(join(dir, name), bytes)
    const r = await readCounting(join(dir, name), limits)
    const bound = Math.min(limits.maxPartBytes ?? Infinity, Math.max(limits.expansionFloorBytes ?? 256 * MiB, (limits.maxExpansion ?? 1000) * bytes.length))
    t.equal(r.bytes, bound, `${name}: delivered up to the bound`)
    t.match(r.damage, [{ part: name, afterBytes: bound, message }], `${name}: ${r.damage[0]?.message}`)
  }

  // A real log is far inside the bounds.
  const real = await readCounting(join(EVENTLOGS, 'spark-rapids-tools/spark-events-qualification/nds_q88_photon_db_13_3.zstd'))
  t.same(real.damage, [])
})

t.test('a 2 GiB zstd bomb analysed end to end: bounded memory, a damage report, the lines before it read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tri-bomb-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'bomb.zstd')
  const bomb = zstdBomb(2048)
  await writeFile(path, bomb)
  const r = await child(['analyse', path])
  const bound = Math.max(256 * MiB, 1000 * bomb.length)
  t.ok(bound < 2048 * MiB / 4, 'the bound cuts the bomb short')
  t.match(r.damage, [{ part: 'bomb.zstd', afterBytes: bound, message: /damaged or too large/ }])
  t.equal(r.bytes, bound)
  t.equal(r.badLines.count, 1, 'the line cut by the bound')
  t.ok(r.peakRssMiB < 300, `peak RSS ${r.peakRssMiB.toFixed(0)} MiB`)
})

t.test('a line nested 10,000 deep is one bad line, not a failed analysis', async (t) => {
  const { analyseEventLog } = await import('../../src/spark/analyse.js')
  const { readFile } = await import('node:fs/promises')
  const dir = await mkdtemp(join(tmpdir(), 'tri-deep-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const source = join(EVENTLOGS, 'spark/local-1642039451826')
  const lines = (await readFile(source, 'utf8')).split('\n')
  const deep = '{"x":'.repeat(10_000) + '1' + '}'.repeat(10_000)
  lines.splice(2, 0, `{"Event":"SparkListenerEnvironmentUpdate","JVM Information":{},"Spark Properties":{"deep":${deep}},"System Properties":{},"Classpath Entries":{}}`)
  // Brackets and escaped quotes inside strings are not nesting.
  const tricky = `{"Event":"SparkListenerLogStart","Spark Version":"3.2.0","note":"${'[{\\"'.repeat(3000)}"}`
  lines.splice(3, 0, tricky)
  const path = join(dir, 'app-deep')
  await writeFile(path, lines.join('\n'))
  const a = await analyseEventLog(path)
  const plain = await analyseEventLog(source)
  t.equal(a.parse.badLines.count, 1)
  t.match(a.parse.badLines.first[0], { line: 3, reason: /nested deeper than 1000 levels/ })
  t.equal(a.parse.events, plain.parse.events + 1, 'every other event read (the tricky line too)')
  t.same(a.stages, plain.stages)
})

t.test('the depth check covers the bytes that are parsed: a deep value in the dropped Properties does not cost the job', async (t) => {
  const deep = '{"x":'.repeat(2_000) + '1' + '}'.repeat(2_000)
  const job = (props: string): string => `{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":1,"Stage Infos":[],"Stage IDs":[],"Properties":{${props}}}`
  const a = analyseText(job(`"spark.job.description":"d","unused":${JSON.stringify(JSON.stringify(deep))},"other":${deep}`) + '\n')
  t.equal(a.parse.badLines.count, 0)
  t.equal(a.jobs[0]?.description, 'd', 'the wanted property picked out of the tail')
  // a deep value in a part that is parsed is refused as before
  const b = analyseText(`{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":1,"Stage Infos":[${deep}],"Stage IDs":[],"Properties":{"a":"${'p'.repeat(5000)}"}}\n`)
  t.equal(b.parse.badLines.count, 1)
  t.match(b.parse.badLines.first[0], { reason: /nested deeper than 1000 levels/ })
})
