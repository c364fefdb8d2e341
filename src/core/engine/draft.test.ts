import { describe, expect, it } from 'vitest'
import { Draft, type Part } from './draft'

// Token ids stand for themselves here: the layout only moves them around.
const parts: Part[] = [
  { kind: 'text', ids: [10, 11], text: 'Once upon' },
  { kind: 'gap', gap: 0 },
  { kind: 'gap', gap: 1 },
  { kind: 'text', ids: [12], text: ' time.' },
  { kind: 'gap', gap: 2 }
]

describe('Draft', () => {
  it('lays out an empty draft: each gap claims the slot where it stands; adjacent gaps share one', () => {
    const layout = new Draft(parts).layout()
    expect(layout).toEqual({
      tokens: [10, 11, 12],
      after: [
        [],
        [
          { gap: 0, at: 0 },
          { gap: 1, at: 0 }
        ],
        [{ gap: 2, at: 0 }]
      ],
      start: [],
      charsThrough: [0, 9, 15],
      gapSpan: [
        [2, 2],
        [2, 2],
        [3, 3]
      ]
    })
  })

  it('inserts items where a claim says; each item adds a slot of its gap after it', () => {
    const draft = new Draft(parts)
    draft.insert({ gap: 1, at: 0 }, { ids: [20], text: ' a' })
    draft.insert({ gap: 1, at: 0 }, { ids: [21, 22], text: ' there' })
    draft.insert({ gap: 2, at: 0 }, { ids: [23], text: '!' })
    expect(draft.gapTokens(1)).toBe(3)
    expect(draft.gapText(1)).toBe(' there a')
    expect(draft.text()).toBe('Once upon there a time.!')
    const layout = draft.layout()
    expect(layout.tokens).toEqual([10, 11, 21, 22, 20, 12, 23])
    expect(layout.after).toEqual([
      [],
      [
        { gap: 0, at: 0 },
        { gap: 1, at: 0 }
      ],
      [],
      [{ gap: 1, at: 1 }],
      [{ gap: 1, at: 2 }],
      [{ gap: 2, at: 0 }],
      [{ gap: 2, at: 1 }]
    ])
    expect(layout.charsThrough).toEqual([0, 9, 9, 15, 17, 23, 24])
    expect(layout.gapSpan).toEqual([
      [2, 2],
      [2, 5],
      [6, 7]
    ])
  })

  it('a gap before all text claims the start slot; empty text adds no token', () => {
    const draft = new Draft([
      { kind: 'text', ids: [], text: '' },
      { kind: 'gap', gap: 0 },
      { kind: 'text', ids: [5], text: 'x' }
    ])
    expect(draft.layout().start).toEqual([{ gap: 0, at: 0 }])
    draft.insert({ gap: 0, at: 0 }, { ids: [6], text: 'y' })
    expect(draft.layout()).toMatchObject({
      tokens: [6, 5],
      start: [{ gap: 0, at: 0 }],
      after: [[{ gap: 0, at: 1 }], []]
    })
    expect(draft.text()).toBe('yx')
  })
})
