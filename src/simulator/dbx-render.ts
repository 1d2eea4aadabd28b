import { createRng } from './rng.js'
import { RESTART_DOWN_MS } from './world-dbx.js'
import { MIN, SIM_S3_REGION } from './world-plan.js'
import type { SimCluster, SimDbxRun } from './world-types.js'

export interface ClusterEvent {
  cluster_id: string
  timestamp: number
  type: string
  details: Record<string, unknown>
}

/** marks a value to be written as a bare JSON number even beyond 2^53, as Databricks does for spark_context_id */
const BIG = '@@bigint@@'
export const stringifyWithBigInts = (v: unknown): string => JSON.stringify(v).replace(new RegExp(`"${BIG}(\\d+)"`, 'g'), '$1')

/** Where the simulated S3 answers: cluster_log_conf.s3.endpoint of clusters delivering to s3:// */
export interface LogConfEnv {
  s3Endpoint?: string
}

/** cluster_log_conf for a destination: dbfs:/…, or s3://… with the simulated bucket's region and endpoint */
function logConf (dest: string, env: LogConfEnv): Record<string, unknown> {
  if (dest.startsWith('/Volumes/')) return { volumes: { destination: dest } }
  if (!dest.startsWith('s3://')) return { dbfs: { destination: dest } }
  return { s3: { destination: dest, region: SIM_S3_REGION, ...(env.s3Endpoint ? { endpoint: env.s3Endpoint } : {}), enable_encryption: true, canned_acl: 'bucket-owner-full-control' } }
}

export function clusterSpec (c: SimCluster, env: LogConfEnv = {}): Record<string, unknown> {
  const p = c.profile
  const r = c.runtime
  const spec: Record<string, unknown> = {
    spark_version: r.sparkVersion,
    node_type_id: r.nodeType,
    driver_node_type_id: r.driverNodeType,
    ...(p.instancePool === true ? { instance_pool_id: `0611-090000-pool-${p.key}` } : {}),
    ...(p.autoscale ? { autoscale: p.autoscale } : { num_workers: p.numWorkers ?? 2 }),
    aws_attributes: {
      availability: p.availability,
      first_on_demand: 1,
      zone_id: 'us-west-2a',
      ...(p.availability !== 'ON_DEMAND' ? { spot_bid_price_percent: 100 } : {}),
      ebs_volume_count: 0,
    },
    spark_conf: {
      'spark.sql.shuffle.partitions': p.autoscale ? 'auto' : '400',
      'spark.executor.memory': r.nodeType.startsWith('r6') ? '24g' : '12g',
      'spark.databricks.delta.preview.enabled': 'true',
      'spark.hadoop.fs.s3a.access.key': 'AKIAIOSFODNN7EXAMPLE',
      'spark.hadoop.fs.s3a.secret.key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'spark.hadoop.javax.jdo.option.ConnectionPassword': '{{secrets/trifacta/metastore-password}}',
      'spark.trifacta.callback.token': 'dapi0f3c9a7be41d2c88e5b6a1f0d9c3e7a2',
      ...(r.runtimeEngine === 'PHOTON' ? { 'spark.databricks.photon.enabled': 'true' } : {}),
    },
    spark_env_vars: { PYSPARK_PYTHON: '/databricks/python3/bin/python3' },
    custom_tags: { Vendor: 'Trifacta', TrifactaJobGroup: 'wrangle', Team: 'data-platform' },
    enable_elastic_disk: p.autoscale !== undefined,
    runtime_engine: r.runtimeEngine,
    data_security_mode: 'NONE',
  }
  if (p.logDest) spec.cluster_log_conf = logConf(p.logDest, env)
  return spec
}

