import t from 'tap'
import type { Page } from 'playwright-core'
import { saveSampleAnalysis } from '../helper-dbx.js'
import { startBrowserApp, until } from './browser.js'
import { checkA11y } from './axe.js'

// Browser-side code is passed as strings: the project compiles without the DOM library.

/** What has the focus, and whether it shows: a focus ring (outline or box-shadow) drawn by :focus-visible. */
interface Focused { desc: string, visible: boolean, body: boolean }
async function focused (page: Page): Promise<Focused> {
  return await page.evaluate(`(() => {
    const a = document.activeElement
    if (!a || a === document.body) return { desc: 'body', visible: false, body: true }
    const s = getComputedStyle(a)
    const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'
    const r = a.getBoundingClientRect()
    const inView = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight
    const desc = a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') + (a.className && typeof a.className === 'string' ? '.' + a.className.trim().split(/\\s+/).join('.') : '') + ' "' + (a.textContent || a.getAttribute('aria-label') || '').trim().slice(0, 40) + '"'
    return { desc, visible: a.matches(':focus-visible') && ring && inView, body: false }
  })()`)
}

async function matches (page: Page, selector: string): Promise<boolean> {
  return await page.evaluate(`document.activeElement !== null && document.activeElement.matches(${JSON.stringify(selector)})`)
}

