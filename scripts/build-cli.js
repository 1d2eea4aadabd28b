#!/usr/bin/env node
// Compiles the command line (src/cli.ts and what it imports) once into dist/cli/cli.js with esbuild, so `tri-track` starts
// without compiling TypeScript on every run. Runs at `npm install` / `npm ci` (the "prepare" script) and by hand
// (`npm run build`). dist/ is not committed; bin/tri-track.js falls back to tsx when dist/ is missing or older than
// a source file it was built from.
import { build } from 'esbuild'
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// Two folders deep like src/spark/: files read beside the code (knowledge/ by spark/recommend.ts, via
// import.meta.url) resolve to the same place from the bundle.
const dist = join(root, 'dist/cli')
mkdirSync(dist, { recursive: true })
const result = await build({
  entryPoints: [join(root, 'src/cli.ts')],
  outdir: dist,
  // the analysis and each codec in chunks of their own, loaded by dynamic import when used: start-up loads only cli.js
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // packages stay in node_modules (native zstd-napi, wasm xxhash): only the project's own code is bundled
  packages: 'external',
  sourcemap: 'linked',
  metafile: true,
  write: false,
  logLevel: 'warning',
})
// The sources the bundle was made from: bin/tri-track.js compares their modification times with the bundle's.
const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, join(root, p))).sort()
/** Replaces a file in one step (a CLI started meanwhile sees the old or the new file, never half of one). */
const put = (file, data) => {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, file)
}
put(join(dist, 'cli.inputs.json'), JSON.stringify(inputs) + '\n')
// the bundle last: its modification time is the one compared with the sources'
const main = join(dist, 'cli.js')
const outputs = [...result.outputFiles].sort((a, b) => Number(a.path === main) - Number(b.path === main))
for (const f of outputs) put(f.path, f.contents)
// chunks of earlier builds (their names carry a content hash) are no longer referenced
const written = new Set(outputs.map((f) => f.path))
for (const f of readdirSync(dist)) {
  if (/^chunk-.*\.js(\.map)?$/.test(f) && !written.has(join(dist, f))) rmSync(join(dist, f), { force: true })
}
console.log(`tri-track: built dist/cli/cli.js from ${inputs.length} source files`)
