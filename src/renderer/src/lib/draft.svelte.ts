// The open document in the editor: its title, what the editor shows (words, gaps, the gap popover) and saving,
// both the autosaved draft and the revisions the writer saves.
import { EditorView, type ViewUpdate } from '@codemirror/view'
import { isolateHistory } from '@codemirror/commands'
import type { InlayApi } from '../../../shared/contract'
import { countWords, type DocumentContent, type GapMark, type StoredDocument } from '../../../shared/documents'
import { createState, markGap, type EditorHandlers } from './editor/editor'
import { generated } from './editor/fill-field'
import { gapField, gaps, setGaps } from './editor/gap-field'
import { removeGap, sortGaps, withOptions, type GapOptions } from './gaps'
import type { Library } from './library.svelte'
import type { Notices } from './notices.svelte'
import { throttle } from './throttle'

export type SaveStatus = 'saved' | 'pending' | 'error'

const AUTOSAVE_MS = 300

export class Draft {
  current = $state<StoredDocument | null>(null)
  title = $state('')
  words = $state(0)
  gapList = $state<GapMark[]>([])
  saveStatus = $state<SaveStatus>('saved')
  popover = $state<{ id: string; left: number; top: number } | null>(null)

  view: EditorView | null = null
  private readonly autosave = throttle(
    ({ id, content }: { id: string; content: DocumentContent }) =>
      this.notices
        .attempt('Could not save the draft', () => this.api.saveDraft(id, content))
        .then((saved) => {
          if (!saved) this.saveStatus = 'error'
          else if (!this.autosave.pending) this.saveStatus = 'saved'
        }),
    AUTOSAVE_MS
  )

  /** `locked` says whether a generation holds the editor: what it writes is not the writer's draft yet. */
  constructor(
    private readonly api: InlayApi['documents'],
    private readonly notices: Notices,
    private readonly library: Library,
    private readonly handlers: EditorHandlers,
    private readonly locked: () => boolean
  ) {}

  mount(parent: HTMLElement): () => void {
    this.view = new EditorView({ parent, state: createState({ body: '', gaps: [] }, this.handlers) })
    return () => {
      this.view?.destroy()
      this.view = null
    }
  }

  load(doc: StoredDocument): void {
    this.current = doc
    this.title = doc.title
    this.popover = null
    this.saveStatus = 'saved'
    if (this.view) {
      this.view.setState(createState(doc, this.handlers))
      this.afterChange()
    }
    this.touch()
  }

  /** The editor empties: the open document was deleted and no other is left. */
  clear(): void {
    this.view?.setState(createState({ body: '', gaps: [] }, this.handlers))
  }

  /** Puts a stored version of the open document (a restored revision) in the editor as one undoable step. */
  replace(doc: StoredDocument): void {
    this.current = doc
    this.title = doc.title
    const view = this.view
    if (view)
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: doc.body },
        effects: setGaps.of(doc.gaps),
        annotations: isolateHistory.of('full'),
        userEvent: 'revision.restore'
      })
  }

  content(): DocumentContent {
    const state = this.view?.state
    return { title: this.title, body: state?.doc.toString() ?? '', gaps: state ? sortGaps(gaps(state)) : [] }
  }

  changed(update: ViewUpdate): void {
    const gapsChanged = update.startState.field(gapField, false) !== update.state.field(gapField, false)
    if (!update.docChanged && !gapsChanged) return
    this.afterChange()
    const byRun = update.transactions.some((tr) => tr.annotation(generated))
    if (!byRun) this.scheduleSave()
  }

  /** Reads the word count and the gaps off the editor; an open popover follows its gap. */
  afterChange(): void {
    const state = this.view?.state
    if (!state) return
    this.words = countWords(state.doc.toString())
    this.gapList = gaps(state)
    if (this.popover) this.placePopover(this.popover.id)
  }

  // Saving.

  setTitle(title: string): void {
    this.title = title
    this.scheduleSave()
  }

  async rename(): Promise<void> {
    const doc = this.current
    if (!doc || doc.title === this.title) return
    await this.notices.attempt('Could not rename', async () => {
      this.current = await this.api.rename(doc.id, this.title)
      this.touch()
    })
  }

  /** Writes any pending draft now (before switching documents, generating, or leaving). */
  flush(): Promise<void> {
    return this.autosave.flush()
  }

  /** Writes the latest draft at once; false when it could not be saved (a notice says why). */
  async saveNow(): Promise<boolean> {
    this.scheduleSave()
    await this.autosave.flush()
    return this.saveStatus !== 'error'
  }

  /** Saves a revision; true when it was saved. */
  async save(): Promise<boolean> {
    const doc = this.current
    if (!doc) return false
    this.autosave.cancel()
    const saved = await this.notices.attempt('Could not save', async () => {
      this.current = await this.api.save(doc.id, this.content())
    })
    this.saveStatus = saved ? 'saved' : 'error'
    if (saved) this.notices.notify('Saved. A revision was created.')
    return saved
  }

  private scheduleSave(): void {
    const doc = this.current
    if (!doc || this.locked()) return
    this.saveStatus = 'pending'
    this.autosave.push({ id: doc.id, content: this.content() })
    this.touch()
  }

  private touch(): void {
    if (this.current) this.library.touch(this.current.id, this.title, this.words)
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
}
