import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  AlignmentType,
  CommentRangeEnd,
  CommentRangeStart,
  CommentReference,
  Document,
  ExternalHyperlink,
  FootnoteReferenceRun,
  HeadingLevel,
  ImageRun,
  LevelFormat,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun
} from 'docx'
import JSZip from 'jszip'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../shared/documents'
import { importDocument, importFile } from './import'

const text = (value: string): Uint8Array => new TextEncoder().encode(value)
const ONE_PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64'
)
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inlay-import-'))
afterAll(() => fs.rmSync(tempDir, { recursive: true, force: true }))

describe('plain text', () => {
  it('keeps asterisks literally, takes the title from the file name and keeps soft breaks', async () => {
    const imported = await importDocument(
      text('Hello *world*.\n\nSecond paragraph\nwith a soft break.\n'),
      'My story.txt'
    )
    expect(imported).toEqual({
      title: 'My story',
      body: 'Hello \\*world\\*.\n\nSecond paragraph\nwith a soft break.',
      warnings: []
    })
  })

  it('reads a file without blank lines as one paragraph per line', async () => {
    const imported = await importDocument(text('\nLine one.\r\nLine two.\r\n\r\n'), 'lines.txt')
    expect(imported.body).toBe('Line one.\n\nLine two.')
  })

  it('takes a title underlined with =, headings underlined with -, and scene-break lines', async () => {
    const source = 'The Title\n=========\n\nIntro.\n\nPart Two\n--------\n\nText.\n\n***\n\nEnd — fin.'
    expect(await importDocument(text(source), 'x.txt')).toEqual({
      title: 'The Title',
      body: 'Intro.\n\n# Part Two\n\nText.\n\n* * *\n\nEnd — fin.',
      warnings: []
    })
  })

  it('decodes UTF-16 with a byte order mark', async () => {
    const bytes = Buffer.from('\uFEFFCafé “quoted” — ñ', 'utf16le')
    expect((await importDocument(bytes, 'windows.txt')).body).toBe('Café “quoted” — ñ')
  })

  it('falls back to Windows-1252 for text that is not UTF-8, and says so', async () => {
    const bytes = Uint8Array.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x6f, 0x6b, 0x94, 0x20, 0x97, 0x20, 0x85])
    const imported = await importDocument(bytes, 'old.txt')
    expect(imported.body).toBe('Café “ok” — …')
    expect(imported.warnings).toEqual([expect.stringContaining('read as Windows-1252')])
  })

  it('refuses binary data and empty files', async () => {
    await expect(importDocument(Uint8Array.from([0x50, 0x4b, 0x00, 0x01]), 'a.txt')).rejects.toMatchObject({
      reason: 'corrupt',
      message: 'Cannot import “a.txt”: it is not a text file.'
    })
    await expect(importDocument(text(' \n\n '), 'blank.txt')).rejects.toMatchObject({
      reason: 'empty',
      message: 'Cannot import “blank.txt”: it has no text.'
    })
  })
})

describe('Markdown', () => {
  it('keeps the body as written and takes the title from front matter', async () => {
    const body = '_Italic_ and **bold**, a [link](x) and `code`.\n\n---\n\nAfter the break.'
    const source = `---\ntitle: 'It''s “Here”'\nauthor: Someone\ntags:\n  - a\n---\n\n${body}\n`
    expect(await importDocument(text(source), 'file.md')).toEqual({ title: "It's “Here”", body, warnings: [] })
  })

  it('takes the title from a heading on the first line, else from the file name', async () => {
    expect(await importDocument(text('\n# The *Title*\n\nBody.'), 'f.markdown')).toMatchObject({
      title: 'The Title',
      body: 'Body.'
    })
    expect(await importDocument(text('Body first.\n\n# Later heading'), 'Name here.md')).toMatchObject({
      title: 'Name here',
      body: 'Body first.\n\n# Later heading'
    })
  })

  it('does not mistake a story that opens with a scene break for front matter', async () => {
    const source = '---\nIt was night.\n---\nMorning.'
    expect(await importDocument(text(source), 'night.md')).toMatchObject({ title: 'night', body: source })
  })
})

