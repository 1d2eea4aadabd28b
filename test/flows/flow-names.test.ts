import t from 'tap'
import { buildTestApp } from '../helper.js'
import { flowNameSkeleton, lookAlikeFlowNames, newFlowNameProblem, normalizeFlowName } from '../../src/shared/flow-name.js'

// Issue 12 #10: names a browser cannot open, and names that look like another flow's.

t.test('names are stored in NFC; . and .. and invisible characters are refused with a message', async (t) => {
  const ta = await buildTestApp(t, { onprem: false })
  const nfd = 'Cafe\u0301 sales'
  const res = await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: nfd } })
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, `/flows/${encodeURIComponent('Caf\u00e9 sales')}`, 'the NFC name is the address')
  t.same(await ta.services.store.listFlows(), ['Caf\u00e9 sales'])

  const refused: Array<[string, RegExp]> = [
    ['.', /A flow cannot be named &quot;\.&quot;: a browser removes it/],
    ['..', /A flow cannot be named &quot;\.\.&quot;/],
    [' .. ', /A flow cannot be named &quot;\.\.&quot;/],
    ['sales\u202Egnp.exe', /invisible or text-direction characters \(found U\+202E at position 6\)/],
    ['sa\u200Bles', /found U\+200B/],
    ['\u2066sales\u2069', /found U\+2066/],
    ['sa\uFEFFles', /found U\+FEFF/],
    ['bell\u0007', /control characters/]
  ]
  for (const [name, re] of refused) {
    const r = await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })
    t.equal(r.statusCode, 400, JSON.stringify(name))
    t.match(r.body, re)
  }
  t.same(await ta.services.store.listFlows(), ['Caf\u00e9 sales'], 'nothing else was added')
  const emoji = await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: 'team \u{1F469}\u200D\u{1F469}\u200D\u{1F467}' } })
  t.equal(emoji.statusCode, 303, 'a joiner inside an emoji sequence is part of the emoji')
})

t.test('a look-alike of a saved name asks for a confirmation, which works without JavaScript', async (t) => {
  const ta = await buildTestApp(t, { onprem: false })
  await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: 'Sales report' } })
  // Cyrillic "а" and "е", another case, a compatibility form
  for (const name of ['S\u0430l\u0435s report', 'SALES REPORT', 'Sales\u3000report', 'Ｓales report']) {
    const res = await ta.app.inject({ method: 'POST', url: '/flows', payload: { name } })
    t.equal(res.statusCode, 409, JSON.stringify(name))
    t.match(res.body, /<div class="lookalike-warning" id="lookalike-warning" role="alert">/)
    t.match(res.body, /looks like a flow you already have:[\s\S]*<a href="\/flows\/Sales%20report">Sales report<\/a>/)
    t.match(res.body, /<form method="post" action="\/flows" id="add-flow-confirm-form">/)
    t.match(res.body, /<input type="hidden" name="confirm" value="1">/)
  }
  t.same(await ta.services.store.listFlows(), ['Sales report'], 'nothing added before the confirmation')
  const confirmed = await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: 'SALES REPORT', confirm: '1' } })
  t.equal(confirmed.statusCode, 303)
  t.same((await ta.services.store.listFlows()).sort(), ['SALES REPORT', 'Sales report'])
  const again = await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: 'Sales report' } })
  t.equal(again.statusCode, 303, 'the exact name of a saved flow just opens it')
  const xss = await ta.app.inject({ method: 'POST', url: '/flows', payload: { name: 'sales REPORT<script>' } })
  t.equal(xss.statusCode, 303, 'not a look-alike: added')
})

t.test('skeletons', async (t) => {
  t.equal(normalizeFlowName('  e\u0301 '), '\u00e9')
  t.equal(flowNameSkeleton('Ρaypal'), flowNameSkeleton('paypal'), 'Greek capital rho')
  t.equal(flowNameSkeleton('ﬀ'), 'ff')
  t.equal(flowNameSkeleton('a\u200Bb'), 'ab')
  t.not(flowNameSkeleton('sales'), flowNameSkeleton('sale'))
  t.same(lookAlikeFlowNames('Sales', ['sales', 'Sales', 'other']), ['sales'])
  t.equal(newFlowNameProblem('ordinary name'), null)
  t.equal(newFlowNameProblem('...'), null, 'three dots are an ordinary name')
})
