// The two page layouts PDF and DOCX offer. A standard manuscript, as editors and agents ask for it (after William
// Shunn's "Proper Manuscript Format"): 1-inch margins, 12 pt serif double-spaced, ragged right, half-inch first-line
// indents, "#" for scene breaks, a title page with the author and word count, and "Surname / Title / page" at the top
// of every other page. A book: a trade page (6 × 9 in, or A5 outside North America), mirrored margins, 11 pt text
// justified and hyphenated, chapters opening on new pages, running heads and page numbers.
import { ExportLayoutSchema, type ExportLayout } from '../../shared/contract'
import { runsText } from './markup'
import type { Book } from './book'

/** The contract's list, so that the app, the CLI and the exporters offer the same layouts. */
export const EXPORT_LAYOUTS = ExportLayoutSchema.options
export type { ExportLayout }

export function isExportLayout(value: string): value is ExportLayout {
  return (EXPORT_LAYOUTS as readonly string[]).includes(value)
}

/** All lengths in points (1/72 in). */
export interface PageLayout {
  kind: ExportLayout
  width: number
  height: number
  top: number
  bottom: number
  /** The margin at the spine (left on right-hand pages); the left margin when not mirrored. */
  inner: number
  outer: number
  mirrored: boolean
  /** Body text size and the distance between baselines. */
  size: number
  leading: number
  /** First-line indent of paragraphs. */
  indent: number
  align: 'start' | 'justify'
  hyphenate: boolean
  sceneBreak: string
}

const INCH = 72
/** North America and the Philippines print on Letter; the rest of the world on A4. English without a region: Letter. */
const LETTER_REGIONS = /^[a-z]{2,3}-(?:us|ca|mx|ph)(?:-|$)/i

export function usesLetterPaper(language: string): boolean {
  return /^en$/i.test(language) || LETTER_REGIONS.test(language)
}

export function pageLayout(kind: ExportLayout, language: string): PageLayout {
  const letter = usesLetterPaper(language)
  if (kind === 'manuscript') {
    return {
      kind,
      width: letter ? 8.5 * INCH : 595.28,
      height: letter ? 11 * INCH : 841.89,
      top: INCH,
      bottom: INCH,
      inner: INCH,
      outer: INCH,
      mirrored: false,
      size: 12,
      leading: 24,
      indent: INCH / 2,
      align: 'start',
      hyphenate: false,
      sceneBreak: '#'
    }
  }
  return {
    kind,
    width: letter ? 6 * INCH : 419.53,
    height: letter ? 9 * INCH : 595.28,
    top: 0.75 * INCH,
    bottom: 0.75 * INCH,
    inner: 0.875 * INCH,
    outer: 0.625 * INCH,
    mirrored: true,
    size: 11,
    leading: 14.5,
    indent: 13,
    align: 'justify',
    hyphenate: true,
    sceneBreak: '* * *'
  }
}

/** Words as word processors count them; each CJK character counts as a word. */
export function countWords(book: Book): number {
  let words = 0
  for (const chapter of book.chapters) {
    for (const block of chapter.blocks) {
      if (block.kind === 'scene-break') continue
      const text = runsText(block.runs)
      const ideographs = text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/gu)?.length ?? 0
      const others = text.replace(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/gu, ' ').match(/\S+/g)
      words += ideographs + (others?.length ?? 0)
    }
  }
  return words
}

/** The title page's word count, rounded as manuscripts give it: to the nearest 100, or 1,000 past 10,000. */
export function wordCountLine(book: Book): string {
  const words = countWords(book)
  const unit = words >= 10_000 ? 1000 : words >= 1000 ? 100 : 10
  const rounded = Math.max(unit, Math.round(words / unit) * unit)
  return `about ${rounded.toLocaleString('en-US')} words`
}

/** The author's surname for the manuscript header: the last word of the name. */
export function headerSurname(book: Book): string {
  return book.author.split(' ').at(-1) ?? ''
}
