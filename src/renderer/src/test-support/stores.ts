// Stand-ins for the stores' tests: a fake API, a document, and the stores every other one builds on.
import { vi, type Mocked } from 'vitest'
import type { InlayApi } from '../../../shared/contract'
import type { StoredDocument } from '../../../shared/documents'
import { Draft } from '../lib/draft.svelte'
import type { EditorHandlers } from '../lib/editor/editor'
import { Library } from '../lib/library.svelte'
import { Notices } from '../lib/notices.svelte'

type Part = Exclude<keyof InlayApi, 'menu'>

/** One part of the API, every method a mock that rejects until the test says what it answers. */
export function fakeApi<K extends Part>(part: K, methods: readonly (keyof InlayApi[K])[]): Mocked<InlayApi[K]> {
  const fake = Object.fromEntries(
    methods.map((name) => [name, vi.fn(() => Promise.reject(new Error(`${part}.${String(name)} was not expected`)))])
  )
  return fake as unknown as Mocked<InlayApi[K]>
}

export function fakeDocumentsApi(): Mocked<InlayApi['documents']> {
  return fakeApi('documents', [
    'list',
    'create',
    'open',
    'saveDraft',
    'save',
    'rename',
    'delete',
    'undoDelete',
    'revisions',
    'revision',
    'restore'
  ])
}

export function storedDocument(fields: Partial<StoredDocument> = {}): StoredDocument {
  return { id: 'd1', title: 'Moths', body: '', gaps: [], createdAt: 1, updatedAt: 1, savedAt: null, ...fields }
}

const handlers: EditorHandlers = {
  generate: () => false,
  stop: () => false,
  save: () => false,
  acceptAll: () => false,
  rejectAll: () => false,
  alternative: () => false,
  openGap: () => {},
  notice: () => {},
  changed: () => {}
}

/** The notices, the library and a draft without an editor view (there is no DOM here); `run.active` locks it. */
export function draftStores(): {
  api: Mocked<InlayApi['documents']>
  notices: Notices
  library: Library
  draft: Draft
  run: { active: boolean }
} {
  const api = fakeDocumentsApi()
  const notices = new Notices()
  const library = new Library(api, notices)
  const run = { active: false }
  const draft = new Draft(api, notices, library, handlers, () => run.active)
  return { api, notices, library, draft, run }
}

/** The notices' texts, oldest first. */
export function said(notices: Notices): string[] {
  return notices.toasts.map((t) => t.message)
}
