import { createRequire } from 'node:module'

/**
 * Decodes concatenated zstd frames (Spark writes one per flush; skippable frames are skipped by libzstd), pulled:
 * each output slice is decoded only when the consumer asks for it, so a frame that expands a few KiB into gigabytes
 * (a decompression bomb) never sits in memory. zstd-napi's DecompressStream would push all output of an input chunk.
 */
export async function * decodeZstd (src: AsyncIterable<Buffer>, outBytes = 256 * 1024): AsyncGenerator<Buffer> {
  // Loaded lazily so a missing native addon only affects .zstd parts (a CommonJS native module: required, as its
  // exports are not visible to an ESM import).
  const { DCtx } = createRequire(import.meta.url)('zstd-napi/binding') as typeof import('zstd-napi/binding.js')
  const dctx = new DCtx()
  let inFrame = false
  for await (const chunk of src) {
    let rest = chunk
    for (;;) {
      const out = Buffer.allocUnsafe(outBytes)
      const [hint, produced, consumed] = dctx.decompressStream(out, rest)
      rest = rest.subarray(consumed)
      inFrame = hint !== 0
      if (produced > 0) yield out.subarray(0, produced)
      // All input used and the output not full: libzstd holds nothing more for now.
      if (rest.length === 0 && produced < out.length) break
    }
  }
  if (inFrame) throw new Error('input ends inside a zstd frame')
}
