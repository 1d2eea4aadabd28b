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
  'compass/eventlog :: driver_bound': 'The 9.8 min run ran Spark jobs for 1.7 s: the time is the driver\'s (or an idle session\'s), and no executor setting changes it.',
  'spark/app-20200706201101-0003 :: driver_bound': '6.0 of 6.1 min have no job running (one 5.7 min gap) with a 16-core executor held: the run is driver-side work or idling, not Spark.',
  'spark/application_1516285256255_0012 :: driver_bound': '7.8 of 7.9 min have no job running (two gaps of 2.6 and 5.2 min): executors wait on the driver for almost the whole run.',
  'spark/application_1578436911597_0052 :: driver_bound': 'A 1.7 min gap before the first job and 32 s after it: 96 % of the wall clock is driver time.',
  'spark/application_1628109047826_1317105 :: driver_bound': 'Nearly 3 min pass before the first job of a 4.6 min run on 10 cores: the driver (planning, listing, collect) is the bottleneck.',
  'spark-rapids-tools/spark-events-profiling/gpu_oom_eventlog.zstd :: failed_tasks': 'The run failed: 112 tasks hit GpuSplitAndRetryOOM and stage 34 aborted after 4 attempts; the GPU OOM, not the SparkContext shutdown, is the cause.',
  'spark-rapids-tools/spark-events-profiling/gpu_oom_eventlog.zstd :: huge_partitions': '1.3–1.4 GiB partitions are what the GPU could not split and retry; stage 31 ran 31 such tasks on 32 cores for 97 s, spilling: smaller partitions are the fix for the OOM too.',
  'spark-rapids-tools/spark-events-profiling/gpu_oom_eventlog.zstd :: capacity_bound': 'Stage 34 queued 57 s while 96 % of the 32 cores were busy with the stages before it: the cluster was full; the replay puts 2× cores at 1.3 min instead of 2.1 min.',
  'spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_4nodes_8cores_dynamic_alloc.zstd :: driver_bound': 'No job runs for the first 1.5 min nor the last 32 s of a 3.4 min run: 74 % of the wall clock is outside Spark jobs.',
  'spark-rapids-tools/spark-events-qualification/cluster_information/platform/databricks-aws :: driver_bound': 'Jobs run for 1.7 s of a 5.9 min run with 16 cores held: the cluster waited on the driver (Databricks bills it all the same).',
  'spark-rapids-tools/spark-events-qualification/jdbc_eventlog.zstd :: driver_bound': '7.6 min pass before the first job of a 9.5 min JDBC run: the time is spent on the driver, and 16 executor cores idle through it.',
  'spark-rapids-tools/spark-events-qualification/nds_q88_photon_db_13_3.zstd :: capacity_bound': '16 of 16 cores busy from +2.7 to +6.6 min while 12 stages queued: a saturated cluster, and the replay gives 4.7 min instead of 6.9 min with twice the workers.',
  'spark-rapids-tools/spark-events-qualification/xgboost_eventlog.zstd :: driver_bound': '9.1 of 13.7 min have no Spark job (one 6.7 min gap between training jobs): driver-side Python/XGBoost work, with 16 cores held idle.',
  'sparklint/application_1472176676028_407508_1 :: huge_partitions': '40 tasks of 1.7 GiB each on 200 cores: 160 cores idle for the 15 min stage while each task spilled ~5.7 GiB (Spark 1.6 reports it as memory spill only).',
  'sparklint/eventLogs-application_1489705648216_1600.zip :: driver_bound': 'A 1.1 min wait before the first job and 14 s after the last: 58 % of a 2.4 min run with 38 cores held is driver time.',
  'sparklint/event_log_0 :: driver_bound': 'Half of the 5.2 min run (1.7 min before the first job, 52 s after the last) has no Spark job running.',
  'sparklint/event_log_0 :: stragglers': 'Stage 0\'s slowest task takes 1.0 min against a 2.1 s median while reading the same 128 MiB: a straggler (node, GC), so speculation, not AQE (absent in Spark 1.5), is the remedy.',
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const flagCell = (a: Analysis): string => a.flags.length === 0
  ? '–'
  : a.flags.map((f) => `**${f.severity}** ${f.id}${f.impactMs ? ` (${impactText(f.impactMs, a.kpis.wallClockMs)})` : ''}`).join('<br>')

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
    'info below; runs shorter than 2 min and local-mode runs are capped at warning; idle cores are a cost, never above',
    'warning. See the README\'s dashboard section for every rule and threshold.',
    '',
    `Totals: ${count.critical} critical, ${count.warning} warning, ${count.info} info.`,
    '',
    '## Critical flags and why a Spark engineer would raise them',
    '',
    ...(criticals.length ? criticals : ['none']),
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
