// The CodeMirror editor: the writer's text with gap marks, Markdown-ish styling, history, and Inlay's keys.
import { EditorSelection, EditorState, Prec, type Extension } from '@codemirror/state'
import { EditorView, drawSelection, keymap, placeholder, type ViewUpdate } from '@codemirror/view'
import { defaultKeymap, history, historyKeymap, isolateHistory } from '@codemirror/commands'
import type { DocumentContent } from '../../../../shared/documents'
import { addGap, gapAt } from '../gaps'
import { fillExtension } from './fill-field'
import { gapExtension, gaps, setGaps } from './gap-field'
import { markdownStyling } from './markdown'
import { markToGap, missingExtension } from './missing-field'

/** What the editor asks of the app. Handlers that return false let the key fall through. */
export interface EditorHandlers {
  generate(): boolean
  stop(): boolean
  save(): boolean
  acceptAll(): boolean
  rejectAll(): boolean
  alternative(delta: number): boolean
  openGap(id: string): void
  notice(message: string): void
  changed(update: ViewUpdate): void
}

const theme = EditorView.theme({
  '&': { color: 'var(--fg)', backgroundColor: 'transparent', fontSize: '1.125rem', height: '100%' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--serif)', lineHeight: '1.7', overflow: 'auto' },
  '.cm-content': { maxWidth: '40rem', margin: '0 auto', padding: '2rem 1.5rem 40vh', caretColor: 'var(--accent)' },
  '.cm-cursor': { borderLeftColor: 'var(--accent)', borderLeftWidth: '2px' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--selection)'
  },
  '.cm-placeholder': { color: 'var(--muted)', fontStyle: 'italic' }
})

/**
 * Mod-G: with a selection, marks it as a gap to rewrite; with a cursor, marks an insertion point there — or,
 * at an existing gap, opens its options.
 */
export function markGap(view: EditorView, handlers: Pick<EditorHandlers, 'openGap' | 'notice'>): boolean {
  if (view.state.readOnly) {
    handlers.notice('Finish the current generation first.')
    return true
  }
  const { from, to } = view.state.selection.main
  const current = gaps(view.state)
  if (from === to) {
    const existing = gapAt(current, from)
    if (existing) {
      handlers.openGap(existing.id)
      return true
    }
  }
  const result = addGap(current, from, to)
  if (!result.ok) {
    handlers.notice(result.reason)
    return true
  }
  view.dispatch({
    effects: setGaps.of(result.gaps),
    selection: EditorSelection.cursor(result.gap.to),
    annotations: isolateHistory.of('full'),
    userEvent: 'gap.mark'
  })
  return true
}

export function editorExtensions(content: Pick<DocumentContent, 'gaps'>, handlers: EditorHandlers): Extension[] {
  const inlayKeys = keymap.of([
    { key: 'Mod-g', run: (view) => markGap(view, handlers), preventDefault: true },
    { key: 'Mod-Enter', run: () => handlers.generate(), preventDefault: true },
    // At a place the missing-text map marks, Enter makes it a gap; elsewhere it is a new line as usual.
    {
      key: 'Enter',
      run: (view) => view.state.selection.main.empty && markToGap(view, view.state.selection.main.head, handlers.notice)
    },
    { key: 'Escape', run: () => handlers.stop() },
    { key: 'Mod-s', run: () => handlers.save(), preventDefault: true },
    { key: 'Mod-Shift-Enter', run: () => handlers.acceptAll() },
    { key: 'Mod-Backspace', run: () => handlers.rejectAll() },
    { key: 'Alt-]', run: () => handlers.alternative(1) },
    { key: 'Alt-[', run: () => handlers.alternative(-1) }
  ])
  return [
    Prec.highest(inlayKeys),
    history(),
    drawSelection(),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ 'aria-label': 'Draft', 'aria-multiline': 'true', spellcheck: 'true' }),
    placeholder('Write your draft. Mod-G marks a gap where the model should write; Mod-Enter fills the gaps.'),
    keymap.of([...defaultKeymap, ...historyKeymap]),
    gapExtension(content.gaps),
    fillExtension(),
    missingExtension(),
    markdownStyling(),
    theme,
    EditorView.updateListener.of((update) => handlers.changed(update)),
    EditorView.domEventHandlers({
      mousedown(event, view) {
        const mark = (event.target as HTMLElement | null)?.closest<HTMLElement>('.cm-missing')
        if (mark) {
          event.preventDefault()
          return markToGap(view, view.posAtDOM(mark), handlers.notice)
        }
        const badge = (event.target as HTMLElement | null)?.closest<HTMLElement>('.cm-gap')
        const id = badge?.dataset['gapId']
        if (!id || view.state.readOnly) return false
        event.preventDefault()
        handlers.openGap(id)
        return true
      }
    })
  ]
}

export function createState(content: Pick<DocumentContent, 'body' | 'gaps'>, handlers: EditorHandlers): EditorState {
  return EditorState.create({
    doc: content.body,
    selection: EditorSelection.cursor(content.body.length),
    extensions: editorExtensions(content, handlers)
  })
}
