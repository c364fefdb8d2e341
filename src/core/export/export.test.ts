// Every format is read back with a reader that shares no code with its writer (see test-support/export-readers.ts) and
// compared with the text we expect, written out by hand here rather than computed by our own parser.
import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../shared/documents'
import { ExportError, exportDocuments, importDocument, type ExportFormat } from './index'
import type { Run } from './markup'
import {
  docxParagraphs,
  epubcheckProblems,
  libreOfficePdf,
  onPath,
  firstZipEntry,
  missingTools,
  pdfFonts,
  pdfInfo,
  pdfText,
  pdfWords,
  xmlProblems,
  xmlText,
  type DocxParagraph
} from '../test-support/export-readers'

const TITLE = 'The Lighthouse: a “Draft”'
const AUTHOR = 'Ana Pérez-Øster'
const UNICODE_LINE =
  '“Curly quotes,” she said — and ‘apostrophes’… café, über, año, Ærøskøbing, Łódź, Ελληνικά, кириллица.'
const BODY = [
  UNICODE_LINE,
  '',
  '*Italic* and **bold** and ***both***; 5*3 stays literal.',
  'A soft line break keeps the paragraph.',
  '',
  '* * *',
  '',
  '# A heading',
  '',
  'Escaped \\*stars\\* & <angle> brackets; ligatures: first office affine.'
].join('\n')
const DOCUMENT = { title: TITLE, body: BODY }

const plain = (text: string): Run => ({ text, italic: false, bold: false })
const EMPHASIS_RUNS: Run[] = [
  { text: 'Italic', italic: true, bold: false },
  plain(' and '),
  { text: 'bold', italic: false, bold: true },
  plain(' and '),
  { text: 'both', italic: true, bold: true },
  plain('; 5*3 stays literal.\nA soft line break keeps the paragraph.')
]
const EMPHASIS_TEXT = 'Italic and bold and both; 5*3 stays literal.\nA soft line break keeps the paragraph.'
const LAST_TEXT = 'Escaped *stars* & <angle> brackets; ligatures: first office affine.'
/** The visible text of BODY, block by block. */
const BODY_TEXTS = [UNICODE_LINE, EMPHASIS_TEXT, '* * *', 'A heading', LAST_TEXT]

const options = { author: AUTHOR }
/** The file an export writes (its warnings are tested where they matter). */
const exportBytes = async (...args: Parameters<typeof exportDocuments>): Promise<Uint8Array> =>
  (await exportDocuments(...args)).bytes
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const mergeRuns = (runs: readonly Run[]): Run[] =>
  runs.reduce<Run[]>((merged, run) => {
    const last = merged[merged.length - 1]
    if (last && last.italic === run.italic && last.bold === run.bold) last.text += run.text
    else merged.push({ ...run })
    return merged
  }, [])
const paragraphText = (paragraph: DocxParagraph): string => paragraph.runs.map((run) => run.text).join('')

const noXmllint = missingTools(['xmllint'], 'libxml2-utils')
const noPoppler = missingTools(['pdftotext', 'pdffonts', 'pdfinfo'], 'poppler-utils')

describe('Markdown', () => {
  it('writes front matter and the body exactly as written', async () => {
    const markdown = decode(await exportBytes([DOCUMENT], 'md', options))
    expect(markdown).toBe(`---\ntitle: "The Lighthouse: a “Draft”"\nauthor: "Ana Pérez-Øster"\n---\n\n${BODY}\n`)
  })

  it('imports back to the same title and body', async () => {
    const bytes = await exportBytes([DOCUMENT], 'md', options)
    expect(await importDocument(bytes, 'whatever.md')).toEqual({ title: TITLE, body: BODY, warnings: [] })
  })
})

