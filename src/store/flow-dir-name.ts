import { createHash } from 'node:crypto'
import { InvalidFlowNameError, InvalidSegmentError } from './errors.js'

/*
 * Flow name -> one directory name, reversible and safe on every common file system:
 *
 *   a-z 0-9 _          kept as is
 *   -                  kept, except first (a leading dash reads as an option to shell tools)
 *   space              kept, except first or last (Windows drops trailing spaces; leading ones hide in listings)
 *   A-Z                "^" + the lower-case letter ("Sales" -> "^sales")
 *   anything else      "%XX" per UTF-8 byte, upper-case hex: ".", "/", "\", "%", "^", "~", controls, all non-ASCII
 *
 * The result holds only [a-z0-9_ -^%] and upper-case hex digits right after "%", so two different names can
 * never map to folders that differ only by case (case-insensitive macOS / Windows volumes), and Unicode
 * normalisation by the file system (APFS, HFS+) cannot merge two names because no non-ASCII byte reaches it.
 * It can never be ".", "..", start with "." or contain a separator. Windows device names (con, nul, com1...)
 * get their first letter escaped.
 *
 * Names whose encoding exceeds MAX_DIR_NAME_BYTES (well under the 255-byte limit, and under eCryptfs' 143)
 * become "<encoded prefix>~<first 32 hex of SHA-256 of the UTF-8 name>": "~" never appears otherwise, so the
 * two forms cannot collide. That form is not decodable on its own; the real name is the `name` field of the
 * folder's flow_data.json, which the store checks against the folder name.
 */

/** Longest directory name produced, in bytes (the encoding is ASCII). */
export const MAX_DIR_NAME_BYTES = 120
/** Longest flow name accepted, in Unicode code points. */
export const MAX_FLOW_NAME_CHARS = 200
const HASH_HEX = 32
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)$/
const FORBIDDEN_IN_NAME = /[\p{Cc}\u2028\u2029]|\p{Cs}/u

/** Checks a flow name (non-empty after trim, at most 200 code points, no control characters or lone surrogates) and returns it unchanged. */
export function validateFlowName (name: unknown): string {
  if (typeof name !== 'string') throw new InvalidFlowNameError('a flow name must be a string')
  if (name.trim() === '') throw new InvalidFlowNameError('a flow name cannot be empty')
  const chars = [...name].length
  if (chars > MAX_FLOW_NAME_CHARS) throw new InvalidFlowNameError(`a flow name can have at most ${MAX_FLOW_NAME_CHARS} characters (this one has ${chars})`)
  const bad = FORBIDDEN_IN_NAME.exec(name)
  if (bad !== null) {
    const cp = bad[0].codePointAt(0) ?? 0
    throw new InvalidFlowNameError(`a flow name cannot contain control characters or broken Unicode (found U+${cp.toString(16).toUpperCase().padStart(4, '0')})`)
  }
  return name
}

function percent (ch: string): string {
  let out = ''
  for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0')
  return out
}

function encodeChar (ch: string, first: boolean, last: boolean): string {
  if (/^[a-z0-9_]$/.test(ch)) return ch
  if (ch === '-' && !first) return ch
  if (ch === ' ' && !first && !last) return ch
  if (/^[A-Z]$/.test(ch)) return '^' + ch.toLowerCase()
  return percent(ch)
}

/** Encodes a valid flow name as one safe directory name (see the scheme above); throws InvalidFlowNameError for an invalid name. */
export function encodeFlowDirName (name: string): string {
  validateFlowName(name)
  const chars = [...name]
  const parts = chars.map((ch, i) => encodeChar(ch, i === 0, i === chars.length - 1))
  if (WINDOWS_DEVICE.test(parts.join(''))) parts[0] = percent(chars[0]!)
  const full = parts.join('')
  if (full.length <= MAX_DIR_NAME_BYTES) return full
  let prefix = ''
  for (const p of parts) {
    if (prefix.length + p.length > MAX_DIR_NAME_BYTES - 1 - HASH_HEX) break
    prefix += p
  }
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, HASH_HEX)
  return `${prefix}~${hash}`
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function decodeBody (s: string): string | null {
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    if (/^[a-z0-9_ -]$/.test(ch)) bytes.push(ch.charCodeAt(0))
    else if (ch === '^' && /^[a-z]$/.test(s[i + 1] ?? '')) bytes.push(s.charCodeAt(++i) - 32)
    else if (ch === '%' && /^[0-9A-F]{2}$/.test(s.slice(i + 1, i + 3))) { bytes.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2 } else return null
  }
  try { return utf8.decode(Uint8Array.from(bytes)) } catch { return null }
}

/** Result of decoding a directory name: the exact flow name, or only the readable prefix of a hashed long name. */
export type DecodedFlowDir = { kind: 'exact', name: string } | { kind: 'hashed', prefix: string }

/** Decodes a directory name made by encodeFlowDirName; null for anything this encoding never produces. */
export function decodeFlowDirName (dir: string): DecodedFlowDir | null {
  const hashed = /^(.*)~([0-9a-f]{32})$/s.exec(dir)
  if (hashed !== null) {
    const prefix = decodeBody(hashed[1]!)
    return prefix === null || dir.length > MAX_DIR_NAME_BYTES ? null : { kind: 'hashed', prefix }
  }
  const name = decodeBody(dir)
  if (name === null) return null
  try {
    // only the canonical spelling is ours (rejects "%61" for "a", a trailing raw space, and so on)
    return encodeFlowDirName(name) === dir ? { kind: 'exact', name } : null
  } catch {
    return null
  }
}

/** What a validated path segment names; ids are digits only, file names a conservative ASCII set. */
export type SegmentKind = 'jobRunId' | 'jobGroupId' | 'fileName'

/** Validates an id or file name that becomes one path segment and returns it as a string; throws InvalidSegmentError. */
export function validateSegment (value: unknown, kind: SegmentKind): string {
  if (kind === 'fileName') {
    if (typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value)) return value
    throw new InvalidSegmentError(`not a safe file name: ${JSON.stringify(String(value)).slice(0, 80)}`)
  }
  // ids stay strings: Databricks run ids can exceed 2^53; no leading zeros so one id has one folder
  const s = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value
  if (typeof s === 'string' && /^(?:0|[1-9][0-9]{0,29})$/.test(s)) return s
  // an on-prem run's event log folder: its job group id behind a prefix, so it never meets a Databricks run id
  if (kind === 'jobRunId' && typeof s === 'string' && /^onprem-(?:0|[1-9][0-9]{0,29})$/.test(s)) return s
  throw new InvalidSegmentError(`not a valid ${kind} (digits only): ${JSON.stringify(String(value)).slice(0, 80)}`)
}