export function renderCluster (c: SimCluster, run: SimDbxRun | undefined, now: number, env: LogConfEnv = {}): string {
  const rng = createRng(`${c.seed}:render`)
  const running = c.state === 'RUNNING'
  const spec = clusterSpec(c, env)
  const body: Record<string, unknown> = {
    cluster_id: c.clusterId,
    cluster_name: c.clusterName,
    cluster_source: 'JOB',
    creator_user_name: 'svc-trifacta@example.com',
    ...spec,
    num_workers: c.workers - (running || !c.nodesLost ? 0 : 1),
    default_tags: {
      Vendor: 'Databricks',
      Creator: 'svc-trifacta@example.com',
      ClusterName: c.clusterName,
      ClusterId: c.clusterId,
      JobId: String(c.jobId),
      RunName: run?.runName ?? c.clusterName,
    },
    state: c.state,
    state_message: running ? '' : c.terminationCode === 'JOB_FINISHED' ? 'Job finished' : 'Driver ran out of memory',
    start_time: c.startTime,
    autotermination_minutes: 0,
    enable_local_disk_encryption: false,
    spark_context_id: `${BIG}${c.sparkContextId}`,
    driver: {
      private_ip: c.driverIp,
      public_dns: '',
      node_id: `${rng.int(10_000, 99_999)}abcdef${rng.int(100, 999)}`,
      instance_id: `i-0${rng.int(1e8, 9e8).toString(16)}${rng.int(1e6, 9e6).toString(16)}`,
      start_timestamp: c.startTime + 60_000,
      host_private_ip: `10.0.${rng.int(0, 255)}.${rng.int(2, 254)}`,
      node_aws_attributes: { is_spot: false },
    },
    cluster_cores: (c.workers + 1) * (c.runtime.nodeType.includes('2xlarge') ? 8 : 4),
    cluster_memory_mb: (c.workers + 1) * (c.runtime.nodeType.includes('2xlarge') ? 62_464 : 31_232),
  }
  if (c.previous) body.last_restarted_time = c.previous.restartAt + RESTART_DOWN_MS
  if (running) {
    body.executors = Array.from({ length: c.workers }, (_, i) => ({
      private_ip: `10.${rng.int(16, 250)}.${rng.int(0, 255)}.${rng.int(2, 254)}`,
      node_id: `exec-${i}-${rng.int(1000, 9999)}`,
      start_timestamp: c.startTime + 90_000,
      node_aws_attributes: { is_spot: c.profile.availability !== 'ON_DEMAND' },
    }))
  } else {
    body.terminated_time = c.terminatedTime
    body.termination_reason = { code: c.terminationCode, type: c.terminationType, parameters: {} }
  }
  if (c.profile.logDest) {
    const attempted = running ? now - rng.int(0, 4) * MIN : c.logs.kind === 'not-yet' ? c.terminatedTime - 3 * MIN : c.terminatedTime + 60_000
    body.cluster_log_status = { last_attempted: attempted }
  }
  return stringifyWithBigInts(body)
}