t.test('the whole journey from the keyboard alone, with visible focus', async (t) => {
  const started = await startBrowserApp(t)
  if (started === null) return
  const { ta, page, base, jobGroupId, flowName: name, flowUrl, problems } = started

  /** Presses Tab (or Shift+Tab) until the focus is on `selector`; every stop on the way must show its focus. */
  const unseen: string[] = []
  async function tabTo (selector: string, back = false, max = 250): Promise<void> {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
      const f = await focused(page)
      if (!f.visible && !unseen.includes(f.desc)) unseen.push(f.desc)
      if (await matches(page, selector)) return
    }
    throw new Error(`${max} presses of ${back ? 'Shift+Tab' : 'Tab'} never reached ${selector}`)
  }
  async function focusIs (selector: string, what: string): Promise<void> {
    // the focus moves after htmx settles the swap (focus.js): wait for it to arrive rather than look at once
    await until(page, `document.activeElement !== null && document.activeElement.matches(${JSON.stringify(selector)})`, 10_000).catch(() => {})
    const f = await focused(page)
    t.ok(await matches(page, selector), `${what} (focus on ${f.desc})`)
    t.ok(f.visible, `${what}: the focus shows`)
  }

  // add the flow
  await page.goto(base + '/')
  await page.keyboard.press('Tab')
  await focusIs('a.skip', 'the first Tab reaches "Skip to content"')
  await tabTo('#add-flow summary')
  await page.keyboard.press('Enter')
  await page.keyboard.press('Tab')
  await focusIs('#add-flow-name', 'Enter opens the add-flow form, Tab reaches its field')
  await page.keyboard.type(name)
  await page.keyboard.press('Enter')
  await page.waitForURL(flowUrl)

  // collect: focus stays on the button through the progress and the swapped-in table
  await tabTo('#collect-form button')
  await page.keyboard.press('Enter')
  await page.waitForSelector('#runs-table tr.paired', { timeout: 15_000 })
  await page.waitForSelector('#collect-form button:not([disabled])')
  await focusIs('#collect-form button', 'after collecting, the focus is still on Collect Latest Runs')

  // DBX ▸ on another run: the focus moves into the panel; Close brings it back to DBX ▸
  const flow = (await ta.services.store.readFlow(name))!
  const other = flow.runs.find((r) => r.platform === 'aac' && r.databricksRunId !== null && r.jobGroupId !== jobGroupId)!
  const otherLink = `#runs-table a.details[aria-controls="dbx-slot-${other.jobGroupId}"]`
  await tabTo(otherLink)
  t.equal(await page.getAttribute(otherLink, 'aria-expanded'), 'false')
  await page.keyboard.press('Enter')
  await page.waitForSelector(`#dbx-panel-${other.jobGroupId}`, { timeout: 15_000 })
  await focusIs(`#dbx-panel-title-${other.jobGroupId}`, 'DBX ▸ moves the focus to the panel\'s heading')
  t.equal(await page.getAttribute(otherLink, 'aria-expanded'), 'true', 'DBX ▸ says its region is open')
  await tabTo(`#dbx-panel-${other.jobGroupId} .dbx-close`)
  await page.keyboard.press('Enter')
  await page.waitForSelector(`#dbx-panel-${other.jobGroupId}`, { state: 'detached' })
  await focusIs(otherLink, 'Close gives the focus back to DBX ▸')
  t.equal(await page.getAttribute(otherLink, 'aria-expanded'), 'false')

  // DBX ▸ on the run to download, Download event log: the focus follows into the progress box
  const dbxLink = `#runs-table a.details[aria-controls="dbx-slot-${jobGroupId}"]`
  await tabTo(dbxLink)
  await page.keyboard.press('Enter')
  await page.waitForSelector(`#dbx-panel-${jobGroupId}`, { timeout: 15_000 })
  await focusIs(`#dbx-panel-title-${jobGroupId}`, 'the focus is on the second panel\'s heading')
  const slow = ta.sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/read', kind: 'latency', ms: 400, times: 3 })
  await tabTo(`#download-progress-${jobGroupId} button`)
  await page.keyboard.press('Enter')
  await page.waitForSelector(`#download-progress-${jobGroupId} progress`, { timeout: 10_000 })
  await focusIs(`#download-progress-${jobGroupId}`, 'Download event log puts the focus on the progress box')
  slow()
  const dashLink = `#download-progress-${jobGroupId} a.dash-link`
  await page.waitForSelector(dashLink, { timeout: 30_000 })
  await focusIs(`#download-progress-${jobGroupId}`, 'the focus stays on the box through every progress poll')

  // a second analysed run of the flow, so there is something to compare with
  await saveSampleAnalysis(ta.services.store, name, other.databricksRunId!, 'eventlog_3nodes_12cores_exec_removed')

  // ➜ Dashboard opens the panel with the focus inside; Escape closes it and gives the focus back
  await tabTo(dashLink)
  await page.keyboard.press('Enter')
  await page.waitForSelector('#dashboard-content[data-charts="ready"]', { timeout: 15_000 })
  t.ok(await matches(page, '#dashboard-panel [role="dialog"], #dashboard-panel [role="dialog"] *'), 'the focus is in the dashboard panel')
  await tabTo('#dashboard-panel .dash-close')
  await tabTo('#dashboard-panel .table-scroll')
  t.pass('Tab reaches the scrolling stage table')
  await page.keyboard.press('Escape')
  await page.waitForSelector('#dashboard-panel [role="dialog"]', { state: 'detached' })
  await focusIs(dashLink, 'Escape closes the panel and the focus is back on ➜ Dashboard')

  // open it again and go on to compare this run with the other analysed one
  await page.keyboard.press('Enter')
  await page.waitForSelector('#dashboard-content[data-charts="ready"]', { timeout: 15_000 })
  await tabTo('#dashboard-panel .dash-nav a[href*="/compare"]')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/compare\?b=/)
  await tabTo('#compare-a')
  // a closed select takes the arrow keys: from the top, down to the other analysed run
  const valueA = async (): Promise<string> => await page.evaluate('document.querySelector("#compare-a").value')
  await page.keyboard.press('Home')
  for (let i = 0; i < 5 && await valueA() !== String(other.jobGroupId); i++) await page.keyboard.press('ArrowDown')
  t.equal(await valueA(), String(other.jobGroupId), 'run A chosen with the arrow keys')
  await tabTo('.compare-form button[type=submit]')
  await page.keyboard.press('Enter')
  await page.waitForSelector('.compare-table')
  t.ok(await page.locator('.compare-table tbody tr').count() > 3, 'the comparison shows')
  await checkA11y(t, page, 'compare result reached from the keyboard')

  t.same(unseen, [], 'every element Tab stopped on showed its focus')
  t.same(problems, [], 'no console errors')
})
