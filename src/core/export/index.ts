// Export documents to Markdown, plain text, DOCX, PDF and EPUB; import .txt, .md and .docx files as documents.
import { makeBook, type ExportableDocument, type ExportFormat, type ExportOptions } from './book'
import { writeDocx } from './docx'
import { writeEpub } from './epub'
import { writeMarkdown } from './markdown'
import { writePdf } from './pdf'
import { writePlainText } from './plain-text'

export {
  EXPORT_FORMATS,
  isExportFormat,
  MAX_EXPORT_BYTES,
  type ExportableDocument,
  type ExportFormat,
  type ExportOptions
} from './book'
export { ExportError, type ExportErrorReason } from './errors'
export { checkOutputPath, writeExportFile } from './files'
export type { PdfFontFiles } from './fonts'
export { EXPORT_LAYOUTS, isExportLayout, type ExportLayout } from './layouts'
export { IMPORT_EXTENSIONS, importDocument, importFile, type ImportedDocument } from './import'

/** Media types for a save dialog or a browser download. */
export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pdf: 'application/pdf',
  epub: 'application/epub+zip'
}

/** An export's bytes, and what the writer should know about them (characters no font could draw). */
export interface ExportResult {
  bytes: Uint8Array
  warnings: string[]
}

/**
 * The file for `documents` in `format`. One document is one book; several are one book with a chapter each (its title
 * as the chapter heading), in every format. Throws ExportError for input the user can fix: no text at all, a
 * document over the size limit, several documents without a book title, no PDF font on this machine. `layout`
 * (manuscript by default, or book) shapes PDF and DOCX pages; the other formats have none.
 */
export async function exportDocuments(
  documents: readonly ExportableDocument[],
  format: ExportFormat,
  options: ExportOptions
): Promise<ExportResult> {
  const book = makeBook(documents, options)
  const layout = options.layout ?? 'manuscript'
  const bytes = (data: Uint8Array): ExportResult => ({ bytes: data, warnings: [] })
  switch (format) {
    case 'md':
      return bytes(writeMarkdown(book))
    case 'txt':
      return bytes(writePlainText(book))
    case 'docx':
      return bytes(await writeDocx(book, layout))
    case 'pdf':
      return writePdf(book, { layout, fontFiles: options.pdfFonts, fontSource: options.fontSource })
    case 'epub':
      return bytes(await writeEpub(book))
  }
}
