import type { FlowStore } from '../store/flow-store.js'
import type { World } from '../simulator/index.js'

/**
 * On the first demo start, adds a few flows of the simulated world to the sidebar. Recorded in the data dir,
 * so flows the user removes stay removed on the next start.
 */
export async function seedDemoFlows (store: FlowStore, world: World): Promise<string[]> {
  const state = await store.readDemoState<{ schemaVersion: 1, seededAt: string }>().catch(() => null)
  if (state !== null) return []
  const names = [world.notable.fuzzyTwins[0], world.notable.multiOutputFlow, 'Marketing Mix'].filter((n) => world.flowNames.includes(n))
  for (const name of names) await store.addFlow(name)
  await store.writeDemoState({ schemaVersion: 1, seededAt: new Date().toISOString(), flows: names })
  return names
}
