/* The real on-prem (YARN) event logs the simulated History Server serves: sample-data/eventlogs, see ATTRIBUTION.md. */

/** A real on-prem event log and what the History Server lists for it (checked against the log by a test). */
export interface HistorySample {
  file: string
  codec: 'plain' | 'zstd'
  /** the original application's start and end (epoch ms), Spark version and user, as in the log */
  startTime: number
  endTime: number
  sparkVersion: string
  sparkUser: string
}

/** Spark 3.1.x on YARN: the simulated on-prem cluster's logs. */
export const HISTORY_SAMPLES = {
  'yarn-3.1.1-sql': { file: 'rp_sql_eventlog.zstd', codec: 'zstd', startTime: 1622846324825, endTime: 1622846444815, sparkVersion: '3.1.1', sparkUser: 'user1' },
  'yarn-3.1.3-nds-q66': { file: 'nds_q66_cpu.zstd', codec: 'zstd', startTime: 1701388005972, endTime: 1701388076153, sparkVersion: '3.1.3', sparkUser: 'root' },
  'yarn-3.1.1-dynalloc': { file: 'application_1628109047826_1317105', codec: 'plain', startTime: 1628637895333, endTime: 1628638170208, sparkVersion: '3.1.1.119', sparkUser: 'john' },
  'yarn-3.1.1-exec-fail': { file: 'tasks_executors_fail_compressed_eventlog.zstd', codec: 'zstd', startTime: 1623285329454, endTime: 1623285426936, sparkVersion: '3.1.1', sparkUser: 'username' }
} as const satisfies Record<string, HistorySample>

export type HistorySampleId = keyof typeof HISTORY_SAMPLES
export const HISTORY_SAMPLE_IDS = Object.keys(HISTORY_SAMPLES) as HistorySampleId[]
