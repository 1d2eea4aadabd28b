// Large event logs for the benches, made by replaying a real Spark log's body (SQL executions, jobs, stages, tasks,
// AQE updates, driver accumulator updates, stage executor metrics) many times with new job, stage, task and SQL
// execution ids and shifted times, under the real log's header (log start, application, environment, executors) and
// footer. Every line keeps the shape Spark wrote (a Spark 3.5 SQL job's TaskEnd with its SQL accumulables, a Photon
// TaskEnd with its Photon metrics); only ids and times differ, so the analysis of the result is a real one.
import { createReadStream, createWriteStream } from 'node:fs'

/** What a marked number stands for: Job, Stage, Task, sql Execution id (e: as a string), a tiMe. */
type Kind = 'J' | 'S' | 'T' | 'E' | 'e' | 'M'
const ID_KEYS: Record<string, Kind> = {
  'Job ID': 'J',
  'Stage ID': 'S',
  'Stage IDs': 'S',
  'Parent IDs': 'S',
  stageId: 'S',
  'Task ID': 'T',
  executionId: 'E',
  rootExecutionId: 'E',
  'spark.sql.execution.id': 'e',
  'spark.sql.execution.root.id': 'e',
  'Launch Time': 'M',
  'Finish Time': 'M',
  'Getting Result Time': 'M',
  'Submission Time': 'M',
  'Completion Time': 'M',
  Timestamp: 'M',
  time: 'M',
}
const HEADER = new Set([
  'SparkListenerLogStart', 'DBCEventLoggingListenerMetadata', 'SparkListenerApplicationStart',
  'SparkListenerEnvironmentUpdate', 'SparkListenerResourceProfileAdded', 'SparkListenerExecutorAdded',
  'SparkListenerBlockManagerAdded',
])
const FOOTER = new Set(['SparkListenerApplicationEnd', 'SparkListenerExecutorRemoved', 'SparkListenerBlockManagerRemoved'])

/** One body line split at its ids and times: text[0] value[0] text[1] … text[n]. */
interface Template { text: string[]; kinds: Kind[]; values: number[] }

const MARK = /"@@([JSTEeM])(-?\d+)@@"/g

function mark (v: unknown, kind: Kind | undefined): unknown {
  if (kind !== undefined) {
    if (typeof v === 'number' && !(kind === 'M' && v <= 0)) return `@@${kind}${v}@@`
    if (typeof v === 'string' && kind === 'e' && /^\d+$/.test(v)) return `@@e${v}@@`
    if (Array.isArray(v)) return v.map((x) => mark(x, kind))
  }
  if (Array.isArray(v)) return v.map((x) => mark(x, undefined))
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) o[k] = mark(x, ID_KEYS[k])
    return o
  }
  return v
}

function template (line: string): Template {
  const s = JSON.stringify(mark(JSON.parse(line), undefined))
  const t: Template = { text: [], kinds: [], values: [] }
  let last = 0
  for (const m of s.matchAll(MARK)) {
    t.text.push(s.slice(last, m.index))
    t.kinds.push(m[1] as Kind)
    t.values.push(Number(m[2]))
    last = m.index + m[0].length
  }
  t.text.push(s.slice(last))
  return t
}

export interface ReplaySource { header: string[]; body: Template[]; footer: Template[]; step: Record<Kind, number> }

/** Reads a plain (decompressed) event log and prepares its body for replaying. */
export async function replaySource (file: string): Promise<ReplaySource> {
  const header: string[] = []
  const body: Template[] = []
  const footer: Template[] = []
  let rest = ''
  const onLine = (line: string): void => {
    if (line.trim() === '') return
    const type = /^\{"Event":"([^"]+)"/.exec(line)?.[1]
    if (type === undefined) return
    if (HEADER.has(type)) header.push(line)
    else if (FOOTER.has(type)) footer.push(template(line))
    else body.push(template(line))
  }
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split('\n')
    rest = lines.pop()!
    lines.forEach(onLine)
  }
  onLine(rest)
  const max = { J: 0, S: 0, T: 0, E: 0, e: 0, M: 0 }
  let minTime = Infinity
  for (const t of body) {
    t.kinds.forEach((k, i) => {
      const v = t.values[i]!
      if (k === 'M') minTime = Math.min(minTime, v)
      max[k] = Math.max(max[k], v)
    })
  }
  const ids = Math.max(max.E, max.e) + 1
  return { header, body, footer, step: { J: max.J + 1, S: max.S + 1, T: max.T + 1, E: ids, e: ids, M: max.M - minTime + 1000 } }
}

const render = (t: Template, round: number, step: Record<Kind, number>): string => {
  let s = t.text[0]!
  for (let i = 0; i < t.kinds.length; i++) {
    const k = t.kinds[i]!
    const v = t.values[i]! + round * step[k]
    s += (k === 'e' ? `"${v}"` : String(v)) + t.text[i + 1]!
  }
  return s
}

/** Writes the source's header, then its body replayed until the file holds about `targetBytes`, then its footer. */
export async function generateLog (src: ReplaySource, dest: string, targetBytes: number): Promise<{ bytes: number; rounds: number }> {
  const out = createWriteStream(dest, { highWaterMark: 4 << 20 })
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  let written = 0
  let buf = src.header.join('\n') + '\n'
  let round = 0
  for (; written + buf.length < targetBytes || round === 0; round++) {
    for (const t of src.body) {
      buf += render(t, round, src.step) + '\n'
      if (buf.length > 4 << 20) { written += buf.length; await write(buf); buf = '' }
    }
  }
  for (const t of src.footer) buf += render(t, round - 1, src.step) + '\n'
  written += buf.length
  await write(buf)
  await new Promise<void>((resolve, reject) => out.end((e?: Error) => (e ? reject(e) : resolve())))
  return { bytes: written, rounds: round }
}
