// DOCX with the `docx` library, in the layouts of layouts.ts. Word's own Title and Heading styles (restyled black
// serif, so the navigation pane and tables of contents work and nothing is blue), a body font, size, spacing and
// first-line indent on the Normal style; title and author in the core properties. Manuscript: a title page (author
// and word count at the top, title and byline in the middle) in its own section, then the text with "Surname / Title
// / page" at the top right, numbered from 1. Book: a trade page with mirrored margins, justified text that Word and
// LibreOffice hyphenate, chapters on new pages, running heads (title on right-hand pages, author on left-hand ones)
// and page numbers at the foot.
import {
  AlignmentType,
  Document,
  Footer,
  Header,
  HeadingLevel,
  LineRuleType,
  Packer,
  PageNumber,
  Paragraph,
  SectionType,
  Tab,
  TabStopType,
  TextRun,
  type IParagraphStyleOptions,
  type ISectionOptions
} from 'docx'
import JSZip from 'jszip'
import { bodyHeadingLevel, type Book } from './book'
import { headerSurname, pageLayout, wordCountLine, type ExportLayout, type PageLayout } from './layouts'
import type { Block, Run } from './markup'

/** Our own style names, so that importing our files can tell the author line from body text. */
export const AUTHOR_STYLE_NAME = 'Inlay Author'
export const TITLE_PAGE_STYLE_NAME = 'Inlay Title Page'
const AUTHOR_STYLE_ID = 'InlayAuthor'
const TITLE_PAGE_STYLE_ID = 'InlayTitlePage'
const SCENE_BREAK_STYLE_ID = 'InlaySceneBreak'
/** Word's name for the serif every system has or substitutes (LibreOffice: Liberation Serif, same metrics). */
const BODY_FONT = 'Times New Roman'
/** Lengths in twips (1/20 pt) and sizes in half-points, as WordprocessingML writes them. */
const twips = (points: number): number => Math.round(points * 20)

const HEADING_LEVELS = [
  HeadingLevel.HEADING_1,
  HeadingLevel.HEADING_2,
  HeadingLevel.HEADING_3,
  HeadingLevel.HEADING_4,
  HeadingLevel.HEADING_5,
  HeadingLevel.HEADING_6
] as const

function paragraphStyles(layout: PageLayout): IParagraphStyleOptions[] {
  const font = { font: BODY_FONT, color: '000000' }
  const centred = { alignment: AlignmentType.CENTER, indent: { firstLine: 0 } }
  const heading = (level: number): IParagraphStyleOptions => ({
    id: `Heading${level}`,
    name: `heading ${level}`,
    basedOn: 'Normal',
    next: 'Normal',
    quickFormat: true,
    run: {
      ...font,
      bold: true,
      italics: false,
      size: Math.round(layout.size * (level === 1 ? 1.4 : level === 2 ? 1.2 : 1) * 2)
    },
    paragraph: {
      ...centred,
      keepNext: true,
      spacing: { before: twips(layout.leading), after: twips(layout.leading / 2) }
    }
  })
  return [
    {
      id: 'Title',
      name: 'Title',
      basedOn: 'Normal',
      next: 'Normal',
      quickFormat: true,
      run: { ...font, size: Math.round(layout.size * (layout.kind === 'book' ? 2.2 : 1) * 2) },
      paragraph: { ...centred, spacing: { before: 0, after: 0 } }
    },
    {
      id: AUTHOR_STYLE_ID,
      name: AUTHOR_STYLE_NAME,
      basedOn: 'Normal',
      next: 'Normal',
      quickFormat: true,
      run: { ...font, size: Math.round(layout.size * (layout.kind === 'book' ? 1.3 : 1) * 2) },
      paragraph: centred
    },
    {
      id: TITLE_PAGE_STYLE_ID,
      name: TITLE_PAGE_STYLE_NAME,
      basedOn: 'Normal',
      quickFormat: true,
      paragraph: { indent: { firstLine: 0 }, spacing: { line: 240, lineRule: LineRuleType.AUTO } }
    },
    {
      id: SCENE_BREAK_STYLE_ID,
      name: 'Inlay Scene Break',
      basedOn: 'Normal',
      next: 'Normal',
      quickFormat: true,
      paragraph: { ...centred, keepNext: true }
    },
    ...[1, 2, 3, 4, 5, 6].map(heading)
  ]
}

