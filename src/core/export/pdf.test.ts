// PDF scripts, fonts and layouts, read back with poppler (pdftotext, pdffonts, pdfinfo, pdftoppm): nothing here reads
// the PDF with our own code.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { findPdfFonts, shippedFontDir } from './fonts'
import { exportDocuments, type ExportLayout } from './index'
import {
  isMissing,
  missingTools,
  pdfBookmarks,
  pdfFontTable,
  pdfInfo,
  pdfPageImages,
  pdfText,
  pdfWords,
  type PdfWord
} from '../test-support/export-readers'

const SCRIPTS = {
  Japanese: '吾輩は猫である。名前はまだ無い。',
  Chinese: '我们的故事从这里开始，一直写到天亮。',
  Arabic: 'كان البحر هادئا في تلك الليلة',
  Devanagari: 'नमस्ते दुनिया, यह एक परीक्षण है।',
  emoji: 'Emoji 😀 🎉 🐈'
}
/** A character of each script, asked of fontconfig (colour bitmap fonts cannot be embedded, so they do not count). */
const SAMPLES = { Japanese: 'の', Chinese: '们', Arabic: 'ك', Devanagari: 'न', emoji: '😀' }

function fontconfigHas(char: string): boolean {
  const charset = `:charset=${char.codePointAt(0)!.toString(16)}:outline=true:color=false`
  return spawnSync('fc-list', [charset, 'file'], { encoding: 'utf8' }).stdout.trim() !== ''
}

const noPoppler = missingTools(['pdftotext', 'pdffonts', 'pdfinfo', 'pdftoppm', 'pdftohtml'], 'poppler-utils')
const noFontconfig = missingTools(['fc-list', 'fc-match'], 'fontconfig')
const noScriptFonts =
  noFontconfig ||
  isMissing(
    !Object.values(SAMPLES).every(fontconfigHas),
    `fonts for ${Object.entries(SAMPLES)
      .filter(([, char]) => !fontconfigHas(char))
      .map(([script]) => script)
      .join(', ')}`,
    'fonts-noto-core fonts-noto-cjk fonts-symbola'
  )

const squeeze = (text: string): string => text.replace(/[\s\u00AD\u200E\u200F\u202A-\u202E]+/g, '')
const pdfOf = async (body: string, layout: ExportLayout = 'manuscript', language = 'en'): Promise<Uint8Array> =>
  (await exportDocuments([{ title: 'The Lighthouse', body }], 'pdf', { author: 'Ana Pérez', layout, language })).bytes
/** Words in lines, top to bottom, each left to right; boxes of one line differ by font, so within 6 pt. */
const lines = (words: readonly PdfWord[]): PdfWord[][] => {
  const result: PdfWord[][] = []
  for (const word of [...words].sort((a, b) => a.yMax - b.yMax)) {
    const line = result.at(-1)
    if (line && word.yMax - line[0]!.yMax < 6) line.push(word)
    else result.push([word])
  }
  return result.map((line) => line.sort((a, b) => a.xMin - b.xMin))
}
const LONG_PARAGRAPH =
  'The lighthouse keeper counted the ships that passed in the night, and wrote their names in a ledger that nobody ' +
  'would ever read, because the harbour master had long ago stopped asking for it; still, she wrote them down, ' +
  'every name, every hour, with the particular stubbornness of someone who believes that attention is a duty.'

