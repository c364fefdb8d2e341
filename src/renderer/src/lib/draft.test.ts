import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { draftStores, said, storedDocument } from '../test-support/stores'

beforeEach(() => vi.useFakeTimers({ now: 9000 }))
afterEach(() => vi.useRealTimers())

/** The stores with one document in the library, open in the draft. */
async function opened(): Promise<ReturnType<typeof draftStores>> {
  const stores = draftStores()
  stores.api.list.mockResolvedValue([{ id: 'd1', title: 'Moths', updatedAt: 1, words: 0 }])
  await stores.library.refresh()
  stores.draft.load(storedDocument())
  return stores
}

it('load opens the document as saved and brings its library entry up to date', async () => {
  const { draft, library } = await opened()
  expect(draft.current?.id).toBe('d1')
  expect(draft.title).toBe('Moths')
  expect(draft.saveStatus).toBe('saved')
  expect(library.docs).toEqual([{ id: 'd1', title: 'Moths', updatedAt: 9000, words: 0 }])
})

describe('autosave', () => {
  it('writes a new title as a draft after a short pause, and the library shows it at once', async () => {
    const { api, draft, library } = await opened()
    api.saveDraft.mockResolvedValue(null)
    draft.setTitle('Moths at')
    draft.setTitle('Moths at dusk')
    expect(draft.saveStatus).toBe('pending')
    expect(library.docs[0]?.title).toBe('Moths at dusk')
    await vi.advanceTimersByTimeAsync(300)
    expect(api.saveDraft.mock.calls).toEqual([['d1', { title: 'Moths at dusk', body: '', gaps: [] }]])
    expect(draft.saveStatus).toBe('saved')
  })

  it('says why a draft could not be saved, and shows it as not saved', async () => {
    const { api, notices, draft } = await opened()
    api.saveDraft.mockRejectedValue(new Error('disk full'))
    draft.setTitle('Moths at dusk')
    await draft.flush()
    expect(draft.saveStatus).toBe('error')
    expect(said(notices)).toEqual(['Could not save the draft: disk full'])
  })

  it('writes nothing while a generation holds the editor', async () => {
    const { api, draft, run } = await opened()
    run.active = true
    draft.setTitle('Moths at dusk')
    await vi.advanceTimersByTimeAsync(1000)
    expect(api.saveDraft).not.toHaveBeenCalled()
    expect(draft.saveStatus).toBe('saved')
  })

  it('saveNow writes the latest draft at once and says whether it was saved', async () => {
    const { api, draft } = await opened()
    api.saveDraft.mockResolvedValueOnce(null).mockRejectedValueOnce(new Error('disk full'))
    draft.title = 'Moths at dusk'
    expect(await draft.saveNow()).toBe(true)
    expect(api.saveDraft).toHaveBeenCalledWith('d1', { title: 'Moths at dusk', body: '', gaps: [] })
    expect(await draft.saveNow()).toBe(false)
  })
})

describe('save', () => {
  it('saves a revision in place of a pending draft and says so', async () => {
    const { api, notices, draft } = await opened()
    api.save.mockResolvedValue(storedDocument({ title: 'Moths at dusk', savedAt: 9000 }))
    draft.setTitle('Moths at dusk')
    expect(await draft.save()).toBe(true)
    await vi.advanceTimersByTimeAsync(1000)
    expect(api.saveDraft).not.toHaveBeenCalled()
    expect(api.save).toHaveBeenCalledWith('d1', { title: 'Moths at dusk', body: '', gaps: [] })
    expect(draft.current?.savedAt).toBe(9000)
    expect(draft.saveStatus).toBe('saved')
    expect(said(notices)).toEqual(['Saved. A revision was created.'])
  })

  it('says why a revision could not be saved', async () => {
    const { api, notices, draft } = await opened()
    api.save.mockRejectedValue(new Error('disk full'))
    expect(await draft.save()).toBe(false)
    expect(draft.saveStatus).toBe('error')
    expect(said(notices)).toEqual(['Could not save: disk full'])
  })

  it('does nothing without an open document', async () => {
    const { api, draft } = draftStores()
    expect(await draft.save()).toBe(false)
    expect(api.save).not.toHaveBeenCalled()
  })
})

describe('rename', () => {
  it('renames when the title changed, and only then', async () => {
    const { api, draft, library } = await opened()
    api.rename.mockResolvedValue(storedDocument({ title: 'Lanterns' }))
    await draft.rename()
    expect(api.rename).not.toHaveBeenCalled()
    draft.title = 'Lanterns'
    await draft.rename()
    expect(api.rename).toHaveBeenCalledWith('d1', 'Lanterns')
    expect(draft.current?.title).toBe('Lanterns')
    expect(library.docs[0]?.title).toBe('Lanterns')
  })

  it('says why a rename failed', async () => {
    const { api, notices, draft } = await opened()
    api.rename.mockRejectedValue(new Error('title too long'))
    draft.title = 'Lanterns'
    await draft.rename()
    expect(draft.current?.title).toBe('Moths')
    expect(said(notices)).toEqual(['Could not rename: title too long'])
  })
})
