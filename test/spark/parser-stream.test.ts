// Streaming details of the analyser: reused read buffers, lines across chunk boundaries, and tasks that end after
// their stage completed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { Aggregator } from '../../src/spark/aggregator.js'
import { analyseEventLog, analyseText } from '../../src/spark/analyse.js'
import { EventLogParser } from '../../src/spark/event-parser.js'

const task = (stage: number, id: number, runTime: number, launch: number, finish: number, reason = '{"Reason":"Success"}'): string =>
  `{"Event":"SparkListenerTaskEnd","Stage ID":${stage},"Stage Attempt ID":0,"Task Type":"ResultTask","Task End Reason":${reason},` +
  `"Task Info":{"Task ID":${id},"Index":${id},"Attempt":0,"Launch Time":${launch},"Executor ID":"1","Host":"h","Locality":"PROCESS_LOCAL",` +
  `"Speculative":false,"Getting Result Time":0,"Finish Time":${finish},"Failed":false,"Killed":false,"Accumulables":[` +
  `{"ID":1,"Name":"internal.metrics.executorRunTime","Update":${runTime},"Value":${runTime},"Internal":true,"Count Failed Values":true}]},` +
  `"Task Executor Metrics":{"JVMHeapMemory":${id}},"Task Metrics":{"Executor Deserialize Time":0,"Executor Run Time":${runTime},"Result Size":10,` +
  `"JVM GC Time":0,"Result Serialization Time":0,"Memory Bytes Spilled":0,"Disk Bytes Spilled":0,"Input Metrics":{"Bytes Read":${id},"Records Read":1}}}`
const stageInfo = (id: number, n: number, extra = ''): string =>
  `{"Stage ID":${id},"Stage Attempt ID":0,"Stage Name":"s${id}","Number of Tasks":${n},"RDD Info":[],"Details":"","Submission Time":1000${extra},"Accumulables":[]}`
const header = [
  '{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}',
  '{"Event":"SparkListenerApplicationStart","App Name":"a","App ID":"app-1","Timestamp":1000,"User":"u"}',
]

t.test('a task that ends after its stage completed counts in the quantiles too', async (t) => {
  const lines = [
    ...header,
    `{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":1000,"Stage Infos":[${stageInfo(0, 3)}],"Stage IDs":[0],"Properties":{}}`,
    `{"Event":"SparkListenerStageSubmitted","Stage Info":${stageInfo(0, 3)},"Properties":{}}`,
    // no TaskStart events logged (as in a log that starts late): the stage looks idle when it completes
    task(0, 0, 100, 1000, 1200),
    task(0, 1, 110, 1000, 1210),
    `{"Event":"SparkListenerStageCompleted","Stage Info":${stageInfo(0, 3, ',"Completion Time":1300')}}`,
    task(0, 2, 900, 1000, 1950),
    '{"Event":"SparkListenerJobEnd","Job ID":0,"Completion Time":2000,"Job Result":{"Result":"JobSucceeded"}}',
  ]
  const a = analyseText(lines.join('\n') + '\n')
  const stage = a.stages.find((s) => s.stageId === 0)!
  t.equal(stage.executorRunTime, 1110, 'stage total has all three tasks')
  const sum = a.taskSummaries.find((s) => s.stageId === 0)!
  t.equal(sum.count, 3, 'the summary counts all three')
  t.same(sum.executorRunTime, [100, 100, 110, 900, 900], 'the late task is in the quantiles')
})

