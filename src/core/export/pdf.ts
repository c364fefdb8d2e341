// PDF with pdfkit: A4, an embedded serif family (regular, italic, bold, bold italic faces), the title and author at
// the top of the first page, each further chapter on a new page, and page numbers centred at the foot of every page.
import fs from 'node:fs'
import PDFDocument from 'pdfkit'
import { bodyHeadingLevel, type Book } from './book'
import { ExportError } from './errors'
import { findPdfFonts, MISSING_FONT_ADVICE, type PdfFontFiles } from './fonts'
import type { Block, Run } from './markup'

type Face = keyof PdfFontFiles
type Pdf = InstanceType<typeof PDFDocument>

const MARGIN = 72
const BODY_SIZE = 11.5
const LINE_GAP = 3
const PARAGRAPH_GAP = 7
const HEADING_SIZES = [18, 15, 13, 12, 12, 12]
const YIELD_EVERY_BLOCKS = 100
/** Fonts have no glyph for a tab; a PDF has no tab stops anyway. */
const TAB_AS_SPACES = '    '

export async function writePdf(book: Book, fontFiles: PdfFontFiles | undefined): Promise<Uint8Array> {
  const files = fontFiles ?? findPdfFonts()
  if (!files) throw new ExportError('font-missing', MISSING_FONT_ADVICE)
  const fonts = loadFonts(files)
  const pdf = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
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
  for (const [face, data] of Object.entries(fonts)) pdf.registerFont(face, data)

  writeTitle(pdf, book)
  let blocksWritten = 0
  for (const [index, chapter] of book.chapters.entries()) {
    if (book.chaptered) {
      if (index > 0) pdf.addPage()
      pdf.moveDown(1)
      pdf.font('bold').fontSize(HEADING_SIZES[0]!).text(chapter.title, { align: 'center', paragraphGap: 18 })
    }
    for (const block of chapter.blocks) {
      writeBlock(pdf, book, block)
      // Layout is synchronous and a novel takes seconds: let the process serve other events (the app's UI) meanwhile.
      if (++blocksWritten % YIELD_EVERY_BLOCKS === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  numberPages(pdf)
  pdf.end()
  await finished
  return Buffer.concat(chunks)
}

function loadFonts(files: PdfFontFiles): Record<Face, Buffer> {
  const read = (file: string): Buffer => {
    try {
      return fs.readFileSync(file)
    } catch (error) {
      throw new ExportError(
        'font-missing',
        `Cannot read the font ${file}: ${(error as Error).message}. ${MISSING_FONT_ADVICE}`
      )
    }
  }
  return {
    regular: read(files.regular),
    italic: read(files.italic),
    bold: read(files.bold),
    boldItalic: read(files.boldItalic)
  }
}

function faceOf(run: Run): Face {
  if (run.bold) return run.italic ? 'boldItalic' : 'bold'
  return run.italic ? 'italic' : 'regular'
}

function writeTitle(pdf: Pdf, book: Book): void {
  pdf.moveDown(3)
  pdf.font('bold').fontSize(24).text(book.title, { align: 'center', paragraphGap: 10 })
  if (book.author) pdf.font('italic').fontSize(14).text(book.author, { align: 'center' })
  pdf.moveDown(3)
}

function writeBlock(pdf: Pdf, book: Book, block: Block): void {
  if (block.kind === 'scene-break') {
    pdf
      .font('regular')
      .fontSize(BODY_SIZE)
      .text('* * *', { align: 'center', paragraphGap: PARAGRAPH_GAP * 2 })
    return
  }
  if (block.kind === 'heading') {
    const size = HEADING_SIZES[bodyHeadingLevel(book, block.level) - 1]!
    // Keep a heading with the start of what follows it rather than alone at the foot of a page.
    if (pdf.y + size * 4 > pdf.page.maxY()) pdf.addPage()
    pdf.moveDown(0.5)
    writeRuns(
      pdf,
      block.runs.map((run) => ({ ...run, bold: true })),
      size,
      PARAGRAPH_GAP
    )
    return
  }
  writeRuns(pdf, block.runs, BODY_SIZE, PARAGRAPH_GAP)
}

/**
 * One paragraph: each run in its face, chained with `continued` so that lines wrap across runs. The gap is added
 * after the last line only: pdfkit's paragraphGap would also follow every soft line break.
 */
function writeRuns(pdf: Pdf, runs: readonly Run[], size: number, paragraphGap: number): void {
  pdf.fontSize(size)
  runs.forEach((run, index) => {
    const text = run.text.replace(/\t/g, TAB_AS_SPACES)
    pdf.font(faceOf(run)).text(text, { lineGap: LINE_GAP, continued: index < runs.length - 1 })
  })
  pdf.y += paragraphGap
}

function numberPages(pdf: Pdf): void {
  const range = pdf.bufferedPageRange()
  for (let index = range.start; index < range.start + range.count; index++) {
    pdf.switchToPage(index)
    // Writing inside the bottom margin would make pdfkit start a new page.
    const bottomMargin = pdf.page.margins.bottom
    pdf.page.margins.bottom = 0
    pdf
      .font('regular')
      .fontSize(9)
      .text(String(index + 1), 0, pdf.page.height - bottomMargin / 2 - 5, {
        width: pdf.page.width,
        align: 'center',
        lineBreak: false
      })
    pdf.page.margins.bottom = bottomMargin
  }
}
