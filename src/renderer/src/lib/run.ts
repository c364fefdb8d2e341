// One generation run in the editor, from 'started' to the writer's decision. The streamed text never enters the
// undo history: every change the run makes is annotated out of it. When the writer has decided on every gap,
// the run puts the draft back as it was and applies the net change as ONE history entry, so a single undo
// removes the whole generation (and brings its gap marks back) and a single redo restores it.
import { ChangeSet, Transaction, type EditorState, type Text, type TransactionSpec } from '@codemirror/state'
import { isolateHistory } from '@codemirror/commands'
import type { FilledAlternative, GapEndReason, GenerationEvent, InsertionEventData } from '../../../shared/contract'
import type { DocumentContent, GapMark } from '../../../shared/documents'
import { fillLayout, type FillLayout } from '../../../shared/segments'
import { alternativeCount, eventsOf, FillText, netChanges, replay } from './fill'
import { mapGaps, sortGaps } from './gaps'
import { flash, generated, lockEffect, setFillSpans, type Decision, type FillSpan } from './editor/fill-field'
import { setGaps } from './editor/gap-field'

/** What a run needs of the editor: its state and a way to change it (an EditorView, or a test double). */
export interface EditorHost {
  readonly state: EditorState
  dispatch(spec: TransactionSpec): void
}

/** Why a run abandons itself when the editor no longer shows what it wrote. */
export const OUT_OF_STEP =
  'the editor’s text changed under it, so it was stopped and the draft from before it was put back'

export type RunPhase = 'waiting' | 'running' | 'stopping' | 'review' | 'finished'
export type StopReason = FilledAlternative['stopReason']

export interface RunGap {
  id: string
  number: number
  rewrite: boolean
  decision: Decision
  text: string
  /** Models with a length head: the tokens the model last expected still missing here (the streamed alternative). */
  remaining: number | null
  /** Why the shown alternative's gap ended, once the engine has said. */
  endReason: GapEndReason | null
}

export interface RunSnapshot {
  phase: RunPhase
  provider: string | null
  /** Insertions shown so far in the editor (alternative 0 while streaming). */
  insertions: number
  stopProb: number | null
  stopReason: StopReason | null
  elapsedMs: number | null
  error: string | null
  alternatives: number
  shown: number
  /** Replay position: how many of the shown alternative's insertions are applied. */
  timeline: number
  timelineMax: number
  gaps: RunGap[]
  /** Whether the last commit changed the text (so there is something to undo). */
  committed: boolean
}

export class Run {
  readonly layout: FillLayout
  private readonly original: { body: string; gaps: GapMark[] }
  private readonly events: InsertionEventData[] = []
  private fill: FillText
  private frozen = false
  private readonly decisions = new Map<string, Decision>()
  /** The text an accepted gap keeps, whatever alternative is shown later. */
  private readonly kept = new Map<string, string>()
  private snap: RunSnapshot
  /** Per gap, the latest expected remaining length the stream reported. */
  private readonly remaining = new Map<string, number>()
  /** The engine's result, once done. */
  private results: FilledAlternative[] = []
  /** The editor's text when it was last found to be exactly what the run wrote. */
  private verified: Text | null = null

  constructor(
    private readonly host: EditorHost,
    content: Pick<DocumentContent, 'body' | 'gaps'>,
    private readonly onChange: (snapshot: RunSnapshot) => void = () => {}
  ) {
    if (host.state.doc.toString() !== content.body) throw new Error('The editor does not hold the draft being filled')
    this.original = { body: content.body, gaps: sortGaps(content.gaps) }
    this.layout = fillLayout(this.original)
    this.fill = new FillText(this.layout)
    for (const { mark } of this.layout.gaps) this.decisions.set(mark.id, 'pending')
    this.snap = {
      phase: 'waiting',
      provider: null,
      insertions: 0,
      stopProb: null,
      stopReason: null,
      elapsedMs: null,
      error: null,
      alternatives: 1,
      shown: 0,
      timeline: 0,
      timelineMax: 0,
      gaps: [], // publish() below fills them in
      committed: false
    }
    host.dispatch({ effects: lockEffect(true) })
    this.publish()
  }

  get snapshot(): RunSnapshot {
    return this.snap
  }

  get active(): boolean {
    return this.snap.phase !== 'finished'
  }

