// The library: the documents' list (searched by title) and the ones picked for a joint export.
import type { InlayApi } from '../../../shared/contract'
import type { DocumentSummary } from '../../../shared/documents'
import type { Notices } from './notices.svelte'

export class Library {
  docs = $state<DocumentSummary[]>([])
  query = $state('')
  /** Documents picked for a joint export, in the order they were picked. */
  selection = $state<string[]>([])

  constructor(
    private readonly api: InlayApi['documents'],
    private readonly notices: Notices
  ) {}

  async refresh(): Promise<void> {
    await this.notices.attempt('Could not list the documents', async () => {
      const query = this.query.trim()
      this.docs = await this.api.list(query === '' ? undefined : query)
    })
  }

  /** Keeps the open document's entry in step with the editor without asking the store. */
  touch(id: string, title: string, words: number): void {
    this.docs = this.docs.map((d) => (d.id === id ? { ...d, title, words, updatedAt: Date.now() } : d))
  }

  toggleSelected(id: string): void {
    this.selection = this.selection.includes(id) ? this.deselected(id) : [...this.selection, id]
  }

  /** A deleted document leaves the selection. */
  deselect(id: string): void {
    this.selection = this.deselected(id)
  }

  clearSelection(): void {
    this.selection = []
  }

  private deselected(id: string): string[] {
    return this.selection.filter((s) => s !== id)
  }
}
