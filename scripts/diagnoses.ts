// Regenerates docs/diagnoses.md: the red flags raised on every fixture log in shared/fixtures/eventlogs, with their
// severity and impact, and for each critical flag a one-line justification written by a Spark engineer (JUSTIFY).
// A critical without a justification is listed as "needs review" and `--check` then fails: a new critical must be
// looked at before it ships. Usage: npm run diagnoses [-- --check]
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { analyseEventLog } from '../src/spark/analyse.js'
import type { Analysis } from '../src/spark/analysis-types.js'
import { approxDuration, impactText } from '../src/shared/format.js'
import { EVENTLOGS, eventLogInputs } from '../test/helper-fixtures.js'

const OUT = fileURLToPath(new URL('../docs/diagnoses.md', import.meta.url))

/** Why each critical flag is one a Spark engineer would raise, keyed "fixture :: flag id". */
const JUSTIFY: Record<string, string> = {
  'spark-rapids-tools/spark-events-profiling/gpu_oom_eventlog.zstd :: failed_tasks': 'The run failed: 112 tasks hit GpuSplitAndRetryOOM and stage 34 aborted after 4 attempts; the GPU OOM, not the SparkContext shutdown, is the cause.',
  'spark-rapids-tools/spark-events-profiling/gpu_oom_eventlog.zstd :: huge_partitions': '1.3–1.4 GiB partitions are what the GPU could not split and retry; stage 31 ran 31 such tasks on 32 cores for 97 s, spilling: smaller partitions are the fix for the OOM too.',
  'spark-rapids-tools/spark-events-profiling/gpu_oom_eventlog.zstd :: capacity_bound': 'Stage 34 queued 57 s while 96 % of the 32 cores were busy with the stages before it: the cluster was full; the replay puts 2× cores at 1.3 min instead of 2.1 min.',
  'spark-rapids-tools/spark-events-qualification/nds_q88_photon_db_13_3.zstd :: capacity_bound': '16 of 16 cores busy from +2.7 to +6.6 min while 12 stages queued: a saturated cluster, and the replay gives 4.7 min instead of 6.9 min with twice the workers.',
  'sparklint/application_1472176676028_407508_1 :: huge_partitions': '40 tasks of 1.7 GiB each on 200 cores: 160 cores idle for the 15 min stage while each task spilled ~5.7 GiB (Spark 1.6 reports it as memory spill only).',
  'sparklint/event_log_0 :: stragglers': 'Stage 0\'s slowest task takes 1.0 min against a 2.1 s median while reading the same 128 MiB: a straggler (node, GC), so speculation, not AQE (absent in Spark 1.5), is the remedy.',
  'sparklint/eventLogs-application_1489705648216_1600.zip :: driver_bound': 'A batch Java application (SEMFeedGenerator.java, yarn-client): 1.1 min of driver code before its first job and 14 s after its last are 58 % of a 2.4 min run the user waits for; more executors would not shorten it.',
}

/**
 * The 11 logs whose time with no job running was all called driver_bound (critical) before the rule told the driver
 * busy from the session idle (issue 10's second look): what each really is, checked against its jobs, SQL executions
 * and job groups. Rendered into docs/diagnoses.md; the regression set (test/spark/diagnoses.test.ts) holds the verdicts.
 */
