// What every exporter writes: a book with a title, an author and one chapter per document, checked once here so the
// formats agree on what is refused and why.
import { ExportFormatSchema, type ExportFormat } from '../../shared/contract'
import { MAX_BODY_BYTES } from '../../shared/documents'
import { ExportError, formatBytes } from './errors'
import { cleanText, parseBody, type Block } from './markup'
import type { FontSource, PdfFontFiles } from './fonts'
import type { ExportLayout } from './layouts'

/** The part of a document an export needs; a StoredDocument fits as is. */
export interface ExportableDocument {
  title: string
  body: string
}

/** The contract's list, so that the app, the CLI and the exporters offer the same formats. */
export const EXPORT_FORMATS = ExportFormatSchema.options
export type { ExportFormat }

export function isExportFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value)
}

export interface ExportOptions {
  /** The author's name from the settings; '' leaves it out. */
  author: string
  /** The book's title; by default the document's title. Required to export several documents. */
  title?: string
  /** BCP 47 language tag written into DOCX, PDF and EPUB metadata; 'en' by default. */
  language?: string
  /** How PDF and DOCX pages look: a standard manuscript (the default) or a book. */
  layout?: ExportLayout
  /** Font files for PDF export's body text; by default the system's serif, else the shipped DejaVu Serif. */
  pdfFonts?: PdfFontFiles
  /** Where PDF export looks for the system's fonts (body and fallbacks); by default fontconfig, else the font folders. */
  fontSource?: FontSource
}

export interface Chapter {
  title: string
  /** The body as the user wrote it (normalised line ends, trimmed): what Markdown export writes. */
  body: string
  blocks: Block[]
}

export interface Book {
  title: string
  author: string
  language: string
  chapters: Chapter[]
  /** Several documents: each chapter is introduced by its title; one document: the book title is enough. */
  chaptered: boolean
}

/** All documents of one export together: a series in one EPUB, not a whole library. */
export const MAX_EXPORT_BYTES = 4 * MAX_BODY_BYTES
export const UNTITLED = 'Untitled'
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/

/** A title or name on one line: no control characters, whitespace collapsed. */
export function cleanLine(text: string): string {
  return cleanText(text).replace(/\s+/g, ' ').trim()
}

export function makeBook(documents: readonly ExportableDocument[], options: ExportOptions): Book {
  if (documents.length === 0) throw new ExportError('empty', 'Nothing to export: no document was given.')
  const language = options.language ?? 'en'
  if (!LANGUAGE_TAG.test(language)) {
    throw new ExportError('invalid', `"${language}" is not a language tag such as en, fr or pt-BR.`)
  }
  const bookTitle = cleanLine(options.title ?? '')
  if (documents.length > 1 && bookTitle === '') {
    throw new ExportError('invalid', `Exporting ${documents.length} documents together needs a title for the book.`)
  }

  let totalBytes = 0
  for (const document of documents) {
    const bytes = Buffer.byteLength(document.body, 'utf8')
    totalBytes += bytes
    if (bytes > MAX_BODY_BYTES) {
      throw new ExportError(
        'too-large',
        `“${cleanLine(document.title) || UNTITLED}” is ${formatBytes(bytes)}; documents over ${formatBytes(MAX_BODY_BYTES)} cannot be exported.`
      )
    }
  }
  if (totalBytes > MAX_EXPORT_BYTES) {
    throw new ExportError(
      'too-large',
      `These documents total ${formatBytes(totalBytes)}; one export holds at most ${formatBytes(MAX_EXPORT_BYTES)}.`
    )
  }

  const chapters = documents.map((document) => {
    const body = cleanText(document.body).trim()
    return { title: cleanLine(document.title) || UNTITLED, body, blocks: parseBody(body) }
  })
  // An empty chapter among others is a placeholder worth keeping; an export with no text at all is a mistake.
  if (chapters.every((chapter) => chapter.blocks.length === 0)) {
    const what = chapters.length === 1 ? `“${chapters[0]!.title}” is empty` : 'all these documents are empty'
    throw new ExportError('empty', `Nothing to export: ${what}.`)
  }
  return {
    title: bookTitle || chapters[0]!.title,
    author: cleanLine(options.author),
    language,
    chapters,
    chaptered: documents.length > 1
  }
}

/** Body headings sit one level below chapter titles when there are chapters (never deeper than 6). */
export function bodyHeadingLevel(book: Book, level: number): number {
  return Math.min(6, book.chaptered ? level + 1 : level)
}
