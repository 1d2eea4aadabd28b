// Spark codec decoders: the derived fixtures round-trip byte for byte, and the block decoders handle the
// corner cases (overlapping matches, long lengths) that small fixtures might not hit.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32, deflateRawSync } from 'node:zlib'
import t from 'tap'
import { openEventLog } from '../../src/spark/read/index.js'
import { lz4DecodeBlock } from '../../src/spark/read/lz4-block.js'
import { lzfDecodeBlock } from '../../src/spark/read/lzf-block.js'
import { chooseCodec, codecFromName } from '../../src/spark/read/codec.js'
import { EVENTLOGS } from '../helper-fixtures.js'

const fixtures = EVENTLOGS

async function readAll (path: string): Promise<{ data: Buffer; damage: unknown[]; codec: string }> {
  const src = await openEventLog(path)
  const parts: Buffer[] = []
  for await (const c of src.chunks()) parts.push(c.data)
  return { data: Buffer.concat(parts), damage: src.damage, codec: src.parts[0]!.codec }
}

t.test('derived fixtures decode byte-identical to the logs they came from', async (t) => {
  const index = await readFile(join(fixtures, 'INDEX.md'), 'utf8')
  // Rows like: | `derived/x.lz4` | derived from `spark/x` (see notes) | ...
  const pairs = [...index.matchAll(/^\| `(derived\/[^`]+)` \| derived from `([^`]+)`/gm)].map((m) => [m[1]!, m[2]!] as const)
  t.equal(pairs.length, 4, 'INDEX names four derived files')
  const codecs = new Set<string>()
  for (const [derived, source] of pairs) {
    const got = await readAll(join(fixtures, derived))
    const want = await readFile(join(fixtures, source))
    codecs.add(got.codec)
    t.same(got.damage, [], `${derived}: no damage`)
    t.equal(got.data.length, want.length, `${derived}: ${want.length} bytes`)
    t.ok(got.data.equals(want), `${derived}: byte-identical to ${source}`)
  }
  t.same([...codecs].sort(), ['lz4', 'lzf', 'snappy', 'zstd'])
})

t.test('concatenated streams and in-progress files decode the way Spark reads them', async (t) => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(join(tmpdir(), 'tri-codecs-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const cases = [
    ['derived/application_1538416563558_0014.lz4', 'spark/application_1538416563558_0014'],
    ['derived/app-20161115172038-0000.snappy', 'spark/app-20161115172038-0000'],
    ['derived/local-1430917381534.lzf', 'spark/local-1430917381534'],
    ['derived/local-1642039451826.zstd', 'spark/local-1642039451826'],
  ]
  for (const [derived, source] of cases) {
    const enc = await readFile(join(fixtures, derived!))
    const want = await readFile(join(fixtures, source!))
    const twice = join(dir, 'twice-' + derived!.slice('derived/'.length))
    await writeFile(twice, Buffer.concat([enc, enc]))
    const got = await readAll(twice)
    t.same(got.damage, [], `${twice}: no damage`)
    t.ok(got.data.equals(Buffer.concat([want, want])), `${derived}: two concatenated streams read back to back`)
  }
  // lz4-java with syncFlush=false leaves no end block in an in-progress file: a clean EOF, not damage.
  const lz4 = await readFile(join(fixtures, 'derived/application_1538416563558_0014.lz4'))
  t.same([...lz4.subarray(lz4.length - 21, lz4.length - 13)], [...Buffer.from('LZ4Block')], 'fixture ends with an end block')
  const inprogress = join(dir, 'application_1.lz4.inprogress')
  await writeFile(inprogress, lz4.subarray(0, lz4.length - 21))
  const got = await readAll(inprogress)
  t.same(got.damage, [])
  t.equal(got.codec, 'lz4')
  t.equal(got.data.length, 343598)
})

t.test('real multi-frame zstd (73 frames, Spark-written) decodes fully', async (t) => {
  const got = await readAll(join(fixtures, 'spark-rapids-tools/spark-events-qualification/cluster_information/platform/invalid/dataproc.zstd'))
  t.equal(got.data.length, 1613832)
  t.same(got.damage, [])
})

