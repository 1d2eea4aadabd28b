// The byte scanner must read exactly what JSON.parse reads, for every TaskEnd line of fixtures across Spark versions.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { scanTaskEnd } from '../../src/spark/task-end-scanner.js'
import { newTaskEndRecord, taskEndFromJson } from '../../src/spark/task-metrics.js'
import { EVENTLOGS } from '../helper-fixtures.js'

const LOGS = EVENTLOGS

const FILES = [
  'spark/local-1422981780767', // 1.2
  'spark/local-1430917381534', // 1.4
  'sparklint/event_log_0', // 1.5
  'spark/app-20161115172038-0000', // 2.1
  'spark/app-20200706201101-0003', // 3.1, hand-edited push read metrics
  'spark/local-1642039451826', // 3.3 with Partition ID
  'spark-rapids-tools/spark-events-qualification/java_udf_eventlog', // 3.5
  'spark-rapids-tools/spark-events-qualification/nds_q88_photon_db_13_3.zstd', // Databricks 13.3
]

const plain = (r: ReturnType<typeof newTaskEndRecord>) => ({ ...r, metrics: [...r.metrics], executorMetrics: [...r.executorMetrics] })

for (const f of FILES) {
  t.test(f, async (t) => {
    const p = path.join(LOGS, f)
    const text = f.endsWith('.zstd') ? execFileSync('zstd', ['-dc', p], { maxBuffer: 1 << 29 }) : readFileSync(p)
    let fast = 0
    let compared = 0
    const mismatches: string[] = []
    for (const line of text.toString('utf8').split('\n')) {
      if (!line.startsWith('{"Event":"SparkListenerTaskEnd"')) continue
      const buf = Buffer.from(line)
      const a = newTaskEndRecord()
      const b = taskEndFromJson(JSON.parse(line), newTaskEndRecord())
      compared++
      if (!scanTaskEnd(buf, a)) continue
      fast++
      const pa = plain(a)
      const pb = plain(b)
      // the scanner only takes Success lines, whose detail text is empty either way
      if (JSON.stringify(pa) !== JSON.stringify(pb) && mismatches.length < 3) mismatches.push(`${JSON.stringify(pa)}\n!=\n${JSON.stringify(pb)}`)
    }
    t.ok(compared > 0, `${compared} TaskEnd lines`)
    t.ok(fast > 0, `${fast} read by the scanner`)
    t.same(mismatches, [])
  })
}

t.test('non-success and odd lines go to the JSON path', async (t) => {
  const rec = newTaskEndRecord()
  t.equal(scanTaskEnd(Buffer.from('{"Event":"SparkListenerTaskEnd","Stage ID":0,"Stage Attempt ID":0,"Task End Reason":{"Reason":"TaskKilled","Kill Reason":"x"},"Task Info":{"Task ID":1,"Launch Time":1,"Executor ID":"1","Finish Time":2}}'), rec), false)
  t.equal(scanTaskEnd(Buffer.from('{"Event":"SparkListenerTaskEnd","Stage ID":0,"Task End Reason":{"Reason":"Success"},"Task Info":{"Task ID":1,"Launch Time":1,"Executor ID":"1","Finish Time":2'), rec), false, 'cut line')
  t.equal(scanTaskEnd(Buffer.from('{"Event":"SparkListenerTaskEnd","Stage ID":3,"Stage Attempt ID":1,"Task End Reason":{"Reason":"Success"},"Task Info":{"Task ID":7,"Index":2,"Launch Time":100,"Executor ID":"4","Host":"h","Finish Time":250,"Accumulables":[{"Name":"\\"Task Metrics\\":{","Update":1}]},"Task Metrics":{"Executor Run Time":120,"JVM GC Time":5,"Input Metrics":{"Bytes Read":99,"Records Read":3}}}'), rec), true)
  t.equal(rec.stageId, 3)
  t.equal(rec.stageAttemptId, 1)
  t.equal(rec.finishTime - rec.launchTime, 150)
  t.equal(rec.metrics[2], 120)
  t.equal(rec.metrics[10], 99)
})
