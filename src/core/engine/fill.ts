// The generation loop: fills every gap of a document with an ILM, one insertion per forward pass (or k in
// distinct slots with `parallel`), streaming each insertion as an event. Fixed text is never touched: the
// only places the model may insert are the slots at or inside gaps.
import { DocumentError, validateSegments, type GapSpec, type Segment } from './document'
import { Rng } from './rng'
import { maskedLogSumExp, maskedRow, pickRows, pickToken, type SamplingOptions } from './sampler'
import type { TextTokenizer } from './tokenizer'
import type { ForwardOutput } from './model'
import type { FilledAlternative, InsertionEventData } from '../../shared/contract'

/** What the loop needs from a model: a batched forward pass (token logits of the asked rows) and its limits. */
export interface ForwardModel {
  readonly tokenizer: TextTokenizer
  readonly card: { maxLength: number }
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
  /** Insertions per forward pass, in distinct slots. */
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

/** One inserted unit: a generated token, or a required word (several tokens that stay together). */
interface Item {
  ids: number[]
  text: string
}

type Part = { kind: 'text'; ids: number[]; text: string } | { kind: 'gap'; gap: number; items: Item[] }

/** An insertion slot of the flat token sequence, claimed by gaps; `at` is the item index in that gap. */
interface Claim {
  gap: number
  at: number
}

interface Layout {
  tokens: number[]
  /** Claims on the slot after token j; `start` holds the claims on the slot before the first token. */
  after: Claim[][]
  start: Claim[]
  /** Characters of text up to and including token j. */
  charsThrough: number[]
  /** First and last+1 token index of each gap, for windowing. */
  gapSpan: [number, number][]
}

/** Tokens of context the window keeps beside a gap; also the most insertions one parallel step may make. */
const WINDOW_MARGIN = 16

class Alternative {
  readonly parts: Part[]
  readonly rng: Rng
  steps = 0
  generated = 0
  stopReason: StopReason | null = null
  /** Gaps whose window the model has declared complete. */
  readonly finished = new Set<number>()

  constructor(parts: Part[], seed: number) {
    this.parts = parts.map((p) => (p.kind === 'gap' ? { ...p, items: [] } : p))
    this.rng = new Rng(seed)
  }

  gapItems(gap: number): Item[] {
    const part = this.parts.find((p) => p.kind === 'gap' && p.gap === gap)
    return (part as Extract<Part, { kind: 'gap' }>).items
  }

  gapTokens(gap: number): number {
    return this.gapItems(gap).reduce((n, item) => n + item.ids.length, 0)
  }

  layout(): Layout {
    const tokens: number[] = []
    const after: Claim[][] = []
    const charsThrough: number[] = []
    const start: Claim[] = []
    const gapSpan: [number, number][] = []
    let chars = 0
    let boundary = start
    const push = (ids: number[], text: string): Claim[] => {
      ids.forEach((id, j) => {
        tokens.push(id)
        after.push([])
        if (j === ids.length - 1) chars += text.length
        charsThrough.push(chars)
      })
      return after[after.length - 1]!
    }
    for (const part of this.parts) {
      if (part.kind === 'text') {
        boundary = push(part.ids, part.text)
        continue
      }
      const first = tokens.length
      boundary.push({ gap: part.gap, at: 0 })
      part.items.forEach((item, k) => {
        boundary = push(item.ids, item.text)
        boundary.push({ gap: part.gap, at: k + 1 })
      })
      gapSpan[part.gap] = [first, tokens.length]
    }
    return { tokens, after, start, charsThrough, gapSpan }
  }

