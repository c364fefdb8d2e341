import { EditorState, type TransactionSpec } from '@codemirror/state'
import { history, undo } from '@codemirror/commands'
import { describe, expect, it } from 'vitest'
import { gapExtension, gaps } from './gap-field'
import { lockEffect, fillExtension } from './fill-field'
import {
  addMarks,
  clearMap,
  markToGap,
  missingExtension,
  nextMark,
  shownMarks,
  showFrom,
  startMap
} from './missing-field'

const TEXT = 'The fox ran. The end.'

class Host {
  notices: string[] = []
  constructor(public state: EditorState) {}
  dispatch(spec: TransactionSpec): void {
    this.state = this.state.update(spec).state
  }
  get text(): string {
    return this.state.doc.toString()
  }
}

function editor(): Host {
  return new Host(
    EditorState.create({ doc: TEXT, extensions: [history(), gapExtension([]), fillExtension(), missingExtension()] })
  )
}

const at = (host: Host) => shownMarks(host.state).map((m) => m.at)

/** Scan 1 reports these places (offset, tokens), shown from `threshold` tokens. */
function found(host: Host, places: [number, number][], threshold = 1): void {
  host.dispatch({ effects: startMap.of({ scan: 1, threshold }) })
  host.dispatch({ effects: addMarks.of({ scan: 1, marks: places.map(([offset, tokens]) => ({ offset, tokens })) }) })
}

describe('the missing-text map in the editor', () => {
  it('shows the places a scan found, at least the threshold, and never changes the text', () => {
    const host = editor()
    found(
      host,
      [
        [12, 5],
        [7, 1]
      ],
      2
    )
    expect(at(host)).toEqual([12])
    host.dispatch({ effects: showFrom.of(1) })
    expect(shownMarks(host.state)).toEqual([
      { at: 7, tokens: 1 },
      { at: 12, tokens: 5 }
    ])
    expect(host.text).toBe(TEXT)
    // Marks of an earlier scan, arriving late, are not this map's.
    host.dispatch({ effects: addMarks.of({ scan: 0, marks: [{ offset: 3, tokens: 9 }] }) })
    expect(at(host)).toEqual([7, 12])
    host.dispatch({ effects: clearMap.of(null) })
    expect(at(host)).toEqual([])
  })

  it('maps the places through the writer’s edits, also those made while the scan was still reading', () => {
    const host = editor()
    found(host, [[12, 3]])
    // The writer types at the start while the scan reads on: what it reports next is in the text it read.
    host.dispatch({ changes: { from: 0, insert: 'Yes. ' } })
    expect(at(host)).toEqual([17])
    host.dispatch({ effects: addMarks.of({ scan: 1, marks: [{ offset: 7, tokens: 2 }] }) })
    expect(at(host)).toEqual([12, 17])
    expect(host.text.slice(0, 12)).toBe('Yes. The fox')
    // A deletion across a place takes it away.
    host.dispatch({ changes: { from: 10, to: 14 } })
    expect(at(host)).toEqual([13])
  })

  it('goes to the next place after the cursor, wrapping to the first', () => {
    const host = editor()
    expect(nextMark(host.state, 0)).toBeNull()
    found(host, [
      [7, 2],
      [12, 3]
    ])
    expect(nextMark(host.state, 0)?.at).toBe(7)
    expect(nextMark(host.state, 7)?.at).toBe(12)
    expect(nextMark(host.state, 12)?.at).toBe(7)
  })

  it('turns a place into a gap in one undoable step; elsewhere does nothing', () => {
    const host = editor()
    const notice = (message: string) => host.notices.push(message)
    found(host, [[12, 3]])
    expect(markToGap(host, 5, notice)).toBe(false)
    expect(markToGap(host, 12, notice)).toBe(true)
    expect(gaps(host.state)).toEqual([{ id: 'g1', from: 12, to: 12 }])
    expect(at(host)).toEqual([])
    expect(host.state.selection.main.head).toBe(12)
    expect(host.text).toBe(TEXT)
    undo({ state: host.state, dispatch: (tr) => (host.state = tr.state) })
    expect(gaps(host.state)).toEqual([])
    expect(host.notices).toEqual([])
  })

  it('does not make a gap while a generation holds the editor, or next to a gap', () => {
    const host = editor()
    const notice = (message: string) => host.notices.push(message)
    found(host, [[12, 3]])
    host.dispatch({ effects: lockEffect(true) })
    expect(markToGap(host, 12, notice)).toBe(true)
    expect(gaps(host.state)).toEqual([])
    host.dispatch({ effects: lockEffect(false) })
    markToGap(host, 12, notice)
    host.dispatch({ effects: addMarks.of({ scan: 1, marks: [{ offset: 12, tokens: 3 }] }) })
    expect(markToGap(host, 12, notice)).toBe(true)
    expect(gaps(host.state)).toHaveLength(1)
    expect(host.notices).toEqual([
      'Finish the current generation first.',
      'There is already a gap here; open its options with Mod-G instead.'
    ])
  })
})
