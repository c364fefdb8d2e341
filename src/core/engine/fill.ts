// The generation loop: fills every gap of a document with an ILM, one insertion per forward pass (or k in
// distinct slots with `parallel`), streaming each insertion as an event. Fixed text is never touched: the
// only places the model may insert are the slots at or inside gaps. Each gap ends on its own, and says why
// (GapEndReason); the run ends when every gap has. The stages are small and separate (constraints.ts,
// window.ts, growth.ts, stopping.ts, on the draft of draft.ts); fill() only runs them in turn:
//   1. required words, one forward pass each, at the slot of their gap that scores the word highest;
//   2. growth: a forward pass over each alternative's window, the stopping criteria, one growth step.
import { MAX_PARALLEL } from '../../shared/limits'
import type { DecodingValues, FilledAlternative, GapEndReason, InsertionEventData } from '../../shared/contract'
import { buildConstraints, gapCapacities, placeRequired, type GapConstraints } from './constraints'
import { DocumentError, validateSegments, type Segment } from './document'
import { Draft, encodeParts, type Claim, type Item, type Part } from './draft'
import { forwardWindows, type ForwardModel, type WindowRequest, type WindowScores } from './forward'
import { chooseInsertions, type Insertion } from './growth'
import { Rng } from './rng'
import type { SamplingOptions } from './sampler'
import {
  decideStep,
  DEFAULT_LENGTH_THRESHOLD,
  expectedRemaining,
  LengthPlan,
  runStopReason,
  type StoppingCriteria
} from './stopping'
import { chooseWindow, claimsAt, rowsClaimedBy, slotToken, windowRows, type Window } from './window'

/** What a run uses for the options its caller leaves out: the model card's decoding defaults, else the engine's. */
export function decodingDefaults(card: Pick<ForwardModel['card'], 'decoding'>): DecodingValues {
  return {
    temperature: card.decoding.temperature ?? 1,
    topP: card.decoding.topP ?? 0.9,
    lengthThreshold: card.decoding.lengthThreshold ?? DEFAULT_LENGTH_THRESHOLD
  }
}

/** Sampling options left out come from the model card's decoding defaults, then the engine's own (decodingDefaults). */
export interface FillOptions extends Partial<SamplingOptions> {
  seed?: number
  /** Models without a length head: the window's gaps end once softmax(stop)[complete] reaches this. */
  stopThreshold?: number
  /**
   * Models with a length head: a gap ends once the tokens the model expects still missing in it fall below
   * this (default: the model card's, else DEFAULT_LENGTH_THRESHOLD).
   */
  lengthThreshold?: number
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
  readonly lengthPlan = new LengthPlan()
  /** Why each gap ended; null while it is open. */
  readonly ends: (GapEndReason | null)[]

  constructor(
    parts: readonly Part[],
    gapCount: number,
    seed: number,
    readonly index: number
  ) {
    this.draft = new Draft(parts)
    this.rng = new Rng(seed)
    this.ends = new Array<GapEndReason | null>(gapCount).fill(null)
  }

  open(): number[] {
    return this.ends.flatMap((end, g) => (end === null ? [g] : []))
  }

  end(gap: number, reason: GapEndReason): void {
    this.ends[gap] ??= reason
  }
}

/** An alternative's window, and what its forward pass said about it. */
type View = { alt: Alternative } & WindowRequest & WindowScores