describe.skipIf(noPoppler || noScriptFonts)('PDF scripts (fonts found through fontconfig)', () => {
  it('draws Japanese, Chinese, Arabic, Devanagari and emoji in embedded fonts that have them', async () => {
    const { bytes, warnings } = await exportDocuments(
      [{ title: 'Scripts', body: Object.values(SCRIPTS).join('\n\n') }],
      'pdf',
      { author: '' }
    )
    expect(warnings).toEqual([])
    const fonts = pdfFontTable(bytes)
    expect(fonts.length).toBeGreaterThanOrEqual(5)
    expect(fonts.every((font) => font.embedded)).toBe(true)
    // The text in reading order, as copying from a viewer gives it: pdftotext puts right-to-left runs back in
    // logical order, as it does for any PDF.
    const text = squeeze(pdfText(bytes))
    for (const [script, sample] of Object.entries(SCRIPTS)) expect(text, script).toContain(squeeze(sample))
    // The Arabic line is set flush right, less the first-line indent, which is on the right in Arabic.
    const arabic = lines(pdfWords(bytes, 2)).find((line) => line.some((word) => /\p{Script=Arabic}/u.test(word.text)))!
    expect(arabic.at(-1)!.xMax).toBeCloseTo(612 - 72 - 36, 0)
  })

  it('keeps the reading order of Latin words inside Arabic text (the bidirectional algorithm)', async () => {
    const pdf = await pdfOf('قرأت رواية Moby Dick في الصيف')
    // Each run reads as written; pdftotext orders the runs of a mixed line by the page's main direction (here the
    // header's left to right), whatever the PDF says.
    for (const run of ['قرأت رواية', 'Moby Dick', 'في الصيف']) expect(squeeze(pdfText(pdf, 2))).toContain(squeeze(run))
    // On the page, left to right: the last Arabic word first, "Moby Dick" as written, the first Arabic word at the
    // right. pdftotext -bbox gives each word's glyphs left to right, so an Arabic word reads backwards there.
    const line = lines(pdfWords(pdf, 2)).find((words) => words.some((word) => word.text === 'Moby'))!
    const readRightToLeft = (text: string): string =>
      /\p{Script=Arabic}/u.test(text) ? [...text].reverse().join('') : text
    expect(line.map((word) => readRightToLeft(word.text))).toEqual(['الصيف', 'في', 'Moby', 'Dick', 'رواية', 'قرأت'])
  })

  it('finds the fonts in font folders where there is no fontconfig', async () => {
    // A folder holding only the font fontconfig would pick for Hindi, so that the test reads one file.
    const file = spawnSync('fc-match', ['--format', '%{file}', ':lang=hi:outline=true'], { encoding: 'utf8' }).stdout
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'inlay-fonts-'))
    try {
      fs.symlinkSync(file, path.join(folder, path.basename(file)))
      const { bytes, warnings } = await exportDocuments([{ title: 'T', body: SCRIPTS.Devanagari }], 'pdf', {
        author: '',
        fontSource: { kind: 'folders', dirs: [folder] }
      })
      expect(warnings).toEqual([])
      expect(squeeze(pdfText(bytes))).toContain(squeeze(SCRIPTS.Devanagari))
      expect(pdfFontTable(bytes).map((font) => font.name)).toContain(path.basename(file).replace(/\.\w+$/, ''))
    } finally {
      fs.rmSync(folder, { recursive: true, force: true })
    }
  })
})

describe.skipIf(noPoppler)('PDF characters without a font', () => {
  it('says which characters no font has, in the result the writer sees', async () => {
    const { warnings } = await exportDocuments([{ title: 'T', body: 'Text and 吾輩, 吾.' }], 'pdf', {
      author: '',
      fontSource: { kind: 'folders', dirs: [] }
    })
    expect(warnings).toEqual([
      '2 characters are in no font on this computer that a PDF can embed (colour emoji fonts cannot be) and are ' +
        'drawn as empty boxes: 吾 輩 (U+543E, ' +
        'U+8F29). Installing fonts for these scripts adds them (on Debian or Ubuntu: apt-get install ' +
        'fonts-noto-core fonts-noto-cjk fonts-symbola).'
    ])
  })
})

