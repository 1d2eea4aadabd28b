import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

// No control characters anywhere: a newline in a value written back to a settings file could inject a variable.
const noControl = '^[^\\u0000-\\u001f\\u007f]*$'
const httpUrl = '^https?://[^\\s/?#\\u0000-\\u001f]+(/[^\\s\\u0000-\\u001f]*)?$'
const token = Type.String({ pattern: noControl, maxLength: 4096 })

/** The one schema of Tri-Tracker's configuration: env variable name -> type, range and default. */
export const ConfigSchema = Type.Object({
  PLATFORM_API_BASE_URL: Type.String({ pattern: httpUrl, maxLength: 2048, default: 'https://eu1.alteryxcloud.com/v4', description: 'AAC API base URL including /v4' }),
  PLATFORM_API_TOKEN: Type.String({ ...token, default: '', description: 'AAC API access token (OAuth 2.0 or a long-lived one); empty (with no refresh token) starts the demo' }),
  PLATFORM_API_REFRESH_TOKEN: Type.String({ ...token, default: '', description: 'AAC OAuth 2.0 refresh token; empty: the access token is long-lived' }),
  PLATFORM_API_CLIENT_ID: Type.String({ pattern: noControl, maxLength: 512, default: '', description: 'AAC OAuth client id; empty: the access token\'s client_id claim' }),
  PLATFORM_API_TOKEN_URL: Type.Union([Type.Literal(''), Type.String({ pattern: httpUrl, maxLength: 2048 })], { default: '', description: 'AAC OAuth token endpoint; empty: the access token\'s iss claim + /token' }),
  PLATFORM_API_CA_FILE: Type.String({ pattern: noControl, maxLength: 1024, default: '', description: 'PEM file of CA certificates to trust for AAC (and its token endpoint)' }),
  DATABRICKS_CA_FILE: Type.String({ pattern: noControl, maxLength: 1024, default: '', description: 'PEM file of CA certificates to trust for Databricks' }),
  ONPREM_API_CA_FILE: Type.String({ pattern: noControl, maxLength: 1024, default: '', description: 'PEM file of CA certificates to trust for on-prem Trifacta (a private CA or its self-signed certificate)' }),
  ONPREM_TLS_SKIP_VERIFY: Type.Union([Type.Literal('false'), Type.Literal('true')], { default: 'false', description: 'true: accept any certificate from on-prem Trifacta (a warning shows on every page)' }),
  DATABRICKS_HOST: Type.Union([Type.Literal(''), Type.String({ pattern: httpUrl, maxLength: 2048 })], { default: '', description: 'Databricks workspace URL' }),
  DATABRICKS_TOKEN: Type.String({ ...token, default: '' }),
  AWS_ACCESS_KEY_ID: Type.String({ pattern: '^[A-Za-z0-9]*$', maxLength: 128, default: '', description: 'AWS access key id for event logs delivered to S3 (cluster_log_conf.s3)' }),
  AWS_SECRET_ACCESS_KEY: Type.String({ ...token, default: '', description: 'AWS secret access key (never shown or logged)' }),
  AWS_SESSION_TOKEN: Type.String({ ...token, default: '', description: 'AWS session token of temporary credentials; empty for long-term keys' }),
  AWS_REGION: Type.String({ pattern: '^([a-z]{2}(-[a-z]+)+-\\d+)?$', maxLength: 32, default: '', description: 'region of S3 log buckets whose cluster_log_conf.s3 names none (default us-east-1)' }),
  AWS_ENDPOINT_URL_S3: Type.Union([Type.Literal(''), Type.String({ pattern: httpUrl, maxLength: 2048 })], { default: '', description: 'S3 endpoint to reach the log buckets from here (a VPC endpoint, an S3-compatible store); wins over cluster_log_conf.s3.endpoint' }),
  AWS_CA_BUNDLE: Type.String({ pattern: noControl, maxLength: 1024, default: '', description: 'PEM file of CA certificates to trust for S3 (e.g. a TLS-inspecting proxy or a private store)' }),
  ONPREM_API_BASE_URL: Type.Union([Type.Literal(''), Type.String({ pattern: httpUrl, maxLength: 2048 })], { default: '', description: 'on-prem Trifacta API base URL including /v4 (optional)' }),
  ONPREM_API_TOKEN: Type.String({ ...token, default: '' }),
  SPARK_HISTORY_SERVER_URL: Type.Union([Type.Literal(''), Type.String({ pattern: httpUrl, maxLength: 2048 })], { default: '', description: 'on-prem Spark History Server, e.g. http://historyserver:18080 (optional)' }),
  SPARK_HISTORY_SERVER_AUTH: Type.Union([Type.Literal('none'), Type.Literal('basic'), Type.Literal('bearer')], { default: 'none', description: 'how the History Server is authenticated' }),
  SPARK_HISTORY_SERVER_USER: Type.String({ pattern: '^[^\\u0000-\\u001f\\u007f:]*$', maxLength: 256, default: '', description: 'user name for basic auth' }),
  SPARK_HISTORY_SERVER_TOKEN: Type.String({ ...token, default: '', description: 'password (basic) or token (bearer)' }),
  DEFAULT_LIMIT: Type.Integer({ minimum: 1, maximum: 1000, default: 25, description: 'runs to collect per platform' }),
  MATCH_WINDOW_MINUTES: Type.Integer({ minimum: 0, maximum: 1440, default: 10, description: 'max submission time difference of a pair' }),
  RANFOR_FILTER: Type.String({ pattern: '^[A-Za-z]+(,[A-Za-z]+)*$', maxLength: 200, default: 'recipe,plan' }),
  HOST: Type.String({ pattern: '^[A-Za-z0-9.:\\[\\]-]+$', maxLength: 255, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 5050 }),
  DATA_DIR: Type.String({ pattern: noControl, minLength: 1, maxLength: 1024, default: './flows' }),
  DBFS_LOG_ROOT: Type.String({ pattern: '^(dbfs:/|/Volumes/[^/\\u0000-\\u001f]+/[^/\\u0000-\\u001f]+/[^/\\u0000-\\u001f]+)[^\\u0000-\\u001f]*$', maxLength: 1024, default: 'dbfs:/trifacta/logs' }),
  DEMO_MODE: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], { default: 'auto', description: 'auto: demo when PLATFORM_API_TOKEN is empty' }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600000, default: 120000, description: 'one upstream call, body included' }),
  COLLECT_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 3600000, default: 300000, description: 'one collection of a flow, all its calls together' }),
  MAX_EVENT_LOG_GB: Type.Number({ minimum: 0.001, maximum: 10000, default: 20, description: 'a larger event log is refused before downloading' }),
  EVENTLOG_UPLOAD_MAX_MB: Type.Integer({ minimum: 1, maximum: 1048576, default: 2048, description: 'the largest event log file uploaded on a run\'s page, MiB; a larger upload is cut off (413)' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' })
})

