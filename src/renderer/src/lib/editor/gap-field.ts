// Gap marks as editor state: a field mapped through every edit, set by one effect whose inverse the history
// keeps (so undo brings back gaps a generation consumed, or an edit deleted), and drawn as decorations.
import { EditorState, StateEffect, StateField, type Extension, type Range } from '@codemirror/state'
import { Decoration, EditorView, WidgetType, type DecorationSet } from '@codemirror/view'
import { invertedEffects } from '@codemirror/commands'
import type { GapMark } from '../../../../shared/documents'
import { describeGap, mapGaps } from '../gaps'
import { buttonElement } from './widgets'

/** Replaces the gap marks; the value is in the coordinates of the document after the transaction's changes. */
export const setGaps = StateEffect.define<GapMark[]>({ map: (gaps, changes) => mapGaps(gaps, changes) })

export const gapField = StateField.define<GapMark[]>({
  create: () => [],
  update(gaps, tr) {
    let next = tr.docChanged ? mapGaps(gaps, tr.changes) : gaps
    for (const effect of tr.effects) if (effect.is(setGaps)) next = effect.value
    return next
  }
})

/** Undo restores the gaps a transaction set or an edit removed; redo takes them away again. */
const gapHistory = invertedEffects.of((tr) => {
  const before = tr.startState.field(gapField, false)
  if (!before) return []
  const setsGaps = tr.effects.some((e) => e.is(setGaps))
  const lost = tr.docChanged && tr.state.field(gapField).length < before.length
  return setsGaps || lost ? [setGaps.of(before)] : []
})

export function gaps(state: EditorState): GapMark[] {
  return state.field(gapField, false) ?? []
}

/** The badge drawn where a gap starts: the insertion point itself, or the start of a rewrite range. */
class GapBadge extends WidgetType {
  constructor(
    readonly id: string,
    readonly number: number,
    readonly description: string,
    readonly rewrite: boolean
  ) {
    super()
  }

  eq(other: GapBadge): boolean {
    return (
      other.id === this.id &&
      other.number === this.number &&
      other.description === this.description &&
      other.rewrite === this.rewrite
    )
  }

  toDOM(): HTMLElement {
    const what = this.rewrite ? 'Rewrite gap' : 'Gap'
    const label = `${what} ${this.number}${this.description ? ` (${this.description})` : ''}: click or press Mod-G at it for options`
    const el = buttonElement(this.rewrite ? 'cm-gap cm-gap-badge-rewrite' : 'cm-gap', label)
    el.dataset['gapId'] = this.id
    el.dataset['label'] = String(this.number)
    return el
  }

  ignoreEvent(): boolean {
    return false
  }
}

function gapDecorations(gapList: readonly GapMark[]): DecorationSet {
  const ranges: Range<Decoration>[] = []
  gapList.forEach((gap, i) => {
    const rewrite = gap.from < gap.to
    ranges.push(
      Decoration.widget({ widget: new GapBadge(gap.id, i + 1, describeGap(gap), rewrite), side: -1 }).range(gap.from)
    )
    if (rewrite) {
      ranges.push(
        Decoration.mark({ class: 'cm-gap-rewrite', attributes: { 'data-gap-range': gap.id } }).range(gap.from, gap.to)
      )
    }
  })
  return Decoration.set(ranges, true)
}

const gapDecorationField = StateField.define<DecorationSet>({
  create: (state) => gapDecorations(gaps(state)),
  update(decorations, tr) {
    const before = tr.startState.field(gapField, false)
    const after = tr.state.field(gapField, false)
    if (before === after && !tr.docChanged) return decorations
    return gapDecorations(after ?? [])
  },
  provide: (f) => EditorView.decorations.from(f)
})

export function gapExtension(initial: GapMark[]): Extension {
  return [gapField.init(() => initial), gapHistory, gapDecorationField]
}
