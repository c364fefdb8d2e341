// Choosing (gap, token) from one forward pass, in small pure steps:
//   row scores (masked logits of one row) -> gap choice by log-sum-exp marginal -> token choice
//   (greedy, or temperature / top-k / top-p sampling with a seeded Rng).
import type { Rng } from './rng'

export interface SamplingOptions {
  /** 0 = greedy (deterministic, ties to the lowest index); otherwise logits are divided by it. */
  temperature: number
  /** Keep the smallest set of tokens whose probability reaches topP (1 = off). */
  topP: number
  /** Keep at most topK tokens (0 = off). */
  topK: number
  /** 'top': the gap with the largest marginal (the paper's runs); 'sample': draw the gap from the marginal. */
  gapChoice: 'top' | 'sample'
}

/** exp(-CUTOFF) ≈ 9e-14: terms this far below the maximum cannot move a sum of at most a vocabulary of them. */
const CUTOFF = 30

/**
 * log Σ exp over the allowed tokens of one row, read in place (no copy): the gap marginal. It runs for every
 * allowed row at every step, so it skips the exp of tokens more than CUTOFF below the row's best (their total
 * share is under vocab × e^-30 ≈ 1e-9, far below float32 resolution of the logits themselves).
 */
export function maskedLogSumExp(
  logits: Float32Array,
  offset: number,
  vocab: number,
  blocked: Uint8Array,
  temperature: number
): number {
  const scale = temperature > 0 ? 1 / temperature : 1
  let max = -Infinity
  for (let v = 0; v < vocab; v++) if (!blocked[v] && logits[offset + v]! > max) max = logits[offset + v]!
  if (max === -Infinity) return -Infinity
  const floor = max - CUTOFF / scale
  let sum = 0
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v]!
    if (x > floor && !blocked[v]) sum += Math.exp((x - max) * scale)
  }
  return max * scale + Math.log(sum)
}

/** Copies one row of logits with disallowed tokens set to -Infinity and the temperature applied. */
export function maskedRow(
  logits: Float32Array,
  offset: number,
  vocab: number,
  blocked: Uint8Array,
  temperature: number
): Float32Array {
  const row = logits.slice(offset, offset + vocab)
  const scale = temperature > 0 ? 1 / temperature : 1
  for (let v = 0; v < vocab; v++) row[v] = blocked[v] ? -Infinity : row[v]! * scale
  return row
}

function argmax(values: ArrayLike<number>): number {
  let best = -1
  let bestValue = -Infinity
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > bestValue) {
      bestValue = values[i]!
      best = i
    }
  }
  return best
}

/** Draws an index from unnormalised log-weights. */
function drawFromLogits(logits: ArrayLike<number>, rng: Rng): number {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!
  let total = 0
  const weights = new Float64Array(logits.length)
  for (let i = 0; i < logits.length; i++) total += weights[i] = Math.exp(logits[i]! - max)
  let u = rng.next() * total
  for (let i = 0; i < weights.length; i++) {
    if (weights[i]! > 0 && (u -= weights[i]!) <= 0) return i
  }
  return argmax(logits)
}

/**
 * Picks a token from one masked row: greedy, or a draw after top-k and top-p. The kept set is found from the
 * weights sorted natively (no comparator sort over the vocabulary: an undertrained model's flat rows made that
 * the slowest part of a step); ties at the cut are all kept. The draw walks the kept tokens in index order.
 */
export function pickToken(row: Float32Array, options: SamplingOptions, rng: Rng): number {
  if (options.temperature === 0) return argmax(row)
  const best = row[argmax(row)]!
  const weights = new Float64Array(row.length)
  let count = 0
  for (let i = 0; i < row.length; i++) {
    if (row[i]! > best - CUTOFF) {
      weights[i] = Math.exp(row[i]! - best)
      count++
    }
  }
  const sorted = new Float64Array(count)
  for (let i = 0, j = 0; i < row.length; i++) if (weights[i]! > 0) sorted[j++] = weights[i]!
  sorted.sort() // ascending
  let cut = 0
  if (options.topK > 0 && options.topK < count) cut = sorted[count - options.topK]!
  if (options.topP < 1) {
    let total = 0
    for (let j = count - 1; j >= 0 && sorted[j]! >= cut; j--) total += sorted[j]!
    let mass = 0
    for (let j = count - 1; j >= 0 && sorted[j]! >= cut; j--) {
      mass += sorted[j]!
      if (mass >= options.topP * total) {
        cut = sorted[j]!
        break
      }
    }
  }
  let kept = 0
  for (let i = 0; i < row.length; i++) if (weights[i]! >= cut && weights[i]! > 0) kept += weights[i]!
  let u = rng.next() * kept
  let last = -1
  for (let i = 0; i < row.length; i++) {
    if (weights[i]! < cut || weights[i]! === 0) continue
    last = i
    if ((u -= weights[i]!) <= 0) return i
  }
  return last
}

/**
 * Picks up to k distinct rows from their marginals (-Infinity = not allowed), best first. `accept` may refuse a
 * row (say, its gap is full after the rows already taken); a refused row is skipped.
 */
export function pickRows(
  marginals: Float64Array,
  k: number,
  options: SamplingOptions,
  rng: Rng,
  accept: (row: number) => boolean = () => true
): number[] {
  const scores = Float64Array.from(marginals)
  const rows: number[] = []
  while (rows.length < k && argmax(scores) >= 0) {
    const row = options.gapChoice === 'sample' && options.temperature > 0 ? drawFromLogits(scores, rng) : argmax(scores)
    scores[row] = -Infinity
    if (accept(row)) rows.push(row)
  }
  return rows
}
