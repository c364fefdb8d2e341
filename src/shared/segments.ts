// How a document with gap marks becomes the text the model fills. A rewrite gap (from < to) loses its text;
// every gap becomes an insertion point in the remaining text. Both the app (to build the engine's document)
// and the renderer (to show the text that insertion offsets count in) use this one layout.
import type { DocumentContent, GapMark } from './documents'

export interface FillLayout {
  /** The body with every rewrite range removed: the fixed text, in order. */
  text: string
  /** Each gap at its offset in `text`, in order. */
  gaps: { mark: GapMark; at: number }[]
}

export function fillLayout(content: Pick<DocumentContent, 'body' | 'gaps'>): FillLayout {
  const marks = [...content.gaps].sort((a, b) => a.from - b.from || a.to - b.to)
  let text = ''
  let cursor = 0
  const gaps: FillLayout['gaps'] = []
  for (const mark of marks) {
    if (mark.from < cursor || mark.to > content.body.length || mark.from > mark.to) {
      throw new RangeError(`Gap ${mark.id} (${mark.from}..${mark.to}) overlaps another gap or lies outside the text`)
    }
    text += content.body.slice(cursor, mark.from)
    gaps.push({ mark, at: text.length })
    cursor = mark.to
  }
  text += content.body.slice(cursor)
  return { text, gaps }
}

/** What the engine fills (its `Segment`): the fixed text in pieces, with each gap between them. */
export type FillSegment = { kind: 'text'; text: string } | { kind: 'gap'; gap: Omit<GapMark, 'from' | 'to'> }

/** The layout as the engine's segments: text and gaps in order, no empty text between two gaps. */
export function fillSegments(layout: FillLayout): FillSegment[] {
  const segments: FillSegment[] = []
  let cursor = 0
  for (const { mark, at } of layout.gaps) {
    if (at > cursor) segments.push({ kind: 'text', text: layout.text.slice(cursor, at) })
    segments.push({
      kind: 'gap',
      gap: { id: mark.id, min: mark.min, max: mark.max, include: mark.include, ban: mark.ban }
    })
    cursor = at
  }
  if (cursor < layout.text.length) segments.push({ kind: 'text', text: layout.text.slice(cursor) })
  return segments
}
