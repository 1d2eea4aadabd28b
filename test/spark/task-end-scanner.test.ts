// The byte scanner must read exactly what JSON.parse reads, for every TaskEnd line of fixtures across Spark versions.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { lastKey, scanTaskEnd } from '../../src/spark/task-end-scanner.js'
import { ScanState } from '../../src/spark/field-scanner.js'
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
    // one state for the file, as the parser keeps it: lines after the first are read by the learnt shapes
    const st = new ScanState()
    const mismatches: string[] = []
    for (const line of text.toString('utf8').split('\n')) {
      if (!line.startsWith('{"Event":"SparkListenerTaskEnd"')) continue
      const buf = Buffer.from(line)
      const a = newTaskEndRecord()
      const b = taskEndFromJson(JSON.parse(line), newTaskEndRecord())
      compared++
      if (!scanTaskEnd(buf, a, st)) continue
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

t.test('learnt shapes: a line of another layout is tokenized, and never read by a shape that does not fit', async (t) => {
  const st = new ScanState()
  const line = (o: { host?: string, tem?: string, blocks?: string, extra?: string, run?: number | string, reason?: string }) => Buffer.from(
    `{"Event":"SparkListenerTaskEnd","Stage ID":3,"Stage Attempt ID":0,"Task Type":"ResultTask","Task End Reason":{"Reason":"${o.reason ?? 'Success'}"},` +
    `"Task Info":{"Task ID":7,"Index":2,"Attempt":0,"Partition ID":2,"Launch Time":100,"Executor ID":"4","Host":"${o.host ?? 'h1'}","Locality":"PROCESS_LOCAL",` +
    '"Speculative":false,"Getting Result Time":0,"Finish Time":250,"Failed":false,"Killed":false,"Accumulables":[{"ID":1,"Name":"x","Update":"5","Value":"5"}]},' +
    (o.tem ?? '"Task Executor Metrics":{"JVMHeapMemory":10,"MinorGCCount":2},') +
    `"Task Metrics":{"Executor Run Time":${o.run ?? 120},${o.extra ?? ''}"JVM GC Time":5,"Input Metrics":{"Bytes Read":99,"Records Read":3},"Updated Blocks":${o.blocks ?? '[]'}}}`)
  const check = (l: Buffer, what: string): void => {
    const a = newTaskEndRecord()
    const ok = scanTaskEnd(l, a, st)
    const fresh = newTaskEndRecord()
    const okFresh = scanTaskEnd(l, fresh)
    t.equal(ok, okFresh, `${what}: same answer as without shapes`)
    if (ok) t.same(plain(a), plain(fresh), `${what}: same record as without shapes`)
    if (ok) t.same(plain(a), plain(taskEndFromJson(JSON.parse(l.toString()), newTaskEndRecord())), `${what}: same record as JSON.parse`)
  }
  check(line({}), 'first line (learns)')
  t.equal(st.taskEndHead.shapes.length, 1)
  t.equal(st.taskEndTail.shapes.length, 1)
  check(line({ host: 'another-host.example', run: 98765 }), 'same layout, other values')
  check(line({ host: 'esc\\\\aped' }), 'a host with an escape')
  t.equal(scanTaskEnd(line({ host: 'bad\\escape' }), newTaskEndRecord(), st), false, 'a damaged escape: the JSON path (no throw)')
  check(line({ extra: '"Result Size":77,' }), 'an extra metric')
  check(line({ run: 1.5e3 }), 'a fraction')
  check(line({ run: -4 }), 'a negative number')
  // numbers as text, read back from the line's end by the learnt tail shape
  check(line({ run: '1.5e3' }), 'an exponent')
  check(line({ run: '12.25' }), 'a fraction in the text')
  check(line({ run: '-0' }), 'minus zero')
  check(line({ run: '123456789012345' }), '15 digits')
  check(line({ run: '1234567890123456789' }), 'more digits than a double holds exactly')
  check(line({ extra: '"Result Size":0,' }), 'a zero right after a key')
  check(line({ blocks: '[{"Block ID":"rdd_1_2","Status":{"Memory Size":10}}]' }), 'updated blocks')
  check(line({ tem: '' }), 'no Task Executor Metrics')
  check(line({ tem: '"Task Executor Metrics":{"JVMHeapMemory":true,"MinorGCCount":2},' }), 'a value of another kind')
  check(line({ reason: 'Resubmitted' }), 'not a success')
  check(line({}), 'the first layout again')
  t.equal(scanTaskEnd(line({}).subarray(0, 300), newTaskEndRecord(), st), false, 'a cut line')
})

t.test('zeros folded into a learnt tail shape: read exactly while the zeros hold, the plain shape when they do not', async (t) => {
  const st = new ScanState()
  const line = (gc: string, spill: string, heap: string) => Buffer.from(
    '{"Event":"SparkListenerTaskEnd","Stage ID":1,"Stage Attempt ID":0,"Task End Reason":{"Reason":"Success"},' +
    '"Task Info":{"Task ID":7,"Index":2,"Attempt":0,"Launch Time":100,"Executor ID":"4","Host":"h1","Finish Time":250,"Accumulables":[]},' +
    `"Task Executor Metrics":{"JVMHeapMemory":${heap},"MinorGCCount":0,"MajorGCCount":0},` +
    `"Task Metrics":{"Executor Run Time":120,"JVM GC Time":${gc},"Result Size":0,"Memory Bytes Spilled":${spill},"Disk Bytes Spilled":0,` +
    '"Input Metrics":{"Bytes Read":0,"Records Read":0},"Output Metrics":{"Bytes Written":0,"Records Written":0},"Updated Blocks":[]}}')
  const check = (l: Buffer, what: string): void => {
    const a = newTaskEndRecord()
    t.equal(scanTaskEnd(l, a, st), true, `${what}: read by the scanner`)
    t.same(plain(a), plain(taskEndFromJson(JSON.parse(l.toString()), newTaskEndRecord())), `${what}: same record as JSON.parse`)
  }
  for (let i = 0; i < 12; i++) check(line('0', '0', '0'), `zeros, line ${i}`)
  t.equal(st.taskEndTail.folded.shapes.length, 1, 'a folded shape was learnt')
  check(line('7', '0', '0'), 'a folded zero that is not 0 now')
  check(line('0.5', '0', '0'), 'a fraction where a zero was')
  check(line('-0', '0', '0'), 'minus zero where a zero was')
  check(line('0', '1e3', '0'), 'an exponent where a zero was')
  check(line('0', '0', '123456'), 'an executor metric that is not 0 now')
  check(line('0', '0', '0'), 'zeros again')
  // a record that held other values before is overwritten with the folded zeros
  const a = newTaskEndRecord()
  a.metrics.fill(9)
  a.executorMetrics.fill(9)
  t.equal(scanTaskEnd(line('0', '0', '0'), a, st), true)
  t.same(plain(a), plain(taskEndFromJson(JSON.parse(line('0', '0', '0').toString()), newTaskEndRecord())))
})

t.test('lastKey finds a key only inside the line, short or long, wherever the read buffer holds it', async (t) => {
  const key = Buffer.from('"Task Executor Metrics":')
  // the line [start, end) sits between other lines of the buffer that do hold the key
  const before = `{"a":1,${key.toString()}{}}\n`.repeat(3)
  const check = (body: string, expect: number | null, what: string): void => {
    const buf = Buffer.from(before + body + '\n' + before)
    const start = before.length
    const end = start + Buffer.byteLength(body)
    const naive = buf.subarray(start, end).lastIndexOf(key)
    t.equal(lastKey(buf, key, start, end), naive < 0 ? -1 : start + naive, `${what}: as a search of the line alone`)
    if (expect !== null) t.equal(naive, expect, `${what}: the key is where the case puts it`)
  }
  check('{"Task Metrics":{"x":1}}', -1, 'short line without the key (the buffer before it has one)')
  check(`{${key.toString()}{},"Task Metrics":{}}`, 1, 'short line with the key')
  const pad = 'x'.repeat(5000)
  check(`{"p":"${pad}","Task Metrics":{}}`, -1, 'long line without the key')
  check(`{${key.toString()}{},"p":"${pad}"}`, 1, 'long line, the key far from the end')
  check(`{"p":"${pad}",${key.toString()}{}}`, 5000 + 8, 'long line, the key near the end')
  // keys at every distance from the line's end
  for (let shift = -30; shift <= 30; shift += 3) {
    const body = `{"p":"${'y'.repeat(5000 - 2048 - key.length + shift)}",${key.toString()}${'z'.repeat(2048 - 2)}}`
    check(body, null, `the key about 2 KB from the end (${shift})`)
  }
})
