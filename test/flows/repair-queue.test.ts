import t from 'tap'
import { buildTestApp } from '../helper.js'

// Issue 12 #8: two quick changes of the pairing window; the second re-pairing used to be dropped (one task key).
t.test('two quick window changes: the last window wins', async (t) => {
  const ta = await buildTestApp(t)
  const name = ta.sim.world.notable.fuzzyTwins[0]
  await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })
  await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(name)}/collect` })
  const wide = await ta.app.inject({ method: 'POST', url: '/settings', payload: { MATCH_WINDOW_MINUTES: '1440' } })
  const narrow = await ta.app.inject({ method: 'POST', url: '/settings', payload: { MATCH_WINDOW_MINUTES: '0' } })
  t.equal(wide.statusCode, 303)
  t.equal(narrow.statusCode, 303)
  await ta.services.flows.repairsDone()
  const after = (await ta.services.store.readFlow(name))!
  t.ok(after.pairs.length > 0 || after.runs.length > 0)
  t.ok(after.pairs.every((p) => p.diffMs === 0), 'the pairs follow the last window (0 minutes), not the first')
})

t.test('repairAll called while a pass runs makes one more pass with the newest window', async (t) => {
  const ta = await buildTestApp(t)
  const name = ta.sim.world.notable.fuzzyTwins[0]
  await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })
  await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(name)}/collect` })
  const first = ta.services.flows.repairAll(1440)
  const second = ta.services.flows.repairAll(0)
  await Promise.all([first, second])
  const after = (await ta.services.store.readFlow(name))!
  t.ok(after.pairs.every((p) => p.diffMs === 0))
})
