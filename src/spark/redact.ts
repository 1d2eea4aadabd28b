// Spark's default spark.redaction.regex; a key or a value matching it has its value replaced, as Spark's UI does.
const SECRET = /secret|password|token|access[.]?key/i
export const REDACTED = '*********(redacted)'

/** Sorted [key, value] pairs with secret-looking entries redacted (Spark's Utils.redact). */
export function redactedPairs (obj: unknown, redact = true): [string, string][] {
  if (!obj || typeof obj !== 'object') return []
  const out: [string, string][] = []
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const s = typeof v === 'string' ? v : JSON.stringify(v)
    out.push([k, redact && (SECRET.test(k) || SECRET.test(s)) ? REDACTED : s])
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}
