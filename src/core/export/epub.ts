// EPUB 3, written directly with JSZip: a title page, one XHTML file per chapter (each document of a book, or each `#`
// and `##` heading of a single document), a navigation document whose nested list follows the heading levels, an NCX
// for EPUB 2 reading systems, and title, author and language in the package metadata. Heading levels are kept: `#` is
// <h1>, `##` is <h2> (one level lower in a book, whose documents' titles are the <h1>s).
import { createHash } from 'node:crypto'
import JSZip from 'jszip'
import { bodyHeadingLevel, type Book } from './book'
import { runsText, type Block, type Run } from './markup'

const STYLESHEET = `body { font-family: serif; line-height: 1.5; margin: 0 5%; }
h1, h2, h3, h4, h5, h6 { text-align: center; font-weight: bold; margin: 1.5em 0 1em; page-break-after: avoid; }
h1 { font-size: 1.6em; margin-top: 3em; }
h2 { font-size: 1.3em; }
h3 { font-size: 1.1em; }
h4, h5, h6 { font-size: 1em; }
p { margin: 0; text-indent: 1.5em; text-align: justify; hyphens: auto; -epub-hyphens: auto; }
h1 + p, h2 + p, h3 + p, h4 + p, h5 + p, h6 + p, p.scene-break + p, p.first { text-indent: 0; }
p.scene-break { text-indent: 0; text-align: center; margin: 1em 0; }
section.title-page { text-align: center; margin-top: 30%; }
section.title-page h1 { margin: 0 0 1em; }
section.title-page p { text-align: center; text-indent: 0; font-style: italic; }`

/** An XHTML file of the book; its headings hold the level they are written at (1 for <h1>). */
interface ContentFile {
  name: string
  title: string
  blocks: Block[]
}

interface NavEntry {
  label: string
  href: string
  level: number
  children: NavEntry[]
}

export async function writeEpub(book: Book): Promise<Uint8Array> {
  const files = contentFiles(book)
  const outline = navOutline(files)
  const zip = new JSZip()
  // OCF: the first entry is the media type, stored uncompressed, so that a reader can tell the format from byte 30.
  zip.file('mimetype', 'application/epub+zip', { compression: 'STORE' })
  zip.file(
    'META-INF/container.xml',
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n' +
      '  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>\n' +
      '</container>\n'
  )
  zip.file('OEBPS/style.css', STYLESHEET)
  zip.file('OEBPS/title.xhtml', xhtmlPage(book, book.title, titlePageBody(book)))
  for (const file of files) zip.file(`OEBPS/${file.name}`, xhtmlPage(book, file.title, fileBody(file)))
  zip.file('OEBPS/nav.xhtml', navDocument(book, outline))
  zip.file('OEBPS/toc.ncx', ncxDocument(book, outline))
  zip.file('OEBPS/content.opf', packageDocument(book, files))
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } })
}

/**
 * Splits the book into files: a new one at each heading of level 1 (a book's chapter titles, a document's `#`) and,
 * in a single document, of level 2 as well. Text before the first heading is a file of its own, under the book title.
 */
function contentFiles(book: Book): ContentFile[] {
  const splitLevel = book.chaptered ? 1 : 2
  const files: ContentFile[] = []
  let current: ContentFile | undefined
  const add = (block: Block): void => {
    if (block.kind === 'heading' && block.level <= splitLevel) current = undefined
    if (current === undefined) {
      const title = block.kind === 'heading' ? runsText(block.runs) : book.title
      current = { name: `chapter-${String(files.length + 1).padStart(3, '0')}.xhtml`, title, blocks: [] }
      files.push(current)
    }
    current.blocks.push(block)
  }
  for (const chapter of book.chapters) {
    if (book.chaptered) add({ kind: 'heading', level: 1, runs: [{ text: chapter.title, italic: false, bold: false }] })
    for (const block of chapter.blocks) {
      add(block.kind === 'heading' ? { ...block, level: bodyHeadingLevel(book, block.level) } : block)
    }
  }
  return files
}

/** The headings as a tree: each entry holds the lower-level headings that follow it until one of its own level. */
function navOutline(files: readonly ContentFile[]): NavEntry[] {
  const root: NavEntry = { label: '', href: '', level: 0, children: [] }
  const stack = [root]
  for (const file of files) {
    if (file.blocks[0]!.kind !== 'heading')
      root.children.push({ label: file.title, href: file.name, level: 1, children: [] })
    file.blocks.forEach((block, index) => {
      if (block.kind !== 'heading') return
      while (stack[stack.length - 1]!.level >= block.level) stack.pop()
      const entry = {
        label: runsText(block.runs),
        href: index === 0 ? file.name : `${file.name}#${headingId(index)}`,
        level: block.level,
        children: []
      }
      stack[stack.length - 1]!.children.push(entry)
      stack.push(entry)
    })
  }
  return root.children
}

function headingId(index: number): string {
  return `h${index}`
}

function xhtmlPage(book: Book, title: string, body: string, epubNamespace = false): string {
  const lang = escapeXml(book.language)
  const epub = epubNamespace ? ' xmlns:epub="http://www.idpf.org/2007/ops"' : ''
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n' +
    `<html xmlns="http://www.w3.org/1999/xhtml"${epub} xml:lang="${lang}" lang="${lang}">\n` +
    `<head>\n<meta charset="UTF-8"/>\n<title>${escapeXml(title)}</title>\n` +
    '<link rel="stylesheet" type="text/css" href="style.css"/>\n</head>\n' +
    `<body>\n${body}\n</body>\n</html>\n`
  )
}

