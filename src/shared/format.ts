/** Formatting helpers shared by every template (passed to Eta as `it.fmt`). */

/**
 * "1h 02m", "3m 05s", "12s", "4.2s", "850 ms"; "–" when unknown. The one duration format of the app, the CLI and
 * the flags' evidence: a tenth of a second only below 10 s, where task times need it.
 */
export function duration (ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–'
  const neg = ms < 0
  let s = Math.abs(ms)
  if (s < 1000) return `${neg ? '-' : ''}${Math.round(s)} ms`
  if (s < 9950) return `${neg ? '-' : ''}${(s / 1000).toFixed(1)}s`
  s = Math.round(s / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const text = h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m ${String(sec).padStart(2, '0')}s` : `${sec}s`
  return `${neg ? '-' : ''}${text}`
}

/** "+5m 00s", "−1m 13s", "±0 ms": a difference with its sign (a true minus sign). */
export function signedDuration (ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–'
  const sign = ms > 0 ? '+' : ms < 0 ? '−' : '±'
  return sign + duration(Math.abs(ms))
}

/** "2026-11-20 08:05 UTC"; "–" when unknown. */
export function dateTime (iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '–'
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return '–'
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'
}

/** 1536 -> "1.5 KiB": binary (IEC) units everywhere, named as such, never "GB" for 2^30. */
export function bytes (n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = Math.abs(n)
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${n < 0 ? '-' : ''}${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`
}

/** 0.1234 -> "12.3%" */
export function percent (ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–'
  return `${(ratio * 100).toFixed(digits)}%`
}

/** "11-20 08:05" (UTC) for dense tables whose header says UTC. */
export function shortDateTime (iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '–'
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return '–'
  return new Date(t).toISOString().slice(5, 16).replace('T', ' ')
}

/** 12345 -> "12,345" */
export function number (n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–'
  return n.toLocaleString('en-US')
}

/** Path segment of a flow in URLs (any Unicode, slashes included). */
export function flowPath (name: string): string {
  return `/flows/${encodeURIComponent(name)}`
}

/** An external link only when it is http(s): saved data must not smuggle javascript: URLs into pages. */
export function safeUrl (url: string | null | undefined): string {
  if (typeof url !== 'string') return '#'
  try {
    const u = new URL(url)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '#'
  } catch {
    return '#'
  }
}

/** CSS class of a run status. */
export function statusClass (status: string): string {
  switch (status) {
    case 'Complete': return 'st-ok'
    case 'Failed': return 'st-failed'
    case 'Canceled': return 'st-canceled'
    case 'InProgress': case 'Created': return 'st-running'
    default: return 'st-unknown'
  }
}

/** Where a downloaded event log came from, by its manifest's source destination: "DBFS", "S3", … */
export function logSource (destination: string | null | undefined): string {
  const d = destination ?? ''
  if (/^dbfs:/i.test(d)) return 'DBFS'
  if (/^\/Volumes\//.test(d)) return 'a Unity Catalog volume'
  if (/^s3[an]?:\/\//i.test(d)) return 'S3'
  if (/^https?:\/\//i.test(d)) return 'the Spark History Server'
  return d === '' ? 'its source' : d
}

export const fmt = { safeUrl, duration, signedDuration, dateTime, shortDateTime, bytes, percent, number, flowPath, statusClass, logSource }
export type Fmt = typeof fmt

/** "1.5 s", "2.2 min", "1.3 h": a compact duration for impacts. */
export function approxDuration (ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

/** A flag's impact beside the wall clock: "costs ~2.2 min of 7.0 min"; null when it has none. */
export function impactText (impactMs: number | undefined, wallMs: number): string | null {
  if (impactMs === undefined || impactMs <= 0 || !(wallMs > 0)) return null
  return `costs ~${approxDuration(impactMs)} of ${approxDuration(wallMs)}`
}

/**
 * Said under a run's red flags when two or more have a wall-clock impact: each impact estimates what that one cause
 * cost on its own, and causes share minutes (huge partitions spill, the spill slows the stage that failed the run),
 * so the impacts are not additive; null when fewer than two flags have one.
 */
export function impactOverlapText (impactsMs: readonly (number | undefined)[], wallMs: number): string | null {
  const xs = impactsMs.filter((x): x is number => x !== undefined && x > 0)
  if (xs.length < 2 || !(wallMs > 0)) return null
  const sum = xs.reduce((a, b) => a + b, 0)
  const total = sum > wallMs ? `: together they come to ~${approxDuration(sum)}, more than the ${approxDuration(wallMs)} run` : ''
  return `These impacts overlap, so they are not additive${total}. Each estimates what one cause cost on its own, and causes share the same minutes.`
}
