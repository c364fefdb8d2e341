// The app's settings live in the document store under one key, so the desktop app, browser mode and the CLI
// read the same values.
import { SettingsSchema, type Settings } from '../shared/contract'
import type { DocumentStore } from './store'

const KEY = 'app'

export const DEFAULT_SETTINGS: Settings = {
  author: '',
  theme: 'system',
  generation: { temperature: 0.9, topP: 0.9, stopThreshold: 0.9, alternatives: 1, parallel: 1, maxTokens: 200 },
  lastDocumentId: null,
  model: null
}

/** Stored settings over the defaults; a damaged or outdated value falls back to the defaults. */
export function readSettings(store: DocumentStore): Settings {
  const stored = store.getSetting(KEY)
  const fields = typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? stored : {}
  const parsed = SettingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...fields })
  return parsed.success ? parsed.data : DEFAULT_SETTINGS
}

export function updateSettings(store: DocumentStore, patch: Partial<Settings>): Settings {
  const next = { ...readSettings(store), ...patch }
  store.setSetting(KEY, next)
  return next
}
