import type { FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import { dirname, join } from 'node:path'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// Some packages (chart.js) do not export their package.json, so read it from node_modules directly.
const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url))

/** A browser library served from node_modules at a versioned URL (cached for a year). */
interface VendorAsset { name: string, version: string, dir: string, file: string }

function vendor (pkg: string, file: string): VendorAsset {
  const pkgJson = join(NODE_MODULES, pkg, 'package.json')
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version
  return { name: pkg, version, dir: join(dirname(pkgJson), dirname(file)), file: file.split('/').pop()! }
}

export const VENDOR = {
  htmx: vendor('htmx.org', 'dist/htmx.min.js'),
  chart: vendor('chart.js', 'dist/chart.umd.min.js')
}

/** URL of a vendor file, with the version in it so it can be cached forever. */
export function vendorUrl (a: VendorAsset): string {
  return `/vendor/${a.name}@${a.version}/${a.file}`
}

/** Serves public/ under /static/ and the two vendor files; nothing else of the disk is reachable. */
export async function assetsPlugin (app: FastifyInstance, opts: { publicDir: string }): Promise<void> {
  await app.register(fastifyStatic, {
    root: opts.publicDir,
    prefix: '/static/',
    index: false,
    list: false,
    dotfiles: 'deny',
    maxAge: '1h'
  })
  // Browsers ask for /favicon.ico whatever the page says.
  app.get('/favicon.ico', async (_req, reply) => await reply.redirect('/static/favicon.svg', 301))
  for (const a of Object.values(VENDOR)) {
    app.get(vendorUrl(a), async (_req, reply) => {
      return await reply.sendFile(a.file, a.dir, { maxAge: 365 * 24 * 3600 * 1000, immutable: true })
    })
  }
}
