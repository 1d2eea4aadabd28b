// Every red-flag threshold in one place, each with where it comes from (see shared/docs/spark-analysis-peers.md (b)).
// A flag is raised by its rule; its severity follows from its estimated wall-clock cost (impact) as a share of the
// app's wall clock. Floors are relative to the app (a share of its wall clock or task time), not absolute.

export const THRESHOLDS = {
  /** severity from impact: critical at ≥ 20 % of the wall clock (Tencent DLC "resource preemption" insight: > 20 % of run time) … */
  criticalShare: 0.2,
  /** … warning at ≥ 5 % (below: info; Dr. Elephant's "low" rung is a ×1.25 effect, our 5 % a cost few users act on) */
  warningShare: 0.05,
  /** stage-level flags are raised only from this share of the wall clock (noise floor, relative to the app) */
  minImpactShare: 0.01,
  /** apps shorter than this are capped at warning: a minute-long run has little to win (Compass: apps > 5 min; we cap, not drop) */
  shortAppMs: 2 * 60_000,

  /** infrastructure_bottleneck: mean scheduler delay per task at least this (issue 10: below, it is per-task overhead, e.g. 5 ms × many tiny tasks) */
  schedulerDelayMeanMinMs: 500,
  /** infrastructure_bottleneck launch-wait form, and capacity_bound: submission → first task at least this share of the wall clock … */
  launchWaitMinShare: 0.02,
  /** … and longer than spark.locality.wait's 3 s default (a shorter wait is delay scheduling at work, issue 10's EMR attempts) */
  launchWaitMinMs: 5000,
  /** cores busy over the wait at least this share = the cluster was full (capacity_bound), below = cores idled (infrastructure) */
  saturatedBusyShare: 0.8,

  /** over_partitioning: data (input + shuffle read) per task below this (seed rule: 10 MB; no peer uses it exactly) … */
  overPartitionBytesPerTask: 10 * 1024 * 1024,
  /** … with many more tasks than cores (Sparklens PRatio; DataFlint: tasks > 2 × cores) … */
  overPartitionTasksPerCore: 2,
  /** … a short median task (DataFlint "small tasks": median < 1 s; we allow 2 s) … */
  overPartitionMedianTaskMs: 2000,
  /** … and per-task overhead (scheduler delay + deserialisation + result serialisation) this share of the stage's task time */
  overPartitionOverheadShare: 0.2,

  /** skew / stragglers: max / median task duration (Dr. Elephant tuning branch ladder 2/4/8/16: "moderate" = 4) */
  skewDurationRatio: 4,
  /** skew: the slowest task reads ≥ 3 × the median bytes (spark-rapids-tools shuffleSkewCheck: 3 × average); else stragglers */
  skewBytesRatio: 3,
  /** skew: a median needs a few tasks to mean anything */
  skewMinTasks: 5,

  /** disk_spill: spilled bytes as a share of the stage's largest data volume (Dr. Elephant tuning branch 1%/10%/25%/50%: warn at 10%) */
  spillRatio: 0.1,
  /** disk_spill floor: at least this many bytes spilled (Databricks: "any spill is worth investigating"; floor against noise) */
  spillMinBytes: 64 * 1024 * 1024,
  /** disk_spill impact: a task writes and reads back spilled bytes at ~100 MB/s (a local SSD shared by a few task threads; assumption) */
  spillBytesPerMs: 100 * 1024,
  /** disk_spill impact of a CPU's memory-only spill (Spark 1.x): the spilled records serialised and deserialised at ~100 MB/s per task (Java serialisation of row objects; Kryo is faster; assumption, issue: sparklint 407508) */
  spillSerdeBytesPerMs: 100 * 1024,
  /** memory spill (in-memory size) counts as this much less on disk when the log reports no disk bytes (Spark 1.x, GPU spill): ~4× serialisation + compression */
  memorySpillDiskRatio: 0.25,

  /** high_gc: GC share of task run time (seed rule 20% = Dr. Elephant "critical" rung, ExecutorGcHeuristic.scala) */
  gcRatio: 0.2,
  /** high_gc: the stage must hold at least this share of the app's task time (issue 10: 0.4 % stages raised criticals) */
  gcMinStageTaskShare: 0.05,
  /** high_gc severity from app-level GC: critical ≥ 20 %, warning ≥ 10 % (Spark UI: executors page red above 10 %; rapids-tools 30 %) */
  gcAppCritical: 0.2,
  gcAppWarning: 0.1,

  /** failed_tasks: failed share above which it is at least a warning (Dr. Elephant tuning StagesWithFailedTasks: < 2 % moderate) */
  failedTaskRatioWarning: 0.02,

  /** executor_loss: reasons that are normal scale-down (dynamic allocation), not losses. */
  normalRemovalReason: /explicit termination request|killed by driver|idle|scaled down|executor decommission requested by driver/i,

  /** idle_cores: busy share of available core time below this (DataFlint: idle > 50 %; Compass executor-wasted > 50 %); a cost, so never above warning */
  idleCoreUtilisation: 0.5,
  /** idle_cores floor: app wall time at least this (Compass: app > 5 min). */
  idleMinAppMs: 5 * 60_000,

  /** driver_bound: time with no job running as a share of wall time (Compass idle ratio > 30 %). */
  driverIdleRatio: 0.3,
  /** driver_bound: a gap counts from this length (Databricks guide: job-timeline gaps ≥ 1 min). */
  driverGapMinMs: 1000,
  /** driver_bound floor: the longest gap must reach this (Databricks guide: ≥ 1 min). */
  driverLongestGapMs: 60_000,

  /** huge_partitions: the largest task reads this much (issue: ~1 GB; Overwatch counts tasks > 400 MB, DataFlint alerts at 5 GB). */
  hugePartitionBytes: 1024 * 1024 * 1024,

  /** timestamps further than this outside the application's span are damage, not time (issue 10: a 930-day wall clock) */
  timestampSlackMs: 24 * 3600_000,

  /** recommendations: target data per shuffle partition (spark-rapids-tools / Databricks: 128 MB files; AQE advisory default 64 MB). */
  targetPartitionBytes: 128 * 1024 * 1024,
} as const
