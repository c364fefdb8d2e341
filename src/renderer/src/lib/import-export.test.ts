import { beforeEach, describe, expect, it, vi, type Mocked } from 'vitest'
import { ApiCallError } from '../../../shared/api-client'
import type { ImportedDocument, InlayApi } from '../../../shared/contract'
import { MAX_IMPORT_BYTES } from '../../../shared/limits'
import { draftStores, fakeApi, said, storedDocument } from '../test-support/stores'
import { ImportExport } from './import-export.svelte'

let base: ReturnType<typeof draftStores>
let api: Mocked<InlayApi['exports']>
let blocked: boolean
let opened: ImportedDocument[]
let io: ImportExport

beforeEach(() => {
  base = draftStores()
  api = fakeApi('exports', ['documents', 'importDocument'])
  blocked = false
  opened = []
  const generation = { blocks: () => blocked }
  io = new ImportExport(api, base.notices, base.draft, generation, async (doc) => void opened.push(doc))
})

describe('openExport', () => {
  it('asks for a document when none is open and none is picked', () => {
    io.openExport()
    expect(io.exportDialog).toBeNull()
    expect(said(base.notices)).toEqual(['Open a document, or select some in the library, to export.'])
  })

  it('opens for the open document by default, or for the documents picked, and closes the gap popover', () => {
    base.draft.load(storedDocument())
    base.draft.popover = { id: 'g1', left: 0, top: 0 }
    io.openExport()
    expect(io.exportDialog).toEqual({ ids: ['d1'] })
    expect(base.draft.popover).toBeNull()
    io.closeExport()
    io.openExport(['b', 'a'])
    expect(io.exportDialog).toEqual({ ids: ['b', 'a'] })
  })

  it('waits for a generation that holds the open document, but not for other documents', () => {
    base.draft.load(storedDocument())
    blocked = true
    io.openExport(['a', 'd1'])
    expect(io.exportDialog).toBeNull()
    io.openExport(['a'])
    expect(io.exportDialog).toEqual({ ids: ['a'] })
  })
})

describe('exportAs', () => {
  beforeEach(() => base.draft.load(storedDocument()))

  it('writes the open draft first, exports, says where it went and remembers the format', async () => {
    base.api.saveDraft.mockResolvedValue(null)
    api.documents.mockImplementation(() => {
      expect(base.api.saveDraft).toHaveBeenCalled()
      return Promise.resolve({ kind: 'saved', path: '/home/ada/Moths.pdf' })
    })
    io.openExport()
    await io.exportAs('pdf')
    expect(api.documents).toHaveBeenCalledWith(['d1'], 'pdf', 'manuscript')
    expect(said(base.notices)).toEqual(['Saved to /home/ada/Moths.pdf'])
    expect(io.lastFormat).toEqual({ single: 'pdf', several: 'epub' })
    expect(io.exportDialog).toBeNull()
    expect(io.exporting).toBe(false)
  })

  it('remembers the format for several documents apart, and needs no draft written for others', async () => {
    api.documents.mockResolvedValue({ kind: 'cancelled' })
    io.openExport(['a', 'b'])
    await io.exportAs('docx')
    expect(base.api.saveDraft).not.toHaveBeenCalled()
    expect(io.lastFormat).toEqual({ single: 'md', several: 'docx' })
    expect(base.notices.toasts).toEqual([])
  })

  it('sends the layout for PDF and DOCX only, remembers it, and shows what the export warns about', async () => {
    base.api.saveDraft.mockResolvedValue(null)
    api.documents.mockResolvedValue({ kind: 'saved', path: '/b.pdf', warnings: ['2 characters have no font'] })
    io.openExport()
    await io.exportAs('pdf', 'book')
    expect(api.documents).toHaveBeenLastCalledWith(['d1'], 'pdf', 'book')
    expect(io.lastLayout).toBe('book')
    expect(base.notices.toasts.map((toast) => [toast.message, toast.kind])).toEqual([
      ['Saved to /b.pdf', 'info'],
      ['2 characters have no font', 'warning']
    ])
    io.openExport()
    await io.exportAs('epub', 'manuscript')
    expect(api.documents).toHaveBeenLastCalledWith(['d1'], 'epub', undefined)
    expect(io.lastLayout).toBe('book')
  })

  it('exports nothing when the latest draft could not be saved', async () => {
    base.api.saveDraft.mockRejectedValue(new Error('disk full'))
    io.openExport()
    await io.exportAs('md')
    expect(api.documents).not.toHaveBeenCalled()
    expect(said(base.notices)).toEqual(['Could not save the draft: disk full'])
    expect(io.exportDialog).toEqual({ ids: ['d1'] })
  })

  it("shows the service's reason as it is, other failures as an export that failed; the dialog closes", async () => {
    api.documents
      .mockRejectedValueOnce(new ApiCallError('invalid-request', 'Nothing to export: “a” is empty'))
      .mockRejectedValueOnce(new Error('socket closed'))
    io.openExport(['a'])
    await io.exportAs('md')
    expect(io.exportDialog).toBeNull()
    io.openExport(['a'])
    await io.exportAs('md')
    expect(said(base.notices)).toEqual(['Nothing to export: “a” is empty', 'Could not export: socket closed'])
  })
})

describe('importFile', () => {
  const imported: ImportedDocument = { ...storedDocument({ id: 'n1', title: 'Notes' }), warnings: [] }

  it('sends the file as base64 and opens what comes back', async () => {
    api.importDocument.mockResolvedValue(imported)
    await io.importFile(new File(['Hi'], 'notes.txt'))
    expect(api.importDocument).toHaveBeenCalledWith('notes.txt', 'SGk=')
    expect(opened).toEqual([imported])
    expect(io.importing).toBe(false)
  })

  it('refuses a file over the limit without sending it', async () => {
    await io.importFile(new File([new Uint8Array(MAX_IMPORT_BYTES + 1)], 'huge.docx'))
    expect(api.importDocument).not.toHaveBeenCalled()
    expect(said(base.notices)).toEqual(['Cannot import “huge.docx”: it is 12.0 MB, over the 12.0 MB limit.'])
  })

  it("shows the service's reason as it is, other failures as an import that failed", async () => {
    api.importDocument
      .mockRejectedValueOnce(new ApiCallError('invalid-request', 'Cannot read “a.docx”: not a Word file'))
      .mockRejectedValueOnce(new Error('socket closed'))
    await io.importFile(new File(['x'], 'a.docx'))
    await io.importFile(new File(['x'], 'b.md'))
    expect(opened).toEqual([])
    expect(io.importing).toBe(false)
    expect(said(base.notices)).toEqual([
      'Cannot read “a.docx”: not a Word file',
      'Could not import “b.md”: socket closed'
    ])
  })
})

it('chooseImport opens the page’s file input, once the page has registered it', () => {
  const input = { click: vi.fn() }
  io.registerImportInput(input as unknown as HTMLInputElement)
  io.chooseImport()
  expect(input.click).toHaveBeenCalledTimes(1)
  io.registerImportInput(null)
  io.chooseImport()
  expect(input.click).toHaveBeenCalledTimes(1)
})
