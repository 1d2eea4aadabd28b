import t from 'tap'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { buildTestApp } from '../helper.js'
import { loadConfig } from '../../src/config.js'
import { createFlowStore } from '../../src/store/flow-store.js'
import { readSavedSettings } from '../../src/settings/settings-service.js'
import { effectiveEnv } from '../../src/settings/settings-model.js'

const HX = { 'hx-request': 'true' }

t.test('the settings page shows where values come from, never a token', async (t) => {
  const ta = await buildTestApp(t)
  const res = await ta.app.inject('/settings')
  t.equal(res.statusCode, 200)
  t.match(res.body, /<form method="post" action="\/settings" class="settings-form" id="settings-form"/)
  t.match(res.body, /id="f-PLATFORM_API_TOKEN" name="PLATFORM_API_TOKEN" type="password" value=""/)
  t.match(res.body, new RegExp(`Token set \\(ends in …${ta.sim.tokens.aac.slice(-4)}\\)`))
  t.match(res.body, /id="f-DEFAULT_LIMIT" name="DEFAULT_LIMIT" type="number" min="1" max="1000" value="25"/)
  t.match(res.body, /hx-post="\/settings\/test\/databricks" hx-target="#test-databricks"/)
  for (const tok of Object.values(ta.sim.tokens)) t.notOk(res.body.includes(tok), 'no token in the page')
  t.match(res.headers['cache-control'], /no-store/)
  const home = await ta.app.inject('/')
  t.match(home.body, /href="\/settings"/, 'linked from every page')
})

t.test('AWS credentials for S3 log destinations: the secret and session token are never rendered or logged', async (t) => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY'
  const session = 'IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN1234567890'
  const ta = await buildTestApp(t, { env: { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: session, AWS_REGION: 'eu-west-1' } })
  const res = await ta.app.inject('/settings')
  t.match(res.body, /id="f-AWS_SECRET_ACCESS_KEY" name="AWS_SECRET_ACCESS_KEY" type="password" value=""/)
  t.match(res.body, /id="f-AWS_ACCESS_KEY_ID" name="AWS_ACCESS_KEY_ID" type="text" value="AKIAIOSFODNN7EXAMPLE"/)
  t.match(res.body, /Token set \(ends in …EKEY\)/)
  t.notOk(res.body.includes(secret), 'no secret in the page')
  t.notOk(res.body.includes(session), 'no session token in the page')
  const bad = await ta.app.inject({ method: 'POST', url: '/settings', payload: { AWS_REGION: 'Mars-1' } })
  t.match(bad.body, /AWS_REGION must be an AWS region such as eu-west-1/)
  // the session token travels with every S3 request: a new S3 endpoint needs it typed again
  const moved = await ta.app.inject({ method: 'POST', url: '/settings', payload: { AWS_ENDPOINT_URL_S3: 'https://s3.attacker.example' } })
  t.equal(moved.statusCode, 400)
  t.match(moved.body, /The S3 address changed: type the S3 token again/)
  t.equal(ta.services.upstreams.targets.s3.endpoint, '', 'nothing applied')
  t.notOk(ta.logLines.some((l) => l.includes(secret) || l.includes(session)), 'nothing logged')
})

t.test('save, apply without restart, and read back after a restart', async (t) => {
  const ta = await buildTestApp(t)
  const res = await ta.app.inject({ method: 'POST', url: '/settings', payload: { DEFAULT_LIMIT: '40', MATCH_WINDOW_MINUTES: '15', RANFOR_FILTER: 'recipe', PLATFORM_API_BASE_URL: ta.sim.urls.aac, PLATFORM_API_TOKEN: '', DEMO_MODE: 'auto' } })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/settings?saved=1')
  t.equal(ta.services.upstreams.config.DEFAULT_LIMIT, 40, 'applied at once')
  t.equal(ta.services.upstreams.config.MATCH_WINDOW_MINUTES, 15)
  t.equal(ta.services.upstreams.targets.aac.token, ta.sim.tokens.aac, 'an empty token field keeps the token')
  const file = join(ta.dataDir, 'settings.json')
  t.equal(statSync(file).mode & 0o777, 0o600, 'settings.json is readable by its owner only')
  const page = await ta.app.inject('/settings?saved=1')
  t.match(page.body, /id="settings-saved"/)
  t.match(page.body, /value="40"/)
  t.match(page.body, /From settings page|from settings page/)
  // A restart reads the same file.
  const saved = await readSavedSettings(createFlowStore({ dataDir: ta.dataDir }))
  const restarted = loadConfig(effectiveEnv(ta.baseEnv, saved))
  t.equal(restarted.DEFAULT_LIMIT, 40)
  t.equal(restarted.RANFOR_FILTER, 'recipe')
  // Collection uses the new limit at once.
  const name = ta.sim.world.notable.pagingFlow
  await ta.services.store.addFlow(name)
  ta.services.flows.startCollect(name)
  await ta.services.tasks.wait(`collect:${name}`)
  const flow = await ta.services.store.readFlow(name)
  t.equal(flow?.runs.filter((r) => r.platform === 'aac').length, 40)
})

