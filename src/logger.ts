import pino, { type Logger } from 'pino'

/** Pino redaction: no token ever reaches a log line, whatever object it hides in. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization',
  'token', '*.token', '*.*.token', 'tokens', '*.tokens',
  'PLATFORM_API_TOKEN', 'PLATFORM_API_REFRESH_TOKEN', 'DATABRICKS_TOKEN', 'ONPREM_API_TOKEN',
  '*.PLATFORM_API_TOKEN', '*.PLATFORM_API_REFRESH_TOKEN', '*.DATABRICKS_TOKEN', '*.ONPREM_API_TOKEN',
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', '*.AWS_SECRET_ACCESS_KEY', '*.AWS_SESSION_TOKEN',
  'secretAccessKey', 'sessionToken', '*.secretAccessKey', '*.sessionToken', '*.*.secretAccessKey', '*.*.sessionToken',
  'accessToken', 'refreshToken', '*.accessToken', '*.refreshToken', 'access_token', 'refresh_token', '*.access_token', '*.refresh_token'
]

/** The app's one logger; modules get children of it. */
export function createLogger (level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: LOG_REDACT_PATHS, censor: '***' } }, destination)
}