describe('DOCX', () => {
  const docx = async (children: Paragraph[]): Promise<Uint8Array> =>
    Packer.toBuffer(new Document({ sections: [{ children }] }))

  it('reads headings, italic and bold runs, line breaks and scene breaks into the body', async () => {
    const bytes = await docx([
      new Paragraph({ heading: HeadingLevel.HEADING_1, children: [new TextRun('Chapter “One”')] }),
      new Paragraph({
        children: [
          new TextRun('She said '),
          new TextRun({ text: 'no', italics: true }),
          new TextRun(' — '),
          new TextRun({ text: 'twice', bold: true }),
          new TextRun({ text: 'and again', break: 1 })
        ]
      }),
      new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun('***')] }),
      new Paragraph({ heading: HeadingLevel.HEADING_2, children: [new TextRun('Part two')] }),
      new Paragraph({ children: [new TextRun({ text: 'un', italics: true }), new TextRun('believable 5*3 *stars*')] })
    ])
    expect(await importDocument(bytes, 'book.docx')).toEqual({
      title: 'Chapter “One”',
      body: 'She said *no* — **twice**\nand again\n\n* * *\n\n## Part two\n\n*unbelievable* 5\\*3 \\*stars\\*',
      warnings: []
    })
  })

  it('takes the title from the file name when the document does not open with a heading', async () => {
    const bytes = await docx([new Paragraph('Just text.')])
    expect(await importDocument(bytes, 'Notes.docx')).toMatchObject({ title: 'Notes', body: 'Just text.' })
  })

  it('warns about images, not about Word style names', async () => {
    const bytes = await Packer.toBuffer(
      new Document({
        styles: { paragraphStyles: [{ id: 'BodyText', name: 'Body Text', basedOn: 'Normal' }] },
        sections: [
          {
            children: [
              new Paragraph({ style: 'BodyText', text: 'Styled text.' }),
              new Paragraph({
                children: [new ImageRun({ type: 'png', data: ONE_PIXEL_PNG, transformation: { width: 1, height: 1 } })]
              })
            ]
          }
        ]
      })
    )
    expect(await importDocument(bytes, 'pictures.docx')).toEqual({
      title: 'pictures',
      body: 'Styled text.',
      warnings: ['1 image was left out: documents hold text only.']
    })
  })

  it('keeps italics and bold given by character styles, as LibreOffice writes them for <em> and <strong>', async () => {
    const bytes = await Packer.toBuffer(
      new Document({
        styles: {
          characterStyles: [
            { id: 'Emphasis', name: 'Emphasis', run: { italics: true } },
            { id: 'StrongEmphasis', name: 'Strong Emphasis', run: { bold: true } },
            { id: 'Shout', name: 'Shout', basedOn: 'Emphasis', run: { bold: true } },
            { id: 'Quiet', name: 'Quiet', basedOn: 'Emphasis', run: { italics: false } },
            // mammoth's style map needs the quote escaped.
            { id: 'WritersItalic', name: "Writer's \\ Italic", run: { italics: true } }
          ]
        },
        sections: [
          {
            children: [
              new Paragraph({
                children: [
                  new TextRun('She '),
                  new TextRun({ text: 'never', style: 'Emphasis' }),
                  new TextRun(' said '),
                  new TextRun({ text: 'that', style: 'StrongEmphasis' }),
                  new TextRun(', '),
                  new TextRun({ text: 'not once', style: 'Shout' }),
                  new TextRun(' — '),
                  new TextRun({ text: 'quietly', style: 'Quiet' }),
                  new TextRun(', '),
                  new TextRun({ text: 'in mine', style: 'WritersItalic' }),
                  new TextRun('.')
                ]
              })
            ]
          }
        ]
      })
    )
    expect(await importDocument(bytes, 'styled.docx')).toEqual({
      title: 'styled',
      body: 'She *never* said **that**, ***not once*** — quietly, *in mine*.',
      warnings: []
    })
  })

  it('keeps italics and bold given by paragraph styles (Word\'s "Quote"), a character style toggling them', async () => {
    const bytes = await Packer.toBuffer(
      new Document({
        styles: {
          paragraphStyles: [
            { id: 'Quote', name: 'Quote', basedOn: 'Normal', run: { italics: true } },
            { id: 'Letter', name: 'Letter', basedOn: 'Quote' },
            { id: 'Signature', name: "Writer's Signature", basedOn: 'Normal', run: { bold: true } },
            // Word's own Heading 4 is italic: a heading keeps its level, not emphasis.
            { id: 'Heading4', name: 'heading 4', basedOn: 'Normal', run: { italics: true } }
          ],
          characterStyles: [{ id: 'Emphasis', name: 'Emphasis', run: { italics: true } }]
        },
        sections: [
          {
            children: [
              new Paragraph({
                style: 'Quote',
                children: [
                  new TextRun('She said '),
                  new TextRun({ text: 'never', style: 'Emphasis' }),
                  new TextRun(' and '),
                  new TextRun({ text: 'meant', italics: true }),
                  new TextRun(' it.')
                ]
              }),
              new Paragraph({ style: 'Letter', text: 'Dear John,' }),
              new Paragraph({ style: 'Signature', text: 'Yours, A.' }),
              new Paragraph({ heading: HeadingLevel.HEADING_4, text: 'Four' }),
              new Paragraph({ text: 'Plain.' })
            ]
          }
        ]
      })
    )
    expect(await importDocument(bytes, 'quote.docx')).toEqual({
      title: 'quote',
      body: '*She said* never *and meant it.*\n\n*Dear John,*\n\n**Yours, A.**\n\n#### Four\n\nPlain.',
      warnings: []
    })
  })

  it('keeps lists, notes, links and tables, and lists every simplification', async () => {
    const bytes = await Packer.toBuffer(
      new Document({
        numbering: {
          config: [
            {
              reference: 'steps',
              levels: [
                { level: 0, format: LevelFormat.DECIMAL, text: '%1.' },
                { level: 1, format: LevelFormat.LOWER_LETTER, text: '%2)' }
              ]
            }
          ]
        },
        footnotes: {
          1: { children: [new Paragraph('Ibid., p. 3.')] },
          2: {
            children: [new Paragraph({ children: [new TextRun('A '), new TextRun({ text: 'second', italics: true })] })]
          }
        },
        comments: {
          children: [{ id: 0, author: 'Ed', date: new Date(0), children: [new Paragraph('Cut this?')] }]
        },
        sections: [
          {
            children: [
              new Paragraph({
                children: [
                  new TextRun('As noted'),
                  new FootnoteReferenceRun(1),
                  new TextRun(', the '),
                  new TextRun({ text: 'map', underline: {} }),
                  new TextRun(' was '),
                  new TextRun({ text: 'wrong', strike: true }),
                  new TextRun(' H'),
                  new TextRun({ text: '2', subScript: true }),
                  new TextRun('O.'),
                  new CommentRangeStart(0),
                  new CommentRangeEnd(0),
                  new TextRun({ children: [new CommentReference(0)] })
                ]
              }),
              new Paragraph({ text: 'Bread', bullet: { level: 0 } }),
              new Paragraph({ text: 'Rye', bullet: { level: 1 } }),
              new Paragraph({ text: 'Salt', bullet: { level: 0 } }),
              new Paragraph({ text: 'Knead', numbering: { reference: 'steps', level: 0 } }),
              new Paragraph({ text: 'Wait', numbering: { reference: 'steps', level: 0 } }),
              new Paragraph({
                children: [
                  new TextRun('See '),
                  new ExternalHyperlink({
                    link: 'https://example.com/a_b?x=(1)',
                    children: [new TextRun({ text: 'the *site*', style: 'Hyperlink' })]
                  }),
                  new TextRun('.'),
                  new FootnoteReferenceRun(2)
                ]
              }),
              new Table({
                rows: [
                  new TableRow({
                    children: [
                      new TableCell({ children: [new Paragraph('Name')] }),
                      new TableCell({ children: [new Paragraph('Age'), new Paragraph('(years)')] })
                    ]
                  }),
                  new TableRow({
                    children: [
                      new TableCell({
                        children: [new Paragraph({ children: [new TextRun({ text: 'Ann', bold: true })] })]
                      }),
                      new TableCell({ children: [new Paragraph('34')] })
                    ]
                  })
                ]
              }),
              new Paragraph('The end.')
            ]
          }
        ]
      })
    )
    const imported = await importDocument(bytes, 'notes.docx')
    expect(imported.body).toBe(
      [
        'As noted[^1], the *map* was wrong H2O.',
        '- Bread\n   - Rye\n- Salt',
        '1. Knead\n2. Wait',
        // Escaped where the text needed it: a Markdown reader unescapes `\\_` in the address too.
        'See [the \\*site\\*](https://example.com/a\\_b?x=%281%29).[^2]',
        'Name | Age (years)\n**Ann** | 34',
        'The end.',
        '[^1]: Ibid., p. 3.',
        '[^2]: A *second*'
      ].join('\n\n')
    )
    expect(imported.warnings).toEqual([
      "2 notes were kept as Markdown notes: [^1] where the note was, the note's text at the end.",
      '2 lists were kept as Markdown lists (“-” or “1.” before each item); numbered lists count 1., 2., 3. ' +
        'whatever their numbering style in Word.',
      '1 link was kept in Markdown form, [text](address); exports show that as written.',
      '1 table became text: a line for each row, cells separated by “ | ”.',
      'Underlined text (1 place) became italics.',
      'Struck-through text (1 place) was kept, without the line.',
      'Superscript or subscript (1 place) became ordinary text.',
      '1 comment was left out.'
    ])
  })

  it('refuses a corrupt file, a ZIP that is not a Word document, and a document without text', async () => {
    await expect(importDocument(text('not a zip at all'), 'bad.docx')).rejects.toMatchObject({
      reason: 'corrupt',
      message: expect.stringContaining('Cannot import “bad.docx”: it is not a readable Word document')
    })
    const zip = new JSZip().file('hello.txt', 'hi')
    await expect(importDocument(await zip.generateAsync({ type: 'uint8array' }), 'zip.docx')).rejects.toMatchObject({
      reason: 'corrupt'
    })
    await expect(importDocument(await docx([new Paragraph('')]), 'empty.docx')).rejects.toMatchObject({
      reason: 'empty'
    })
  })
})