t.test('a speculative copy still running at stage completion counts once it ends', async (t) => {
  const start = (stage: number, id: number, launch: number): string =>
    `{"Event":"SparkListenerTaskStart","Stage ID":${stage},"Stage Attempt ID":0,"Task Info":{"Task ID":${id},"Index":${id},"Attempt":0,"Launch Time":${launch},"Executor ID":"1","Host":"h","Locality":"PROCESS_LOCAL","Speculative":false,"Getting Result Time":0,"Finish Time":0,"Failed":false,"Killed":false,"Accumulables":[]}}`
  const lines = [
    ...header,
    `{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":1000,"Stage Infos":[${stageInfo(0, 2)},${stageInfo(1, 1)}],"Stage IDs":[0,1],"Properties":{}}`,
    `{"Event":"SparkListenerStageSubmitted","Stage Info":${stageInfo(0, 2)},"Properties":{}}`,
    start(0, 0, 1000), start(0, 1, 1000), start(0, 2, 1001),
    task(0, 0, 100, 1000, 1200),
    task(0, 1, 110, 1000, 1210),
    `{"Event":"SparkListenerStageCompleted","Stage Info":${stageInfo(0, 2, ',"Completion Time":1300')}}`,
    task(0, 2, 30, 1001, 1051, '{"Reason":"TaskKilled","Kill Reason":"another attempt succeeded"}'),
    `{"Event":"SparkListenerStageSubmitted","Stage Info":${stageInfo(1, 1)},"Properties":{}}`,
    start(1, 3, 1500), task(1, 3, 50, 1500, 1600),
    `{"Event":"SparkListenerStageCompleted","Stage Info":${stageInfo(1, 1, ',"Completion Time":1700')}}`,
    '{"Event":"SparkListenerJobEnd","Job ID":0,"Completion Time":2000,"Job Result":{"Result":"JobSucceeded"}}',
  ]
  const a = analyseText(lines.join('\n') + '\n')
  const sum = a.taskSummaries.find((s) => s.stageId === 0)!
  t.equal(sum.count, 2, 'two successful tasks')
  // durations take every task (indices from the success count, as Spark): the killed copy is the shortest
  t.same(sum.duration, [50, 50, 200, 200, 200], 'the killed copy is among the durations')
  t.equal(a.stages.find((s) => s.stageId === 0)!.numKilledTasks, 1)
})

t.test('stages retired long ago keep their summary; memory stays bounded', async (t) => {
  const lines = [...header]
  let id = 0
  for (let s = 0; s < 30; s++) {
    lines.push(`{"Event":"SparkListenerJobStart","Job ID":${s},"Submission Time":1000,"Stage Infos":[${stageInfo(s, 4000)}],"Stage IDs":[${s}],"Properties":{}}`)
    lines.push(`{"Event":"SparkListenerStageSubmitted","Stage Info":${stageInfo(s, 4000)},"Properties":{}}`)
    for (let i = 0; i < 4000; i++) lines.push(task(s, id++, 10 + (i % 7), 1000, 1100))
    lines.push(`{"Event":"SparkListenerStageCompleted","Stage Info":${stageInfo(s, 4000, ',"Completion Time":1300')}}`)
    lines.push(`{"Event":"SparkListenerJobEnd","Job ID":${s},"Completion Time":2000,"Job Result":{"Result":"JobSucceeded"}}`)
  }
  const a = analyseText(lines.join('\n') + '\n')
  t.equal(a.taskSummaries.length, 30)
  for (const s of a.taskSummaries) t.same(s.executorRunTime, [10, 11, 13, 15, 16], `stage ${s.stageId}`)
})

