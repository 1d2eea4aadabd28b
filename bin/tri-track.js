#!/usr/bin/env node
// Starts the command line from dist/cli/cli.js (compiled once by `npm install` / `npm run build`); when dist/ is missing
// or older than one of the sources it was built from, compiles src/ on the fly with tsx instead (slower start).
// TRI_TRACK_TSX=1 forces the tsx path.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { distIsFresh } from './dist-fresh.js'

// A short-lived process: V8's default tier-up budget has TurboFan compile dozens of functions that run only a few
// thousand times (per-stage and report code), which cost more CPU than they save. A larger budget leaves those to the
// baseline tiers; the per-line code still runs millions of times and is optimised early on. Measured on q88:
// ~48 -> ~17 optimised compilations, ~-50 ms CPU; no change on the 1 GB SQL log. Before anything else is loaded,
// so that all of our functions get it. (The app server, a long-lived process, keeps V8's defaults.)
setFlagsFromString('--interrupt-budget=1000000')

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
let cli
if (process.env.TRI_TRACK_TSX !== '1' && distIsFresh(root)) {
  cli = await import('../dist/cli/cli.js')
} else {
  const { register } = await import('tsx/esm/api')
  register()
  cli = await import('../src/cli.ts')
}
cli.ignoreEpipe()
process.exitCode = await cli.runCli(process.argv.slice(2))
