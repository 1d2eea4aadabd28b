import { throughTransform } from './transform-iter.js'

/** Decodes concatenated zstd frames (Spark writes one per flush; skippable frames are skipped by libzstd). */
export async function * decodeZstd (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // Loaded lazily so a missing native addon only affects .zstd parts.
  const { DecompressStream } = await import('zstd-napi')
  yield * throughTransform(src, new DecompressStream())
}
