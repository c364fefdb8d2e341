// The text of a generation run, as the editor shows it: the fixed text (the body without the rewrite ranges,
// from fillLayout) with each gap's generated text at its place. Insertion events, replay up to a step, and the
// changes that swap one set of gap texts for another are all computed here, without a view.
import type { InsertionEventData } from '../../../shared/contract'
import type { GapMark } from '../../../shared/documents'
import type { FillLayout } from '../../../shared/segments'

export interface Span {
  id: string
  from: number
  to: number
}

/** A change in the coordinates of the text before it (so a list of them is a CodeMirror ChangeSpec). */
export interface TextChange {
  from: number
  to: number
  insert: string
}

export class FillText {
  /** Generated text per gap, in gap order. */
  readonly texts: string[]

  constructor(
    readonly layout: FillLayout,
    texts?: readonly string[]
  ) {
    this.texts = texts ? [...texts] : layout.gaps.map(() => '')
  }

  get gapIds(): string[] {
    return this.layout.gaps.map((g) => g.mark.id)
  }

  indexOf(gapId: string): number {
    return this.layout.gaps.findIndex((g) => g.mark.id === gapId)
  }

  /** Where each gap's text lies in the current text. */
  spans(): Span[] {
    let shift = 0
    return this.layout.gaps.map(({ mark, at }, i) => {
      const from = at + shift
      shift += this.texts[i]!.length
      return { id: mark.id, from, to: from + this.texts[i]!.length }
    })
  }

  text(): string {
    let out = ''
    let cursor = 0
    this.layout.gaps.forEach(({ at }, i) => {
      out += this.layout.text.slice(cursor, at) + this.texts[i]
      cursor = at
    })
    return out + this.layout.text.slice(cursor)
  }

  /**
   * Whether a text (the editor's document) is exactly this one: every piece of fixed text intact and each gap's
   * text in its place. Compares piece by piece, without building the whole string.
   */
  isShownBy(doc: { readonly length: number; sliceString(from: number, to: number): string }): boolean {
    const length = this.texts.reduce((n, t) => n + t.length, this.layout.text.length)
    if (doc.length !== length) return false
    let fixed = 0
    let shown = 0
    const piece = (text: string): boolean => {
      const same = doc.sliceString(shown, shown + text.length) === text
      shown += text.length
      return same
    }
    for (const [i, { at }] of this.layout.gaps.entries()) {
      if (!piece(this.layout.text.slice(fixed, at)) || !piece(this.texts[i]!)) return false
      fixed = at
    }
    return piece(this.layout.text.slice(fixed))
  }

  /**
   * Applies one insertion event and returns where it went. The event's offset counts in the current text and
   * must lie in its gap's span (the engine inserts only inside gaps).
   */
  apply(event: Pick<InsertionEventData, 'gapId' | 'charOffset' | 'text'>): TextChange {
    const index = this.indexOf(event.gapId)
    if (index < 0) throw new Error(`Insertion into an unknown gap "${event.gapId}"`)
    const span = this.spans()[index]!
    if (event.charOffset < span.from || event.charOffset > span.to) {
      throw new Error(
        `Insertion at ${event.charOffset} lies outside gap "${event.gapId}" (${span.from}..${span.to}); the run is out of step`
      )
    }
    const within = event.charOffset - span.from
    const current = this.texts[index]!
    this.texts[index] = current.slice(0, within) + event.text + current.slice(within)
    return { from: event.charOffset, to: event.charOffset, insert: event.text }
  }

  /** The changes that turn this text into the same layout with other gap texts (touching only what differs). */
  changesTo(next: readonly string[]): TextChange[] {
    const changes: TextChange[] = []
    this.spans().forEach((span, i) => {
      const target = next[i] ?? ''
      const current = this.texts[i]!
      if (target === current) return
      // Keep a shared prefix and suffix so the cursor and highlights around them stay put.
      let start = 0
      while (start < current.length && start < target.length && current[start] === target[start]) start++
      let end = 0
      while (
        end < current.length - start &&
        end < target.length - start &&
        current[current.length - 1 - end] === target[target.length - 1 - end]
      )
        end++
      changes.push({
        from: span.from + start,
        to: span.to - end,
        insert: target.slice(start, target.length - end)
      })
    })
    return changes
  }
}

/** The events of one alternative, in the order they were made. */
export function eventsOf(events: readonly InsertionEventData[], alternative: number): InsertionEventData[] {
  return events.filter((e) => e.alternative === alternative)
}

/** Rebuilds an alternative's text from its first `count` insertions (all of them by default). */
export function replay(
  layout: FillLayout,
  events: readonly InsertionEventData[],
  alternative: number,
  count = Infinity
): FillText {
  const fill = new FillText(layout)
  let applied = 0
  for (const event of events) {
    if (event.alternative !== alternative) continue
    if (applied >= count) break
    fill.apply(event)
    applied++
  }
  return fill
}

/** The alternatives a run produced, by number, from its events (an alternative with no insertion still counts). */
export function alternativeCount(events: readonly InsertionEventData[], reported = 0): number {
  let n = reported
  for (const e of events) n = Math.max(n, e.alternative + 1)
  return Math.max(n, 1)
}

/**
 * The one change that takes the draft as it was before the run (the body with its gap marks) to the draft with
 * each gap's final text: a rewrite range is replaced, an insertion point receives its text. A gap whose final
 * text is `null` is left as it was (rejected).
 */
export function netChanges(
  original: { body: string; gaps: readonly GapMark[] },
  finals: ReadonlyMap<string, string | null>
): TextChange[] {
  const changes: TextChange[] = []
  for (const gap of original.gaps) {
    const text = finals.get(gap.id)
    if (text === null || text === undefined) continue
    if (original.body.slice(gap.from, gap.to) === text) continue
    changes.push({ from: gap.from, to: gap.to, insert: text })
  }
  return changes.sort((a, b) => a.from - b.from)
}

/** Applies changes given in the coordinates of `text` (sorted, non-overlapping). */
export function applyChanges(text: string, changes: readonly TextChange[]): string {
  let out = ''
  let cursor = 0
  for (const c of [...changes].sort((a, b) => a.from - b.from)) {
    out += text.slice(cursor, c.from) + c.insert
    cursor = c.to
  }
  return out + text.slice(cursor)
}
