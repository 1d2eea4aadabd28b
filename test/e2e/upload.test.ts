// Bring your own log in a browser: the run's Databricks panel offers "Analyse a log file you have"; the file goes up
// through htmx (multipart), the box swaps to the analysis progress, then says where the log came from and links
// the dashboard.
import t from 'tap'
import { join } from 'node:path'
import { startBrowserApp } from './browser.js'
import { checkA11y } from './axe.js'
import { seedDbxFlow, notable } from '../helper-dbx.js'
import { FIXTURES } from '../helper-fixtures.js'

t.test('an event log file uploaded on a run\'s Databricks panel is analysed and linked to its dashboard', async (t) => {
  const started = await startBrowserApp(t)
  if (started === null) return
  const { ta, page, base, problems } = started
  const flow = 'Uploaded logs'
  await seedDbxFlow(ta.services.store, ta.sim, flow, ['rolledParts'])
  const { jobGroupId } = notable(ta.sim, 'rolledParts')
  const runUrl = `${base}/flows/${encodeURIComponent(flow)}/runs/${jobGroupId}`

  await page.goto(`${runUrl}/dbx`)
  const box = page.locator('.dbx-eventlog .download-progress')
  const form = box.locator('form.eventlog-upload')
  await form.waitFor({ timeout: 20_000 })
  t.equal(await form.locator('label').textContent(), 'Analyse a log file you have')
  await checkA11y(t, page, 'Databricks panel with the upload form')

  await form.locator('input[type=file]').setInputFiles(join(FIXTURES, 'eventlogs/spark/local-1422981780767'))
  await form.locator('button[type=submit]').click()
  const dashLink = page.locator('.dbx-eventlog .download-done a.dash-link')
  await dashLink.waitFor({ timeout: 60_000 })
  t.match(await page.locator('.dbx-eventlog .download-done').textContent() ?? '', /Analysed from an uploaded file local-1422981780767, 66\.6 KiB, uploaded on .* analysed/)
  t.equal(page.url(), `${runUrl}/dbx`, 'swapped in place, no navigation')
  await checkA11y(t, page, 'Databricks panel, uploaded log analysed')
  await dashLink.click()
  await page.waitForURL(`${runUrl}/dashboard`)
  await page.waitForSelector('#dashboard-content[data-charts="ready"]', { timeout: 20_000 })
  t.match(await page.textContent('#dash-title') ?? '', /Spark shell/, 'the uploaded application on the dashboard')
  t.same(problems, [], 'no console errors')
})