t.test('lz4 block decoder', async (t) => {
  // literal "ab", then match offset 2 length 4+15+3=22 (overlapping), then last literal "z"
  const block = Buffer.from([0x2f, 0x61, 0x62, 0x02, 0x00, 0x03, 0x10, 0x7a])
  const out = Buffer.alloc(2 + 22 + 1)
  lz4DecodeBlock(block, 0, block.length, out, 0, out.length)
  t.equal(out.toString(), 'ab'.repeat(12) + 'z')
  // long literal run: 15 + 255 + 10 = 280 bytes, no match
  const lit = Buffer.alloc(280, 0x41)
  const longLit = Buffer.concat([Buffer.from([0xf0, 255, 10]), lit])
  const out2 = Buffer.alloc(280)
  lz4DecodeBlock(longLit, 0, longLit.length, out2, 0, 280)
  t.ok(out2.equals(lit))
  // non-overlapping long match goes through copyWithin
  const src3 = Buffer.concat([Buffer.from([0xff, 25]), Buffer.alloc(40, 0x42), Buffer.from([0x28, 0x00, 0x1c, 0x10, 0x43])])
  const out3 = Buffer.alloc(40 + 47 + 1)
  lz4DecodeBlock(src3, 0, src3.length, out3, 0, out3.length)
  t.equal(out3.toString(), 'B'.repeat(87) + 'C')
  t.throws(() => lz4DecodeBlock(block, 0, block.length, Buffer.alloc(10), 0, 10), /past the announced size/)
  t.throws(() => lz4DecodeBlock(Buffer.from([0x10, 0x61, 0x05, 0x00, 0x10]), 0, 5, Buffer.alloc(10), 0, 10), /offset 5 points before/)
  t.throws(() => lz4DecodeBlock(block, 0, 5, Buffer.alloc(25), 0, 25), /runs past the block/)
})

t.test('lzf block decoder', async (t) => {
  // literal "abc" (ctrl 2), back-ref len 7+2=9 offset 3 (ctrl (7<<5)|0, extra 0... use len 5: ctrl (5<<5), ref byte 2)
  const block = Buffer.from([0x02, 0x61, 0x62, 0x63, 0xa0, 0x02])
  const out = Buffer.alloc(3 + 7)
  lzfDecodeBlock(block, 0, block.length, out, 0, out.length)
  t.equal(out.toString(), 'abcabcabca')
  // long back-ref: len 7 + extra 20 + 2 = 29, offset 1
  const long = Buffer.from([0x00, 0x78, 0xe0, 20, 0x00])
  const out2 = Buffer.alloc(30)
  lzfDecodeBlock(long, 0, long.length, out2, 0, 30)
  t.equal(out2.toString(), 'x'.repeat(30))
  t.throws(() => lzfDecodeBlock(Buffer.from([0x00, 0x61, 0x20, 0x05]), 0, 4, Buffer.alloc(4), 0, 4), /before the chunk/)
})

