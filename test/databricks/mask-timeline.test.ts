import t from 'tap'
import { MASK, maskConfEntry, maskSparkConf } from '../../src/databricks/mask.js'
import { describeEvent, timelineRows } from '../../src/databricks/timeline.js'
import { parseEvent, type DbxEvent } from '../../src/databricks/databricks-client.js'

t.test('Spark conf masking: secret-looking keys and values hidden, references shown, the rest untouched', async (t) => {
  const cases: Array<[string, string, 'plain' | 'masked' | 'reference']> = [
    ['spark.hadoop.fs.s3a.secret.key', 'wJalrXUtnFEMI/K7MDENG', 'masked'],
    ['spark.hadoop.fs.s3a.access.key', 'AKIAIOSFODNN7EXAMPLE', 'masked'],
    ['fs.azure.account.key.acct.dfs.core.windows.net', 'abc', 'masked'],
    ['spark.some.password', 'hunter2', 'masked'],
    ['spark.callback', 'dapi0f3c9a7be41d2c88e5b6a1f0d9c3e7a2', 'masked'],
    ['spark.jdbc.url', 'jdbc:sqlserver://h;user=a;password=b', 'masked'],
    ['spark.custom.blob', 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwMTIz', 'masked'],
    ['spark.hadoop.javax.jdo.option.ConnectionPassword', '{{secrets/trifacta/metastore-password}}', 'reference'],
    ['spark.token.ref', ' {{secrets/scope/key}} ', 'reference'],
    ['spark.sql.shuffle.partitions', '400', 'plain'],
    ['spark.serializer', 'org.apache.spark.serializer.KryoSerializer', 'plain'],
    ['fs.azure.account.auth.type', 'OAuth', 'plain'],
    ['spark.local.dir', '/local_disk0/tmp/some_directory_with_a_long_name_indeed', 'plain']
  ]
  for (const [k, v, kind] of cases) {
    const m = maskConfEntry(k, v)
    t.equal(m.kind, kind, k)
    if (kind === 'masked') t.equal(m.value, MASK)
    if (kind === 'plain') t.equal(m.value, v)
  }
  t.same(maskSparkConf({ b: '1', a: '2' }).map((e) => e.key), ['a', 'b'], 'sorted by key')
})

t.test('timeline: reasons and worker counts in words; autoscaling reports folded; tones', async (t) => {
  const ev = (type: string, details: Record<string, unknown>, ts = 1000): DbxEvent => parseEvent({ timestamp: ts, type, details })!
  t.match(describeEvent(ev('NODES_LOST', { current_num_workers: 5, target_num_workers: 6, instance_id: 'i-1', reason: { code: 'SPOT_INSTANCE_TERMINATION', type: 'CLOUD_FAILURE', parameters: { instance_id: 'i-1' } } })),
    /lost node i-1 · now 5 of 6 workers · SPOT_INSTANCE_TERMINATION \(CLOUD_FAILURE\)/)
  t.match(describeEvent(ev('RESIZING', { current_num_workers: 2, target_num_workers: 8, cause: 'AUTOSCALE' })), /resizing 2 → 8 workers · cause AUTOSCALE/)
  t.match(describeEvent(ev('TERMINATING', { reason: { code: 'JOB_FINISHED', type: 'SUCCESS' } })), /reason JOB_FINISHED \(SUCCESS\)/)
  t.match(describeEvent(ev('DRIVER_NOT_RESPONDING', { driver_state_message: 'GC' })), /GC/)
  t.match(describeEvent(ev('FUTURE_EVENT', { current_num_vcpus: 16 })), /current num vcpus 16/, 'unknown types still say something')
  const rows = timelineRows([
    ev('CREATING', { user: 'svc' }, 0),
    ev('AUTOSCALING_STATS_REPORT', { current_num_workers: 2 }, 100),
    ev('AUTOSCALING_STATS_REPORT', { current_num_workers: 3 }, 200),
    ev('AUTOSCALING_STATS_REPORT', { current_num_workers: 4 }, 300),
    ev('UPSIZE_COMPLETED', { current_num_workers: 3, target_num_workers: 4, reason: { code: 'AWS_INSUFFICIENT_INSTANCE_CAPACITY_FAILURE', type: 'CLOUD_FAILURE' } }, 400),
    ev('TERMINATING', { reason: { code: 'DRIVER_OUT_OF_MEMORY', type: 'CLIENT_ERROR' } }, 500)
  ], 50)
  t.same(rows.map((r) => [r.type, r.count, r.tone, r.offsetMs]), [
    ['CREATING', 1, 'info', -50],
    ['AUTOSCALING_STATS_REPORT', 3, 'resize', 50],
    ['UPSIZE_COMPLETED', 1, 'warn', 350],
    ['TERMINATING', 1, 'error', 450]
  ])
  t.match(rows[1]!.text, /3 autoscaling reports, last at 4 workers/)
})
