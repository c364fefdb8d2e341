// The app: the stores, composed, and the actions that span several of them (start-up; opening, creating and
// deleting documents; the desktop menu). Components read the stores and call their methods, never the API.
import type { AppInfo, ImportedDocument, MenuCommand } from '../../../shared/contract'
import type { StoredDocument } from '../../../shared/documents'
import { api } from './api'
import { Draft } from './draft.svelte'
import type { EditorHandlers } from './editor/editor'
import { Generation } from './generation.svelte'
import { ImportExport } from './import-export.svelte'
import { Library } from './library.svelte'
import { MissingMap } from './missing.svelte'
import { Models } from './models.svelte'
import { errorMessage, Notices } from './notices.svelte'
import { Revisions } from './revisions.svelte'
import { SettingsStore } from './settings.svelte'

export type Panel = 'settings' | 'revisions' | null

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)
/** How the primary modifier is written in labels. */
export const MOD = isMac ? '⌘' : 'Ctrl'

export class InlayApp {
  info = $state<AppInfo | null>(null)
  connectionError = $state<string | null>(null)
  loading = $state(true)
  panel = $state<Panel>(null)
  /** The desktop app's menu owns New, Import and Export's shortcuts; without it (browser mode) the page does. */
  readonly hasMenu = api.menu !== undefined

  readonly notices = new Notices()
  readonly settings = new SettingsStore(api.settings, this.notices)
  readonly models = new Models(api.model, this.notices, this.settings)
  readonly library = new Library(api.documents, this.notices)
  // The handlers are called only once the editor exists, when every store below does too.
  readonly handlers: EditorHandlers = {
    generate: () => (void this.generate(), true),
    stop: () => this.generation.stop() || this.missing.stop(),
    save: () => (void this.save(), true),
    acceptAll: () => this.generation.review((r) => r.acceptAll()),
    rejectAll: () => this.generation.review((r) => r.rejectAll()),
    alternative: (delta) =>
      this.generation.review(
        (r) => r.show(r.snapshot.shown + delta),
        (s) => s.alternatives > 1
      ),
    openGap: (id) => this.openGap(id),
    notice: (text) => this.notices.notify(text),
    changed: (update) => {
      this.draft.changed(update)
      this.missing.changed(update)
    }
  }
  // Typed, because the draft and the run refer to each other.
  readonly draft: Draft = new Draft(
    api.documents,
    this.notices,
    this.library,
    this.handlers,
    () => this.generation.active
  )
  readonly generation: Generation = new Generation(api.generation, this.notices, this.draft, this.settings, this.models)
  readonly missing: MissingMap = new MissingMap(api.missing, this.notices, this.draft, this.generation)
  readonly revisions = new Revisions(api.documents, this.notices, this.draft, this.generation)
  readonly importExport = new ImportExport(api.exports, this.notices, this.draft, this.generation, (imported) =>
    this.openImported(imported)
  )

  // Start-up.

  async init(): Promise<void> {
    try {
      this.info = await api.app.info()
      await this.settings.load()
    } catch (err) {
      this.connectionError = errorMessage(err)
      this.loading = false
      return
    }
    void this.models.poll()
    void this.models.list()
    await this.library.refresh()
    const last = this.settings.value?.lastDocumentId ?? null
    const opened = last !== null && (await this.open(last, { quiet: true }))
    if (!opened) {
      const first = this.library.docs[0]
      if (!first || !(await this.open(first.id, { quiet: true }))) await this.createDocument()
    }
    this.loading = false
  }

  mountEditor(parent: HTMLElement): () => void {
    const unmount = this.draft.mount(parent)
    if (this.draft.current) this.load(this.draft.current)
    return unmount
  }

  dispose(): void {
    this.models.dispose()
    void this.draft.flush()
  }

  // Documents.