export async function writeDocx(book: Book, kind: ExportLayout): Promise<Uint8Array> {
  const layout = pageLayout(kind, book.language)
  const body: Paragraph[] = []
  let opening = true
  book.chapters.forEach((chapter, index) => {
    if (book.chaptered) {
      body.push(headingParagraph(textRuns(chapter.title), 1, index > 0))
      opening = true
    }
    for (const block of chapter.blocks) {
      if (block.kind === 'paragraph') {
        // A book sets the first paragraph of a chapter or scene flush left.
        const flush = opening && layout.kind === 'book'
        body.push(
          new Paragraph({ children: block.runs.flatMap(runToTextRuns), indent: flush ? { firstLine: 0 } : undefined })
        )
        opening = false
        continue
      }
      body.push(blockParagraph(book, layout, block, body.length > 0))
      opening = true
    }
  })

  const page = {
    size: { width: twips(layout.width), height: twips(layout.height) },
    margin: {
      top: twips(layout.top),
      bottom: twips(layout.bottom),
      left: twips(layout.inner),
      right: twips(layout.outer),
      header: twips(layout.top / 2),
      footer: twips(layout.bottom / 2)
    }
  }
  const document = new Document({
    title: book.title,
    creator: book.author,
    lastModifiedBy: book.author,
    evenAndOddHeaderAndFooters: layout.kind === 'book',
    styles: {
      default: {
        document: {
          run: { font: BODY_FONT, size: layout.size * 2, language: { value: book.language } },
          paragraph: {
            alignment: layout.align === 'justify' ? AlignmentType.JUSTIFIED : AlignmentType.LEFT,
            spacing: {
              before: 0,
              after: 0,
              // Double spacing is "auto" 480 (two lines); the book's leading is exact.
              line: layout.kind === 'manuscript' ? 480 : twips(layout.leading),
              lineRule: layout.kind === 'manuscript' ? LineRuleType.AUTO : LineRuleType.EXACT
            },
            indent: { firstLine: twips(layout.indent) }
          }
        }
      },
      paragraphStyles: paragraphStyles(layout)
    },
    sections: [titleSection(book, layout, page), bodySection(book, layout, page, body)]
  })
  const bytes = await Packer.toBuffer(document)
  return layout.hyphenate || layout.mirrored ? withSettings(bytes, layout) : bytes
}

type PageOptions = NonNullable<NonNullable<ISectionOptions['properties']>['page']>

function titleSection(book: Book, layout: PageLayout, page: PageOptions): ISectionOptions {
  const children: Paragraph[] = []
  if (layout.kind === 'manuscript') {
    // Author at the top left, word count at the top right of the same line; title and byline a third of the way down.
    const width = twips(layout.width - layout.inner - layout.outer)
    children.push(
      new Paragraph({
        style: TITLE_PAGE_STYLE_ID,
        tabStops: [{ type: TabStopType.RIGHT, position: width }],
        children: textRuns(`${book.author}\t${wordCountLine(book)}`),
        spacing: { after: twips(layout.height * 0.3) }
      }),
      new Paragraph({ heading: HeadingLevel.TITLE, children: textRuns(book.title) })
    )
    if (book.author) children.push(new Paragraph({ style: AUTHOR_STYLE_ID, children: textRuns(`by ${book.author}`) }))
  } else {
    children.push(
      new Paragraph({
        heading: HeadingLevel.TITLE,
        children: textRuns(book.title),
        spacing: { before: twips(layout.height * 0.25), after: twips(layout.leading * 2) }
      })
    )
    if (book.author) children.push(new Paragraph({ style: AUTHOR_STYLE_ID, children: textRuns(book.author) }))
  }
  return { properties: { page }, children }
}

