import { ChangeSet } from '@codemirror/state'
import { describe, expect, it } from 'vitest'
import type { GapMark } from '../../../shared/documents'
import { addGap, gapAt, mapGaps, nextGapId, parseGapOptions, withOptions } from './gaps'

const doc = 'The fox ran to the river.'
const change = (spec: { from: number; to?: number; insert?: string }[]) => ChangeSet.of(spec, doc.length)

describe('mapGaps', () => {
  const point: GapMark = { id: 'g1', from: 7, to: 7, max: 5 }
  const range: GapMark = { id: 'g2', from: 15, to: 24 } // "the river"

  it('moves gaps with text inserted or deleted before them and keeps their options', () => {
    const [a, b] = mapGaps([point, range], change([{ from: 0, insert: 'Yes. ' }]))
    expect(a).toEqual({ id: 'g1', from: 12, to: 12, max: 5 })
    expect(b).toEqual({ id: 'g2', from: 20, to: 29 })
    const [c] = mapGaps([point], change([{ from: 0, to: 4 }]))
    expect(c).toMatchObject({ from: 3, to: 3 })
  })

  it('keeps an insertion point before text typed at it', () => {
    expect(mapGaps([point], change([{ from: 7, insert: ' quick' }]))[0]).toMatchObject({ from: 7, to: 7 })
  })

  it('grows a rewrite range with text typed inside it, not at its edges', () => {
    expect(mapGaps([range], change([{ from: 19, insert: 'big ' }]))[0]).toMatchObject({ from: 15, to: 28 })
    expect(mapGaps([range], change([{ from: 15, insert: 'to ' }]))[0]).toMatchObject({ from: 18, to: 27 })
    expect(mapGaps([range], change([{ from: 24, insert: '!' }]))[0]).toMatchObject({ from: 15, to: 24 })
  })

  it('drops an insertion point a deletion spans, and a rewrite range whose text is deleted', () => {
    expect(mapGaps([point], change([{ from: 4, to: 10 }]))).toEqual([])
    // Deleting up to the point (backspace before it) keeps it.
    expect(mapGaps([point], change([{ from: 6, to: 7 }]))[0]).toMatchObject({ from: 6, to: 6 })
    expect(mapGaps([range], change([{ from: 14, to: 24 }]))).toEqual([])
    // Replacing exactly its text keeps the range over the new text.
    expect(mapGaps([range], change([{ from: 15, to: 24, insert: 'a lake' }]))[0]).toMatchObject({ from: 15, to: 21 })
  })

  it('keeps the first of two gaps that collide', () => {
    const other: GapMark = { id: 'g3', from: 11, to: 11 }
    const mapped = mapGaps([point, other], change([{ from: 7, to: 11 }]))
    expect(mapped.map((g) => g.id)).toEqual(['g1'])
  })
})

describe('addGap', () => {
  it('adds points and ranges in order with fresh ids, refusing any that touch another', () => {
    let gaps: GapMark[] = []
    const first = addGap(gaps, 10, 10)
    expect(first.ok).toBe(true)
    if (first.ok) gaps = first.gaps
    const second = addGap(gaps, 4, 2)
    expect(second).toMatchObject({ ok: true, gap: { id: 'g2', from: 2, to: 4 } })
    if (second.ok) gaps = second.gaps
    expect(gaps.map((g) => g.id)).toEqual(['g2', 'g1'])
    expect(addGap(gaps, 10, 12).ok).toBe(false)
    expect(addGap(gaps, 4, 4).ok).toBe(false)
    expect(addGap(gaps, 5, 5).ok).toBe(true)
    expect(gapAt(gaps, 3)?.id).toBe('g2')
    expect(gapAt(gaps, 7)).toBeUndefined()
    expect(
      nextGapId([
        { id: 'g7', from: 0, to: 0 },
        { id: 'x', from: 1, to: 1 }
      ])
    ).toBe('g8')
  })
})

describe('parseGapOptions', () => {
  it('accepts bounds and comma-separated words, and stores only what is set', () => {
    const result = parseGapOptions({ min: '2', max: ' 10 ', include: 'river, fox ,river', ban: '' })
    expect(result).toEqual({ ok: true, options: { min: 2, max: 10, include: ['river', 'fox'] } })
    if (result.ok)
      expect(withOptions({ id: 'g1', from: 1, to: 1, ban: ['x'] }, result.options)).toEqual({
        id: 'g1',
        from: 1,
        to: 1,
        min: 2,
        max: 10,
        include: ['river', 'fox']
      })
  })

  it('refuses min above max, bad numbers, empty words and a word both required and banned', () => {
    expect(parseGapOptions({ min: '5', max: '3', include: '', ban: '' })).toEqual({
      ok: false,
      errors: { max: 'At least the minimum' }
    })
    const bad = parseGapOptions({ min: '-1', max: '2.5', include: 'a,,b', ban: 'Fox' })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['include', 'max', 'min'])
    const clash = parseGapOptions({ min: '', max: '', include: 'fox', ban: 'FOX' })
    expect(clash.ok).toBe(false)
    expect(parseGapOptions({ min: '', max: '2001', include: '', ban: '' }).ok).toBe(false)
  })
})
