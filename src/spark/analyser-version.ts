/**
 * The version of the analyser: what an analysis says about a log. Every analysis records the one that made it
 * (`analyserVersion` in analysis.json and in `tri-track analyze --json`), so an analysis saved by an older
 * Tri-Tracker is marked as such (dashboard, run page, runs table, compare pages) and can be re-analysed from the log
 * already on disk instead of showing old flags forever.
 *
 * BUMP IT BY ONE whenever the same log would be analysed differently: a red flag's rule, threshold or severity, an
 * impact estimate, a root-cause classification, a recommendation, a KPI or any other number (wall clock, task time,
 * what-if, usage). Not for a refactor that leaves every output equal (`npm run diagnoses` shows no change), nor for
 * the JSON's shape alone (that is ANALYSIS_SCHEMA_VERSION, whose change makes old files unreadable instead).
 * A hand-bumped integer, not a hash of src/spark/: a hash changes with every comment and would mark every saved
 * analysis outdated for nothing. test/spark/fixtures-walk.test.ts holds it to that: it fails when what the analyses
 * of the fixture logs conclude changes under the same version (test/spark/analyser-fingerprint.json).
 *
 * 1: the first recorded (issue 10's revised diagnoses); analyses without a version were made before it.
 */
export const ANALYSER_VERSION = 1

/** The analyser version an analysis records, or null when it has none (made before versions were recorded). */
export function analyserVersionOf (analysis: { analyserVersion?: unknown }): number | null {
  const v = analysis.analyserVersion
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null
}

/** True when an analysis made by `version` (null: none recorded) is older than this analyser: its flags may differ. */
export function isOutdatedAnalyser (version: number | null): boolean {
  return version === null || version < ANALYSER_VERSION
}
