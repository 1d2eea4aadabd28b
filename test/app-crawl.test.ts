// Every page a user can reach by following links: the demo world with two flows collected, one AAC run and one
// on-prem run downloaded and analysed, then every same-origin link and htmx partial from the home page, breadth first.
// No page the app links to may fail or render a blank, "undefined", "NaN" or "[object Object]" value, and no full
// page may repeat an element id.
import t from 'tap'
import { analyseTaskKey, downloadTaskKey } from '../src/databricks/dbx-service.js'
import { buildTestApp } from './helper.js'

const MAX_URLS = 700
/** values that mean a template printed something that was not there */
const BROKEN = /\b(undefined|NaN|Infinity)\b|\[object Object\]|Invalid Date/

/** The text a reader sees: no tags, scripts or styles; entities left as they are. */
function visibleText (html: string): string {
  return html.replace(/<script\b[\s\S]*?<\/script>/gi, ' ').replace(/<style\b[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]*>/g, ' ')
}

/** Same-origin targets of links and htmx GETs, without fragments. */
function linksOf (html: string): string[] {
  const out: string[] = []
  for (const m of html.matchAll(/\s(?:href|hx-get|data-url)="([^"]*)"/g)) {
    const raw = m[1]!.replace(/&amp;/g, '&').replace(/&#39;/g, '\'').replace(/&quot;/g, '"')
    if (!raw.startsWith('/') || raw.startsWith('//')) continue
    out.push(raw.split('#')[0]!)
  }
  return out
}

t.test('every page and partial the app links to renders, in the demo world with analysed runs', async (t) => {
  const ta = await buildTestApp(t)
  const world = ta.sim.world
  const flows = [world.notable.multiOutputFlow, 'Marketing Mix']
  for (const name of flows) {
    await ta.services.store.addFlow(name)
    ta.services.flows.startCollect(name)
    await ta.services.flows.waitCollect(name)
  }
  // one AAC run and one on-prem run analysed, so dashboards, compare pages and trend data have something to show
  const ventes = (await ta.services.store.readFlow(flows[0]!))!
  const aac = ventes.runs.find((r) => r.platform === 'aac' && r.status === 'Complete' && r.databricksRunId !== null &&
    ventes.pairs.some((p) => p.aacJobGroupId === r.jobGroupId && world.history.byJobGroup.has(p.onpremJobGroupId)))!
  t.ok(aac, 'a paired AAC run whose on-prem twin is on the History Server')
  ta.services.dbx.startDownload(ventes.name, aac.databricksRunId!)
  await ta.services.tasks.wait(downloadTaskKey(ventes.name, aac.databricksRunId!))
  await ta.services.tasks.wait(analyseTaskKey(ventes.name, aac.databricksRunId!))
  const pair = ventes.pairs.find((p) => p.aacJobGroupId === aac.jobGroupId)!
  const onprem = ventes.runs.find((r) => r.platform === 'onprem' && r.jobGroupId === pair.onpremJobGroupId)!
  await ta.app.inject(`/flows/${encodeURIComponent(ventes.name)}/runs/${onprem.jobGroupId}/onprem`)
  const analysed = await ta.services.store.analyses.analysedRunIds(ventes.name)
  t.ok(analysed.has(aac.databricksRunId!), 'the AAC run is analysed')

  const seen = new Set<string>(['/'])
  const queue = ['/']
  const failures: string[] = []
  let pages = 0
  while (queue.length > 0 && seen.size <= MAX_URLS) {
    const url = queue.shift()!
    const res = await ta.app.inject({ method: 'GET', url })
    if (res.statusCode >= 400) { failures.push(`${url}: ${res.statusCode}`); continue }
    const type = String(res.headers['content-type'] ?? '')
    if (!type.startsWith('text/html')) continue
    pages++
    const html = res.body
    if (html.trim() === '' && res.statusCode === 200) failures.push(`${url}: empty body`)
    const broken = BROKEN.exec(visibleText(html))
    if (broken !== null) failures.push(`${url}: shows "${broken[0]}" (…${visibleText(html).slice(Math.max(0, broken.index - 60), broken.index + 40).replace(/\s+/g, ' ')}…)`)
    if (/<html\b/i.test(html)) {
      const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!)
      const dup = ids.filter((id, i) => ids.indexOf(id) !== i)
      if (dup.length > 0) failures.push(`${url}: duplicate ids ${[...new Set(dup)].join(', ')}`)
    }
    for (const link of linksOf(html)) {
      // the Databricks/History Server panels start nothing on GET; downloads and analyses are POSTs, not followed
      if (seen.has(link) || link.startsWith('/static/') || link.startsWith('/assets/')) continue
      seen.add(link)
      queue.push(link)
    }
  }
  t.ok(pages > 40, `crawled ${pages} HTML pages and partials (${seen.size} URLs)`)
  const reached = [...seen]
  t.ok(reached.some((u) => u.endsWith(`/runs/${aac.jobGroupId}/dashboard`)), 'the analysed run\'s dashboard was reached')
  t.ok(reached.some((u) => u.includes(`/pairs/${pair.aacJobGroupId}/${pair.onpremJobGroupId}`)), 'its AAC vs on-prem page was reached')
  t.ok(reached.some((u) => u.startsWith('/settings')), 'the settings page was reached')
  t.same(failures, [], 'no page fails or shows a missing value')
})