t.test('codec choice: suffix, .inprogress, magic beats a wrong suffix', async (t) => {
  t.equal(codecFromName('events_1_app.lz4.inprogress'), 'lz4')
  t.equal(codecFromName('app.zst'), 'zstd')
  t.equal(codecFromName('events_2_app.zstd.compact'), 'zstd')
  t.equal(codecFromName('eventlog'), undefined)
  t.equal(codecFromName('example.txt'), undefined)
  t.equal(chooseCodec('x.zstd', Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip', 'mislabelled gzip')
  t.equal(chooseCodec('x.zstd', Buffer.from('{"Event":')), 'none', 'plain JSON behind a codec suffix')
  t.equal(chooseCodec('x.zstd', Buffer.from([0xab, 0xcd])), 'zstd', 'garbage keeps the suffix codec (and is reported)')
  t.equal(chooseCodec('noext', Buffer.from('LZ4Block')), 'lz4')
  t.equal(chooseCodec('noext', Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])), 'snappy')
  t.equal(chooseCodec('noext', Buffer.from([0x5a, 0x56, 0x01])), 'lzf')
  t.equal(chooseCodec('noext', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd')
  t.equal(chooseCodec('noext', Buffer.from([0x50, 0x2a, 0x4d, 0x18])), 'zstd', 'leading skippable frame')
  t.equal(chooseCodec('noext', Buffer.from('hello')), 'none')
})

/** A zip64 archive (sizes and offsets only in the zip64 extra fields and end records), written by hand. */
function zip64 (members: { name: string; data: Buffer; deflate: boolean }[]): Buffer {
  const u64 = (n: number) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    return b
  }
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const m of members) {
    const body = m.deflate ? deflateRawSync(m.data) : m.data
    const name = Buffer.from(m.name)
    // The fields local and central headers share (at 8 in a local header, at 10 in a central one); sizes say "see zip64".
    const shared = (b: Buffer, at: number, extraLen: number) => {
      b.writeUInt16LE(m.deflate ? 8 : 0, at)
      b.writeUInt16LE(0x21, at + 4)
      b.writeUInt32LE(crc32(m.data), at + 6)
      b.writeUInt32LE(0xffffffff, at + 10)
      b.writeUInt32LE(0xffffffff, at + 14)
      b.writeUInt16LE(name.length, at + 18)
      b.writeUInt16LE(extraLen, at + 20)
      return b
    }
    const head = shared(Buffer.alloc(30), 8, 20)
    head.writeUInt32LE(0x04034b50, 0)
    head.writeUInt16LE(45, 4)
    const localExtra = Buffer.concat([Buffer.from([1, 0, 16, 0]), u64(m.data.length), u64(body.length)])
    const cen = shared(Buffer.alloc(46), 10, 28)
    cen.writeUInt32LE(0x02014b50, 0)
    cen.writeUInt16LE(45, 4)
    cen.writeUInt16LE(45, 6)
    cen.writeUInt32LE(0xffffffff, 42)
    const cenExtra = Buffer.concat([Buffer.from([1, 0, 24, 0]), u64(m.data.length), u64(body.length), u64(offset)])
    locals.push(head, name, localExtra, body)
    central.push(cen, name, cenExtra)
    offset += head.length + name.length + localExtra.length + body.length
  }
  const cd = Buffer.concat(central)
  const end64 = Buffer.alloc(56)
  end64.writeUInt32LE(0x06064b50, 0)
  end64.writeBigUInt64LE(44n, 4)
  end64.writeUInt16LE(45, 12)
  end64.writeUInt16LE(45, 14)
  end64.writeBigUInt64LE(BigInt(members.length), 24)
  end64.writeBigUInt64LE(BigInt(members.length), 32)
  end64.writeBigUInt64LE(BigInt(cd.length), 40)
  end64.writeBigUInt64LE(BigInt(offset), 48)
  const locator = Buffer.alloc(20)
  locator.writeUInt32LE(0x07064b50, 0)
  locator.writeBigUInt64LE(BigInt(offset + cd.length), 8)
  locator.writeUInt32LE(1, 16)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(0xffff, 8)
  end.writeUInt16LE(0xffff, 10)
  end.writeUInt32LE(0xffffffff, 12)
  end.writeUInt32LE(0xffffffff, 16)
  return Buffer.concat([...locals, cd, end64, locator, end])
}

t.test('zip64 archives are read (sizes and offsets in the zip64 records)', async (t) => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(join(tmpdir(), 'tri-zip64-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const one = await readFile(join(fixtures, 'spark/local-1642039451826'))
  const two = await readFile(join(fixtures, 'spark/app-20161115172038-0000'))
  const path = join(dir, 'rolled.zip')
  await writeFile(path, zip64([
    { name: 'eventlog_v2_app-1/events_2_app-1', data: two, deflate: false },
    { name: 'eventlog_v2_app-1/events_1_app-1', data: one, deflate: true },
  ]))
  const got = await readAll(path)
  t.same(got.damage, [])
  t.ok(got.data.equals(Buffer.concat([one, two])), 'both members, in rolling order, byte-identical')
})