  text(): string {
    return this.parts.map((p) => (p.kind === 'text' ? p.text : p.items.map((i) => i.text).join(''))).join('')
  }
}

/** A required word goes in as written or after a space, whichever the model scores higher where it lands. */
function requiredForms(tokenizer: TextTokenizer, word: string): Item[] {
  return [word.trim(), ` ${word.trim()}`].map((text) => ({ ids: tokenizer.encode(text), text }))
}

interface Resolved {
  gaps: GapSpec[]
  blocked: Uint8Array[]
  required: { gap: number; variants: Item[] }[]
}

function resolveConstraints(tokenizer: TextTokenizer, gaps: GapSpec[], allowPartial: boolean, vocab: number): Resolved {
  const base = new Uint8Array(vocab)
  for (let v = 0; v < vocab; v++) {
    if (v >= tokenizer.vocabSize || (!allowPartial && tokenizer.tokenText[v] === null)) base[v] = 1
  }
  for (const id of Object.values(tokenizer.special)) base[id] = 1
  const variants = (word: string) => [
    ...new Set([word, ` ${word}`, word[0]!.toUpperCase() + word.slice(1), ` ${word[0]!.toUpperCase()}${word.slice(1)}`])
  ]
  const blocked = gaps.map((gap) => {
    const mask = base.slice()
    for (const word of gap.ban ?? []) {
      const lower = word.trim().toLowerCase()
      tokenizer.tokenText.forEach((text, id) => {
        if (text !== null && text.trim().toLowerCase() === lower) mask[id] = 1
      })
      // A banned word the vocabulary splits is stopped at its first piece.
      for (const form of variants(word.trim())) {
        const ids = tokenizer.encode(form)
        if (ids.length > 1) mask[ids[0]!] = 1
      }
    }
    return mask
  })
  const required = gaps.flatMap((gap, g) =>
    (gap.include ?? []).map((word) => ({
      gap: g,
      variants: requiredForms(tokenizer, word)
    }))
  )
  return { gaps, blocked, required }
}

/** The token window the model sees for an alternative, and which gaps are active in it. */
interface Window {
  from: number
  to: number
  active: Set<number>
}

function chooseWindow(alt: Alternative, layout: Layout, gaps: GapSpec[], maxBody: number): Window | null {
  const open = gaps.map((_, g) => g).filter((g) => !alt.finished.has(g))
  if (open.length === 0) return null
  const n = layout.tokens.length
  if (n <= maxBody) return { from: 0, to: n, active: new Set(open) }
  // Centre the window on the first open gap, leaving room for it to grow; later gaps get their turn.
  const [first, last] = layout.gapSpan[open[0]!]!
  const room = Math.max(0, maxBody - (last - first) - WINDOW_MARGIN)
  let from = Math.max(0, first - Math.ceil(room / 2))
  const to = Math.min(n, from + Math.max(maxBody - WINDOW_MARGIN, last - from))
  from = Math.max(0, Math.min(from, to - (maxBody - WINDOW_MARGIN)))
  const active = new Set(open.filter((g) => layout.gapSpan[g]![0] >= from && layout.gapSpan[g]![1] <= to))
  return { from, to, active }
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
  const stopThreshold = options.stopThreshold ?? 0.9
  const maxTokens = options.maxTokens ?? 256
  const parallel = Math.min(WINDOW_MARGIN, Math.max(1, Math.floor(options.parallel ?? 1)))
  const count = Math.max(1, Math.floor(options.alternatives ?? 1))
  const maxBody = model.card.maxLength - 2
  const { cls, bos } = tokenizer.special
  // A gap may grow only as far as the model can still see it with some context around it.
  const capacity = gaps.map((gap) => Math.min(gap.max ?? Infinity, maxBody - WINDOW_MARGIN))
  for (const [g, gap] of gaps.entries()) {
    const need = (gap.include ?? []).reduce(
      (n, word) => n + Math.min(...requiredForms(tokenizer, word).map((form) => form.ids.length)),
      0
    )
    const limit =
      gap.max !== undefined && gap.max <= capacity[g]!
        ? `max is ${gap.max}`
        : `the model sees at most ${capacity[g]} tokens of one gap`
    if (need > capacity[g]!)
      throw new DocumentError(`Gap "${gap.id}": its required words need ${need} tokens but ${limit}`)
    if ((gap.min ?? 0) > capacity[g]!) throw new DocumentError(`Gap "${gap.id}": min is ${gap.min} but ${limit}`)
  }

  let gapIndex = 0
  const parts: Part[] = segments.map((s) =>
    s.kind === 'text'
      ? { kind: 'text', ids: tokenizer.encode(s.text), text: s.text }
      : { kind: 'gap', gap: gapIndex++, items: [] }
  )
  const alts = Array.from({ length: count }, (_, a) => new Alternative(parts, (options.seed ?? 0) * 1000003 + a))
  let constraints: Resolved | null = null

  /** Claims on the slot behind model row r (r >= 1; row 1 is BOS) inside a window. */
  const claimsOf = (layout: Layout, window: Window, row: number): Claim[] => {
    const j = window.from + row - 2
    return j < 0 ? layout.start : (layout.after[j] ?? [])
  }

  /**
   * Runs one forward pass for the live alternatives. The model computes token logits only for the rows whose
   * slot some gap passing `wanted` claims; each view's `offsetOf(row)` finds a row's logits (-1: not asked).
   */
  async function forwardAll(live: Alternative[], wanted: (alt: Alternative, window: Window, gap: number) => boolean) {
    const views = live.map((alt) => {
      const layout = alt.layout()
      const window = chooseWindow(alt, layout, gaps, maxBody)
      return { alt, layout, window }
    })
    const ready = views.filter((v) => v.window !== null)
    for (const v of views) if (!v.window) v.alt.stopReason ??= 'stop'
    if (ready.length === 0) return []
    const rowLists = ready.map(({ alt, layout, window }) => {
      const rows: number[] = []
      for (let row = 1; row < window!.to - window!.from + 2; row++) {
        if (claimsOf(layout, window!, row).some((c) => wanted(alt, window!, c.gap))) rows.push(row)
      }
      return rows
    })
    const out = await model.forward(
      ready.map(({ layout, window }) => [cls, bos, ...layout.tokens.slice(window!.from, window!.to)]),
      rowLists
    )
    const asked = Math.max(1, ...rowLists.map((r) => r.length))
    if (out.rows !== asked) throw new Error(`The model returned ${out.rows} rows per sequence; ${asked} were asked`)
    constraints ??= resolveConstraints(tokenizer, gaps, options.allowPartialTokens ?? false, out.vocab)
    return ready.map((v, b) => {
      const window = v.window!
      const slot = new Int32Array(window.to - window.from + 2).fill(-1)
      rowLists[b]!.forEach((row, j) => (slot[row] = j))
      const offsetOf = (row: number) => (slot[row]! < 0 ? -1 : (b * out.rows + slot[row]!) * out.vocab)
      return { ...v, window, out, b, offsetOf }
    })
  }

  /** A gap the growth phase may still insert into: in the window, not full. */
  const growing = (alt: Alternative, window: Window, g: number) =>
    window.active.has(g) && alt.gapTokens(g) < capacity[g]!

  function emit(
    alt: Alternative,
    a: number,
    claim: Claim,
    item: Item,
    layout: Layout,
    slotToken: number,
    stopProb: number,
    required: boolean
  ): InsertionEvent {
    const charOffset = slotToken < 0 ? 0 : layout.charsThrough[slotToken]!
    alt.gapItems(claim.gap).splice(claim.at, 0, item)
    return {
      type: 'insert',
      alternative: a,
      step: alt.steps,
      gapId: gaps[claim.gap]!.id,
      charOffset,
      text: item.text,
      tokenId: item.ids[0]!,
      stopProb,
      required
    }
  }

  const stopProbOf = (out: ForwardOutput, b: number) => {
    const [complete, missing] = [out.stopLogits[2 * b]!, out.stopLogits[2 * b + 1]!]
    return 1 / (1 + Math.exp(missing - complete))
  }

  // 1. Required words, one forward pass each, at the slot of their gap that scores the word highest.
  const requiredOrder = gaps.flatMap((gap, g) => (gap.include ?? []).map(() => g))
  for (let r = 0; r < requiredOrder.length; r++) {
    if (options.signal?.aborted) break
    const gapOfWord = requiredOrder[r]!
    for (const view of await forwardAll(alts, (_alt, _window, g) => g === gapOfWord)) {
      const { alt, layout, window, out, b, offsetOf } = view
      const need = constraints!.required[r]!
      let best: { row: number; claim: Claim; variant: Item; score: number } | null = null
      for (let row = 1; row < window.to - window.from + 2; row++) {
        const claim = claimsOf(layout, window, row).find((c) => c.gap === need.gap)
        if (!claim) continue
        for (const variant of need.variants) {
          const score = out.tokenLogits[offsetOf(row) + variant.ids[0]!]!
          if (!best || score > best.score) best = { row, claim, variant, score }
        }
      }
      if (!best)
        throw new DocumentError(
          `Gap "${gaps[need.gap]!.id}" is outside the model's window; cannot place its required words`
        )
      yield emit(
        alt,
        alts.indexOf(alt),
        best.claim,
        best.variant,
        layout,
        window.from + best.row - 2,
        stopProbOf(out, b),
        true
      )
    }
  }

  // 2. Growth: one (or `parallel`) insertion per forward pass until the stop head, the budget or the slots end.
  while (true) {
    const live = alts.filter((alt) => alt.stopReason === null)
    if (live.length === 0) break
    if (options.signal?.aborted) {
      for (const alt of live) alt.stopReason = 'aborted'
      break
    }
    for (const view of await forwardAll(live, growing)) {
      const { alt, layout, window, out, b, offsetOf } = view
      const a = alts.indexOf(alt)
      const stopProb = stopProbOf(out, b)
      const underMin = [...window.active].filter((g) => alt.gapTokens(g) < (gaps[g]!.min ?? 0))
      if (alt.generated >= maxTokens) {
        alt.stopReason = 'max-tokens'
        continue
      }
      if (alt.steps > 0 && stopProb >= stopThreshold && underMin.length === 0) {
        // The model says this window is complete: its gaps are done; the next open gap (if any) comes next.
        for (const g of window.active) alt.finished.add(g)
        alt.steps++
        continue
      }
      const eligible = (g: number) =>
        growing(alt, window, g) && (underMin.length === 0 || stopProb < stopThreshold || underMin.includes(g))
      const rows = window.to - window.from + 2
      const marginals = new Float64Array(rows).fill(-Infinity)
      const rowClaim: (Claim | null)[] = new Array(rows).fill(null)
      for (let row = 1; row < rows; row++) {
        const claim = claimsOf(layout, window, row).find((c) => eligible(c.gap))
        if (!claim) continue
        rowClaim[row] = claim
        const blocked = constraints!.blocked[claim.gap]!
        marginals[row] = maskedLogSumExp(out.tokenLogits, offsetOf(row), out.vocab, blocked, sampling.temperature)
      }
      // Respect each gap's max within one parallel step.
      const room = new Map<number, number>()
      // Never past the token budget, even with several insertions per pass.
      const picks = pickRows(marginals, Math.min(parallel, maxTokens - alt.generated), sampling, alt.rng, (row) => {
        const g = rowClaim[row]!.gap
        const left = room.get(g) ?? capacity[g]! - alt.gapTokens(g)
        if (left <= 0) return false
        room.set(g, left - 1)
        return true
      })
      if (picks.length === 0) {
        for (const g of window.active) alt.finished.add(g)
        if (underMin.length > 0 || window.active.size === 0) alt.stopReason = 'no-slot'
        continue
      }
      // Insert left to right so each event's offset holds when the events are applied in order.
      const chosen = picks
        .map((row) => {
          const claim = rowClaim[row]!
          const logits = maskedRow(
            out.tokenLogits,
            offsetOf(row),
            out.vocab,
            constraints!.blocked[claim.gap]!,
            sampling.temperature
          )
          return { row, claim, token: pickToken(logits, sampling, alt.rng) }
        })
        .sort((x, y) => x.row - y.row)
      let shift = 0
      const shiftByGap = new Map<number, number>()
      for (const { row, claim, token } of chosen) {
        const within = shiftByGap.get(claim.gap) ?? 0
        const item = { ids: [token], text: tokenizer.tokenText[token] ?? tokenizer.decode([token]) }
        const event = emit(
          alt,
          a,
          { gap: claim.gap, at: claim.at + within },
          item,
          layout,
          window.from + row - 2,
          stopProb,
          false
        )
        event.charOffset += shift
        shift += item.text.length
        shiftByGap.set(claim.gap, within + 1)
        alt.generated++
        yield event
      }
      alt.steps++
    }
  }

  return {
    type: 'done',
    alternatives: alts.map((alt) => ({
      text: alt.text(),
      gaps: gaps.map((gap, g) => ({
        id: gap.id,
        text: alt
          .gapItems(g)
          .map((i) => i.text)
          .join(''),
        tokens: alt.gapTokens(g)
      })),
      steps: alt.steps,
      stopReason: alt.stopReason ?? 'stop'
    }))
  }
}
