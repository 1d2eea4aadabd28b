// Root causes of failures: task failures by class (out of memory incl. GPU, FetchFailed, ExecutorLost, TaskKilled,
// exception class) and executor removals by exit code and wording. The codes are Spark's ExecutorExitCode and YARN's
// ContainerExitStatus; the wordings are the ones YARN, Kubernetes and Spark standalone put in "Removed Reason".
import type { TaskFailureClass } from './aggregator.js'

export type RemovalCause =
  | 'jvm_oom' | 'heartbeat' | 'container_memory_kill' | 'sigterm' | 'yarn_physical_memory' | 'worker_lost'
  | 'scale_down' | 'exit_code' | 'process_lost' | 'unknown'

export interface RemovalClass {
  cause: RemovalCause
  exitCode?: number
  /** what the cause means, for evidence lines */
  label: string
  /** the executor's memory was too small (JVM heap or container): memoryOverhead / memory advice applies */
  memory: boolean
}

/** Exit codes with a fixed meaning (Spark ExecutorExitCode, YARN ContainerExitStatus, POSIX signals). */
const EXIT_CODES: Record<number, { cause: RemovalCause; label: string; memory: boolean }> = {
  52: { cause: 'jvm_oom', label: 'exit 52: the executor JVM ran out of heap (OutOfMemoryError)', memory: true },
  56: { cause: 'heartbeat', label: 'exit 56: the executor could not heartbeat to the driver (network, long GC or overloaded driver)', memory: false },
  137: { cause: 'container_memory_kill', label: 'exit 137: SIGKILL, the container was killed, usually for exceeding its memory limit', memory: true },
  143: { cause: 'sigterm', label: 'exit 143: SIGTERM, the container was stopped from outside (scale-down, preemption or node shutdown)', memory: false },
  [-104]: { cause: 'yarn_physical_memory', label: 'exit -104: YARN killed the container for exceeding its physical memory limit', memory: true },
}

const MEMORY_KILL = /running beyond physical memory|exceeding memory limits|physical memory limits|OOMKilled|memory limit exceeded/i
const JVM_OOM = /OutOfMemory/i
const WORKER_LOST = /worker lost|preempt|spot instance|spot termination|decommission|node lost|lost worker|instance (was )?terminated/i
const SCALE_DOWN = /explicit termination request|killed by driver|idle|scaled down|executor decommission requested by driver/i
const PROCESS_LOST = /Executor Process Lost|Remote RPC client disassociated|disassociated/i

/** Exit code named in a removal or loss reason ("Exit status: 137", "exit code 143", "exitCode=56"). */
export function exitCodeOf (reason: string): number | undefined {
  const m = /exit(?:ed)?\s*(?:status|code)\s*(?:is|=|:)?\s*(-?\d+)/i.exec(reason)
  return m ? Number(m[1]) : undefined
}

/** Classifies an executor removal reason: wording first (it is more specific), then the exit code. */
export function classifyRemoval (reason: string): RemovalClass {
  const code = exitCodeOf(reason)
  const withCode = (c: RemovalClass): RemovalClass => (code !== undefined ? { ...c, exitCode: code } : c)
  if (code === -104) return withCode(EXIT_CODES[-104]!)
  if (MEMORY_KILL.test(reason)) return withCode({ cause: 'container_memory_kill', label: 'the container was killed for exceeding its memory limit', memory: true })
  if (JVM_OOM.test(reason)) return withCode(EXIT_CODES[52]!)
  if (code !== undefined && EXIT_CODES[code]) return withCode(EXIT_CODES[code])
  if (WORKER_LOST.test(reason)) return withCode({ cause: 'worker_lost', label: 'the worker node went away (spot reclaim, preemption or node failure)', memory: false })
  if (SCALE_DOWN.test(reason)) return withCode({ cause: 'scale_down', label: 'released by the driver (dynamic allocation or shutdown)', memory: false })
  if (code !== undefined) return withCode({ cause: 'exit_code', label: `exit ${code}: the executor process failed (see its log)`, memory: false })
  if (PROCESS_LOST.test(reason)) return { cause: 'process_lost', label: 'the executor process died without a reason (often the OS OOM killer or a crash; see its log)', memory: false }
  return { cause: 'unknown', label: 'no reason logged', memory: false }
}

