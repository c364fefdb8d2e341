import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TINY, TINY_LENGTH } from '../test-support/models'
import { parseTemplate } from './document'
import { drain } from '../test-support/drain'
import { estimateGaps, findMissing, NoLengthHeadError, type MissingOptions } from './estimate'
import type { ForwardModel } from './forward'
import { IlmModel } from './model'

let model: IlmModel
let old: IlmModel
beforeAll(async () => {
  model = await IlmModel.load(TINY_LENGTH)
  old = await IlmModel.load(TINY)
})
afterAll(async () => {
  await model.dispose()
  await old.dispose()
})

/** The model, counting its forward passes, the batch of each and the rows asked of its first sequence. */
function counting(): { model: ForwardModel; batches: number[]; asked: number[][] } {
  const batches: number[] = []
  const asked: number[][] = []
  return {
    batches,
    asked,
    model: {
      tokenizer: model.tokenizer,
      card: model.card,
      forward: (s, r) => (batches.push(s.length), asked.push([...r[0]!]), model.forward(s, r))
    }
  }
}

const rounded = (xs: { gapId: string; tokens: number }[]) => xs.map((x) => [x.gapId, +x.tokens.toFixed(3)])

describe('estimateGaps', () => {
  it('gives each gap the tokens the model expects there, from one forward pass', async () => {
    const probe = counting()
    const estimate = await estimateGaps(probe.model, parseTemplate('Once upon{{}} a little fox lived{{}} the river.'))
    // The first forward pass of a fill of the same text sees the same (fill.test.ts: 3.49 and 1.62); both gaps'
    // slots are marked as gaps, as training/predictor.py marks them (3.486 and 1.620 there).
    expect(rounded(estimate)).toEqual([
      ['g1', 3.486],
      ['g2', 1.62]
    ])
    expect(probe.batches).toEqual([1])
    // After a complete sentence the model expects nothing.
    expect(rounded(await estimateGaps(model, parseTemplate('The old clock{{}} struck midnight.{{}}')))).toEqual([
      ['g1', 3.194],
      ['g2', 0.004]
    ])
  })

  it('gaps too far apart for one window get a window each, in the same batch', async () => {
    const probe = counting()
    const far = 'The old clock in the hall struck midnight. '.repeat(12)
    expect(rounded(await estimateGaps(probe.model, parseTemplate(`{{}}${far}{{}}`)))).toEqual([
      ['g1', 1.025],
      ['g2', 0.208]
    ])
    expect(probe.batches).toEqual([2])
  })

  it('a model without a length head cannot estimate, and says so', async () => {
    await expect(estimateGaps(old, parseTemplate('Once{{}}'))).rejects.toThrow(NoLengthHeadError)
    await expect(estimateGaps(old, parseTemplate('Once{{}}'))).rejects.toThrow(/has no length head/)
  })
})

async function scan(text: string, options: MissingOptions = {}, on: ForwardModel = model) {
  const { events, result } = await drain(findMissing(on, text, options))
  return { progress: events, map: result }
}

describe('findMissing', () => {
  it('marks where a word is missing, and how much', async () => {
    const text = 'Once upon a time, a little fox lived the river.'
    const { map } = await scan(text)
    // "…fox lived| the river": "by" is missing.
    expect(map.marks.map((m) => [m.offset, +m.tokens.toFixed(3)])).toEqual([[36, 1.156]])
    expect(text.slice(0, 36)).toBe('Once upon a time, a little fox lived')
    expect(map).toMatchObject({ done: 1, total: 1, aborted: false })
    // A lower threshold shows more places, a higher one fewer.
    expect((await scan(text, { threshold: 0.1 })).map.marks.length).toBeGreaterThan(1)
    expect((await scan(text, { threshold: 2 })).map.marks).toEqual([])
  })

  it('reads a long draft window by window, reporting progress, and can be stopped between windows', async () => {
    const text = 'The old clock in the hall struck midnight. '.repeat(12)
    const probe = counting()
    const { progress, map } = await scan(text, {}, probe.model)
    expect(progress.map((p) => `${p.done}/${p.total}`)).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5'])
    expect(probe.batches).toEqual([1, 1, 1, 1, 1])
    // every slot of each window is open (asked), the question with every place open; only the middle is reported
    const slots = Array.from({ length: model.card.maxLength - 1 }, (_, i) => i + 1)
    for (const rows of probe.asked) expect(rows).toEqual(slots)
    expect(map.marks).toEqual(progress.flatMap((p) => p.marks))
    // In text order, each once, inside the text (the tiny model, which memorised the sentence once, finds
    // much missing in twelve copies of it)
    const offsets = map.marks.map((m) => m.offset)
    expect(offsets.length).toBeGreaterThan(0)
    expect(offsets.every((o, i) => o >= 0 && o <= text.length && (i === 0 || o > offsets[i - 1]!))).toBe(true)

    const controller = new AbortController()
    const run = findMissing(model, text, { signal: controller.signal })
    const first = await run.next()
    controller.abort()
    const last = await run.next()
    expect(first.value).toMatchObject({ type: 'window', done: 1 })
    expect(last).toMatchObject({ done: true, value: { type: 'done', done: 1, total: 5, aborted: true } })
  })

  it('an empty draft: the model expects a whole story at its start', async () => {
    const { map } = await scan('')
    expect(map.marks.map((m) => [m.offset, +m.tokens.toFixed(3)])).toEqual([[0, 10.866]])
  })

  it('a model without a length head cannot scan, and says so', async () => {
    await expect(scan('Once upon a time.', {}, old)).rejects.toThrow(NoLengthHeadError)
  })
})
