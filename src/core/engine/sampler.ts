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

/** log Σ exp(x) over a row; -Infinity when everything is masked. */
export function logSumExp(row: Float32Array): number {
  let max = -Infinity
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!
  if (max === -Infinity) return -Infinity
  let sum = 0
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max)
  return max + Math.log(sum)
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

/** Picks a token from one masked row. */
export function pickToken(row: Float32Array, options: SamplingOptions, rng: Rng): number {
  if (options.temperature === 0) return argmax(row)
  // Tokens more than CUTOFF below the best carry under e^-30 each: leaving them out of the sort changes no top-p
  // set, and saves sorting the whole vocabulary at every pick.
  const best = row[argmax(row)]!
  const order: number[] = []
  for (let i = 0; i < row.length; i++) if (row[i]! > best - CUTOFF) order.push(i)
  order.sort((a, b) => row[b]! - row[a]! || a - b)
  let keep = options.topK > 0 ? order.slice(0, options.topK) : order
  if (options.topP < 1) {
    const probs = keep.map((i) => row[i]!)
    const lse = logSumExp(Float32Array.from(probs))
    let mass = 0
    let cut = keep.length
    for (let j = 0; j < keep.length; j++) {
      mass += Math.exp(probs[j]! - lse)
      if (mass >= options.topP) {
        cut = j + 1
        break
      }
    }
    keep = keep.slice(0, cut)
  }
  return keep[
    drawFromLogits(
      keep.map((i) => row[i]!),
      rng
    )
  ]!
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