export async function* fill(
  model: ForwardModel,
  segments: readonly Segment[],
  options: FillOptions = {}
): AsyncGenerator<InsertionEvent, FillResult> {
  const { tokenizer, card } = model
  const gaps = validateSegments(segments)
  const defaults = decodingDefaults(card)
  const sampling: SamplingOptions = {
    temperature: options.temperature ?? defaults.temperature,
    topP: options.topP ?? defaults.topP,
    topK: options.topK ?? 0,
    gapChoice: options.gapChoice ?? 'top'
  }
  const criteria: StoppingCriteria = {
    stopThreshold: options.stopThreshold ?? 0.9,
    lengthThreshold: options.lengthThreshold ?? defaults.lengthThreshold,
    maxTokens: options.maxTokens ?? 256
  }
  const parallel = Math.min(MAX_PARALLEL, Math.max(1, Math.floor(options.parallel ?? 1)))
  const count = Math.max(1, Math.floor(options.alternatives ?? 1))
  const maxBody = card.maxLength - 2
  const capacity = gapCapacities(tokenizer, gaps, maxBody)
  const constraints: GapConstraints = buildConstraints(
    tokenizer,
    gaps,
    options.allowPartialTokens ?? false,
    card.vocabSize
  )
  const parts = encodeParts(tokenizer, segments)
  const alts = Array.from(
    { length: count },
    (_, a) => new Alternative(parts, gaps.length, (options.seed ?? 0) * 1000003 + a, a)
  )
  const room = (alt: Alternative, g: number) => capacity[g]! - alt.draft.gapTokens(g)
  /** A full gap ends: at its max, or where the model could no longer see it with context. */
  const endIfFull = (alt: Alternative, g: number) => {
    if (room(alt, g) <= 0) alt.end(g, capacity[g] === gaps[g]!.max ? 'max' : 'window')
  }
  for (const alt of alts) gaps.forEach((_, g) => endIfFull(alt, g))

  /**
   * One forward pass for the alternatives, each over the window centred on the first of the gaps `openOf` gives
   * it, asking for the rows whose slot a gap passing `wanted` claims.
   */
  async function look(
    live: readonly Alternative[],
    openOf: (alt: Alternative) => readonly number[],
    wanted: (window: Window, gap: number) => boolean
  ): Promise<View[]> {
    const requests = live.map((alt) => {
      const layout = alt.draft.layout()
      const window = chooseWindow(layout, openOf(alt), maxBody)!
      return { alt, layout, window, rows: rowsClaimedBy(layout, window, (g) => wanted(window, g)) }
    })
    const scores = await forwardWindows(model, requests)
    return requests.map((r, b) => ({ ...r, ...scores[b]! }))
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
  function* insertAll(
    view: View,
    insertions: Insertion[],
    remaining: ReadonlyMap<number, number> | null
  ): Generator<InsertionEvent> {
    const estimate = remaining && [...remaining].map(([g, tokens]) => ({ gapId: gaps[g]!.id, tokens }))
    let shift = 0
    const shiftByGap = new Map<number, number>()
    for (const { row, claim, token } of insertions) {
      const within = shiftByGap.get(claim.gap) ?? 0
      const item = { ids: [token], text: tokenizer.tokenText[token] ?? tokenizer.decode([token]) }
      const event = insert(view, { gap: claim.gap, at: claim.at + within }, item, row, false)
      event.charOffset += shift
      if (estimate) event.remaining = estimate
      shift += item.text.length
      shiftByGap.set(claim.gap, within + 1)
      view.alt.generated++
      yield event
    }
  }

  // 1. Required words, each in a window centred on its gap.
  for (const word of constraints.required) {
    if (options.signal?.aborted) break
    for (const view of await look(
      alts,
      () => [word.gap],
      (_w, g) => g === word.gap
    )) {
      const { tokenLogits, offsetOf } = view.logits
      const place = placeRequired(view.layout, view.window, word, (row, token) => tokenLogits[offsetOf(row) + token]!)
      if (!place)
        throw new DocumentError(
          `Gap "${gaps[word.gap]!.id}" is outside the model's window; cannot place its required words`
        )
      yield insert(view, place.claim, place.variant, place.row, true)
      endIfFull(view.alt, word.gap)
    }
  }

  // 2. Growth, until every gap of every alternative has ended.
  while (true) {
    const live = alts.filter((alt) => alt.open().length > 0)
    if (live.length === 0) break
    if (options.signal?.aborted) {
      for (const alt of live) for (const g of alt.open()) alt.end(g, 'aborted')
      break
    }
    for (const view of await look(
      live,
      (alt) => alt.open(),
      (w, g) => w.active.has(g)
    )) {
      const { alt, layout, window } = view
      const remaining =
        view.lengthOf &&
        alt.lengthPlan.remaining(expectedRemaining(layout, window, view.lengthOf), (g) => alt.draft.gapTokens(g))
      const decision = decideStep(criteria, {
        steps: alt.steps,
        generated: alt.generated,
        stopProb: view.stopProb,
        open: alt.open(),
        active: window.active,
        remaining,
        tokens: (g) => alt.draft.gapTokens(g),
        min: (g) => gaps[g]!.min ?? 0
      })
      for (const [g, reason] of decision.ended) alt.end(g, reason)
      const byModel = [...decision.ended.values()].includes('model')
      if (decision.eligible.size === 0) {
        // Nothing to grow: the model ended the window's gaps (a step), or the budget did; a window with no gap
        // inside (never expected) ends the gap it was centred on, so the run always moves on.
        if (byModel) alt.steps++
        else if (decision.ended.size === 0) alt.end(alt.open()[0]!, 'window')
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
      // No slot could take a token (every one blocked): the model's window can give these gaps nothing.
      if (insertions.length === 0) for (const g of decision.eligible) alt.end(g, 'window')
      yield* insertAll(view, insertions, remaining)
      for (const g of decision.eligible) endIfFull(alt, g)
      if (insertions.length > 0 || byModel) alt.steps++
    }
  }

  return {
    type: 'done',
    alternatives: alts.map((alt) => ({
      text: alt.draft.text(),
      gaps: gaps.map((gap, g) => ({
        id: gap.id,
        text: alt.draft.gapText(g),
        tokens: alt.draft.gapTokens(g),
        endReason: alt.ends[g]!
      })),
      steps: alt.steps,
      stopReason: runStopReason(alt.ends.map((end) => end!))
    }))
  }
}