/** The cluster's event timeline, derived from its seed so it is stable without being stored. */
export function clusterEvents (c: SimCluster, run: SimDbxRun | undefined, now: number, env: LogConfEnv = {}): ClusterEvent[] {
  const rng = createRng(`${c.seed}:events`)
  const ev: ClusterEvent[] = []
  const add = (timestamp: number, type: string, details: Record<string, unknown> = {}): void => {
    if (timestamp <= now) ev.push({ cluster_id: c.clusterId, timestamp, type, details })
  }
  const t0 = c.startTime
  const setup = run?.setupMs ?? 4 * MIN
  const execStart = t0 + setup
  const execEnd = execStart + (run?.execMs ?? 10 * MIN)
  const p = c.profile
  const target = p.autoscale ? p.autoscale.min_workers : (p.numWorkers ?? 2)
  const size = p.autoscale ? { autoscale: p.autoscale } : { num_workers: target }
  // CREATING at the run's start and RUNNING when its setup ends: the events agree with setup_duration
  add(t0, 'CREATING', { user: 'svc-trifacta@example.com', cluster_size: size, attributes: { cluster_name: c.clusterName, ...clusterSpec(c, env) } })
  add(t0 + 2_000, 'STARTING', {})
  add(t0 + Math.round(setup * 0.55), 'INIT_SCRIPTS_STARTED', { init_scripts: { reported_for_node: 'driver' } })
  add(t0 + Math.round(setup * 0.7), 'INIT_SCRIPTS_FINISHED', { init_scripts: { reported_for_node: 'driver' } })
  add(t0 + Math.round(setup * 0.85), 'DRIVER_HEALTHY', {})
  const spot = p.availability !== 'ON_DEMAND'
  if (spot && rng.chance(0.5)) {
    // not enough spot capacity at first: fallback to on-demand fills the gap
    add(execStart - 5_000, 'UPSIZE_COMPLETED', {
      current_num_workers: Math.max(1, target - 1),
      target_num_workers: target,
      reason: {
        code: 'AWS_INSUFFICIENT_INSTANCE_CAPACITY_FAILURE',
        type: 'CLOUD_FAILURE',
        parameters: { aws_error_message: 'There is no Spot capacity available that matches your request.' },
      },
    })
    add(execStart - 1_000, 'UPSIZE_COMPLETED', { current_num_workers: target, target_num_workers: target })
  } else {
    add(execStart - 2_000, 'UPSIZE_COMPLETED', { current_num_workers: target, target_num_workers: target })
  }
  add(execStart, 'RUNNING', { current_num_workers: target, target_num_workers: target })
  let workers = target
  if (p.autoscale) {
    const max = p.autoscale.max_workers
    // the autoscaler reports every 15 s; it grows toward max in the first part of the job and shrinks near the end
    let lastResize = 0
    for (let t = execStart + 15_000; t < execEnd; t += 15_000) {
      const progress = (t - execStart) / (execEnd - execStart)
      const want = progress < 0.6 ? Math.min(max, target + Math.ceil(progress * 2 * (max - target))) : progress > 0.85 ? target : workers
      if (want !== workers && t - lastResize >= 2 * MIN) {
        add(t, 'RESIZING', { current_num_workers: workers, target_num_workers: want, cause: 'AUTOSCALE' })
        if (want > workers) add(t + 45_000, 'UPSIZE_COMPLETED', { current_num_workers: want, target_num_workers: want })
        workers = want
        lastResize = t
      }
      add(t, 'AUTOSCALING_STATS_REPORT', {
        current_num_workers: workers,
        target_num_workers: workers,
        autoscaling_stats: { pending_tasks: rng.int(0, 400), active_tasks: rng.int(0, 64), cluster_utilization: Math.round(rng.next() * 100) / 100 },
      })
    }
  }
  if (c.previous) {
    const t = c.previous.restartAt
    add(t, 'DRIVER_NOT_RESPONDING', { driver_state_message: 'Driver is up but is not responsive, likely due to GC.' })
    add(t + 60_000, 'RESTARTING', { user: '', cause: 'AUTORECOVERY' })
    add(t + RESTART_DOWN_MS - 10_000, 'DRIVER_HEALTHY', {})
    add(t + RESTART_DOWN_MS, 'RUNNING', { current_num_workers: workers, target_num_workers: workers })
  }
  if (c.nodesLost) {
    const t = execStart + Math.round((execEnd - execStart) * 0.5)
    const instance = `i-0${rng.int(1e8, 9e8).toString(16)}${rng.int(1e6, 9e6).toString(16)}`
    add(t, 'NODES_LOST', {
      current_num_workers: workers - 1,
      target_num_workers: workers,
      instance_id: instance,
      reason: { code: 'SPOT_INSTANCE_TERMINATION', type: 'CLOUD_FAILURE', parameters: { instance_id: instance } },
    })
    add(t + 5_000, 'RESIZING', { current_num_workers: workers - 1, target_num_workers: workers, cause: 'REPLACE_BAD_NODES' })
    add(t + 150_000, 'UPSIZE_COMPLETED', { current_num_workers: workers, target_num_workers: workers })
  }
  if (c.state === 'TERMINATED') {
    // clean-up starts when the execution ends
    add(Math.min(execEnd, c.terminatedTime), 'TERMINATING', {
      reason: { code: c.terminationCode, type: c.terminationType, parameters: {} },
      user: '',
    })
  }
  return ev.sort((a, b) => a.timestamp - b.timestamp)
}

export interface RunRenderOptions {
  version: '2.0' | '2.1' | '2.2'
  host: string
  workspaceId: string
  cluster: SimCluster | undefined
  s3Endpoint?: string
  /** 2.2 paging of tasks */
  pageOffset: number
}

const TASK_PAGE = 100

