import { describe, expect, it } from 'vitest'
import { Draft } from './draft'
import { decideStep, expectedRemaining, LengthPlan, runStopReason, stopProbability, type StepState } from './stopping'
import { chooseWindow } from './window'

describe('stopProbability', () => {
  it('is softmax(stop logits)[complete] of each sequence', () => {
    const logits = Float32Array.from([2, 0, 0, 2])
    expect(stopProbability(logits, 0)).toBeCloseTo(1 / (1 + Math.exp(-2)), 12)
    expect(stopProbability(logits, 1)).toBeCloseTo(1 / (1 + Math.exp(2)), 12)
  })
})

describe('LengthPlan', () => {
  it('is min(the estimate now, the first estimate less the tokens written since), per gap', () => {
    const plan = new LengthPlan()
    const written = new Map([
      [0, 2], // gap 0 already holds a required word at its first pass
      [1, 0]
    ])
    const at = (gap: number) => written.get(gap)!
    expect(plan.remaining(new Map([[0, 10]]), at)).toEqual(new Map([[0, 10]]))
    written.set(0, 5)
    // Gap 0: min(12, 10 − 3); gap 1 is seen for the first time, so its plan starts now.
    expect(
      plan.remaining(
        new Map([
          [0, 12],
          [1, 4]
        ]),
        at
      )
    ).toEqual(
      new Map([
        [0, 7],
        [1, 4]
      ])
    )
    written.set(0, 6).set(1, 1)
    // The estimate now wins when it is lower; the plan may go below zero once more was written than planned.
    expect(
      plan.remaining(
        new Map([
          [0, 1],
          [1, 9]
        ]),
        at
      )
    ).toEqual(
      new Map([
        [0, 1],
        [1, 3]
      ])
    )
    written.set(0, 14)
    expect(plan.remaining(new Map([[0, 3]]), at)).toEqual(new Map([[0, -2]]))
  })
})

describe('expectedRemaining', () => {
  it('sums λ over the rows whose slot each active gap claims (a slot two gaps share counts for both)', () => {
    const draft = new Draft([
      { kind: 'text', ids: [10], text: 'a' },
      { kind: 'gap', gap: 0 },
      { kind: 'gap', gap: 1 },
      { kind: 'text', ids: [11], text: 'b' },
      { kind: 'gap', gap: 2 }
    ])
    draft.insert({ gap: 0, at: 0 }, { ids: [12], text: 'c' })
    // Tokens a c b: gap 0 claims rows 2 (after a) and 3 (after c), gap 1 row 3, gap 2 row 4 (after b).
    const layout = draft.layout()
    const lambda = [NaN, 0.5, 1, 2, 4]
    const all = chooseWindow(layout, [0, 1, 2], 46)!
    expect(expectedRemaining(layout, all, (row) => lambda[row]!)).toEqual(
      new Map([
        [0, 3],
        [1, 2],
        [2, 4]
      ])
    )
    expect(expectedRemaining(layout, chooseWindow(layout, [2], 46)!, (row) => lambda[row]!)).toEqual(new Map([[2, 4]]))
  })
})

describe('decideStep', () => {
  const criteria = { maxTokens: 10, stopThreshold: 0.9, lengthThreshold: 0.5 }
  // Gaps 0, 1 and 2 are open; 0 and 1 are in the window; gap 1 wants 3 tokens and has 1.
  const tokens = [2, 1, 0]
  const state = (over: Partial<StepState>): StepState => ({
    steps: 1,
    generated: 5,
    stopProb: 0.5,
    open: [0, 1, 2],
    active: new Set([0, 1]),
    remaining: null,
    tokens: (g) => tokens[g]!,
    min: (g) => (g === 1 ? 3 : 0),
    ...over
  })
  const decided = (over: Partial<StepState>) => {
    const { ended, eligible } = decideStep(criteria, state(over))
    return { ended: Object.fromEntries(ended), eligible: [...eligible] }
  }

  describe('with a length head, each gap on its own', () => {
    it('ends a gap once its expected remaining length falls below the threshold', () => {
      const remaining = new Map([
        [0, 0.49],
        [1, 7]
      ])
      expect(decided({ remaining })).toEqual({ ended: { 0: 'model' }, eligible: [1] })
      expect(decided({ remaining: new Map([...remaining, [0, 0.5]]) })).toEqual({ ended: {}, eligible: [0, 1] })
    })

    it('never below its min, nor before it holds a token; the stop head plays no part', () => {
      const low = new Map([
        [0, 0.1],
        [1, 0.1]
      ])
      expect(decided({ remaining: low, stopProb: 0 })).toEqual({ ended: { 0: 'model' }, eligible: [1] })
      expect(decided({ remaining: low, tokens: () => 0, min: () => 0 })).toEqual({ ended: {}, eligible: [0, 1] })
      expect(decided({ remaining: new Map([...low, [0, 3]]), stopProb: 1 })).toEqual({ ended: {}, eligible: [0, 1] })
    })
  })

  describe('without one, the stop head judges the window', () => {
    it('ends every gap in the window once it reaches the threshold and every min is met, never at the first step', () => {
      expect(decided({ stopProb: 0.9, min: () => 0 })).toEqual({ ended: { 0: 'model', 1: 'model' }, eligible: [] })
      expect(decided({ stopProb: 0.9, min: () => 0, steps: 0 })).toEqual({ ended: {}, eligible: [0, 1] })
    })

    it('a gap short of its min grows past the stop head; then it alone grows', () => {
      expect(decided({ stopProb: 0.95 })).toEqual({ ended: {}, eligible: [1] })
      expect(decided({})).toEqual({ ended: {}, eligible: [0, 1] })
    })
  })

  it('the token budget ends every open gap, in the window or not, that the model did not end first', () => {
    expect(decided({ generated: 10 })).toEqual({
      ended: { 0: 'max-tokens', 1: 'max-tokens', 2: 'max-tokens' },
      eligible: []
    })
    const remaining = new Map([
      [0, 0.2],
      [1, 4]
    ])
    expect(decided({ generated: 10, remaining })).toEqual({
      ended: { 0: 'model', 1: 'max-tokens', 2: 'max-tokens' },
      eligible: []
    })
  })
})

describe('runStopReason', () => {
  it('says the most pressing of its gaps’ reasons', () => {
    expect(runStopReason(['model', 'max'])).toBe('stop')
    expect(runStopReason(['model', 'window'])).toBe('no-slot')
    expect(runStopReason(['window', 'max-tokens'])).toBe('max-tokens')
    expect(runStopReason(['max-tokens', 'aborted', 'model'])).toBe('aborted')
    expect(runStopReason([])).toBe('stop')
  })
})
