import type { Run } from '../../src/shared/flow-types.js'
import type { Simulator } from '../../src/simulator/index.js'
import { parseJobGroup } from '../../src/trifacta/job-group-parse.js'

/** An on-prem run of the simulated world, as collection would save it. */
export function onpremRun (sim: Simulator, pick: (r: Run, appId: string | undefined) => boolean): Run {
  for (const jg of sim.world.onprem.jobGroups) {
    const r = parseJobGroup(jg, 'onprem', 'https://onprem.example')
    if (r !== null && r.status === 'Complete' && r.ranfor !== 'sampling' && pick(r, sim.world.history.byJobGroup.get(r.jobGroupId))) return r
  }
  throw new Error('no such on-prem run in the simulated world')
}

/** The finder's cases in the simulated world. */
export function finderCases (sim: Simulator): { byId: Run, byWindow: Run, several: Run, none: Run } {
  return {
    byId: onpremRun(sim, (r, app) => r.sparkAppId != null && r.sparkAppId === app),
    byWindow: onpremRun(sim, (r, app) => r.flowName === 'Hourly Clickstream' && r.sparkAppId == null && app !== undefined),
    several: onpremRun(sim, (r, app) => r.flowName === sim.world.notable.multiOutputFlow && app !== undefined),
    none: onpremRun(sim, (r) => r.flowName === 'Weekly Audit 50%' && Date.parse(r.submittedAt) < sim.world.now - 40 * 86_400_000)
  }
}
