// Bounds on what a log can make the analysis hold: one line (maxLineBytes), decompressed bytes per part, JSON depth.
// Memory is measured as the peak RSS of a child process that does nothing else.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { analyseText } from '../../src/spark/analyse.js'

const CHILD = fileURLToPath(new URL('../helper-memory-child.ts', import.meta.url))
const run = promisify(execFile)

/** Runs a scenario of the memory child; its last stdout line is its report. */
export async function child (args: string[], env: Record<string, string> = {}): Promise<any> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

t.test('a line longer than maxLineBytes is one bad line, however it is chunked', async (t) => {
  const long = `{"Event":"SparkListenerEnvironmentUpdate","x":"${'a'.repeat(5000)}"}`
  const text = ['{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}', long, '{"Event":"SparkListenerApplicationEnd","Timestamp":1}', ''].join('\n')
  const whole = analyseText(text, { maxLineBytes: 1000 })
  t.equal(whole.parse.badLines.count, 1)
  t.match(whole.parse.badLines.first[0], { line: 2, reason: /longer than 1000 B \(maxLineBytes\)/ })
  t.equal(whole.parse.events, 2, 'the lines around it are read')
  const { Aggregator } = await import('../../src/spark/aggregator.js')
  const { EventLogParser } = await import('../../src/spark/event-parser.js')
  for (const size of [1, 7, 999, 1001, 4096]) {
    const p = new EventLogParser(new Aggregator(), { maxLineBytes: 1000 })
    const b = Buffer.from(text)
    for (let i = 0; i < b.length; i += size) p.push(b.subarray(i, i + size))
    const h = p.end()
    t.same({ bad: h.badLines, events: h.events, lines: h.lines, truncated: h.truncated }, { bad: whole.parse.badLines, events: 2, lines: 3, truncated: false }, `chunks of ${size}`)
  }
  // An over-long last line that never ends is also a cut line.
  const cut = analyseText(text.slice(0, text.indexOf(long) + 3000), { maxLineBytes: 1000 })
  t.equal(cut.parse.badLines.count, 1)
  t.equal(cut.parse.truncated, true)
})

t.test('memory stays bounded with one 300 MiB line (default maxLineBytes)', async (t) => {
  const r = await child(['long-line', '300'])
  t.equal(r.badLines.count, 1)
  t.match(r.badLines.first[0].reason, /longer than 128 MiB/)
  t.equal(r.events, 2, 'the lines before and after it are read')
  // Bounded, the carried line's last growth holds 64 + 128 MiB at once, beside ~100 MiB of runtime. Unbounded, it
  // doubles to 512 MiB (with the 256 MiB it grew from) for this line, and with the line's length for longer ones.
  t.ok(r.peakRssMiB < 400, `peak RSS ${r.peakRssMiB.toFixed(0)} MiB stays under 400 MiB`)
})
