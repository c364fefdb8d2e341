// How a document with gap marks becomes the text the model fills. A rewrite gap (from < to) loses its text;
// every gap becomes an insertion point in the remaining text. Both the app (to build the engine's document)
// and the renderer (to show the text that insertion offsets count in) use this one function.
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
