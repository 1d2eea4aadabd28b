// Collection over the AAC and on-prem v4 APIs with 100 ms upstream latency: 200 runs per side of a flow whose
// jobLibrary filter also matches other flows. Compared with the latency-bound minimum (one round trip for the first
// page, which tells the count, then one for the remaining pages fetched together) and the sequential sum.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator } from '../src/simulator/index.js'
import { createTrifactaClient } from '../src/trifacta/trifacta-client.js'
import { createFlowStore } from '../src/store/flow-store.js'
import { collectFlow } from '../src/flows/collect-flow.js'

const LATENCY_MS = 100
const LIMIT = 200

const sim = await startSimulator({ latencyMs: LATENCY_MS })
const dir = mkdtempSync(join(tmpdir(), 'tri-bench-collect-'))
try {
  const store = createFlowStore({ dataDir: dir })
  const flow = sim.world.notable.pagingFlow
  await store.addFlow(flow)
  const aac = createTrifactaClient({ platform: 'aac', baseUrl: sim.urls.aac, token: sim.tokens.aac })
  const onprem = createTrifactaClient({ platform: 'onprem', baseUrl: sim.urls.onprem, token: sim.tokens.onprem })
  const deps = { aac, onprem, store, limit: LIMIT, ranfor: 'recipe,plan', windowMinutes: 10 }
  // One warm-up (connections, JIT), then the measured runs.
  await collectFlow(flow, deps)
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    sim.resetRequests()
    const t0 = performance.now()
    const data = await collectFlow(flow, deps)
    times.push(performance.now() - t0)
    if (data.runs.filter((r) => r.platform === 'aac').length !== LIMIT) throw new Error('collection did not reach the limit')
  }
  const aacCalls = sim.requests('aac')
  const onpremCalls = sim.requests('onprem')
  times.sort((a, b) => a - b)
  const median = times[1]!
  const minimum = 2 * LATENCY_MS
  const sequential = (aacCalls + onpremCalls) * LATENCY_MS
  console.log(`collect ${LIMIT} runs per side, ${LATENCY_MS} ms latency: ${aacCalls} AAC + ${onpremCalls} on-prem calls`)
  console.log(`  measured (median of 3)   ${median.toFixed(0)} ms`)
  console.log(`  latency-bound minimum    ${minimum} ms  (ratio ${(median / minimum).toFixed(2)}x)`)
  console.log(`  sequential calls would   ${sequential} ms  (ours is ${(sequential / median).toFixed(1)}x faster)`)
  console.log(`  peak RSS                 ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
  await aac.close()
  await onprem.close()
} finally {
  await sim.close()
  rmSync(dir, { recursive: true, force: true })
}
