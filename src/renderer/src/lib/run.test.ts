import { EditorState, Transaction, type TransactionSpec } from '@codemirror/state'
import { history, isolateHistory, redo, undo, undoDepth } from '@codemirror/commands'
import { describe, expect, it } from 'vitest'
import type { FilledAlternative, GenerationEvent, InsertionEventData } from '../../../shared/contract'
import type { GapMark } from '../../../shared/documents'
import { fillSpans, fillExtension } from './editor/fill-field'
import { gapExtension, gaps, setGaps } from './editor/gap-field'
import { replay } from './fill'
import { leastFinished, OUT_OF_STEP, Run, type RunSnapshot } from './run'
import run from './testdata/run.json'

const content = run.content as { title: string; body: string; gaps: GapMark[] }
const events = run.events as InsertionEventData[]
const alternatives = run.alternatives as FilledAlternative[]

/** An editor without a view: the run and the history commands act on its state. */
class Host {
  constructor(public state: EditorState) {}
  dispatch(spec: TransactionSpec): void {
    this.state = this.state.update(spec).state
  }
  command(cmd: (target: { state: EditorState; dispatch: (tr: Transaction) => void }) => boolean): boolean {
    return cmd({ state: this.state, dispatch: (tr) => (this.state = tr.state) })
  }
  get text(): string {
    return this.state.doc.toString()
  }
}

/** The draft typed (one history entry), then its gaps marked (another). */
function draft(): Host {
  const typed = content.body.slice(0, -1)
  const host = new Host(EditorState.create({ doc: typed, extensions: [history(), gapExtension([]), fillExtension()] }))
  host.dispatch({ changes: { from: typed.length, insert: '.' }, userEvent: 'input.type' })
  host.dispatch({ effects: setGaps.of(content.gaps), annotations: isolateHistory.of('full') })
  expect(host.text).toBe(content.body)
  expect(undoDepth(host.state)).toBe(2)
  return host
}

const start: GenerationEvent = { type: 'started', runId: 'r1', provider: 'cpu' }
const done: GenerationEvent = { type: 'done', alternatives, elapsedMs: 10 }
const insert = (e: InsertionEventData): GenerationEvent => ({ type: 'insert', ...e })

