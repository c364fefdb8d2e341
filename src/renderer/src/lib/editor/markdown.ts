// Light styling of the Markdown-ish body: *italic*, **bold** and scene breaks (a line `* * *`). The body has no
// other syntax, so a few patterns over the visible lines are enough.
import { RangeSetBuilder, type Extension } from '@codemirror/state'
import { Decoration, ViewPlugin, type DecorationSet, type EditorView, type ViewUpdate } from '@codemirror/view'

const SCENE_BREAK = /^\s*\*\s*\*\s*\*\s*$/
const EMPHASIS = /\*\*(?=\S)([^*\n]*?\S)\*\*|\*(?=[^\s*])([^*\n]*?[^\s*])?\*/g

const sceneBreak = Decoration.line({ class: 'cm-scene-break' })
const strong = Decoration.mark({ class: 'cm-strong' })
const em = Decoration.mark({ class: 'cm-em' })
const marker = Decoration.mark({ class: 'cm-md-marker' })

export interface MarkSpan {
  from: number
  to: number
  kind: 'strong' | 'em' | 'marker' | 'scene'
}

/** The styled spans of one line (offsets within the line), in order. */
export function styleLine(text: string): MarkSpan[] {
  if (SCENE_BREAK.test(text)) return [{ from: 0, to: text.length, kind: 'scene' }]
  const spans: MarkSpan[] = []
  for (const m of text.matchAll(EMPHASIS)) {
    const from = m.index
    const to = from + m[0].length
    const width = m[0].startsWith('**') ? 2 : 1
    spans.push({ from, to: from + width, kind: 'marker' })
    spans.push({ from: from + width, to: to - width, kind: width === 2 ? 'strong' : 'em' })
    spans.push({ from: to - width, to, kind: 'marker' })
  }
  return spans
}

function build(view: EditorView): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>()
  for (const { from, to } of view.visibleRanges) {
    for (let pos = from; pos <= to;) {
      const line = view.state.doc.lineAt(pos)
      for (const span of styleLine(line.text)) {
        if (span.kind === 'scene') builder.add(line.from, line.from, sceneBreak)
        else if (span.to > span.from)
          builder.add(
            line.from + span.from,
            line.from + span.to,
            span.kind === 'strong' ? strong : span.kind === 'em' ? em : marker
          )
      }
      pos = line.to + 1
    }
  }
  return builder.finish()
}

export function markdownStyling(): Extension {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet
      constructor(view: EditorView) {
        this.decorations = build(view)
      }
      update(update: ViewUpdate) {
        if (update.docChanged || update.viewportChanged) this.decorations = build(update.view)
      }
    },
    { decorations: (v) => v.decorations }
  )
}
