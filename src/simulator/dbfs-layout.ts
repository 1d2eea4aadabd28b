import type { Dbfs } from './dbfs.js'
import type { World } from './world-types.js'
export function layoutEventLogs(_world: World, _dbfs: Dbfs): void {}
