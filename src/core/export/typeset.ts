// Sets one paragraph in lines for the PDF: each character in the first font that has it, line breaks where Unicode
// allows them (UAX #14: spaces, between CJK characters, at the soft hyphens hyphenation inserts), justification, and
// right-to-left text (Arabic, Hebrew) reordered per line by the Unicode bidirectional algorithm. Pieces whose glyphs
// do not read back as their text (shaped left-to-right scripts such as Devanagari, runs we reversed ourselves) carry
// it as /ActualText, so that copying from the PDF, and pdftotext, give the text as written. Right-to-left letters get
// none: readers put a right-to-left run's glyphs back in logical order themselves, as for any PDF, and would reverse
// an /ActualText given in logical order along with them.
import bidiFactory from 'bidi-js'
import LineBreaker from 'linebreak'
import type { PdfFontFiles } from './fonts'
import type { Run } from './markup'

export type Face = keyof PdfFontFiles

export interface TypesetFonts {
  /** The font for a character in a face: the first that has it, else one whose empty box marks the spot. */
  fontFor(codePoint: number, face: Face): string
  has(font: string, codePoint: number): boolean
  width(font: string, size: number, text: string): number
}

export interface ParagraphStyle {
  size: number
  align: 'start' | 'justify' | 'center'
  /** First-line indent, in points. */
  indent: number
  /** Inserts soft hyphens where words may break. */
  hyphenate?: (text: string) => string
}

/** Text in one font, placed at `x` (from the left of the column) on its line. */
export interface Piece {
  font: string
  text: string
  /** What the piece says, where its glyphs would read back otherwise. */
  actual?: string
  x: number
}

const bidi = bidiFactory()
const SOFT_HYPHEN = '\u00AD'
const TAB_AS_SPACES = '    '
/** Characters that draw nothing: joiners, variation selectors, bidi controls, tags. */
const IGNORABLE =
  // eslint-disable-next-line no-misleading-character-class -- code point ranges, not characters to combine
  /[\u00AD\u034F\u061C\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFE00-\uFE0F\uFEFF\u{E0000}-\u{E0FFF}]/u
/** Scripts whose shaping reorders or joins glyphs, so that the glyphs do not read back as the text. */
const SHAPED =
  // eslint-disable-next-line no-misleading-character-class -- code point ranges, not characters to combine
  /[\u0590-\u08FF\u0900-\u0DFF\u0E00-\u109F\u1780-\u18AF\u1900-\u1AAF\u1B00-\u1C4F\uA800-\uABFF\uFB1D-\uFDFF\uFE70-\uFEFF\u{10800}-\u{10FFF}\u{11000}-\u{11FFF}\u{1E800}-\u{1EFFF}]/u
/** Letters of right-to-left scripts: fontkit lays out a string holding one from right to left by itself. */
const RTL_LETTER = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u
const LETTER = /[\p{L}\p{M}]/u
const SPACE = /^[ \t]$/

interface Char {
  text: string
  face: Face
  font: string
  level: number
}

interface Segment {
  font: string
  level: number
  /** The characters as written. */
  logical: string
  /** What is drawn: the same, without what draws nothing, reversed where fontkit would not reverse it. */
  drawn: string
  width: number
}

interface Word {
  segments: Segment[]
  width: number
  /** The spaces after it: their width and bidi level. */
  gap: number
  gapLevel: number
  /** The word ends at a soft hyphen: broken there, it takes a hyphen. */
  hyphen?: Segment
  forcedBreak: boolean
}

/** Sets `runs` in lines `width` points wide; each line is a list of pieces in visual order. */
export function typesetParagraph(
  runs: readonly Run[],
  width: number,
  style: ParagraphStyle,
  fonts: TypesetFonts
): Piece[][] {
  const chars = characters(runs, style, fonts)
  const text = chars.map((char) => char.text).join('')
  if (text.trim() === '') return []
  const { levels, paragraphs } = bidi.getEmbeddingLevels(text)
  let offset = 0
  for (const char of chars) {
    char.level = levels[offset]!
    offset += char.text.length
  }
  const baseLevel = paragraphs[0]?.level ?? 0
  const words = splitWords(chars, text, style.size, fonts)
  return breakLines(words, width, style).map(({ words: lineWords, first, last }) =>
    placeLine(lineWords, width, style, baseLevel, first, last)
  )
}

function characters(runs: readonly Run[], style: ParagraphStyle, fonts: TypesetFonts): Char[] {
  const chars: Char[] = []
  let previous: Char | undefined
  for (const run of runs) {
    const face: Face = run.bold ? (run.italic ? 'boldItalic' : 'bold') : run.italic ? 'italic' : 'regular'
    let text = run.text.replace(/\t/g, TAB_AS_SPACES)
    if (style.hyphenate) text = style.hyphenate(text)
    for (const char of text) {
      const codePoint = char.codePointAt(0)!
      // Marks, joiners, spaces and punctuation stay in the font of what they follow, if it has them (a comma in
      // Arabic text, a mark on a letter); letters always take the first font that has them.
      const sticky =
        previous !== undefined &&
        previous.face === face &&
        (!LETTER.test(char) || /\p{M}/u.test(char)) &&
        (fonts.has(previous.font, codePoint) || IGNORABLE.test(char))
      const font = sticky ? previous!.font : fonts.fontFor(codePoint, face)
      previous = { text: char, face, font, level: 0 }
      chars.push(previous)
    }
  }
  return chars
}

