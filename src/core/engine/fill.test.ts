import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseTemplate, type Segment } from './document'
import { drain } from '../test-support/drain'
import { decodingDefaults, fill, type FillOptions, type InsertionEvent } from './fill'
import type { ForwardModel } from './forward'
import { TINY, TINY_LENGTH } from '../test-support/models'
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

const run = (segments: Segment[], options: FillOptions, on: ForwardModel = model) => drain(fill(on, segments, options))

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

describe('required words in a long document', () => {
  it('go into a gap far from the first, in a window centred on their gap', async () => {
    const far = 'The old clock in the hall struck midnight. '.repeat(12)
    const segments: Segment[] = [
      { kind: 'text', text: far },
      { kind: 'gap', gap: { id: 'a', max: 2 } },
      { kind: 'text', text: far + far },
      { kind: 'gap', gap: { id: 'b', include: ['fox'], max: 4 } },
      { kind: 'text', text: far }
    ]
    const { events, result } = await run(segments, { seed: 9, maxTokens: 4 })
    expect(events[0]).toMatchObject({ gapId: 'b', required: true })
    expect(result.alternatives[0]!.gaps[1]!.text).toMatch(/fox/)
    expect(replay(segments, events)).toBe(result.alternatives[0]!.text)
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

describe('a length-head model ends each gap on its own (tiny-ilm-length)', () => {
  let lengthModel: IlmModel
  beforeAll(async () => {
    lengthModel = await IlmModel.load(TINY_LENGTH)
  })
  afterAll(() => lengthModel.dispose())

  interface LengthTrace extends Trace {
    length_threshold: number
    steps: (Trace['steps'][number] & { remaining: number })[]
  }
  const golden = JSON.parse(readFileSync(join(TINY_LENGTH, 'golden.json'), 'utf8')) as { traces: LengthTrace[] }
  for (const trace of golden.traces) {
    it(`matches the Python reference: ${trace.name}`, async () => {
      // The fixed tokens as text segments, and the one gap where the trace allows insertion.
      const at = trace.allowed.indexOf(true)
      const text = (ids: number[]): Segment[] =>
        ids.length ? [{ kind: 'text', text: ids.map((id) => lengthModel.tokenizer.tokenText[id]!).join('') }] : []
      const segments: Segment[] = [
        ...text(trace.body.slice(0, at)),
        { kind: 'gap', gap: { id: 'g' } },
        ...text(trace.body.slice(at))
      ]
      const { events, result } = await run(
        segments,
        {
          temperature: 0,
          lengthThreshold: trace.length_threshold,
          maxTokens: trace.max_steps,
          allowPartialTokens: true
        },
        lengthModel
      )
      expect(events.map((e) => e.tokenId)).toEqual(trace.steps.map((s) => s.token))
      events.forEach((e, i) => {
        expect(e.remaining).toHaveLength(1)
        expect(Math.abs(e.remaining![0]!.tokens - trace.steps[i]!.remaining)).toBeLessThan(1e-4)
      })
      const out = result.alternatives[0]!
      expect(out.text).toBe(trace.final_text)
      const byModel = trace.stop_reason === 'stop'
      expect(out.gaps[0]!.endReason).toBe(byModel ? 'model' : 'max-tokens')
      expect(out.stopReason).toBe(byModel ? 'stop' : 'max-tokens')
    })
  }

  it('two gaps end apart, each when the model expects nothing more in it; events carry the live estimate', async () => {
    const { events, result } = await run(
      parseTemplate('Once upon{{}} a little fox lived{{}} the river.'),
      { temperature: 0 },
      lengthModel
    )
    expect(result.alternatives[0]).toEqual({
      text: 'Once upon a a a a little fox lived by the river.',
      gaps: [
        { id: 'g1', text: ' a a a', tokens: 3, endReason: 'model' },
        { id: 'g2', text: ' by', tokens: 1, endReason: 'model' }
      ],
      steps: 5,
      stopReason: 'stop'
    })
    // Each gap's plan is its first estimate, less what was written in it since (g1: 3.49, 2.49, 1.49, then 0.49
    // at the fifth pass, under 0.5); g2 ends at the fourth pass (0.02 < 0.5) and is no longer estimated after it.
    const estimates = events.map((e) => e.remaining!.map((r) => `${r.gapId}=${r.tokens.toFixed(2)}`).join(' '))
    expect(events.map((e) => e.gapId)).toEqual(['g1', 'g1', 'g2', 'g1'])
    expect(estimates).toEqual(['g1=3.49 g2=1.62', 'g1=2.49 g2=1.59', 'g1=1.49 g2=1.62', 'g1=1.49 g2=0.02'])
  })

  it('the threshold is the caller’s, else the model card’s, else 0.5', async () => {
    const segments = parseTemplate('The old clock{{}} struck midnight.')
    const gapText = async (options: FillOptions, on: ForwardModel = lengthModel) =>
      (await run(segments, { temperature: 0, ...options }, on)).result.alternatives[0]!.gaps[0]!.text
    expect(await gapText({})).toBe(' in the the')
    expect(await gapText({ lengthThreshold: 3 })).toBe(' the')
    const carded: ForwardModel = {
      tokenizer: lengthModel.tokenizer,
      card: { ...lengthModel.card, decoding: { lengthThreshold: 3 } },
      forward: (s, r) => lengthModel.forward(s, r)
    }
    expect(await gapText({}, carded)).toBe(' the')
    expect(await gapText({ lengthThreshold: 0.5 }, carded)).toBe(' in the the')
  })

  it('what a caller leaves out: the model card’s decoding defaults, each on its own, else the engine’s', () => {
    expect(decodingDefaults({ decoding: {} })).toEqual({ temperature: 1, topP: 0.9, lengthThreshold: 0.5 })
    expect(decodingDefaults({ decoding: { topP: 0.7 } })).toEqual({ temperature: 1, topP: 0.7, lengthThreshold: 0.5 })
    expect(decodingDefaults({ decoding: { temperature: 0.8, topP: 0.5, lengthThreshold: 2 } })).toEqual({
      temperature: 0.8,
      topP: 0.5,
      lengthThreshold: 2
    })
  })

  it('a model without a length head gives no estimate and ends gaps with its stop head', async () => {
    const { events, result } = await run(parseTemplate('The old clock{{}} struck midnight.'), { temperature: 0 })
    expect(events.every((e) => e.remaining === undefined)).toBe(true)
    expect(result.alternatives[0]!.gaps[0]!.endReason).toBe('model')
  })
})

describe('every gap says honestly why it ended', () => {
  it('its max, or the model judged it complete', async () => {
    const { result } = await run(parseTemplate('The old clock{{max:2}} struck{{}} midnight.'), { temperature: 0 })
    expect(result.alternatives[0]!.gaps.map((g) => [g.text, g.endReason])).toEqual([
      [' in hall', 'max'],
      [' mid', 'model']
    ])
    expect(result.alternatives[0]!.stopReason).toBe('stop')
  })

  it('an unbounded gap that fills the model’s window says so (not "stop")', async () => {
    const { result } = await run(parseTemplate('Once{{}}'), { seed: 2, stopThreshold: 1, maxTokens: 200, parallel: 4 })
    const out = result.alternatives[0]!
    expect(out.gaps[0]).toMatchObject({ tokens: 30, endReason: 'window' })
    expect(out.stopReason).toBe('no-slot')
  })

  it('the token budget ends every gap still open, in or out of the window', async () => {
    const far = 'The old clock in the hall struck midnight. '.repeat(12)
    const { result } = await run(parseTemplate(`{{}}${far}{{}}`), { seed: 1, stopThreshold: 1, maxTokens: 3 })
    const out = result.alternatives[0]!
    expect(out.gaps.map((g) => g.endReason)).toEqual(['max-tokens', 'max-tokens'])
    expect(out.gaps.map((g) => g.tokens)).toEqual([3, 0])
    expect(out.stopReason).toBe('max-tokens')
  })

  it('stopped by the writer', async () => {
    const controller = new AbortController()
    const gen = fill(model, parseTemplate('Once{{}} a time{{}}'), {
      seed: 1,
      stopThreshold: 1,
      signal: controller.signal
    })
    await gen.next()
    controller.abort()
    let last = await gen.next()
    while (!last.done) last = await gen.next()
    expect(last.value.alternatives[0]!.gaps.map((g) => g.endReason)).toEqual(['aborted', 'aborted'])
  })
})
