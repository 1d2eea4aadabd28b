// The baseline the analysis is measured against, as a whole process: stream the plain file, split lines, JSON.parse
// every line, minimal aggregation (events by type and Σ executor run time, so the parse cannot be optimised away).
// Plain JavaScript: it starts as fast as node does.
import { createReadStream } from 'node:fs'

const byType = new Map()
let runTime = 0
let rest = ''
const onLine = (line) => {
  if (line === '') return
  let e
  try { e = JSON.parse(line) } catch { return }
  byType.set(e.Event, (byType.get(e.Event) ?? 0) + 1)
  if (e.Event === 'SparkListenerTaskEnd') runTime += e['Task Metrics']?.['Executor Run Time'] ?? 0
}
for await (const chunk of createReadStream(process.argv[2], { encoding: 'utf8', highWaterMark: 1 << 20 })) {
  const s = rest + chunk
  let start = 0
  let nl = s.indexOf('\n')
  while (nl >= 0) { onLine(s.slice(start, nl)); start = nl + 1; nl = s.indexOf('\n', start) }
  rest = s.slice(start)
}
onLine(rest)
console.log(`Σ executor run time ${runTime}`)
