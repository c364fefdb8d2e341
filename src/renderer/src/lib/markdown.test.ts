import { describe, expect, it } from 'vitest'
import { styleLine } from './editor/markdown'

describe('styleLine', () => {
  it('finds italic, bold and their markers', () => {
    expect(styleLine('a *b* **cd** e').map((s) => [s.kind, s.from, s.to])).toEqual([
      ['marker', 2, 3],
      ['em', 3, 4],
      ['marker', 4, 5],
      ['marker', 6, 8],
      ['strong', 8, 10],
      ['marker', 10, 12]
    ])
  })

  it('treats a line of three stars as a scene break, and lone stars as text', () => {
    expect(styleLine('* * *')).toEqual([{ from: 0, to: 5, kind: 'scene' }])
    expect(styleLine('  ***  ')[0]?.kind).toBe('scene')
    expect(styleLine('2 * 3 * 4')).toEqual([])
  })
})
