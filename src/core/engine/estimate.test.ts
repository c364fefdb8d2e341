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

/** The model, counting its forward passes and the batch of each. */
function counting(): { model: ForwardModel; batches: number[] } {
  const batches: number[] = []
  return {
    batches,
    model: {
      tokenizer: model.tokenizer,
      card: model.card,
      forward: (s, r) => (batches.push(s.length), model.forward(s, r))
    }
  }
}

const rounded = (xs: { gapId: string; tokens: number }[]) => xs.map((x) => [x.gapId, +x.tokens.toFixed(3)])

describe('estimateGaps', () => {
  it('gives each gap the tokens the model expects there, from one forward pass', async () => {
    const probe = counting()
    const estimate = await estimateGaps(probe.model, parseTemplate('Once upon{{}} a little fox lived{{}} the river.'))
    // The first forward pass of a fill of the same text sees the same (fill.test.ts: 2.55 and 1.72).
    expect(rounded(estimate)).toEqual([
      ['g1', 2.554],
      ['g2', 1.72]
    ])
    expect(probe.batches).toEqual([1])
    // After a complete sentence the model expects nothing.
    expect(rounded(await estimateGaps(model, parseTemplate('The old clock{{}} struck midnight.{{}}')))).toEqual([
      ['g1', 2.944],
      ['g2', 0]
    ])
  })

  it('gaps too far apart for one window get a window each, in the same batch', async () => {
    const probe = counting()
    const far = 'The old clock in the hall struck midnight. '.repeat(12)
    expect(rounded(await estimateGaps(probe.model, parseTemplate(`{{}}${far}{{}}`)))).toEqual([
      ['g1', 0.044],
      ['g2', 0.002]
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
    expect(map.marks.map((m) => [m.offset, +m.tokens.toFixed(3)])).toEqual([[36, 1.022]])
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
    expect(map.marks).toEqual(progress.flatMap((p) => p.marks))
    const offsets = map.marks.map((m) => m.offset)
    expect(offsets).toEqual([93, 136, 179, 222, 265, 308, 351, 394, 437, 480])
    for (const offset of offsets) expect(text.slice(offset - 8, offset)).toBe(' The old')

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
    expect(map.marks.map((m) => [m.offset, +m.tokens.toFixed(3)])).toEqual([[0, 9.404]])
  })

  it('a model without a length head cannot scan, and says so', async () => {
    await expect(scan('Once upon a time.', {}, old)).rejects.toThrow(NoLengthHeadError)
  })
})
