/** Base of the store's typed errors; `statusCode` lets the HTTP error handler map them without knowing each one. */
export class StoreError extends Error {
  readonly code: string
  readonly statusCode: number
  constructor (code: string, statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.statusCode = statusCode
  }
}

/** A flow name that cannot be stored (empty, too long, control characters, broken Unicode). */
export class InvalidFlowNameError extends StoreError {
  constructor (message: string) { super('TT_INVALID_FLOW_NAME', 400, message) }
}

/** An id or file name that would reach the file system and is not safe as one path segment. */
export class InvalidSegmentError extends StoreError {
  constructor (message: string) { super('TT_INVALID_PATH_SEGMENT', 400, message) }
}

/** The flow does not exist (for operations that need it to). */
export class FlowNotFoundError extends StoreError {
  constructor (name: string) { super('TT_FLOW_NOT_FOUND', 404, `no flow named ${JSON.stringify(name)}`) }
}

/** A saved JSON file that is unreadable, truncated or of the wrong shape. */
export class CorruptFileError extends StoreError {
  readonly file: string
  constructor (file: string, reason: string, options?: { cause?: unknown }) {
    super('TT_CORRUPT_FILE', 500, `${file} is damaged: ${reason}`, options)
    this.file = file
  }
}

/** A saved JSON file written by a newer Tri-Tracker than this one. */
export class UnsupportedSchemaError extends StoreError {
  readonly file: string
  constructor (file: string, found: number, supported: number) {
    super('TT_UNSUPPORTED_SCHEMA', 500, `${file} has schemaVersion ${found}, but this Tri-Tracker reads up to ${supported}: upgrade Tri-Tracker to open it (the file was left untouched)`)
    this.file = file
  }
}

/** A path that would leave the data directory. */
export class PathEscapeError extends StoreError {
  constructor (path: string) { super('TT_PATH_ESCAPE', 400, `refusing to touch ${JSON.stringify(path)}: it is outside the data directory`) }
}

/** Data handed to the store for saving that does not have the saved shape (a programming error upstream of the store). */
export class InvalidDataError extends StoreError {
  constructor (message: string) { super('TT_INVALID_DATA', 500, message) }
}

/** An uploaded file larger than the configured limit (EVENTLOG_UPLOAD_MAX_MB): cut off, nothing kept. */
export class UploadTooLargeError extends StoreError {
  readonly maxBytes: number
  constructor (maxBytes: number, message: string) {
    super('TT_UPLOAD_TOO_LARGE', 413, message)
    this.maxBytes = maxBytes
  }
}

/** An upload that brought no bytes (no file chosen, or an empty one). */
export class EmptyUploadError extends StoreError {
  constructor (message: string) { super('TT_EMPTY_UPLOAD', 400, message) }
}
