import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TINY } from '../test-support/models'
import { buildConstraints, gapCapacities, placeRequired } from './constraints'
import { Draft } from './draft'
import { TextTokenizer } from './tokenizer'
import { chooseWindow } from './window'

const tokenizer = new TextTokenizer(JSON.parse(readFileSync(join(TINY, 'tokenizer.json'), 'utf8')))
const blockedIds = (mask: Uint8Array) => [...mask.keys()].filter((id) => mask[id] === 1)

describe('buildConstraints (the tiny model tokenizer)', () => {
  const { blocked, required } = buildConstraints(
    tokenizer,
    [{ id: 'a' }, { id: 'b', ban: ['dark', 'lantern'], include: ['fox'] }],
    false,
    4096
  )

  it('blocks special tokens and fragments of a character in every gap', () => {
    // 129 byte-fragment tokens and the 5 special ones.
    expect(blockedIds(blocked[0]!)).toHaveLength(134)
    for (const id of Object.values(tokenizer.special)) expect(blocked[0]![id]).toBe(1)
    // With partial tokens allowed, only the special ones and the ids past the tokenizer's vocabulary.
    const loose = buildConstraints(tokenizer, [{ id: 'a' }], true, 4100).blocked[0]!
    expect(blockedIds(loose)).toEqual([0, 1, 2, 3, 4, 4096, 4097, 4098, 4099])
  })

  it('bans a word as a whole token and at the first piece of each form the vocabulary splits', () => {
    const extra = blockedIds(blocked[1]!).filter((id) => !blocked[0]![id])
    // ' dark' is one token; 'd'+'ark', 'D'+'ark', ' D'+'ark', 'l'+'an'+'tern', ' l'+…, 'L'…, ' L'… are stopped at their first piece.
    expect(extra.map((id) => tokenizer.tokenText[id])).toEqual(['D', 'L', 'd', 'l', ' l', ' D', ' L', ' dark'])
  })

  it('a required word may go in as written or after a space', () => {
    expect(required).toEqual([
      {
        gap: 1,
        variants: [
          { ids: [107, 2689], text: 'fox' },
          { ids: [694, 125], text: ' fox' }
        ]
      }
    ])
  })
})

describe('gapCapacities', () => {
  it('is the max, but never past what the model sees of one gap', () => {
    expect(gapCapacities(tokenizer, [{ id: 'a' }, { id: 'b', max: 3 }, { id: 'c', max: 100 }], 46)).toEqual([30, 3, 30])
  })

  it('refuses a min or required words that cannot fit', () => {
    expect(() => gapCapacities(tokenizer, [{ id: 'g', include: ['lantern'], max: 2 }], 46)).toThrow(
      'Gap "g": its required words need 3 tokens but max is 2'
    )
    expect(() => gapCapacities(tokenizer, [{ id: 'g', min: 31 }], 46)).toThrow(
      'Gap "g": min is 31 but the model sees at most 30 tokens of one gap'
    )
  })
})

describe('placeRequired', () => {
  const draft = new Draft([
    { kind: 'text', ids: [10], text: 'a' },
    { kind: 'gap', gap: 0 },
    { kind: 'text', ids: [11], text: 'b' },
    { kind: 'gap', gap: 1 }
  ])
  draft.insert({ gap: 0, at: 0 }, { ids: [12], text: 'c' })
  const layout = draft.layout()
  const window = chooseWindow(layout, [0, 1], 46)!
  const word = {
    gap: 0,
    variants: [
      { ids: [107, 2689], text: 'fox' },
      { ids: [694, 125], text: ' fox' }
    ]
  }

  it('takes the slot of its gap and the form whose first token scores highest', () => {
    // Gap 0 claims rows 2 (after 'a') and 3 (after 'c'); row 4 belongs to gap 1.
    const scores: Record<string, number> = { '2:107': 1, '2:694': 3, '3:107': 2, '3:694': 0, '4:694': 9 }
    const logitOf = (row: number, token: number) => scores[`${row}:${token}`] ?? -Infinity
    expect(placeRequired(layout, window, word, logitOf)).toEqual({
      row: 2,
      claim: { gap: 0, at: 0 },
      variant: word.variants[1]
    })
    // Ties go to the leftmost slot, then to the form as written.
    expect(placeRequired(layout, window, word, () => 0)).toMatchObject({ row: 2, variant: word.variants[0] })
  })

  it('finds no place for a gap outside the window', () => {
    expect(placeRequired(layout, { ...window, from: 0, to: 0 }, word, () => 0)).toBeNull()
  })
})
