import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

/*
 * Accessibility as a checked property: axe-core's WCAG 2.0/2.1 A and AA rules, run in the page under test.
 *
 * axe is evaluated through the DevTools protocol (page.evaluate), which the page's strict CSP does not govern, so
 * the app keeps its CSP for users and needs no test-only script route. Call `checkA11y(t, page, 'what is shown')`
 * after every page load and every dynamic state a browser test reaches (a swapped fragment, an open panel, a form
 * with errors); it fails the test with one readable line per violation.
 */

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** axe's tags for WCAG 2.0 and 2.1, levels A and AA (2.1 AA is the bar; 2.1 adds to 2.0). */
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

export interface A11yViolation {
  id: string
  impact: string | null
  help: string
  /** the offending elements: CSS selector and axe's one-line reason, at most a few per rule */
  nodes: string[]
  /** how many elements failed the rule in all */
  count: number
}

export interface A11yOptions {
  /** check only this part of the page (a selector); the whole document by default */
  include?: string
  /** rule ids to skip, each with a reason the reader can judge (not for hiding real failures) */
  disable?: Record<string, string>
}

/** Runs axe (WCAG 2.1 A + AA) on the page as it is now and returns its violations, [] when clean. */
export async function a11yViolations (page: Page, opts: A11yOptions = {}): Promise<A11yViolation[]> {
  if (await page.evaluate('typeof window.axe === "undefined"')) await page.evaluate(AXE_SOURCE)
  const context = opts.include === undefined ? 'document' : `{ include: [${JSON.stringify(opts.include)}] }`
  const rules = Object.fromEntries(Object.keys(opts.disable ?? {}).map((id) => [id, { enabled: false }]))
  // Browser-side code is a string: the project compiles without the DOM library.
  return await page.evaluate(`(async () => {
    const res = await window.axe.run(${context}, {
      runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_21_AA)} },
      rules: ${JSON.stringify(rules)},
      resultTypes: ['violations']
    })
    return res.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      count: v.nodes.length,
      nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ': ' + String(n.failureSummary || '').replace(/\\s+/g, ' ').trim())
    }))
  })()`)
}

/** One line per violation, readable in a failing test's output. */
export function describeViolations (violations: A11yViolation[]): string[] {
  return violations.map((v) => `${v.id} (${v.impact ?? '?'}, ${v.count} element${v.count === 1 ? '' : 's'}): ${v.help}\n    ${v.nodes.join('\n    ')}`)
}

/** The part of tap's Test the check needs (so a test can prove the check fails). */
export interface Asserter { same: (found: unknown, wanted: unknown, message: string) => boolean }

/**
 * Fails `t` when the page, as it is now, violates a WCAG 2.1 A or AA rule; `state` names what is on screen
 * ("flow page, DBX panel open"). Returns the violations.
 */
export async function checkA11y (t: Asserter, page: Page, state: string, opts: A11yOptions = {}): Promise<A11yViolation[]> {
  const violations = await a11yViolations(page, opts)
  t.same(describeViolations(violations), [], `axe WCAG 2.1 AA: ${state}`)
  return violations
}
