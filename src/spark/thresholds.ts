// Every red-flag threshold in one place, each with where it comes from (see shared/docs/spark-analysis-peers.md (b)).
// Floors keep trivially small stages and short apps from raising noise.

export const THRESHOLDS = {
  /** infrastructure_bottleneck: Σ scheduler delay > Σ(run − GC) in a stage and at least this much (seed rule: 1 s). */
  schedulerDelayMinMs: 1000,
  /** infrastructure_bottleneck (second form): submission → first launch wait at least this long (Tencent DLC: 1 min; we use 10 s with the "wait > task wall time" ratio). */
  launchWaitMinMs: 10_000,

  /** over_partitioning: data (input + shuffle read) per task below this (seed rule: 10 MB; no peer uses it exactly). */
  overPartitionBytesPerTask: 10 * 1024 * 1024,
  /** over_partitioning floor: ignore stages whose summed task time is tiny (cost of extra tasks is then negligible). */
  overPartitionMinStageTaskMs: 60_000,

  /** preemption_risk: removal reasons meaning the node went away (seed: "worker lost", case-insensitive, anywhere). */
  preemptionReason: /worker lost|preempt|spot instance|spot termination|decommission|node lost|lost worker/i,

  /** high_gc: GC share of task run time (seed rule 20% = Dr. Elephant "critical" rung, ExecutorGcHeuristic.scala). */
  gcRatio: 0.2,
  /** high_gc critical rung (Spark-rapids-tools JVM_GCTIME_FRACTION 0.3). */
  gcRatioCritical: 0.3,
  /** high_gc floor: stage run time at least this (keeps JIT warm-up GC in tiny stages out). */
  gcMinRunTimeMs: 30_000,

  /** skew: max/median task duration (Dr. Elephant tuning branch ladder 2/4/8/16: "moderate" = 4). */
  skewDurationRatio: 4,
  /** skew critical rung (DataFlint calculatePartitionSkew: > 10). */
  skewDurationRatioCritical: 10,
  /** skew floor: the slowest task must take this long (MS extended SHS: > 30 s). */
  skewMinMaxTaskMs: 30_000,
  /** skew on bytes: max > 3 × median (spark-rapids-tools shuffleSkewCheck uses 3 × average) … */
  skewBytesRatio: 3,
  /** … and max above 100 MB (spark-rapids-tools, same rule). */
  skewMinMaxBytes: 100 * 1024 * 1024,
  /** skew: a median needs a few tasks to mean anything. */
  skewMinTasks: 5,

  /** disk_spill: disk spill as a share of the stage's largest data volume (Dr. Elephant tuning branch 1%/10%/25%/50%: warn at 10%). */
  spillRatio: 0.1,
  spillRatioCritical: 0.5,
  /** disk_spill floor: at least this many bytes spilled to disk (Databricks: "any spill is worth investigating"; floor against noise). */
  spillMinBytes: 64 * 1024 * 1024,

  /** failed_tasks: failed share above which it is a warning (Dr. Elephant tuning StagesWithFailedTasks: < 2 % moderate). */
  failedTaskRatioWarning: 0.02,

  /** executor_loss: reasons that are normal scale-down (dynamic allocation), not losses. */
  normalRemovalReason: /explicit termination request|killed by driver|idle|scaled down|executor decommission requested by driver/i,
  /** executor_loss: memory-kill wording (Dr. Elephant tuning: "killed by YARN for exceeding memory limits"; exit 137/143 = SIGKILL/SIGTERM). */
  oomReason: /OutOfMemory|exceeding memory limits|memory limit|exit (status|code):? ?(137|143|-104)|OOMKilled/i,

  /** idle_cores: busy share of available core time below this (DataFlint: idle > 50 %; Compass executor-wasted > 50 %). */
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
  hugePartitionBytesCritical: 5 * 1024 * 1024 * 1024,

  /** recommendations: target data per shuffle partition (spark-rapids-tools / Databricks: 128 MB files; AQE advisory default 64 MB). */
  targetPartitionBytes: 128 * 1024 * 1024,
} as const
