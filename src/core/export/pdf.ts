// PDF with pdfkit, typeset by typeset.ts in one of two layouts (layouts.ts): a standard manuscript (title page with
// the author and word count, double-spaced 12 pt serif, ragged right, first-line indents, centred scene breaks, a
// "Surname / Title / page" header) or a book (trade page, mirrored margins, justified and hyphenated text, chapters
// opening on new pages, running heads and folios). The body family (the system's serif, else the shipped DejaVu Serif)
// is embedded with every fallback font the text needs; characters that no font has are listed in the warnings.
import fs from 'node:fs'
import PDFDocument from 'pdfkit'
import { bodyHeadingLevel, type Book } from './book'
import { ExportError } from './errors'
import {
  findFallbackFonts,
  fontCoverage,
  MISSING_FONT_ADVICE,
  MORE_FONTS_ADVICE,
  pdfBodyFonts,
  type FontSource,
  type PdfFontFiles
} from './fonts'
import { headerSurname, pageLayout, wordCountLine, type ExportLayout, type PageLayout } from './layouts'
import { runsText, type Block, type Run } from './markup'
import { typesetParagraph, type Face, type ParagraphStyle, type Piece, type TypesetFonts } from './typeset'

type Pdf = InstanceType<typeof PDFDocument>

export interface PdfOptions {
  layout: ExportLayout
  fontFiles?: PdfFontFiles
  fontSource?: FontSource
}

export interface PdfResult {
  bytes: Uint8Array
  warnings: string[]
}

const YIELD_EVERY_BLOCKS = 100
const FACES: readonly Face[] = ['regular', 'italic', 'bold', 'boldItalic']
const plain = (text: string): Run[] => [{ text, italic: false, bold: false }]

/** What each page is, for the header and footer drawn once the text is set. */
type PageKind = 'title' | 'blank' | 'opening' | 'text'

