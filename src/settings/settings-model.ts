import { ConfigError, loadConfig, parseConfigValue, type Config, type ConfigKey } from '../config.js'

/** The variables the settings page can change (the rest stay in .env). */
export const SETTING_KEYS = [
  'PLATFORM_API_BASE_URL', 'PLATFORM_API_TOKEN', 'PLATFORM_API_REFRESH_TOKEN', 'PLATFORM_API_CLIENT_ID', 'PLATFORM_API_TOKEN_URL',
  'PLATFORM_API_CA_FILE',
  'DATABRICKS_HOST', 'DATABRICKS_TOKEN', 'DATABRICKS_CA_FILE',
  'ONPREM_API_BASE_URL', 'ONPREM_API_TOKEN', 'ONPREM_API_CA_FILE', 'ONPREM_TLS_SKIP_VERIFY',
  'SPARK_HISTORY_SERVER_URL', 'SPARK_HISTORY_SERVER_AUTH', 'SPARK_HISTORY_SERVER_USER', 'SPARK_HISTORY_SERVER_TOKEN',
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_ENDPOINT_URL_S3', 'AWS_CA_BUNDLE',
  'DEFAULT_LIMIT', 'MATCH_WINDOW_MINUTES', 'RANFOR_FILTER', 'EVENTLOG_UPLOAD_MAX_MB', 'DEMO_MODE'
] as const satisfies readonly ConfigKey[]
export type SettingKey = typeof SETTING_KEYS[number]

export const TOKEN_KEYS = ['PLATFORM_API_TOKEN', 'PLATFORM_API_REFRESH_TOKEN', 'DATABRICKS_TOKEN', 'ONPREM_API_TOKEN', 'SPARK_HISTORY_SERVER_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const
export type TokenKey = typeof TOKEN_KEYS[number]

/** Each token belongs to one host: changing the host without re-entering the token is refused. */
export const TOKEN_FOR_URL: ReadonlyArray<{ url: SettingKey, token: TokenKey, label: string }> = [
  { url: 'PLATFORM_API_BASE_URL', token: 'PLATFORM_API_TOKEN', label: 'AAC' },
  { url: 'PLATFORM_API_BASE_URL', token: 'PLATFORM_API_REFRESH_TOKEN', label: 'AAC' },
  // the refresh token is sent to the token endpoint: a new endpoint needs the token typed again
  { url: 'PLATFORM_API_TOKEN_URL', token: 'PLATFORM_API_REFRESH_TOKEN', label: 'AAC token endpoint' },
  { url: 'DATABRICKS_HOST', token: 'DATABRICKS_TOKEN', label: 'Databricks' },
  { url: 'ONPREM_API_BASE_URL', token: 'ONPREM_API_TOKEN', label: 'on-prem Trifacta' },
  { url: 'SPARK_HISTORY_SERVER_URL', token: 'SPARK_HISTORY_SERVER_TOKEN', label: 'Spark History Server' },
  // SigV4 never sends the secret, but a session token travels in every request (x-amz-security-token)
  { url: 'AWS_ENDPOINT_URL_S3', token: 'AWS_SESSION_TOKEN', label: 'S3' }
]

/** settings.json in the data dir (mode 0600): values that override .env. */
export interface SavedSettings {
  schemaVersion: 1
  savedAt: string
  values: Partial<Record<SettingKey, string>>
}

/** What the browser submitted: plain values, new tokens (empty = keep), tokens to clear. */
export interface SettingsSubmission {
  values: Partial<Record<Exclude<SettingKey, TokenKey>, string>>
  newTokens: Partial<Record<TokenKey, string>>
  clearTokens: TokenKey[]
}

export function isTokenKey (k: string): k is TokenKey {
  return (TOKEN_KEYS as readonly string[]).includes(k)
}

/** Validates a saved settings document (the store checks schemaVersion). */
export function validateSavedSettings (doc: unknown): string | null {
  const d = doc as SavedSettings
  if (typeof d.values !== 'object' || d.values === null) return 'values must be an object'
  for (const [k, v] of Object.entries(d.values)) {
    if (!(SETTING_KEYS as readonly string[]).includes(k)) return `unknown setting ${k}`
    if (typeof v !== 'string') return `${k} must be a string`
  }
  return null
}

/** The environment the app runs with: .env / process env, overridden by the saved settings. */
export function effectiveEnv (base: Record<string, string | undefined>, saved: SavedSettings | null): Record<string, string | undefined> {
  return { ...base, ...(saved?.values ?? {}) }
}

/** "set (…wxyz)" for long tokens, "set" for short ones, "not set": never more than the last 4 characters. */
export function tokenHint (token: string): string {
  if (token === '') return 'not set'
  return token.length >= 16 ? `set (ends in …${token.slice(-4)})` : 'set'
}

export type SettingsResult = { ok: true, saved: SavedSettings, config: Config } | { ok: false, errors: Partial<Record<SettingKey, string>> }

/**
 * Applies a submission to the current settings: validates each value with the config schema, keeps tokens unless a
 * new one is typed or clearing is asked, and refuses a host change whose token was not re-entered.
 */
export function applySubmission (base: Record<string, string | undefined>, current: SavedSettings | null, sub: SettingsSubmission): SettingsResult {
  const before = loadConfig(effectiveEnv(base, current))
  const values: Partial<Record<SettingKey, string>> = { ...(current?.values ?? {}) }
  const errors: Partial<Record<SettingKey, string>> = {}
  for (const [k, raw] of Object.entries(sub.values) as Array<[SettingKey, string]>) {
    const v = raw.trim()
    try {
      if (v !== '') parseConfigValue(k, v)
      values[k] = v
    } catch (err) {
      errors[k] = err instanceof ConfigError ? err.message : String(err)
    }
  }
  for (const k of TOKEN_KEYS) {
    const typed = sub.newTokens[k]?.trim() ?? ''
    if (typed !== '') {
      try {
        parseConfigValue(k, typed)
        values[k] = typed
      } catch (err) {
        errors[k] = err instanceof ConfigError ? err.message : String(err)
      }
    } else if (sub.clearTokens.includes(k)) {
      values[k] = ''
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  let after: Config
  try {
    after = loadConfig(effectiveEnv(base, { schemaVersion: 1, savedAt: '', values }))
  } catch (err) {
    const key = (err instanceof ConfigError ? err.variable.split(',')[0] : 'PLATFORM_API_BASE_URL') as SettingKey
    return { ok: false, errors: { [key]: (err as Error).message } }
  }
  for (const { url, token, label } of TOKEN_FOR_URL) {
    const hostChanged = originOf(String(before[url])) !== originOf(String(after[url]))
    const tokenKept = before[token] !== '' && after[token] === before[token]
    if (hostChanged && tokenKept) {
      errors[token] = `The ${label} address changed: type the ${label} token again (a token is only ever sent to the host it was entered for), or clear it.`
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return { ok: true, saved: { schemaVersion: 1, savedAt: new Date().toISOString(), values }, config: after }
}

function originOf (url: string): string {
  if (url === '') return ''
  try { return new URL(url).origin } catch { return url }
}
