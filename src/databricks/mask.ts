/*
 * Spark config values can hold credentials (storage account keys, JDBC passwords, tokens). The panel shows the
 * config, so anything that looks like a secret is masked before it is cached or rendered. Databricks secret
 * references ({{secrets/scope/key}}) are not secrets themselves and are shown as what they are.
 */

/** How one Spark config entry is shown. */
export interface MaskedConfEntry {
  key: string
  value: string
  /** 'plain' shown as is; 'masked' hidden; 'reference' a {{secrets/...}} reference shown verbatim */
  kind: 'plain' | 'masked' | 'reference'
}

export const MASK = '•••••• (masked)'

// Spark's own spark.redaction.regex plus the credential words seen in Databricks and Hadoop configs.
const SECRET_KEY = /secret|password|passwd|pwd|token|credential|access[._-]?key|account[._-]?key|private[._-]?key|api[._-]?key|sas[._-]?token|signature|client[._-]?key/i
const SECRET_REF = /^\{\{\s*secrets\/[^/{}\s]+\/[^/{}\s]+\s*\}\}$/
const SECRET_VALUES = [
  /\bdapi[0-9a-f]{32}\b/i, // Databricks PAT
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/, // GitHub token
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /(password|pwd|secret|token|sig|accountkey)=[^;&\s]+/i // connection strings and SAS URLs
]
// A JWT is `eyJ…` (base64url JSON), a dot, 10+ more base64url, a dot. As one pattern (/\beyJ[…]{10,}\.[…]{10,}\./)
// it back-tracks quadratically on `eyJ-eyJ-…` (200 KB took 9.6 s), so it is checked segment by segment instead.
const BASE64URL_RUN = /[A-Za-z0-9_.-]+/g

/** True when the value holds a JSON Web Token; linear in the value's length. */
export function holdsJwt (value: string): boolean {
  for (const m of value.matchAll(BASE64URL_RUN)) {
    const segments = m[0].split('.')
    // the header segment needs a dot after the payload segment that follows it
    for (let i = 0; i + 2 < segments.length; i++) {
      if (segments[i + 1]!.length < 10) continue
      const seg = segments[i]!
      // the first `eyJ` at a word boundary (segment start or after a `-`) leaves the most characters after it
      const dash = seg.startsWith('eyJ') ? -1 : seg.indexOf('-eyJ')
      const at = dash === -1 ? (seg.startsWith('eyJ') ? 0 : -1) : dash + 1
      if (at !== -1 && seg.length - at - 3 >= 10) return true
    }
  }
  return false
}

// 40+ chars of base64 with no separators reads like a key (Azure account keys are 88). A loop rather than
// /^[A-Za-z0-9+/=_-]{40,}$/: same answer, without V8 interpreting the pattern over a megabyte-long value.
const BASE64_CHAR = new Uint8Array(128)
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-') BASE64_CHAR[ch.charCodeAt(0)] = 1
function isOpaque (value: string): boolean {
  if (value.length < 40) return false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 128 || BASE64_CHAR[c] === 0) return false
  }
  return true
}

/** True when a value holds a secret reference only. */
export function isSecretReference (value: string): boolean {
  return SECRET_REF.test(value.trim())
}

/** Masks one entry. */
export function maskConfEntry (key: string, value: string): MaskedConfEntry {
  if (isSecretReference(value)) return { key, value: value.trim(), kind: 'reference' }
  if (SECRET_KEY.test(key) || SECRET_VALUES.some((re) => re.test(value)) || holdsJwt(value) || (isOpaque(value) && !value.startsWith('/'))) return { key, value: MASK, kind: 'masked' }
  return { key, value, kind: 'plain' }
}

/** Masks a spark_conf map into sorted entries. */
export function maskSparkConf (conf: Record<string, string>): MaskedConfEntry[] {
  return Object.entries(conf)
    .map(([k, v]) => maskConfEntry(k, v))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}
