// Export (the dialog, for the open document or the library's selection) and import (a file the writer picks).
import type { ExportFormat, ExportLayout, ImportedDocument, InlayApi } from '../../../shared/contract'
import { MAX_IMPORT_BYTES } from '../../../shared/limits'
import type { Draft } from './draft.svelte'
import { base64ToBytes, downloadFile, fileToBase64, formatMegabytes } from './files'
import type { Generation } from './generation.svelte'
import type { Notices } from './notices.svelte'

/** The formats whose pages have a layout (manuscript or book). */
export function hasLayout(format: ExportFormat): boolean {
  return format === 'pdf' || format === 'docx'
}

export class ImportExport {
  /** The export dialog, open for these documents. */
  exportDialog = $state<{ ids: string[] } | null>(null)
  exporting = $state(false)
  importing = $state(false)
  /** The format last exported, for one document and for several: the dialog starts there. */
  lastFormat = $state<{ single: ExportFormat; several: ExportFormat }>({ single: 'md', several: 'epub' })
  /** The page layout last chosen for PDF or DOCX. */
  lastLayout = $state<ExportLayout>('manuscript')
  private importInput: HTMLInputElement | null = null

  /** `opened` shows a document the service just imported. */
  constructor(
    private readonly api: InlayApi['exports'],
    private readonly notices: Notices,
    private readonly draft: Draft,
    private readonly generation: Pick<Generation, 'blocks'>,
    private readonly opened: (imported: ImportedDocument) => Promise<void>
  ) {}

  /** Opens the export dialog for these documents (the open one by default). */
  openExport(ids?: string[]): void {
    if (this.exportDialog) return
    const current = this.draft.current
    const chosen = ids ?? (current ? [current.id] : [])
    if (chosen.length === 0) {
      this.notices.notify('Open a document, or select some in the library, to export.')
      return
    }
    if (current && chosen.includes(current.id) && this.generation.blocks()) return
    this.draft.popover = null
    this.exportDialog = { ids: chosen }
  }

  closeExport(): void {
    if (!this.exporting) this.exportDialog = null
  }

  /**
   * Exports the dialog's documents: the open one's latest text is saved first; then a download, or a file saved.
   * `layout` shapes PDF and DOCX pages (the other formats have none); what the export warns about is shown.
   */
  async exportAs(format: ExportFormat, layout: ExportLayout = this.lastLayout): Promise<void> {
    const target = this.exportDialog
    if (!target || this.exporting) return
    const doc = this.draft.current
    if (doc && target.ids.includes(doc.id)) {
      if (this.generation.blocks()) return
      // The draft could not be saved (and the notice says why): exporting the stored text would lose the latest.
      if (!(await this.draft.saveNow())) return
    }
    this.lastFormat = { ...this.lastFormat, [target.ids.length > 1 ? 'several' : 'single']: format }
    const paged = hasLayout(format)
    if (paged) this.lastLayout = layout
    this.exporting = true
    await this.notices.attempt(
      'Could not export',
      async () => {
        const outcome = await this.api.documents(target.ids, format, paged ? layout : undefined)
        if (outcome.kind === 'download') {
          downloadFile(outcome.fileName, outcome.mimeType, base64ToBytes(outcome.base64))
          this.notices.notify(`Exported “${outcome.fileName}”.`)
        } else if (outcome.kind === 'saved') {
          this.notices.notify(`Saved to ${outcome.path}`)
        }
        if (outcome.kind !== 'cancelled')
          for (const warning of outcome.warnings ?? []) this.notices.notify(warning, 'warning')
      },
      { serviceSaysWhy: true }
    )
    this.exporting = false
    this.exportDialog = null
  }

  /** The page's hidden file input, which `chooseImport` opens. */
  registerImportInput(input: HTMLInputElement | null): void {
    this.importInput = input
  }

  chooseImport(): void {
    if (this.importing) return
    this.importInput?.click()
  }

  /** Imports a file the writer picked: it becomes a new document, which opens. */
  async importFile(file: File): Promise<void> {
    if (this.importing) return
    if (file.size > MAX_IMPORT_BYTES) {
      this.notices.notify(
        `Cannot import “${file.name}”: it is ${formatMegabytes(file.size)}, over the ${formatMegabytes(MAX_IMPORT_BYTES)} limit.`,
        'error'
      )
      return
    }
    this.importing = true
    await this.notices.attempt(
      `Could not import “${file.name}”`,
      async () => this.opened(await this.api.importDocument(file.name, await fileToBase64(file))),
      { serviceSaysWhy: true }
    )
    this.importing = false
  }
}
