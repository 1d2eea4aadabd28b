import t from 'tap'
import { readFileSync } from 'node:fs'
import { buildTestApp } from '../helper.js'
import { notable, saveSampleAnalysis, seedDbxFlow } from '../helper-dbx.js'
import { launchBrowser } from './browser.js'
import { a11yViolations, checkA11y, type Asserter } from './axe.js'
import { CSP_DIRECTIVES } from '../../src/plugins/security.js'

/*
 * Every page of the app, opened directly, passes axe's WCAG 2.1 A + AA rules. The dynamic states (collect
 * progress, the DBX panel, download progress, the dashboard panel) are checked where the journey tests reach them.
 */

const FLOW = 'A11y · Ünïcode flow'
const flowUrl = `/flows/${encodeURIComponent(FLOW)}`
const FIXTURES = new URL('../fixtures/a11y/', import.meta.url)

/** The app's own CSP header, so the fixture is checked under the same policy as the real pages. */
function cspHeader (): string {
  return Object.entries(CSP_DIRECTIVES).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${([] as string[]).concat(v as string[]).join(' ')}`).join('; ')
}

t.test('axe WCAG 2.1 AA on every page', async (t) => {
  const browser = await launchBrowser(t)
  if (browser === null) return
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, reducedMotion: 'reduce' })
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(e.message))

  await t.test('the check bites: a low-contrast page fails it', async (t) => {
    await page.route('http://fixture.test/**', async (route) => {
      const css = route.request().url().endsWith('.css')
      await route.fulfill({
        contentType: css ? 'text/css' : 'text/html; charset=utf-8',
        headers: { 'content-security-policy': cspHeader() },
        body: readFileSync(new URL(css ? 'low-contrast.css' : 'low-contrast.html', FIXTURES), 'utf8')
      })
    })
    await page.goto('http://fixture.test/')
    const found = await a11yViolations(page)
    t.same(found.map((v) => v.id), ['color-contrast'], 'axe runs under the strict CSP and finds the 4.47:1 green')
    t.match(found[0]!.nodes[0], /^span: .*contrast of 4\.47 \(foreground color: #1a7f37, background color: #e6f4ea/)
    // the helper every browser test calls turns that into a failed assertion
    const seen: Array<{ found: unknown, message: string }> = []
    const recorder: Asserter = { same: (f, _w, message) => { seen.push({ found: f, message }); return false } }
    await checkA11y(recorder, page, 'fixture')
    t.equal(seen.length, 1)
    t.match(seen[0], { message: 'axe WCAG 2.1 AA: fixture', found: [/^color-contrast \(serious, 1 element\): Elements must meet minimum color contrast ratio thresholds/] })
    await page.unroute('http://fixture.test/**')
  })

  const ta = await buildTestApp(t)
  await seedDbxFlow(ta.services.store, ta.sim, FLOW)
  const rolled = notable(ta.sim, 'rolledParts')
  const restarted = notable(ta.sim, 'restartedCluster')
  const bare = notable(ta.sim, 'noLogConfFallback')
  await saveSampleAnalysis(ta.services.store, FLOW, rolled.runId, 'tasks_executors_fail_compressed_eventlog.zstd')
  await saveSampleAnalysis(ta.services.store, FLOW, restarted.runId, 'eventlog_3nodes_12cores_exec_removed')
  await ta.app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(ta.app.server.address() as { port: number }).port}`

  const pages: Array<[string, string, string?]> = [
    ['home', '/'],
    ['add-flow page', '/flows/new'],
    ['settings', '/settings'],
    ['flow page with runs', flowUrl],
    ['AAC run page (DBX details load in)', `${flowUrl}/runs/${rolled.jobGroupId}`, `#dbx-slot-${rolled.jobGroupId} .dbx-panel`],
    ['DBX page', `${flowUrl}/runs/${rolled.jobGroupId}/dbx`],
    ['full dashboard, charts drawn', `${flowUrl}/runs/${rolled.jobGroupId}/dashboard`, '#dashboard-content[data-charts="ready"]'],
    ['dashboard, every stage', `${flowUrl}/runs/${rolled.jobGroupId}/dashboard?all=stages`, '#dashboard-content[data-charts="ready"]'],
    ['dashboard of a run not analysed yet', `${flowUrl}/runs/${bare.jobGroupId}/dashboard`],
    ['compare form', `${flowUrl}/compare`],
    ['compare result', `${flowUrl}/compare?a=${restarted.jobGroupId}&b=${rolled.jobGroupId}`],
    ['not-found page', '/flows/nope']
  ]
  for (const [state, url, ready] of pages) {
    await page.goto(base + url)
    if (ready !== undefined) await page.waitForSelector(ready, { timeout: 15_000 })
    await checkA11y(t, page, state)
  }

  // settings with errors: typed by the user, refused by the server, every field's error shown
  await page.goto(base + '/settings')
  await page.fill('#f-PLATFORM_API_BASE_URL', 'ftp://nowhere')
  await page.fill('#f-DEFAULT_LIMIT', '0')
  await page.evaluate('document.querySelector("#settings-form").noValidate = true')
  await page.click('#settings-form button.primary')
  await page.waitForSelector('#settings-errors')
  await checkA11y(t, page, 'settings with errors')

  t.same(problems, [], 'no page errors')
})
