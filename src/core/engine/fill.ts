// The generation loop: fills every gap of a document with an ILM, one insertion per forward pass (or k in
// distinct slots with `parallel`), streaming each insertion as an event. Fixed text is never touched: the
// only places the model may insert are the slots at or inside gaps. The stages are small and separate
// (constraints.ts, window.ts, growth.ts, stopping.ts, on the draft of draft.ts); fill() only runs them in turn:
//   1. required words, one forward pass each, at the slot of their gap that scores the word highest;
//   2. growth: a forward pass over each alternative's window, the stopping criteria, one growth step.
import { MAX_PARALLEL } from '../../shared/limits'
import type { FilledAlternative, InsertionEventData } from '../../shared/contract'
import { buildConstraints, gapCapacities, placeRequired, type GapConstraints } from './constraints'
import { DocumentError, validateSegments, type GapSpec, type Segment } from './document'
import { Draft, encodeParts, type Claim, type Item, type Layout, type Part } from './draft'
import { chooseInsertions, type Insertion, type RowLogits } from './growth'
import type { ForwardOutput } from './model'
import { Rng } from './rng'
import type { SamplingOptions } from './sampler'
import { decideStep, stopProbability } from './stopping'
import type { TextTokenizer } from './tokenizer'
import { chooseWindow, claimsAt, rowsClaimedBy, slotToken, windowInput, windowRows, type Window } from './window'

/** What the loop needs from a model: a batched forward pass (token logits of the asked rows) and its limits. */
export interface ForwardModel {
  readonly tokenizer: TextTokenizer
  readonly card: { maxLength: number; vocabSize: number }
  forward(sequences: readonly (readonly number[])[], rows: readonly (readonly number[])[]): Promise<ForwardOutput>
}

export interface FillOptions extends Partial<SamplingOptions> {
  seed?: number
  /** Stop once softmax(stop)[complete] reaches this (and every gap has its minimum). */
  stopThreshold?: number
  /** Most tokens generated per alternative (required words not counted). */
  maxTokens?: number
  /** Independent alternatives, generated as one batch. */
  alternatives?: number
  /** Insertions per forward pass, in distinct slots (at most MAX_PARALLEL). */
  parallel?: number
  /** Also allow tokens that are only a fragment of a UTF-8 character (the Python reference does). */
  allowPartialTokens?: boolean
  signal?: AbortSignal
}

/** The engine's results are the contract's types: they cross to the renderer unchanged. */
export type InsertionEvent = { type: 'insert' } & InsertionEventData
export type FilledText = FilledAlternative
export type StopReason = FilledAlternative['stopReason']

export interface FillResult {
  type: 'done'
  alternatives: FilledText[]
}

class Alternative {
  readonly draft: Draft
  readonly rng: Rng
  steps = 0
  generated = 0
  stopReason: StopReason | null = null
  /** Gaps whose window the model has declared complete. */
  readonly finished = new Set<number>()

  constructor(
    parts: readonly Part[],
    seed: number,
    readonly index: number
  ) {
    this.draft = new Draft(parts)
    this.rng = new Rng(seed)
  }

  open(gaps: readonly GapSpec[]): number[] {
    return gaps.map((_, g) => g).filter((g) => !this.finished.has(g))
  }
}

/** An alternative's forward pass: its layout and window, and the logits of the rows it asked for. */
interface View {
  alt: Alternative
  layout: Layout
  window: Window
  logits: RowLogits
  stopProb: number
}

