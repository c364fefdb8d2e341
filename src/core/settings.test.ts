import { describe, expect, it } from 'vitest'
import { useTempFolders } from './test-support/store-helpers'
import { DEFAULT_SETTINGS, readSettings, updateSettings } from './settings'
import { DocumentStore } from './store'

const tempFolder = useTempFolders()

describe('settings', () => {
  it('leave temperature, top-p and the length threshold to the model by default', () => {
    expect(DEFAULT_SETTINGS.generation).toEqual({ stopThreshold: 0.9, alternatives: 1, parallel: 1, maxTokens: 200 })
    const store = DocumentStore.open(tempFolder())
    try {
      expect(readSettings(store)).toEqual(DEFAULT_SETTINGS)
      // Changing another setting writes no temperature or top-p in.
      const next = updateSettings(store, { author: 'Ada' })
      expect(next.generation).toEqual(DEFAULT_SETTINGS.generation)
      expect(readSettings(store).generation).toEqual(DEFAULT_SETTINGS.generation)
    } finally {
      store.close()
    }
  })

  it('keep a temperature and top-p already stored (the writer’s), until the writer clears them', () => {
    const store = DocumentStore.open(tempFolder())
    try {
      const generation = {
        temperature: 0.9,
        topP: 0.9,
        stopThreshold: 0.8,
        alternatives: 2,
        parallel: 1,
        maxTokens: 50
      }
      store.setSetting('app', { ...DEFAULT_SETTINGS, generation })
      expect(readSettings(store).generation).toEqual(generation)
      const { temperature: _t, topP: _p, ...cleared } = generation
      updateSettings(store, { generation: cleared })
      expect(readSettings(store).generation).toEqual(cleared)
    } finally {
      store.close()
    }
  })
})