function segment(chars: readonly Char[], size: number, fonts: TypesetFonts): Segment {
  const { font, level } = chars[0]!
  // Soft hyphens are invisible: what the piece says is its text without them.
  const logical = chars.map((char) => (char.text === SOFT_HYPHEN ? '' : char.text)).join('')
  let drawn = chars
    .filter(
      (char) => !IGNORABLE.test(char.text) || (char.text !== SOFT_HYPHEN && fonts.has(font, char.text.codePointAt(0)!))
    )
    .map((char) => char.text)
    .join('')
  if (level % 2 === 1 && !RTL_LETTER.test(drawn)) {
    drawn = [...drawn]
      .reverse()
      .map((char) => bidi.getMirroredCharacter(char) ?? char)
      .join('')
  }
  return { font, level, logical, drawn, width: drawn === '' ? 0 : fonts.width(font, size, drawn) }
}

/** Cuts the paragraph at its line break opportunities, each word into segments of one font and one bidi level. */
function splitWords(chars: readonly Char[], text: string, size: number, fonts: TypesetFonts): Word[] {
  const words: Word[] = []
  const breaker = new LineBreaker(text)
  let start = 0
  let charIndex = 0
  for (let next = breaker.nextBreak(); next !== null; next = breaker.nextBreak()) {
    const wordChars: Char[] = []
    while (start < next.position) {
      const char = chars[charIndex++]!
      wordChars.push(char)
      start += char.text.length
    }
    const content = [...wordChars]
    let gap = 0
    let gapLevel = 0
    while (content.length > 0 && (SPACE.test(content.at(-1)!.text) || content.at(-1)!.text === '\n')) {
      const space = content.pop()!
      if (space.text !== '\n') gap += fonts.width(space.font, size, ' ')
      gapLevel = space.level
    }
    const segments: Segment[] = []
    let from = 0
    for (let index = 1; index <= content.length; index++) {
      const here = content[index]
      const previous = content[index - 1]!
      if (here === undefined || here.font !== previous.font || here.level !== previous.level) {
        segments.push(segment(content.slice(from, index), size, fonts))
        from = index
      }
    }
    const last = content.at(-1)
    const hyphen =
      last?.text === SOFT_HYPHEN
        ? { ...segment([{ ...last, text: '-' }], size, fonts), logical: SOFT_HYPHEN }
        : undefined
    words.push({
      segments,
      width: segments.reduce((sum, piece) => sum + piece.width, 0),
      gap,
      gapLevel,
      hyphen,
      forcedBreak: next.required && text[next.position - 1] === '\n'
    })
  }
  return words
}

function breakLines(
  words: readonly Word[],
  width: number,
  style: ParagraphStyle
): { words: Word[]; first: boolean; last: boolean }[] {
  const lines: { words: Word[]; first: boolean; last: boolean }[] = []
  let line: Word[] = []
  let used = 0
  const available = (): number => width - (lines.length === 0 ? style.indent : 0)
  const end = (last: boolean): void => {
    lines.push({ words: line, first: lines.length === 0, last })
    line = []
    used = 0
  }
  for (const word of words) {
    if (line.length > 0) {
      const before = used + line.at(-1)!.gap
      if (before + word.width + (word.hyphen?.width ?? 0) > available()) end(false)
      else used = before
    }
    line.push(word)
    used += word.width
    if (word.forcedBreak) end(true)
  }
  if (line.length > 0) end(true)
  return lines.filter((entry) => entry.words.some((word) => word.segments.length > 0) || entry.last)
}

interface Item {
  level: number
  width: number
  segment?: Segment
}

function placeLine(
  words: readonly Word[],
  width: number,
  style: ParagraphStyle,
  baseLevel: number,
  first: boolean,
  last: boolean
): Piece[] {
  const items: Item[] = []
  words.forEach((word, index) => {
    for (const piece of word.segments) items.push({ level: piece.level, width: piece.width, segment: piece })
    const lastWord = index === words.length - 1
    if (lastWord && !last && word.hyphen)
      items.push({ level: word.hyphen.level, width: word.hyphen.width, segment: word.hyphen })
    // A word broken off at a soft hyphen has no space after it: nothing to stretch there.
    if (!lastWord && word.gap > 0) items.push({ level: word.gapLevel, width: word.gap })
  })
  reorder(items)
  const indent = first ? style.indent : 0
  const natural = items.reduce((sum, item) => sum + item.width, 0)
  const gaps = items.filter((item) => item.segment === undefined).length
  const stretch = style.align === 'justify' && !last && gaps > 0 ? Math.max(0, (width - indent - natural) / gaps) : 0
  const full = natural + stretch * gaps
  let x = style.align === 'center' ? (width - full) / 2 : baseLevel % 2 === 1 ? width - indent - full : indent
  const pieces: Piece[] = []
  for (const item of items) {
    if (item.segment === undefined) {
      x += item.width + stretch
      continue
    }
    const { font, logical, drawn } = item.segment
    if (drawn !== '') {
      // Right-to-left letters read back through the font's map from glyphs to text, reordered by the reader.
      const readerReorders = item.segment.level % 2 === 1 && RTL_LETTER.test(drawn)
      const readsBack = logical === drawn && (readerReorders || !SHAPED.test(logical))
      pieces.push({ font, text: drawn, actual: readsBack ? undefined : logical, x })
    }
    x += item.width
  }
  return pieces
}

/** Rule L2 of the bidirectional algorithm: from the highest level down to the lowest odd one, reverse the runs. */
function reorder(items: Item[]): void {
  const levels = items.map((item) => item.level)
  const highest = Math.max(0, ...levels)
  const lowestOdd = Math.min(...levels.filter((level) => level % 2 === 1), highest + 1)
  for (let level = highest; level >= lowestOdd; level--) {
    let index = 0
    while (index < items.length) {
      if (items[index]!.level < level) {
        index++
        continue
      }
      let end = index
      while (end < items.length && items[end]!.level >= level) end++
      items.splice(index, end - index, ...items.slice(index, end).reverse())
      index = end
    }
  }
}