describe('plain text', () => {
  it('drops emphasis markers and centres scene breaks', async () => {
    const text = decode(await exportBytes([DOCUMENT], 'txt', options))
    expect(text).toBe(
      [
        TITLE,
        '='.repeat(TITLE.length),
        AUTHOR,
        '',
        UNICODE_LINE,
        '',
        EMPHASIS_TEXT,
        '',
        ' '.repeat(33) + '* * *',
        '',
        'A heading',
        '---------',
        '',
        LAST_TEXT,
        ''
      ].join('\n')
    )
  })

  it('imports back to the same text, without the emphasis', async () => {
    const bytes = await exportBytes([DOCUMENT], 'txt', options)
    const imported = await importDocument(bytes, 'story.txt')
    expect(imported.title).toBe(TITLE)
    expect(imported.body).toBe(BODY.replace(/\*(Italic)\*|\*\*(bold)\*\*|\*\*\*(both)\*\*\*/g, '$1$2$3'))
  })
})

describe('DOCX', () => {
  async function exportDocx(documents = [DOCUMENT], title?: string): Promise<JSZip> {
    return JSZip.loadAsync(await exportBytes(documents, 'docx', { ...options, title }))
  }
  const part = async (zip: JSZip, name: string): Promise<string> => {
    const file = zip.file(name)
    if (!file) throw new Error(`${name} is missing`)
    return file.async('string')
  }

  it('holds the title page, paragraphs, emphasis runs and a centred scene break in word/document.xml', async () => {
    const zip = await exportDocx()
    const paragraphs = docxParagraphs(await part(zip, 'word/document.xml'))
    expect(paragraphs.map((p) => [p.style, paragraphText(p)])).toEqual([
      // 14 + 8 + 7 + 2 + 9 words, counted by hand (a lone dash counts, as in Word), right-aligned by a tab stop.
      ['InlayTitlePage', `${AUTHOR}\tabout 40 words`],
      ['Title', TITLE],
      ['InlayAuthor', `by ${AUTHOR}`],
      [undefined, UNICODE_LINE],
      [undefined, EMPHASIS_TEXT],
      ['InlaySceneBreak', '#'],
      ['Heading1', 'A heading'],
      [undefined, LAST_TEXT]
    ])
    expect(mergeRuns(paragraphs[4]!.runs)).toEqual(EMPHASIS_RUNS)
    const styles = await part(zip, 'word/styles.xml')
    expect(styles).toMatch(
      /<w:style [^>]*w:styleId="InlaySceneBreak"[^>]*>(?:(?!<\/w:style>)[\s\S])*<w:jc w:val="center"\/>/
    )
  })

  it('puts title and author in the core properties and “Surname / Title / page” in the header', async () => {
    const zip = await exportDocx()
    const core = await part(zip, 'docProps/core.xml')
    expect(xmlText(/<dc:title>([\s\S]*?)<\/dc:title>/.exec(core)![1]!)).toBe(TITLE)
    expect(xmlText(/<dc:creator>([\s\S]*?)<\/dc:creator>/.exec(core)![1]!)).toBe(AUTHOR)
    const headers = zip.file(/^word\/header\d*\.xml$/)
    expect(headers.length).toBe(1)
    const header = await headers[0]!.async('string')
    expect(paragraphText(docxParagraphs(header)[0]!)).toBe(`Pérez-Øster / ${TITLE} / `)
    expect(header).toMatch(/<w:instrText[^>]*>PAGE<\/w:instrText>/)
  })

  /** The first element `name` in `xml` that holds `inside`, as text. */
  const element = (xml: string, name: string, inside = ''): string =>
    [...xml.matchAll(new RegExp(`<${name}\\b[^>]*?(?:/>|>[\\s\\S]*?</${name}>)`, 'g'))]
      .map(([match]) => match)
      .find((match) => match.includes(inside)) ?? ''

  it('manuscript: 12 pt Times-metric serif, double-spaced, half-inch indents, Letter pages with 1-inch margins', async () => {
    const zip = await exportDocx()
    const defaults = element(await part(zip, 'word/styles.xml'), 'w:docDefaults')
    expect(defaults).toMatch(/<w:rFonts w:ascii="Times New Roman"/)
    expect(defaults).toMatch(/<w:sz w:val="24"\/>/)
    expect(defaults).toMatch(/<w:spacing [^>]*w:line="480"[^>]*w:lineRule="auto"/)
    expect(defaults).toMatch(/<w:ind w:firstLine="720"\/>/)
    const xml = await part(zip, 'word/document.xml')
    const sections = [...xml.matchAll(/<w:sectPr\b[\s\S]*?<\/w:sectPr>/g)].map(([match]) => match)
    // The title page, then the text, numbered from 1 and headed.
    expect(sections.length).toBe(2)
    for (const section of sections) {
      expect(section).toMatch(/<w:pgSz w:w="12240" w:h="15840"/)
      expect(section).toMatch(/<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440"/)
    }
    expect(sections[0]).not.toMatch(/headerReference/)
    expect(sections[1]).toMatch(/<w:pgNumType w:start="1"/)
    expect(sections[1]).toMatch(/<w:headerReference w:type="default"/)
    const headings = element(await part(zip, 'word/styles.xml'), 'w:style', 'w:styleId="Heading1"')
    expect(headings).toMatch(/<w:color w:val="000000"\/>/)
    expect(headings).toMatch(/<w:jc w:val="center"\/>/)
    const a4 = await JSZip.loadAsync(await exportBytes([DOCUMENT], 'docx', { ...options, language: 'fr' }))
    expect(await part(a4, 'word/document.xml')).toMatch(/<w:pgSz w:w="11906" w:h="16838"/)
  })

  it('book: 6 × 9 in, mirrored margins, justified and hyphenated, running heads and folios, chapters on new pages', async () => {
    const zip = await JSZip.loadAsync(
      await exportBytes([DOCUMENT, { title: 'Second', body: 'Two.' }], 'docx', {
        ...options,
        title: 'B',
        layout: 'book'
      })
    )
    const settings = await part(zip, 'word/settings.xml')
    expect(settings).toMatch(/<w:mirrorMargins\/>/)
    expect(settings).toMatch(/<w:autoHyphenation\/>/)
    expect(settings).toMatch(/<w:evenAndOddHeaders\/>/)
    const defaults = element(await part(zip, 'word/styles.xml'), 'w:docDefaults')
    expect(defaults).toMatch(/<w:jc w:val="both"\/>/)
    expect(defaults).toMatch(/<w:spacing [^>]*w:line="290"[^>]*w:lineRule="exact"/)
    const xml = await part(zip, 'word/document.xml')
    const body = [...xml.matchAll(/<w:sectPr\b[\s\S]*?<\/w:sectPr>/g)].at(-1)![0]
    expect(body).toMatch(/<w:pgSz w:w="8640" w:h="12960"/)
    expect(body).toMatch(/<w:type w:val="oddPage"\/>/)
    expect(body).toMatch(/<w:headerReference w:type="even"/)
    const headers = await Promise.all(zip.file(/^word\/header\d*\.xml$/).map((file) => file.async('string')))
    expect(headers.map((header) => paragraphText(docxParagraphs(header)[0]!)).sort()).toEqual([AUTHOR, 'B'])
    const footers = await Promise.all(zip.file(/^word\/footer\d*\.xml$/).map((file) => file.async('string')))
    for (const footer of footers) expect(footer).toMatch(/PAGE/)
    expect(xml.match(/<w:pageBreakBefore\/>/g)?.length).toBe(1)
    // The first paragraph of a chapter is set flush left; the others keep the first-line indent.
    const first = docxParagraphs(xml).findIndex((paragraph) => paragraphText(paragraph) === UNICODE_LINE)
    const paragraphsXml = [...xml.matchAll(/<w:p(?:\s[^>]*)?>[\s\S]*?<\/w:p>/g)].map(([match]) => match)
    expect(paragraphsXml[first]).toMatch(/<w:ind w:firstLine="0"\/>/)
    expect(paragraphsXml[first + 1]).not.toMatch(/<w:ind /)
  })

  it.skipIf(noXmllint)('is well-formed XML in every part, in both layouts', async () => {
    const zip = await exportDocx()
    const book = await JSZip.loadAsync(await exportBytes([DOCUMENT], 'docx', { ...options, layout: 'book' }))
    for (const archive of [zip, book]) {
      const parts = archive.file(/\.(xml|rels)$/)
      expect(parts.length).toBeGreaterThan(5)
      for (const file of parts) expect(xmlProblems(await file.async('string')), file.name).toBe('')
    }
  })

  // LibreOffice is a large install that CI does not have; where it is, it lays the DOCX out as a writer would see it.
  const noLibreOffice = !onPath('soffice') || noPoppler
  if (noLibreOffice) {
    console.warn(
      'DOCX layout in LibreOffice skipped: soffice or poppler not found (apt-get install libreoffice-writer-nogui)'
    )
  }
  it.skipIf(noLibreOffice)(
    'opens in LibreOffice with the title page, the header and the text',
    { timeout: 180_000 },
    async () => {
      const long = {
        title: 'Long',
        body: Array.from({ length: 12 }, () => `${EMPHASIS_TEXT} ${LAST_TEXT} `.repeat(4)).join('\n\n')
      }
      const manuscript = libreOfficePdf(await exportBytes([DOCUMENT, long], 'docx', { ...options, title: 'The Book' }))
      const pages = Number(pdfInfo(manuscript).Pages)
      expect(pages).toBeGreaterThanOrEqual(4)
      expect(pdfInfo(manuscript)['Page size']).toMatch(/^612 x 792 pts/)
      expect(pdfText(manuscript, 1)).toMatch(/^Ana Pérez-Øster\s+about [\d,]+ words\s+The Book\s+by Ana Pérez-Øster/)
      // Name and word count share the first line, at the left and right margins.
      const [name, about] = ['Ana', 'about'].map((text) => pdfWords(manuscript, 1).find((word) => word.text === text)!)
      expect(about!.yMax).toBeCloseTo(name!.yMax, 0)
      expect(name!.xMin).toBeCloseTo(72, 0)
      expect(pdfText(manuscript, 1)).not.toMatch(/\/ The Book \//)
      for (let page = 2; page <= pages; page++) {
        expect(pdfText(manuscript, page).trim().split('\n')[0]).toBe(`Pérez-Øster / The Book / ${page - 1}`)
      }
      expect(pdfText(manuscript).replace(/\s+/g, ' ')).toContain(UNICODE_LINE)
      const book = libreOfficePdf(
        await exportBytes([DOCUMENT, long], 'docx', { ...options, title: 'The Book', layout: 'book' })
      )
      expect(pdfInfo(book)['Page size']).toMatch(/^432 x 648 pts/)
      // The text starts on page 3, a right-hand page, under the title as running head; LibreOffice leaves the blank
      // back of the title page out of its PDF (its default), so that page comes second.
      const opening = pdfText(book, 2).trim().split('\n')
      expect([opening[0], opening.at(-1)]).toEqual(['The Book', '3'])
      expect(pdfText(book, 3).trim().split('\n')[0]).toBe(AUTHOR)
    }
  )

  it('imports back (through mammoth) to the same title and body', async () => {
    const bytes = await exportBytes([DOCUMENT], 'docx', options)
    expect(await importDocument(bytes, 'story.docx')).toEqual({ title: TITLE, body: BODY, warnings: [] })
  })

  it('gives each of several documents a Heading 1 on a new page, and demotes their headings', async () => {
    const zip = await exportDocx([DOCUMENT, { title: 'Second', body: 'Two.' }], 'The Book')
    const xml = await part(zip, 'word/document.xml')
    const paragraphs = docxParagraphs(xml)
    expect(paragraphs.filter((p) => p.style?.startsWith('Heading')).map((p) => [p.style, paragraphText(p)])).toEqual([
      ['Heading1', TITLE],
      ['Heading2', 'A heading'],
      ['Heading1', 'Second']
    ])
    expect(paragraphs[1]).toMatchObject({ style: 'Title', runs: [plain('The Book')] })
    expect(xml.match(/<w:pageBreakBefore\/>/g)?.length).toBe(1)
  })
})

describe.skipIf(noPoppler)('PDF (read with poppler)', () => {
  /** pdftotext breaks lines where the layout does; compare without whitespace. */
  const squeeze = (text: string): string => text.replace(/\s+/g, '')

  it('holds the title, the author and every paragraph, in order, with unicode intact', async () => {
    const pdf = await exportBytes([DOCUMENT], 'pdf', options)
    const text = squeeze(pdfText(pdf))
    let position = -1
    // The manuscript layout marks scene breaks with "#".
    for (const expected of [TITLE, AUTHOR, ...BODY_TEXTS.map((text) => (text === '* * *' ? '#' : text))]) {
      const found = text.indexOf(squeeze(expected), position + 1)
      expect(found, `“${expected}” after position ${position}`).toBeGreaterThan(position)
      position = found
    }
    expect(pdfInfo(pdf)).toMatchObject({ Title: TITLE, Author: AUTHOR })
  })

  it('embeds the regular, italic, bold and bold italic faces and no standard font', async () => {
    const fonts = pdfFonts(await exportBytes([DOCUMENT], 'pdf', options))
    expect(fonts.length).toBe(4)
    expect(fonts.filter((name) => /italic|oblique/i.test(name) && !/bold/i.test(name)).length).toBe(1)
    expect(fonts.filter((name) => /bold/i.test(name) && !/italic|oblique/i.test(name)).length).toBe(1)
    expect(fonts.filter((name) => /bold/i.test(name) && /italic|oblique/i.test(name)).length).toBe(1)
    expect(fonts.some((name) => /helvetica|times-roman/i.test(name))).toBe(false)
  })

  it('uses the italic and bold faces exactly where the text has them', async () => {
    const facesOf = async (body: string): Promise<string[]> =>
      pdfFonts(await exportBytes([{ title: 'T', body }], 'pdf', { author: '' }))
        .map((name) => (/bold/i.test(name) ? 'b' : '') + (/italic|oblique/i.test(name) ? 'i' : ''))
        .sort()
    // A manuscript's title page and header are in the regular face; only headings are bold.
    expect(await facesOf('Plain only.')).toEqual([''])
    expect(await facesOf('Plain and *italic*.')).toEqual(['', 'i'])
    expect(await facesOf('Plain and ***both***.')).toEqual(['', 'bi'])
    expect(await facesOf('# Heading\n\nPlain.')).toEqual(['', 'b'])
  })

  it('heads every page after the title page with surname, title and page number', async () => {
    const paragraph = 'Lorem ipsum dolor sit amet, “consectetur” adipiscing elit — sed do eiusmod tempor. '.repeat(8)
    const long = { title: 'Long', body: Array.from({ length: 30 }, () => paragraph).join('\n\n') }
    const pdf = await exportBytes([long], 'pdf', options)
    const pages = Number(pdfInfo(pdf).Pages)
    expect(pages).toBeGreaterThanOrEqual(3)
    expect(pdfText(pdf, 1)).not.toMatch(/Long \//)
    for (let page = 2; page <= pages; page++) {
      expect(pdfText(pdf, page).trim().split('\n')[0]).toBe(`Pérez-Øster / Long / ${page - 1}`)
    }
  })

  it('starts each of several documents on a new page under its title', async () => {
    const pdf = await exportBytes([DOCUMENT, { title: 'Second chapter', body: 'Two.' }], 'pdf', {
      ...options,
      title: 'The Book'
    })
    expect(Number(pdfInfo(pdf).Pages)).toBe(3)
    expect(squeeze(pdfText(pdf, 1))).toContain(squeeze(`The Book by ${AUTHOR}`))
    expect(squeeze(pdfText(pdf, 2))).toContain(squeeze(`Pérez-Øster / The Book / 1 ${TITLE}`))
    expect(squeeze(pdfText(pdf, 3))).toBe(squeeze('Pérez-Øster / The Book / 2 Second chapter Two.'))
  })

  it('refuses clearly when the font files cannot be read', async () => {
    const missing = {
      regular: '/nonexistent/a.ttf',
      italic: '/nonexistent/b.ttf',
      bold: '/x.ttf',
      boldItalic: '/y.ttf'
    }
    await expect(exportBytes([DOCUMENT], 'pdf', { ...options, pdfFonts: missing })).rejects.toMatchObject({
      reason: 'font-missing',
      message: expect.stringContaining('/nonexistent/a.ttf')
    })
  })
})

describe('EPUB (read by unzipping, checked by epubcheck)', () => {
  interface EpubFile {
    href: string
    xhtml: string
  }
  async function readEpub(bytes: Uint8Array): Promise<{ zip: JSZip; opf: string; spine: EpubFile[]; nav: string }> {
    const zip = await JSZip.loadAsync(bytes)
    const container = await zip.file('META-INF/container.xml')!.async('string')
    const opfPath = /<rootfile\b[^>]*full-path="([^"]+)"[^>]*media-type="application\/oebps-package\+xml"/.exec(
      container
    )![1]!
    const opf = await zip.file(opfPath)!.async('string')
    const base = opfPath.includes('/') ? opfPath.slice(0, opfPath.lastIndexOf('/') + 1) : ''
    const items = new Map<string, { href: string; nav: boolean }>()
    for (const [item] of opf.matchAll(/<item\b[^>]*>/g)) {
      const id = /\bid="([^"]+)"/.exec(item)![1]!
      items.set(id, { href: /\bhref="([^"]+)"/.exec(item)![1]!, nav: /properties="[^"]*\bnav\b/.test(item) })
    }
    const read = (href: string): Promise<string> => zip.file(base + href)!.async('string')
    const spine = await Promise.all(
      [...opf.matchAll(/<itemref\b[^>]*idref="([^"]+)"/g)].map(async ([, id]) => {
        const href = items.get(id!)!.href
        return { href, xhtml: await read(href) }
      })
    )
    const nav = await read([...items.values()].find((item) => item.nav)!.href)
    return { zip, opf, spine, nav }
  }
  /** The visible blocks of a file: headings (as `h2: text`) and paragraphs, as text. */
  const fileBlocks = (xhtml: string): string[] =>
    [...xhtml.matchAll(/<(h[1-6]|p)\b[^>]*>([\s\S]*?)<\/\1>/g)].map(([, tag, inner]) =>
      tag === 'p' ? xmlText(inner!) : `${tag}: ${xmlText(inner!)}`
    )
  /** The navigation document's table of contents as nested [label, href] lists. */
  type NavTree = [string, string, NavTree][]
  const navTree = (nav: string): NavTree => {
    const toc = /<nav\b[^>]*epub:type="toc"[^>]*>([\s\S]*?)<\/nav>/.exec(nav)![1]!
    const root: NavTree = []
    const stack: NavTree[] = [root]
    for (const [token, href, label] of toc.matchAll(/<a href="([^"]*)">([^<]*)<\/a>|<ol>|<\/ol>/g)) {
      if (token === '<ol>') stack.push(stack[stack.length - 1]!.at(-1)?.[2] ?? root)
      else if (token === '</ol>') stack.pop()
      else stack[stack.length - 1]!.push([xmlText(label!), href!, []])
    }
    return root
  }
  const noEpubcheck = missingTools(['epubcheck', 'java'], 'epubcheck')
  const SECTIONED = [
    'Before any heading.',
    '',
    '# Part One',
    '',
    'Opening *text*.',
    '',
    '## First chapter',
    '',
    'One.',
    '',
    '### A scene',
    '',
    'Scene text.',
    '',
    '## Second chapter',
    '',
    'Two.',
    '',
    '# Part Two',
    '',
    'Three.'
  ].join('\n')

  it('starts with an uncompressed mimetype entry (OCF), read from the raw ZIP header', async () => {
    const bytes = await exportBytes([DOCUMENT], 'epub', options)
    expect(firstZipEntry(bytes)).toEqual({
      name: 'mimetype',
      stored: true,
      extraLength: 0,
      content: 'application/epub+zip'
    })
  })

  it('has a container pointing at a package with title, author, language and a stable identifier', async () => {
    const bytes = await exportBytes([DOCUMENT], 'epub', { ...options, language: 'fr' })
    const { opf } = await readEpub(bytes)
    expect(xmlText(/<dc:title>([\s\S]*?)<\/dc:title>/.exec(opf)![1]!)).toBe(TITLE)
    expect(xmlText(/<dc:creator\b[^>]*>([\s\S]*?)<\/dc:creator>/.exec(opf)![1]!)).toBe(AUTHOR)
    expect(/<dc:language>([^<]*)<\/dc:language>/.exec(opf)![1]).toBe('fr')
    expect(opf).toMatch(/<package [^>]*xml:lang="fr"/)
    expect(opf).not.toMatch(/rights|Copyright/)
    const identifier = (text: string): string => /<dc:identifier[^>]*>([^<]+)</.exec(text)![1]!
    expect(identifier(opf)).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const again = await readEpub(await exportBytes([{ ...DOCUMENT, body: 'Revised.' }], 'epub', options))
    expect(identifier(again.opf)).toBe(identifier(opf))
  })

  it('names no creator when there is no author', async () => {
    const { opf } = await readEpub(await exportBytes([DOCUMENT], 'epub', { author: '' }))
    expect(opf).not.toMatch(/creator/)
  })

  it('opens with a title page, then one file per document of a book, with the same text and emphasis', async () => {
    const second = { title: 'Ünter “Zwei”', body: 'Zweite — *Seite*.\n\n# Teil\n\nMehr.' }
    const { spine, nav } = await readEpub(await exportBytes([DOCUMENT, second], 'epub', { ...options, title: 'Book' }))
    expect(spine.map((file) => fileBlocks(file.xhtml))).toEqual([
      ['h1: Book', AUTHOR],
      [`h1: ${TITLE}`, ...BODY_TEXTS.map((text) => (text === 'A heading' ? 'h2: A heading' : text))],
      ['h1: Ünter “Zwei”', 'Zweite — Seite.', 'h2: Teil', 'Mehr.']
    ])
    expect(spine[1]!.xhtml).toMatch(/<em>Italic<\/em> and <strong>bold<\/strong> and <strong><em>both<\/em><\/strong>/)
    const [, first, last] = spine.map((file) => file.href)
    expect(navTree(nav)).toEqual([
      [TITLE, first, [['A heading', `${first}#h4`, []]]],
      ['Ünter “Zwei”', last, [['Teil', `${last}#h2`, []]]]
    ])
    expect(spine[1]!.xhtml).toContain('<h2 id="h4">A heading</h2>')
  })

  it('splits one document at each # and ## heading, keeps the levels, and nests the table of contents', async () => {
    const { spine, nav } = await readEpub(await exportBytes([{ title: 'Saga', body: SECTIONED }], 'epub', options))
    expect(spine.map((file) => fileBlocks(file.xhtml))).toEqual([
      ['h1: Saga', AUTHOR],
      ['Before any heading.'],
      ['h1: Part One', 'Opening text.'],
      ['h2: First chapter', 'One.', 'h3: A scene', 'Scene text.'],
      ['h2: Second chapter', 'Two.'],
      ['h1: Part Two', 'Three.']
    ])
    const href = spine.map((file) => file.href)
    expect(navTree(nav)).toEqual([
      ['Saga', href[1], []],
      [
        'Part One',
        href[2],
        [
          ['First chapter', href[3], [['A scene', `${href[3]}#h2`, []]]],
          ['Second chapter', href[4], []]
        ]
      ],
      ['Part Two', href[5], []]
    ])
  })

  it.skipIf(noXmllint)('is well-formed XML in every XHTML, OPF, NCX and container file', async () => {
    const { zip } = await readEpub(await exportBytes([DOCUMENT, DOCUMENT], 'epub', { ...options, title: 'Book' }))
    const files = zip.file(/\.(xhtml|opf|ncx|xml)$/)
    expect(files.length).toBeGreaterThanOrEqual(7)
    for (const file of files) expect(xmlProblems(await file.async('string')), file.name).toBe('')
  })

  it.skipIf(noEpubcheck)('passes epubcheck with no errors or warnings', { timeout: 180_000 }, async () => {
    const books = [
      await exportBytes([{ title: 'Saga', body: SECTIONED }], 'epub', { ...options, language: 'de' }),
      await exportBytes(
        [DOCUMENT, { title: '日本語', body: '本文。😀 العربية हिन्दी' }, { title: 'Empty for now', body: '' }],
        'epub',
        { author: '', title: 'B & “C”' }
      )
    ]
    for (const book of books) expect(epubcheckProblems(book)).toEqual([])
  })
})

