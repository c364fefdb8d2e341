import { describe, expect, it } from 'vitest'
import { Draft, type Part } from './draft'
import {
  chooseWindow,
  claimsAt,
  CONTEXT_MARGIN,
  rowsClaimedBy,
  scanWindows,
  slotToken,
  windowInput,
  windowRows
} from './window'

const text = (n: number, first: number): Part => ({
  kind: 'text',
  ids: Array.from({ length: n }, (_, i) => first + i),
  text: 'x'.repeat(n)
})
// 50 tokens, gap 0, 50 tokens, gap 1, 50 tokens: 150 tokens in all.
const long = new Draft([text(50, 100), { kind: 'gap', gap: 0 }, text(50, 200), { kind: 'gap', gap: 1 }, text(50, 300)])

describe('chooseWindow', () => {
  it('sees a short draft whole, with every open gap active', () => {
    expect(chooseWindow(long.layout(), [0, 1], 150)).toEqual({ from: 0, to: 150, active: new Set([0, 1]) })
    expect(chooseWindow(long.layout(), [1], 150)).toEqual({ from: 0, to: 150, active: new Set([1]) })
  })

  it('centres a long draft on the first open gap, keeping CONTEXT_MARGIN tokens free', () => {
    expect(CONTEXT_MARGIN).toBe(16)
    // 64 - 16 = 48 tokens around gap 0 at token 50: 24 on each side.
    expect(chooseWindow(long.layout(), [0, 1], 64)).toEqual({ from: 26, to: 74, active: new Set([0]) })
    expect(chooseWindow(long.layout(), [1], 64)).toEqual({ from: 76, to: 124, active: new Set([1]) })
    // Near the end the window slides back to stay full.
    const tail = new Draft([text(100, 100), { kind: 'gap', gap: 0 }, text(4, 200)])
    expect(chooseWindow(tail.layout(), [0], 64)).toEqual({ from: 56, to: 104, active: new Set([0]) })
  })

  it('has no window when no gap is open', () => {
    expect(chooseWindow(long.layout(), [], 64)).toBeNull()
  })
})

describe('rows of a window', () => {
  const layout = long.layout()
  const window = chooseWindow(layout, [0, 1], 64)!

  it('row r is the slot after token from + r - 2; the input is [CLS] [BOS] and the window tokens', () => {
    expect(windowRows(window)).toBe(50)
    expect(slotToken(window, 1)).toBe(25)
    const ids = (first: number, n: number) => Array.from({ length: n }, (_, i) => first + i)
    expect(windowInput(layout, window, 1, 2)).toEqual([1, 2, ...ids(126, 24), ...ids(200, 24)])
    // Gap 0 claims the slot after token 49: row 25.
    expect(claimsAt(layout, window, 25)).toEqual([{ gap: 0, at: 0 }])
    expect(rowsClaimedBy(layout, window, (g) => g === 0)).toEqual([25])
    expect(rowsClaimedBy(layout, window, (g) => g === 1)).toEqual([])
  })

  it('the BOS row of a window at the start is the slot before the first token', () => {
    const first = new Draft([{ kind: 'gap', gap: 0 }, text(3, 7)])
    const w = chooseWindow(first.layout(), [0], 64)!
    expect(slotToken(w, 1)).toBe(-1)
    expect(rowsClaimedBy(first.layout(), w, () => true)).toEqual([1])
  })
})

describe('scanWindows', () => {
  it('reads a short text in one window that reports every slot', () => {
    expect(scanWindows(30, 46)).toEqual([{ from: 0, to: 30, first: -1, last: 30 }])
    expect(scanWindows(0, 46)).toEqual([{ from: 0, to: 0, first: -1, last: 0 }])
  })

  it('reads a long one in windows overlapping by half; each slot is reported once, away from the edges', () => {
    const windows = scanWindows(120, 46)
    expect(windows).toEqual([
      { from: 0, to: 46, first: -1, last: 34 },
      { from: 23, to: 69, first: 34, last: 57 },
      { from: 46, to: 92, first: 57, last: 80 },
      { from: 69, to: 115, first: 80, last: 94 },
      { from: 74, to: 120, first: 94, last: 120 }
    ])
    // Every slot -1..119 once, each inside the window that reports it (slot s needs tokens up to s).
    expect(windows.flatMap((w) => Array.from({ length: w.last - w.first }, (_, i) => w.first + i))).toEqual(
      Array.from({ length: 121 }, (_, i) => i - 1)
    )
    for (const w of windows) expect(w.first >= w.from - 1 && w.last <= w.to).toBe(true)
  })
})
