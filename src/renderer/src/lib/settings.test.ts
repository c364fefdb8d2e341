import { afterEach, beforeEach, describe, expect, it, vi, type Mocked } from 'vitest'
import type { InlayApi, Settings } from '../../../shared/contract'
import { fakeApi, said } from '../test-support/stores'
import { Notices } from './notices.svelte'
import { SettingsStore } from './settings.svelte'

const settings = {
  author: 'Ada',
  theme: 'system',
  generation: {},
  lastDocumentId: null,
  model: null
} as unknown as Settings

let api: Mocked<InlayApi['settings']>
let notices: Notices
let store: SettingsStore
let page: { dataset: Record<string, string> }
let systemDark: boolean

beforeEach(() => {
  page = { dataset: {} }
  systemDark = false
  vi.stubGlobal('document', { documentElement: page })
  vi.stubGlobal('window', { matchMedia: () => ({ matches: systemDark }) })
  api = fakeApi('settings', ['get', 'set'])
  notices = new Notices()
  store = new SettingsStore(api, notices)
})
afterEach(() => vi.unstubAllGlobals())

it('loads the settings and sets the page’s theme; a failed load throws for start-up to report', async () => {
  api.get.mockResolvedValueOnce({ ...settings, theme: 'dark' }).mockRejectedValueOnce(new Error('no host'))
  await store.load()
  expect(store.value?.theme).toBe('dark')
  expect(page.dataset['theme']).toBe('dark')
  await expect(store.load()).rejects.toThrow('no host')
  expect(notices.toasts).toEqual([])
})

it('update keeps what the app answers; a refused change keeps the old settings and says why', async () => {
  api.set.mockResolvedValueOnce({ ...settings, author: 'Grace' }).mockRejectedValueOnce(new Error('too long'))
  expect(await store.update({ author: 'Grace' })).toBe(true)
  expect(store.value?.author).toBe('Grace')
  expect(await store.update({ author: 'x'.repeat(500) })).toBe(false)
  expect(store.value?.author).toBe('Grace')
  expect(said(notices)).toEqual(['Could not change the settings: too long'])
})

describe('toggleTheme', () => {
  async function toggledFrom(theme: Settings['theme']): Promise<unknown> {
    api.get.mockResolvedValue({ ...settings, theme })
    api.set.mockImplementation((patch) => Promise.resolve({ ...settings, ...patch }))
    await store.load()
    store.toggleTheme()
    await vi.waitFor(() => expect(api.set).toHaveBeenCalled())
    return api.set.mock.calls[0]![0]
  }

  it('turns light (and a light system) dark, and dark (and a dark system) light', async () => {
    expect(await toggledFrom('light')).toEqual({ theme: 'dark' })
    api.set.mockClear()
    expect(await toggledFrom('dark')).toEqual({ theme: 'light' })
    api.set.mockClear()
    expect(await toggledFrom('system')).toEqual({ theme: 'dark' })
    api.set.mockClear()
    systemDark = true
    expect(await toggledFrom('system')).toEqual({ theme: 'light' })
    expect(page.dataset['theme']).toBe('light')
  })

  it('does nothing before the settings are known', () => {
    store.toggleTheme()
    expect(api.set).not.toHaveBeenCalled()
  })
})
