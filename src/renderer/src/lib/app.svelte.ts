// The app's state and actions: the open document and its editor, the library, autosave, generation runs,
// settings, revisions and notices. Components read this and call its methods; only this talks to the API.
import { EditorView, type ViewUpdate } from '@codemirror/view'
import { isolateHistory } from '@codemirror/commands'
import { ApiCallError } from '../../../shared/api-client'
import type {
  AppInfo,
  ExportFormat,
  GenerationParams,
  ImportedDocument,
  MenuCommand,
  ModelInfo,
  ModelSummary,
  Settings,
  StreamHandle
} from '../../../shared/contract'
import { MAX_IMPORT_BYTES } from '../../../shared/transport'
import {
  countWords,
  type DocumentContent,
  type DocumentSummary,
  type GapMark,
  type Revision,
  type RevisionSummary,
  type StoredDocument
} from '../../../shared/documents'
import { api } from './api'
import { base64ToBytes, downloadFile, fileToBase64, formatMegabytes } from './files'
import { createState, markGap, type EditorHandlers } from './editor/editor'
import { generated } from './editor/fill-field'
import { gapField, gaps, setGaps } from './editor/gap-field'
import { removeGap, sortGaps, withOptions, type GapOptions } from './gaps'
import { Run, type RunSnapshot } from './run'
import { throttle } from './throttle'

export interface Toast {
  id: number
  message: string
  kind: 'info' | 'warning' | 'error'
  action?: { label: string; run: () => void }
}

export type Panel = 'settings' | 'revisions' | null
export type SaveStatus = 'saved' | 'pending' | 'error'

const AUTOSAVE_MS = 300

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)
/** How the primary modifier is written in labels. */
export const MOD = isMac ? '⌘' : 'Ctrl'

export class InlayApp {
  info = $state<AppInfo | null>(null)
  connectionError = $state<string | null>(null)
  settings = $state<Settings | null>(null)
  model = $state<ModelInfo | null>(null)
  /** The models the app can switch to (Settings → Model). */
  models = $state<ModelSummary[]>([])

  docs = $state<DocumentSummary[]>([])
  query = $state('')
  current = $state<StoredDocument | null>(null)
  title = $state('')
  words = $state(0)
  gapList = $state<GapMark[]>([])
  saveStatus = $state<SaveStatus>('saved')
  loading = $state(true)

  run = $state<RunSnapshot | null>(null)
  panel = $state<Panel>(null)
  popover = $state<{ id: string; left: number; top: number } | null>(null)
  toasts = $state<Toast[]>([])

  revisions = $state<RevisionSummary[]>([])
  preview = $state<Revision | null>(null)

  /** Documents picked in the library for a joint export, in the order they were picked. */
  selection = $state<string[]>([])
  /** The export dialog, open for these documents. */
  exportDialog = $state<{ ids: string[] } | null>(null)
  exporting = $state(false)
  importing = $state(false)
  /** The format last exported, for one document and for several: the dialog starts there. */
  lastFormat = $state<{ single: ExportFormat; several: ExportFormat }>({ single: 'md', several: 'epub' })
  /** The desktop app's menu owns New, Import and Export's shortcuts; without it (browser mode) the page does. */
  readonly hasMenu = api.menu !== undefined

  view: EditorView | null = null
  private activeRun: Run | null = null
  private handle: StreamHandle | null = null
  private toastId = 0
  private modelTimer: ReturnType<typeof setTimeout> | null = null
  private importInput: HTMLInputElement | null = null
  private readonly autosave = throttle(
    ({ id, content }: { id: string; content: DocumentContent }) =>
      api.documents.saveDraft(id, content).then(
        () => {
          if (!this.autosave.pending) this.saveStatus = 'saved'
        },
        (err: unknown) => {
          this.saveStatus = 'error'
          this.notify(`Could not save the draft: ${message(err)}`, 'error')
        }
      ),
    AUTOSAVE_MS
  )

  readonly handlers: EditorHandlers = {
    generate: () => (void this.generate(), true),
    stop: () => this.stop(),
    save: () => (void this.save(), true),
    acceptAll: () => this.review((r) => r.acceptAll()),
    rejectAll: () => this.review((r) => r.rejectAll()),
    alternative: (delta) =>
      this.review(
        (r) => r.show(r.snapshot.shown + delta),
        (s) => s.alternatives > 1
      ),
    openGap: (id) => this.openGap(id),
    notice: (text) => this.notify(text),
    changed: (update) => this.changed(update)
  }

