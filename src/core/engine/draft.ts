// The draft being filled: fixed text and what each gap holds so far, laid out as the flat token sequence the
// model reads, with the insertion slots each gap claims. Fixed text is encoded once and shared by every
// alternative; each alternative's draft holds its own gap items.
import type { Segment } from './document'
import type { TextTokenizer } from './tokenizer'

/** One inserted unit: a generated token, or a required word (several tokens that stay together). */
export interface Item {
  ids: number[]
  text: string
}

/** A document's parts in order: fixed text (encoded) and gaps (numbered 0.. in reading order). */
export type Part = { kind: 'text'; ids: number[]; text: string } | { kind: 'gap'; gap: number }

/** An insertion slot of the flat token sequence, claimed by a gap; `at` is the item index in that gap. */
export interface Claim {
  gap: number
  at: number
}

export interface Layout {
  tokens: number[]
  /** Claims on the slot after token j; `start` holds the claims on the slot before the first token. */
  after: Claim[][]
  start: Claim[]
  /** Characters of text up to and including token j. */
  charsThrough: number[]
  /** First and last+1 token index of each gap, for windowing. */
  gapSpan: [number, number][]
}

export function encodeParts(tokenizer: TextTokenizer, segments: readonly Segment[]): Part[] {
  let gap = 0
  return segments.map((s) =>
    s.kind === 'text' ? { kind: 'text', ids: tokenizer.encode(s.text), text: s.text } : { kind: 'gap', gap: gap++ }
  )
}

export class Draft {
  private readonly items: Item[][]

  constructor(private readonly parts: readonly Part[]) {
    this.items = parts.filter((p) => p.kind === 'gap').map(() => [])
  }

  gapItems(gap: number): readonly Item[] {
    return this.items[gap]!
  }

  gapTokens(gap: number): number {
    return this.items[gap]!.reduce((n, item) => n + item.ids.length, 0)
  }

  gapText(gap: number): string {
    return this.items[gap]!.map((i) => i.text).join('')
  }

  /** Puts an item into the slot a claim names. */
  insert(claim: Claim, item: Item): void {
    this.items[claim.gap]!.splice(claim.at, 0, item)
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
      if (ids.length === 0) return boundary
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
      this.items[part.gap]!.forEach((item, k) => {
        boundary = push(item.ids, item.text)
        boundary.push({ gap: part.gap, at: k + 1 })
      })
      gapSpan[part.gap] = [first, tokens.length]
    }
    return { tokens, after, start, charsThrough, gapSpan }
  }

  text(): string {
    return this.parts.map((p) => (p.kind === 'text' ? p.text : this.gapText(p.gap))).join('')
  }
}
