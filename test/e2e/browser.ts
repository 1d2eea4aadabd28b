import { existsSync } from 'node:fs'
import type { Test } from 'tap'
import { chromium, type Browser } from 'playwright-core'

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
