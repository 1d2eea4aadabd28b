import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import fastifyHelmet from '@fastify/helmet'
import { isLoopbackHost } from '../config.js'

export interface SecurityOptions {
  /** the configured bind host; loopback names are always accepted */
  host: string
}

// No inline script or style anywhere: htmx's config is a meta tag, its indicator styles are off, charts are an island.
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"]
}

function hostnameOf (hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1)
  return h.replace(/:\d+$/, '')
}

/** Names the app answers to: a foreign Host header is a DNS-rebinding attempt. */
export function allowedHostnames (bindHost: string): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]'])
  const h = bindHost.toLowerCase()
  if (h !== '0.0.0.0' && h !== '::' && h !== '') names.add(h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)
  return names
}

/** A state-changing request must come from our own pages: checked with Sec-Fetch-Site and Origin. */
export function isCrossSite (req: FastifyRequest): boolean {
  // Browsers that send Sec-Fetch-Site are judged by it alone: with a strict referrer policy their Origin can be "null".
  const site = req.headers['sec-fetch-site']
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none'
  const origin = req.headers.origin
  if (typeof origin === 'string') {
    if (origin === 'null') return true
    try {
      // Both through URL so default ports compare equal (http://localhost:80 vs Host: localhost).
      const o = new URL(origin)
      const own = new URL(`${o.protocol}//${String(req.headers.host ?? '')}`)
      return o.host.toLowerCase() !== own.host.toLowerCase()
    } catch {
      return true
    }
  }
  return false
}

/** Host check and cross-site request refusal (ours), security headers (helmet) for every response. */
async function security (app: FastifyInstance, opts: SecurityOptions): Promise<void> {
  const allowed = allowedHostnames(opts.host)
  const anyLoopback = isLoopbackHost(opts.host) || opts.host === '0.0.0.0' || opts.host === '::'
  app.addHook('onRequest', async (req, reply) => {
    const host = hostnameOf(String(req.headers.host ?? ''))
    if (!allowed.has(host) && !(anyLoopback && isLoopbackHost(host))) {
      req.log.warn({ host }, 'refused a request for a foreign Host')
      return await reply.code(421).type('text/plain; charset=utf-8').send('Misdirected request: this Tri-Tracker answers only to its own host name.')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS' && isCrossSite(req)) {
      req.log.warn({ method: req.method, url: req.url }, 'refused a cross-site state-changing request')
      return await reply.code(403).type('text/plain; charset=utf-8').send('Forbidden: cross-site requests cannot change Tri-Tracker state.')
    }
  })
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // a local http:// tool: HSTS would pin localhost to https for every other local service
    strictTransportSecurity: false
  })
  // Not among helmet's headers.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()')
    return payload
  })
}

/** Not encapsulated: its hooks guard every route of the app. */
export const securityPlugin = fp(security, { name: 'tri-tracker-security' })
