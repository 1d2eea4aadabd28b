/**
 * aac-oauth.json in the data folder (mode 0600): the AAC OAuth 2.0 tokens as last rotated. AAC invalidates a refresh
 * token when it is used, so the new one is written here (atomically) before the new access token is used; `seed`
 * (a SHA-256 of the refresh token configured in .env / settings) tells whether the user has since configured a
 * different token, which then wins.
 */
export interface SavedOAuthTokens {
  schemaVersion: 1
  /** sha256 hex of the configured refresh token this chain of rotations started from */
  seed: string
  refreshToken: string
  /** ISO time, null when the platform did not say */
  refreshExpiresAt: string | null
  accessToken: string
  accessExpiresAt: string | null
  savedAt: string
}

export const OAUTH_TOKENS_FILE = 'aac-oauth.json'

const isoOrNull = (v: unknown): boolean => v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v)))

/** Shape check of a saved token file. */
export function validateOAuthTokens (doc: unknown): string | null {
  const d = doc as Record<string, unknown>
  for (const k of ['seed', 'refreshToken', 'accessToken', 'savedAt']) {
    if (typeof d[k] !== 'string' || d[k] === '') return `${k} must be a non-empty string`
  }
  if (!isoOrNull(d.refreshExpiresAt) || !isoOrNull(d.accessExpiresAt)) return 'expiry times must be ISO times or null'
  return null
}
