import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Segment } from './document'
import { fill, type FillOptions, type FillResult, type ForwardModel, type InsertionEvent } from './fill'
import { TINY } from '../test-support/models'
import { IlmModel } from './model'

interface Trace {
  name: string
  prompt: number[]
  body: number[]
  allowed: boolean[]
  max_steps: number
  stop_threshold: number
  steps: { step: number; row: number; token: number; stop_prob: number }[]
  final_text: string
  stop_reason: string
}

let model: IlmModel
beforeAll(async () => {
  model = await IlmModel.load(TINY)
})
afterAll(() => model.dispose())

async function run(segments: Segment[], options: FillOptions, on: ForwardModel = model) {
  const events: InsertionEvent[] = []
  const gen = fill(on, segments, options)
  for (;;) {
    const next = await gen.next()
    if (next.done) return { events, result: next.value as FillResult }
    events.push(next.value)
  }
}

/** Applies insertion events, in order, to the document's fixed text: what an editor does. */
function replay(segments: Segment[], events: InsertionEvent[], alternative = 0): string {
  let text = segments.map((s) => (s.kind === 'text' ? s.text : '')).join('')
  for (const e of events.filter((e) => e.alternative === alternative)) {
    text = text.slice(0, e.charOffset) + e.text + text.slice(e.charOffset)
  }
  return text
}

describe('fill matches the Python reference decoder (golden greedy traces)', () => {
  const golden = JSON.parse(readFileSync(join(TINY, 'golden.json'), 'utf8')) as { traces: Trace[] }
  // The engine's documents have no prompt (stories start at BOS); the prompt trace is covered in Python.
  for (const trace of golden.traces.filter((t) => t.prompt.length === 0)) {
    it(trace.name, async () => {
      // Each fixed token becomes a text segment; an allowed gap becomes a gap segment.
      const segments: Segment[] = []
      trace.body.forEach((id, i) => {
        if (trace.allowed[i]) segments.push({ kind: 'gap', gap: { id: `g${i}` } })
        segments.push({ kind: 'text', text: model.tokenizer.tokenText[id]! })
      })
      if (trace.allowed[trace.body.length]) segments.push({ kind: 'gap', gap: { id: `g${trace.body.length}` } })
      const { events, result } = await run(segments, {
        temperature: 0,
        stopThreshold: trace.stop_threshold,
        maxTokens: trace.max_steps,
        allowPartialTokens: true
      })
      expect(events.map((e) => e.tokenId)).toEqual(trace.steps.map((s) => s.token))
      events.forEach((e, i) => expect(Math.abs(e.stopProb - trace.steps[i]!.stop_prob)).toBeLessThan(1e-4))
      expect(result.alternatives[0]!.text).toBe(trace.final_text)
      expect(result.alternatives[0]!.stopReason).toBe(trace.stop_reason === 'max_steps' ? 'max-tokens' : 'stop')
    })
  }
})

