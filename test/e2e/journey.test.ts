import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildTestApp } from '../helper.js'
import { launchBrowser } from './browser.js'
import { ROOT } from '../../src/app.js'

t.test('a new user adds a flow, collects its runs and sees pairs', async (t) => {
  const browser = await launchBrowser(t)
  if (browser === null) return
  const ta = await buildTestApp(t)
  await ta.app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(ta.app.server.address() as { port: number }).port}`
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const problems: string[] = []
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()) })
  page.on('pageerror', (e) => problems.push(e.message))

  await page.goto(base + '/')
  await page.click('#add-flow summary')
  const name = ta.sim.world.notable.multiOutputFlow
  await page.fill('#add-flow-name', name)
  await page.click('.add-flow-form button[type=submit]')
  await page.waitForLoadState('load')
  await page.waitForURL(`${base}/flows/${encodeURIComponent(name)}`)
  t.equal(await page.textContent('h1'), name)
  t.equal(await page.locator('#flow-list a[aria-current=page]').textContent(), name)

  await page.click('#collect-form button')
  await page.waitForSelector('#runs-table tr.paired', { timeout: 15_000 })
  const paired = await page.locator('#runs-table tr.paired').count()
  t.ok(paired > 5, `pairs shown (${paired})`)
  t.match(await page.textContent('#collect-status') ?? '', /AAC 25 runs/)
  t.equal(page.url(), `${base}/flows/${encodeURIComponent(name)}`, 'still on the bookmarkable URL')

  // DBX ▸ expands the Databricks details in place; Close folds them away again.
  const firstDbx = page.locator('#runs-table a.details', { hasText: 'DBX ▸' }).first()
  const slot = await firstDbx.getAttribute('aria-controls')
  await firstDbx.click()
  await page.waitForSelector(`#${slot} #dbx-panel`, { timeout: 15_000 })
  t.match(await page.textContent(`#${slot}`) ?? '', /Cluster/)
  t.equal(page.url(), `${base}/flows/${encodeURIComponent(name)}`, 'expanding does not navigate')
  await page.click(`#${slot} .dbx-close`)
  // A selector wait, not waitForFunction: the page's CSP forbids the eval that a string predicate needs.
  await page.waitForSelector(`#${slot} #dbx-panel`, { state: 'detached', timeout: 10_000 })
  t.equal((await page.locator(`#${slot}`).innerHTML()).trim(), '', 'the panel closed')

  // Restart-like check: a fresh load of the same URL shows the saved table.
  await page.reload()
  t.equal(await page.locator('#runs-table tr.paired').count(), paired)

  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true })
    await page.screenshot({ path: join(ROOT, 'docs', 'runs-table.png'), fullPage: false })
  }
  t.same(problems, [], 'no console errors')
})
