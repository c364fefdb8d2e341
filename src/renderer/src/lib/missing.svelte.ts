// "Where is something missing?": reads the open draft with the model's length head, window by window, in the
// background, and puts what it finds on the editor's map (./editor/missing-field). The text never changes; the
// writer keeps writing, stops the reading, shows more or fewer places, and turns a place into a gap.
import { EditorSelection } from '@codemirror/state'
import type { ViewUpdate } from '@codemirror/view'
import type { InlayApi, MissingEvent, StreamHandle } from '../../../shared/contract'
import type { Draft } from './draft.svelte'
import { addMarks, clearMap, mapChanged, nextMark, shownMarks, showFrom, startMap } from './editor/missing-field'
import { WORDS_PER_TOKEN } from './lengths'
import type { Notices } from './notices.svelte'

export type MapPhase = 'reading' | 'stopping' | 'done' | 'stopped' | 'failed'

export interface MapReport {
  phase: MapPhase
  /** Windows read, of how many (0 of 0 until the first one is done). */
  done: number
  total: number
  /** Places shown now (at least the threshold), and found in all. */
  shown: number
  found: number
  /** Why the map could not be made (a model without a length head says so here). */
  error: string | null
}

/** The threshold control counts words: from one word up to this many. */
export const MAX_SHOWN_WORDS = 20
const DEFAULT_SHOWN_WORDS = 2
/** The scan reports every place with at least a word missing; the threshold control picks among them. */
const SCAN_FLOOR_TOKENS = 1 / WORDS_PER_TOKEN

export class MissingMap {
  /** The map's latest report; null when no map is shown. */
  report = $state<MapReport | null>(null)
  /** Show the places where the model expects at least this many words. */
  words = $state(DEFAULT_SHOWN_WORDS)
  private handle: StreamHandle | null = null
  private scans = 0

  constructor(
    private readonly api: InlayApi['missing'],
    private readonly notices: Notices,
    private readonly draft: Draft,
    private readonly generation: { blocks(): boolean }
  ) {}

  get reading(): boolean {
    return this.handle !== null
  }

  /** Starts reading the draft as it is now. */
  start(): void {
    const view = this.draft.view
    if (!view || !this.draft.current || this.generation.blocks()) return
    if (this.handle) {
      this.notices.notify('The draft is already being read for missing text: wait, or press Escape to stop it.')
      return
    }
    const scan = ++this.scans
    const text = view.state.doc.toString()
    this.report = { phase: 'reading', done: 0, total: 0, shown: 0, found: 0, error: null }
    view.dispatch({ effects: startMap.of({ scan, threshold: this.thresholdTokens() }) })
    const handle = this.api.start({ text, threshold: SCAN_FLOOR_TOKENS }, (event) => this.onEvent(scan, event))
    this.handle = handle
    void handle.finished.then(() => {
      if (this.handle !== handle) return
      this.handle = null
      // A stream that ended without saying how (a lost connection reports an error first).
      if (this.report?.phase === 'reading' || this.report?.phase === 'stopping') this.setPhase('stopped')
    })
  }

  private onEvent(scan: number, event: MissingEvent): void {
    if (scan !== this.scans || !this.report) return
    switch (event.type) {
      case 'window':
        this.report = { ...this.report, done: event.done, total: event.total }
        this.draft.view?.dispatch({ effects: addMarks.of({ scan, marks: event.marks }) })
        break
      case 'done':
        this.report = { ...this.report, done: event.done, total: event.total }
        this.setPhase(event.aborted ? 'stopped' : 'done')
        break
      case 'error':
        this.report = { ...this.report, phase: 'failed', error: event.message }
        break
    }
  }

  private setPhase(phase: MapPhase): void {
    if (this.report) this.report = { ...this.report, phase }
  }

  /** Stops the reading; what was found so far stays on the map. False when nothing is being read. */
  stop(): boolean {
    if (!this.handle) return false
    this.handle.stop()
    if (this.report?.phase === 'reading') this.setPhase('stopping')
    return true
  }

  /** Stops the reading and waits until the model is free (the model does one thing at a time). */
  async stopAndWait(): Promise<void> {
    const handle = this.handle
    if (!handle) return
    this.stop()
    await handle.finished
  }

  /** Takes the map away (and stops reading). */
  clear(): void {
    this.stop()
    this.scans++
    this.handle = null
    this.report = null
    this.draft.view?.dispatch({ effects: clearMap.of(null) })
  }

  setWords(words: number): void {
    this.words = words
    this.draft.view?.dispatch({ effects: showFrom.of(this.thresholdTokens()) })
  }

  /** Puts the cursor at the next place shown after it (Enter there makes it a gap). */
  next(): void {
    const view = this.draft.view
    if (!view) return
    const mark = nextMark(view.state, view.state.selection.main.head)
    if (!mark) return
    view.dispatch({ selection: EditorSelection.cursor(mark.at), scrollIntoView: true })
    view.focus()
  }

  /** Follows the editor: the counts change as places are found, shown, edited away or made gaps. */
  changed(update: Pick<ViewUpdate, 'startState' | 'state'>): void {
    if (!this.report || !mapChanged(update.startState, update.state)) return
    const shown = shownMarks(update.state).length
    const found = shownMarks(update.state, 0).length
    if (shown !== this.report.shown || found !== this.report.found) this.report = { ...this.report, shown, found }
  }

  private thresholdTokens(): number {
    return this.words / WORDS_PER_TOKEN
  }
}
