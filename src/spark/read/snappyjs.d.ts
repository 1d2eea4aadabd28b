// snappyjs ships no types; the two functions the readers and tests use.
declare module 'snappyjs' {
  /** Decodes one raw snappy block; throws when it is invalid or announces more than `maxLength` bytes. */
  export function uncompress<T extends Uint8Array | ArrayBuffer> (compressed: T, maxLength?: number): T
  export function compress<T extends Uint8Array | ArrayBuffer> (uncompressed: T): T
}
