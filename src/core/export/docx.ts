// DOCX with the `docx` library: title and author in the core properties and on the first page, Word's own Title and
// Heading styles (so the navigation pane and tables of contents work), italic/bold runs, soft line breaks, centred
// scene breaks and page numbers in the footer.
import {
  AlignmentType,
  Document,
  Footer,
  HeadingLevel,
  Packer,
  PageNumber,
  Paragraph,
  TextRun,
  type IParagraphStyleOptions
} from 'docx'
import { bodyHeadingLevel, type Book } from './book'
import type { Block, Run } from './markup'

/** Our own style names, so that importing our files can tell the author line from body text. */
export const AUTHOR_STYLE_NAME = 'Inlay Author'
const AUTHOR_STYLE_ID = 'InlayAuthor'
const SCENE_BREAK_STYLE_ID = 'InlaySceneBreak'

const HEADING_LEVELS = [
  HeadingLevel.HEADING_1,
  HeadingLevel.HEADING_2,
  HeadingLevel.HEADING_3,
  HeadingLevel.HEADING_4,
  HeadingLevel.HEADING_5,
  HeadingLevel.HEADING_6
] as const

const PARAGRAPH_STYLES: IParagraphStyleOptions[] = [
  {
    id: AUTHOR_STYLE_ID,
    name: AUTHOR_STYLE_NAME,
    basedOn: 'Normal',
    next: 'Normal',
    quickFormat: true,
    run: { size: 28 },
    paragraph: { alignment: AlignmentType.CENTER, spacing: { after: 480 } }
  },
  {
    id: SCENE_BREAK_STYLE_ID,
    name: 'Inlay Scene Break',
    basedOn: 'Normal',
    next: 'Normal',
    quickFormat: true,
    paragraph: { alignment: AlignmentType.CENTER, spacing: { before: 240, after: 240 } }
  }
]

export async function writeDocx(book: Book): Promise<Uint8Array> {
  const children: Paragraph[] = [
    new Paragraph({ heading: HeadingLevel.TITLE, alignment: AlignmentType.CENTER, children: textRuns(book.title) })
  ]
  if (book.author) children.push(new Paragraph({ style: AUTHOR_STYLE_ID, children: textRuns(book.author) }))
  book.chapters.forEach((chapter, index) => {
    if (book.chaptered) {
      children.push(
        new Paragraph({
          heading: HeadingLevel.HEADING_1,
          pageBreakBefore: index > 0,
          children: textRuns(chapter.title)
        })
      )
    }
    for (const block of chapter.blocks) children.push(blockParagraph(book, block))
  })

  const document = new Document({
    title: book.title,
    creator: book.author,
    lastModifiedBy: book.author,
    styles: {
      default: { document: { run: { language: { value: book.language } } } },
      paragraphStyles: PARAGRAPH_STYLES
    },
    sections: [
      {
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [new TextRun({ children: [PageNumber.CURRENT] })]
              })
            ]
          })
        },
        children
      }
    ]
  })
  return Packer.toBuffer(document)
}

function blockParagraph(book: Book, block: Block): Paragraph {
  if (block.kind === 'scene-break') return new Paragraph({ style: SCENE_BREAK_STYLE_ID, text: '* * *' })
  if (block.kind === 'heading') {
    const level = HEADING_LEVELS[bodyHeadingLevel(book, block.level) - 1]
    return new Paragraph({ heading: level, children: block.runs.flatMap(runToTextRuns) })
  }
  return new Paragraph({ children: block.runs.flatMap(runToTextRuns) })
}

function textRuns(text: string): TextRun[] {
  return runToTextRuns({ text, italic: false, bold: false })
}

/** A soft line break inside a run becomes Word's line break (w:br), not a new paragraph. */
function runToTextRuns(run: Run): TextRun[] {
  return run.text
    .split('\n')
    .map(
      (line, index) =>
        new TextRun({ text: line, italics: run.italic, bold: run.bold, break: index > 0 ? 1 : undefined })
    )
}
