import type { Run } from '../src/shared/flow-types.js'

/** A complete Run for tests: every field set to a neutral value, then the overrides. */
export function makeRun (overrides: Partial<Run> & Pick<Run, 'platform' | 'jobGroupId' | 'submittedAt'>): Run {
  return {
    status: 'Complete',
    ranfor: 'recipe',
    ranfrom: 'ui',
    flowId: 1,
    flowName: 'flow',
    outputName: null,
    flowRunId: null,
    startedAt: null,
    finishedAt: null,
    queueMs: null,
    runMs: null,
    executionLanguage: null,
    databricksRunId: null,
    databricksWorkspaceId: null,
    link: `https://example.test/jobs/${overrides.jobGroupId}`,
    errorMessage: null,
    ...overrides
  }
}