describe('PDF body fonts', () => {
  const noLiberation =
    noFontconfig ||
    isMissing(
      spawnSync('fc-list', ['Liberation Serif', 'file'], { encoding: 'utf8' }).stdout.trim() === '',
      'Liberation Serif',
      'fonts-liberation'
    )

  it.skipIf(noLiberation)('finds the body family through fontconfig where the font folders have none', () => {
    const fcMatch = (style: string): string =>
      spawnSync('fc-match', ['--format', '%{file}', `Liberation Serif:style=${style}`], { encoding: 'utf8' }).stdout
    expect(findPdfFonts({ kind: 'fontconfig' }, [])).toEqual({
      regular: fcMatch('Regular'),
      italic: fcMatch('Italic'),
      bold: fcMatch('Bold'),
      boldItalic: fcMatch('Bold Italic')
    })
    expect(findPdfFonts({ kind: 'folders', dirs: [] })).toBeUndefined()
  })

  it('ships DejaVu Serif and DejaVu Sans with their licence in resources/fonts', () => {
    const dir = shippedFontDir()!
    expect(dir).toBe(path.resolve(import.meta.dirname, '../../../resources/fonts'))
    expect(fs.readdirSync(dir).sort()).toEqual([
      'DejaVuSans.ttf',
      'DejaVuSerif-Bold.ttf',
      'DejaVuSerif-BoldItalic.ttf',
      'DejaVuSerif-Italic.ttf',
      'DejaVuSerif.ttf',
      'LICENSE',
      'README.md'
    ])
    expect(fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8')).toMatch(
      /^Fonts are \(c\) Bitstream[\s\S]*Bitstream Vera Fonts Copyright[\s\S]*Arev Fonts Copyright/
    )
  })

  it.skipIf(noPoppler)(
    'sets the text in the shipped DejaVu where the system has no font, and names what those lack',
    async () => {
      const body = 'Ελληνικά, кириллица, Հայերեն — *italic*, **bold**.\n\nשלום עולם\n\n😀 → ☺ 吾'
      const { bytes, warnings } = await exportDocuments([{ title: 'Shipped', body }], 'pdf', {
        author: '',
        fontSource: { kind: 'folders', dirs: [] }
      })
      const fonts = pdfFontTable(bytes)
      expect(fonts.map((font) => font.name).sort()).toEqual([
        'DejaVuSans',
        'DejaVuSerif',
        'DejaVuSerif-Bold',
        'DejaVuSerif-Italic'
      ])
      expect(fonts.every((font) => font.embedded)).toBe(true)
      const text = squeeze(pdfText(bytes))
      for (const paragraph of ['Ελληνικά, кириллица, Հայերեն — italic, bold.', 'שלום עולם', '😀 → ☺']) {
        expect(text).toContain(squeeze(paragraph))
      }
      expect(warnings).toEqual([expect.stringMatching(/^1 character is in no font .*: 吾 \(U\+543E\)\. /)])
    }
  )
})

