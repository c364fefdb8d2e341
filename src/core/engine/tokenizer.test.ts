import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TextTokenizer } from './tokenizer'

const tokenizer = new TextTokenizer(
  JSON.parse(readFileSync(resolve('training/tokenizers/bpe8k/tokenizer.json'), 'utf8'))
)

describe('TextTokenizer (the 8k byte-level BPE from training/)', () => {
  it('gives the same ids as the Python encoder of the training pipeline', () => {
    // Expected ids printed by training/tokenizer.py (Tokenizer.from_file(...).encode) for the same strings.
    expect(tokenizer.encode('Once upon a time, a girl named Lily found a lantern.')).toEqual([
      2102, 693, 263, 548, 49, 263, 884, 1894, 2135, 820, 263, 7641, 51
    ])
    expect(tokenizer.encode('  "Où?" — she said.\n\n\tThe end [MASK]')).toEqual([
      37, 353, 84, 200, 190, 432, 37, 1198, 417, 374, 51, 15, 15, 14, 334, 936, 37, 96, 82, 5296, 80, 98
    ])
  })

  it('knows the special ids and never produces them from typed text', () => {
    expect(tokenizer.special).toEqual({ pad: 0, cls: 1, bos: 2, eos: 3, mask: 4 })
    const ids = tokenizer.encode('[PAD][CLS][BOS][EOS][MASK]')
    expect(ids.some((id) => id < 5)).toBe(false)
    expect(tokenizer.decode(ids)).toBe('[PAD][CLS][BOS][EOS][MASK]')
  })

  it('round-trips any text losslessly: unicode, newlines, runs of spaces', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.string({ unit: fc.constantFrom(' ', '\n', '\t', 'a', 'é', '🙂', '\r'), maxLength: 20 }),
        (a, b) => {
          const text = a + b + a
          expect(tokenizer.decode(tokenizer.encode(text))).toBe(text)
        }
      ),
      { numRuns: 500, seed: 7 }
    )
  })

  it('marks tokens that are only fragments of a UTF-8 character', () => {
    const text = tokenizer.tokenText
    expect(text[tokenizer.encode(' the')[0]!]).toBe(' the')
    const fragments = text.filter((t) => t === null).length
    expect(fragments).toBeGreaterThan(5) // specials + lone continuation bytes
    expect(fragments).toBeLessThan(400)
  })
})

describe('charOffsets', () => {
  it('over random text, the boundaries are exactly those of whole characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (text) => {
        const ids = tokenizer.encode(text)
        const offsets = tokenizer.charOffsets(ids)
        offsets.forEach((offset, j) => {
          const prefix = tokenizer.decode(ids.slice(0, j + 1))
          if (offset >= 0) expect(prefix).toBe(text.slice(0, offset))
          else expect(prefix.endsWith('\uFFFD')).toBe(true)
        })
        if (ids.length > 0) expect(offsets.at(-1)).toBe(text.length)
      }),
      { numRuns: 300, seed: 5 }
    )
    // A character the vocabulary splits: its inner boundary is -1.
    expect(tokenizer.charOffsets(tokenizer.encode('a🙂'))).toContain(-1)
  })
})
