// What a gap's options allow: the tokens it may not take (special tokens, fragments of a character, banned
// words), the words it must hold and where each goes, and how many tokens it may hold at most.
import { DocumentError, type GapSpec } from './document'
import type { Claim, Item, Layout } from './draft'
import type { TextTokenizer } from './tokenizer'
import { claimsAt, visibleGapTokens, windowRows, type Window } from './window'

export interface RequiredWord {
  gap: number
  /** The forms the word may go in as: as written, or after a space. */
  variants: Item[]
}

export interface GapConstraints {
  /** Per gap, per vocabulary id: 1 = the gap may not take this token. */
  blocked: Uint8Array[]
  /** Every gap's required words, gap by gap, in the order written. */
  required: RequiredWord[]
}

/** A required word goes in as written or after a space, whichever the model scores higher where it lands. */
function requiredForms(tokenizer: TextTokenizer, word: string): Item[] {
  return [word.trim(), ` ${word.trim()}`].map((text) => ({ ids: tokenizer.encode(text), text }))
}

export function buildConstraints(
  tokenizer: TextTokenizer,
  gaps: readonly GapSpec[],
  allowPartial: boolean,
  vocab: number
): GapConstraints {
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
    (gap.include ?? []).map((word) => ({ gap: g, variants: requiredForms(tokenizer, word) }))
  )
  return { blocked, required }
}

/**
 * The most tokens each gap may hold: its max, and never more than the model can see of one gap with context
 * around it. Throws DocumentError for a gap whose min or required words do not fit.
 */
export function gapCapacities(tokenizer: TextTokenizer, gaps: readonly GapSpec[], maxBody: number): number[] {
  return gaps.map((gap) => {
    const capacity = Math.min(gap.max ?? Infinity, visibleGapTokens(maxBody))
    const need = (gap.include ?? []).reduce(
      (n, word) => n + Math.min(...requiredForms(tokenizer, word).map((form) => form.ids.length)),
      0
    )
    const limit =
      gap.max !== undefined && gap.max <= capacity
        ? `max is ${gap.max}`
        : `the model sees at most ${capacity} tokens of one gap`
    if (need > capacity) throw new DocumentError(`Gap "${gap.id}": its required words need ${need} tokens but ${limit}`)
    if ((gap.min ?? 0) > capacity) throw new DocumentError(`Gap "${gap.id}": min is ${gap.min} but ${limit}`)
    return capacity
  })
}

export interface Placement {
  row: number
  claim: Claim
  variant: Item
}

/**
 * Where a required word goes: the slot of its gap, and the form, whose first token the model scores highest
 * (ties: the leftmost slot, then the form as written). `logitOf(row, token)` reads the forward pass; null when
 * the gap has no slot in the window.
 */
export function placeRequired(
  layout: Layout,
  window: Window,
  word: RequiredWord,
  logitOf: (row: number, token: number) => number
): Placement | null {
  let best: (Placement & { score: number }) | null = null
  for (let row = 1; row < windowRows(window); row++) {
    const claim = claimsAt(layout, window, row).find((c) => c.gap === word.gap)
    if (!claim) continue
    for (const variant of word.variants) {
      const score = logitOf(row, variant.ids[0]!)
      if (!best || score > best.score) best = { row, claim, variant, score }
    }
  }
  return best && { row: best.row, claim: best.claim, variant: best.variant }
}
