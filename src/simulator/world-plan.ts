import type { ClusterProfile } from './world-types.js'

export const MIN = 60_000
export const HOUR = 60 * MIN
export const DAY = 24 * HOUR

/** Databricks keeps runs and clusters about 60 days */
export const RETENTION_MS = 60 * DAY

/** the simulated S3 bucket some clusters deliver their logs to, and its region */
export const SIM_S3_BUCKET = 'tri-sim-logs'
export const SIM_S3_REGION = 'us-west-2'

export const PROFILES = {
  stdFixed: {
    key: 'std-fixed',
    sparkVersion: '11.3.x-scala2.12',
    nodeType: 'i3.xlarge',
    driverNodeType: 'i3.xlarge',
    numWorkers: 4,
    availability: 'ON_DEMAND',
    runtimeEngine: 'STANDARD',
    logDest: 'dbfs:/trifacta/logs',
    fallbackDest: null,
    logSamples: ['db-11.3-subexec'],
  },
  photonSpot: {
    key: 'photon-spot',
    // aarch64 Photon runs on Graviton instances; two workers of 8 cores, as in its event log
    sparkVersion: '13.3.x-aarch64-photon-scala2.12',
    nodeType: 'm6gd.2xlarge',
    driverNodeType: 'm6gd.xlarge',
    numWorkers: 2,
    availability: 'SPOT_WITH_FALLBACK',
    runtimeEngine: 'PHOTON',
    logDest: 'dbfs:/cluster-logs/ventes-europe',
    fallbackDest: null,
    logSamples: ['db-13.3-photon-q88'],
  },
  stdAutoscale: {
    key: 'std-autoscale',
    sparkVersion: '11.3.x-scala2.12',
    nodeType: 'm5d.2xlarge',
    driverNodeType: 'm5d.xlarge',
    autoscale: { min_workers: 1, max_workers: 6 },
    availability: 'ON_DEMAND',
    runtimeEngine: 'STANDARD',
    logDest: 'dbfs:/trifacta/logs',
    fallbackDest: null,
    logSamples: ['db-11.3-subexec'],
  },
  noLogConf: {
    key: 'fixed-no-log-conf',
    sparkVersion: '10.4.x-cpu-ml-scala2.12',
    nodeType: 'i3.2xlarge',
    driverNodeType: 'i3.2xlarge',
    numWorkers: 2,
    availability: 'SPOT_WITH_FALLBACK',
    runtimeEngine: 'STANDARD',
    logDest: null,
    fallbackDest: 'dbfs:/trifacta/logs',
    logSamples: ['db-10.4-xgboost'],
  },
  warmPool: {
    key: 'pool-fixed',
    // the oldest runtime of the demo (its log is a Spark 3.1.1 one): a job cluster on a warm instance pool
    sparkVersion: '8.0.x-scala2.12',
    nodeType: 'i3.2xlarge',
    driverNodeType: 'i3.xlarge',
    numWorkers: 2,
    availability: 'ON_DEMAND',
    runtimeEngine: 'STANDARD',
    instancePool: true,
    logDest: 'dbfs:/trifacta/logs',
    fallbackDest: null,
    logSamples: ['dbsim'],
  },
  noDelivery: {
    key: 'fixed-no-delivery',
    sparkVersion: '12.2.x-scala2.12',
    nodeType: 'm5.xlarge',
    driverNodeType: 'm5.xlarge',
    numWorkers: 3,
    availability: 'ON_DEMAND',
    runtimeEngine: 'STANDARD',
    logDest: null,
    fallbackDest: null,
    logSamples: [],
  },
} satisfies Record<string, ClusterProfile>

/** as warmPool, delivering its logs to S3 (cluster_log_conf.s3) */
const WARM_POOL_S3: ClusterProfile = { ...PROFILES.warmPool, key: 'pool-fixed-s3', logDest: `s3://${SIM_S3_BUCKET}/cluster-logs` }

