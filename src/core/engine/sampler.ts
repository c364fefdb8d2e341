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

/** Histogram resolution for finding top-k / top-p cuts: buckets per nat of log-weight below the best token. */
const BUCKETS_PER_NAT = 16
const BUCKETS = CUTOFF * BUCKETS_PER_NAT + 1

/** The histogram bucket of a token `below` nats under the row's best (0 ≤ below < CUTOFF). */
export function bucketOf(below: number): number {
  return Math.min(BUCKETS - 1, Math.floor(below * BUCKETS_PER_NAT))
}

/**
 * The smallest weight a token may have and still be kept by top-k (`topK` > 0) and then top-p (< 1), exactly as
 * if the weights were sorted: the k-th largest weight, then the weight at which the running mass of the
 * largest ones first reaches topP of the mass left by top-k. Ties at the cut are kept. Weights are exp(logit −
 * best) ∈ (0, 1] (0 = out), `buckets` their histogram bucket (see bucketOf). Instead of sorting the whole
 * vocabulary (the slowest part of a step on an undertrained model's flat rows), the histogram finds the one
 * bucket holding the cut and only that bucket is sorted.
 */
export function keepCut(weights: Float64Array, buckets: Uint16Array, topK: number, topP: number): number {
  let cut = 0
  // Pass 1 (only with top-k): the k-th largest weight.
  if (topK > 0) {
    const counts = new Int32Array(BUCKETS)
    let count = 0
    for (let i = 0; i < weights.length; i++) {
      if (weights[i]! > 0) {
        counts[buckets[i]!]!++
        count++
      }
    }
    if (topK < count) {
      let b = 0
      let above = 0
      while (above + counts[b]! < topK) above += counts[b++]!
      cut = descendingIn(weights, buckets, b, 0)[topK - above - 1]!
    }
  }
  if (topP >= 1) return cut
  // Pass 2: mass per bucket of the weights top-k kept; walk down to the bucket where topP of it is reached.
  const mass = new Float64Array(BUCKETS)
  let total = 0
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!
    if (w > 0 && w >= cut) {
      mass[buckets[i]!] += w
      total += w
    }
  }
  let b = 0
  let running = 0
  while (b < BUCKETS - 1 && running + mass[b]! < topP * total) running += mass[b++]!
  for (const w of descendingIn(weights, buckets, b, cut)) {
    running += w
    if (running >= topP * total) return w
  }
  return cut // rounding left the mass a hair short: keep everything top-k kept
}

/** The weights (≥ floor) in one histogram bucket, largest first. */
function descendingIn(weights: Float64Array, buckets: Uint16Array, bucket: number, floor: number): Float64Array {
  const inBucket: number[] = []
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!
    if (w > 0 && w >= floor && buckets[i] === bucket) inBucket.push(w)
  }
  return Float64Array.from(inBucket).sort().reverse()
}

/**
 * Picks a token from one masked row: greedy, or a draw after top-k and top-p (see keepCut). The draw walks the
 * kept tokens in index order.
 */
export function pickToken(row: Float32Array, options: SamplingOptions, rng: Rng): number {
  if (options.temperature === 0) return argmax(row)
  const best = row[argmax(row)]!
  const weights = new Float64Array(row.length)
  const buckets = new Uint16Array(row.length)
  for (let i = 0; i < row.length; i++) {
    if (row[i]! > best - CUTOFF) {
      weights[i] = Math.exp(row[i]! - best)
      buckets[i] = bucketOf(best - row[i]!)
    }
  }
  const cut = keepCut(weights, buckets, options.topK, options.topP)
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
