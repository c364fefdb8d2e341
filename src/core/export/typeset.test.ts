// The typesetter with a font whose every character is half the size wide: line breaks, indents, justification,
// soft hyphens, bidirectional order and the text carried for readers, checked against positions worked out by hand.
import { describe, expect, it } from 'vitest'
import { typesetParagraph, type ParagraphStyle, type Piece, type TypesetFonts } from './typeset'
import type { Run } from './markup'

/** "latin" has Latin and punctuation, "other" everything else; each character is 5 wide at size 10. */
const fonts: TypesetFonts = {
  fontFor: (codePoint, face) => (codePoint < 0x250 ? `latin-${face}` : 'other'),
  has: (font, codePoint) => (font.startsWith('latin') ? codePoint < 0x250 : true),
  width: (_font, size, text) => [...text].length * size * 0.5
}
const plain = (text: string): Run[] => [{ text, italic: false, bold: false }]
const style = (overrides: Partial<ParagraphStyle> = {}): ParagraphStyle => ({
  size: 10,
  align: 'start',
  indent: 0,
  ...overrides
})
const texts = (lines: Piece[][]): string[] => lines.map((line) => line.map((piece) => piece.text).join('|'))
const xs = (line: Piece[]): number[] => line.map((piece) => piece.x)

describe('typesetParagraph', () => {
  it('breaks at spaces to fit the width, the first line indented', () => {
    // "aaaa " is 25 wide: two words and a space fit in 50, the indent takes one word's room.
    const lines = typesetParagraph(plain('aaaa bbbb cccc dddd'), 50, style({ indent: 25 }), fonts)
    expect(texts(lines)).toEqual(['aaaa', 'bbbb|cccc', 'dddd'])
    expect(xs(lines[0]!)).toEqual([25])
    expect(xs(lines[1]!)).toEqual([0, 25])
  })

  it('stretches the spaces of every line but the last when justified', () => {
    const lines = typesetParagraph(plain('aa bb cc dd ee'), 60, style({ align: 'justify' }), fonts)
    expect(texts(lines)).toEqual(['aa|bb|cc|dd', 'ee'])
    // 40 of text and 3 spaces of 5 in 60: each space grows by 5/3.
    expect(xs(lines[0]!).map((x) => Math.round(x * 100) / 100)).toEqual([0, 16.67, 33.33, 50])
    expect(xs(lines[1]!)).toEqual([0])
  })

  it('breaks at a soft hyphen with a hyphen that reads back as the soft hyphen, and hides the others', () => {
    const lines = typesetParagraph(plain('aaa bbb\u00ADccc'), 40, style(), fonts)
    expect(lines.map((line) => line.map(({ text, actual }) => [text, actual]))).toEqual([
      [
        ['aaa', undefined],
        ['bbb', undefined],
        ['-', '\u00AD']
      ],
      [['ccc', undefined]]
    ])
    expect(texts(typesetParagraph(plain('bbb\u00ADccc'), 100, style(), fonts))).toEqual(['bbb|ccc'])
  })

  it('keeps soft line breaks and centres', () => {
    const lines = typesetParagraph(plain('ab\ncd ef'), 100, style({ align: 'center' }), fonts)
    expect(texts(lines)).toEqual(['ab', 'cd|ef'])
    expect(xs(lines[0]!)).toEqual([45])
    expect(xs(lines[1]!)).toEqual([37.5, 52.5])
  })

  it('sets a right-to-left paragraph from the right, Latin words in their own order', () => {
    const lines = typesetParagraph(plain('אבג Moby Dick דה'), 200, style({ indent: 10 }), fonts)
    // Visual order, left to right: דה, then "Moby Dick" as written, then אבג at the right edge, less the indent.
    // Right-to-left words go to the PDF in logical order (the font lays them out right to left) and without
    // /ActualText: readers reorder them back themselves.
    expect(lines[0]!.map(({ text, actual }) => [text, actual])).toEqual([
      ['דה', undefined],
      ['Moby', undefined],
      ['Dick', undefined],
      ['אבג', undefined]
    ])
    expect(lines[0]!.at(-1)!.x + 15).toBe(200 - 10)
    expect(lines[0]![0]!.font).toBe('other')
  })

  it('carries the text for readers where the glyphs do not read back: shaped scripts, runs reversed here', () => {
    const [devanagari] = typesetParagraph(plain('नमस्ते'), 200, style(), fonts)
    expect(devanagari!.map(({ text, actual }) => [text, actual])).toEqual([['नमस्ते', 'नमस्ते']])
    // Punctuation on its own between right-to-left words is set right to left: reversed (and mirrored) here.
    const [line] = typesetParagraph(plain('אבג «?!» דה'), 200, style(), fonts)
    expect(line!.map(({ text, actual }) => [text, actual])).toEqual([
      ['דה', undefined],
      ['«!?»', '«?!»'],
      ['אבג', undefined]
    ])
  })

  it('takes each character from the first font that has it, punctuation staying with the script it follows', () => {
    // Lines may break between CJK characters (not before 。), so each is a piece of its own.
    const lines = typesetParagraph(plain('Hi 日本。 ok'), 200, style(), fonts)
    expect(lines[0]!.map(({ text, font }) => [text, font])).toEqual([
      ['Hi', 'latin-regular'],
      ['日', 'other'],
      ['本。', 'other'],
      ['ok', 'latin-regular']
    ])
  })
})