export interface FlowPlan {
  name: string
  /** recipe / output names; several = one job group per output per flow run */
  outputs: string[]
  periodMs: number
  count: number
  /** latest scheduled submission, this long before now */
  anchorAgoMs: number
  aac: boolean
  onprem: boolean
  aacEngine: 'databricksSpark' | 'photon'
  onpremEngine: 'spark' | 'photon'
  profile: ClusterProfile | null
  /** wrangle execution minutes [min, max] of a run without an event log (else the log's span sets it) */
  aacMinutes: [number, number]
  onpremMinutes: [number, number]
  failRate: number
  /** chance a run is missing on that side */
  missing: { aac: number; onprem: number }
  /** every n-th run is launched by a plan (ranfor=plan) */
  planEvery?: number
  /** add sampling job groups (ranfor=sampling) that collection must filter out */
  samplingNoise?: boolean
  /** the flow's name on AAC when it differs (as after a migration: case, a trailing space) */
  aacName?: string
  description: string
}

/**
 * The seeded flows. Names are chosen to need URL-encoding (space, &, /, #, %, Unicode) and to fuzzy-match each
 * other ("Sales Daily" also matches "Sales Daily (copy)" and the recipe "Sales Daily extract" of Marketing Mix).
 */
export const FLOW_PLANS: FlowPlan[] = [
  {
    name: 'Sales Daily',
    outputs: ['sales_daily_clean'],
    periodMs: DAY,
    count: 42,
    anchorAgoMs: 23 * MIN,
    aac: true,
    onprem: true,
    aacEngine: 'databricksSpark',
    onpremEngine: 'spark',
    profile: PROFILES.stdFixed,
    aacMinutes: [9, 18],
    onpremMinutes: [11, 16],
    failRate: 0.07,
    missing: { aac: 0.04, onprem: 0.04 },
    planEvery: 7,
    samplingNoise: true,
    description: 'Daily sales cleanup, fixed-size on-demand cluster',
  },
  {
    name: 'Sales Daily (copy)',
    outputs: ['sales_daily_clean'],
    periodMs: DAY,
    count: 10,
    anchorAgoMs: 5 * HOUR + 10 * MIN,
    aac: true,
    onprem: true,
    aacEngine: 'databricksSpark',
    onpremEngine: 'spark',
    profile: PROFILES.stdFixed,
    aacMinutes: [9, 15],
    onpremMinutes: [11, 15],
    failRate: 0.1,
    missing: { aac: 0, onprem: 0 },
    description: 'A copy of Sales Daily: same recipe name, fuzzy-matches it',
  },
  {
    name: 'Ventes — Europe/Ouest',
    outputs: ['ventes_ouest_nettoyage', 'ventes_ouest_agrégats'],
    periodMs: DAY,
    count: 28,
    anchorAgoMs: 3 * HOUR + 5 * MIN,
    aac: true,
    onprem: true,
    aacEngine: 'databricksSpark',
    onpremEngine: 'spark',
    profile: PROFILES.photonSpot,
    aacMinutes: [5, 12],
    onpremMinutes: [14, 26],
    failRate: 0.05,
    missing: { aac: 0.03, onprem: 0.03 },
    description: 'Two outputs per flow run; Photon cluster of two workers on spot with fallback: saturated, AAC slower',
  },
  {
    name: 'R&D #7 — 100% Q/A',
    outputs: ['rd7 qa/output #1'],
    periodMs: 2 * DAY,
    count: 15,
    anchorAgoMs: 9 * HOUR,
    aac: true,
    onprem: true,
    aacEngine: 'databricksSpark',
    onpremEngine: 'spark',
    profile: PROFILES.noLogConf,
    aacMinutes: [15, 30],
    onpremMinutes: [12, 20],
    failRate: 0.1,
    missing: { aac: 0, onprem: 0.35 },
    description: 'No cluster_log_conf (logs under the default root); many runs only on AAC',
  },
  {
    name: 'Hourly Clickstream',
    outputs: ['clickstream_sessions'],
    periodMs: HOUR,
    count: 240,
    anchorAgoMs: 12 * MIN,
    aac: true,
    onprem: true,
    aacEngine: 'databricksSpark',
    onpremEngine: 'spark',
    profile: PROFILES.stdAutoscale,
    aacMinutes: [8, 15],
    onpremMinutes: [6, 12],
    failRate: 0.04,
    missing: { aac: 0.02, onprem: 0.02 },
    description: 'Hourly for 10 days: more than 200 runs per side',
  },
  {
    name: 'Inventory Sync',
    outputs: ['inventory_delta'],
    periodMs: DAY,
    count: 21,
    anchorAgoMs: 7 * HOUR,
    aac: false,
    onprem: true,
    aacEngine: 'databricksSpark',
    onpremEngine: 'spark',
    profile: null,
    aacMinutes: [1, 1],
    onpremMinutes: [20, 35],
    failRate: 0.05,
    missing: { aac: 0, onprem: 0 },
    description: 'Not migrated yet: on-prem only',
  },
  {
    name: 'Weekly Audit 50%',
    outputs: ['audit_sample'],
    periodMs: 7 * DAY,
    count: 14,
    anchorAgoMs: 2 * DAY + 4 * HOUR,
    aac: true,
    onprem: true,
    aacEngine: 'databricksSpark',
    onpremEngine: 'spark',
    profile: PROFILES.noDelivery,
    aacMinutes: [3, 6],
    onpremMinutes: [30, 45],
    failRate: 0.05,
    missing: { aac: 0, onprem: 0 },
    description: 'Weekly for 14 weeks: older runs are past Databricks retention; no log delivery at all',
  },
  {
    name: 'Marketing Mix',
    aacName: 'marketing mix ',
    outputs: ['Sales Daily extract', 'mmx_model_input'],
    periodMs: DAY,
    count: 14,
    anchorAgoMs: 11 * HOUR,
    aac: true,
    onprem: true,
    aacEngine: 'databricksSpark',
    onpremEngine: 'spark',
    profile: WARM_POOL_S3,
    aacMinutes: [6, 10],
    onpremMinutes: [7, 11],
    failRate: 0.05,
    missing: { aac: 0.05, onprem: 0.05 },
    description: 'Has a recipe named "Sales Daily extract": matched by the fuzzy filter for Sales Daily; called "marketing mix " on AAC; a warm instance pool (AAC faster), logs delivered to S3',
  },
  {
    name: 'Finance: Month-End Close',
    outputs: ['gl_close'],
    periodMs: DAY,
    count: 20,
    anchorAgoMs: 13 * HOUR,
    aac: true,
    onprem: true,
    aacEngine: 'photon',
    onpremEngine: 'photon',
    profile: null,
    aacMinutes: [2, 4],
    onpremMinutes: [3, 6],
    failRate: 0.05,
    missing: { aac: 0, onprem: 0 },
    description: 'Runs on Trifacta Photon on both sides: no Databricks run (cpJobId null)',
  },
]

export const PEOPLE = [
  { id: 7, email: 'svc-scheduler@example.com', name: 'Trifacta Scheduler' },
  { id: 646, email: 'dana.whitfield@example.com', name: 'Dana Whitfield' },
  { id: 647, email: 'lea.moreau@example.com', name: 'Léa Moreau' },
  { id: 912, email: 'sam.okafor@example.com', name: 'Sam Okafor' },
]

export const FAILURE_MESSAGES = [
  'Job failed: java.lang.OutOfMemoryError: GC overhead limit exceeded',
  'Unable to read input s3a://acme-landing/sales/part-00017.csv: Access Denied (Service: Amazon S3; Status Code: 403)',
  'Databricks run terminated with RUN_EXECUTION_ERROR: Task wrangle failed',
  'Spark job aborted due to stage failure: Task 41 in stage 7.0 failed 4 times',
  'Output validation failed: column "amount" expected Decimal, found String',
]
