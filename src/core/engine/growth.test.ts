import { describe, expect, it } from 'vitest'
import { chooseInsertions, type RowLogits } from './growth'
import { Rng } from './rng'
import type { SamplingOptions } from './sampler'

const greedy: SamplingOptions = { temperature: 0, topP: 1, topK: 0, gapChoice: 'top' }
// Rows 1..3 of a window (row 0 is [CLS]), 4 tokens each.
const logits: RowLogits = {
  tokenLogits: Float32Array.from([0, 1, 0, 0, 0, 0, 5, 0, 3, 3, 3, 3]),
  vocab: 4,
  offsetOf: (row) => (row - 1) * 4
}
const claims = [null, { gap: 0, at: 0 }, { gap: 0, at: 1 }, { gap: 1, at: 0 }]
// Gap 0 may not take token 0; gap 1 may take only token 3.
const blocked = [Uint8Array.from([1, 0, 0, 0]), Uint8Array.from([1, 1, 1, 0])]
const choose = (k: number, room: (gap: number) => number, rowClaims = claims) =>
  chooseInsertions(logits, rowClaims, blocked, k, room, greedy, new Rng(0))

describe('chooseInsertions', () => {
  it('picks the row with the largest gap marginal, then its best allowed token', () => {
    // Marginals: row 1 log(e + 2) ≈ 1.55, row 2 ≈ 5.01, row 3 (token 3 only) = 3.
    expect(choose(1, () => 9)).toEqual([{ row: 2, claim: { gap: 0, at: 1 }, token: 2 }])
  })

  it('with k > 1 picks distinct rows by marginal and returns them left to right', () => {
    expect(choose(2, () => 9)).toEqual([
      { row: 2, claim: { gap: 0, at: 1 }, token: 2 },
      { row: 3, claim: { gap: 1, at: 0 }, token: 3 }
    ])
    expect(choose(3, () => 9).map((i) => i.row)).toEqual([1, 2, 3])
  })

  it('never puts more tokens in a gap than its room', () => {
    expect(choose(3, (g) => (g === 0 ? 1 : 9)).map((i) => i.row)).toEqual([2, 3])
    expect(choose(3, (g) => (g === 1 ? 0 : 9)).map((i) => i.row)).toEqual([1, 2])
    expect(choose(3, () => 0)).toEqual([])
  })

  it('only rows with a claim compete', () => {
    expect(choose(3, () => 9, [null, claims[1]!, null, null])).toEqual([{ row: 1, claim: { gap: 0, at: 0 }, token: 1 }])
  })

  it('draws the same insertions from the same seed when sampling, and never a blocked token', () => {
    const sample = { ...greedy, temperature: 1, gapChoice: 'sample' as const }
    const draws = Array.from({ length: 50 }, (_, seed) =>
      chooseInsertions(logits, claims, blocked, 2, () => 9, sample, new Rng(seed))
    )
    expect(draws).toEqual(
      Array.from({ length: 50 }, (_, seed) =>
        chooseInsertions(logits, claims, blocked, 2, () => 9, sample, new Rng(seed))
      )
    )
    for (const insertion of draws.flat()) expect(blocked[insertion.claim.gap]![insertion.token]).toBe(0)
    expect(new Set(draws.map((d) => d.map((i) => i.row).join()))).toEqual(new Set(['1,2', '2,3', '1,3']))
  })
})
