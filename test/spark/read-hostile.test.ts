// Damaged and hostile inputs: the reader reports damage (or rejects with a clear message) and never throws
// from chunks(), hangs, or yields bytes that were not in the log.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { compress as snappyCompress } from 'snappyjs'
import { compress as zstdCompress } from 'zstd-napi'
import { openEventLog } from '../../src/spark/read/index.js'
import type { ReadDamage } from '../../src/spark/read/index.js'
import { EVENTLOGS } from '../helper-fixtures.js'

const fixtures = EVENTLOGS

const derived = {
  lz4: ['derived/application_1538416563558_0014.lz4', 'spark/application_1538416563558_0014'],
  snappy: ['derived/app-20161115172038-0000.snappy', 'spark/app-20161115172038-0000'],
  lzf: ['derived/local-1430917381534.lzf', 'spark/local-1430917381534'],
  zstd: ['derived/local-1642039451826.zstd', 'spark/local-1642039451826'],
} as const

async function readAll (path: string): Promise<{ data: Buffer; damage: ReadDamage[] }> {
  const src = await openEventLog(path)
  const parts: Buffer[] = []
  for await (const c of src.chunks()) parts.push(c.data)
  return { data: Buffer.concat(parts), damage: src.damage }
}

/** Garbage that starts with no known magic and not with '{'. */
function garbage (n: number): Buffer {
  const b = Buffer.alloc(n)
  let x = 0x12345678
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0
    b[i] = (x >>> 16) & 0xff
  }
  b[0] = 0xab
  return b
}