t.test('bad values are refused with a message naming them, and nothing is saved', async (t) => {
  const ta = await buildTestApp(t)
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ DEFAULT_LIMIT: '0' }, 'DEFAULT_LIMIT', /DEFAULT_LIMIT must be an integer from 1 to 1000/],
    [{ MATCH_WINDOW_MINUTES: 'ten' }, 'MATCH_WINDOW_MINUTES', /MATCH_WINDOW_MINUTES/],
    [{ PLATFORM_API_BASE_URL: 'file:///etc/passwd' }, 'PLATFORM_API_BASE_URL', /http\(s\) URL/],
    [{ PLATFORM_API_BASE_URL: `${ta.sim.urls.aac}\nPLATFORM_API_TOKEN=stolen` }, 'PLATFORM_API_BASE_URL', /PLATFORM_API_BASE_URL/],
    [{ RANFOR_FILTER: 'recipe\r\nX=1' }, 'RANFOR_FILTER', /RANFOR_FILTER/],
    // issue 12 #4: values the pattern let through but new URL() refuses (the next start died on them)
    [{ PLATFORM_API_BASE_URL: 'http://127.0.0.1:99999/v4', PLATFORM_API_TOKEN: 'x' }, 'PLATFORM_API_BASE_URL', /PLATFORM_API_BASE_URL must be an http\(s\) URL[^<]*: it is not a valid URL/],
    [{ ONPREM_API_BASE_URL: 'http://[::1/v4', ONPREM_API_TOKEN: 'x' }, 'ONPREM_API_BASE_URL', /ONPREM_API_BASE_URL[^<]*not a valid URL/],
    [{ DATABRICKS_HOST: 'https://h.example:0', DATABRICKS_TOKEN: 'x' }, 'DATABRICKS_HOST', /DATABRICKS_HOST[^<]*the port must be from 1 to 65535/],
    [{ DATABRICKS_HOST: 'https://user:pw@h.example', DATABRICKS_TOKEN: 'x' }, 'DATABRICKS_HOST', /DATABRICKS_HOST[^<]*user name or password/],
    [{ DATABRICKS_TOKEN: 'abc\u0000def' }, 'DATABRICKS_TOKEN', /DATABRICKS_TOKEN/]
  ]
  for (const [payload, key, re] of cases) {
    const res = await ta.app.inject({ method: 'POST', url: '/settings', payload })
    t.equal(res.statusCode, 400, `${key} refused`)
    t.match(res.body, re)
    t.match(res.body, new RegExp(`<p class="field-error" id="e-${key}">|class="field invalid"`))
    t.notOk(res.body.includes('abc\u0000def'))
  }
  t.equal(await readSavedSettings(ta.services.store), null, 'no settings file was written')
  t.equal(ta.services.upstreams.config.DEFAULT_LIMIT, 25)
})

t.test('a token follows its host: changing the host needs the token again', async (t) => {
  const ta = await buildTestApp(t)
  const moved = await ta.app.inject({ method: 'POST', url: '/settings', payload: { DATABRICKS_HOST: 'https://attacker.example' } })
  t.equal(moved.statusCode, 400)
  t.match(moved.body, /The Databricks address changed: type the Databricks token again/)
  t.equal(ta.services.upstreams.targets.databricks?.host, ta.sim.urls.databricks, 'nothing applied')
  const withToken = await ta.app.inject({ method: 'POST', url: '/settings', payload: { DATABRICKS_HOST: 'https://adb-1.example.net', DATABRICKS_TOKEN: 'dapi-new-token-0000' } })
  t.equal(withToken.statusCode, 303)
  t.equal(ta.services.upstreams.targets.databricks?.host, 'https://adb-1.example.net')
  t.equal(ta.services.upstreams.targets.databricks?.token, 'dapi-new-token-0000')
  const cleared = await ta.app.inject({ method: 'POST', url: '/settings', payload: { DATABRICKS_HOST: '', clear: 'DATABRICKS_TOKEN' } })
  t.equal(cleared.statusCode, 303)
  t.equal(ta.services.upstreams.targets.databricks, null, 'Databricks no longer configured')
  const page = await ta.app.inject('/settings')
  t.match(page.body, /Token not set/)
  t.notOk(page.body.includes('dapi-new-token-0000'))
})