export async function* fill(
  model: ForwardModel,
  segments: readonly Segment[],
  options: FillOptions = {}
): AsyncGenerator<InsertionEvent, FillResult> {
  const tokenizer = model.tokenizer
  const gaps = validateSegments(segments)
  const sampling: SamplingOptions = {
    temperature: options.temperature ?? 1,
    topP: options.topP ?? 0.9,
    topK: options.topK ?? 0,
    gapChoice: options.gapChoice ?? 'top'
  }
  const criteria = { stopThreshold: options.stopThreshold ?? 0.9, maxTokens: options.maxTokens ?? 256 }
  const parallel = Math.min(MAX_PARALLEL, Math.max(1, Math.floor(options.parallel ?? 1)))
  const count = Math.max(1, Math.floor(options.alternatives ?? 1))
  const maxBody = model.card.maxLength - 2
  const capacity = gapCapacities(tokenizer, gaps, maxBody)
  const constraints: GapConstraints = buildConstraints(
    tokenizer,
    gaps,
    options.allowPartialTokens ?? false,
    model.card.vocabSize
  )
  const parts = encodeParts(tokenizer, segments)
  const alts = Array.from({ length: count }, (_, a) => new Alternative(parts, (options.seed ?? 0) * 1000003 + a, a))
  const room = (alt: Alternative, g: number) => capacity[g]! - alt.draft.gapTokens(g)

  /**
   * One forward pass for the given alternatives, each over its window, asking for the rows whose slot some gap
   * passing `wanted` claims. An alternative with no open gap left has no window: the model ended it.
   */
  async function look(live: Alternative[], wanted: (alt: Alternative, window: Window, gap: number) => boolean) {
    const ready: { alt: Alternative; layout: Layout; window: Window; rows: number[] }[] = []
    for (const alt of live) {
      const layout = alt.draft.layout()
      const window = chooseWindow(layout, alt.open(gaps), maxBody)
      if (!window) alt.stopReason ??= 'stop'
      else ready.push({ alt, layout, window, rows: rowsClaimedBy(layout, window, (g) => wanted(alt, window, g)) })
    }
    if (ready.length === 0) return []
    const { cls, bos } = tokenizer.special
    const out = await model.forward(
      ready.map((v) => windowInput(v.layout, v.window, cls, bos)),
      ready.map((v) => v.rows)
    )
    const asked = Math.max(1, ...ready.map((v) => v.rows.length))
    if (out.rows !== asked) throw new Error(`The model returned ${out.rows} rows per sequence; ${asked} were asked`)
    return ready.map(({ alt, layout, window, rows }, b): View => {
      const slot = new Int32Array(windowRows(window)).fill(-1)
      rows.forEach((row, j) => (slot[row] = j))
      const offsetOf = (row: number) => (slot[row]! < 0 ? -1 : (b * out.rows + slot[row]!) * out.vocab)
      const logits = { tokenLogits: out.tokenLogits, vocab: out.vocab, offsetOf }
      return { alt, layout, window, logits, stopProb: stopProbability(out.stopLogits, b) }
    })
  }

  /** Puts an item into a gap and describes it as an event (its offset counted in the view's layout). */
  function insert(view: View, claim: Claim, item: Item, row: number, required: boolean): InsertionEvent {
    const token = slotToken(view.window, row)
    const charOffset = token < 0 ? 0 : view.layout.charsThrough[token]!
    view.alt.draft.insert(claim, item)
    return {
      type: 'insert',
      alternative: view.alt.index,
      step: view.alt.steps,
      gapId: gaps[claim.gap]!.id,
      charOffset,
      text: item.text,
      tokenId: item.ids[0]!,
      stopProb: view.stopProb,
      required
    }
  }

  /** A growth step's insertions, left to right, so each event's offset holds when they are applied in order. */
  function* insertAll(view: View, insertions: Insertion[]): Generator<InsertionEvent> {
    let shift = 0
    const shiftByGap = new Map<number, number>()
    for (const { row, claim, token } of insertions) {
      const within = shiftByGap.get(claim.gap) ?? 0
      const item = { ids: [token], text: tokenizer.tokenText[token] ?? tokenizer.decode([token]) }
      const event = insert(view, { gap: claim.gap, at: claim.at + within }, item, row, false)
      event.charOffset += shift
      shift += item.text.length
      shiftByGap.set(claim.gap, within + 1)
      view.alt.generated++
      yield event
    }
  }

  // 1. Required words.
  for (const word of constraints.required) {
    if (options.signal?.aborted) break
    for (const view of await look(alts, (_alt, _window, g) => g === word.gap)) {
      const { tokenLogits, offsetOf } = view.logits
      const place = placeRequired(view.layout, view.window, word, (row, token) => tokenLogits[offsetOf(row) + token]!)
      if (!place)
        throw new DocumentError(
          `Gap "${gaps[word.gap]!.id}" is outside the model's window; cannot place its required words`
        )
      yield insert(view, place.claim, place.variant, place.row, true)
    }
  }

  // 2. Growth, until the stopping criteria or the slots end every alternative.
  while (true) {
    const live = alts.filter((alt) => alt.stopReason === null)
    if (live.length === 0) break
    if (options.signal?.aborted) {
      for (const alt of live) alt.stopReason = 'aborted'
      break
    }
    const growing = (alt: Alternative, window: Window, g: number) => window.active.has(g) && room(alt, g) > 0
    for (const view of await look(live, growing)) {
      const { alt, layout, window } = view
      const decision = decideStep(criteria, {
        steps: alt.steps,
        generated: alt.generated,
        stopProb: view.stopProb,
        active: window.active,
        tokens: (g) => alt.draft.gapTokens(g),
        min: (g) => gaps[g]!.min ?? 0,
        room: (g) => room(alt, g)
      })
      if (decision.kind === 'budget') {
        alt.stopReason = 'max-tokens'
        continue
      }
      if (decision.kind === 'complete') {
        // The model says this window is complete: its gaps are done; the next open gap (if any) comes next.
        for (const g of window.active) alt.finished.add(g)
        alt.steps++
        continue
      }
      const rowClaims = Array.from({ length: windowRows(window) }, (_, row) =>
        row === 0 ? null : (claimsAt(layout, window, row).find((c) => decision.eligible.has(c.gap)) ?? null)
      )
      const k = Math.min(parallel, criteria.maxTokens - alt.generated)
      const insertions = chooseInsertions(
        view.logits,
        rowClaims,
        constraints.blocked,
        k,
        (g) => room(alt, g),
        sampling,
        alt.rng
      )
      if (insertions.length === 0) {
        for (const g of window.active) alt.finished.add(g)
        if (decision.underMin.length > 0 || window.active.size === 0) alt.stopReason = 'no-slot'
        continue
      }
      yield* insertAll(view, insertions)
      alt.steps++
    }
  }

  return {
    type: 'done',
    alternatives: alts.map((alt) => ({
      text: alt.draft.text(),
      gaps: gaps.map((gap, g) => ({ id: gap.id, text: alt.draft.gapText(g), tokens: alt.draft.gapTokens(g) })),
      steps: alt.steps,
      stopReason: alt.stopReason ?? 'stop'
    }))
  }
}
