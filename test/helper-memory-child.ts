// Child process of the readers' memory tests: runs one scenario and prints its peak RSS (the process's own maximum,
// so nothing else the test runner holds counts) with what the analysis reported.
import { Aggregator } from '../src/spark/aggregator.js'
import { analyseEventLog } from '../src/spark/analyse.js'
import { EventLogParser } from '../src/spark/event-parser.js'

const [scenario, arg] = process.argv.slice(2)
const MiB = 1024 * 1024
let report: object

if (scenario === 'long-line') {
  // One line of `arg` MiB streamed in 1 MiB chunks of one reused buffer, between two good lines: nothing but the
  // parser can hold the line.
  const parser = new EventLogParser(new Aggregator())
  parser.push(Buffer.from('{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}\n{"Event":"SparkListenerEnvironmentUpdate","x":"'))
  const chunk = Buffer.alloc(MiB, 0x61)
  for (let i = 0; i < Number(arg); i++) parser.push(chunk)
  parser.push(Buffer.from('"}\n{"Event":"SparkListenerApplicationEnd","Timestamp":1}\n'))
  const h = parser.end()
  report = { badLines: h.badLines, events: h.events, lines: h.lines }
} else {
  const a = await analyseEventLog(arg!, JSON.parse(process.env.TT_ANALYSE_OPTS ?? '{}'))
  report = { badLines: a.parse.badLines, events: a.parse.events, damage: a.parse.damage, truncated: a.parse.truncated, bytes: a.parse.bytes }
}
process.stdout.write(JSON.stringify({ ...report, peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n')