const DRIVER_TIME_REVIEW: Record<string, string> = {
  'compass/eventlog': 'idle: a Spark shell on YARN ran one 1.7 s job at +27 s, then stayed open 9.3 min until ApplicationEnd.',
  'spark/app-20200706201101-0003': 'idle: a Spark shell ran one `foreach at <console>` query (+18 s, 4.5 s) and then sat open 5.7 min holding a 16-core executor (1.6 core-hours).',
  'spark/application_1516285256255_0012': 'idle: a Spark shell waited 2.6 min for its only job (no query open: the user typing) and stayed open 5.2 min after it.',
  'spark/application_1578436911597_0052': 'idle: a Spark shell (the log has no environment) waited 1.7 min before its only job and 32 s after it.',
  'spark/application_1628109047826_1317105': 'idle: a Spark shell on YARN waited 3 min before its only job (no query started) and 33 s after; executorIdleTimeout 150 s kept its executors through it.',
  'spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_4nodes_8cores_dynamic_alloc.zstd': 'idle: a Spark shell ran five `count at <console>` queries; the 1.5 min before the first, the 2–15 s pauses between them (no SQL execution open) and 32 s at the end are its user; inside the queries the driver gaps are under 1 s.',
  'spark-rapids-tools/spark-events-qualification/cluster_information/platform/databricks-aws': 'idle: a Spark shell on Databricks waited 3.4 min before its first job and 1.3 min and 57 s between `show at <console>` commands with no query open.',
  'spark-rapids-tools/spark-events-qualification/jdbc_eventlog.zstd': 'idle: in a Spark shell the JDBC `show` query starts at +7.6 min and takes 1.8 s; no query was open before it, so the 7.6 min are the user, not JDBC work on the driver.',
  'spark-rapids-tools/spark-events-qualification/xgboost_eventlog.zstd': 'idle: a notebook on an all-purpose cluster (clusterCreator Webapp, auto-termination 180 min); the 6.7 min gap lies between two notebook commands (different job groups: the training cell, then the evaluation cell) with no query open: the notebook waited, not driver-side Python (XGBoost4J-Spark trains in Spark jobs).',
  'sparklint/eventLogs-application_1489705648216_1600.zip': 'driver busy (critical stays): a batch Java application, no shell, no notebook: the 1.1 min before the first job and 14 s after the last are driver code the run waits for.',
  'sparklint/event_log_0': 'idle: its jobs are `count at <console>:22` (a Spark 1.5 shell; the job group was set by hand); 1.7 min before the first count and 52 s between counts are the user. Its straggler critical stays.',
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const flagCell = (a: Analysis): string => a.flags.length === 0
  ? '–'
  : a.flags.map((f) => `**${f.severity}** ${f.id}${f.impactMs ? ` (${impactText(f.impactMs, a.kpis.wallClockMs)})` : f.id === 'idle_session' ? ` (held idle ~${approxDuration(f.metrics['idleMs'] ?? 0)}, not a delay)` : ''}`).join('<br>')

async function main (): Promise<number> {
  const check = process.argv.includes('--check')
  const rows: string[] = []
  const criticals: string[] = []
  const review: string[] = []
  const count = { critical: 0, warning: 0, info: 0 }
  const logs = eventLogInputs(EVENTLOGS)
  for (const p of logs) {
    const rel = path.relative(EVENTLOGS, p)
    let a: Analysis
    try { a = await analyseEventLog(p) } catch (e) { rows.push(`| \`${cell(rel)}\` | – | – | cannot be read: ${cell((e as Error).message)} |`); continue }
    for (const f of a.flags) count[f.severity]++
    const app = a.application
    const where = `${app.sparkVersion || '?'}${app.databricksRuntime ? ` (DBR ${app.databricksRuntime.replace(/\.x-.*/, '')})` : ''}`
    rows.push(`| \`${cell(rel)}\` | ${cell(where)} | ${approxDuration(a.kpis.wallClockMs)} | ${flagCell(a)} |`)
    for (const f of a.flags.filter((x) => x.severity === 'critical')) {
      const key = `${rel} :: ${f.id}`
      const why = JUSTIFY[key]
      if (why === undefined) review.push(key)
      criticals.push(`- \`${cell(rel)}\` **${f.id}** (${impactText(f.impactMs, a.kpis.wallClockMs) ?? 'no time impact'}): ${why ?? '**needs review**: no justification written yet'}`)
    }
  }
  const md = [
    '# Diagnoses over the fixture logs',
    '',
    `Generated by \`npm run diagnoses\` (scripts/diagnoses.ts) over the ${logs.length} inputs of \`shared/fixtures/eventlogs/\` (rolling and`,
    'Databricks folders count as one input). Do not edit by hand: change the rules (src/spark/flags.ts, thresholds.ts) or the',
    'justifications in the script, and regenerate.',
    '',
    'Severity follows from each flag\'s estimated wall-clock impact: critical from 20 % of the wall clock, warning from 5 %,',
    'info below; runs shorter than 2 min and local-mode runs are capped at warning; idle cores and idle sessions are costs,',
    'never above warning. See the README\'s dashboard section for every rule and threshold.',
    '',
    'Impacts overlap and are not additive. Each estimates what one cause cost on its own, and causes share minutes:',
    'in `gpu_oom_eventlog.zstd` the huge partitions spill, the spill slows the stage whose GPU OOM failed the run, and',
    'the failed run\'s impact is its whole wall clock, so the impacts sum beyond it. The dashboard and the CLI say so',
    'under the flags whenever two or more have an impact (with the sum when it exceeds the wall clock). Explaining',
    'was chosen over attributing the wall clock without double counting: causes that interact have no unique split,',
    'and any split would make each number smaller than what fixing that cause alone would win.',
    '',
    `Totals: ${count.critical} critical, ${count.warning} warning, ${count.info} info.`,
    '',
    '## Critical flags and why a Spark engineer would raise them',
    '',
    ...(criticals.length ? criticals : ['none']),
    '',
    '## Time with no job running: the driver busy or the session idle',
    '',
    'A gap in the job timeline is driver work the run waits for (`driver_bound`: inside a SQL execution, inside one',
    'Databricks notebook command, or anywhere in a batch application) or an interactive session waiting for its user',
    '(`idle_session`: a shell or notebook between commands, before its first job or left open after its last; a cost,',
    'never above warning, no wall-clock impact). The 11 logs that raised `driver_bound` as critical before this split:',
    '',
    ...Object.entries(DRIVER_TIME_REVIEW).map(([log, why]) => `- \`${cell(log)}\`: ${why}`),
    '',
    '## Flags per fixture',
    '',
    '| fixture | Spark | wall clock | flags (severity, impact) |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n')
  writeFileSync(OUT, md)
  process.stdout.write(`wrote ${path.relative(process.cwd(), OUT)}: ${logs.length} inputs, ${count.critical} critical, ${count.warning} warning, ${count.info} info\n`)
  if (review.length) process.stderr.write(`criticals without a justification:\n  ${review.join('\n  ')}\n`)
  return check && review.length ? 1 : 0
}

process.exitCode = await main()
