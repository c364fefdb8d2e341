// The missing-text map as editor state: the places where the model expects text to be missing, shaded by how
// much, mapped through every edit (the writer keeps writing while the map is read), drawn as widgets between
// characters, and turned into a gap by a click or by Enter at one. The map never changes the text.
import {
  ChangeSet,
  EditorSelection,
  MapMode,
  StateEffect,
  StateField,
  type ChangeDesc,
  type EditorState,
  type Extension,
  type Range,
  type TransactionSpec
} from '@codemirror/state'
import { Decoration, EditorView, WidgetType, type DecorationSet } from '@codemirror/view'
import { isolateHistory } from '@codemirror/commands'
import type { MissingMark } from '../../../../shared/contract'
import { addGap } from '../gaps'
import { aboutWords } from '../lengths'
import { gaps, setGaps } from './gap-field'
import { buttonElement } from './widgets'

/** A place on the map, in the editor's current text. */
export interface MapMark {
  at: number
  tokens: number
}

interface MapState {
  /** The scan the marks come from; null: no map. */
  scan: number | null
  marks: MapMark[]
  /** The edits since the scan took its text: what maps the scan's offsets into the current text. */
  since: ChangeDesc
  /** Marks expecting fewer tokens than this are not shown. */
  threshold: number
}

/** A new map: the scan `scan` reads the editor's text as it is now; marks from earlier scans are dropped. */
export const startMap = StateEffect.define<{ scan: number; threshold: number }>()
/** Marks a scan found, at offsets in the text it read. */
export const addMarks = StateEffect.define<{ scan: number; marks: readonly MissingMark[] }>()
/** Shows only the marks expecting at least this many tokens. */
export const showFrom = StateEffect.define<number>()
export const clearMap = StateEffect.define<null>()
/** Takes the mark at a position off the map (it became a gap). */
const dropMark = StateEffect.define<number>()

const empty = (state: EditorState): MapState => ({
  scan: null,
  marks: [],
  since: ChangeSet.empty(state.doc.length).desc,
  threshold: 0
})

function mapMarks(marks: readonly MapMark[], changes: ChangeDesc): MapMark[] {
  const mapped: MapMark[] = []
  for (const mark of marks) {
    // A deletion across the place takes the mark with it.
    const at = changes.mapPos(mark.at, -1, MapMode.TrackDel)
    if (at !== null) mapped.push(at === mark.at ? mark : { ...mark, at })
  }
  return mapped
}

const mapField = StateField.define<MapState>({
  create: empty,
  update(value, tr) {
    let next = value
    if (tr.docChanged && value.scan !== null) {
      next = { ...next, marks: mapMarks(next.marks, tr.changes), since: next.since.composeDesc(tr.changes.desc) }
    }
    for (const effect of tr.effects) {
      if (effect.is(startMap)) {
        next = { ...empty(tr.state), scan: effect.value.scan, threshold: effect.value.threshold }
      } else if (effect.is(addMarks) && effect.value.scan === next.scan) {
        const found = mapMarks(
          effect.value.marks.map((m) => ({ at: m.offset, tokens: m.tokens })),
          next.since
        )
        next = { ...next, marks: [...next.marks, ...found].sort((a, b) => a.at - b.at) }
      } else if (effect.is(showFrom)) {
        next = { ...next, threshold: effect.value }
      } else if (effect.is(dropMark)) {
        next = { ...next, marks: next.marks.filter((m) => m.at !== effect.value) }
      } else if (effect.is(clearMap)) {
        next = empty(tr.state)
      }
    }
    return next
  }
})

/** The marks shown now (at least the threshold, or the one given), in text order. */
export function shownMarks(state: EditorState, threshold?: number): MapMark[] {
  const map = state.field(mapField, false)
  return map ? map.marks.filter((m) => m.tokens >= (threshold ?? map.threshold)) : []
}

/** The first shown mark after a position, else the first one (the search wraps); null when none is shown. */
export function nextMark(state: EditorState, pos: number): MapMark | null {
  const marks = shownMarks(state)
  return marks.find((m) => m.at > pos) ?? marks[0] ?? null
}

/** Shading: how much the model expects missing, in four steps (tokens at which each step starts). */
const LEVELS = [0, 3, 8, 20]

class MissingWidget extends WidgetType {
  constructor(
    readonly tokens: number,
    readonly current: boolean
  ) {
    super()
  }
  eq(other: MissingWidget): boolean {
    return other.tokens === this.tokens && other.current === this.current
  }
  toDOM(): HTMLElement {
    const level = LEVELS.filter((start) => this.tokens >= start).length
    const el = buttonElement(
      `cm-missing cm-missing-${level}${this.current ? ' cm-missing-current' : ''}`,
      `${aboutWords(this.tokens)} missing here, the model expects: click, or press Enter with the cursor here, to make it a gap`
    )
    el.dataset['tokens'] = this.tokens.toFixed(1)
    return el
  }
  ignoreEvent(): boolean {
    return false
  }
}

function mapDecorations(state: EditorState): DecorationSet {
  const cursor = state.selection.main
  const ranges: Range<Decoration>[] = shownMarks(state).map((m) =>
    Decoration.widget({ widget: new MissingWidget(m.tokens, cursor.empty && cursor.head === m.at), side: 1 }).range(
      m.at
    )
  )
  return Decoration.set(ranges, true)
}

const mapDecorationField = StateField.define<DecorationSet>({
  create: mapDecorations,
  update(decorations, tr) {
    const changed = tr.startState.field(mapField, false) !== tr.state.field(mapField, false)
    return changed || tr.selection ? mapDecorations(tr.state) : decorations
  },
  provide: (f) => EditorView.decorations.from(f)
})

/**
 * Turns the shown mark at `pos` into a gap (one undoable step); false when no mark is shown there. While a
 * generation holds the editor, says so instead.
 */
export function markToGap(
  view: { readonly state: EditorState; dispatch(spec: TransactionSpec): void },
  pos: number,
  notice: (message: string) => void
): boolean {
  if (!shownMarks(view.state).some((m) => m.at === pos)) return false
  if (view.state.readOnly) {
    notice('Finish the current generation first.')
    return true
  }
  const result = addGap(gaps(view.state), pos, pos)
  if (!result.ok) {
    notice(result.reason)
    return true
  }
  view.dispatch({
    effects: [setGaps.of(result.gaps), dropMark.of(pos)],
    selection: EditorSelection.cursor(pos),
    annotations: isolateHistory.of('full'),
    userEvent: 'gap.mark'
  })
  return true
}

export function missingExtension(): Extension {
  return [mapField, mapDecorationField]
}

/** Whether a transaction changed the map (its marks, threshold or scan). */
export function mapChanged(startState: EditorState, state: EditorState): boolean {
  return startState.field(mapField, false) !== state.field(mapField, false)
}
