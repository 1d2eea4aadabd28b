import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildTestApp } from '../helper.js'
import { collectTaskKey } from '../../src/flows/flow-service.js'

// Done-when of issue 11: against the simulator with 30-second access tokens, a collection that lasts longer than a
// token still succeeds, and the settings page shows the refresh token's expiry (and warns a week ahead).
t.test('a collection outlives a 30-second access token; settings show the expiry and warn', async (t) => {
  t.setTimeout(120_000)
  const ta = await buildTestApp(t, { oauth: true, onprem: false, sim: { oauth: { accessTtlSec: 30, refreshTtlSec: 3 * 86_400 } }, env: { UPSTREAM_TIMEOUT_MS: '60000' } })
  const [name] = ta.sim.world.notable.fuzzyTwins
  await ta.services.store.addFlow(name)
  // the first listing call reaches AAC's auth check 31 s after it was sent: its token has expired by then
  ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'latency', ms: 31_000, times: 1 })
  const started = Date.now()
  ta.services.flows.startCollect(name)
  await ta.services.tasks.wait(collectTaskKey(name))
  const elapsed = Date.now() - started
  const task = ta.services.tasks.get(collectTaskKey(name))
  t.equal(task?.status, 'done', String(task?.error))
  t.ok(elapsed > 30_000, `the collection took ${Math.round(elapsed / 1000)} s, longer than one access token`)
  const flow = await ta.services.store.readFlow(name)
  t.equal(flow?.lastCollect?.aac.ok, true)
  t.equal(flow?.runs.filter((r) => r.platform === 'aac').length, 25)
  t.ok(ta.sim.oauth.refreshes >= 1, 'the access token was refreshed')
  t.equal(ta.sim.oauth.spentReuse, 0)

  const saved = JSON.parse(readFileSync(join(ta.dataDir, 'aac-oauth.json'), 'utf8')) as { refreshToken: string }
  const page = await ta.app.inject('/settings')
  t.match(page.body, /id="aac-token-status"/)
  t.match(page.body, /OAuth 2\.0: the access token expires/)
  t.match(page.body, /id="aac-refresh-expiry-warning"/, 'a refresh token expiring in 3 days is warned about')
  t.match(page.body, new RegExp(ta.sim.oauth.clientId), 'the client id read from the token is shown')
  const secrets = [ta.baseEnv.PLATFORM_API_TOKEN!, ta.baseEnv.PLATFORM_API_REFRESH_TOKEN!, saved.refreshToken]
  for (const s of secrets) {
    t.notOk(page.body.includes(s), 'no token on the settings page')
    t.notOk(ta.logLines.some((l) => l.includes(s)), 'no token in the logs')
  }
})