export type Config = Readonly<Static<typeof ConfigSchema>>
export type ConfigKey = keyof Static<typeof ConfigSchema>
export const CONFIG_KEYS = Object.keys(ConfigSchema.properties) as ConfigKey[]

/** Where a value came from, for a message that says where to fix it. */
export type ConfigSource = '.env' | 'settings.json'

/** A configuration value that failed validation; the message names the variable (and `source` where it was set). */
export class ConfigError extends Error {
  constructor (readonly variable: string, message: string, readonly source: ConfigSource | null = null) {
    super(message)
    this.name = 'ConfigError'
  }
}

const URL_KEYS: ReadonlySet<string> = new Set(['PLATFORM_API_BASE_URL', 'DATABRICKS_HOST', 'ONPREM_API_BASE_URL'])

/**
 * What the pattern cannot see but `new URL()` (and so every client) refuses or misreads: a port beyond 65535, a bad
 * host, user:password@ (a credential in a URL ends up in logs). Returns why the URL is unusable, or null.
 */
export function urlProblem (value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'it is not a valid URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'the scheme must be http or https'
  if (url.hostname === '') return 'it names no host'
  if (url.port !== '' && (Number(url.port) < 1 || Number(url.port) > 65535)) return 'the port must be from 1 to 65535'
  if (url.username !== '' || url.password !== '') return 'it must not hold a user name or password (use the token field)'
  if (url.search !== '' || url.hash !== '') return 'it must not have a query string or fragment'
  return null
}

