import { describe, expect, it } from 'vitest'
import { decideStep, stopProbability, type StepState } from './stopping'

describe('stopProbability', () => {
  it('is softmax(stop logits)[complete] of each sequence', () => {
    const logits = Float32Array.from([2, 0, 0, 2])
    expect(stopProbability(logits, 0)).toBeCloseTo(1 / (1 + Math.exp(-2)), 12)
    expect(stopProbability(logits, 1)).toBeCloseTo(1 / (1 + Math.exp(2)), 12)
  })
})

describe('decideStep', () => {
  const criteria = { maxTokens: 10, stopThreshold: 0.9 }
  // Gaps 0 and 1 are in the window; gap 1 wants 3 tokens and has 1; gap 2 is full.
  const tokens = [0, 1, 4]
  const state = (over: Partial<StepState>): StepState => ({
    steps: 1,
    generated: 5,
    stopProb: 0.5,
    active: new Set([0, 1, 2]),
    tokens: (g) => tokens[g]!,
    min: (g) => (g === 1 ? 3 : 0),
    room: (g) => (g === 2 ? 0 : 5),
    ...over
  })

  it('ends the run once the token budget is spent, whatever the model says', () => {
    expect(decideStep(criteria, state({ generated: 10, stopProb: 0.99 }))).toEqual({ kind: 'budget' })
  })

  it('the window is complete when the stop probability reaches the threshold and every min is met', () => {
    const met = state({ stopProb: 0.9, min: () => 0 })
    expect(decideStep(criteria, met)).toEqual({ kind: 'complete' })
    // Never at the first step: infilling always inserts something.
    expect(decideStep(criteria, { ...met, steps: 0 })).toEqual({
      kind: 'grow',
      eligible: new Set([0, 1]),
      underMin: []
    })
  })

  it('a gap short of its min grows past the stop head; then it alone grows', () => {
    expect(decideStep(criteria, state({ stopProb: 0.95 }))).toEqual({
      kind: 'grow',
      eligible: new Set([1]),
      underMin: [1]
    })
    expect(decideStep(criteria, state({}))).toEqual({ kind: 'grow', eligible: new Set([0, 1]), underMin: [1] })
  })
})