  // Start-up.

  async init(): Promise<void> {
    try {
      this.info = await api.app.info()
      this.settings = await api.settings.get()
    } catch (err) {
      this.connectionError = message(err)
      this.loading = false
      return
    }
    this.applyTheme()
    void this.pollModel()
    void this.loadModels()
    await this.refreshList()
    const last = this.settings.lastDocumentId
    const opened = last !== null && (await this.open(last, { quiet: true }))
    if (!opened) {
      const first = this.docs[0]
      if (!first || !(await this.open(first.id, { quiet: true }))) await this.createDocument()
    }
    this.loading = false
  }

  mountEditor(parent: HTMLElement): () => void {
    this.view = new EditorView({ parent, state: createState({ body: '', gaps: [] }, this.handlers) })
    if (this.current) this.load(this.current)
    return () => {
      this.view?.destroy()
      this.view = null
    }
  }

  async loadModels(): Promise<void> {
    try {
      this.models = await api.model.list()
    } catch (err) {
      this.notify(`Could not list the models: ${message(err)}`, 'error')
    }
  }

  /** Switches the model (the app loads it, then swaps); the choice is remembered. */
  async chooseModel(name: string): Promise<void> {
    if (this.model?.name === name) return
    this.model = this.model && { ...this.model, name, status: 'loading', progress: 0 }
    await this.updateSettings({ model: name })
    await Promise.all([this.pollModel(), this.loadModels()])
  }

  private async pollModel(): Promise<void> {
    try {
      this.model = await api.model.info()
    } catch (err) {
      this.model = null
      this.notify(`Could not ask about the model: ${message(err)}`, 'error')
      return
    }
    if (this.model.status === 'loading') this.modelTimer = setTimeout(() => void this.pollModel(), 500)
  }

  dispose(): void {
    if (this.modelTimer) clearTimeout(this.modelTimer)
    void this.autosave.flush()
  }

  // Notices.