function bodySection(book: Book, layout: PageLayout, page: PageOptions, children: Paragraph[]): ISectionOptions {
  const small = { size: Math.round(layout.size * 0.8 * 2) }
  if (layout.kind === 'manuscript') {
    const surname = headerSurname(book)
    const header = new Header({
      children: [
        new Paragraph({
          alignment: AlignmentType.RIGHT,
          indent: { firstLine: 0 },
          spacing: { line: 240, lineRule: LineRuleType.AUTO },
          children: [
            new TextRun({ text: `${surname ? `${surname} / ` : ''}${book.title} / ` }),
            new TextRun({ children: [PageNumber.CURRENT] })
          ]
        })
      ]
    })
    return {
      properties: { page: { ...page, pageNumbers: { start: 1 } }, type: SectionType.NEXT_PAGE },
      headers: { default: header },
      children
    }
  }
  const line = (content: (string | typeof PageNumber.CURRENT)[]): Paragraph =>
    new Paragraph({
      alignment: AlignmentType.CENTER,
      indent: { firstLine: 0 },
      children: [new TextRun({ ...small, children: content })]
    })
  const footer = new Footer({ children: [line([PageNumber.CURRENT])] })
  return {
    // The text starts on a right-hand page, as the title page's back stays blank.
    properties: { page, type: SectionType.ODD_PAGE },
    headers: {
      default: new Header({ children: [line([book.title])] }),
      even: new Header({ children: [line([book.author || book.title])] })
    },
    footers: { default: footer, even: footer },
    children
  }
}

/** Settings the library has no option for: automatic hyphenation and mirrored margins. */
async function withSettings(bytes: Uint8Array, layout: PageLayout): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(bytes)
  const settings = await zip.file('word/settings.xml')!.async('string')
  // w:settings' children come in the schema's order: mirrorMargins before defaultTabStop, autoHyphenation after it.
  const mirror = layout.mirrored ? '<w:mirrorMargins/>' : ''
  const hyphenate = layout.hyphenate ? '<w:autoHyphenation/>' : ''
  zip.file(
    'word/settings.xml',
    settings.replace(/<w:defaultTabStop\b[^>]*\/>/, (tab) => mirror + tab + hyphenate)
  )
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' })
}

function headingParagraph(runs: TextRun[], level: number, pageBreakBefore: boolean): Paragraph {
  return new Paragraph({ heading: HEADING_LEVELS[level - 1], pageBreakBefore, children: runs })
}

function blockParagraph(
  book: Book,
  layout: PageLayout,
  block: Exclude<Block, { kind: 'paragraph' }>,
  after: boolean
): Paragraph {
  if (block.kind === 'scene-break') return new Paragraph({ style: SCENE_BREAK_STYLE_ID, text: layout.sceneBreak })
  const level = bodyHeadingLevel(book, block.level)
  // In a book, a `#` of a single document opens a chapter as a document of a book does.
  return headingParagraph(block.runs.flatMap(runToTextRuns), level, after && level === 1 && layout.kind === 'book')
}

function textRuns(text: string): TextRun[] {
  return runToTextRuns({ text, italic: false, bold: false })
}

/** A soft line break inside a run becomes Word's line break (w:br), not a new paragraph; a tab, Word's tab. */
function runToTextRuns(run: Run): TextRun[] {
  return run.text.split('\n').map(
    (line, index) =>
      new TextRun({
        children: line.split('\t').flatMap((part, at) => (at > 0 ? [new Tab(), part] : [part])),
        italics: run.italic,
        bold: run.bold,
        break: index > 0 ? 1 : undefined
      })
  )
}