describe('what cannot be imported', () => {
  it.each([
    ['story.pdf', 'Cannot import “story.pdf”: Inlay imports .txt, .md, .markdown, .docx files.'],
    [
      'old.doc',
      'Cannot import “old.doc”: Inlay imports .txt, .md, .markdown, .docx files. Open it in Word or LibreOffice and save it as .docx first.'
    ],
    ['no-extension', 'Cannot import “no-extension”: Inlay imports .txt, .md, .markdown, .docx files.']
  ])('refuses %s', async (name, message) => {
    await expect(importDocument(text('x'), name)).rejects.toMatchObject({ reason: 'unsupported', message })
  })

  it('refuses text over the document size limit', async () => {
    await expect(importDocument(new Uint8Array(2 * MAX_BODY_BYTES + 1), 'huge.txt')).rejects.toMatchObject({
      reason: 'too-large',
      message: 'Cannot import “huge.txt”: it is 10.0 MB, over the 10.0 MB limit.'
    })
    await expect(importDocument(text('a'.repeat(MAX_BODY_BYTES + 1)), 'big.md')).rejects.toMatchObject({
      reason: 'too-large',
      message: 'Cannot import “big.md”: its text is 5.0 MB; a document holds at most 5.0 MB.'
    })
  })
})

describe('importFile', () => {
  it('reads a file from disk', async () => {
    const file = path.join(tempDir, 'Ünïcode name.md')
    fs.writeFileSync(file, '# Title\n\nBody — é.')
    expect(await importFile(file)).toEqual({ title: 'Title', body: 'Body — é.', warnings: [] })
  })

  it('says clearly when the file is missing or is a folder', async () => {
    await expect(importFile(path.join(tempDir, 'missing.txt'))).rejects.toMatchObject({
      reason: 'unreadable',
      message: `Cannot read ${path.join(tempDir, 'missing.txt')}: no such file.`
    })
    const folder = path.join(tempDir, 'folder.txt')
    fs.mkdirSync(folder)
    await expect(importFile(folder)).rejects.toMatchObject({ reason: 'unreadable' })
  })
})

