import t from 'tap'
import { cpSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../../src/app.js'
import { buildTestApp, tempDir } from '../helper.js'

t.test('an error page that cannot render falls back to plain text with the same message, never the internal error', async (t) => {
  // A copy of views/ whose error page and flash fragment throw when rendered.
  const views = join(tempDir(t), 'views')
  cpSync(join(ROOT, 'views'), views, { recursive: true })
  writeFileSync(join(views, 'pages', 'error.eta'), '<%= it.noSuchHelper.boom() %>')
  writeFileSync(join(views, 'partials', 'flash.eta'), '<%= it.noSuchHelper.boom() %>')
  const ta = await buildTestApp(t, { views })

  const page = await ta.app.inject('/flows/nope')
  t.equal(page.statusCode, 404)
  t.match(page.headers['content-type'], /^text\/plain/)
  t.equal(page.body, 'There is no flow named “nope” here. Add it from the sidebar.')

  const fragment = await ta.app.inject({ url: '/flows/nope', headers: { 'hx-request': 'true' } })
  t.equal(fragment.statusCode, 404)
  t.match(fragment.headers['content-type'], /^text\/plain/)
  t.notMatch(fragment.body, /noSuchHelper|boom|TypeError/)

  const unknown = await ta.app.inject('/no/such/page')
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.body, 'There is nothing at this address.')
  t.ok(ta.logLines.some((l) => l.includes('the error page could not be rendered')), 'the template failure is logged')
})

t.test('a page whose own template fails answers the error page (500), not a blank or JSON reply', async (t) => {
  const views = join(tempDir(t), 'views')
  cpSync(join(ROOT, 'views'), views, { recursive: true })
  writeFileSync(join(views, 'pages', 'home.eta'), '<%= it.noSuchHelper.boom() %>')
  const ta = await buildTestApp(t, { views })
  const res = await ta.app.inject('/')
  t.equal(res.statusCode, 500)
  t.match(res.headers['content-type'], /^text\/html/)
  t.match(res.body, /<!doctype html>[\s\S]*Something went wrong on our side/)
  t.notMatch(res.body, /noSuchHelper/)
})
