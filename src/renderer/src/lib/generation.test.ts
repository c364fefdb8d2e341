import { expect, it } from 'vitest'
import { draftStores, fakeApi } from '../test-support/stores'
import { Generation } from './generation.svelte'
import { Models } from './models.svelte'
import { SettingsStore } from './settings.svelte'

function stores() {
  const base = draftStores()
  const api = fakeApi('generation', ['start', 'estimate'])
  const settings = new SettingsStore(fakeApi('settings', ['get', 'set']), base.notices)
  const models = new Models(fakeApi('model', ['info', 'list']), base.notices, settings)
  return { ...base, api, generation: new Generation(api, base.notices, base.draft, settings, models) }
}

it('asks the model for a gap’s estimate and keeps the answer for that gap', async () => {
  const { api, generation } = stores()
  api.estimate.mockResolvedValue({
    available: true,
    gaps: [
      { gapId: 'g1', tokens: 4 },
      { gapId: 'g2', tokens: 29.4 }
    ]
  })
  const asking = generation.estimateGap('g2')
  expect(generation.estimate).toEqual({ gapId: 'g2', status: 'asking' })
  await asking
  expect(generation.estimate).toEqual({ gapId: 'g2', status: 'ready', tokens: 29.4 })
})

it('says why there is no estimate: a model without a length head, or a failed call', async () => {
  const { api, generation } = stores()
  api.estimate.mockResolvedValueOnce({ available: false, message: 'This model has no length head' })
  await generation.estimateGap('g1')
  expect(generation.estimate).toEqual({ gapId: 'g1', status: 'unavailable', message: 'This model has no length head' })
  api.estimate.mockRejectedValueOnce(new Error('The model could not be loaded'))
  await generation.estimateGap('g1')
  expect(generation.estimate).toEqual({ gapId: 'g1', status: 'failed', message: 'The model could not be loaded' })
})

it('drops an answer that comes after a newer question', async () => {
  const { api, generation } = stores()
  let answerFirst!: () => void
  api.estimate
    .mockReturnValueOnce(
      new Promise((resolve) => (answerFirst = () => resolve({ available: true, gaps: [{ gapId: 'g1', tokens: 1 }] })))
    )
    .mockResolvedValueOnce({ available: true, gaps: [{ gapId: 'g2', tokens: 2 }] })
  const first = generation.estimateGap('g1')
  await generation.estimateGap('g2')
  answerFirst()
  await first
  expect(generation.estimate).toEqual({ gapId: 'g2', status: 'ready', tokens: 2 })
})