export type TaskFailureKind = 'out_of_memory' | 'gpu_out_of_memory' | 'fetch_failed' | 'executor_lost' | 'task_killed' | 'commit_denied' | 'exception' | 'other'

const GPU_OOM = /GpuRetryOOM|GpuSplitAndRetryOOM|RmmRetryOOM|CudfException.*out of memory|cudaErrorMemoryAllocation|GPU OutOfMemory|RMM failure.*out of memory|rmm.*OutOfMemory/i
const OOM = /OutOfMemoryError|OutOfMemory|out of memory|Container killed .*memory|exceeding memory limits/i

/** The kind of a task failure from its end reason and text. */
export function classifyTaskFailure (reason: string, detail: string): TaskFailureKind {
  switch (reason) {
    case 'FetchFailed': return 'fetch_failed'
    case 'ExecutorLostFailure': return OOM.test(detail) ? 'out_of_memory' : 'executor_lost'
    case 'TaskKilled': return 'task_killed'
    case 'TaskCommitDenied': return 'commit_denied'
    case 'ExceptionFailure':
      if (GPU_OOM.test(detail)) return 'gpu_out_of_memory'
      if (OOM.test(detail)) return 'out_of_memory'
      return 'exception'
    default: return 'other'
  }
}

const KIND_RANK: Record<TaskFailureKind, number> = {
  gpu_out_of_memory: 0, out_of_memory: 1, executor_lost: 2, fetch_failed: 3, exception: 4, commit_denied: 5, other: 6, task_killed: 7,
}
const KIND_LABEL: Record<TaskFailureKind, string> = {
  gpu_out_of_memory: 'GPU out of memory',
  out_of_memory: 'out of memory',
  executor_lost: 'executor lost under the task',
  fetch_failed: 'shuffle fetch failed (map output lost with its executor, or the shuffle service failed)',
  exception: 'exception in the task',
  commit_denied: 'output commit denied (another attempt committed)',
  other: 'other failure',
  task_killed: 'killed (speculation, stage cancelled or job aborted)',
}

export interface RootCause {
  kind: TaskFailureKind
  /** exception class for exceptions and OOMs */
  className?: string
  count: number
  timeMs: number
  stageIds: number[]
  executorIds: string[]
  /** one readable line: "out of memory: java.lang.OutOfMemoryError: Java heap space (12 tasks, stages 3, 4)" */
  line: string
}

const firstLine = (r: string, max = 200): string => {
  const l = (r.split('\n')[0] ?? '').trim()
  return l.length > max ? `${l.slice(0, max)}…` : l
}

/** Task failure classes, the likely root cause first (OOM before executor loss before fetch failures before kills). */
export function taskRootCauses (failures: Iterable<TaskFailureClass>): RootCause[] {
  const out: RootCause[] = []
  for (const f of failures) {
    if (f.reason === 'Resubmitted') continue
    const kind = classifyTaskFailure(f.reason, f.detail)
    const className = f.reason === 'ExceptionFailure' ? (/^[^:\s]+/.exec(f.detail)?.[0] ?? undefined) : undefined
    const stages = f.stageIds.slice(0, 5).join(', ') + (f.stageIds.length > 5 ? ', …' : '')
    out.push({
      kind,
      ...(className ? { className } : {}),
      count: f.count,
      timeMs: f.timeMs,
      stageIds: f.stageIds,
      executorIds: f.executorIds,
      line: `${KIND_LABEL[kind]}: ${firstLine(f.detail) || f.reason} (${f.count} task${f.count === 1 ? '' : 's'}, stage${f.stageIds.length === 1 ? '' : 's'} ${stages})`,
    })
  }
  return out.sort((x, y) => KIND_RANK[x.kind] - KIND_RANK[y.kind] || y.count - x.count)
}

/** Stage failure reasons that only echo another failure (the app stopping, a job aborted elsewhere). */
const ECHO = /SparkContext was shut down|Job \d+ cancelled|cancelled as part of cancellation of all jobs|because SparkContext was stopped/i

/** The informative part of a stage failure reason: "most recent failure: …: <class>: <message>" → "<class>: <message>". */
export function stageFailureCause (reason: string): string | undefined {
  if (ECHO.test(reason)) return undefined
  const m = /most recent failure: Lost task [^:]*?\)(?: \([^)]*\))?: (.*)/s.exec(reason)
  return firstLine(m ? m[1]! : reason)
}
