import type { FastifyInstance } from 'fastify'
import type { Services } from '../services.js'
import type { SettingsService, UpstreamName } from './settings-service.js'
import { SETTING_KEYS, TOKEN_KEYS, isTokenKey, type SettingKey, type SettingsSubmission, type TokenKey } from './settings-model.js'
import { layoutData, render, wantsFragment } from '../plugins/view-helpers.js'

type Body = Partial<Record<SettingKey, string>> & { clear?: unknown }

const bodySchema = {
  type: 'object',
  properties: {
    ...Object.fromEntries(SETTING_KEYS.map((k) => [k, { type: 'string', maxLength: 4096 }])),
    clear: {}
  }
} as const

function submissionOf (body: Body): SettingsSubmission {
  const values: SettingsSubmission['values'] = {}
  const newTokens: SettingsSubmission['newTokens'] = {}
  for (const key of SETTING_KEYS) {
    const v = body[key]
    if (typeof v !== 'string') continue
    if (isTokenKey(key)) newTokens[key] = v
    else values[key] = v
  }
  const clearRaw = Array.isArray(body.clear) ? body.clear : body.clear === undefined ? [] : [body.clear]
  const clearTokens = clearRaw.filter((c): c is TokenKey => typeof c === 'string' && (TOKEN_KEYS as readonly string[]).includes(c))
  return { values, newTokens, clearTokens }
}

/** /settings: endpoints, tokens and job filters, saved to the data dir and applied without a restart. */
export async function settingsRoutes (app: FastifyInstance, opts: { services: Services, settings: SettingsService }): Promise<void> {
  const { services, settings } = opts

  async function page (reply: import('fastify').FastifyReply, extra: Record<string, unknown>): Promise<import('fastify').FastifyReply> {
    return await render(reply, 'pages/settings', {
      ...(await layoutData(services, null, 'Settings')),
      fields: await settings.fields(),
      errors: {},
      saved: false,
      ...extra
    })
  }

  app.get<{ Querystring: { saved?: string } }>('/settings', {
    schema: { querystring: { type: 'object', properties: { saved: { type: 'string', maxLength: 1 } } } }
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store')
    return await page(reply, { saved: req.query.saved === '1' })
  })

  app.post<{ Body: Body }>('/settings', { schema: { body: bodySchema } }, async (req, reply) => {
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

  app.post<{ Params: { upstream: UpstreamName } }>('/settings/test/:upstream', {
    schema: { params: { type: 'object', required: ['upstream'], properties: { upstream: { type: 'string', enum: ['aac', 'onprem', 'databricks'] } } } }
  }, async (req, reply) => {
    const result = await settings.test(req.params.upstream)
    if (wantsFragment(req)) return await render(reply, 'partials/connection-test', { upstream: req.params.upstream, ...result })
    return await page(reply, { tests: { [req.params.upstream]: result } })
  })
}