  notify(text: string, kind: Toast['kind'] = 'info', action?: Toast['action']): void {
    const toast: Toast = { id: ++this.toastId, message: text, kind, action }
    this.toasts = [...this.toasts.filter((t) => t.message !== text), toast]
    setTimeout(() => this.dismiss(toast.id), action ? 10_000 : kind === 'info' ? 4000 : 8000)
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id)
  }

  // Library.

  async refreshList(): Promise<void> {
    try {
      const query = this.query.trim()
      this.docs = await api.documents.list(query === '' ? undefined : query)
    } catch (err) {
      this.notify(`Could not list the documents: ${message(err)}`, 'error')
    }
  }

  /** True (and says why) while a run holds the editor. */
  private blockedByRun(): boolean {
    if (!this.activeRun) return false
    this.notify('Finish the generation first: accept or reject it, or stop it.')
    return true
  }

  async open(id: string, options: { quiet?: boolean } = {}): Promise<boolean> {
    if (this.blockedByRun()) return false
    if (this.current?.id === id) {
      this.view?.focus()
      return true
    }
    await this.autosave.flush()
    try {
      const doc = await api.documents.open(id)
      this.load(doc)
      return true
    } catch (err) {
      if (!options.quiet) this.notify(`Could not open the document: ${message(err)}`, 'error')
      return false
    }
  }

  private load(doc: StoredDocument): void {
    this.current = doc
    this.title = doc.title
    this.popover = null
    this.preview = null
    this.saveStatus = 'saved'
    if (this.view) {
      this.view.setState(createState(doc, this.handlers))
      this.afterChange()
    }
    if (this.panel === 'revisions') void this.loadRevisions()
    this.syncSummary()
  }

  async createDocument(): Promise<void> {
    if (this.blockedByRun()) return
    await this.autosave.flush()
    try {
      const doc = await api.documents.create()
      this.load(doc)
      await this.refreshList()
      this.view?.focus()
    } catch (err) {
      this.notify(`Could not create a document: ${message(err)}`, 'error')
    }
  }

  async deleteDocument(id: string): Promise<void> {
    const doc = this.docs.find((d) => d.id === id)
    const isCurrent = this.current?.id === id
    if (isCurrent && this.blockedByRun()) return
    if (isCurrent) await this.autosave.flush()
    try {
      await api.documents.delete(id)
    } catch (err) {
      this.notify(`Could not delete the document: ${message(err)}`, 'error')
      return
    }
    this.selection = this.selection.filter((s) => s !== id)
    await this.refreshList()
    if (isCurrent) {
      this.current = null
      const next = this.docs[0]
      if (next) await this.open(next.id)
      else if (this.view) this.view.setState(createState({ body: '', gaps: [] }, this.handlers))
    }
    this.notify(`Deleted “${doc?.title || 'Untitled'}”.`, 'info', {
      label: 'Undo',
      run: () => void this.undoDelete(id)
    })
  }

  async undoDelete(id: string): Promise<void> {
    try {
      await api.documents.undoDelete(id)
    } catch (err) {
      this.notify(`Could not bring the document back: ${message(err)}`, 'error')
      return
    }
    await this.refreshList()
    await this.open(id)
  }

  setTitle(title: string): void {
    this.title = title
    this.scheduleSave()
  }

  async rename(): Promise<void> {
    const doc = this.current
    if (!doc || doc.title === this.title) return
    try {
      this.current = await api.documents.rename(doc.id, this.title)
      this.syncSummary()
    } catch (err) {
      this.notify(`Could not rename: ${message(err)}`, 'error')
    }
  }

  /** Keeps the open document's library entry in step with the editor without asking the store. */
  private syncSummary(): void {
    const doc = this.current
    if (!doc) return
    this.docs = this.docs.map((d) =>
      d.id === doc.id ? { ...d, title: this.title, words: this.words, updatedAt: Date.now() } : d
    )
  }

  // Editing and saving.

  content(): DocumentContent {
    const state = this.view?.state
    return { title: this.title, body: state?.doc.toString() ?? '', gaps: state ? sortGaps(gaps(state)) : [] }
  }

  private changed(update: ViewUpdate): void {
    const gapsChanged = update.startState.field(gapField, false) !== update.state.field(gapField, false)
    if (!update.docChanged && !gapsChanged) return
    this.afterChange()
    const byRun = update.transactions.some((tr) => tr.annotation(generated))
    if (!byRun) this.scheduleSave()
  }

  private afterChange(): void {
    const state = this.view?.state
    if (!state) return
    this.words = countWords(state.doc.toString())
    this.gapList = gaps(state)
    if (this.popover) this.placePopover(this.popover.id)
  }

  private scheduleSave(): void {
    const doc = this.current
    if (!doc || this.activeRun) return
    this.saveStatus = 'pending'
    this.autosave.push({ id: doc.id, content: this.content() })
    this.syncSummary()
  }

  async save(): Promise<void> {
    const doc = this.current
    if (!doc || this.blockedByRun()) return
    this.autosave.cancel()
    try {
      this.current = await api.documents.save(doc.id, this.content())
      this.saveStatus = 'saved'
      this.notify('Saved. A revision was created.')
      if (this.panel === 'revisions') await this.loadRevisions()
    } catch (err) {
      this.saveStatus = 'error'
      this.notify(`Could not save: ${message(err)}`, 'error')
    }
  }

  // Gaps.

  markGap(): void {
    const view = this.view
    if (!view) return
    markGap(view, this.handlers)
    if (!this.popover) view.focus()
  }

  openGap(id: string): void {
    this.placePopover(id)
  }

  private placePopover(id: string): void {
    const view = this.view
    const gap = this.gapList.find((g) => g.id === id) ?? (view ? gaps(view.state).find((g) => g.id === id) : undefined)
    if (!view || !gap) {
      this.popover = null
      return
    }
    const at = view.coordsAtPos(gap.from, -1) ?? view.coordsAtPos(gap.from, 1)
    const box = view.dom.getBoundingClientRect()
    const left = Math.max(8, Math.min((at?.left ?? box.left) - 12, window.innerWidth - 340))
    const top = Math.min((at?.bottom ?? box.top) + 8, window.innerHeight - 320)
    this.popover = { id, left, top }
  }

  closePopover(): void {
    this.popover = null
    this.view?.focus()
  }

  setGapOptions(id: string, options: GapOptions): void {
    const view = this.view
    if (!view) return
    const next = gaps(view.state).map((g) => (g.id === id ? withOptions(g, options) : g))
    view.dispatch({ effects: setGaps.of(next), annotations: isolateHistory.of('full'), userEvent: 'gap.options' })
    this.closePopover()
  }

  removeGap(id: string): void {
    const view = this.view
    if (!view) return
    view.dispatch({
      effects: setGaps.of(removeGap(gaps(view.state), id)),
      annotations: isolateHistory.of('full'),
      userEvent: 'gap.remove'
    })
    this.closePopover()
  }

  // Generation.

  async generate(): Promise<void> {
    const view = this.view
    const doc = this.current
    const settings = this.settings
    if (!view || !doc || !settings) return
    if (this.activeRun) {
      if (this.activeRun.snapshot.phase === 'review')
        this.notify('Accept or reject this generation first (or press Escape to stop a running one).')
      return
    }
    const content = this.content()
    if (content.gaps.length === 0) {
      this.notify('Mark a gap first: put the cursor where the model should write and press Mod-G.')
      return
    }
    if (this.model?.status === 'error') {
      this.notify(`The model could not be loaded: ${this.model.error ?? 'unknown error'}`, 'error')
      return
    }
    this.popover = null
    await this.autosave.flush()
    const params: GenerationParams = { ...settings.generation, seed: Math.floor(Math.random() * 2 ** 31) }
    // The run reports from its constructor on; those first reports are read from run.snapshot below.
    let created: Run | null = null
    const run = new Run(view, content, (snapshot) => {
      if (created) this.onRun(created, snapshot)
    })
    created = run
    this.activeRun = run
    this.run = run.snapshot
    const handle = api.generation.start({ documentId: doc.id, content, params }, (event) => {
      try {
        run.handle(event)
      } catch (err) {
        // The stream and the editor disagree (a bug): stop here and keep what is shown for review.
        run.stop()
        this.handle?.stop()
        this.notify(`The generation went out of step and was stopped: ${message(err)}`, 'error')
      }
    })
    this.handle = handle
    void handle.finished.then(() => {
      if (this.handle === handle) this.handle = null
      run.ended()
    })
    view.focus()
  }

  private onRun(run: Run, snapshot: RunSnapshot): void {
    if (this.activeRun !== run) return
    this.run = snapshot
    if (snapshot.phase === 'finished') {
      this.activeRun = null
      this.run = null
      if (snapshot.error) this.notify(`Generation failed: ${snapshot.error}`, 'error')
      this.afterChange()
      this.view?.focus()
    } else if (snapshot.phase === 'review' && snapshot.error) {
      this.notify(`The generation ended early: ${snapshot.error}. What it wrote is kept for review.`, 'error')
    }
  }

  /** Stops a running generation at once. */
  stop(): boolean {
    const run = this.activeRun
    if (!run) return false
    const phase = run.snapshot.phase
    if (phase !== 'running' && phase !== 'waiting') return phase === 'stopping'
    run.stop()
    this.handle?.stop()
    return true
  }

  /** Runs a review action when a run waits for review; false (so the key falls through) otherwise. */
  review(action: (run: Run) => void, when: (snapshot: RunSnapshot) => boolean = () => true): boolean {
    const run = this.activeRun
    if (!run || run.snapshot.phase !== 'review' || !when(run.snapshot)) return false
    action(run)
    return true
  }

  // Settings.

  async updateSettings(patch: Partial<Settings>): Promise<boolean> {
    try {
      this.settings = await api.settings.set(patch)
      this.applyTheme()
      return true
    } catch (err) {
      this.notify(`Could not change the settings: ${message(err)}`, 'error')
      return false
    }
  }

  /** Dark if light (or the system's light), light if dark. */
  toggleTheme(): void {
    const theme = this.settings?.theme
    if (!theme) return
    const dark = theme === 'dark' || (theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches)
    void this.updateSettings({ theme: dark ? 'light' : 'dark' })
  }

  private applyTheme(): void {
    if (this.settings) document.documentElement.dataset['theme'] = this.settings.theme
  }

  togglePanel(panel: Exclude<Panel, null>): void {
    this.panel = this.panel === panel ? null : panel
    if (this.panel === 'revisions') void this.loadRevisions()
  }

  // Revisions.

  async loadRevisions(): Promise<void> {
    const doc = this.current
    if (!doc) return
    try {
      await this.autosave.flush()
      this.revisions = await api.documents.revisions(doc.id)
    } catch (err) {
      this.notify(`Could not list the revisions: ${message(err)}`, 'error')
    }
  }

  async showRevision(revisionId: number): Promise<void> {
    try {
      this.preview = await api.documents.revision(revisionId)
    } catch (err) {
      this.notify(`Could not open the revision: ${message(err)}`, 'error')
    }
  }

  async restore(revisionId: number): Promise<void> {
    const doc = this.current
    const view = this.view
    if (!doc || !view || this.blockedByRun()) return
    await this.autosave.flush()
    let restored: StoredDocument
    try {
      restored = await api.documents.restore(doc.id, revisionId)
    } catch (err) {
      this.notify(`Could not restore the revision: ${message(err)}`, 'error')
      return
    }
    this.current = restored
    this.title = restored.title
    // One undoable step, like any edit.
    view.dispatch({
      changes: { from: 0, to: view.state.doc.length, insert: restored.body },
      effects: setGaps.of(restored.gaps),
      annotations: isolateHistory.of('full'),
      userEvent: 'revision.restore'
    })
    this.preview = null
    this.notify('Revision restored. The text before it was kept as a revision too.')
    await this.loadRevisions()
    view.focus()
  }

  // Export and import.

  toggleSelected(id: string): void {
    this.selection = this.selection.includes(id) ? this.selection.filter((s) => s !== id) : [...this.selection, id]
  }

  clearSelection(): void {
    this.selection = []
  }

  /** Opens the export dialog for these documents (the open one by default). */
  openExport(ids?: string[]): void {
    if (this.exportDialog) return
    const chosen = ids ?? (this.current ? [this.current.id] : [])
    if (chosen.length === 0) {
      this.notify('Open a document, or select some in the library, to export.')
      return
    }
    if (this.current && chosen.includes(this.current.id) && this.blockedByRun()) return
    this.popover = null
    this.exportDialog = { ids: chosen }
  }

  closeExport(): void {
    if (!this.exporting) this.exportDialog = null
  }

  /** Exports the dialog's documents: the open one's latest text is saved first; then a download, or a file saved. */
  async exportAs(format: ExportFormat): Promise<void> {
    const target = this.exportDialog
    if (!target || this.exporting) return
    const doc = this.current
    if (doc && target.ids.includes(doc.id)) {
      if (this.blockedByRun()) return
      this.scheduleSave()
      await this.autosave.flush()
      // The draft could not be saved (and the notice says why): exporting the stored text would lose the latest.
      if (this.saveStatus === 'error') return
    }
    this.lastFormat = { ...this.lastFormat, [target.ids.length > 1 ? 'several' : 'single']: format }
    this.exporting = true
    try {
      const outcome = await api.exports.documents(target.ids, format)
      if (outcome.kind === 'download') {
        downloadFile(outcome.fileName, outcome.mimeType, base64ToBytes(outcome.base64))
        this.notify(`Exported “${outcome.fileName}”.`)
      } else if (outcome.kind === 'saved') {
        this.notify(`Saved to ${outcome.path}`)
      }
    } catch (err) {
      // The service's own messages say what is wrong ("Nothing to export: … is empty").
      this.notify(err instanceof ApiCallError ? err.message : `Could not export: ${message(err)}`, 'error')
    } finally {
      this.exporting = false
      this.exportDialog = null
    }
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
      this.notify(
        `Cannot import “${file.name}”: it is ${formatMegabytes(file.size)}, over the ${formatMegabytes(MAX_IMPORT_BYTES)} limit.`,
        'error'
      )
      return
    }
    this.importing = true
    try {
      const imported = await api.exports.importDocument(file.name, await fileToBase64(file))
      await this.openImported(imported)
    } catch (err) {
      this.notify(
        err instanceof ApiCallError ? err.message : `Could not import “${file.name}”: ${message(err)}`,
        'error'
      )
    } finally {
      this.importing = false
    }
  }

  /** A document the service just imported (from the file input, or from the desktop menu): open it. */
  async openImported(imported: ImportedDocument): Promise<void> {
    const { warnings, ...doc } = imported
    const title = doc.title || 'Untitled'
    await this.refreshList()
    if (this.activeRun) {
      this.notify(`Imported “${title}”. It is in the library; finish the generation to open it.`)
    } else {
      await this.autosave.flush()
      this.load(doc)
      this.notify(`Imported “${title}”.`)
      this.view?.focus()
    }
    for (const warning of warnings) this.notify(warning, 'warning')
  }

  // The desktop app's menu.

  /** Listens to the application menu (Electron); returns the unsubscribe, a no-op in browser mode. */
  listenToMenu(): () => void {
    return api.menu?.onCommand((command) => this.menuCommand(command)) ?? (() => {})
  }

  menuCommand(command: MenuCommand): void {
    switch (command.kind) {
      case 'new':
        if (!this.exportDialog) void this.createDocument()
        break
      case 'export':
        this.openExport()
        break
      case 'save':
        if (!this.exportDialog) void this.save()
        break
      case 'toggle-theme':
        this.toggleTheme()
        break
      case 'imported':
        void this.openImported(command.document)
        break
      case 'import-failed':
        this.notify(command.message, 'error')
        break
    }
  }
}