describe('fixed text never changes', () => {
  const piece = fc.oneof(
    fc.constantFrom('The fox', ' lived by the river.', '\n\n', '  ', 'é', '«Où?» — ', '漢字', '🙂', 'clock', ' ', ''),
    fc.string({ unit: 'grapheme', maxLength: 12 })
  )
  const gap = fc.record({
    max: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    min: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined })
  })
  const doc = fc.array(
    fc.oneof(
      piece.map((text) => ({ text })),
      gap.map((g) => ({ g }))
    ),
    { minLength: 1, maxLength: 12 }
  )

  it('over random documents and gap layouts (unicode, newlines, empty, adjacent, at both ends, long)', async () => {
    let runs = 0
    await fc.assert(
      fc.asyncProperty(doc, fc.integer({ min: 0, max: 1e6 }), fc.boolean(), async (items, seed, parallel) => {
        const segments: Segment[] = []
        let gaps = 0
        for (const item of items) {
          if ('text' in item) {
            if (item.text) segments.push({ kind: 'text', text: item.text })
          } else {
            const max = item.g.max
            const min = item.g.min !== undefined && max !== undefined ? Math.min(item.g.min, max) : item.g.min
            segments.push({
              kind: 'gap',
              gap: { id: `g${gaps++}`, ...(min !== undefined && { min }), ...(max !== undefined && { max }) }
            })
          }
        }
        const { events, result } = await run(segments, { seed, maxTokens: 6, parallel: parallel ? 3 : 1 })
        const out = result.alternatives[0]!
        // The text is the fixed segments, in order, with each gap's text between them...
        let k = 0
        const expected = segments.map((s) => (s.kind === 'text' ? s.text : out.gaps[k++]!.text)).join('')
        expect(out.text).toBe(expected)
        // ...and the streamed insertions, applied in order to the fixed text, build exactly that text.
        expect(replay(segments, events)).toBe(out.text)
        for (const [i, g] of out.gaps.entries()) {
          const spec = segments.filter((s) => s.kind === 'gap')[i]!.gap
          if (spec.max !== undefined) expect(g.tokens).toBeLessThanOrEqual(spec.max)
          if (spec.min !== undefined && out.stopReason === 'stop') expect(g.tokens).toBeGreaterThanOrEqual(spec.min)
        }
        runs++
      }),
      { numRuns: 2000, seed: 20261129 }
    )
    expect(runs).toBe(2000)
  }, 240_000)
})

describe('constraints and controls', () => {
  const sentence = (gap: Segment): Segment[] => [
    { kind: 'text', text: 'The old clock in the' },
    gap,
    { kind: 'text', text: ' struck midnight.' }
  ]

  it('the same seed gives the same output; alternatives come as one batch', async () => {
    let calls = 0
    const counting: ForwardModel = {
      tokenizer: model.tokenizer,
      card: model.card,
      forward: (s, r) => (calls++, model.forward(s, r))
    }
    const options = { seed: 42, temperature: 1, topP: 0.95, maxTokens: 8, alternatives: 3 }
    const a = await run(sentence({ kind: 'gap', gap: { id: 'g' } }), options, counting)
    const passes = calls
    const b = await run(sentence({ kind: 'gap', gap: { id: 'g' } }), options)
    expect(b.result).toEqual(a.result)
    expect(a.result.alternatives).toHaveLength(3)
    const longest = Math.max(...a.result.alternatives.map((x) => x.steps))
    expect(passes).toBeLessThanOrEqual(longest + 1)
  })

  it('min forces tokens past the stop head; max caps them', async () => {
    const atLeast = await run(sentence({ kind: 'gap', gap: { id: 'g', min: 5 } }), { temperature: 0, maxTokens: 20 })
    expect(atLeast.result.alternatives[0]!.gaps[0]!.tokens).toBeGreaterThanOrEqual(5)
    const atMost = await run(sentence({ kind: 'gap', gap: { id: 'g', max: 1 } }), {
      temperature: 0,
      maxTokens: 20,
      stopThreshold: 1
    })
    expect(atMost.result.alternatives[0]!.gaps[0]!.tokens).toBe(1)
  })

  it('required words go in first and survive; banned words never appear', async () => {
    const { events, result } = await run(
      sentence({ kind: 'gap', gap: { id: 'g', include: ['lantern', 'fox'], ban: ['hall'] } }),
      {
        seed: 3,
        maxTokens: 10
      }
    )
    expect(events.slice(0, 2).every((e) => e.required)).toBe(true)
    const gapText = result.alternatives[0]!.gaps[0]!.text
    expect(gapText).toMatch(/lantern/)
    expect(gapText).toMatch(/fox/)
    expect(gapText.toLowerCase()).not.toMatch(/hall/)
  })

  it('impossible constraints fail with a clear message', async () => {
    await expect(
      run(sentence({ kind: 'gap', gap: { id: 'g', include: ['lantern', 'fox'], max: 1 } }), {})
    ).rejects.toThrow(/its required words need \d+ tokens but max is 1/)
  })

  it('an abort stops within one step', async () => {
    const controller = new AbortController()
    const gen = fill(model, [{ kind: 'gap', gap: { id: 'g' } }], {
      seed: 1,
      stopThreshold: 1,
      maxTokens: 40,
      signal: controller.signal
    })
    const first = await gen.next()
    expect(first.done).toBe(false)
    controller.abort()
    const rest: unknown[] = []
    let last = await gen.next()
    while (!last.done) {
      rest.push(last.value)
      last = await gen.next()
    }
    expect(rest.length).toBeLessThanOrEqual(0)
    expect(last.value.alternatives[0]!.stopReason).toBe('aborted')
  })

  it('parallel insertion puts up to k tokens in distinct slots per forward pass', async () => {
    let calls = 0
    const counting: ForwardModel = {
      tokenizer: model.tokenizer,
      card: model.card,
      forward: (s, r) => (calls++, model.forward(s, r))
    }
    // Four gaps of two tokens: the first pass fills one slot in each, the second the rest.
    const gaps: Segment[] = ['Once', ' upon', ' a time', ' a fox', '.'].flatMap((text, i) =>
      i === 0
        ? [{ kind: 'text', text }]
        : [
            { kind: 'gap', gap: { id: `g${i}`, min: 2, max: 2 } },
            { kind: 'text', text }
          ]
    )
    const { events, result } = await run(gaps, { seed: 5, parallel: 4, maxTokens: 8 }, counting)
    expect(events).toHaveLength(8)
    expect(result.alternatives[0]!.gaps.map((g) => g.tokens)).toEqual([2, 2, 2, 2])
    expect(calls).toBeLessThanOrEqual(3)
  })
})

