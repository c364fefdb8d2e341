import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cleanText, normalizeRuns, parseBody, parseInline, serializeBlocks, type Block, type Run } from './markup'

const plain = (text: string): Run => ({ text, italic: false, bold: false })
const italic = (text: string): Run => ({ text, italic: true, bold: false })
const bold = (text: string): Run => ({ text, italic: false, bold: true })
const both = (text: string): Run => ({ text, italic: true, bold: true })

describe('parseInline', () => {
  it.each([
    ['plain text', [plain('plain text')]],
    ['an *italic* word', [plain('an '), italic('italic'), plain(' word')]],
    ['an _italic_ word', [plain('an '), italic('italic'), plain(' word')]],
    ['a **bold** word', [plain('a '), bold('bold'), plain(' word')]],
    ['***both*** at once', [both('both'), plain(' at once')]],
    ['**bold *and italic* inside**', [bold('bold '), both('and italic'), bold(' inside')]],
    ['*italic **and bold** inside*', [italic('italic '), both('and bold'), italic(' inside')]],
    ['_italic **bold**_', [italic('italic '), both('bold')]],
    ['an unmatched * star', [plain('an unmatched * star')]],
    ['*unclosed italic', [plain('*unclosed italic')]],
    ['closed* only', [plain('closed* only')]],
    ['**bold* mismatch', [plain('*'), italic('bold'), plain(' mismatch')]],
    ['5*3 = 15 and 2*4 = 8', [plain('5*3 = 15 and 2*4 = 8')]],
    ['snake_case_name stays', [plain('snake_case_name stays')]],
    ['escaped \\*not italic\\*', [plain('escaped *not italic*')]],
    ['a \\\\ backslash and C:\\path', [plain('a \\ backslash and C:\\path')]],
    ['*“Quoted,” she said*', [italic('“Quoted,” she said')]],
    ['the *Titanic*’s wake', [plain('the '), italic('Titanic'), plain('’s wake')]],
    ['* not * italic', [plain('* not * italic')]],
    ['*line one\nline two*', [italic('line one\nline two')]],
    ['**', [plain('**')]],
    ['emoji *😀* inside', [plain('emoji '), italic('😀'), plain(' inside')]]
  ])('%j', (source, expected) => {
    expect(parseInline(source)).toEqual(expected)
  })

  it('stays fast on a long run of unmatched delimiters', () => {
    const started = performance.now()
    parseInline('*a '.repeat(20_000))
    parseInline('a* '.repeat(20_000))
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('handles deeply nested emphasis without overflowing the stack', () => {
    const depth = 20_000
    const runs = parseInline('*a '.repeat(depth) + 'x' + ' b*'.repeat(depth))
    expect(runs.map((r) => r.text).join('')).toBe('a '.repeat(depth) + 'x' + ' b'.repeat(depth))
  })
})

describe('parseBody', () => {
  it('splits paragraphs on blank lines and keeps single newlines as soft breaks', () => {
    expect(parseBody('One\ntwo.\n\n\nThree.')).toEqual([
      { kind: 'paragraph', runs: [plain('One\ntwo.')] },
      { kind: 'paragraph', runs: [plain('Three.')] }
    ])
  })

  it.each(['* * *', '***', '---', '#', '- - -', '  * * *  ', '*****'])('reads %j as a scene break', (line) => {
    expect(parseBody(`Before.\n\n${line}\n\nAfter.`)).toEqual([
      { kind: 'paragraph', runs: [plain('Before.')] },
      { kind: 'scene-break' },
      { kind: 'paragraph', runs: [plain('After.')] }
    ])
  })

  it('lets a scene break or heading interrupt a paragraph', () => {
    expect(parseBody('One.\n* * *\nTwo.\n## Part two\nThree.')).toEqual([
      { kind: 'paragraph', runs: [plain('One.')] },
      { kind: 'scene-break' },
      { kind: 'paragraph', runs: [plain('Two.')] },
      { kind: 'heading', level: 2, runs: [plain('Part two')] },
      { kind: 'paragraph', runs: [plain('Three.')] }
    ])
  })

  it('does not take #hashtags, escaped markers or a bold line for block syntax', () => {
    expect(parseBody('#hashtag\n\n\\# not a heading\n\n\\* * *\n\n***really***')).toEqual([
      { kind: 'paragraph', runs: [plain('#hashtag')] },
      { kind: 'paragraph', runs: [plain('# not a heading')] },
      { kind: 'paragraph', runs: [plain('* * *')] },
      { kind: 'paragraph', runs: [both('really')] }
    ])
  })

  it('normalises line endings, BOM and characters XML cannot hold', () => {
    expect(parseBody('\uFEFFa\r\nb\u0007c\r\rd\uD800')).toEqual([
      { kind: 'paragraph', runs: [plain('a\nbc')] },
      { kind: 'paragraph', runs: [plain('d\uFFFD')] }
    ])
    expect(cleanText('tab\tand\nnewline stay')).toBe('tab\tand\nnewline stay')
  })
})

describe('serializeBlocks', () => {
  const roundTrip = (blocks: Block[]): Block[] => parseBody(serializeBlocks(blocks))

  it('writes emphasis, headings and scene breaks that parse back the same', () => {
    const blocks: Block[] = [
      { kind: 'heading', level: 1, runs: [plain('Chapter '), italic('One')] },
      { kind: 'paragraph', runs: [plain('She said '), italic('“no,”'), plain(' and '), bold('left'), plain('.')] },
      { kind: 'scene-break' },
      {
        kind: 'paragraph',
        runs: [italic('italic'), plain(' '), bold('bold'), plain(', '), both('both'), plain('\nnext')]
      },
      { kind: 'paragraph', runs: [both('alpha'), italic(' beta'), plain(' gamma '), bold('delta '), both('epsilon')] }
    ]
    expect(roundTrip(blocks)).toEqual(blocks)
    expect(serializeBlocks(blocks.slice(0, 2))).toBe('# Chapter *One*\n\nShe said *“no,”* and **left**.')
  })

  it('escapes only what would otherwise be read as markup', () => {
    const literal = (text: string): Block[] => [{ kind: 'paragraph', runs: [plain(text)] }]
    expect(serializeBlocks(literal('5*3 and snake_case'))).toBe('5*3 and snake_case')
    expect(serializeBlocks(literal('*sigh*'))).toBe('\\*sigh\\*')
    expect(serializeBlocks(literal('* * *'))).toBe('\\* \\* \\*')
    expect(serializeBlocks(literal('# not a heading'))).toBe('\\# not a heading')
    expect(serializeBlocks(literal('---'))).toBe('\\---')
    for (const text of ['*sigh*', '* * *', '# x', '---', '#', 'a\\*b'])
      expect(roundTrip(literal(text))).toEqual(literal(text))
  })

  it('widens emphasis inside a word to the whole word rather than losing text', () => {
    const blocks: Block[] = [{ kind: 'paragraph', runs: [italic('un'), plain('believable news')] }]
    expect(roundTrip(blocks)).toEqual([{ kind: 'paragraph', runs: [italic('unbelievable'), plain(' news')] }])
  })

  it('moves whitespace out of emphasis and trims lines like the parser does', () => {
    expect(normalizeRuns([plain('  a '), italic(' b \n  c '), plain(' ')], false)).toEqual([
      plain('a  '),
      italic('b\nc')
    ])
  })

  const alphabet = fc.constantFrom(...'ab *_\\#-\n“”é—5.,'.split(''))
  const runArbitrary = fc.record({
    text: fc.array(alphabet, { maxLength: 8 }).map((chars) => chars.join('')),
    italic: fc.boolean(),
    bold: fc.boolean()
  })

  it('always keeps the text of arbitrary runs (property)', () => {
    fc.assert(
      fc.property(fc.array(runArbitrary, { maxLength: 6 }), (runs) => {
        const expected = normalizeRuns(runs, false)
          .map((r) => r.text)
          .join('')
        const parsed = roundTrip([{ kind: 'paragraph', runs }])
        const text = parsed.flatMap((b) => (b.kind === 'paragraph' ? [b.runs.map((r) => r.text).join('')] : []))
        expect(text.join('')).toBe(expected)
        expect(parsed.length).toBe(expected === '' ? 0 : 1)
      }),
      { numRuns: 2000 }
    )
  })

  // Whitespace may change style (it is invisible); every other character must keep its own.
  const styledLetters = (runs: readonly Run[]): string[] =>
    runs.flatMap((run) =>
      [...run.text.replace(/\s/g, '')].map((c) => `${c}${run.italic ? 'i' : ''}${run.bold ? 'b' : ''}`)
    )

  it('keeps the emphasis of whole words (property)', () => {
    const word = fc.constantFrom('alpha', 'beta', '“quoted”', 'é', '5*3', 'it’s', 'x_y')
    const wordRun = fc.record({ text: word, italic: fc.boolean(), bold: fc.boolean() })
    fc.assert(
      fc.property(fc.array(wordRun, { minLength: 1, maxLength: 6 }), (words) => {
        const runs = words.flatMap((w, i) => (i === 0 ? [w] : [plain(' '), w]))
        const [block, ...others] = roundTrip([{ kind: 'paragraph', runs }])
        expect(others).toEqual([])
        expect(block?.kind === 'paragraph' && styledLetters(block.runs)).toEqual(styledLetters(runs))
      }),
      { numRuns: 1000 }
    )
  })
})
