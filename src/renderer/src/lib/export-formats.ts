// The export formats as the export dialog offers them.
import type { ExportFormat } from '../../../shared/contract'

export interface FormatChoice {
  id: ExportFormat
  label: string
  hint: string
}

export const EXPORT_FORMATS: readonly FormatChoice[] = [
  { id: 'md', label: 'Markdown', hint: 'plain text with *italics* and **bold**' },
  { id: 'txt', label: 'Plain text', hint: 'no styling' },
  { id: 'docx', label: 'Word document', hint: 'DOCX, for Word and LibreOffice' },
  { id: 'pdf', label: 'PDF', hint: 'ready to print or share' },
  { id: 'epub', label: 'EPUB e-book', hint: 'a chapter for each document' }
]
