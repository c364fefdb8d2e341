// One growth step: from one forward pass, the (slot, token) insertions to make. Each row whose slot an
// eligible gap claims scores its gap marginal (log-sum-exp of its allowed tokens); up to k rows are picked by
// marginal, never more in one gap than it has room for; then each picked row draws its token.
import type { Claim } from './draft'
import type { Rng } from './rng'
import { maskedLogSumExp, maskedRow, pickRows, pickToken, type SamplingOptions } from './sampler'

/** Token logits of the rows a forward pass returned for one sequence. */
export interface RowLogits {
  tokenLogits: Float32Array
  vocab: number
  /** Where a row's logits start in tokenLogits; -1 for a row that was not asked for. */
  offsetOf(row: number): number
}

export interface Insertion {
  row: number
  claim: Claim
  token: number
}

/**
 * `rowClaims[row]`: the claim an eligible gap has on that row's slot (null: none). `room(gap)`: how many more
 * tokens the gap may take. Returns the insertions left to right (by row).
 */
export function chooseInsertions(
  logits: RowLogits,
  rowClaims: readonly (Claim | null)[],
  blocked: readonly Uint8Array[],
  k: number,
  room: (gap: number) => number,
  sampling: SamplingOptions,
  rng: Rng
): Insertion[] {
  const { tokenLogits, vocab, offsetOf } = logits
  const marginals = new Float64Array(rowClaims.length).fill(-Infinity)
  rowClaims.forEach((claim, row) => {
    if (claim)
      marginals[row] = maskedLogSumExp(tokenLogits, offsetOf(row), vocab, blocked[claim.gap]!, sampling.temperature)
  })
  // Respect each gap's room within one parallel step.
  const taken = new Map<number, number>()
  const picks = pickRows(marginals, k, sampling, rng, (row) => {
    const gap = rowClaims[row]!.gap
    const left = room(gap) - (taken.get(gap) ?? 0)
    if (left <= 0) return false
    taken.set(gap, (taken.get(gap) ?? 0) + 1)
    return true
  })
  return picks
    .map((row) => {
      const claim = rowClaims[row]!
      const masked = maskedRow(tokenLogits, offsetOf(row), vocab, blocked[claim.gap]!, sampling.temperature)
      return { row, claim, token: pickToken(masked, sampling, rng) }
    })
    .sort((x, y) => x.row - y.row)
}
