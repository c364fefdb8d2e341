// The app's settings live in the document store under one key, so the desktop app, browser mode and the CLI
// read the same values.
import { SettingsSchema, type Settings } from '../shared/contract'
import type { DocumentStore } from './store'

const KEY = 'app'

export const DEFAULT_SETTINGS: Settings = {
  author: '',
  theme: 'system',
  // No temperature, topP or lengthThreshold: a run takes the model's own (model.json "decoding", else the
  // engine's). Settings saved while these defaults held 0.9 keep their values, as the writer's; clearing the
  // field in Settings hands it back to the model.
  generation: { stopThreshold: 0.9, alternatives: 1, parallel: 1, maxTokens: 200 },
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