  /** Feeds one event of the stream. */
  handle(event: GenerationEvent): void {
    if (this.snap.phase === 'finished') return
    switch (event.type) {
      case 'started':
        this.begin(event.provider)
        break
      case 'insert': {
        if (this.frozen || this.snap.phase === 'waiting') return
        const { type: _type, ...data } = event
        this.events.push(data)
        if (data.alternative === 0) for (const e of data.remaining ?? []) this.remaining.set(e.gapId, e.tokens)
        if (data.alternative === 0 && !this.write(data)) {
          this.cancel(OUT_OF_STEP)
          return
        }
        this.snap = { ...this.snap, timelineMax: this.snap.insertions, timeline: this.snap.insertions }
        this.publish()
        break
      }
      case 'done':
        this.results = event.alternatives
        this.snap = {
          ...this.snap,
          elapsedMs: event.elapsedMs,
          stopReason: this.frozen ? 'aborted' : (event.alternatives[0]?.stopReason ?? null)
        }
        this.toReview(event.alternatives.length)
        break
      case 'error':
        this.fail(event.message)
        break
    }
  }

  /** Stop at once: whatever arrives after this is ignored; the run waits only for the engine to confirm. */
  stop(): void {
    if (this.snap.phase !== 'running' && this.snap.phase !== 'waiting') return
    this.frozen = true
    this.snap = { ...this.snap, phase: 'stopping' }
    this.publish()
  }

  /** The stream ended without 'done' or 'error' (a lost connection reports an error first). */
  ended(): void {
    if (this.snap.phase === 'finished' || this.snap.phase === 'review') return
    if (this.snap.phase === 'waiting') this.cancel('The generation ended before it started')
    else this.toReview(0)
  }

  /**
   * Writes an insertion of the streamed alternative into the editor, checking before and after that the editor
   * shows exactly what the run wrote; false (and nothing written, if the check before failed) when it does not.
   */
  private write(data: InsertionEventData): boolean {
    if (!this.inStep()) return false
    const change = this.fill.apply(data)
    this.host.dispatch({
      changes: change,
      effects: [setFillSpans.of(this.spans()), flash.of({ from: change.from, to: change.from + change.insert.length })],
      annotations: [Transaction.addToHistory.of(false), generated.of(true)]
    })
    this.snap = { ...this.snap, insertions: this.snap.insertions + 1, stopProb: data.stopProb }
    return this.inStep()
  }

  private begin(provider: string): void {
    if (this.snap.phase !== 'waiting') return
    // The rewrite ranges lose their text; what remains is the text the insertion offsets count in.
    const removals = this.original.gaps.filter((g) => g.from < g.to).map((g) => ({ from: g.from, to: g.to }))
    this.host.dispatch({
      changes: removals,
      effects: [setGaps.of([]), setFillSpans.of(this.spans())],
      annotations: [Transaction.addToHistory.of(false), generated.of(true)]
    })
    this.snap = { ...this.snap, phase: this.frozen ? 'stopping' : 'running', provider }
    this.publish()
  }

  private fail(message: string): void {
    if (this.snap.phase === 'waiting' || this.events.length === 0) {
      this.cancel(message)
      return
    }
    // Keep what was made for review; say why it ended.
    this.snap = { ...this.snap, error: message }
    this.toReview(0)
  }

  private toReview(reported: number): void {
    if (this.snap.phase === 'waiting') {
      this.cancel(this.snap.error ?? 'The generation ended before it started')
      return
    }
    const own = eventsOf(this.events, this.snap.shown).length
    this.snap = {
      ...this.snap,
      phase: 'review',
      alternatives: alternativeCount(this.events, reported),
      timeline: own,
      timelineMax: own
    }
    this.sync()
  }

  /** Abandons the run: the draft and its gaps come back exactly as they were. */
  cancel(error: string | null = null): void {
    if (this.snap.phase === 'finished') return
    if (this.snap.phase !== 'waiting') this.revert()
    else this.host.dispatch({ effects: lockEffect(false) })
    this.snap = { ...this.snap, phase: 'finished', error }
    this.publish()
  }

  // Review.

  accept(id: string): void {
    this.decide(id, 'accepted')
  }

  reject(id: string): void {
    this.decide(id, 'rejected')
  }

  acceptAll(): void {
    this.decideAll('accepted')
  }

  rejectAll(): void {
    this.decideAll('rejected')
  }

  /** Shows another alternative in the gaps still pending (its whole run). */
  show(alternative: number): void {
    if (this.snap.phase !== 'review') return
    const n = this.snap.alternatives
    const shown = ((alternative % n) + n) % n
    const own = eventsOf(this.events, shown).length
    this.snap = { ...this.snap, shown, timeline: own, timelineMax: own }
    this.sync()
  }

  /** Replays the shown alternative up to its k-th insertion. */
  seek(k: number): void {
    if (this.snap.phase !== 'review') return
    const timeline = Math.max(0, Math.min(this.snap.timelineMax, Math.round(k)))
    this.snap = { ...this.snap, timeline }
    this.sync()
  }

  private decide(id: string, decision: Decision): void {
    if (this.snap.phase !== 'review' || this.decisions.get(id) !== 'pending') return
    if (decision === 'accepted') this.kept.set(id, this.fill.texts[this.fill.indexOf(id)]!)
    this.decisions.set(id, decision)
    this.sync()
    if ([...this.decisions.values()].every((d) => d !== 'pending')) this.commit()
  }

