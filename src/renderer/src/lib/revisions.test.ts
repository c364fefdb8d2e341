import { expect, it } from 'vitest'
import type { Revision } from '../../../shared/documents'
import { draftStores, said, storedDocument } from '../test-support/stores'
import { Revisions } from './revisions.svelte'

const revision: Revision = {
  id: 3,
  documentId: 'd1',
  createdAt: 1,
  reason: 'save',
  title: 'Moths',
  words: 2,
  body: 'Two moths.',
  gaps: []
}

function stores(): ReturnType<typeof draftStores> & { revisions: Revisions } {
  const base = draftStores()
  return { ...base, revisions: new Revisions(base.api, base.notices, base.draft, { blocks: () => false }) }
}

it('lists the open document’s revisions after writing its latest draft', async () => {
  const { api, draft, revisions } = stores()
  api.saveDraft.mockResolvedValue(null)
  api.revisions.mockImplementation(() => {
    // The list is asked for once the pending draft has been written.
    expect(api.saveDraft).toHaveBeenCalled()
    return Promise.resolve([revision])
  })
  draft.load(storedDocument())
  draft.setTitle('Moths at dusk')
  await revisions.load()
  expect(api.revisions).toHaveBeenCalledWith('d1')
  expect(revisions.list).toEqual([revision])
})

it('lists nothing without an open document, and says why a list failed', async () => {
  const { api, notices, draft, revisions } = stores()
  await revisions.load()
  expect(api.revisions).not.toHaveBeenCalled()
  draft.load(storedDocument())
  api.revisions.mockRejectedValue(new Error('database is locked'))
  await revisions.load()
  expect(said(notices)).toEqual(['Could not list the revisions: database is locked'])
})

it('shows a revision in preview, and says why one could not be opened', async () => {
  const { api, notices, revisions } = stores()
  api.revision.mockResolvedValueOnce(revision).mockRejectedValueOnce(new Error('no such revision'))
  await revisions.show(3)
  expect(revisions.preview).toEqual(revision)
  await revisions.show(4)
  expect(revisions.preview).toEqual(revision)
  expect(said(notices)).toEqual(['Could not open the revision: no such revision'])
})
