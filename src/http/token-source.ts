/**
 * Where an upstream client gets the bearer token of each call. A plain token is fixed; an OAuth 2.0 source
 * (AAC) refreshes it before it expires and once after a 401 (see src/trifacta/aac-oauth.ts).
 */
export interface TokenSource {
  /** the access token to send now (refreshing first when it is about to expire) */
  token: (signal?: AbortSignal) => Promise<string>
  /**
   * Called once after a 401 with the token that was refused: true when a new token is ready (refreshed now, or by a
   * concurrent call meanwhile), so the request is worth one more try; false when the token cannot be refreshed.
   */
  refreshAfter401?: (refused: string, signal?: AbortSignal) => Promise<boolean>
  /** every secret this source holds or held (to scrub from messages) */
  secrets: () => string[]
}

/** A long-lived token (on-prem, Databricks PATs, legacy AAC tokens): sent as is. */
export function staticToken (token: string): TokenSource {
  return { token: async () => token, secrets: () => [token] }
}