function titlePageBody(book: Book): string {
  const author = book.author ? `\n<p>${escapeXml(book.author)}</p>` : ''
  return `<section class="title-page">\n<h1>${escapeXml(book.title)}</h1>${author}\n</section>`
}

function fileBody(file: ContentFile): string {
  return file.blocks
    .map((block, index) => {
      if (block.kind === 'heading') {
        const id = index === 0 ? '' : ` id="${headingId(index)}"`
        return `<h${block.level}${id}>${runsHtml(block.runs)}</h${block.level}>`
      }
      if (block.kind === 'scene-break') {
        return '<p class="scene-break">* * *</p>'
      }
      // The first paragraph of a file that opens without a heading is not indented either.
      const first = index === 0 ? ' class="first"' : ''
      return `<p${first}>${runsHtml(block.runs)}</p>`
    })
    .join('\n')
}

function navList(entries: readonly NavEntry[], indent: string): string {
  const items = entries.map((entry) => {
    const link = `<a href="${escapeXml(entry.href)}">${escapeXml(entry.label)}</a>`
    const nested = entry.children.length > 0 ? `\n${navList(entry.children, indent + '  ')}\n${indent}  ` : ''
    return `${indent}  <li>${link}${nested}</li>`
  })
  return `${indent}<ol>\n${items.join('\n')}\n${indent}</ol>`
}

function navDocument(book: Book, outline: readonly NavEntry[]): string {
  const body =
    `<nav epub:type="toc" id="toc">\n<h1>${escapeXml(book.title)}</h1>\n${navList(outline, '')}\n</nav>\n` +
    '<nav epub:type="landmarks" id="landmarks" hidden="hidden">\n<ol>\n' +
    '  <li><a epub:type="titlepage" href="title.xhtml">Title page</a></li>\n' +
    `  <li><a epub:type="bodymatter" href="${outline[0]!.href}">Start of text</a></li>\n</ol>\n</nav>`
  return xhtmlPage(book, book.title, body, true)
}

function ncxDocument(book: Book, outline: readonly NavEntry[]): string {
  let order = 0
  const points = (entries: readonly NavEntry[], indent: string): string =>
    entries
      .map((entry) => {
        const own = ++order
        const nested = entry.children.length > 0 ? `\n${points(entry.children, indent + '  ')}` : ''
        return (
          `${indent}<navPoint id="nav-${own}" playOrder="${own}">` +
          `<navLabel><text>${escapeXml(entry.label)}</text></navLabel><content src="${escapeXml(entry.href)}"/>` +
          `${nested}\n${indent}</navPoint>`
        )
      })
      .join('\n')
  const navMap = points(outline, '  ')
  const depth = (entries: readonly NavEntry[]): number =>
    entries.reduce((deepest, entry) => Math.max(deepest, 1 + depth(entry.children)), 0)
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1" xml:lang="${escapeXml(book.language)}">\n` +
    `<head><meta name="dtb:uid" content="${bookIdentifier(book)}"/><meta name="dtb:depth" content="${depth(outline)}"/>` +
    '<meta name="dtb:totalPageCount" content="0"/><meta name="dtb:maxPageNumber" content="0"/></head>\n' +
    `<docTitle><text>${escapeXml(book.title)}</text></docTitle>\n<navMap>\n${navMap}\n</navMap>\n</ncx>\n`
  )
}

/**
 * The same title and author give the same identifier, so that a reading system replaces an earlier export of the book
 * instead of keeping both (a name-based UUID, as RFC 4122's version 5).
 */
function bookIdentifier(book: Book): string {
  const hex = createHash('sha1').update(`inlay\n${book.title}\n${book.author}`).digest('hex')
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

function packageDocument(book: Book, files: readonly ContentFile[]): string {
  const modified = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  const creator = book.author
    ? `\n    <dc:creator id="creator">${escapeXml(book.author)}</dc:creator>` +
      '\n    <meta refines="#creator" property="role" scheme="marc:relators">aut</meta>'
    : ''
  const items = files.map(
    (file, index) => `    <item id="c${index + 1}" href="${file.name}" media-type="application/xhtml+xml"/>`
  )
  const spine = files.map((_file, index) => `    <itemref idref="c${index + 1}"/>`)
  return `<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="${escapeXml(book.language)}">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="book-id">${bookIdentifier(book)}</dc:identifier>
    <dc:title>${escapeXml(book.title)}</dc:title>${creator}
    <dc:language>${escapeXml(book.language)}</dc:language>
    <meta property="dcterms:modified">${modified}</meta>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
    <item id="css" href="style.css" media-type="text/css"/>
    <item id="title-page" href="title.xhtml" media-type="application/xhtml+xml"/>
${items.join('\n')}
  </manifest>
  <spine toc="ncx">
    <itemref idref="title-page"/>
${spine.join('\n')}
  </spine>
</package>
`
}

function runsHtml(runs: readonly Run[]): string {
  return runs
    .map((run) => {
      let html = escapeXml(run.text).replace(/\n/g, '<br/>')
      if (run.italic) html = `<em>${html}</em>`
      if (run.bold) html = `<strong>${html}</strong>`
      return html
    })
    .join('')
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