describe('long documents', () => {
  it('sends only a window around the active gap, within the model maximum, and keeps the rest verbatim', async () => {
    const lengths: number[] = []
    const windowed: ForwardModel = {
      tokenizer: model.tokenizer,
      card: model.card,
      forward: (s, r) => (lengths.push(...s.map((x) => x.length)), model.forward(s, r))
    }
    const far = 'The old clock in the hall struck midnight. '.repeat(12)
    const segments: Segment[] = [
      { kind: 'text', text: far },
      { kind: 'gap', gap: { id: 'a', min: 2, max: 3 } },
      { kind: 'text', text: far },
      { kind: 'gap', gap: { id: 'b', min: 2, max: 3 } },
      { kind: 'text', text: far }
    ]
    expect(model.tokenizer.encode(far).length * 3).toBeGreaterThan(model.card.maxLength * 3)
    const { events, result } = await run(segments, { seed: 9, maxTokens: 10 }, windowed)
    expect(Math.max(...lengths)).toBeLessThanOrEqual(model.card.maxLength)
    const out = result.alternatives[0]!
    expect(out.gaps.map((g) => g.tokens).every((n) => n >= 2 && n <= 3)).toBe(true)
    expect(out.text).toBe(far + out.gaps[0]!.text + far + out.gaps[1]!.text + far)
    expect(replay(segments, events)).toBe(out.text)
  })
})

describe('the model window bounds every gap', () => {
  it('a gap with no max stops growing before the window overflows, and impossible minimums are refused', async () => {
    const { result } = await run(
      [
        { kind: 'text', text: 'Once' },
        { kind: 'gap', gap: { id: 'g' } }
      ],
      {
        seed: 2,
        stopThreshold: 1,
        maxTokens: 200,
        parallel: 4
      }
    )
    const out = result.alternatives[0]!
    expect(out.gaps[0]!.tokens).toBeLessThanOrEqual(model.card.maxLength - 2)
    expect(out.stopReason).not.toBe('max-tokens')
    await expect(run([{ kind: 'gap', gap: { id: 'g', min: 500 } }], {})).rejects.toThrow(
      /min is 500 but the model sees at most \d+ tokens/
    )
  })
})

describe('the token budget', () => {
  it('holds with several insertions per pass', async () => {
    const { events, result } = await run(
      [
        { kind: 'text', text: 'Once upon a time' },
        { kind: 'gap', gap: { id: 'g' } }
      ],
      {
        seed: 4,
        stopThreshold: 1,
        maxTokens: 6,
        parallel: 4
      }
    )
    expect(events).toHaveLength(6)
    expect(result.alternatives[0]!.stopReason).toBe('max-tokens')
  })
})