t.test('lines cut across chunks of a reused buffer read the same as one piece', async (t) => {
  const lines = [...header]
  lines.push(`{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":1000,"Stage Infos":[${stageInfo(0, 50)}],"Stage IDs":[0],"Properties":{}}`)
  lines.push(`{"Event":"SparkListenerStageSubmitted","Stage Info":${stageInfo(0, 50)},"Properties":{}}`)
  for (let i = 0; i < 50; i++) lines.push(task(0, i, 10 + i, 1000, 1100 + i))
  lines.push(`{"Event":"SparkListenerStageCompleted","Stage Info":${stageInfo(0, 50, ',"Completion Time":1300')}}`)
  lines.push('{"Event":"SparkListenerApplicationEnd","Timestamp":3000}')
  const text = Buffer.from(lines.join('\r\n') + '\r\n')
  const whole = analyseText(text)
  const strip = (a: ReturnType<typeof analyseText>) => ({ ...a, generatedAt: '' })
  for (const size of [1, 7, 64, 1000, 4096]) {
    const agg = new Aggregator()
    const p = new EventLogParser(agg)
    const buf = Buffer.alloc(size)
    for (let off = 0; off < text.length; off += size) {
      const n = text.copy(buf, 0, off, off + size)
      p.push(buf.subarray(0, n), 0)
      buf.fill(0x78) // the parser must not keep a view of the chunk
    }
    const health = p.end()
    t.equal(health.fastTaskLines, 50, `chunks of ${size}: scanner read every task`)
    t.equal(health.badLines.count, 0, `chunks of ${size}: no bad lines`)
    t.same(agg.result().stages, whole.stages, `chunks of ${size}: same stages`)
  }
  // A plain file bigger than the reader's buffers, through analyseEventLog (reused 4 MB buffers).
  const dir = mkdtempSync(path.join(tmpdir(), 'tri-parser-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const big: string[] = [...lines.slice(0, 4)]
  for (let i = 50; i < 20_000; i++) big.push(task(0, i, 10 + (i % 100), 1000, 1100 + i))
  big.push(...lines.slice(-2))
  const file = path.join(dir, 'eventlog')
  writeFileSync(file, big.join('\n'))
  const fromFile = await analyseEventLog(file)
  // (the reader passes the unterminated last line on as it is)
  const inMemory = analyseText(big.join('\n'))
  t.ok(fromFile.parse.bytes > 9 * 1024 * 1024, 'spans several read buffers')
  t.same(strip({ ...fromFile, source: inMemory.source }), strip(inMemory), 'file and memory agree')
})

t.test('big Properties and environment updates are cut, the keys read are the same', async (t) => {
  const filler: Record<string, string> = {}
  for (let i = 0; i < 300; i++) filler[`spark.some.key${i}`] = `value ${i} with a decoy \\"spark.job.description\\": "x" and {"spark.jobGroup.id":1}`
  const props = {
    ...filler,
    'spark.job.description': 'line one\nline "two" \u00e9',
    'spark.jobGroup.id': 'group-1',
    'spark.sql.execution.id': '7',
    'spark.scheduler.pool': 'pool\\a',
    'spark.job.tags': 'b,a',
  }
  const lines = [
    ...header,
    '{"Event":"org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart","executionId":7,"description":"q\\n\\"7\\"","details":"","physicalPlanDescription":"","sparkPlanInfo":{},"time":1000}',
    JSON.stringify({ Event: 'SparkListenerEnvironmentUpdate', 'JVM Information': { 'Java Version': '17' }, 'Spark Properties': { 'spark.master': 'local[2]' }, 'Classpath Entries': Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`/jar/${i}.jar`, 'System Classpath'])) }),
    JSON.stringify({ Event: 'SparkListenerJobStart', 'Job ID': 0, 'Submission Time': 1000, 'Stage Infos': [JSON.parse(stageInfo(0, 1))], 'Stage IDs': [0], Properties: props }),
    JSON.stringify({ Event: 'SparkListenerStageSubmitted', 'Stage Info': JSON.parse(stageInfo(0, 1)), Properties: props }),
    task(0, 0, 5, 1000, 1100),
    `{"Event":"SparkListenerStageCompleted","Stage Info":${stageInfo(0, 1, ',"Completion Time":1300')}}`,
  ]
  const a = analyseText(lines.join('\n') + '\n', { environment: 'full' })
  const job = a.jobs[0]!
  t.equal(job.description, props['spark.job.description'])
  t.equal(job.jobGroup, 'group-1')
  t.equal(job.sqlExecutionId, 7)
  t.same(job.jobTags, ['a', 'b'])
  t.equal(a.stages[0]!.schedulingPool, 'pool\\a')
  t.equal(a.stages[0]!.description, props['spark.job.description'])
  t.equal(a.sql[0]!.description, 'q\n"7"', 'escapes in a SQL description are decoded')
  t.same(a.sql[0]!.jobIds, [0])
  t.equal(a.environment.classpathEntries?.length, 200, 'classpath kept for the full environment')
  t.equal(analyseText(lines.join('\n') + '\n').environment.classpathEntries, undefined)
})