t.test('hostile single files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tri-hostile-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const text = await readFile(join(fixtures, 'spark/local-1642039451826'))

  // Truncated: what was decoded is an exact prefix of the log, then damage naming the part and the codec.
  const cases: [string, Buffer, string, Buffer][] = [
    ['cut.gz', gzipSync(text), 'gzip', text],
    // One frame whose first block is cut: libzstd delivers nothing, which is still a clean damage report.
    ['cut-one-frame.zstd', zstdCompress(text), 'zstd', text],
  ]
  for (const [codec, [d, s]] of Object.entries(derived)) {
    cases.push([`cut.${codec}`, await readFile(join(fixtures, d)), codec, await readFile(join(fixtures, s))])
  }
  for (const [name, whole, codec, plain] of cases) {
    const path = join(dir, name)
    await writeFile(path, whole.subarray(0, Math.floor(whole.length * 0.6)))
    const { data, damage } = await readAll(path)
    t.equal(damage.length, 1, `${name}: one damage`)
    t.equal(damage[0]!.part, name)
    t.match(damage[0]!.message, new RegExp(`^${codec} data is corrupt or truncated: `), `${name}: ${damage[0]!.message}`)
    t.equal(damage[0]!.afterBytes, data.length, `${name}: afterBytes counts delivered bytes`)
    t.ok(damage[0]!.afterBytes < plain.length, `${name}: stopped early`)
    t.ok(plain.subarray(0, damage[0]!.afterBytes).equals(data.subarray(0, damage[0]!.afterBytes)), `${name}: delivered bytes are a prefix of the log`)
    if (name === 'cut-one-frame.zstd') {
      t.equal(data.length, 0, `${name}: nothing delivered from an unfinished block`)
      continue
    }
    t.ok(damage[0]!.afterBytes > 0, `${name}: whole blocks/frames before the cut are delivered`)
    t.ok(data.at(-1) !== 10 || plain[data.length - 1] === 10, `${name}: no newline is added after the last part (a cut line stays unterminated)`)
  }

  // Garbage behind every codec suffix: damage at byte 0, nothing yielded.
  for (const suffix of ['gz', 'zstd', 'lz4', 'snappy', 'lzf']) {
    const path = join(dir, `garbage.${suffix}`)
    await writeFile(path, garbage(5000))
    const { data, damage } = await readAll(path)
    t.equal(data.length, 0, `garbage.${suffix}: nothing yielded`)
    t.match(damage, [{ part: `garbage.${suffix}`, afterBytes: 0 }], `garbage.${suffix}: damage reported`)
  }

  // A flipped byte inside an lz4 block is caught (decode error or checksum).
  const lz4 = Buffer.from(await readFile(join(fixtures, derived.lz4[0])))
  lz4[21 + 5000] = lz4[21 + 5000]! ^ 0x40
  await writeFile(join(dir, 'flip.lz4'), lz4)
  const flipped = await readAll(join(dir, 'flip.lz4'))
  t.match(flipped.damage, [{ afterBytes: 0, message: /lz4 data is corrupt or truncated: .*(checksum mismatch|lz4)/ }])

  // A snappy block whose length varint does not match what it decodes to: the good block before it is kept, the
  // damage names the block (the decompressor itself checks neither end of its output).
  const head = (await readFile(join(fixtures, derived.snappy[0]))).subarray(0, 16)
  const good = Buffer.from('{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}\n')
  const framed = (block: Uint8Array): Buffer => {
    const c = Buffer.concat([Buffer.alloc(4), block])
    c.writeInt32BE(block.length, 0)
    return c
  }
  const relabel = (block: Uint8Array, size: number): Buffer => Buffer.concat([Buffer.from([size]), Buffer.from(block).subarray(1)])
  const goodBlock = snappyCompress(good)
  t.equal(goodBlock[0], good.length, 'a one-byte length varint')
  for (const [name, size, why] of [['short.snappy', good.length + 3, /fewer than the 61 bytes/], ['long.snappy', good.length - 3, /more than the 55 bytes/]] as const) {
    await writeFile(join(dir, name), Buffer.concat([head, framed(goodBlock), framed(relabel(goodBlock, size))]))
    const r = await readAll(join(dir, name))
    t.equal(r.data.toString(), good.toString(), `${name}: the good block is read, nothing of the bad one`)
    t.match(r.damage, [{ part: name, afterBytes: good.length, message: why }], `${name}: ${r.damage[0]?.message}`)
  }

  // Lying headers must not make the reader wait for or allocate gigabytes.
  const lying: [string, Buffer][] = [
    ['huge.lz4', Buffer.concat([Buffer.from('LZ4Block'), Buffer.from([0x2f, 0xff, 0xff, 0xff, 0x7f, 0, 0x80, 0, 0, 0, 0, 0, 0])])],
    ['huge.snappy', Buffer.concat([(await readFile(join(fixtures, derived.snappy[0]))).subarray(0, 16), Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])])],
    ['huge-varint.snappy', Buffer.concat([(await readFile(join(fixtures, derived.snappy[0]))).subarray(0, 16), Buffer.from([0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x7f])])],
  ]
  for (const [name, bytes] of lying) {
    await writeFile(join(dir, name), bytes)
    const { data, damage } = await readAll(join(dir, name))
    t.equal(data.length, 0)
    t.match(damage, [{ part: name, afterBytes: 0, message: /invalid|claims|too long|cut off|past/ }], `${name}: ${damage[0]?.message}`)
  }

  // Plain JSON with a codec suffix is read as plain text, without damage.
  await writeFile(join(dir, 'mislabelled.zstd'), text)
  const mis = await readAll(join(dir, 'mislabelled.zstd'))
  t.ok(mis.data.equals(text))
  t.same(mis.damage, [])

  // A zip that is cut off has no central directory: a clear error at open time.
  const zip = await readFile(join(fixtures, 'sparklint/eventLogs-application_1489705648216_1600.zip'))
  await writeFile(join(dir, 'cut.zip'), zip.subarray(0, 5000))
  await t.rejects(openEventLog(join(dir, 'cut.zip')), /cut\.zip: not a zip archive/)
})

t.test('a damaged part does not stop the following parts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tri-hostile-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const roll = join(dir, 'eventlog_v2_app-9')
  await mkdir(roll)
  const one = '{"Event":"A"}\n'.repeat(1000)
  const two = '{"Event":"B"}\n'.repeat(10)
  const z = zstdCompress(Buffer.from(one))
  await writeFile(join(roll, 'events_1_app-9.zstd'), z.subarray(0, z.length - 5))
  await writeFile(join(roll, 'events_2_app-9.zstd'), zstdCompress(Buffer.from(two)))
  await writeFile(join(roll, 'appstatus_app-9.inprogress'), '')
  const src = await openEventLog(roll)
  const byPart = new Map<number, number>()
  const texts: string[] = []
  for await (const c of src.chunks()) {
    byPart.set(c.partIndex, (byPart.get(c.partIndex) ?? 0) + c.data.length)
    texts.push(c.data.toString())
  }
  t.match(src.damage, [{ part: 'events_1_app-9.zstd', partIndex: 0, message: /zstd/ }])
  t.ok(texts.join('').endsWith(two), 'second part read in full after the damaged first one')
  t.equal(byPart.get(1), two.length)
})
