import { describe, expect, it } from 'vitest'
import type { GapMark } from './documents'
import { fillLayout, fillSegments } from './segments'

const gap = (id: string, from: number, to = from, options: Partial<GapMark> = {}): GapMark => ({
  id,
  from,
  to,
  ...options
})

describe('fillLayout', () => {
  it('removes rewrite ranges and places every gap in the remaining text, in body order', () => {
    const body = 'The fox ran. Old text. The end.'
    const layout = fillLayout({ body, gaps: [gap('b', 13, 22), gap('a', 4)] })
    expect(layout.text).toBe('The fox ran.  The end.')
    expect(layout.gaps.map((g) => [g.mark.id, g.at])).toEqual([
      ['a', 4],
      ['b', 13]
    ])
  })

  it('refuses overlapping gaps and gaps outside the text', () => {
    expect(() => fillLayout({ body: 'abcdef', gaps: [gap('a', 1, 4), gap('b', 3)] })).toThrow(RangeError)
    expect(() => fillLayout({ body: 'abc', gaps: [gap('a', 2, 9)] })).toThrow(/outside the text/)
  })
})

describe('fillSegments', () => {
  it('alternates text and gaps, with no empty text at the ends or between adjacent gaps', () => {
    const layout = fillLayout({ body: 'Middle', gaps: [gap('a', 0), gap('b', 0), gap('c', 6)] })
    expect(fillSegments(layout).map((s) => (s.kind === 'text' ? s.text : `[${s.gap.id}]`))).toEqual([
      '[a]',
      '[b]',
      'Middle',
      '[c]'
    ])
  })

  it("keeps the text around gaps exactly and hands the engine each gap's options, not its offsets", () => {
    const options = { min: 2, max: 9, include: ['lantern'], ban: ['dark'] }
    const layout = fillLayout({ body: 'Before. Rewrite me. After.', gaps: [gap('g', 8, 18, options)] })
    expect(fillSegments(layout)).toEqual([
      { kind: 'text', text: 'Before. ' },
      { kind: 'gap', gap: { id: 'g', ...options } },
      { kind: 'text', text: '. After.' }
    ])
  })

  it('is the fixed text alone when there are no gaps', () => {
    expect(fillSegments(fillLayout({ body: 'Only text.', gaps: [] }))).toEqual([{ kind: 'text', text: 'Only text.' }])
    expect(fillSegments(fillLayout({ body: '', gaps: [] }))).toEqual([])
  })
})
