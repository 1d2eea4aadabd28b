#!/usr/bin/env node
// Starts the command line from dist/cli/cli.js (compiled once by `npm install` / `npm run build`); when dist/ is missing
// or older than one of the sources it was built from, compiles src/ on the fly with tsx instead (slower start).
// TRI_TRACK_TSX=1 forces the tsx path.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { distIsFresh } from './dist-fresh.js'

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
