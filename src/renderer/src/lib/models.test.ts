import { afterEach, beforeEach, expect, it, vi, type Mocked } from 'vitest'
import type { InlayApi, ModelInfo, Settings } from '../../../shared/contract'
import { fakeApi, said } from '../test-support/stores'
import { Models } from './models.svelte'
import { Notices } from './notices.svelte'
import { SettingsStore } from './settings.svelte'

const ready: ModelInfo = {
  status: 'ready',
  progress: 1,
  name: 'tiny',
  sizeBytes: 1000,
  parameters: 100,
  provider: 'cpu',
  maxLength: 256
}
const loading: ModelInfo = { ...ready, status: 'loading', progress: 0.5 }

let api: Mocked<InlayApi['model']>
let settingsApi: Mocked<InlayApi['settings']>
let notices: Notices
let models: Models

beforeEach(() => {
  vi.useFakeTimers()
  // Choosing a model changes the settings, which set the page's theme.
  vi.stubGlobal('document', { documentElement: { dataset: {} } })
  api = fakeApi('model', ['info', 'list'])
  settingsApi = fakeApi('settings', ['get', 'set'])
  notices = new Notices()
  models = new Models(api, notices, new SettingsStore(settingsApi, notices))
})
afterEach(() => {
  models.dispose()
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

it('asks again every half second while the model loads, and stops once it is ready', async () => {
  api.info.mockResolvedValueOnce(loading).mockResolvedValueOnce(loading).mockResolvedValueOnce(ready)
  await models.poll()
  expect(models.current).toEqual(loading)
  await vi.advanceTimersByTimeAsync(500)
  expect(api.info).toHaveBeenCalledTimes(2)
  await vi.advanceTimersByTimeAsync(500)
  expect(models.current).toEqual(ready)
  await vi.advanceTimersByTimeAsync(5000)
  expect(api.info).toHaveBeenCalledTimes(3)
})

it('stops asking once disposed', async () => {
  api.info.mockResolvedValue(loading)
  await models.poll()
  models.dispose()
  await vi.advanceTimersByTimeAsync(5000)
  expect(api.info).toHaveBeenCalledTimes(1)
})

it('forgets the model and says why when it cannot ask about it', async () => {
  api.info.mockResolvedValueOnce(ready).mockRejectedValueOnce(new Error('unavailable'))
  await models.poll()
  await models.poll()
  expect(models.current).toBeNull()
  expect(said(notices)).toEqual(['Could not ask about the model: unavailable'])
})

it('lists the models to switch to, and says why when it cannot', async () => {
  const list = [{ name: 'tiny', kind: 'ilm' as const, parameters: 100, sizeBytes: 1000, active: true }]
  api.list.mockResolvedValueOnce(list).mockRejectedValueOnce(new Error('no models folder'))
  await models.list()
  await models.list()
  expect(models.available).toEqual(list)
  expect(said(notices)).toEqual(['Could not list the models: no models folder'])
})

it('choosing a model shows it loading at once, remembers it, then asks about it and the list again', async () => {
  api.info.mockResolvedValueOnce(ready)
  await models.poll()
  let settled: (settings: Settings) => void = () => {}
  settingsApi.set.mockReturnValue(new Promise((resolve) => (settled = resolve)))
  api.info.mockResolvedValue({ ...ready, name: 'small' })
  api.list.mockResolvedValue([])
  const chosen = models.choose('small')
  expect(models.current).toEqual({ ...ready, name: 'small', status: 'loading', progress: 0 })
  expect(settingsApi.set).toHaveBeenCalledWith({ model: 'small' })
  settled({ theme: 'system' } as Settings)
  await chosen
  expect(api.info).toHaveBeenCalledTimes(2)
  expect(api.list).toHaveBeenCalledTimes(1)
  expect(models.current?.status).toBe('ready')
})

it('choosing the model in use does nothing', async () => {
  api.info.mockResolvedValueOnce(ready)
  await models.poll()
  await models.choose('tiny')
  expect(settingsApi.set).not.toHaveBeenCalled()
  expect(api.info).toHaveBeenCalledTimes(1)
})
