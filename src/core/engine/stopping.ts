// Stopping criteria: after each forward pass of the growth phase, which of an alternative's gaps end, and
// why, and which may grow. A model with a length head ends each gap on its own, when the tokens it still
// expects there fall below the length threshold; a model without one judges the window as a whole with its
// stop head, as it always has. Either way no gap ends below its min, and the token budget ends all of them.
import type { FilledAlternative, GapEndReason } from '../../shared/contract'
import type { Layout } from './draft'
import { claimsAt, windowRows, type Window } from './window'

/** softmax(stop logits)[complete] of sequence b. */
export function stopProbability(stopLogits: Float32Array, b: number): number {
  const [complete, missing] = [stopLogits[2 * b]!, stopLogits[2 * b + 1]!]
  return 1 / (1 + Math.exp(missing - complete))
}

/**
 * The expected tokens still missing in each active gap of a window: the sum of λ over the rows whose slot the
 * gap claims. `lengthOf(row)`: λ of an asked row (NaN for one not asked).
 */
export function expectedRemaining(
  layout: Layout,
  window: Window,
  lengthOf: (row: number) => number
): Map<number, number> {
  const remaining = new Map([...window.active].map((g) => [g, 0]))
  for (let row = 1; row < windowRows(window); row++) {
    for (const { gap } of claimsAt(layout, window, row)) {
      const sum = remaining.get(gap)
      if (sum !== undefined) remaining.set(gap, sum + lengthOf(row))
    }
  }
  return remaining
}

/**
 * The planned-length rule: what a gap still lacks is min(Σλ now, Σλ at its first pass − the tokens written in it
 * since). The first pass reads the writer's own text around the empty gap, the case the length head is trained on
 * most directly; later passes read the model's own partial fill, where Σλ stays high even once the gap holds a
 * whole sentence (training/results/length_run.md). As the Python reference's generate(length_plan=True).
 */
export class LengthPlan {
  private readonly first = new Map<number, { tokens: number; written: number }>()

  /** `now`: expectedRemaining of this pass; `written(gap)`: the tokens in the gap now. */
  remaining(now: ReadonlyMap<number, number>, written: (gap: number) => number): Map<number, number> {
    return new Map(
      [...now].map(([gap, tokens]) => {
        let plan = this.first.get(gap)
        if (!plan) this.first.set(gap, (plan = { tokens, written: written(gap) }))
        return [gap, Math.min(tokens, plan.tokens - (written(gap) - plan.written))]
      })
    )
  }
}

/** The length threshold where neither the caller nor the model card sets one (as the Python reference's). */
export const DEFAULT_LENGTH_THRESHOLD = 0.5

export interface StoppingCriteria {
  /** Most tokens generated per alternative (required words not counted). */
  maxTokens: number
  /** No length head: the window's gaps are complete once the stop probability reaches this. */
  stopThreshold: number
  /** Length head: a gap is complete once the tokens the model expects still missing in it fall below this. */
  lengthThreshold: number
}

/** An alternative at one growth forward pass. */
export interface StepState {
  /** Growth passes so far. */
  steps: number
  /** Tokens generated so far. */
  generated: number
  stopProb: number
  /** The open gaps of the draft, and those of them in the window. */
  open: readonly number[]
  active: ReadonlySet<number>
  /** Expected tokens still missing per active gap (LengthPlan over expectedRemaining); null without a length head. */
  remaining: ReadonlyMap<number, number> | null
  tokens(gap: number): number
  min(gap: number): number
}

export interface StepDecision {
  /** Gaps that end at this pass, and why ('model' or 'max-tokens'). */
  ended: Map<number, GapEndReason>
  /** Active gaps that may take an insertion at this pass. */
  eligible: Set<number>
}

export function decideStep(criteria: StoppingCriteria, state: StepState): StepDecision {
  const active = [...state.active]
  const ended = new Map<number, GapEndReason>()
  const underMin = active.filter((g) => state.tokens(g) < state.min(g))
  let grows = (_gap: number) => true
  if (state.remaining) {
    // Each gap on its own, once it holds its min and at least one token (a marked gap always gets something).
    for (const g of active) {
      const floor = Math.max(1, state.min(g))
      if (state.tokens(g) >= floor && state.remaining.get(g)! < criteria.lengthThreshold) ended.set(g, 'model')
    }
  } else {
    // The stop head judges the whole window, never at the first step (infilling always inserts something);
    // while it says complete, only the gaps short of their min grow.
    const saysComplete = state.stopProb >= criteria.stopThreshold
    if (state.steps > 0 && saysComplete && underMin.length === 0) for (const g of active) ended.set(g, 'model')
    if (saysComplete && underMin.length > 0) grows = (g) => underMin.includes(g)
  }
  if (state.generated >= criteria.maxTokens) {
    for (const g of state.open) if (!ended.has(g)) ended.set(g, 'max-tokens')
  }
  return { ended, eligible: new Set(active.filter((g) => !ended.has(g) && grows(g))) }
}

/** Why the run as a whole ended, from why each gap did (see FilledAlternative.stopReason). */
export function runStopReason(ends: readonly GapEndReason[]): FilledAlternative['stopReason'] {
  if (ends.includes('aborted')) return 'aborted'
  if (ends.includes('max-tokens')) return 'max-tokens'
  if (ends.includes('window')) return 'no-slot'
  return 'stop'
}
