// What the editor shows while a generation runs and while its result is reviewed: each gap's generated span
// (pending, accepted or rejected), an insertion point for a gap still empty, each new insertion briefly
// highlighted, fading out, and (models with a length head) how much the model still expects in each gap.
import {
  Annotation,
  Compartment,
  EditorState,
  StateEffect,
  StateField,
  type Extension,
  type Range
} from '@codemirror/state'
import { Decoration, EditorView, ViewPlugin, WidgetType, type DecorationSet, type ViewUpdate } from '@codemirror/view'
import type { Span } from '../fill'
import { aboutWords } from '../lengths'

export type Decision = 'pending' | 'accepted' | 'rejected'

export interface FillSpan extends Span {
  decision: Decision
  /** While streaming, with a length head: the tokens the model expects still missing in this gap. */
  remaining: number | null
}

/** Marks the transactions a generation makes itself (streamed insertions, swaps, revert), so autosave skips them. */
export const generated = Annotation.define<boolean>()

/** Sets the spans to draw (null: no run). In the coordinates after the transaction's changes. */
export const setFillSpans = StateEffect.define<FillSpan[] | null>()
/** Highlights a fresh insertion. */
export const flash = StateEffect.define<{ from: number; to: number }>({
  map: (v, changes) => ({ from: changes.mapPos(v.from, 1), to: changes.mapPos(v.to, -1) })
})
const fadeTick = StateEffect.define<number>()

export const FLASH_MS = 1600
const FLASH_BUCKETS = 5

interface FillState {
  spans: FillSpan[] | null
  flashes: { from: number; to: number; born: number }[]
  now: number
}

const fillField = StateField.define<FillState>({
  create: () => ({ spans: null, flashes: [], now: 0 }),
  update(value, tr) {
    let { spans, flashes, now } = value
    if (tr.docChanged) {
      if (spans)
        spans = spans.map((s) => ({ ...s, from: tr.changes.mapPos(s.from, 1), to: tr.changes.mapPos(s.to, 1) }))
      flashes = flashes
        .map((f) => ({ ...f, from: tr.changes.mapPos(f.from, 1), to: tr.changes.mapPos(f.to, -1) }))
        .filter((f) => f.to > f.from)
    }
    for (const effect of tr.effects) {
      if (effect.is(setFillSpans)) {
        spans = effect.value
        if (!spans) flashes = []
      } else if (effect.is(flash)) {
        now = Date.now()
        flashes = [...flashes, { ...effect.value, born: now }]
      } else if (effect.is(fadeTick)) {
        now = effect.value
        flashes = flashes.filter((f) => now - f.born < FLASH_MS)
      }
    }
    return spans === value.spans && flashes === value.flashes && now === value.now ? value : { spans, flashes, now }
  },
  provide: (f) => EditorView.decorations.from(f, fillDecorations)
})

class EmptyGapMarker extends WidgetType {
  constructor(readonly decision: Decision) {
    super()
  }
  eq(other: EmptyGapMarker): boolean {
    return other.decision === this.decision
  }
  toDOM(): HTMLElement {
    const el = document.createElement('span')
    el.className = `cm-fill-empty cm-fill-${this.decision}`
    el.setAttribute('aria-hidden', 'true')
    return el
  }
}

/** After a gap's text while it streams: how much more the model expects there (drawn by CSS: no text in the line). */
class RemainingBadge extends WidgetType {
  constructor(
    readonly id: string,
    readonly label: string
  ) {
    super()
  }
  eq(other: RemainingBadge): boolean {
    return other.id === this.id && other.label === this.label
  }
  toDOM(): HTMLElement {
    const el = document.createElement('span')
    el.className = 'cm-fill-remaining'
    el.dataset['fillRemaining'] = this.id
    el.dataset['text'] = this.label
    el.title = `The model expects ${this.label} more in this gap`
    el.setAttribute('aria-hidden', 'true')
    return el
  }
}

function fillDecorations(state: FillState): DecorationSet {
  if (!state.spans) return Decoration.none
  const ranges: Range<Decoration>[] = []
  state.spans.forEach((span, i) => {
    const attributes = { 'data-fill-gap': span.id, 'data-fill-number': String(i + 1) }
    if (span.from === span.to)
      ranges.push(Decoration.widget({ widget: new EmptyGapMarker(span.decision), side: -1 }).range(span.from))
    else
      ranges.push(Decoration.mark({ class: `cm-fill cm-fill-${span.decision}`, attributes }).range(span.from, span.to))
    if (span.remaining !== null) {
      const badge = new RemainingBadge(span.id, aboutWords(span.remaining))
      ranges.push(Decoration.widget({ widget: badge, side: 1 }).range(span.to))
    }
  })
  for (const f of state.flashes) {
    const bucket = Math.min(FLASH_BUCKETS - 1, Math.floor(((state.now - f.born) / FLASH_MS) * FLASH_BUCKETS))
    ranges.push(Decoration.mark({ class: `cm-flash cm-flash-${Math.max(0, bucket)}` }).range(f.from, f.to))
  }
  return Decoration.set(ranges, true)
}

/** Drives the fade: while highlights are alive, ticks a few times a second. */
const fader = ViewPlugin.fromClass(
  class {
    timer: ReturnType<typeof setInterval> | null = null
    constructor(readonly view: EditorView) {
      this.sync()
    }
    update(update: ViewUpdate) {
      if (update.transactions.length > 0) this.sync()
    }
    sync() {
      const alive = this.view.state.field(fillField).flashes.length > 0
      if (alive && !this.timer) {
        this.timer = setInterval(
          () => this.view.dispatch({ effects: fadeTick.of(Date.now()) }),
          FLASH_MS / FLASH_BUCKETS
        )
      } else if (!alive && this.timer) {
        clearInterval(this.timer)
        this.timer = null
      }
    }
    destroy() {
      if (this.timer) clearInterval(this.timer)
    }
  }
)

export function fillSpans(state: EditorState): FillSpan[] | null {
  return state.field(fillField, false)?.spans ?? null
}

export function flashCount(state: EditorState): number {
  return state.field(fillField, false)?.flashes.length ?? 0
}

/** Read-only while a run streams or waits for review: the writer's text cannot change under the model. */
export const lock = new Compartment()

export function lockEffect(locked: boolean): StateEffect<unknown> {
  return lock.reconfigure(locked ? [EditorState.readOnly.of(true), EditorView.editable.of(true)] : [])
}

export function fillExtension(): Extension {
  return [fillField, fader, lock.of([])]
}