describe('several documents in the text formats', () => {
  const documents = [DOCUMENT, { title: 'Second', body: 'Two.' }, { title: 'Empty for now', body: '' }]

  it('concatenates Markdown under chapter headings, body headings one level down', async () => {
    const markdown = decode(await exportBytes(documents, 'md', { ...options, title: 'Book' }))
    expect(markdown).toBe(
      `---\ntitle: "Book"\nauthor: "${AUTHOR}"\n---\n\n# ${TITLE}\n\n${BODY.replace('# A heading', '## A heading')}\n\n` +
        '# Second\n\nTwo.\n\n# Empty for now\n'
    )
  })

  it('underlines chapter titles in plain text', async () => {
    const text = decode(await exportBytes(documents, 'txt', { author: '', title: 'Book' }))
    expect(text.startsWith('Book\n====\n\n')).toBe(true)
    expect(text.endsWith('Second\n------\n\nTwo.\n\nEmpty for now\n-------------\n')).toBe(true)
  })
})

describe('bad input', () => {
  const formats: ExportFormat[] = ['md', 'txt', 'docx', 'pdf', 'epub']

  it.each(formats)('refuses an empty document in %s', async (format) => {
    await expect(exportBytes([{ title: 'Blank', body: ' \n\n \t' }], format, options)).rejects.toMatchObject({
      name: 'ExportError',
      reason: 'empty',
      message: 'Nothing to export: “Blank” is empty.'
    })
  })

  it('refuses no documents, and several that are all empty', async () => {
    await expect(exportBytes([], 'epub', options)).rejects.toMatchObject({ reason: 'empty' })
    const empties = [
      { title: 'A', body: '' },
      { title: 'B', body: '\n' }
    ]
    await expect(exportBytes(empties, 'epub', { ...options, title: 'Book' })).rejects.toThrow(
      'Nothing to export: all these documents are empty.'
    )
  })

  it('refuses a document over the size limit before doing any work', async () => {
    const huge = { title: 'Huge', body: 'é'.repeat(MAX_BODY_BYTES / 2 + 1) }
    const started = performance.now()
    await expect(exportBytes([huge], 'pdf', options)).rejects.toThrow(
      '“Huge” is 5.0 MB; documents over 5.0 MB cannot be exported.'
    )
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('refuses several documents that are too large together', async () => {
    const large = { title: 'Large', body: 'x'.repeat(MAX_BODY_BYTES) }
    await expect(exportBytes(Array(5).fill(large), 'epub', { ...options, title: 'Series' })).rejects.toMatchObject({
      reason: 'too-large',
      message: 'These documents total 25.0 MB; one export holds at most 20.0 MB.'
    })
  })

  it('needs a book title for several documents, and a real language tag', async () => {
    await expect(exportBytes([DOCUMENT, DOCUMENT], 'epub', options)).rejects.toThrow(
      'Exporting 2 documents together needs a title for the book.'
    )
    await expect(exportBytes([DOCUMENT], 'epub', { ...options, language: 'english please' })).rejects.toBeInstanceOf(
      ExportError
    )
  })

  it('falls back to “Untitled” and drops control characters from titles', async () => {
    const markdown = decode(await exportBytes([{ title: ' \u0007 ', body: 'Text.' }], 'md', { author: 'A\nB' }))
    expect(markdown.startsWith('---\ntitle: "Untitled"\nauthor: "A B"\n---\n')).toBe(true)
  })
})
