import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { startBrowserApp, until } from './browser.js'
import { checkA11y } from './axe.js'
import { ROOT } from '../../src/app.js'

// Browser-side code is passed as strings: the project compiles without the DOM library.

/**
 * Non-blank pixels of a canvas, and those in colour (the datasets, not the grey axes and labels); `cssWidth` limits
 * the count to the canvas's leftmost CSS pixels.
 */
async function pixels (page: Page, selector: string, cssWidth?: number): Promise<{ inked: number, coloured: number }> {
  return await page.evaluate(`(() => {
    const c = document.querySelector(${JSON.stringify(selector)})
    const ctx = c && c.getContext('2d')
    if (!ctx || c.width === 0 || c.height === 0) return { inked: 0, coloured: 0 }
    const w = ${cssWidth === undefined ? 'c.width' : `Math.min(c.width, Math.round(${cssWidth} * c.width / c.getBoundingClientRect().width))`}
    const px = ctx.getImageData(0, 0, w, c.height).data
    let inked = 0, coloured = 0
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) continue
      inked++
      if (Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 60) coloured++
    }
    return { inked, coloured }
  })()`)
}

async function js<T> (page: Page, expr: string): Promise<T> {
  return await page.evaluate(expr) as T
}

t.test('the whole journey ends on a dashboard that draws, explains and closes', async (t) => {
  const started = await startBrowserApp(t, { width: 1440, height: 900 })
  if (started === null) return
  const { ta, page, base, jobGroupId, flowName: name, flowUrl, problems } = started
  const dashUrl = `${flowUrl}/runs/${jobGroupId}/dashboard`

  // add the flow, collect its runs
  await page.goto(base + '/')
  await page.click('#add-flow summary')
  await page.fill('#add-flow-name', name)
  await page.click('.add-flow-form button[type=submit]')
  await page.waitForURL(flowUrl)
  await page.click('#collect-form button')
  const dbxLink = page.locator(`#runs-table a.details[hx-get$="/runs/${jobGroupId}/dbx"]`)
  await dbxLink.waitFor({ timeout: 15_000 })
  t.equal(await page.locator('#runs-table a.dash-link').count(), 0, 'no dashboard before any analysis')

  // DBX ▸, Download Event Log, wait for the download and the analysis
  await dbxLink.click()
  const slot = page.locator(`#dbx-slot-${jobGroupId}`)
  await slot.locator('.dbx-panel').waitFor()
  await checkA11y(t, page, 'flow page, DBX panel of a run to download')
  // slow DBFS reads keep the download running long enough to look at its progress bar
  const slow = ta.sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/read', kind: 'latency', ms: 400, times: 3 })
  await slot.locator('.download-progress button', { hasText: 'Download event log' }).click()
  await slot.locator('.download-progress progress').waitFor({ timeout: 10_000 })
  await checkA11y(t, page, 'flow page, event log downloading')
  slow()
  const link = slot.locator('a.dash-link')
  await link.waitFor({ timeout: 30_000 })
  await checkA11y(t, page, 'flow page, event log downloaded and analysed')
  t.match(await slot.locator('.download-done').textContent() ?? '', /analysed/)

  // ➜ Dashboard: the panel slides in over the flow page, at the dashboard's own URL
  await link.click()
  const dialog = page.locator('#dashboard-panel [role="dialog"]')
  await dialog.waitFor()
  await page.waitForURL(dashUrl)
  t.equal(await dialog.getAttribute('aria-modal'), 'true')
  t.ok(await js(page, 'document.querySelector(\'#dashboard-panel [role="dialog"]\').contains(document.activeElement)'), 'focus moved into the panel')
  t.ok(await js(page, 'document.querySelector(\'.shell\').inert'), 'the page underneath is inert')
  await page.keyboard.press('Tab')
  t.ok(await js(page, 'document.querySelector(\'#dashboard-panel [role="dialog"]\').contains(document.activeElement)'), 'Tab stays in the panel')
  await page.waitForSelector('#dashboard-content[data-charts="ready"]', { timeout: 10_000 })
  await checkA11y(t, page, 'dashboard panel open over the flow page')

  const charts = await js<Record<string, { type: string, datasets: [string, number][], labels: number }>>(page, `Object.fromEntries(Object.entries(window.triTrackerCharts).map(([k, v]) =>
    [k, { type: v.config.type, datasets: v.data.datasets.map((d) => [d.label, d.data.length]), labels: v.data.labels ? v.data.labels.length : 0 }]))`)
  t.same(Object.keys(charts).sort(), ['stages', 'timeline', 'whatif'], 'Chart instances exposed')
  t.same(charts['whatif']!.datasets.map((d) => d[0]), ['Estimated wall clock', 'Today', 'Critical path (unlimited executors)'], 'what-if chart: executors → wall clock')
  t.same(charts.timeline!.datasets.map((d) => d[0]), ['Busy cores', 'Cores', 'Executors', 'Executor added', 'Executor removed'])
  t.ok(charts.timeline!.datasets[4]![1] >= 1, 'removal markers drawn')
  t.equal(charts.stages!.labels, 151, '150 longest stages and one bar for the rest')
  t.same(charts.stages!.datasets.map((d) => d[0]), ['Compute', 'GC', 'Scheduler delay', 'Deserialisation', 'Result serialisation', 'Getting result'])
  const tl = await pixels(page, '#chart-timeline')
  t.ok(tl.inked > 5000, `timeline canvas has ink (${tl.inked} px)`)
  t.ok(tl.coloured > 2000, `timeline datasets drawn in colour (${tl.coloured} px)`)
  const st = await pixels(page, '#chart-stages')
  t.ok(st.coloured > 1000, `stage bars drawn in colour (${st.coloured} px)`)

  // 151 bars overflow the card: scrolled to the far right, the y axis and its title stay pinned at the left
  const leftPin = '#dashboard-panel [data-axis-pin="left"]'
  const rightPin = '#dashboard-panel [data-axis-pin="right"]'
  async function scrollStages (to: 'start' | 'end'): Promise<void> {
    await js(page, `(() => { const s = document.querySelector('#dashboard-panel .chart-scroll'); s.scrollIntoView({ block: 'center' }); s.scrollLeft = ${to === 'end' ? 's.scrollWidth' : '0'}; s.dispatchEvent(new Event('scroll')) })()`)
  }
  async function pinState (selector: string): Promise<{ visible: boolean, inView: boolean, atEdge: boolean, over: boolean }> {
    return await js(page, `(() => {
      const p = document.querySelector(${JSON.stringify(selector)})
      const s = document.querySelector('#dashboard-panel .chart-scroll')
      const r = p.getBoundingClientRect()
      const b = s.getBoundingClientRect()
      return {
        visible: !p.hidden && p.checkVisibility() && r.width > 20 && r.height > 150,
        inView: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
        atEdge: p.classList.contains('pin-left') ? Math.abs(r.left - b.left) < 1 : Math.abs(r.right - b.right) < 1,
        over: p.classList.contains('is-over')
      }
    })()`)
  }
  await scrollStages('end')
  t.ok(await js(page, 'document.querySelector(\'#dashboard-panel .chart-scroll\').scrollLeft > 500'), 'the stage chart scrolls sideways')
  t.same(await pinState(leftPin), { visible: true, inView: true, atEdge: true, over: true }, 'the y axis is pinned at the left edge, in view')
  const pinned = await pixels(page, leftPin)
  t.ok(pinned.inked > 500, `the pinned axis is drawn (${pinned.inked} px)`)
  t.ok((await pixels(page, leftPin, 20)).inked > 50, 'with its title')
  t.ok(pinned.coloured < 20, 'and no bars')
  t.equal(await js(page, `document.querySelector(${JSON.stringify(rightPin)}).hidden`), true, 'the time view has no right axis to pin')
  await dialog.locator('[data-stage-view="data"]').click()
  await scrollStages('end')
  t.same(await pinState(leftPin), { visible: true, inView: true, atEdge: true, over: true }, 'data view: bytes axis pinned at the left')
  t.same(await pinState(rightPin), { visible: true, inView: true, atEdge: true, over: false }, 'and the MB per task axis at the right')
  t.ok((await pixels(page, rightPin)).inked > 500, 'the right pinned axis is drawn')
  await scrollStages('start')
  t.same(await pinState(rightPin), { visible: true, inView: true, atEdge: true, over: true }, 'scrolled back: the right axis stays pinned')
  t.notOk((await pinState(leftPin)).over, 'and the left pin sits on the real axis (no shadow)')
  await dialog.locator('[data-stage-view="time"]').click()
  // a narrower window: still overflowing, still pinned; a box that fits (few stages): no pin
  await page.setViewportSize({ width: 1000, height: 900 })
  await scrollStages('end')
  await until(page, `document.querySelector(${JSON.stringify(leftPin)}).getBoundingClientRect().right < innerWidth`)
  t.same(await pinState(leftPin), { visible: true, inView: true, atEdge: true, over: true }, 'pinned after a resize')
  t.ok((await pixels(page, leftPin)).inked > 500, 'and drawn')
  await page.setViewportSize({ width: 1440, height: 900 })
  const boxWidth = await js<string>(page, 'document.querySelector(\'#dashboard-panel .chart-box-stages\').style.width')
  await js(page, 'document.querySelector(\'#dashboard-panel .chart-box-stages\').style.width = \'\'')
  await until(page, `document.querySelector(${JSON.stringify(leftPin)}).hidden`)
  t.pass('no pinned axis when the chart fits its card')
  await js(page, `document.querySelector('#dashboard-panel .chart-box-stages').style.width = ${JSON.stringify(boxWidth)}`)
  await until(page, `!document.querySelector(${JSON.stringify(leftPin)}).hidden`)
  await scrollStages('start')

  // KPIs and flags are visible, and the evidence links reach their rows
  await t.resolves(dialog.locator('#kpi-failed-tasks').waitFor({ state: 'visible' }))
  t.equal((await dialog.locator('#kpi-failed-tasks .kpi-value').textContent())?.trim(), '53')
  // a 1.6 min run is capped at warning; each flag says what it cost (issue 10)
  t.ok(await dialog.locator('.flag.sev-warning').count() >= 2, 'warning flags shown')
  t.match((await dialog.locator('.flag .flag-impact').first().textContent()) ?? '', /^costs ~/)
  t.ok(await dialog.locator('#flag-failed_tasks').isVisible())
  await dialog.locator('#flag-failed_tasks a.chip[href="#stage-238"]').click()
  t.ok(await dialog.locator('#stage-238').isVisible(), 'the flagged stage row is scrolled into view')
  t.ok(await js(page, 'document.querySelector(\'#stage-238\').classList.contains(\'is-target\')'), 'and highlighted')
  t.equal(page.url(), dashUrl + '#stage-238', 'the URL names the row, without a new history entry')

  // the stage chart's second view: data per stage and MB per task
  await dialog.locator('[data-stage-view="data"]').click()
  t.equal(await dialog.locator('[data-stage-view="data"]').getAttribute('aria-pressed'), 'true')
  const dataView = await js<string[]>(page, 'window.triTrackerCharts.stages.data.datasets.map((d) => d.label)')
  t.same(dataView, ['Input', 'Shuffle read', 'Shuffle write', 'Spill (disk)', 'Data per task'])
  await dialog.locator('[data-stage-view="time"]').click()

  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true })
    await js(page, 'document.querySelector(\'#dashboard-panel [role="dialog"]\').scrollTop = 0')
    await page.setViewportSize({ width: 1440, height: 1180 })
    await page.screenshot({ path: join(ROOT, 'docs', 'dashboard.png'), fullPage: false })
    await page.setViewportSize({ width: 1440, height: 900 })
  }

  // Escape closes: back to the flow page as it was, focus back on the link, charts destroyed
  await page.keyboard.press('Escape')
  await page.waitForURL(flowUrl)
  await page.waitForSelector('#dashboard-panel [role="dialog"]', { state: 'detached' })
  t.ok(await slot.locator('.download-progress').isVisible(), 'the expanded DBX details are still there (no reload)')
  t.ok(await js(page, 'document.activeElement.classList.contains(\'dash-link\')'), 'focus back on ➜ Dashboard')
  t.same(await js(page, 'Object.keys(window.triTrackerCharts)'), [], 'charts destroyed')
  t.notOk(await js(page, 'document.documentElement.classList.contains(\'dash-open\')'))
  t.notOk(await js(page, 'document.querySelector(\'.shell\').inert'), 'the page is live again')

  // open again, close with the button
  await link.click()
  await page.waitForSelector('#dashboard-content[data-charts="ready"]')
  await page.click('#dashboard-panel .dash-close')
  await page.waitForURL(flowUrl)
  await page.waitForSelector('#dashboard-panel [role="dialog"]', { state: 'detached' })

  // Back and Forward move between the flow page and the open panel, in the same document (the marker survives)
  await js(page, 'window.triSameDocument = true')
  const sameDocument = async (): Promise<boolean> => await js(page, 'window.triSameDocument === true')
  await link.click()
  await page.waitForURL(dashUrl)
  await page.waitForSelector('#dashboard-content[data-charts="ready"]')
  for (const round of [1, 2]) {
    await page.goBack()
    await page.waitForSelector('#dashboard-panel [role="dialog"]', { state: 'detached' })
    t.equal(page.url(), flowUrl, `Back ${round}: the flow URL`)
    t.ok(await slot.locator('.download-progress').isVisible(), `Back ${round}: the panel closed over the page as it was`)
    t.notOk(await js(page, 'document.querySelector(\'.shell\').inert'), `Back ${round}: the page is live again`)
    t.ok(await sameDocument(), `Back ${round}: no reload`)

    await page.goForward()
    await dialog.waitFor()
    t.equal(page.url(), dashUrl, `Forward ${round}: the dashboard URL`)
    await page.waitForSelector('#dashboard-panel #dashboard-content[data-charts="ready"]')
    t.ok(await sameDocument(), `Forward ${round}: the panel slid back in without a reload`)
    t.equal(await page.locator('h1#dash-title').count(), 0, `Forward ${round}: not the full page`)
    t.ok(await js(page, 'document.querySelector(\'.shell\').inert'), `Forward ${round}: the page underneath is inert again`)
    t.ok(await js(page, 'document.querySelector(\'#dashboard-panel [role="dialog"]\').contains(document.activeElement)'), `Forward ${round}: focus in the panel`)
  }
  // Escape after Forward still steps back onto the flow page's entry
  await page.keyboard.press('Escape')
  await page.waitForURL(flowUrl)
  await page.waitForSelector('#dashboard-panel [role="dialog"]', { state: 'detached' })
  t.ok(await js(page, 'document.activeElement.classList.contains(\'dash-link\')'), 'focus back on ➜ Dashboard')
  await page.goForward()
  await page.waitForSelector('#dashboard-panel #dashboard-content[data-charts="ready"]')
  t.equal(page.url(), dashUrl)
  await page.click('#dashboard-panel .dash-close')
  await page.waitForURL(flowUrl)
  await page.waitForSelector('#dashboard-panel [role="dialog"]', { state: 'detached' })
  t.ok(await sameDocument(), 'one document all along')
  t.same(await js(page, 'Object.keys(window.triTrackerCharts)'), [], 'charts destroyed')

  // the bookmarkable URL renders the full page, charts included
  await page.goto(dashUrl)
  t.equal(await page.locator('h1#dash-title').textContent(), 'Spark shell')
  await page.waitForSelector('#dashboard-content[data-charts="ready"]')
  await checkA11y(t, page, 'full dashboard page')
  t.ok((await pixels(page, '#chart-timeline')).coloured > 2000, 'full page draws the timeline too')
  await js(page, '(() => { const s = document.querySelector(\'.chart-scroll\'); s.scrollIntoView({ block: \'center\' }); s.scrollLeft = s.scrollWidth })()')
  await until(page, 'document.querySelector(\'[data-axis-pin="left"]\').classList.contains(\'is-over\')')
  t.ok(await js(page, '(() => { const r = document.querySelector(\'[data-axis-pin="left"]\').getBoundingClientRect(); return r.left >= 0 && r.top >= 0 && r.bottom <= innerHeight && r.width > 20 })()'), 'full page pins the stage axis too')
  t.ok((await pixels(page, '[data-axis-pin="left"]')).inked > 500, 'and draws it')

  // an analysis an older Tri-Tracker saved: the notice, then Re-analyse redraws the dashboard in place
  const runId = String(ta.sim.world.notable.rolledParts.runId)
  const found = await ta.services.store.analyses.read(name, runId)
  if (found.kind !== 'ok') throw new Error('no saved analysis')
  const { analyserVersion: _, ...old } = found.saved.analysis
  await ta.services.store.analyses.write(name, runId, old)
  await page.goto(dashUrl)
  await page.waitForSelector('#dashboard-content[data-charts="ready"]')
  t.match(await page.locator('.reanalyse').textContent(), /Analysed by an older version of Tri-Tracker: flags may differ\./)
  await checkA11y(t, page, 'dashboard of an analysis made by an older Tri-Tracker')
  await page.click('.reanalyse button[type=submit]')
  await page.waitForSelector('.reanalyse', { state: 'detached', timeout: 60_000 })
  await page.waitForSelector('#dashboard-content[data-charts="ready"]')
  t.equal(page.url(), dashUrl, 'the same page, redrawn in place')
  t.ok((await pixels(page, '#chart-timeline')).coloured > 2000, 'the new analysis draws')

  t.same(problems, [], 'no console errors')
})
