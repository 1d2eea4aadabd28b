// Big inputs in the containers Spark writes, made from a plain event log for the read benches.
import { spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { compress as snappyCompress } from 'snappyjs'
import xxhash from 'xxhash-wasm'

/**
 * A big lz4-java stream, made by re-wrapping the lz4 CLI's independent 64 KiB frame blocks in LZ4Block
 * headers (no Java here). Skipped when the lz4 CLI is missing.
 */
export async function bigLz4 (plainPath: string, outPath: string): Promise<boolean> {
  const { h32Raw } = await xxhash()
  const framePath = outPath + '.frame'
  const r = spawnSync('lz4', ['-q', '-f', '-B4', '-BI', '--no-frame-crc', plainPath, framePath])
  if (r.status !== 0) return false
  const plain = await readFile(plainPath)
  const frame = await readFile(framePath)
  const flg = frame[4]!
  let p = 4 + 2 + (flg & 0x08 ? 8 : 0) + 1
  const blockChecksum = (flg & 0x10) !== 0
  const out: Buffer[] = []
  let done = 0
  for (;;) {
    const word = frame.readUInt32LE(p)
    p += 4
    if (word === 0) break
    const stored = (word & 0x80000000) !== 0
    const len = word & 0x7fffffff
    const originalLen = Math.min(65536, plain.length - done)
    const h = Buffer.alloc(21)
    h.write('LZ4Block', 'latin1')
    h[8] = (stored ? 0x10 : 0x20) | 6
    h.writeInt32LE(len, 9)
    h.writeInt32LE(originalLen, 13)
    h.writeInt32LE(h32Raw(plain.subarray(done, done + originalLen), 0x9747b28c) & 0x0fffffff, 17)
    out.push(h, frame.subarray(p, p + len))
    p += len + (blockChecksum ? 4 : 0)
    done += originalLen
  }
  await writeFile(outPath, Buffer.concat(out))
  return true
}

/**
 * A big snappy-java stream as Spark writes it (`spark.io.compression.snappy.blockSize` 32 KiB): the 16-byte
 * SnappyOutputStream header, then [int32 BE length][raw snappy block] per 32 KiB of text.
 */
export async function bigSnappy (plainPath: string, outPath: string): Promise<void> {
  const plain = await readFile(plainPath)
  const out: Buffer[] = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])]
  for (let i = 0; i < plain.length; i += 32 * 1024) {
    const block = snappyCompress(plain.subarray(i, i + 32 * 1024))
    const len = Buffer.alloc(4)
    len.writeInt32BE(block.length, 0)
    out.push(len, block)
  }
  await writeFile(outPath, Buffer.concat(out))
}
