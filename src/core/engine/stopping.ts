// Stopping criteria: after each forward pass of the growth phase, whether an alternative's run ends (its token
// budget is spent), whether the gaps in its window are complete, or which of them may grow.

/** softmax(stop logits)[complete] of sequence b. */
export function stopProbability(stopLogits: Float32Array, b: number): number {
  const [complete, missing] = [stopLogits[2 * b]!, stopLogits[2 * b + 1]!]
  return 1 / (1 + Math.exp(missing - complete))
}

export interface StoppingCriteria {
  /** Most tokens generated per alternative (required words not counted). */
  maxTokens: number
  /** The window's gaps are complete once the stop probability reaches this (not before the first step). */
  stopThreshold: number
}

/** An alternative at one growth forward pass. */
export interface StepState {
  /** Growth passes so far. */
  steps: number
  /** Tokens generated so far. */
  generated: number
  stopProb: number
  /** The open gaps in the window. */
  active: ReadonlySet<number>
  tokens(gap: number): number
  min(gap: number): number
  /** How many more tokens the gap may take. */
  room(gap: number): number
}

export type StepDecision =
  | { kind: 'budget' }
  | { kind: 'complete' }
  /** `eligible`: the gaps that may take an insertion; `underMin`: the active gaps still short of their min. */
  | { kind: 'grow'; eligible: Set<number>; underMin: number[] }

export function decideStep(criteria: StoppingCriteria, state: StepState): StepDecision {
  if (state.generated >= criteria.maxTokens) return { kind: 'budget' }
  const underMin = [...state.active].filter((g) => state.tokens(g) < state.min(g))
  const saysComplete = state.stopProb >= criteria.stopThreshold
  if (state.steps > 0 && saysComplete && underMin.length === 0) return { kind: 'complete' }
  // A gap short of its min grows past the stop head; while the model says complete, only such gaps grow.
  const eligible = new Set(
    [...state.active].filter(
      (g) => state.room(g) > 0 && (!saysComplete || underMin.length === 0 || underMin.includes(g))
    )
  )
  return { kind: 'grow', eligible, underMin }
}
