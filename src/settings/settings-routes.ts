import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import { SETTING_KEYS, TOKEN_KEYS, isTokenKey, type SettingsSubmission, type TokenKey } from './settings-model.js'
import { wantsFragment } from '../plugins/htmx.js'

// Every setting is a string field of the form; `clear` is one checkbox value or several.
const SettingsBody = Type.Object({
  ...Object.fromEntries(SETTING_KEYS.map((k) => [k, Type.Optional(Type.String({ maxLength: 4096 }))])),
  clear: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Array(Type.String({ maxLength: 100 }), { maxItems: TOKEN_KEYS.length })]))
})
type Body = Static<typeof SettingsBody>
const UpstreamParams = Type.Object({ upstream: Type.Union([Type.Literal('aac'), Type.Literal('onprem'), Type.Literal('databricks'), Type.Literal('sparkHistory')]) })

function submissionOf (body: Body): SettingsSubmission {
  const values: SettingsSubmission['values'] = {}
  const newTokens: SettingsSubmission['newTokens'] = {}
  for (const key of SETTING_KEYS) {
    const v = (body as Record<string, unknown>)[key]
    if (typeof v !== 'string') continue
    if (isTokenKey(key)) newTokens[key] = v
    else values[key] = v
  }
  const clearRaw = Array.isArray(body.clear) ? body.clear : body.clear === undefined ? [] : [body.clear]
  const clearTokens = clearRaw.filter((c): c is TokenKey => typeof c === 'string' && (TOKEN_KEYS as readonly string[]).includes(c))
  return { values, newTokens, clearTokens }
}

/** /settings: endpoints, tokens and job filters, saved to the data dir and applied without a restart. */
export async function settingsRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { settings } = app

  async function page (reply: FastifyReply, extra: Record<string, unknown>): Promise<FastifyReply> {
    return await reply.page('pages/settings', { fields: await settings.fields(), aacToken: await settings.aacToken(), errors: {}, saved: false, ...extra }, { title: 'Settings' })
  }

  app.get('/settings', {
    schema: { querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 1 })) }) }
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store')
    return await page(reply, { saved: req.query.saved === '1' })
  })

  app.post('/settings', { schema: { body: SettingsBody } }, async (req, reply) => {
    const result = await settings.save(submissionOf(req.body))
    reply.header('cache-control', 'no-store')
    if (!result.ok) {
      reply.code(400)
      // Typed values come back so nothing is lost; typed tokens never do.
      const typed = Object.fromEntries(Object.entries(req.body).filter(([k, v]) => typeof v === 'string' && !isTokenKey(k)))
      return await page(reply, { errors: result.errors, typed })
    }
    return await reply.redirect('/settings?saved=1', 303)
  })

  app.post('/settings/test/:upstream', { schema: { params: UpstreamParams } }, async (req, reply) => {
    const result = await settings.test(req.params.upstream)
    if (wantsFragment(req)) return await reply.fragment('partials/connection-test', { upstream: req.params.upstream, ...result })
    return await page(reply, { tests: { [req.params.upstream]: result } })
  })
}
