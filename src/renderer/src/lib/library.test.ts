import { afterEach, describe, expect, it, vi } from 'vitest'
import type { DocumentSummary } from '../../../shared/documents'
import { fakeDocumentsApi, said } from '../test-support/stores'
import { Library } from './library.svelte'
import { Notices } from './notices.svelte'

const summaries: DocumentSummary[] = [
  { id: 'a', title: 'Moths', updatedAt: 1, words: 10 },
  { id: 'b', title: 'Lanterns', updatedAt: 2, words: 20 }
]

function library(): { api: ReturnType<typeof fakeDocumentsApi>; notices: Notices; library: Library } {
  const api = fakeDocumentsApi()
  const notices = new Notices()
  return { api, notices, library: new Library(api, notices) }
}

afterEach(() => vi.useRealTimers())

describe('refresh', () => {
  it('lists every document for an empty (or blank) query, and searches by the trimmed query otherwise', async () => {
    const { api, library: lib } = library()
    api.list.mockResolvedValue(summaries)
    lib.query = '   '
    await lib.refresh()
    lib.query = '  moth '
    await lib.refresh()
    expect(api.list.mock.calls).toEqual([[undefined], ['moth']])
    expect(lib.docs).toEqual(summaries)
  })

  it('keeps the list it has and says why when listing fails', async () => {
    const { api, notices, library: lib } = library()
    api.list.mockResolvedValueOnce(summaries).mockRejectedValueOnce(new Error('database is locked'))
    await lib.refresh()
    await lib.refresh()
    expect(lib.docs).toEqual(summaries)
    expect(said(notices)).toEqual(['Could not list the documents: database is locked'])
  })
})

it('touch updates the open document’s entry in place and leaves the others', async () => {
  vi.useFakeTimers({ now: 5000 })
  const { api, library: lib } = library()
  api.list.mockResolvedValue(summaries)
  await lib.refresh()
  lib.touch('b', 'Lanterns at dusk', 23)
  expect(lib.docs).toEqual([summaries[0], { id: 'b', title: 'Lanterns at dusk', updatedAt: 5000, words: 23 }])
})

it('keeps the selection in the order the documents were picked', () => {
  const { library: lib } = library()
  lib.toggleSelected('b')
  lib.toggleSelected('a')
  lib.toggleSelected('c')
  expect(lib.selection).toEqual(['b', 'a', 'c'])
  lib.toggleSelected('a')
  expect(lib.selection).toEqual(['b', 'c'])
  lib.deselect('b')
  lib.deselect('x')
  expect(lib.selection).toEqual(['c'])
  lib.clearSelection()
  expect(lib.selection).toEqual([])
})