function describe (key: ConfigKey, schema: TSchema): string {
  const s = schema as { minimum?: number, maximum?: number, anyOf?: Array<{ const?: unknown }>, pattern?: string }
  if (s.minimum !== undefined) return `${(schema as { type?: string }).type === 'number' ? 'a number' : 'an integer'} from ${s.minimum} to ${s.maximum ?? '∞'}`
  if (s.anyOf?.every((a) => a.const !== undefined) === true) return `one of ${s.anyOf.map((a) => String(a.const)).join(', ')}`
  if (key === 'SPARK_HISTORY_SERVER_USER') return 'a user name without control characters or ":"'
  if (key.endsWith('_URL') || key === 'DATABRICKS_HOST') return 'an http(s) URL without spaces or control characters'
  if (key === 'RANFOR_FILTER') return 'a comma-separated list of words (e.g. recipe,plan)'
  if (key === 'DBFS_LOG_ROOT') return 'a dbfs:/ path or a /Volumes/<catalog>/<schema>/<volume>/ path'
  if (key === 'AWS_ACCESS_KEY_ID') return 'letters and digits (e.g. AKIAIOSFODNN7EXAMPLE)'
  if (key === 'AWS_REGION') return 'an AWS region such as eu-west-1'
  return 'a value without control characters'
}

/** Validates one variable; returns the typed value or throws ConfigError naming it. */
export function parseConfigValue (key: ConfigKey, raw: string): unknown {
  const schema = ConfigSchema.properties[key] as TSchema
  const trimmed = raw.trim()
  const value = Value.Convert(schema, trimmed)
  const shown = (): string => /TOKEN|SECRET/.test(key) ? '(hidden)' : JSON.stringify(trimmed.slice(0, 80))
  if (!Value.Check(schema, value)) throw new ConfigError(key, `${key} must be ${describe(key, schema)}; got ${shown()}`)
  const problem = URL_KEYS.has(key) && value !== '' ? urlProblem(String(value)) : null
  if (problem !== null) throw new ConfigError(key, `${key} must be ${describe(key, schema)}: ${problem}; got ${shown()}`)
  return value
}

/**
 * Builds the frozen Config from an environment (process.env merged with saved settings by the caller).
 * Unset or empty variables take their defaults; every error names its variable.
 */
export function loadConfig (env: Record<string, string | undefined>): Config {
  const out: Record<string, unknown> = {}
  const errors: ConfigError[] = []
  for (const key of CONFIG_KEYS) {
    const raw = env[key]
    const schema = ConfigSchema.properties[key] as TSchema & { default: unknown }
    if (raw === undefined || raw.trim() === '') {
      out[key] = schema.default
      continue
    }
    try {
      out[key] = parseConfigValue(key, raw)
    } catch (err) {
      if (err instanceof ConfigError) errors.push(err)
      else throw err
    }
  }
  const [first] = errors
  if (errors.length === 1 && first !== undefined) throw first
  if (errors.length > 1) throw new ConfigError(errors.map((e) => e.variable).join(','), errors.map((e) => e.message).join('\n'))
  out.PLATFORM_API_BASE_URL = String(out.PLATFORM_API_BASE_URL).replace(/\/+$/, '')
  out.ONPREM_API_BASE_URL = String(out.ONPREM_API_BASE_URL).replace(/\/+$/, '')
  out.DATABRICKS_HOST = String(out.DATABRICKS_HOST).replace(/\/+$/, '')
  out.SPARK_HISTORY_SERVER_URL = String(out.SPARK_HISTORY_SERVER_URL).replace(/\/+$/, '')
  return Object.freeze(out) as unknown as Config
}

/** True when the app should run on its embedded simulator. */
export function isDemo (config: Config): boolean {
  if (config.DEMO_MODE === 'on') return true
  if (config.DEMO_MODE === 'off') return false
  return config.PLATFORM_API_TOKEN === '' && config.PLATFORM_API_REFRESH_TOKEN === ''
}

/** Whether a host name is a loopback name or address. */
export function isLoopbackHost (host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h)
}