describe.skipIf(noPoppler)('PDF layouts', () => {
  const body = [LONG_PARAGRAPH, LONG_PARAGRAPH, '* * *', LONG_PARAGRAPH, '# Two', LONG_PARAGRAPH].join('\n\n')

  it('manuscript: Letter (A4 outside North America), title page with author and word count, then the text', async () => {
    const pdf = await pdfOf(body)
    expect(pdfInfo(pdf)['Page size']).toMatch(/^612 x 792 pts/)
    expect(pdfInfo(await pdfOf(body, 'manuscript', 'fr'))['Page size']).toMatch(/^595\.2\d x 841\.8\d pts/)
    const title = pdfText(pdf, 1)
    expect(title).toMatch(/^Ana Pérez\s+about 230 words\s+The Lighthouse\s+by Ana Pérez\s*$/)
    expect(pdfText(pdf, 2).split('\n')[0]).toBe('Pérez / The Lighthouse / 1')
  })

  it('manuscript: double-spaced 12 pt, half-inch first-line indents, ragged right, “#” between scenes', async () => {
    const pdf = await pdfOf(body)
    const page = lines(pdfWords(pdf, 2)).slice(1)
    const baselines = page.map((line) => line[0]!.yMax)
    const gaps = baselines.slice(1).map((y, index) => y - baselines[index]!)
    expect(gaps.filter((gap) => Math.abs(gap - 24) < 0.1).length).toBeGreaterThan(5)
    expect(page[0]![0]!.xMin).toBeCloseTo(72 + 36, 0)
    expect(page[1]![0]!.xMin).toBeCloseTo(72, 0)
    const rightEdges = page.slice(0, 4).map((line) => line.at(-1)!.xMax)
    expect(Math.max(...rightEdges) - Math.min(...rightEdges)).toBeGreaterThan(5)
    const sceneBreak = page.find((line) => line.length === 1 && line[0]!.text === '#')!
    expect((sceneBreak[0]!.xMin + sceneBreak[0]!.xMax) / 2).toBeCloseTo(306, 0)
  })

  it('book: 6 × 9 in (A5 elsewhere), blank back of the title page, justified and hyphenated, chapters on new pages', async () => {
    const pdf = await pdfOf(body, 'book')
    expect(pdfInfo(pdf)['Page size']).toMatch(/^432 x 648 pts/)
    expect(pdfInfo(await pdfOf(body, 'book', 'de'))['Page size']).toMatch(/^419\.5\d x 595\.2\d pts/)
    const pages = Number(pdfInfo(pdf).Pages)
    expect(pdfText(pdf, 1)).toMatch(/^\s*The Lighthouse\s+Ana Pérez\s*$/)
    expect(pdfText(pdf, 2).trim()).toBe('')
    // Page 3, a right-hand page: its running head is the title, its folio 3, its inner margin on the left.
    const page3 = lines(pdfWords(pdf, 3))
    expect(page3[0]!.map((word) => word.text).join(' ')).toBe('The Lighthouse')
    expect(page3.at(-1)!.map((word) => word.text)).toEqual(['3'])
    const text = page3.slice(1, -1)
    expect(text[0]![0]!.xMin).toBeCloseTo(0.875 * 72, 0)
    const full = text.slice(0, 4).map((line) => line.at(-1)!.xMax)
    for (const edge of full) expect(edge).toBeCloseTo(432 - 0.625 * 72, 0)
    expect(pdfText(pdf)).toMatch(/\u00AD\n/)
    // "# Two" opens a chapter: a new page that starts with it, a quarter of the way down.
    const opening = Array.from({ length: pages }, (_, index) => index + 1).find((page) =>
      pdfText(pdf, page).trim().startsWith('Two')
    )
    expect(opening).toBeGreaterThan(3)
  })

  it('bookmarks chapters and their sections, at the pages they start on', async () => {
    const pdf = await pdfOf('# One\n\nText.\n\n## Sub\n\nMore.\n\n# Two\n\nEnd.', 'book')
    expect(pdfBookmarks(pdf)).toEqual([
      { title: 'One', page: 3, children: [{ title: 'Sub', page: 3, children: [] }] },
      { title: 'Two', page: 4, children: [] }
    ])
    const book = (
      await exportDocuments(
        [
          { title: 'A', body: 'x' },
          { title: 'B', body: '# B1\n\ny' }
        ],
        'pdf',
        { author: '', title: 'T' }
      )
    ).bytes
    expect(pdfBookmarks(book)).toEqual([
      { title: 'A', page: 2, children: [] },
      { title: 'B', page: 3, children: [{ title: 'B1', page: 3, children: [] }] }
    ])
  })

  it('renders every page, with ink in the header only where there is one', async () => {
    const manuscript = await pdfOf(body)
    const images = pdfPageImages(manuscript, 30)
    expect(images.length).toBe(Number(pdfInfo(manuscript).Pages))
    const headerBand = (image: (typeof images)[number]): boolean => image.inked(300, 20, 240, 22)
    expect(headerBand(images[0]!)).toBe(false)
    for (const image of images.slice(1)) expect(headerBand(image)).toBe(true)
    for (const image of images) expect(image.inked(0, 0, 612, 18) || image.inked(0, 792 - 40, 612, 40)).toBe(false)
  })
})
