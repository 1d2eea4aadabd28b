import { existsSync } from 'node:fs'
import type { Test } from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildTestApp, type TestApp } from '../helper.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Launches Debian's Chromium headless. Without it the browser tests are skipped on a developer machine
 * (with a message saying how to get it) and fail in CI, where .ci/run installs it.
 */
export async function launchBrowser (t: Test): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: .ci/run must apt-get install chromium`)
    t.skip(`no Chromium at ${CHROMIUM}: apt-get install chromium to run the browser tests`, () => {})
    return null
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']
  })
  t.teardown(async () => { await browser.close() })
  return browser
}

export interface BrowserApp {
  ta: TestApp
  page: Page
  /** `http://127.0.0.1:<port>` of the listening test app */
  base: string
  /** the AAC run with rolled event-log parts (the simulator's notable run), its flow and that flow's page */
  jobGroupId: number
  flowName: string
  flowUrl: string
  /** console errors and page errors seen so far; a test ends with `t.same(problems, [])` */
  problems: string[]
}

/**
 * The set-up every browser journey shares: Chromium, the test app (against the simulator) listening on 127.0.0.1,
 * one page that records console and page errors, and the URLs of the simulator's notable rolled-parts run.
 * Null when Chromium is missing on a developer machine (the test is then skipped).
 */
export async function startBrowserApp (t: Test, viewport: { width: number, height: number } = { width: 1400, height: 900 }): Promise<BrowserApp | null> {
  const browser = await launchBrowser(t)
  if (browser === null) return null
  const ta = await buildTestApp(t)
  await ta.app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(ta.app.server.address() as { port: number }).port}`
  const { jobGroupId } = ta.sim.world.notable.rolledParts
  const flowName = ta.sim.world.aac.byId.get(jobGroupId)!.wrangledDataset.flow.name
  const page = await browser.newPage({ viewport, reducedMotion: 'reduce' })
  const problems: string[] = []
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()) })
  page.on('pageerror', (e) => problems.push(e.message))
  return { ta, page, base, jobGroupId, flowName, flowUrl: `${base}/flows/${encodeURIComponent(flowName)}`, problems }
}

/** Polls a page expression until it is truthy (waitForFunction compiles its string with eval, which the CSP forbids). */
export async function until (page: Page, expr: string, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout
  while (await page.evaluate(expr) !== true) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${expr}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
