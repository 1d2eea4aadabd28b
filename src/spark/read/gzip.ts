import { createGunzip } from 'node:zlib'
import { throughTransform } from './transform-iter.js'

/** Decodes gzip, including multi-member files (zlib's gunzip continues across members). */
export function decodeGzip (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  return throughTransform(src, createGunzip({ chunkSize: 128 * 1024 }))
}