  private decideAll(decision: Decision): void {
    if (this.snap.phase !== 'review') return
    this.fill.gapIds.forEach((id, i) => {
      if (this.decisions.get(id) !== 'pending') return
      if (decision === 'accepted') this.kept.set(id, this.fill.texts[i]!)
      this.decisions.set(id, decision)
    })
    this.commit()
  }

  /** The gap texts the editor should show now. */
  private desired(): string[] {
    const shown = replay(this.layout, this.events, this.snap.shown, this.snap.timeline)
    return this.layout.gaps.map(({ mark }, i) => {
      const decision = this.decisions.get(mark.id)
      if (decision === 'rejected') return this.original.body.slice(mark.from, mark.to)
      if (decision === 'accepted') return this.kept.get(mark.id) ?? ''
      return shown.texts[i]!
    })
  }

  private sync(): void {
    const next = this.desired()
    const changes = this.fill.changesTo(next)
    this.fill = new FillText(this.layout, next)
    this.host.dispatch({
      changes,
      effects: setFillSpans.of(this.spans()),
      annotations: [Transaction.addToHistory.of(false), generated.of(true)]
    })
    this.publish()
  }

  /**
   * Whether the editor shows exactly what the run wrote: its fixed text intact, each gap's text in place (read in
   * full only when the editor's text is not the one last found so).
   */
  private inStep(): boolean {
    const doc = this.host.state.doc
    if (doc === this.verified) return true
    if (!this.fill.isShownBy(doc)) return false
    this.verified = doc
    return true
  }

  /** Puts the draft back exactly as before the run, outside the history (all of it, if the run lost step). */
  private revert(): void {
    const originals = this.layout.gaps.map(({ mark }) => this.original.body.slice(mark.from, mark.to))
    this.host.dispatch({
      changes: this.inStep()
        ? this.fill.changesTo(originals)
        : { from: 0, to: this.host.state.doc.length, insert: this.original.body },
      effects: [setFillSpans.of(null), setGaps.of(this.original.gaps), lockEffect(false)],
      annotations: [Transaction.addToHistory.of(false), generated.of(true)]
    })
    this.fill = new FillText(this.layout, originals)
    if (this.host.state.doc.toString() !== this.original.body) throw new Error('Could not restore the draft')
  }

  private commit(): void {
    const finals = new Map<string, string | null>()
    for (const { mark } of this.layout.gaps) {
      finals.set(mark.id, this.decisions.get(mark.id) === 'accepted' ? (this.kept.get(mark.id) ?? '') : null)
    }
    this.revert()
    const net = netChanges(this.original, finals)
    const changes = ChangeSet.of(net, this.original.body.length)
    const remaining = mapGaps(
      this.original.gaps.filter((g) => finals.get(g.id) === null),
      changes
    )
    const consumed = remaining.length !== this.original.gaps.length
    if (!changes.empty || consumed) {
      const last = net[net.length - 1]
      this.host.dispatch({
        changes,
        effects: setGaps.of(remaining),
        selection: last ? { anchor: changes.mapPos(last.to, 1) } : undefined,
        annotations: [isolateHistory.of('full'), Transaction.userEvent.of('input.generate')]
      })
    }
    this.snap = { ...this.snap, phase: 'finished', committed: !changes.empty, gaps: this.runGaps() }
    this.publish()
  }

  private spans(): FillSpan[] {
    const live = this.snap.phase === 'running'
    return this.fill.spans().map((s) => ({
      ...s,
      decision: this.decisions.get(s.id) ?? 'pending',
      remaining: live ? (this.remaining.get(s.id) ?? null) : null
    }))
  }

  private runGaps(): RunGap[] {
    return this.layout.gaps.map(({ mark }, i) => ({
      id: mark.id,
      number: i + 1,
      rewrite: mark.from < mark.to,
      decision: this.decisions.get(mark.id) ?? 'pending',
      text: this.fill.texts[i] ?? '',
      remaining: this.remaining.get(mark.id) ?? null,
      endReason: this.results[this.snap.shown]?.gaps.find((g) => g.id === mark.id)?.endReason ?? null
    }))
  }

  private publish(): void {
    this.snap = { ...this.snap, gaps: this.runGaps() }
    this.onChange(this.snap)
  }
}

/** While a run streams: the gap the model expects the most still missing in (null without a length head). */
export function leastFinished(gaps: readonly RunGap[]): RunGap | null {
  let least: RunGap | null = null
  for (const gap of gaps) {
    if (gap.remaining !== null && gap.endReason === null && (least === null || gap.remaining > least.remaining!))
      least = gap
  }
  return least
}