export async function writePdf(book: Book, options: PdfOptions): Promise<PdfResult> {
  const files = options.fontFiles ?? pdfBodyFonts(options.fontSource)
  if (!files) throw new ExportError('font-missing', MISSING_FONT_ADVICE)
  const layout = pageLayout(options.layout, book.language)
  const data = loadFonts(files)
  const pdf = new PDFDocument({
    size: [layout.width, layout.height],
    margins: { top: 0, bottom: 0, left: 0, right: 0 },
    bufferPages: true,
    // Without an initial font pdfkit loads Helvetica, which would then be listed in the file for nothing.
    font: files.regular,
    lang: book.language,
    displayTitle: true,
    info: { Title: book.title, Author: book.author, Creator: 'Inlay' }
  })
  const chunks: Buffer[] = []
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk))
  const finished = new Promise<void>((resolve, reject) => {
    pdf.on('end', resolve)
    pdf.on('error', reject)
  })
  // The regular face is the initial font, cached by pdfkit under its path: registered again under a name, pdfkit
  // would read and parse the file anew each time it is selected.
  for (const face of FACES) if (face !== 'regular') pdf.registerFont(face, data[face])
  const { fonts, missing, select } = chooseFonts(pdf, book, layout, files, data, options.fontSource)
  const writer = new PageWriter(pdf, book, layout, fonts, select, await hyphenator(layout, book.language))

  writer.titlePage()
  let blocksWritten = 0
  for (const chapter of book.chapters) {
    if (book.chaptered) writer.chapterOpening(plain(chapter.title))
    for (const block of chapter.blocks) {
      writer.block(block, bodyHeadingLevel(book, block.kind === 'heading' ? block.level : 1))
      // Layout is synchronous and a novel takes seconds: let the process serve other events (the app's UI) meanwhile.
      if (++blocksWritten % YIELD_EVERY_BLOCKS === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  writer.headersAndFooters()
  pdf.end()
  await finished
  const warnings: string[] = []
  if (missing.length > 0) {
    const shown = missing.slice(0, 20).map((codePoint) => String.fromCodePoint(codePoint))
    const codes = missing.slice(0, 20).map((codePoint) => `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`)
    warnings.push(
      `${missing.length} character${missing.length === 1 ? ' is' : 's are'} in no font on this computer that a PDF ` +
        `can embed (colour emoji fonts cannot be) and ${missing.length === 1 ? 'is' : 'are'} drawn as empty boxes: ` +
        `${shown.join(' ')} ` +
        `(${codes.join(', ')}${missing.length > 20 ? ', …' : ''}). ${MORE_FONTS_ADVICE}`
    )
  }
  return { bytes: Buffer.concat(chunks), warnings }
}

function loadFonts(files: PdfFontFiles): Record<Face, Buffer> {
  const read = (file: string): Buffer => {
    try {
      return fs.readFileSync(file)
    } catch (error) {
      throw new ExportError('font-missing', `Cannot read the font ${file}: ${(error as Error).message}.`)
    }
  }
  return {
    regular: read(files.regular),
    italic: read(files.italic),
    bold: read(files.bold),
    boldItalic: read(files.boldItalic)
  }
}

/** Everything the PDF will draw, as code points: the text, the title page, headers and page numbers. */
function codePointsOf(book: Book, layout: PageLayout): Set<number> {
  const texts = [book.title, book.author, wordCountLine(book), layout.sceneBreak, '0123456789/-', headerSurname(book)]
  for (const chapter of book.chapters) {
    texts.push(chapter.title)
    for (const block of chapter.blocks) if (block.kind !== 'scene-break') texts.push(runsText(block.runs))
  }
  const codePoints = new Set<number>()
  for (const text of texts) for (const char of text) codePoints.add(char.codePointAt(0)!)
  return codePoints
}

/** The body family's four faces, then the fallback fonts for what they lack; registered with pdfkit. */
function chooseFonts(
  pdf: Pdf,
  book: Book,
  layout: PageLayout,
  files: PdfFontFiles,
  data: Record<Face, Buffer>,
  source: FontSource | undefined
): { fonts: TypesetFonts; missing: number[]; select: (font: string, size: number) => Pdf } {
  const coverage = new Map<string, (codePoint: number) => boolean>()
  for (const face of FACES) coverage.set(face, fontCoverage(data[face]))
  const regular = coverage.get('regular')!
  const needed = new Set(
    [...codePointsOf(book, layout)].filter(
      (codePoint) => !regular(codePoint) && !/[\s\p{Cc}\p{Cf}\uFE00-\uFE0F]/u.test(String.fromCodePoint(codePoint))
    )
  )
  const fallback = findFallbackFonts(needed, book.language, source)
  const chains: Record<'upright' | 'bold', string[]> = { upright: [], bold: [] }
  fallback.fonts.forEach((font, index) => {
    const key = `fallback-${index}`
    pdf.registerFont(key, font.regular.file, font.regular.postscriptName)
    coverage.set(key, font.covers)
    chains.upright.push(key)
    if (font.bold) {
      pdf.registerFont(`${key}-bold`, font.bold.file, font.bold.postscriptName)
      coverage.set(`${key}-bold`, font.covers)
    }
    chains.bold.push(font.bold ? `${key}-bold` : key)
  })
  let current = ''
  /** Selects a font only when it changes: pdfkit looks the font up anew at each call. */
  const select = (font: string, size: number): Pdf => {
    if (font !== current) pdf.font(font === 'regular' ? files.regular : font)
    current = font
    return pdf.fontSize(size)
  }
  const widths = new Map<string, number>()
  const fonts: TypesetFonts = {
    fontFor(codePoint, face) {
      if (coverage.get(face)!(codePoint)) return face
      if (regular(codePoint)) return 'regular'
      const chain = face === 'bold' || face === 'boldItalic' ? chains.bold : chains.upright
      return chain.find((key) => coverage.get(key)!(codePoint)) ?? face
    },
    has: (font, codePoint) => coverage.get(font)!(codePoint),
    width(font, size, text) {
      const key = `${font}\u0000${size}\u0000${text}`
      let width = widths.get(key)
      if (width === undefined) {
        width = select(font, size).widthOfString(text)
        widths.set(key, width)
      }
      return width
    }
  }
  return { fonts, missing: fallback.missing, select }
}

/** Soft hyphens where the book's language allows breaks (the hyphen package's TeX patterns), for justified text. */
async function hyphenator(layout: PageLayout, language: string): Promise<((text: string) => string) | undefined> {
  if (!layout.hyphenate) return undefined
  const tag = language.toLowerCase()
  for (const name of [tag, tag.split('-')[0]!]) {
    try {
      // A CommonJS module: its exports are the default export.
      const { default: patterns } = (await import(`hyphen/${name}`)) as {
        default: { hyphenateSync: (text: string) => string }
      }
      return (text) => patterns.hyphenateSync(text)
    } catch {
      // No patterns for this tag: try the language alone, then set the text without hyphenation.
    }
  }
  return undefined
}

/** Sets blocks on pages from top to bottom, keeping headings with what follows and single lines off page edges. */
class PageWriter {
  private y: number
  private readonly kinds: PageKind[] = ['title']
  /** The page being written or, while headers are drawn, decorated (0 is the first, a right-hand page). */
  private page = 0
  /** Nothing is drawn on the current page yet. */
  private empty = true
  /** The next paragraph is the first of a chapter or scene: not indented in the book layout. */
  private opening = true
  /** The bookmark of the last level 1 heading, under which level 2 ones go. */
  private outlineParent: PDFKit.PDFOutline | undefined

  constructor(
    private readonly pdf: Pdf,
    private readonly book: Book,
    private readonly layout: PageLayout,
    private readonly fonts: TypesetFonts,
    private readonly select: (font: string, size: number) => Pdf,
    private readonly hyphenate: ((text: string) => string) | undefined
  ) {
    this.y = layout.top
  }

  /** Mirrored margins: the inner one, wider, is at the left of right-hand pages and at the right of left-hand ones. */
  private get left(): number {
    return this.layout.mirrored && this.page % 2 === 1 ? this.layout.outer : this.layout.inner
  }

  private get width(): number {
    return this.layout.width - this.layout.inner - this.layout.outer
  }

  private get bottom(): number {
    return this.layout.height - this.layout.bottom
  }

  private newPage(kind: PageKind): void {
    this.pdf.addPage({
      size: [this.layout.width, this.layout.height],
      margins: { top: 0, bottom: 0, left: 0, right: 0 }
    })
    this.kinds.push(kind)
    this.page = this.kinds.length - 1
    this.y = this.layout.top
    this.empty = true
  }

  titlePage(): void {
    const { layout, book } = this
    const { size, leading } = layout
    if (layout.kind === 'manuscript') {
      // The author and word count at the top, single-spaced; the title and byline in the middle of the page.
      const corner = { ...this.style('start'), indent: 0 }
      if (book.author) this.drawLines(this.set(plain(book.author), corner), layout.top, size * 1.2, size)
      const count = this.set(plain(wordCountLine(book)), corner).map((line) => this.alignRight(line, size))
      this.drawLines(count, layout.top, size * 1.2, size)
      const y = this.drawLines(this.set(plain(book.title), this.style('center')), layout.height * 0.4, leading, size)
      if (book.author) this.drawLines(this.set(plain(`by ${book.author}`), this.style('center')), y, leading, size)
    } else {
      const title = { ...this.style('center'), size: size * 2.2 }
      const y = this.drawLines(this.set(plain(book.title), title), layout.height * 0.3, title.size * 1.3, title.size)
      if (book.author) {
        const author = { ...this.style('center'), size: size * 1.3 }
        this.drawLines(this.set(plain(book.author), author), y + leading, author.size * 1.3, author.size)
      }
      // The back of the title page stays blank: the text starts on a right-hand page.
      this.newPage('blank')
    }
    this.newPage('text')
  }

  /** A chapter starts on a new page, a quarter of the way down. */
  chapterOpening(title: readonly Run[]): void {
    if (!this.empty) this.newPage('opening')
    this.kinds[this.page] = 'opening'
    this.y = this.layout.top + (this.bottom - this.layout.top) / 4
    this.heading(title, 1)
  }

  block(block: Block, level: number): void {
    if (block.kind === 'scene-break') {
      this.opening = true
      const lines = this.set(plain(this.layout.sceneBreak), this.style('center'))
      if (this.y + this.layout.leading * 2 > this.bottom) this.newPage('text')
      this.y = this.drawLines(lines, this.y, this.layout.leading, this.layout.size)
      return
    }
    if (block.kind === 'heading') {
      // In a book, a `#` of a single document opens a chapter as a document of a book does.
      if (level === 1 && this.layout.kind === 'book') return this.chapterOpening(block.runs)
      return this.heading(block.runs, level)
    }
    const style = this.style(this.layout.align)
    if (this.opening && this.layout.kind === 'book') style.indent = 0
    this.opening = false
    this.paragraph(this.set(block.runs, style))
  }

  private heading(runs: readonly Run[], level: number): void {
    const size = this.layout.size * (level === 1 ? 1.4 : level === 2 ? 1.2 : 1)
    const lines = this.set(
      runs.map((run) => ({ ...run, bold: true })),
      { ...this.style('center'), size }
    )
    const leading = Math.max(this.layout.leading, size * 1.3)
    // Keep a heading with two lines of what follows rather than alone at the foot of a page.
    if (this.y + leading * lines.length + this.layout.leading * 2 > this.bottom) this.newPage('text')
    if (!this.empty) this.y += this.layout.leading / 2
    this.bookmark(runsText(runs), level)
    this.y = this.drawLines(lines, this.y, leading, size) + this.layout.leading / 2
    this.opening = true
  }

  /** Level 1 and 2 headings are the PDF's bookmarks, the second level under the first, pointing at this page. */
  private bookmark(title: string, level: number): void {
    if (level === 1) this.outlineParent = this.pdf.outline.addItem(title)
    else if (level === 2) (this.outlineParent ?? this.pdf.outline).addItem(title)
  }

  private style(align: ParagraphStyle['align']): ParagraphStyle {
    // Titles, headings and scene breaks are centred, and never hyphenated.
    if (align === 'center') return { size: this.layout.size, align, indent: 0 }
    return { size: this.layout.size, align, indent: this.layout.indent, hyphenate: this.hyphenate }
  }

  private set(runs: readonly Run[], style: ParagraphStyle): Piece[][] {
    return typesetParagraph(runs, this.width, style, this.fonts)
  }

  private alignRight(line: readonly Piece[], size: number): Piece[] {
    const end = Math.max(...line.map((piece) => piece.x + this.fonts.width(piece.font, size, piece.text)))
    return line.map((piece) => ({ ...piece, x: piece.x + this.width - end }))
  }

  /** A paragraph's lines, over pages: never its first line alone at the foot, nor its last alone at the head. */
  private paragraph(lines: Piece[][]): void {
    const { leading, size } = this.layout
    let rest = lines
    while (rest.length > 0) {
      let fit = Math.floor((this.bottom - this.y) / leading + 1e-6)
      if (fit < rest.length && rest.length > 1) {
        if (rest.length - fit === 1) fit--
        if (fit === 1 && rest === lines) fit = 0
      }
      if (fit <= 0) {
        this.newPage('text')
        fit = Math.max(1, Math.floor((this.bottom - this.y) / leading + 1e-6))
      }
      this.y = this.drawLines(rest.slice(0, fit), this.y, leading, size)
      rest = rest.slice(fit)
      if (rest.length > 0) this.newPage('text')
    }
  }

  /** Draws lines from `top`, `leading` apart, each baseline one font size below its top; returns the new top. */
  private drawLines(lines: readonly Piece[][], top: number, leading: number, size: number): number {
    let y = top
    for (const line of lines) {
      for (const piece of line) this.draw(piece, this.left + piece.x, y + size, size)
      y += leading
      this.empty = false
    }
    return y
  }

  private draw(piece: Piece, x: number, baseline: number, size: number): void {
    const { pdf } = this
    const options = { lineBreak: false, baseline: 'alphabetic' } as const
    const { actual } = piece
    if (actual === undefined) {
      this.select(piece.font, size).text(piece.text, x, baseline, options)
      return
    }
    // The /ActualText span goes inside pdfkit's q … Q around the text object, so that a reader sees the span under
    // the same transformation as its glyphs (poppler places the text by the one in force at its end).
    const addContent = pdf.addContent
    pdf.addContent = (data: string) => {
      if (data === 'BT') pdf.markContent('Span', { actual })
      addContent.call(pdf, data)
      if (data === 'ET') pdf.endMarkedContent()
      return pdf
    }
    try {
      this.select(piece.font, size).text(piece.text, x, baseline, options)
    } finally {
      pdf.addContent = addContent
    }
  }

  /** Manuscript: "Surname / Title / n" at the top right of every page but the title page. Book: heads and folios. */
  headersAndFooters(): void {
    const { pdf, layout, book } = this
    const size = layout.kind === 'manuscript' ? layout.size : layout.size * 0.8
    const style: ParagraphStyle = { size, align: 'start', indent: 0 }
    const top = layout.top / 2 - size
    this.kinds.forEach((kind, index) => {
      if (kind === 'title' || kind === 'blank') return
      pdf.switchToPage(index)
      this.page = index
      if (layout.kind === 'manuscript') {
        // The title page is not counted: the first page of text is page 1.
        const text = [headerSurname(book), book.title, String(index)].filter((part) => part !== '').join(' / ')
        this.drawLines([this.alignRight(this.set(plain(text), style)[0]!, size)], top, size, size)
        return
      }
      if (kind === 'text') {
        const head = index % 2 === 0 ? book.title : book.author || book.title
        this.drawLines(this.set(plain(head), { ...style, align: 'center' }), top, size, size)
      }
      const folio = this.set(plain(String(index + 1)), { ...style, align: 'center' })
      this.drawLines(folio, layout.height - layout.bottom / 2 - size / 2, size, size)
    })
  }
}