describe('DOCX that unpacks to too much (zip bombs)', () => {
  const paragraph = (body: string): string => `<w:p><w:r><w:t xml:space="preserve">${body}</w:t></w:r></w:p>`
  /** A real Word file whose document part is replaced by `documentXml`, packed as tightly as ZIP allows. */
  async function withDocumentXml(documentXml: string): Promise<Uint8Array> {
    const zip = await JSZip.loadAsync(await Packer.toBuffer(new Document({ sections: [{ children: [] }] })))
    zip.file('word/document.xml', documentXml)
    return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } })
  }
  const documentOf = (paragraphs: string): string =>
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ' +
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' +
    `${paragraphs}</w:body></w:document>`
  /** Sets the sizes a ZIP declares for `name` (in its local and central headers) to `size`. */
  function declareSize(zip: Uint8Array, name: string, size: number): Uint8Array {
    const bytes = Uint8Array.from(zip)
    const view = new DataView(bytes.buffer)
    const encodedName = Buffer.from(name)
    for (let at = 0; at + 46 < bytes.length; at++) {
      const signature = view.getUint32(at, true)
      const [nameAt, sizeAt] = signature === 0x04034b50 ? [30, 22] : signature === 0x02014b50 ? [46, 24] : [0, 0]
      if (
        nameAt > 0 &&
        Buffer.from(bytes.subarray(at + nameAt, at + nameAt + encodedName.length)).equals(encodedName)
      ) {
        view.setUint32(at + sizeAt, size, true)
      }
    }
    return bytes
  }
  /**
   * The refusal and what it cost in CPU time (this test file runs in a process of its own, so other tests and
   * programs sharing the machine do not count), plus the wall time as a bound.
   */
  const timed = async (bytes: Uint8Array, name: string): Promise<{ error: unknown; ms: number }> => {
    const [started, cpu] = [performance.now(), process.cpuUsage()]
    const error = await importDocument(bytes, name).catch((caught: unknown) => caught)
    const { user, system } = process.cpuUsage(cpu)
    expect(performance.now() - started).toBeLessThan(5000)
    return { error, ms: (user + system) / 1000 }
  }

  it('refuses 30 MB of text in a small file in well under a second, before parsing', async () => {
    const bomb = await withDocumentXml(documentOf(paragraph('All work and no play. '.repeat(1000)).repeat(1400)))
    expect(bomb.byteLength).toBeLessThan(1024 * 1024)
    const { error, ms } = await timed(bomb, 'bomb.docx')
    expect(error).toMatchObject({
      reason: 'too-large',
      message: expect.stringMatching(
        /^Cannot import “bomb\.docx”: it holds more than 5\.0 MB of text, the most a document holds\. /
      )
    })
    expect(ms).toBeLessThan(500)
  })

  it('refuses from the sizes the archive declares, without unpacking', async () => {
    const bomb = await withDocumentXml(documentOf('<w:p/>'.repeat(10_000_000)))
    const { error, ms } = await timed(bomb, 'markup.docx')
    expect(error).toMatchObject({
      reason: 'too-large',
      message: expect.stringMatching(/its text and formatting unpack to 57\.\d MB, over the 48\.0 MB limit \(the file/)
    })
    expect(ms).toBeLessThan(100)
  })

  it('refuses a part that unpacks to more than the archive declares, stopping there', async () => {
    const honest = await withDocumentXml(documentOf(paragraph('x'.repeat(1_000_000))))
    const { error, ms } = await timed(declareSize(honest, 'word/document.xml', 2000), 'liar.docx')
    expect(error).toMatchObject({
      reason: 'corrupt',
      message:
        'Cannot import “liar.docx”: its part “word/document.xml” unpacks to more than the archive says: the file is ' +
        'damaged or built to exhaust memory.'
    })
    expect(ms).toBeLessThan(500)
  })

  it('counts a part as XML by what it holds, not by its name', async () => {
    // mammoth reads the main document wherever the package's relationships point, whatever its name.
    const zip = await JSZip.loadAsync(
      await withDocumentXml(documentOf(paragraph('All work and no play. '.repeat(1000)).repeat(1400)))
    )
    const documentXml = await zip.file('word/document.xml')!.async('uint8array')
    const relationships = await zip.file('word/_rels/document.xml.rels')!.async('uint8array')
    const packageRelationships = await zip.file('_rels/.rels')!.async('string')
    zip.remove('word/document.xml').remove('word/_rels/document.xml.rels')
    zip.file('word/media/story.bin', documentXml).file('word/_rels/story.bin.rels', relationships)
    zip.file('_rels/.rels', packageRelationships.replace('word/document.xml', 'word/media/story.bin'))
    const renamed = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' })
    const { error, ms } = await timed(renamed, 'renamed.docx')
    expect(error).toMatchObject({
      reason: 'too-large',
      message: expect.stringMatching(/^Cannot import “renamed\.docx”: it holds more than 5\.0 MB of text/)
    })
    expect(ms).toBeLessThan(500)
  })

  it('still imports a long manuscript under the limits', async () => {
    const sentence = 'She kept walking, and the lighthouse kept its distance. '
    const bytes = await withDocumentXml(documentOf(paragraph(sentence.repeat(20)).repeat(2000)))
    const imported = await importDocument(bytes, 'long.docx')
    expect(imported.body.length).toBe(2000 * (sentence.length * 20 - 1) + 1999 * 2)
  })
})