t.test('leaving and returning to demo mode', async (t) => {
  const ta = await buildTestApp(t)
  t.equal(ta.services.upstreams.demo, false)
  let home = await ta.app.inject('/')
  t.notMatch(home.body, /id="demo-banner"/)
  const toDemo = await ta.app.inject({ method: 'POST', url: '/settings', payload: { clear: ['PLATFORM_API_TOKEN'] } })
  t.equal(toDemo.statusCode, 303)
  t.equal(ta.services.upstreams.demo, true, 'no AAC token: demo')
  home = await ta.app.inject('/')
  t.match(home.body, /id="demo-banner"/)
  const settingsPage = await ta.app.inject('/settings')
  t.match(settingsPage.body, /<strong>Demo mode\.<\/strong>/)
  const back = await ta.app.inject({ method: 'POST', url: '/settings', payload: { PLATFORM_API_TOKEN: ta.sim.tokens.aac, DEMO_MODE: 'off' } })
  t.equal(back.statusCode, 303)
  t.equal(ta.services.upstreams.demo, false)
  const page = await ta.app.inject('/settings')
  t.match(page.body, /<strong>Connected to your platforms\.<\/strong>/)
})

t.test('test connection per upstream, with the upstream\'s error', async (t) => {
  const ta = await buildTestApp(t, { env: { ONPREM_API_TOKEN: 'definitely-wrong-token' } })
  const ok = await ta.app.inject({ method: 'POST', url: '/settings/test/aac', headers: HX })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, /^<output id="test-aac" class="connection-test ok" role="status">✓ Connected to AAC\.<\/output>/)
  const dbx = await ta.app.inject({ method: 'POST', url: '/settings/test/databricks', headers: HX })
  t.match(dbx.body, /connection-test ok/)
  const bad = await ta.app.inject({ method: 'POST', url: '/settings/test/onprem', headers: HX })
  t.match(bad.body, /connection-test failed[\s\S]*401/)
  t.notOk(bad.body.includes('definitely-wrong-token'))
  const noJs = await ta.app.inject({ method: 'POST', url: '/settings/test/aac' })
  t.match(noJs.body, /<!doctype html>[\s\S]*<output id="test-aac" class="connection-test ok"/)
  const unknown = await ta.app.inject({ method: 'POST', url: '/settings/test/evil' })
  t.equal(unknown.statusCode, 400)
  const cross = await ta.app.inject({ method: 'POST', url: '/settings', payload: { DEFAULT_LIMIT: '5' }, headers: { origin: 'http://evil.example' } })
  t.equal(cross.statusCode, 403, 'a cross-site settings change is refused')
  t.notOk(ta.logLines.join('\n').includes('definitely-wrong-token'), 'no token in the logs')
  for (const tok of Object.values(ta.sim.tokens)) t.notOk(ta.logLines.join('\n').includes(tok))
})

t.test('a new pairing window pairs the saved runs again', async (t) => {
  const ta = await buildTestApp(t)
  const name = ta.sim.world.notable.fuzzyTwins[0]
  await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })
  await ta.app.inject({ method: 'POST', url: `/flows/${encodeURIComponent(name)}/collect` })
  const before = (await ta.services.store.readFlow(name))!.pairs
  t.ok(before.length > 0)
  const res = await ta.app.inject({ method: 'POST', url: '/settings', payload: { MATCH_WINDOW_MINUTES: '0' } })
  t.equal(res.statusCode, 303)
  await ta.services.flows.repairsDone()
  const after = (await ta.services.store.readFlow(name))!
  t.ok(after.pairs.every((p) => p.diffMs === 0), 'only simultaneous submissions pair with a 0-minute window')
  t.ok(after.pairs.length < before.length, `fewer pairs (${after.pairs.length} < ${before.length})`)
  t.equal(after.runs.length, 50, 'the runs are untouched')
})
