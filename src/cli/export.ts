// `inlay export`: writes documents from the store, or .md/.txt/.docx files, as Markdown, plain text, DOCX, PDF or EPUB.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import {
  checkOutputPath,
  EXPORT_FORMATS,
  EXPORT_LAYOUTS,
  exportDocuments,
  importFile,
  isExportFormat,
  isExportLayout,
  writeExportFile,
  type ExportableDocument,
  type ExportFormat,
  type ExportLayout
} from '../core/export'
import { defaultDataDir } from '../core/paths'
import { readSettings } from '../core/settings'
import { DOCUMENTS_FILE_NAME, DocumentStore } from '../core/store'

export const EXPORT_USAGE = `usage:
  inlay export <document-id | file.md | file.txt | file.docx>... --out FILE [flags]
flags:
  --format ${EXPORT_FORMATS.join('|')}   (default: the extension of --out)
  --layout ${EXPORT_LAYOUTS.join('|')}   PDF and DOCX pages: a standard manuscript (default) or a book
  --author NAME    the author's name for the title page and metadata
  --title TITLE    the book's title (required for several inputs: one book, a chapter each)
  --language TAG   e.g. en, fr, pt-BR (default en)
document ids are looked up in $INLAY_DATA_DIR (default ${defaultDataDir()})`

/** A mistake in the command line; the caller prints the message and EXPORT_USAGE. */
export class ExportUsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExportUsageError'
  }
}

/** A document id given where there are no documents to look it up in. */
export class NoDocumentStoreError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NoDocumentStoreError'
  }
}

/** An input is a file when it names one: an extension, a folder part, or an existing path. Ids are bare UUIDs. */
function isFileInput(input: string): boolean {
  return path.extname(input) !== '' || input.includes('/') || input.includes(path.sep) || fs.existsSync(input)
}

export async function runExportCommand(args: string[]): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        out: { type: 'string' },
        author: { type: 'string' },
        title: { type: 'string' },
        language: { type: 'string' },
        layout: { type: 'string' },
        help: { type: 'boolean', default: false }
      }
    })
  } catch (error) {
    throw new ExportUsageError((error as Error).message)
  }
  const { values, positionals: inputs } = parsed
  if (values.help) {
    console.log(EXPORT_USAGE)
    return
  }
  if (inputs.length === 0) throw new ExportUsageError('export needs a document id or a .md, .txt or .docx file')
  if (!values.out) throw new ExportUsageError('export needs --out FILE')
  const format = chooseFormat(values.format, values.out)
  const layout = chooseLayout(values.layout)
  if (inputs.length > 1 && !values.title) {
    throw new ExportUsageError(`${inputs.length} inputs make one book: give its title with --title`)
  }
  // Fail on a bad destination before reading anything or laying out a long PDF.
  await checkOutputPath(values.out)

  const documents = await readInputs(inputs)
  const { bytes, warnings } = await exportDocuments(documents, format, {
    author: values.author ?? settingsAuthor(),
    title: values.title,
    language: values.language,
    layout
  })
  await writeExportFile(values.out, bytes)
  for (const warning of warnings) console.error(`inlay: ${values.out}: ${warning}`)
  console.log(`wrote ${values.out} (${format.toUpperCase()}, ${Math.max(1, Math.round(bytes.byteLength / 1024))} KB)`)
}

function chooseLayout(flag: string | undefined): ExportLayout | undefined {
  if (flag === undefined || isExportLayout(flag)) return flag
  throw new ExportUsageError(`unknown layout "${flag}": use one of ${EXPORT_LAYOUTS.join(', ')}`)
}

function chooseFormat(flag: string | undefined, out: string): ExportFormat {
  const format = (flag ?? path.extname(out).slice(1)).toLowerCase()
  if (isExportFormat(format)) return format
  if (flag === undefined) {
    throw new ExportUsageError(`cannot tell the format from "${out}": add --format ${EXPORT_FORMATS.join('|')}`)
  }
  throw new ExportUsageError(`unknown format "${flag}": use one of ${EXPORT_FORMATS.join(', ')}`)
}

/** Files are imported (warnings go to stderr); ids are read from the store, opened once and only if needed. */
export async function readInputs(inputs: readonly string[]): Promise<ExportableDocument[]> {
  let store: DocumentStore | undefined
  try {
    const documents: ExportableDocument[] = []
    for (const input of inputs) {
      if (isFileInput(input)) {
        const imported = await importFile(input)
        for (const warning of imported.warnings) console.error(`inlay: ${input}: ${warning}`)
        documents.push(imported)
      } else {
        store ??= openStore()
        documents.push(store.get(input))
      }
    }
    return documents
  } finally {
    store?.close()
  }
}

/** The author name set in the app, when there is a document store to read it from. */
function settingsAuthor(): string {
  if (!fs.existsSync(path.join(defaultDataDir(), DOCUMENTS_FILE_NAME))) return ''
  const store = DocumentStore.open(defaultDataDir())
  try {
    return readSettings(store).author
  } finally {
    store.close()
  }
}

function openStore(): DocumentStore {
  const folder = defaultDataDir()
  // Opening creates an empty database; a missing one means a wrong folder, not a missing document.
  if (!fs.existsSync(path.join(folder, DOCUMENTS_FILE_NAME))) {
    throw new NoDocumentStoreError(
      `no Inlay documents in ${folder}: set INLAY_DATA_DIR to the folder holding ${DOCUMENTS_FILE_NAME}, or give a file`
    )
  }
  return DocumentStore.open(folder)
}