export function renderRun (r: SimDbxRun, o: RunRenderOptions): Record<string, unknown> {
  const terminated = r.lifeCycle === 'TERMINATED'
  const state: Record<string, unknown> = {
    life_cycle_state: r.lifeCycle,
    state_message: r.stateMessage,
    user_cancelled_or_timedout: r.result === 'CANCELED',
  }
  if (r.result) state.result_state = r.result
  const status: Record<string, unknown> = { state: r.lifeCycle === 'PENDING' ? 'PENDING' : r.lifeCycle }
  if (terminated) {
    status.termination_details =
      r.result === 'SUCCESS'
        ? { code: 'SUCCESS', type: 'SUCCESS', message: '' }
        : r.result === 'CANCELED'
          ? { code: 'USER_CANCELED', type: 'SUCCESS', message: r.stateMessage }
          : { code: 'RUN_EXECUTION_ERROR', type: 'CLIENT_ERROR', message: r.stateMessage }
  }
  const runPage = (runId: number): string => `${o.host}/?o=${o.workspaceId}#job/${r.jobId}/run/${runId}`
  const instance = { cluster_id: r.clusterId, spark_context_id: r.sparkContextId }
  const spec = o.cluster ? clusterSpec(o.cluster, o) : {}
  const multi = r.taskCount > 1
  const runDuration = terminated ? r.endTime - r.startTime : 0
  const base: Record<string, unknown> = {
    job_id: r.jobId,
    run_id: r.runId,
    number_in_job: r.runId,
    original_attempt_run_id: r.runId,
    attempt_number: 0,
    creator_user_name: 'svc-trifacta@example.com',
    run_name: r.runName,
    run_page_url: runPage(r.runId),
    run_type: 'SUBMIT_RUN',
    trigger: 'ONE_TIME',
    format: multi ? 'MULTI_TASK' : 'SINGLE_TASK',
    state,
    status,
    start_time: r.startTime,
    end_time: r.endTime,
    setup_duration: multi ? 0 : r.setupMs,
    execution_duration: multi ? 0 : terminated ? r.execMs : 0,
    cleanup_duration: multi ? 0 : terminated ? r.cleanupMs : 0,
    run_duration: runDuration,
    queue_duration: r.queueMs,
  }
  if (!multi) {
    base.cluster_instance = instance
    base.cluster_spec = { new_cluster: spec }
  } else {
    base.job_clusters = [{ job_cluster_key: 'trifacta_main', new_cluster: spec }]
  }
  if (o.version === '2.0' && !multi) return base
  const tasks = Array.from({ length: r.taskCount }, (_, i) => {
    const slice = Math.floor(r.execMs / r.taskCount)
    const start = multi ? r.startTime + r.setupMs + i * slice : r.startTime
    const task: Record<string, unknown> = {
      run_id: r.runId + i + 1,
      task_key: multi ? `wrangle_${String(i).padStart(3, '0')}` : 'wrangle',
      ...(multi ? { job_cluster_key: 'trifacta_main', depends_on: i > 0 ? [{ task_key: `wrangle_${String(i - 1).padStart(3, '0')}` }] : [] } : { new_cluster: spec }),
      state,
      cluster_instance: instance,
      start_time: start,
      setup_duration: multi ? (i === 0 ? r.setupMs : 0) : r.setupMs,
      execution_duration: terminated ? (multi ? slice : r.execMs) : 0,
      cleanup_duration: terminated && (!multi || i === r.taskCount - 1) ? r.cleanupMs : 0,
      end_time: terminated ? (multi ? start + slice : r.endTime) : 0,
      attempt_number: 0,
      run_page_url: runPage(r.runId + i + 1),
    }
    return task
  })
  if (o.version !== '2.2') return { ...base, tasks }
  const page = tasks.slice(o.pageOffset, o.pageOffset + TASK_PAGE)
  const next = o.pageOffset + TASK_PAGE < tasks.length ? Buffer.from(`tasks:${o.pageOffset + TASK_PAGE}`).toString('base64url') : undefined
  return { ...base, tasks: page, ...(next ? { next_page_token: next } : {}) }
}

export function decodeTaskPageToken (token: string): number | null {
  const m = /^tasks:(\d+)$/.exec(Buffer.from(token, 'base64url').toString())
  return m ? Number(m[1]) : null
}