  async open(id: string, options: { quiet?: boolean } = {}): Promise<boolean> {
    if (this.generation.blocks()) return false
    if (this.draft.current?.id === id) {
      this.draft.view?.focus()
      return true
    }
    await this.draft.flush()
    return this.notices.attempt('Could not open the document', async () => this.load(await api.documents.open(id)), {
      quiet: options.quiet
    })
  }

  private load(doc: StoredDocument): void {
    this.missing.clear()
    this.draft.load(doc)
    this.revisions.preview = null
    if (this.panel === 'revisions') void this.revisions.load()
  }

  async createDocument(): Promise<void> {
    if (this.generation.blocks()) return
    await this.draft.flush()
    await this.notices.attempt('Could not create a document', async () => {
      this.load(await api.documents.create())
      await this.library.refresh()
      this.draft.view?.focus()
    })
  }

  async deleteDocument(id: string): Promise<void> {
    const doc = this.library.docs.find((d) => d.id === id)
    const isCurrent = this.draft.current?.id === id
    if (isCurrent && this.generation.blocks()) return
    if (isCurrent) await this.draft.flush()
    if (!(await this.notices.attempt('Could not delete the document', () => api.documents.delete(id)))) return
    this.library.deselect(id)
    await this.library.refresh()
    if (isCurrent) {
      this.draft.current = null
      const next = this.library.docs[0]
      if (next) await this.open(next.id)
      else this.draft.clear()
    }
    this.notices.notify(`Deleted “${doc?.title || 'Untitled'}”.`, 'info', {
      label: 'Undo',
      run: () => void this.undoDelete(id)
    })
  }

  async undoDelete(id: string): Promise<void> {
    if (!(await this.notices.attempt('Could not bring the document back', () => api.documents.undoDelete(id)))) return
    await this.library.refresh()
    await this.open(id)
  }

  async save(): Promise<void> {
    if (!this.draft.current || this.generation.blocks()) return
    if ((await this.draft.save()) && this.panel === 'revisions') await this.revisions.load()
  }

  /** A document the service just imported (from the file input, or from the desktop menu): open it. */
  async openImported(imported: ImportedDocument): Promise<void> {
    const { warnings, ...doc } = imported
    const title = doc.title || 'Untitled'
    await this.library.refresh()
    if (this.generation.active) {
      this.notices.notify(`Imported “${title}”. It is in the library; finish the generation to open it.`)
    } else {
      await this.draft.flush()
      this.load(doc)
      this.notices.notify(`Imported “${title}”.`)
      this.draft.view?.focus()
    }
    for (const warning of warnings) this.notices.notify(warning, 'warning')
  }

  /** Fills the gaps; a missing-text map still being read is stopped first (the model does one thing at a time). */
  async generate(): Promise<void> {
    await this.missing.stopAndWait()
    await this.generation.generate()
  }

  /** Opens a gap's options, which show the model's estimate for it. */
  openGap(id: string): void {
    this.draft.openGap(id)
    if (this.draft.popover?.id === id) void this.generation.estimateGap(id)
  }

  togglePanel(panel: Exclude<Panel, null>): void {
    this.panel = this.panel === panel ? null : panel
    if (this.panel === 'revisions') void this.revisions.load()
  }

  // The desktop app's menu.

  /** Listens to the application menu (Electron); returns the unsubscribe, a no-op in browser mode. */
  listenToMenu(): () => void {
    return api.menu?.onCommand((command) => this.menuCommand(command)) ?? (() => {})
  }

  menuCommand(command: MenuCommand): void {
    const dialogOpen = this.importExport.exportDialog !== null
    switch (command.kind) {
      case 'new':
        if (!dialogOpen) void this.createDocument()
        break
      case 'export':
        this.importExport.openExport()
        break
      case 'save':
        if (!dialogOpen) void this.save()
        break
      case 'missing':
        if (!dialogOpen) this.missing.start()
        break
      case 'toggle-theme':
        this.settings.toggleTheme()
        break
      case 'imported':
        void this.openImported(command.document)
        break
      case 'import-failed':
        this.notices.notify(command.message, 'error')
        break
    }
  }
}
