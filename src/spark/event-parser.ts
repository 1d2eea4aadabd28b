// Bytes -> lines -> events. Lines are cut at the byte level; the event type is read from the `{"Event":"…"` prefix,
// and only the events the analysis uses are decoded (TaskStart/TaskEnd/SQL start by byte scanning, the rest with
// JSON.parse). Damage is counted, never thrown.
import type { Aggregator } from './aggregator.js'
import { bytes as formatBytes } from '../shared/format.js'
import { after, needle, numberAt, plainStringAt, stringAt } from './byte-scan.js'
import type { ParseHealth } from './analysis-types.js'
import { asSparkEvent, type SparkEvent } from './event-types.js'
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-depth.js'
import { ScanState, TI } from './field-scanner.js'
import { readRegion, scanTaskEnd } from './task-end-scanner.js'
import { newTaskEndRecord, taskEndFromJson } from './task-metrics.js'

const PREFIX = needle('{"Event":"')
const K_EVENT = needle('"Event":"')
const TASK_END = 'SparkListenerTaskEnd'
const TASK_START = 'SparkListenerTaskStart'
const TASK_END_NAME = needle(`${TASK_END}"`)
const TASK_START_NAME = needle(`${TASK_START}"`)

/** Whether `line` holds `what` at `at` (short needles: a loop beats a native call). */
function startsWith (line: Buffer, what: Buffer, at: number): boolean {
  if (at + what.length > line.length) return false
  for (let i = 0; i < what.length; i++) if (line[at + i] !== what[i]) return false
  return true
}
const MAX_BAD_LINE_NUMBERS = 100
const TOO_DEEP = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`
/** largest carry buffer kept between lines */
const CARRY_KEEP = 8 * 1024 * 1024
/**
 * Default bound on one line (split2's `maxLength`). Real lines reach tens of MB (a SQLExecutionStart's plan, a
 * JobStart's properties); 128 MiB leaves room for those while a line that never ends (a bomb of zeros, a corrupt part)
 * cannot grow the carried partial line past it, and stays far below V8's string limit (~512 MiB) for JSON.parse.
 */
export const DEFAULT_MAX_LINE_BYTES = 128 * 1024 * 1024

const SQL_START = 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart'
/** Events decoded with JSON.parse and folded into the analysis. */
const JSON_EVENTS = new Set([
  'SparkListenerLogStart', 'DBCEventLoggingListenerMetadata', 'SparkListenerApplicationStart',
  'SparkListenerApplicationEnd', 'SparkListenerEnvironmentUpdate', 'SparkListenerResourceProfileAdded',
  'SparkListenerExecutorAdded', 'SparkListenerExecutorRemoved', 'SparkListenerBlockManagerAdded',
  'SparkListenerJobStart', 'SparkListenerJobEnd', 'SparkListenerStageSubmitted', 'SparkListenerStageCompleted',
  'SparkListenerStageExecutorMetrics', 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd',
])
/** Known events the analysis does not need: counted, never decoded (SQL plan updates can be megabytes). */
const IGNORED_EVENTS = new Set([
  'SparkListenerTaskGettingResult', 'SparkListenerBlockManagerRemoved', 'SparkListenerBlockUpdated',
  'SparkListenerUnpersistRDD', 'SparkListenerExecutorMetricsUpdate', 'SparkListenerSpeculativeTaskSubmitted',
  'SparkListenerExecutorDecommission', 'SparkListenerMiscellaneousProcessAdded', 'SparkListenerUnschedulableTaskSetAdded',
  'SparkListenerUnschedulableTaskSetRemoved', 'SparkListenerExecutorMetricsUpdated',
  'org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate',
  'org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveSQLMetricUpdates',
  'org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates',
  'org.apache.spark.sql.execution.ui.SparkListenerEffectiveSQLConf',
  'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionFinished',
  'org.apache.spark.sql.streaming.StreamingQueryListener$QueryStartedEvent',
  'org.apache.spark.sql.streaming.StreamingQueryListener$QueryProgressEvent',
  'org.apache.spark.sql.streaming.StreamingQueryListener$QueryTerminatedEvent',
  'org.apache.spark.sql.streaming.StreamingQueryListener$QueryIdleEvent',
  'org.apache.spark.sql.execution.streaming.StreamingQueryListenerBus$WrappedStreamingListenerEvent',
])
const EXCLUSION = /^org\.apache\.spark\.scheduler\.SparkListener(Executor|Node)(Blacklisted|Unblacklisted|Excluded|Unexcluded)(ForStage)?$/

const S_EXEC_ID = needle('"executionId":')
const S_ROOT = needle('"rootExecutionId":')
const S_DESC = needle('"description":')
const S_TIME = needle('"time":')

export interface ParserOptions {
  /** decode the classpath of environment updates (default true; only the 'full' environment shows it) */
  classpath?: boolean
  /** a longer line is skipped up to its newline and counted as one bad line (default DEFAULT_MAX_LINE_BYTES) */
  maxLineBytes?: number
}

const K_PROPS = needle(',"Properties":{')
const K_CLASSPATH = needle(',"Classpath Entries":{')
/** lines shorter than this are parsed whole */
const TRIM_MIN = 4096
/** The Properties keys the aggregator reads. */
const WANTED_PROPS = ['spark.job.description', 'spark.jobGroup.id', 'spark.sql.execution.id', 'spark.job.tags', 'spark.scheduler.pool']
  .map((k) => [k, needle(`"${k}":`)] as const)

/**
 * The wanted keys of a flat string-to-string Properties object at [open, end) (open at its '{'). A key needle counts
 * only right after '{' or ',' (structural: such a byte before a quote cannot sit inside a string). undefined when a
 * wanted value is not a plain JSON string (then the caller parses the whole line).
 */
function pickProperties (line: Buffer, open: number, end: number): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const [key, k] of WANTED_PROPS) {
    let p = line.indexOf(k, open)
    while (p >= 0 && p < end && line[p - 1] !== 0x7b && line[p - 1] !== 0x2c) p = line.indexOf(k, p + 1)
    if (p < 0 || p >= end) continue
    const v = stringAt(line, p + k.length)
    if (v === undefined) return undefined
    out[key] = v[0]
  }
  return out
}

/** Streams chunks of event log text into an Aggregator and keeps parse health. */
export class EventLogParser {
  readonly health: ParseHealth = {
    bytes: 0,
    lines: 0,
    events: 0,
    eventsByType: {},
    badLines: { count: 0, first: [] },
    unknownEvents: { count: 0, byType: {} },
    truncated: false,
    partsRead: 0,
    damage: [],
    incomplete: false,
    fastTaskLines: 0,
    slowTaskLines: 0,
  }

  /** the unterminated end of the previous chunk, copied (chunks may be reused buffers) */
  private carry: Buffer = Buffer.allocUnsafeSlow(64 * 1024)
  private carryLen = 0
  /** inside a line longer than maxLineBytes: its bytes are dropped up to the next newline */
  private skipping = false
  private part = -1
  private lineInPart = 0
  private readonly rec = newTaskEndRecord()
  /** scratch record for TaskStart scans (they fill no metrics) */
  private readonly startRec = newTaskEndRecord()
  /** the field scanner's working state, this parser's own */
  private readonly scan = new ScanState()
  /** events by type (in order of first appearance); TaskEnd and TaskStart are counted in the two fields below */
  private readonly counts = new Map<string, number>()
  private taskEnds = 0
  private taskStarts = 0

  private readonly opts: Required<ParserOptions>

  constructor (private readonly agg: Aggregator, opts: ParserOptions = {}) {
    this.opts = { classpath: opts.classpath ?? true, maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES }
  }

  /**
   * Feeds one chunk of decompressed text of part `partIndex`. The chunk is not kept: only its unterminated last line
   * is copied, so the caller may reuse the buffer.
   */
  push (data: Buffer, partIndex = 0): void {
    if (partIndex !== this.part) {
      this.endLine(false)
      this.part = partIndex
      this.lineInPart = 0
      this.health.partsRead++
    }
    this.health.bytes += data.length
    let start = 0
    let nl = data.indexOf(10)
    if (this.carryLen > 0 || this.skipping) {
      if (nl < 0) { this.keep(data, 0, data.length); return }
      this.keep(data, 0, nl)
      this.endLine(false)
      start = nl + 1
      nl = data.indexOf(10, start)
    }
    while (nl >= 0) {
      this.onLine(data, start, nl, false)
      start = nl + 1
      nl = data.indexOf(10, start)
    }
    if (start < data.length) this.keep(data, start, data.length)
  }

  /** Ends the stream: the final unterminated line is parsed strictly (it may be cut). */
  end (): ParseHealth {
    this.endLine(true)
    if (this.counts.has(TASK_END)) this.counts.set(TASK_END, this.taskEnds)
    if (this.counts.has(TASK_START)) this.counts.set(TASK_START, this.taskStarts)
    this.health.eventsByType = Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]))
    return this.health
  }

  /** Appends data[from, to) to the carried partial line; past maxLineBytes the line is dropped instead. */
  private keep (data: Buffer, from: number, to: number): void {
    if (this.skipping) return
    const need = this.carryLen + (to - from)
    if (need > this.opts.maxLineBytes) {
      this.skipping = true
      this.carryLen = 0
      if (this.carry.length > CARRY_KEEP) this.carry = Buffer.allocUnsafeSlow(64 * 1024)
      return
    }
    if (need > this.carry.length) {
      const grown = Buffer.allocUnsafeSlow(Math.min(Math.max(need, this.carry.length * 2), this.opts.maxLineBytes))
      this.carry.copy(grown, 0, 0, this.carryLen)
      this.carry = grown
    }
    data.copy(this.carry, this.carryLen, from, to)
    this.carryLen = need
  }

  /** The carried line has ended (at a newline, a part's end or the stream's end). */
  private endLine (isLast: boolean): void {
    if (this.skipping) {
      this.skipping = false
      this.lineInPart++
      this.health.lines++
      this.bad(this.tooLong(), isLast)
      return
    }
    if (this.carryLen === 0) return
    const len = this.carryLen
    this.carryLen = 0
    this.onLine(this.carry, 0, len, isLast)
    // one huge line must not pin its buffer for the rest of the log
    if (this.carry.length > CARRY_KEEP) this.carry = Buffer.allocUnsafeSlow(64 * 1024)
  }

  private bad (reason: string, isLastLine: boolean): void {
    const h = this.health
    h.badLines.count++
    if (h.badLines.first.length < MAX_BAD_LINE_NUMBERS) h.badLines.first.push({ part: this.part, line: this.lineInPart, reason })
    if (isLastLine) h.truncated = true
  }

  private tooLong (): string {
    return `line longer than ${formatBytes(this.opts.maxLineBytes)} (maxLineBytes), skipped`
  }

  /**
   * The line buf[start, rawEnd) (its newline excluded). Task events, nearly every line, are read in place; a view of
   * the line is made only for the others (allocating one per line was a visible share of the time and of the GC).
   */
  private onLine (buf: Buffer, start: number, rawEnd: number, unterminated: boolean): void {
    this.lineInPart++
    // (a whole line inside one chunk is already in memory; it is refused alike, so chunking does not change the result)
    if (rawEnd - start > this.opts.maxLineBytes) {
      this.health.lines++
      this.bad(this.tooLong(), unterminated)
      return
    }
    let end = rawEnd
    if (end > start && buf[end - 1] === 13) end--
    while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--
    if (end === start) return
    this.health.lines++
    // An unterminated last line is parsed strictly (below): the byte scanners would accept a cut line.
    if (!unterminated && end - start > PREFIX.length && startsWith(buf, PREFIX, start)) {
      if (startsWith(buf, TASK_END_NAME, start + PREFIX.length)) { this.taskEnd(buf, start, end); return }
      if (startsWith(buf, TASK_START_NAME, start + PREFIX.length)) { this.taskStart(buf, start, end); return }
    }
    const line = buf.subarray(start, end)
    let type: string | undefined
    if (line.length > PREFIX.length && startsWith(line, PREFIX, 0)) {
      // the two events of every task, compared in place (no string made for them)
      if (startsWith(line, TASK_END_NAME, PREFIX.length)) type = TASK_END
      else if (startsWith(line, TASK_START_NAME, PREFIX.length)) type = TASK_START
      else {
        const q = line.indexOf(0x22, PREFIX.length)
        if (q > 0) type = line.toString('latin1', PREFIX.length, q)
      }
    } else {
      const p = after(line, K_EVENT, 0, line.length)
      if (p > 0) type = plainStringAt(line, p - 1)
    }
    // An unterminated last line is parsed strictly: the byte scanners would accept a cut line.
    if (type === undefined || unterminated) {
      if (nestedDeeperThan(line)) { this.bad(TOO_DEEP, unterminated); return }
      let parsed: unknown
      try {
        parsed = JSON.parse(line.toString('utf8'))
      } catch {
        this.bad(type === undefined ? 'not JSON' : `invalid JSON (${type})`, unterminated)
        return
      }
      const j = asSparkEvent(parsed)
      if (j === undefined) { this.bad('no "Event" field', unterminated); return }
      this.dispatch(j.Event, line, j)
      return
    }
    this.dispatch(type, line, undefined)
  }

  /** One more event of `type` (by `delta`: -1 takes one back). */
  private count (type: string, delta: number): void {
    this.health.events += delta
    if (type === TASK_END) {
      if (this.taskEnds === 0) this.counts.set(type, 0)
      this.taskEnds += delta
    } else if (type === TASK_START) {
      if (this.taskStarts === 0) this.counts.set(type, 0)
      this.taskStarts += delta
    } else this.counts.set(type, (this.counts.get(type) ?? 0) + delta)
  }

  /** A TaskEnd line at buf[start, end): scanned in place, else (a failed task, an unusual layout) JSON.parse. */
  private taskEnd (buf: Buffer, start: number, end: number): void {
    this.count(TASK_END, 1)
    if (scanTaskEnd(buf, this.rec, this.scan, start, end)) {
      this.health.fastTaskLines++
      this.agg.onTaskEnd(this.rec)
      return
    }
    const j = this.parse(buf.subarray(start, end), TASK_END)
    if (j === undefined) return
    this.health.slowTaskLines++
    this.agg.onTaskEnd(taskEndFromJson(j, this.rec))
  }

  /** A TaskStart line at buf[start, end), likewise. */
  private taskStart (buf: Buffer, start: number, end: number): void {
    this.count(TASK_START, 1)
    if (this.scanTaskStart(buf, start, end)) return
    const j = this.parse(buf.subarray(start, end), TASK_START)
    if (j !== undefined) this.agg.onJson(TASK_START, j)
  }

  private dispatch (type: string, line: Buffer, parsed: SparkEvent | undefined): void {
    if (type === TASK_END && parsed === undefined) { this.taskEnd(line, 0, line.length); return }
    if (type === TASK_START && parsed === undefined) { this.taskStart(line, 0, line.length); return }
    this.count(type, 1)
    if (type === TASK_END) {
      this.health.slowTaskLines++
      this.agg.onTaskEnd(taskEndFromJson(parsed!, this.rec))
      return
    }
    if (type === TASK_START) {
      this.agg.onJson(type, parsed!)
      return
    }
    if (type === SQL_START) {
      if (parsed === undefined && this.scanSqlStart(line)) return
      const j = parsed ?? this.parse(line, type)
      if (j !== undefined) this.agg.onJson(type, j)
      return
    }
    if (JSON_EVENTS.has(type) || EXCLUSION.test(type)) {
      const j = parsed ?? this.parseTrimmed(line, type)
      if (j !== undefined) this.agg.onJson(type, j)
      return
    }
    if (IGNORED_EVENTS.has(type)) return
    const u = this.health.unknownEvents
    u.count++
    u.byType[type] = (u.byType[type] ?? 0) + 1
  }

  /**
   * JSON.parse without the big trailing objects the analysis does not need: a job's or stage's Properties (only a few
   * keys are read: those are picked out by byte search) and, unless asked for, the classpath of an environment update.
   * Falls back to the whole line whenever the cut does not parse.
   */
  private parseTrimmed (line: Buffer, type: string): SparkEvent | undefined {
    const cut = type === 'SparkListenerJobStart' || type === 'SparkListenerStageSubmitted'
      ? K_PROPS
      : type === 'SparkListenerEnvironmentUpdate' && !this.opts.classpath ? K_CLASSPATH : undefined
    const end = line.length
    if (cut === undefined || end < TRIM_MIN || line[end - 1] !== 0x7d) return this.parse(line, type)
    // The last top-level field (Spark writes these two last). Inside a string every quote is escaped, so the needle
    // only matches a key; lastIndexOf finds the top-level one as nothing after it can hold that key.
    const at = line.lastIndexOf(cut)
    if (at < 0) return this.parse(line, type)
    // only the bytes parsed are checked (the dropped tail is searched for strings, never walked); parse() checks
    // the whole line when it falls back to it
    if (nestedDeeperThan(line, MAX_JSON_DEPTH, at)) return this.reject(type, TOO_DEEP)
    let j: SparkEvent | undefined
    try {
      j = asSparkEvent(JSON.parse(line.toString('utf8', 0, at) + '}'))
    } catch {
      return this.parse(line, type)
    }
    if (j === undefined) return this.parse(line, type)
    if (cut === K_PROPS) {
      const props = pickProperties(line, at + K_PROPS.length - 1, end)
      if (props === undefined) return this.parse(line, type)
      j.Properties = props
    }
    return j
  }

  /** The whole line decoded; undefined (one bad line, the event uncounted) when it is not JSON or not an event. */
  private parse (line: Buffer, type: string): SparkEvent | undefined {
    if (nestedDeeperThan(line)) return this.reject(type, TOO_DEEP)
    let j: SparkEvent | undefined
    try {
      j = asSparkEvent(JSON.parse(line.toString('utf8')))
    } catch {
      j = undefined
    }
    if (j !== undefined) return j
    return this.reject(type, `invalid JSON (${type})`)
  }

  /** A line whose event type was counted turns out unusable: uncounted, one bad line. */
  private reject (type: string, reason: string): undefined {
    this.count(type, -1)
    this.bad(reason, false)
    return undefined
  }

  /** TaskStart through the TaskEnd tokenizer: stage, attempt, launch time and executor (it stops at Accumulables). */
  private scanTaskStart (buf: Buffer, start: number, end: number): boolean {
    if (end - start < 2 || buf[start] !== 0x7b || buf[end - 1] !== 0x7d) return false
    const st = this.scan
    st.reset()
    if (readRegion(st.taskStartHead, buf, start + 1, end, this.startRec, st, true) === -1) return false
    const stage = st.nums[TI['Stage ID']]!
    const attempt = st.nums[TI['Stage Attempt ID']]!
    const launch = st.nums[TI['Launch Time']]!
    const exec = st.strs[TI['Executor ID']]
    if (Number.isNaN(stage) || Number.isNaN(launch) || exec === undefined) return false
    this.agg.onTaskStart(stage, Number.isNaN(attempt) ? 0 : attempt, launch, exec)
    return true
  }

  /** Reads id, description and time of a SQL start without touching its (possibly huge) plan. */
  private scanSqlStart (line: Buffer): boolean {
    if (line[line.length - 1] !== 0x7d) return false
    const pi = after(line, S_EXEC_ID, 0, 300)
    if (pi < 0) return false
    const id = numberAt(line, pi)
    const pr = after(line, S_ROOT, 0, 300)
    const pd = after(line, S_DESC, 0, line.length)
    const desc = pd < 0 ? undefined : stringAt(line, pd)
    // "time" follows the plan; the plan's own keys are "nodeName"/"metrics"/…, never a bare "time" key.
    const ti = line.lastIndexOf(S_TIME)
    if (Number.isNaN(id) || desc === undefined || ti < 0) return false
    const time = numberAt(line, ti + S_TIME.length)
    if (Number.isNaN(time)) return false
    this.agg.onSqlStart(id, pr < 0 ? undefined : numberAt(line, pr), desc[0], time)
    return true
  }
}
