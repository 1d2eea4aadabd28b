import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/*
 * The layout rule of the README's development section, checked: rooms by feature over a pure analysis core; a room
 * imports only rooms below it (or itself), type-only imports included; no cycles between files.
 */
const SRC = fileURLToPath(new URL('../src/', import.meta.url))
const RANK: Record<string, number> = {
  shared: 0,
  'config.ts': 0,
  'logger.ts': 0,
  spark: 1,
  http: 1,
  tasks: 1,
  simulator: 1,
  store: 2,
  plugins: 3,
  trifacta: 3,
  s3: 3,
  'log-sources': 3,
  databricks: 4,
  'spark-history': 4,
  upstreams: 5,
  flows: 6,
  dashboard: 7,
  settings: 7,
  demo: 8,
  // the composition root and entry points
  'services.ts': 9,
  'app.ts': 9,
  'main.ts': 9,
  'cli.ts': 9
}
// The analysis core is usable alone (the CLI, a worker): it may lean on the leaf helpers and nothing else.
const SPARK_MAY_IMPORT = new Set(['spark', 'shared'])

function files (dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}
const roomOf = (file: string): string => relative(SRC, file).split('/')[0]!

const graph = new Map<string, string[]>()
for (const file of files(SRC)) {
  const text = readFileSync(file, 'utf8')
  const deps: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) {
    const spec = m[1] ?? m[2]!
    deps.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'))
  }
  graph.set(file, deps)
}

t.test('every room of src/ has a rank', async (t) => {
  for (const file of graph.keys()) t.ok(RANK[roomOf(file)] !== undefined, `${relative(SRC, file)}: room ${roomOf(file)} is ranked`)
})

t.test('no import from a lower room to a higher one', async (t) => {
  const bad: string[] = []
  for (const [file, deps] of graph) {
    const from = roomOf(file)
    for (const dep of deps) {
      const to = roomOf(dep)
      if (to === from) continue
      if ((RANK[to] ?? 99) > (RANK[from] ?? -1)) bad.push(`${relative(SRC, file)} -> ${relative(SRC, dep)}`)
      if (from === 'spark' && !SPARK_MAY_IMPORT.has(to)) bad.push(`${relative(SRC, file)} -> ${relative(SRC, dep)} (spark/ imports only spark/ and shared/)`)
    }
  }
  t.same(bad, [], 'imports that go up')
})

t.test('no import cycle between files', async (t) => {
  const state = new Map<string, 'open' | 'done'>()
  const cycles: string[] = []
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '))
      return
    }
    state.set(file, 'open')
    for (const dep of graph.get(file) ?? []) visit(dep, [...path, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  t.same(cycles, [], 'cycles')
})
