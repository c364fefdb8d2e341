// Gap marks in the editor: how they follow edits, how new ones are placed, and how their options are checked.
// Pure functions over GapMark (shared with the store and the engine), so they are unit-tested without a view.
import { MapMode, type ChangeDesc } from '@codemirror/state'
import type { GapMark } from '../../../shared/documents'

/** The contract's limits on a gap's options (see GapMarkSchema). */
export const GAP_LIMITS = { tokens: 2000, include: 20, ban: 50, wordLength: 100 } as const

export function sortGaps(gaps: readonly GapMark[]): GapMark[] {
  return [...gaps].sort((a, b) => a.from - b.from || a.to - b.to)
}

/**
 * Maps gaps through an edit. An insertion point stays before text typed at it (so the writer keeps typing after
 * the gap) and disappears when a deletion spans it; a rewrite range keeps text typed inside it, not at its edges,
 * and disappears when its text is gone. Gaps that collide after the edit keep the first.
 */
export function mapGaps(gaps: readonly GapMark[], changes: ChangeDesc): GapMark[] {
  const mapped: GapMark[] = []
  for (const gap of gaps) {
    let from: number
    let to: number
    if (gap.from === gap.to) {
      const at = changes.mapPos(gap.from, -1, MapMode.TrackDel)
      if (at === null) continue
      from = to = at
    } else {
      from = changes.mapPos(gap.from, 1)
      to = changes.mapPos(gap.to, -1)
      if (to <= from) continue
    }
    const previous = mapped[mapped.length - 1]
    if (previous && (from < previous.to || (from === previous.to && from === to && previous.from === previous.to))) {
      continue
    }
    mapped.push(from === gap.from && to === gap.to ? gap : { ...gap, from, to })
  }
  return mapped
}

/** The gap at a position: an insertion point there, or a rewrite range containing or touching it. */
export function gapAt(gaps: readonly GapMark[], pos: number): GapMark | undefined {
  return gaps.find((g) => g.from <= pos && pos <= g.to)
}

/** A fresh id, unique among the given gaps: g1, g2, … */
export function nextGapId(gaps: readonly GapMark[]): string {
  let n = 0
  for (const g of gaps) {
    const m = /^g(\d+)$/.exec(g.id)
    if (m) n = Math.max(n, Number(m[1]))
  }
  return `g${n + 1}`
}

export type AddGapResult = { ok: true; gaps: GapMark[]; gap: GapMark } | { ok: false; reason: string }

/** Adds a gap over [from, to) (an insertion point when equal); refuses one that touches or overlaps another. */
export function addGap(gaps: readonly GapMark[], from: number, to: number): AddGapResult {
  if (from > to) [from, to] = [to, from]
  const clash = gaps.find((g) => from <= g.to && g.from <= to)
  if (clash) return { ok: false, reason: 'There is already a gap here; open its options with Mod-G instead.' }
  const gap: GapMark = { id: nextGapId(gaps), from, to }
  return { ok: true, gaps: sortGaps([...gaps, gap]), gap }
}

export function removeGap(gaps: readonly GapMark[], id: string): GapMark[] {
  return gaps.filter((g) => g.id !== id)
}

/** What the options form holds: raw text fields, as typed. */
export interface GapOptionsInput {
  min: string
  max: string
  include: string
  ban: string
}

export type GapOptions = Pick<GapMark, 'min' | 'max' | 'include' | 'ban'>

export type GapOptionsResult =
  { ok: true; options: GapOptions } | { ok: false; errors: Partial<Record<keyof GapOptionsInput, string>> }

export function optionsInput(gap: GapMark): GapOptionsInput {
  return {
    min: gap.min === undefined ? '' : String(gap.min),
    max: gap.max === undefined ? '' : String(gap.max),
    include: (gap.include ?? []).join(', '),
    ban: (gap.ban ?? []).join(', ')
  }
}

/** Words are separated by commas; blanks around them are dropped; an empty entry ("a,,b") is an error. */
function parseWords(text: string): string[] | 'empty' | 'long' {
  if (text.trim() === '') return []
  const words = text.split(',').map((w) => w.trim())
  if (words.some((w) => w === '')) return 'empty'
  if (words.some((w) => w.length > GAP_LIMITS.wordLength)) return 'long'
  return [...new Set(words)]
}

function parseBound(text: string): number | undefined | 'bad' {
  const t = text.trim()
  if (t === '') return undefined
  if (!/^\d+$/.test(t)) return 'bad'
  const n = Number(t)
  return n <= GAP_LIMITS.tokens ? n : 'bad'
}

/** Checks the options form: whole token counts in range, min ≤ max, non-empty words, no word both required and banned. */
export function parseGapOptions(input: GapOptionsInput): GapOptionsResult {
  const errors: Partial<Record<keyof GapOptionsInput, string>> = {}
  const min = parseBound(input.min)
  const max = parseBound(input.max)
  if (min === 'bad') errors.min = `A whole number from 0 to ${GAP_LIMITS.tokens}`
  if (max === 'bad') errors.max = `A whole number from 0 to ${GAP_LIMITS.tokens}`
  if (typeof min === 'number' && typeof max === 'number' && min > max) errors.max = 'At least the minimum'
  const include = parseWords(input.include)
  const ban = parseWords(input.ban)
  for (const [field, words, limit] of [
    ['include', include, GAP_LIMITS.include],
    ['ban', ban, GAP_LIMITS.ban]
  ] as const) {
    if (words === 'empty') errors[field] = 'Remove the empty word between commas'
    else if (words === 'long') errors[field] = `Words are at most ${GAP_LIMITS.wordLength} characters`
    else if (words.length > limit) errors[field] = `At most ${limit} words`
  }
  if (Array.isArray(include) && Array.isArray(ban)) {
    const banned = new Set(ban.map((w) => w.toLowerCase()))
    const clash = include.find((w) => banned.has(w.toLowerCase()))
    if (clash !== undefined) errors.ban = `“${clash}” is also required`
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  const options: GapOptions = {}
  if (typeof min === 'number') options.min = min
  if (typeof max === 'number') options.max = max
  if (Array.isArray(include) && include.length > 0) options.include = include
  if (Array.isArray(ban) && ban.length > 0) options.ban = ban
  return { ok: true, options }
}

/** A gap with new options, holding only the fields that are set (the contract's schema is strict). */
export function withOptions(gap: GapMark, options: GapOptions): GapMark {
  return { id: gap.id, from: gap.from, to: gap.to, ...options }
}

/** One line describing a gap's options, for labels and lists. */
export function describeGap(gap: GapMark): string {
  const parts: string[] = []
  if (gap.from < gap.to) parts.push('rewrite')
  if (gap.min !== undefined && gap.max !== undefined) parts.push(`${gap.min}–${gap.max} tokens`)
  else if (gap.min !== undefined) parts.push(`≥ ${gap.min} tokens`)
  else if (gap.max !== undefined) parts.push(`≤ ${gap.max} tokens`)
  if (gap.include?.length) parts.push(`needs ${gap.include.join(', ')}`)
  if (gap.ban?.length) parts.push(`bans ${gap.ban.join(', ')}`)
  return parts.join(' · ')
}