describe('a generation run in the editor', () => {
  it('streams alternative 0 in place outside the history, and commits it as ONE undo step', () => {
    const host = draft()
    const snapshots: RunSnapshot[] = []
    const r = new Run(host, content, (s) => snapshots.push(s))
    expect(host.state.readOnly).toBe(true)
    r.handle(start)
    // The rewrite range lost its text.
    expect(host.text).toBe('The fox ran. . The end.')
    const lengths: number[] = []
    for (const e of events) {
      r.handle(insert(e))
      lengths.push(host.text.length)
    }
    expect(new Set(lengths).size).toBeGreaterThan(5) // the text grew in steps
    expect(host.text).toBe(alternatives[0]!.text)
    expect(undoDepth(host.state)).toBe(2)
    r.handle(done)
    expect(r.snapshot.phase).toBe('review')
    expect(r.snapshot.alternatives).toBe(2)
    expect(fillSpans(host.state)?.map((s) => host.text.slice(s.from, s.to))).toEqual(
      alternatives[0]!.gaps.map((g) => g.text)
    )

    r.acceptAll()
    expect(r.snapshot.phase).toBe('finished')
    expect(host.text).toBe(alternatives[0]!.text)
    expect(gaps(host.state)).toEqual([])
    expect(host.state.readOnly).toBe(false)
    expect(fillSpans(host.state)).toBeNull()
    expect(undoDepth(host.state)).toBe(3)

    // One undo takes the whole generation away and brings the gaps back; the earlier steps are intact.
    expect(host.command(undo)).toBe(true)
    expect(host.text).toBe(content.body)
    expect(gaps(host.state)).toEqual(content.gaps)
    host.command(undo)
    expect(gaps(host.state)).toEqual([])
    host.command(undo)
    expect(host.text).toBe(content.body.slice(0, -1))
    host.command(redo)
    host.command(redo)
    host.command(redo)
    expect(host.text).toBe(alternatives[0]!.text)
    expect(gaps(host.state)).toEqual([])
    expect(snapshots.some((s) => s.phase === 'running')).toBe(true)
  })

  it('accepts or rejects per gap, swaps alternatives and replays the timeline', () => {
    const host = draft()
    const r = new Run(host, content)
    r.handle(start)
    for (const e of events) r.handle(insert(e))
    r.handle(done)
    const layout = r.layout

    r.show(1)
    expect(host.text).toBe(alternatives[1]!.text)
    const max = r.snapshot.timelineMax
    expect(max).toBe(events.filter((e) => e.alternative === 1).length)
    r.seek(3)
    expect(host.text).toBe(replay(layout, events, 1, 3).text())
    r.seek(0)
    expect(host.text).toBe(layout.text)
    r.seek(max)
    expect(host.text).toBe(alternatives[1]!.text)

    // Keep alternative 1's first gap; the rewrite gap gets its old words back; then alternative 0 for the rest.
    r.accept('g1')
    r.reject('g2')
    expect(host.text).toContain('Old words here')
    r.show(0)
    expect(host.text.startsWith('The fox' + alternatives[1]!.gaps[0]!.text + ' ran. Old words here.')).toBe(true)
    r.accept('g3')
    expect(r.snapshot.phase).toBe('finished')
    const expected =
      'The fox' + alternatives[1]!.gaps[0]!.text + ' ran. Old words here. The end.' + alternatives[0]!.gaps[2]!.text
    expect(host.text).toBe(expected)
    // The rejected rewrite gap stays marked, ready for another run.
    expect(gaps(host.state)).toEqual([
      {
        ...content.gaps[1]!,
        from: 13 + alternatives[1]!.gaps[0]!.text.length,
        to: 27 + alternatives[1]!.gaps[0]!.text.length
      }
    ])
    host.command(undo)
    expect(host.text).toBe(content.body)
    expect(gaps(host.state)).toEqual(content.gaps)
  })

  it('stops at once: later insertions are ignored, and rejecting all leaves the draft untouched', () => {
    const host = draft()
    const r = new Run(host, content)
    r.handle(start)
    for (const e of events.slice(0, 5)) r.handle(insert(e))
    const shown = host.text
    r.stop()
    expect(r.snapshot.phase).toBe('stopping')
    for (const e of events.slice(5)) r.handle(insert(e))
    expect(host.text).toBe(shown)
    r.handle(done)
    expect(r.snapshot.stopReason).toBe('aborted')
    expect(r.snapshot.phase).toBe('review')
    r.rejectAll()
    expect(host.text).toBe(content.body)
    expect(gaps(host.state)).toEqual(content.gaps)
    expect(undoDepth(host.state)).toBe(2)
  })

  it('stops and puts the draft back when the editor loses step with the run (its fixed text changed)', () => {
    const host = draft()
    const snapshots: RunSnapshot[] = []
    const r = new Run(host, content, (s) => snapshots.push(s))
    r.handle(start)
    for (const e of events.slice(0, 5)) r.handle(insert(e))
    // Something other than the run cuts the last character of the fixed text (as a second run once did).
    host.dispatch({
      changes: { from: host.state.doc.length - 1, to: host.state.doc.length },
      annotations: Transaction.addToHistory.of(false)
    })
    r.handle(insert(events.slice(5).find((e) => e.alternative === 0)!))
    expect(r.snapshot).toMatchObject({ phase: 'finished', error: OUT_OF_STEP })
    expect(snapshots.at(-1)?.phase).toBe('finished')
    expect(host.text).toBe(content.body)
    expect(gaps(host.state)).toEqual(content.gaps)
    expect(host.state.readOnly).toBe(false)
    expect(fillSpans(host.state)).toBeNull()
    expect(undoDepth(host.state)).toBe(2)
    // Whatever the stream still sends is ignored.
    for (const e of events.slice(6)) r.handle(insert(e))
    r.handle(done)
    expect(host.text).toBe(content.body)
  })

  it('checks each insertion after it is written: one that lands in the wrong place stops the run', () => {
    const host = draft()
    // An editor that shifts every insertion by one character, so that the fixed text around a gap moves.
    const skewed = {
      get state() {
        return host.state
      },
      dispatch: (spec: TransactionSpec) => {
        const change = spec.changes as { from: number; to: number; insert: string } | undefined
        host.dispatch(
          change && 'insert' in change && change.from === change.to && change.from > 0
            ? { ...spec, changes: { from: change.from - 1, insert: change.insert } }
            : spec
        )
      }
    }
    const r = new Run(skewed, content)
    r.handle(start)
    r.handle(insert(events.find((e) => e.alternative === 0 && e.charOffset > 0)!))
    expect(r.snapshot).toMatchObject({ phase: 'finished', error: OUT_OF_STEP })
    expect(host.text).toBe(content.body)
    expect(gaps(host.state)).toEqual(content.gaps)
  })

  it('follows the model’s expected remaining length per gap while streaming, then says why each gap ended', () => {
    const host = draft()
    const r = new Run(host, content)
    r.handle(start)
    expect(leastFinished(r.snapshot.gaps)).toBeNull()
    const own = events.filter((e) => e.alternative === 0)
    r.handle(
      insert({
        ...own[0]!,
        remaining: [
          { gapId: 'g1', tokens: 6 },
          { gapId: 'g2', tokens: 9.5 }
        ]
      })
    )
    r.handle(insert({ ...own[1]!, remaining: [{ gapId: 'g2', tokens: 4 }] }))
    expect(r.snapshot.gaps.map((g) => g.remaining)).toEqual([6, 4, null])
    expect(leastFinished(r.snapshot.gaps)?.id).toBe('g1')
    expect(fillSpans(host.state)?.map((s) => s.remaining)).toEqual([6, 4, null])

    const ends = ['model', 'max', 'window'] as const
    const reported = alternatives.map((alt) => ({
      ...alt,
      gaps: alt.gaps.map((g, i) => ({ ...g, endReason: ends[i]! }))
    }))
    for (const e of own.slice(2)) r.handle(insert(e))
    r.handle({ type: 'done', alternatives: reported, elapsedMs: 5 })
    expect(r.snapshot.gaps.map((g) => g.endReason)).toEqual(['model', 'max', 'window'])
    // Reviewing, the live estimate is no longer drawn, and no gap is still to finish.
    expect(fillSpans(host.state)?.map((s) => s.remaining)).toEqual([null, null, null])
    expect(leastFinished(r.snapshot.gaps)).toBeNull()
  })

  it('puts the draft back when the run fails before any insertion, and keeps insertions for review after', () => {
    const host = draft()
    const r = new Run(host, content)
    r.handle(start)
    r.handle({ type: 'error', message: 'boom' })
    expect(r.snapshot).toMatchObject({ phase: 'finished', error: 'boom' })
    expect(host.text).toBe(content.body)
    expect(gaps(host.state)).toEqual(content.gaps)
    expect(host.state.readOnly).toBe(false)

    const again = new Run(host, content)
    again.handle(start)
    for (const e of events.slice(0, 4)) again.handle(insert(e))
    again.handle({ type: 'error', message: 'lost' })
    expect(again.snapshot).toMatchObject({ phase: 'review', error: 'lost' })
    again.acceptAll()
    expect(host.text).not.toBe(content.body)
    expect(undoDepth(host.state)).toBe(3)
  })
})
