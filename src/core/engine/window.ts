// What part of a draft the model sees. A draft longer than the model's maximum is seen through a window
// centred on the first open gap, with room for it to grow; the gaps wholly inside the window are active, the
// others wait their turn. The model's input for a window is [CLS] [BOS] tokens[from..to); row r >= 1 of it is
// the slot right after token from + r - 2 (row 1, the BOS row, is the slot before the window's first token).
import type { Claim, Layout } from './draft'

/** Tokens of context a window keeps beside the gap it centres on. */
export const CONTEXT_MARGIN = 16

export interface Window {
  from: number
  to: number
  active: Set<number>
}

/** The most tokens one gap may hold and still be seen with context beside it. */
export function visibleGapTokens(maxBody: number): number {
  return maxBody - CONTEXT_MARGIN
}

/** The window for a draft whose open gaps are `open` (in reading order); null when none is open. */
export function chooseWindow(layout: Layout, open: readonly number[], maxBody: number): Window | null {
  if (open.length === 0) return null
  const n = layout.tokens.length
  if (n <= maxBody) return { from: 0, to: n, active: new Set(open) }
  // Centre the window on the first open gap, leaving room for it to grow; later gaps get their turn.
  const [first, last] = layout.gapSpan[open[0]!]!
  const room = Math.max(0, maxBody - (last - first) - CONTEXT_MARGIN)
  let from = Math.max(0, first - Math.ceil(room / 2))
  const to = Math.min(n, from + Math.max(maxBody - CONTEXT_MARGIN, last - from))
  from = Math.max(0, Math.min(from, to - (maxBody - CONTEXT_MARGIN)))
  const active = new Set(open.filter((g) => layout.gapSpan[g]![0] >= from && layout.gapSpan[g]![1] <= to))
  return { from, to, active }
}

/** Rows of the model input for a window, [CLS] included. */
export function windowRows(window: Window): number {
  return window.to - window.from + 2
}

/** The model input for a window. */
export function windowInput(layout: Layout, window: Window, cls: number, bos: number): number[] {
  return [cls, bos, ...layout.tokens.slice(window.from, window.to)]
}

/** The token a row's slot follows; -1 for the slot before the draft's first token. */
export function slotToken(window: Window, row: number): number {
  return window.from + row - 2
}

/** Claims on the slot behind a row (row >= 1). */
export function claimsAt(layout: Layout, window: Window, row: number): readonly Claim[] {
  const j = slotToken(window, row)
  return j < 0 ? layout.start : (layout.after[j] ?? [])
}

/** The rows whose slot some gap passing `wanted` claims, in order. */
export function rowsClaimedBy(layout: Layout, window: Window, wanted: (gap: number) => boolean): number[] {
  const rows: number[] = []
  for (let row = 1; row < windowRows(window); row++) {
    if (claimsAt(layout, window, row).some((c) => wanted(c.gap))) rows.push(row)
  }
  return rows
}

/** A window of a scan over a whole text: the tokens [from, to) it reads, and the slots [first, last) it reports. */
export interface ScanWindow {
  from: number
  to: number
  /** Slot s is the one after token s (-1: before the first token). */
  first: number
  last: number
}

/**
 * Windows that read a text of n tokens in pieces of at most maxBody, overlapping by half, so that each slot is
 * reported by exactly one window: the one where it sits farthest from an edge (every slot of a scan has
 * context on both sides, except at the ends of the text).
 */
export function scanWindows(n: number, maxBody: number): ScanWindow[] {
  if (n <= maxBody) return [{ from: 0, to: n, first: -1, last: n }]
  const stride = Math.max(1, Math.floor(maxBody / 2))
  const starts: number[] = []
  for (let from = 0; from + maxBody < n; from += stride) starts.push(from)
  starts.push(n - maxBody)
  // Between two neighbours, the slots left of the middle of their overlap belong to the left one.
  const middle = (k: number) => Math.floor((starts[k]! + maxBody + starts[k + 1]!) / 2)
  return starts.map((from, k) => ({
    from,
    to: from + maxBody,
    first: k === 0 ? -1 : middle(k - 1),
    last: k === starts.length - 1 ? n : middle(k)
  }))
}
