import type { Run } from '../src/shared/flow-types.js'
import type { Simulator, WorldNotables } from '../src/simulator/index.js'
import type { FlowStore } from '../src/store/flow-store.js'
import { join } from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { analyseEventLog } from '../src/spark/analyse.js'
import { SAMPLE_DIR } from '../src/simulator/sample-logs.js'

export type NotableRun = 'expired' | 'noLogConfFallback' | 'noLogDelivery' | 'rolledParts' | 'manyTasks' | 'restartedCluster' | 'emptyLogFolder' | 'logsNotDelivered' | 'inProgress' | 'volumeLogs' | 's3Logs'
export const NOTABLE_RUNS: NotableRun[] = ['expired', 'noLogConfFallback', 'noLogDelivery', 'rolledParts', 'manyTasks', 'restartedCluster', 'emptyLogFolder', 'logsNotDelivered', 'inProgress']

/** The simulator's notable Databricks run of a kind: AAC job group id and Databricks run id (as a string). */
export function notable (sim: Simulator, key: NotableRun): { jobGroupId: number, runId: string } {
  const n = (sim.world.notable as WorldNotables)[key] as { jobGroupId: number, runId: number }
  return { jobGroupId: n.jobGroupId, runId: String(n.runId) }
}

/** Saves a flow whose AAC runs are the simulator's notable Databricks runs (faster and more targeted than a collect). */
export async function seedDbxFlow (store: FlowStore, sim: Simulator, flowName = 'DBX drill-down', keys: NotableRun[] = NOTABLE_RUNS): Promise<void> {
  const runs: Run[] = keys.map((k) => {
    const n = notable(sim, k)
    return {
      platform: 'aac',
      jobGroupId: n.jobGroupId,
      status: k === 'inProgress' ? 'InProgress' : 'Complete',
      ranfor: 'recipe',
      ranfrom: 'ui',
      flowId: 1,
      flowName,
      outputName: `out-${k}`,
      flowRunId: null,
      submittedAt: new Date(sim.world.now - 3600_000).toISOString(),
      startedAt: null,
      finishedAt: null,
      queueMs: null,
      runMs: null,
      executionLanguage: 'databricksSpark',
      databricksRunId: n.runId,
      databricksWorkspaceId: sim.world.workspaceId,
      link: `https://aac.example/jobs/${n.jobGroupId}`,
      errorMessage: null
    }
  })
  await store.addFlow(flowName)
  await store.updateFlow(flowName, (d) => ({ ...d, runs }))
}

/** The simulator's bytes of a DBFS file, read in-process (the reference a download is compared with). */
export async function dbfsBytes (sim: Simulator, path: string): Promise<Buffer> {
  const info = await sim.dbfs.getStatus(path)
  const out = Buffer.alloc(info.file_size)
  for (let off = 0; off < info.file_size; off += 1_048_576) {
    const b = await sim.dbfs.read(path, off, Math.min(1_048_576, info.file_size - off))
    b.copy(out, off)
  }
  return out
}

/** Analyses one of the simulator's sample logs and saves it as the run's analysis.json, as a finished download would. */
export async function saveSampleAnalysis (store: FlowStore, flowName: string, runId: string, sample: string): Promise<void> {
  await store.createEventLogs(flowName, runId)
  await store.analyses.write(flowName, runId, await analyseEventLog(join(SAMPLE_DIR, sample)))
}

/**
 * The Databricks details of one AAC run as the cache keeps them: a job run of `runMs` started at `start` with 5 min
 * of cluster start-up and 20 s of clean-up on one cluster.
 */
export function cachedDbxDetails (runId: string, start: number, runMs: number): object {
  return {
    schemaVersion: 1,
    fetchedAt: new Date().toISOString(),
    host: 'https://adb-1234.azuredatabricks.net',
    run: { runId, jobId: '77', runName: 'trifacta', runPageUrl: 'https://adb-1234.azuredatabricks.net/#job/77', lifeCycle: 'TERMINATED', result: 'SUCCESS', stateMessage: '', terminationCode: 'SUCCESS', startTime: start, endTime: start + runMs, setupMs: 300_000, executionMs: runMs - 340_000, cleanupMs: 20_000, durationsFromTasks: false, runMs, taskCount: 1, clusterCount: 1 },
    clusterId: '0601-000000-abc',
    sparkContextId: null,
    cluster: null,
    clusterNote: null,
    events: [{ timestamp: start, type: 'CREATING', details: {} }, { timestamp: start + 290_000, type: 'RUNNING', details: {} }],
    eventsTruncated: false,
    eventsNote: null,
    logConf: null,
    logConfSource: null
  }
}

/** helper-download-child.ts started on `parts` into `dir` (env: TT_VOLUME, TT_CHUNK, ...): its exit signal and output so far. */
export function startDownloadChild (sim: Simulator, parts: unknown[], dir: string, env: Record<string, string> = {}): { child: ChildProcess, exited: Promise<NodeJS.Signals | null>, output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./helper-download-child.ts', import.meta.url))], {
    env: { ...process.env, TT_DBX_HOST: sim.urls.databricks, TT_DBX_TOKEN: sim.tokens.databricks, TT_PARTS: JSON.stringify(parts), TT_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => { resolve(signal) }))
  return { child, exited, output: () => out }
}
