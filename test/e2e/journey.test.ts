import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startBrowserApp } from './browser.js'
import { checkA11y } from './axe.js'
import { ROOT } from '../../src/app.js'

t.test('a new user adds a flow, collects its runs and sees pairs', async (t) => {
  const started = await startBrowserApp(t)
  if (started === null) return
  const { ta, page, base, problems } = started

  await page.goto(base + '/')
  await page.click('#add-flow summary')
  await checkA11y(t, page, 'home, add-flow form open')
  const name = ta.sim.world.notable.multiOutputFlow
  await page.fill('#add-flow-name', name)
  await page.click('.add-flow-form button[type=submit]')
  await page.waitForLoadState('load')
  await page.waitForURL(`${base}/flows/${encodeURIComponent(name)}`)
  t.equal(await page.textContent('h1'), name)
  t.equal(await page.locator('#flow-list a[aria-current=page]').textContent(), name)

  // a slow AAC keeps the collection running long enough to look at its progress
  const slow = ta.sim.faults.add({ upstream: 'aac', path: '/v4/jobLibrary', kind: 'latency', ms: 1500, times: 1 })
  await page.click('#collect-form button')
  await page.waitForSelector('#collect-progress progress', { timeout: 10_000 })
  await checkA11y(t, page, 'flow page, collect in progress')
  slow()
  await page.waitForSelector('#runs-table tr.paired', { timeout: 15_000 })
  await checkA11y(t, page, 'flow page, runs collected')
  const paired = await page.locator('#runs-table tr.paired').count()
  t.ok(paired > 5, `pairs shown (${paired})`)
  t.match(await page.textContent('#collect-status') ?? '', /AAC 25 runs/)
  t.equal(page.url(), `${base}/flows/${encodeURIComponent(name)}`, 'still on the bookmarkable URL')

  // DBX ▸ expands the Databricks details in place; Close folds them away again.
  const firstDbx = page.locator('#runs-table a.details', { hasText: 'DBX ▸' }).first()
  const slot = await firstDbx.getAttribute('aria-controls')
  await firstDbx.click()
  await page.waitForSelector(`#${slot} .dbx-panel`, { timeout: 15_000 })
  t.match(await page.textContent(`#${slot}`) ?? '', /Cluster/)
  t.equal(page.url(), `${base}/flows/${encodeURIComponent(name)}`, 'expanding does not navigate')
  await checkA11y(t, page, 'flow page, DBX panel expanded')
  // a second row's details open beside the first: every element id stays unique (htmx targets follow)
  const secondDbx = page.locator('#runs-table a.details', { hasText: 'DBX ▸' }).nth(1)
  const slot2 = await secondDbx.getAttribute('aria-controls')
  await secondDbx.click()
  await page.waitForSelector(`#${slot2} .dbx-panel .download-progress`, { timeout: 15_000 })
  t.same(await page.evaluate('[...document.querySelectorAll("[id]")].map((e) => e.id).filter((id, i, all) => all.indexOf(id) !== i)'), [], 'no duplicate id with two DBX panels open')
  await checkA11y(t, page, 'flow page, two DBX panels expanded')
  await page.click(`#${slot2} .dbx-close`)
  await page.waitForSelector(`#${slot2} .dbx-panel`, { state: 'detached', timeout: 10_000 })
  await page.click(`#${slot} .dbx-close`)
  // A selector wait, not waitForFunction: the page's CSP forbids the eval that a string predicate needs.
  await page.waitForSelector(`#${slot} .dbx-panel`, { state: 'detached', timeout: 10_000 })
  t.equal((await page.locator(`#${slot}`).innerHTML()).trim(), '', 'the panel closed')

  // Restart-like check: a fresh load of the same URL shows the saved table.
  await page.reload()
  t.equal(await page.locator('#runs-table tr.paired').count(), paired)

  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true })
    await page.screenshot({ path: join(ROOT, 'docs', 'runs-table.png'), fullPage: false })
  }

  // The trend chart is drawn from its JSON endpoint; each pair says where its time went.
  await page.waitForSelector('#flow-trend canvas', { timeout: 10_000 })
  const drawn = 'window.triTrackerCharts && window.triTrackerCharts.trend ? window.triTrackerCharts.trend.data.labels.length : 0'
  let bars = 0
  for (let i = 0; i < 150 && bars === 0; i++) {
    bars = Number(await page.evaluate(drawn))
    if (bars === 0) await page.waitForTimeout(100)
  }
  t.ok(bars >= paired, `trend chart drawn (${bars} runs)`)
  t.match(await page.textContent('#flow-trend [data-trend-status]') ?? '', /Click a bar/)
  t.match(await page.locator('#runs-table td.timing-cell a').first().textContent() ?? '', /^[+−]\d[^,]* [a-z]/, 'a pair\'s decomposition headline')
  t.match(await page.textContent('#flow-timing') ?? '', /Over \d+ pairs? AAC is/)

  // A pair whose on-prem run has a Spark application on the simulated History Server and whose AAC run delivered the
  // real q88 Photon log (this flow's story: two saturated Photon workers). Both sides are downloaded and analysed
  // through the app, as a user would: the AAC run from its page's Databricks panel, the on-prem run below.
  const flow = (await ta.services.store.readFlow(name))!
  const history = ta.sim.world.history.byJobGroup
  const world = ta.sim.world
  const aacSample = (jobGroupId: number): string | null => {
    const run = flow.runs.find((r) => r.platform === 'aac' && r.jobGroupId === jobGroupId)
    const dbx = run?.databricksRunId == null ? undefined : world.dbxRuns.get(Number(run.databricksRunId))
    const logs = dbx === undefined ? undefined : world.clusters.get(dbx.clusterId)?.logs
    return logs?.kind === 'delivered' ? logs.sample : null
  }
  const pair = flow.pairs.find((p) => history.has(p.onpremJobGroupId) && aacSample(p.aacJobGroupId) === 'db-13.3-photon-q88' &&
    flow.runs.some((r) => r.platform === 'aac' && r.jobGroupId === p.aacJobGroupId && r.status === 'Complete') &&
    flow.runs.some((r) => r.platform === 'onprem' && r.jobGroupId === p.onpremJobGroupId && r.status === 'Complete'))!
  t.ok(pair, 'a pair whose on-prem run is on the History Server and whose AAC run logged q88')
  await page.goto(`${base}/flows/${encodeURIComponent(name)}/runs/${pair.aacJobGroupId}`)
  const dbxSlot = page.locator(`#dbx-slot-${pair.aacJobGroupId}`)
  await dbxSlot.locator('.download-progress button', { hasText: 'Download event log' }).click({ timeout: 20_000 })
  await dbxSlot.locator('.download-done a.dash-link').waitFor({ timeout: 90_000 })
  t.match(await dbxSlot.locator('.download-done').textContent() ?? '', /analysed/, 'the AAC run\'s event log downloaded and analysed')

  // The on-prem run's page: its panel finds the Spark application on the History Server (or asks which one),
  // downloads the log through the History Server's REST API and analyses it.
  const appId = history.get(pair.onpremJobGroupId)!
  const runUrl = `${base}/flows/${encodeURIComponent(name)}/runs/${pair.onpremJobGroupId}`
  await page.goto(runUrl)
  const panel = page.locator('#history-panel')
  await panel.waitFor({ timeout: 20_000 })
  await checkA11y(t, page, 'on-prem run page, History Server panel')
  if (await panel.locator('form.history-pick').count() > 0) {
    await panel.locator(`input[name=app][value="${appId}"], input[name=app][value^="${appId}/"]`).check()
    await panel.locator('form.history-pick button[type=submit]').click()
    await panel.locator('.history-choice').waitFor({ timeout: 20_000 })
    await checkA11y(t, page, 'on-prem run page, application picked')
  }
  t.match(await panel.textContent() ?? '', appId, 'the application found or picked is the run\'s')
  await panel.locator('.download-progress button', { hasText: 'Download event log' }).click()
  const dashLink = panel.locator('.download-done a.dash-link')
  await dashLink.waitFor({ timeout: 90_000 })
  t.match(await panel.locator('.download-done').textContent() ?? '', /analysed/)
  await checkA11y(t, page, 'on-prem run page, event log downloaded and analysed')
  await dashLink.click()
  await page.locator('#dashboard-panel [role="dialog"]').waitFor({ timeout: 20_000 })
  await page.waitForURL(`${runUrl}/dashboard`)
  await page.waitForSelector('#dashboard-content[data-charts="ready"]', { timeout: 20_000 })
  await checkA11y(t, page, 'dashboard of the on-prem run')

  await page.goto(`${base}/flows/${encodeURIComponent(name)}`)
  t.equal(await page.locator(`#runs-table a.dash-link[href$="/runs/${pair.onpremJobGroupId}/dashboard"]`).count(), 1, 'the runs table links the analysed on-prem run to its dashboard')
  await checkA11y(t, page, 'flow page, an on-prem run analysed')
  await page.click(`#runs-table a[href$="/pairs/${pair.aacJobGroupId}/${pair.onpremJobGroupId}"]`)
  await page.waitForURL(`${base}/flows/${encodeURIComponent(name)}/pairs/${pair.aacJobGroupId}/${pair.onpremJobGroupId}`)
  t.match(await page.textContent('#compare-summary') ?? '', /AAC took [+−]\d[\dhms ]* (longer|less) than on-prem/)
  t.ok(await page.locator('#compare-summary li').count() >= 2, 'the summary explains the difference part by part')
  t.match(await page.textContent('#compare-summary') ?? '', /A red flag explains part of the slower AAC run: .*\(critical\)/, 'the saturated Photon cluster is named as part of why AAC is slower')
  t.ok(await page.locator('#pair-kpis').isVisible(), 'key figures side by side')
  t.ok(await page.locator('#pair-stages').isVisible(), 'stages matched')
  await checkA11y(t, page, 'AAC vs on-prem page of a pair')
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await page.setViewportSize({ width: 1400, height: 1300 })
    await page.screenshot({ path: join(ROOT, 'docs', 'compare.png'), fullPage: false })
  }
  t.same(problems, [], 'no console errors')
})
