import type { Logger } from 'pino'
import { ConfigError, loadConfig, type Config } from '../config.js'
import { createFlowStore, type FlowStore } from '../store/flow-store.js'
import type { TargetResolver } from '../upstreams/targets.js'
import type { Upstreams } from '../upstreams/upstreams.js'
import type { FlowService } from '../flows/flow-service.js'
import { UpstreamError } from '../http/upstream-error.js'
import type { AacTokenStatus } from '../trifacta/aac-oauth.js'
import {
  applySubmission, effectiveEnv, isTokenKey, SETTING_KEYS, tokenHint, validateSavedSettings,
  type SavedSettings, type SettingKey, type SettingsResult, type SettingsSubmission
} from './settings-model.js'

export type UpstreamName = 'aac' | 'onprem' | 'databricks' | 'sparkHistory'

/** One field of the settings form as the page shows it: never a token's value. */
export interface SettingField {
  key: SettingKey
  /** the value in force; for tokens always '' */
  value: string
  /** tokens: "set (ends in …abcd)" / "set" / "not set" */
  hint: string | null
  source: 'settings page' | '.env' | 'default'
}

/** The AAC token as the settings page describes it: its kind and expiry, never its value. */
export interface AacTokenView extends AacTokenStatus {
  /** the refresh token expires within a week (or has expired): make a new one in AAC */
  refreshExpiresSoon: boolean
}

const WEEK_MS = 7 * 86_400_000

export interface SettingsService {
  fields: () => Promise<Record<SettingKey, SettingField>>
  aacToken: () => Promise<AacTokenView>
  save: (sub: SettingsSubmission) => Promise<SettingsResult>
  test: (upstream: UpstreamName) => Promise<{ ok: boolean, message: string }>
}

/** Reads settings.json from a data dir (null when there is none). */
export async function readSavedSettings (store: Pick<FlowStore, 'readSettings'>): Promise<SavedSettings | null> {
  return await store.readSettings<SavedSettings>({ schemaVersion: 1, validate: validateSavedSettings })
}

/** The configuration in force at start: the environment (.env) overridden by the data dir's settings.json. */
export async function loadEffectiveConfig (baseEnv: Record<string, string | undefined>): Promise<Config> {
  let boot: Config
  try {
    boot = loadConfig(baseEnv)
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.variable, err.message, '.env')
    throw err
  }
  const saved = await readSavedSettings(createFlowStore({ dataDir: boot.DATA_DIR }))
  try {
    return loadConfig(effectiveEnv(baseEnv, saved))
  } catch (err) {
    // .env alone was valid, so the bad value is one the settings file overrides
    if (err instanceof ConfigError) throw new ConfigError(err.variable, err.message, 'settings.json')
    throw err
  }
}

/** The settings page's logic: read with sources, validate and save atomically (0600), apply live, test connections. */
export function createSettingsService (deps: { store: FlowStore, baseEnv: Record<string, string | undefined>, upstreams: Upstreams, flows: FlowService, resolver: TargetResolver, log: Logger }): SettingsService {
  const { store, baseEnv, upstreams, flows, resolver, log } = deps
  let saving: Promise<unknown> = Promise.resolve()

  return {
    async fields () {
      const saved = await readSavedSettings(store)
      const config = upstreams.config
      const out = {} as Record<SettingKey, SettingField>
      for (const key of SETTING_KEYS) {
        const fromSettings = saved?.values[key] !== undefined
        const fromEnv = (baseEnv[key] ?? '').trim() !== ''
        const value = String(config[key])
        out[key] = {
          key,
          value: isTokenKey(key) ? '' : value,
          hint: isTokenKey(key) ? tokenHint(value) : null,
          source: fromSettings ? 'settings page' : fromEnv ? '.env' : 'default'
        }
      }
      return out
    },

    async aacToken () {
      const status = await upstreams.aacToken().status()
      const refreshMs = status.refreshExpiresAt === null ? null : Date.parse(status.refreshExpiresAt)
      return { ...status, refreshExpiresSoon: refreshMs !== null && refreshMs - Date.now() < WEEK_MS }
    },

    async save (sub) {
      // One save at a time: each reads the file the previous one wrote.
      const run = saving.then(async () => {
        const current = await readSavedSettings(store)
        const result = applySubmission(baseEnv, current, sub)
        if (!result.ok) return result
        // everything that can refuse the values runs before they are written: a refused value is never saved
        const config: Config = loadConfig(effectiveEnv(baseEnv, result.saved))
        const { demo, targets } = await resolver.resolve(config)
        await store.writeSettings(result.saved)
        const previous = upstreams.config
        upstreams.reconfigure({ config, demo, targets })
        flows.forgetSuggestions()
        // Saved pairs were made with the old window: pair every flow again (no upstream call needed).
        if (config.MATCH_WINDOW_MINUTES !== previous.MATCH_WINDOW_MINUTES) void flows.repairAll(config.MATCH_WINDOW_MINUTES)
        log.info({ keys: Object.keys(sub.values), tokensChanged: Object.keys(sub.newTokens).length + sub.clearTokens.length }, 'settings saved')
        return result
      })
      saving = run.catch(() => {})
      return await run
    },

    async test (upstream) {
      try {
        if (upstream === 'databricks') {
          const c = upstreams.databricks()
          if (c === null) return { ok: false, message: 'Databricks is not configured: set its host and token.' }
          await c.dbfsGetStatus('/')
          return { ok: true, message: `Connected to Databricks${upstreams.demo ? ' (the demo simulator)' : ''}.` }
        }
        if (upstream === 'sparkHistory') {
          const c = upstreams.sparkHistory()
          if (c === null) return { ok: false, message: 'The Spark History Server is not configured: set its URL (and authentication).' }
          const apps = await c.listApplications({ limit: 1 })
          return { ok: true, message: `Connected to the Spark History Server${upstreams.demo ? ' (the demo simulator)' : ''}: ${apps.length === 0 ? 'it lists no application yet' : 'it lists applications'}.` }
        }
        const c = upstream === 'aac' ? upstreams.aac() : upstreams.onprem()
        if (c === null) return { ok: false, message: 'On-prem Trifacta is not configured: set its URL and token.' }
        await c.ping()
        return { ok: true, message: `Connected to ${upstream === 'aac' ? 'AAC' : 'on-prem Trifacta'}${upstreams.demo ? ' (the demo simulator)' : ''}.` }
      } catch (err) {
        return { ok: false, message: err instanceof UpstreamError ? err.message : `The test failed: ${(err as Error).message}` }
      }
    }
  }
}
