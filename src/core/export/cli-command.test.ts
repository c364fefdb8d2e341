// Tests of src/cli/export.ts (kept beside the exporters it drives).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ExportUsageError, NoDocumentStoreError, runExportCommand } from '../../cli/export'
import { defaultDataDir } from '../paths'
import { DocumentStore } from '../store'
import { ExportError } from './errors'
import { onPath, pdfInfo } from '../test-support/export-readers'

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inlay-cli-'))
const dataDir = path.join(tempDir, 'data')
const source = path.join(tempDir, 'chapter.md')
let documentId = ''
const savedDataDir = process.env.INLAY_DATA_DIR

beforeAll(() => {
  fs.writeFileSync(source, '# From a file\n\nA *Markdown* file — “quoted”.')
  const store = DocumentStore.open(dataDir)
  documentId = store.create({ title: 'Stored story', body: 'Stored — *text* é.' }).id
  store.close()
  process.env.INLAY_DATA_DIR = dataDir
})
afterAll(() => {
  if (savedDataDir === undefined) delete process.env.INLAY_DATA_DIR
  else process.env.INLAY_DATA_DIR = savedDataDir
  fs.rmSync(tempDir, { recursive: true, force: true })
})
afterEach(() => vi.restoreAllMocks())

const quietly = async (args: string[]): Promise<string[]> => {
  const lines: string[] = []
  vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line))
  await runExportCommand(args)
  return lines
}

describe('inlay export', () => {
  it.each(['md', 'txt', 'docx', 'epub', 'pdf'])('writes %s from a file', async (format) => {
    const out = path.join(tempDir, `from-file.${format}`)
    const lines = await quietly([source, '--out', out, '--author', 'Ana'])
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^wrote .*from-file\\.${format} \\(${format.toUpperCase()}, \\d+ KB\\)$`))
    ])
    expect(fs.statSync(out).size).toBeGreaterThan(0)
  })

  it.skipIf(!onPath('pdfinfo'))('sets PDF pages in the --layout asked for', async () => {
    const pageSize = async (layout: string): Promise<string> => {
      const out = path.join(tempDir, `${layout}.pdf`)
      await quietly([source, '--out', out, '--layout', layout])
      return pdfInfo(fs.readFileSync(out))['Page size']!
    }
    expect(await pageSize('manuscript')).toMatch(/^612 x 792 pts/)
    expect(await pageSize('book')).toMatch(/^432 x 648 pts/)
  })

  it('reads a document id from the store in INLAY_DATA_DIR', async () => {
    const out = path.join(tempDir, 'stored.md')
    await quietly([documentId, '--format', 'md', '--out', out])
    expect(fs.readFileSync(out, 'utf8')).toBe('---\ntitle: "Stored story"\n---\n\nStored — *text* é.\n')
  })

  it('makes one book of several inputs, with --title', async () => {
    const out = path.join(tempDir, 'book.txt')
    await quietly([documentId, source, '--out', out, '--title', 'Book'])
    expect(fs.readFileSync(out, 'utf8')).toContain(
      'Stored story\n------------\n\nStored — text é.\n\nFrom a file\n-----------'
    )
  })

  it.each([
    [[], 'export needs a document id or a .md, .txt or .docx file'],
    [['x.md'], 'export needs --out FILE'],
    [['x.md', '--out', 'out.odt'], 'cannot tell the format from "out.odt": add --format md|txt|docx|pdf|epub'],
    [['x.md', '--out', 'out', '--format', 'rtf'], 'unknown format "rtf": use one of md, txt, docx, pdf, epub'],
    [['a.md', 'b.md', '--out', 'out.epub'], '2 inputs make one book: give its title with --title'],
    [['x.md', '--out', 'o.md', '--colour'], "Unknown option '--colour'"],
    [['x.md', '--out', 'o.pdf', '--layout', 'zine'], 'unknown layout "zine": use one of manuscript, book']
  ])('refuses %j', async (args, message) => {
    const failure = runExportCommand(args)
    await expect(failure).rejects.toBeInstanceOf(ExportUsageError)
    await expect(failure).rejects.toThrow(message)
  })

  it('reports bad files, unknown ids and bad output paths clearly', async () => {
    const out = path.join(tempDir, 'never.md')
    await expect(runExportCommand([path.join(tempDir, 'nope.md'), '--out', out])).rejects.toThrow(
      `Cannot read ${path.join(tempDir, 'nope.md')}: no such file.`
    )
    await expect(runExportCommand(['0f0e0d0c-0000-4000-8000-000000000000', '--out', out])).rejects.toThrow(
      /not found|No document/i
    )
    await expect(runExportCommand([source, '--out', path.join(tempDir, 'no', 'dir.md')])).rejects.toBeInstanceOf(
      ExportError
    )
    expect(fs.existsSync(out)).toBe(false)
  })

  it('says where it looked when there is no document store', async () => {
    process.env.INLAY_DATA_DIR = path.join(tempDir, 'empty-data')
    try {
      expect(defaultDataDir()).toBe(path.join(tempDir, 'empty-data'))
      await expect(runExportCommand([documentId, '--out', path.join(tempDir, 'x.md')])).rejects.toBeInstanceOf(
        NoDocumentStoreError
      )
      expect(fs.existsSync(path.join(tempDir, 'empty-data'))).toBe(false)
    } finally {
      process.env.INLAY_DATA_DIR = dataDir
    }
  })
})
