import { describe, expect, it } from 'vitest'
import { Rng } from './rng'
import { bucketOf, keepCut, maskedLogSumExp, maskedRow, pickRows, pickToken, type SamplingOptions } from './sampler'

const greedy: SamplingOptions = { temperature: 0, topP: 1, topK: 0, gapChoice: 'top' }

describe('sampler', () => {
  it('computes the masked marginal in place, as log Σ exp of the scaled allowed logits', () => {
    const logits = Float32Array.from([9, 1, 2, 3, 0.5, -1])
    // The row starting at offset 1 is [1, 2, 3, 0.5, -1]; its last token is blocked.
    const blocked = Uint8Array.from([0, 0, 0, 0, 1])
    const brute = (t: number) => Math.log([1, 2, 3, 0.5].reduce((s, x) => s + Math.exp(x / t), 0))
    expect(maskedLogSumExp(logits, 1, 5, blocked, 1)).toBeCloseTo(brute(1), 6)
    expect(maskedLogSumExp(logits, 1, 5, blocked, 0.5)).toBeCloseTo(brute(0.5), 6)
    expect(maskedLogSumExp(logits, 0, 2, Uint8Array.from([1, 1]), 1)).toBe(-Infinity)
  })

  it('greedy takes the first maximum; top-p keeps the smallest set reaching p', () => {
    const row = maskedRow(Float32Array.from([1, 5, 5, 0]), 0, 4, new Uint8Array(4), 1)
    expect(pickToken(row, greedy, new Rng(1))).toBe(1)
    // probabilities ≈ [0.70, 0.26, 0.04]: with top-p 0.5 only token 0 can come out.
    const peaked = Float32Array.from([3, 2, 0.1])
    const draws = new Set(
      Array.from({ length: 200 }, (_, i) => pickToken(peaked, { ...greedy, temperature: 1, topP: 0.5 }, new Rng(i)))
    )
    expect([...draws]).toEqual([0])
    const wide = new Set(
      Array.from({ length: 400 }, (_, i) => pickToken(peaked, { ...greedy, temperature: 1, topP: 1 }, new Rng(i)))
    )
    expect(wide).toEqual(new Set([0, 1, 2]))
    const topK = new Set(
      Array.from({ length: 400 }, (_, i) =>
        pickToken(peaked, { ...greedy, temperature: 1, topP: 1, topK: 2 }, new Rng(i))
      )
    )
    expect(topK).toEqual(new Set([0, 1]))
  })

  it('finds the top-k / top-p cut a full sort finds, ties included', () => {
    // Reference: sort all weights, take the k-th largest, then walk down until topP of the kept mass.
    const sortedCut = (weights: Float64Array, topK: number, topP: number) => {
      const sorted = weights.filter((w) => w > 0).sort()
      const cut = topK > 0 && topK < sorted.length ? sorted[sorted.length - topK]! : 0
      const kept = sorted.filter((w) => w >= cut)
      const total = kept.reduce((a, b) => a + b, 0)
      let mass = 0
      for (let j = kept.length - 1; topP < 1 && j >= 0; j--) {
        mass += kept[j]!
        if (mass >= topP * total) return kept[j]!
      }
      return cut
    }
    const rng = new Rng(7)
    for (let trial = 0; trial < 300; trial++) {
      const size = 1 + Math.floor(rng.next() * 3000)
      const spread = [0.5, 4, 40][trial % 3]! // peaked, flat-ish, and rows reaching past the cutoff
      // Logits on a coarse grid make many exact ties.
      const row = Float32Array.from({ length: size }, () => Math.round(rng.next() * spread * 8) / 8)
      const best = Math.max(...row)
      const weights = new Float64Array(size)
      const buckets = new Uint16Array(size)
      row.forEach((x, i) => {
        if (x > best - 30) {
          weights[i] = Math.exp(x - best)
          buckets[i] = bucketOf(best - x)
        }
      })
      const topK = [0, 1, 5, 50][trial % 4]!
      const topP = [1, 0.9, 0.5, 0.2, 0.999][trial % 5]!
      expect(keepCut(weights, buckets, topK, topP)).toBe(sortedCut(weights, topK, topP))
    }
  })

  it('is reproducible by seed', () => {
    const row = Float32Array.from(Array.from({ length: 50 }, (_, i) => Math.sin(i)))
    const options = { ...greedy, temperature: 1, topP: 0.95 }
    const a = Array.from({ length: 20 }, (_, i) => pickToken(row, options, new Rng(i)))
    const b = Array.from({ length: 20 }, (_, i) => pickToken(row, options, new Rng(i)))
    expect(a).toEqual(b)
  })

  it('picks distinct rows best first, skipping refused and disallowed ones', () => {
    const marginals = Float64Array.from([-Infinity, 2, 7, 5, -Infinity, 6])
    expect(pickRows(marginals, 3, greedy, new Rng(0))).toEqual([2, 5, 3])
    expect(pickRows(marginals, 3, greedy, new Rng(0), (row) => row !== 5)).toEqual([2, 3, 1])
    expect(pickRows(marginals, 9, greedy, new Rng(0))).toHaveLength(4)
  })
})
