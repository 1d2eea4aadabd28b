import type { Upstream } from './world-types.js'

/**
 * The hostile answers (issue 12) are faults too: 'huge-body' (`bytes` of a JSON array, 300 MB by default),
 * 'endless-body' (a JSON array that never ends), 'trickle' (one byte every `ms`, 200 by default, never ending),
 * 'file-size' (DBFS get-status and list report `size` bytes), 'backtrack-body' (an error `status` whose body is
 * `bytes` of `<`, the worst case of a tag-stripping pattern).
 */
export type FaultKind = 'latency' | 'status' | 'reset' | 'timeout' | 'malformed' | 'truncate' |
  'huge-body' | 'endless-body' | 'trickle' | 'file-size' | 'backtrack-body'

export interface FaultSpec {
  upstream: Upstream
  /** string: path prefix (without query string); RegExp: tested against the path */
  path?: string | RegExp
  kind: FaultKind
  /** 'status': HTTP status to answer (default 503); body in the upstream's error format */
  status?: number
  /** seconds, sent in headerName */
  retryAfter?: number
  headerName?: 'retry-after' | 'x-retry-after'
  /** 'latency': extra delay; 'trickle': the gap between bytes */
  ms?: number
  /** 'huge-body', 'backtrack-body': body length */
  bytes?: number
  /** 'huge-body': announce the length in content-length (default: chunked, no length) */
  announce?: boolean
  /** 'file-size': the size DBFS reports */
  size?: number
  /** how many matching requests it affects; default: all until removed */
  times?: number
}

export interface FaultDecision {
  latencyMs: number
  fault: FaultSpec | null
}

interface ActiveFault {
  spec: FaultSpec
  left: number
}

/**
 * Faults switchable per test. Every matching latency fault adds up; the first matching other fault wins, so a test
 * can stack "slow" with "fails twice".
 */
export class Faults {
  /** added to every request on every upstream */
  latencyMs = 0
  private active: ActiveFault[] = []

  add (spec: FaultSpec): () => void {
    const entry: ActiveFault = { spec, left: spec.times ?? Number.POSITIVE_INFINITY }
    this.active.push(entry)
    return () => {
      this.active = this.active.filter((a) => a !== entry)
    }
  }

  clear (): void {
    this.active = []
  }

  /** how many faults are still armed (times not used up) */
  get size (): number {
    return this.active.length
  }

  take (upstream: Upstream, path: string): FaultDecision {
    let latencyMs = this.latencyMs
    let fault: FaultSpec | null = null
    for (const a of this.active) {
      const s = a.spec
      if (s.upstream !== upstream || a.left <= 0) continue
      if (s.path !== undefined && !(typeof s.path === 'string' ? path.startsWith(s.path) : s.path.test(path))) continue
      if (s.kind === 'latency') {
        latencyMs += s.ms ?? 0
        a.left--
      } else if (fault === null) {
        fault = s
        a.left--
      }
    }
    this.active = this.active.filter((a) => a.left > 0)
    return { latencyMs, fault }
  }
}
