#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx compiles src/ on the fly.
import { register } from 'tsx/esm/api'

register()
const { runCli, ignoreEpipe } = await import('../src/cli.ts')
ignoreEpipe()
process.exitCode = await runCli(process.argv.slice(2))
