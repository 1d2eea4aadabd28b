// snappyjs ships no types; what the readers and tests use.
declare module 'snappyjs' {
  /** Decodes one raw snappy block; throws when it is invalid or announces more than `maxLength` bytes. */
  export function uncompress<T extends Uint8Array | ArrayBuffer> (compressed: T, maxLength?: number): T
  export function compress<T extends Uint8Array | ArrayBuffer> (uncompressed: T): T
}

// The decompressor behind `uncompress`, used by the reader to decode into its own buffer (no per-block allocation).
declare module 'snappyjs/snappy_decompressor.js' {
  export class SnappyDecompressor {
    constructor (compressed: Uint8Array)
    /** the varint at the block's start; -1 when it is invalid */
    readUncompressedLength (): number
    /** decodes the rest of the block into `out` from its index 0; false when the bitstream is invalid */
    uncompressToBuffer (out: Uint8Array): boolean
  }
}
