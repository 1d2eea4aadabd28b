import t from 'tap'
import { buildTestApp, tempDir } from '../helper.js'

t.test('a restart restores flows, runs, pairs and settings', async (t) => {
  const dataDir = tempDir(t)
  const name = 'Sales Daily'
  let before: string
  let pairs: number
  {
    const ta = await buildTestApp(t, { dataDir })
    await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })
    await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: 'Marketing Mix' } })
    await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(name)}/collect` })
    await ta.app.inject({ method: 'POST', url: '/settings', payload: { MATCH_WINDOW_MINUTES: '12' } })
    before = (await ta.app.inject(`/flows/${encodeURIComponent(name)}`)).body
    pairs = (await ta.services.store.readFlow(name))!.pairs.length
    await ta.app.close()
    await ta.services.close()
  }
  const again = await buildTestApp(t, { dataDir })
  t.same(await again.services.store.listFlows(), ['Marketing Mix', 'Sales Daily'])
  const flow = await again.services.store.readFlow(name)
  t.equal(flow?.runs.length, 50)
  t.equal(flow?.pairs.length, pairs)
  const page = (await again.app.inject(`/flows/${encodeURIComponent(name)}`)).body
  const table = (html: string): string => html.slice(html.indexOf('<div id="runs-table"'))
  t.equal(table(page), table(before), 'the same table after a restart')
  const settings = await again.app.inject('/settings')
  t.match(settings.body, /name="MATCH_WINDOW_MINUTES" type="number" min="0" max="1440" value="12"/)
})
