// Word files become the editor's Markdown-ish body through mammoth's HTML. What writers use is kept: headings, italic
// and bold (direct, or through character styles such as LibreOffice's "Emphasis" and paragraph styles such as Word's
// "Quote"), scene breaks, lists (as Markdown
// lists), footnotes and endnotes (as Markdown notes, `[^1]` in the text and the notes at the end), links (as
// `[text](address)`), and tables as text. Everything that changes on the way is listed in the warnings.
import JSZip from 'jszip'
import mammoth from 'mammoth'
import { AUTHOR_STYLE_NAME, TITLE_PAGE_STYLE_NAME } from './docx'
import { checkDocxArchive } from './docx-archive'
import { ExportError } from './errors'
import { isSceneBreakLine, runsText, serializeBlocks, type Block, type Run } from './markup'

const STYLE_MAP = [
  "p[style-name='Title'] => h1:fresh",
  "p[style-name='Subtitle'] => p:fresh",
  `p[style-name='${AUTHOR_STYLE_NAME}'] => !`,
  `p[style-name='${TITLE_PAGE_STYLE_NAME}'] => !`,
  "p[style-name='Inlay Scene Break'] => p:fresh",
  // Manuscripts underline what print sets in italics.
  'u => u'
]

export async function importDocx(
  bytes: Uint8Array,
  fileName: string,
  warnings: string[]
): Promise<{ title: string; body: string }> {
  checkDocxArchive(bytes, fileName)
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let html: string
  let comments = 0
  try {
    const zip = await JSZip.loadAsync(buffer)
    const part = (name: string): Promise<string> => zip.file(name)?.async('string') ?? Promise.resolve('')
    const styles = styleMap(await part('word/styles.xml'))
    comments = (await part('word/comments.xml')).match(/<w:comment\b/g)?.length ?? 0
    const result = await mammoth.convertToHtml(
      { buffer },
      {
        styleMap: [...STYLE_MAP, ...styles],
        // Never follow links to other files: an imported document must not read the user's disk.
        externalFileAccess: false,
        // Images are not imported; an empty element lets us count them without decoding their data.
        convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' }))
      }
    )
    html = result.value
    // A style name we do not know changes nothing for us (we keep text, headings and emphasis only).
    for (const { message } of result.messages) {
      if (!/^Unrecognised (paragraph|run) style/.test(message)) warnings.push(message)
    }
  } catch (error) {
    throw new ExportError(
      'corrupt',
      `Cannot import “${fileName}”: it is not a readable Word document (${(error as Error).message}).`
    )
  }
  const reader = new HtmlReader()
  reader.read(html)
  warnings.push(...reader.simplifications(comments))
  const title = reader.takeTitle()
  return { title, body: reader.body() }
}

/** The class mammoth gives text whose italic or bold comes from a style, so that the reader can combine them. */
const STYLE_CLASS = {
  character: { italic: 'inlay-character-italic', bold: 'inlay-character-bold' },
  paragraph: { italic: 'inlay-paragraph-italic', bold: 'inlay-paragraph-bold' }
} as const
/** Paragraph styles mammoth already maps (headings, title): their look is the heading's, not emphasis. */
const MAPPED_PARAGRAPH_STYLE = /^(?:heading(?: [1-6])?|title|subtitle|normal)$/i
const MAPPED_PARAGRAPH_STYLE_ID = /^(?:Heading[1-6]?|Title|Subtitle|Normal)$/

/**
 * mammoth maps styles by name only and ignores what they look like; we read which character and paragraph styles set
 * italic or bold (through `basedOn` too), so that text in LibreOffice's "Emphasis", Word's "Book Title" or a
 * paragraph in Word's "Quote" keeps its look. Their text is marked with STYLE_CLASS spans.
 */
function styleMap(stylesXml: string): string[] {
  interface Style {
    type: 'character' | 'paragraph'
    name: string
    basedOn?: string
    italic?: boolean
    bold?: boolean
  }
  const styles = new Map<string, Style>()
  for (const [, attributes, inner] of stylesXml.matchAll(/<w:style\b([^>]*)>([\s\S]*?)<\/w:style>/g)) {
    const type = /w:type="(character|paragraph)"/.exec(attributes!)?.[1] as Style['type'] | undefined
    const id = /w:styleId="([^"]*)"/.exec(attributes!)?.[1]
    if (type === undefined || id === undefined) continue
    const properties = /<w:rPr>([\s\S]*?)<\/w:rPr>/.exec(inner!)?.[1] ?? ''
    styles.set(id, {
      type,
      name: decodeEntities(/<w:name w:val="([^"]*)"/.exec(inner!)?.[1] ?? id),
      basedOn: /<w:basedOn w:val="([^"]*)"/.exec(inner!)?.[1],
      italic: toggle(properties, 'i'),
      bold: toggle(properties, 'b')
    })
  }
  const resolve = (id: string | undefined, property: 'italic' | 'bold', seen = new Set<string>()): boolean => {
    const style = id === undefined || seen.has(id) ? undefined : styles.get(id)
    if (style === undefined) return false
    seen.add(id!)
    return style[property] ?? resolve(style.basedOn, property, seen)
  }
  const lines: string[] = []
  for (const [id, style] of styles) {
    if (style.type === 'paragraph' && (MAPPED_PARAGRAPH_STYLE.test(style.name) || MAPPED_PARAGRAPH_STYLE_ID.test(id))) {
      continue
    }
    const classes = (['italic', 'bold'] as const)
      .filter((property) => resolve(id, property))
      .map((property) => `.${STYLE_CLASS[style.type][property]}`)
      .join('')
    if (classes === '') continue
    // mammoth's style map takes backslash escapes in its quoted strings.
    const name = style.name.replace(/[\\']/g, '\\$&')
    lines.push(
      style.type === 'character'
        ? `r[style-name='${name}'] => span${classes}`
        : `p[style-name='${name}'] => p:fresh > span${classes}`
    )
  }
  return lines
}

/** `<w:i/>` is on, `<w:i w:val="0"/>` off, no element: inherited (undefined). */
function toggle(properties: string, element: string): boolean | undefined {
  const match = new RegExp(`<w:${element}(?:\\s+w:val="([^"]*)")?\\s*/>`).exec(properties)
  return match === null ? undefined : !['false', '0', 'off'].includes(match[1] ?? 'true')
}

const HTML_TOKEN = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>|([^<]+)/g
const BLOCK_TAGS = new Set(['p', 'caption', 'blockquote', 'pre', 'div', 'dt', 'dd'])
const HEADING_TAG = /^h([1-6])$/
const NOTE_ID = /^(?:footnote|endnote)-(\d+)$/
const NOTE_REFERENCE = /^#((?:footnote|endnote)-\d+)$/
const NOTE_BACK_LINK = /^#(?:footnote|endnote)-ref-\d+$/
/** A list item's marker is indented by this much per level, as CommonMark nests lists. */
const LIST_INDENT = '   '

interface ListItem {
  kind: 'list-item'
  /** Which list of the document the item belongs to (items of two lists in a row are kept apart). */
  list: number
  marker: string
  depth: number
  runs: Run[]
}

/** What a formatting the body cannot hold was counted as, for the warnings. */
type Simplification = 'underline' | 'strike' | 'script' | 'image' | 'table' | 'list' | 'link'

const plainRun = (text: string): Run => ({ text, italic: false, bold: false })

/**
 * Reads the HTML mammoth writes (escaped text; p, h1–h6, strong, em, u, s, sup, sub, br, ul/ol/li, table/tr/td, a,
 * img, STYLE_CLASS spans, and the notes as a last <ol> of <li id="footnote-N">) into blocks, list items and notes.
 */
class HtmlReader {
  /** The body in order: blocks, and list items (which serializeBlocks cannot write). */
  private readonly pieces: (Block | ListItem)[] = []
  private readonly counts = new Map<Simplification, number>()
  private runs: Run[] = []
  private headingLevel = 0
  /** Open elements that make text italic or bold: direct formatting, and that of styles (STYLE_CLASS spans). */
  private italic = 0
  private bold = 0
  private readonly styled = { characterItalic: 0, characterBold: 0, paragraphItalic: 0, paragraphBold: 0 }
  /** What each open <span> set, to undo at its end. */
  private readonly spans: (keyof HtmlReader['styled'])[][] = []
  private readonly lists: { ordered: boolean; count: number; notes: boolean }[] = []
  private item: ListItem | undefined
  private tableDepth = 0
  /** The table being read: its rows, each a list of cells, each cell as runs. */
  private rows: Run[][][] = []
  /** Text inside these links is not text: a note's number, a note's way back. */
  private skipText = 0
  private readonly links: { close: string; skip: boolean }[] = []
  /** Notes by mammoth's id, numbered in the order the text first refers to them. */
  private readonly noteNumbers = new Map<string, number>()
  private readonly notes = new Map<string, Run[][]>()
  private note: string | undefined

  read(html: string): void {
    for (const token of html.matchAll(HTML_TOKEN)) {
      const [whole, closing, rawTag, attributes, text] = token
      if (text !== undefined) {
        if (this.skipText === 0) this.append(decodeEntities(text))
      } else {
        const after = html.slice(token.index + whole.length, token.index + whole.length + 40)
        this.tag(rawTag!.toLowerCase(), closing === '/', attributes!, after)
      }
    }
    this.endBlock()
    this.endItem()
  }

  /** The first block, when it is a heading: the document's title, taken out of the body. */
  takeTitle(): string {
    const first = this.pieces[0]
    if (first?.kind !== 'heading') return ''
    this.pieces.shift()
    return runsText(first.runs)
  }

  private count(what: Simplification): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1)
  }

  private append(text: string): void {
    const last = this.runs[this.runs.length - 1]
    // Direct formatting wins; a character style's italic or bold toggles its paragraph style's, as in Word.
    const { characterItalic, characterBold, paragraphItalic, paragraphBold } = this.styled
    const italic = this.italic > 0 || characterItalic > 0 !== paragraphItalic > 0
    const bold = this.bold > 0 || characterBold > 0 !== paragraphBold > 0
    if (last && last.italic === italic && last.bold === bold) last.text += text
    else this.runs.push({ text, italic, bold })
  }

  /** `after`: the HTML right after the tag, which tells a note's number or the list of notes from the rest. */
  private tag(tag: string, closing: boolean, attributes: string, after: string): void {
    const delta = closing ? -1 : 1
    const heading = HEADING_TAG.exec(tag)
    if (heading) {
      this.endBlock()
      this.headingLevel = closing ? 0 : Number(heading[1])
    } else if (BLOCK_TAGS.has(tag)) {
      this.endBlock()
    } else if (tag === 'em' || tag === 'i' || tag === 'u') {
      this.italic = Math.max(0, this.italic + delta)
      if (tag === 'u' && !closing) this.count('underline')
    } else if (tag === 'strong' || tag === 'b') {
      this.bold = Math.max(0, this.bold + delta)
    } else if (tag === 'span') {
      this.span(closing, attributes)
    } else if ((tag === 's' || tag === 'sup' || tag === 'sub') && !closing) {
      // A note's number comes as <sup><a href="#footnote-1">: the note is kept, so nothing is lost there.
      if (!/^\s*<a href="#(?:foot|end)note-\d+"/.test(after)) this.count(tag === 's' ? 'strike' : 'script')
    } else if (tag === 'br') {
      this.append('\n')
    } else if (tag === 'img' && !closing) {
      this.count('image')
    } else if (tag === 'a') {
      this.link(closing, attributes)
    } else if (tag === 'ul' || tag === 'ol') {
      this.endBlock()
      this.endItem()
      if (closing) {
        this.lists.pop()
      } else {
        const notes = /^\s*<li id="(?:foot|end)note-\d+"/.test(after)
        if (!notes && this.lists.every((list) => list.notes)) this.count('list')
        this.lists.push({ ordered: tag === 'ol', count: 0, notes })
      }
    } else if (tag === 'li') {
      this.endBlock()
      this.endItem()
      if (!closing) this.startItem(attributes)
    } else if (tag === 'table') {
      this.endBlock()
      this.tableDepth = Math.max(0, this.tableDepth + delta)
      if (!closing && this.tableDepth === 1) this.count('table')
      if (closing && this.tableDepth === 0) this.endTable()
    } else if (tag === 'tr' && this.tableDepth === 1) {
      this.endBlock()
      if (!closing) this.rows.push([])
    } else if ((tag === 'td' || tag === 'th') && this.tableDepth === 1) {
      this.endBlock()
      if (!closing) this.rows[this.rows.length - 1]?.push([])
    }
  }

  private span(closing: boolean, attributes: string): void {
    if (closing) {
      for (const effect of this.spans.pop() ?? []) this.styled[effect]--
      return
    }
    const classes = (/\bclass="([^"]*)"/.exec(attributes)?.[1] ?? '').split(/\s+/)
    const effects = (
      [
        ['characterItalic', STYLE_CLASS.character.italic],
        ['characterBold', STYLE_CLASS.character.bold],
        ['paragraphItalic', STYLE_CLASS.paragraph.italic],
        ['paragraphBold', STYLE_CLASS.paragraph.bold]
      ] as const
    )
      .filter(([, name]) => classes.includes(name))
      .map(([effect]) => effect)
    for (const effect of effects) this.styled[effect]++
    this.spans.push(effects)
  }

  private link(closing: boolean, attributes: string): void {
    if (closing) {
      const link = this.links.pop()
      if (link?.skip) this.skipText--
      else if (link?.close) this.append(link.close)
      return
    }
    const href = decodeEntities(/\bhref="([^"]*)"/.exec(attributes)?.[1] ?? '')
    const reference = NOTE_REFERENCE.exec(href)
    if (reference) {
      const id = reference[1]!
      if (!this.noteNumbers.has(id)) this.noteNumbers.set(id, this.noteNumbers.size + 1)
      this.append(`[^${this.noteNumbers.get(id)}]`)
    } else if (/^(?:https?|mailto|ftp):/i.test(href)) {
      this.count('link')
      this.append('[')
      this.links.push({ close: `](${percentEncode(href)})`, skip: false })
      return
    } else if (!NOTE_BACK_LINK.test(href)) {
      // A bookmark or a link inside the document (a table of contents): the text stays, the target goes.
      this.links.push({ close: '', skip: false })
      return
    }
    this.skipText++
    this.links.push({ close: '', skip: true })
  }

  private startItem(attributes: string): void {
    const list = this.lists[this.lists.length - 1]
    if (list === undefined) return
    if (list.notes) {
      this.note = NOTE_ID.test(/\bid="([^"]*)"/.exec(attributes)?.[1] ?? '')
        ? /\bid="([^"]*)"/.exec(attributes)![1]
        : undefined
      return
    }
    if (this.note !== undefined) return
    list.count++
    const depth = this.lists.filter((open) => !open.notes).length - 1
    this.item = {
      kind: 'list-item',
      list: this.counts.get('list') ?? 0,
      marker: list.ordered ? `${list.count}.` : '-',
      depth,
      runs: []
    }
  }

  private endItem(): void {
    if (this.item !== undefined && this.item.runs.length > 0) this.pieces.push(this.item)
    this.item = undefined
    if (this.lists[this.lists.length - 1]?.notes) this.note = undefined
  }

  private endTable(): void {
    const lines = this.rows
      .map((cells) => cells.filter((cell) => runsText(cell).trim() !== ''))
      .filter((cells) => cells.length > 0)
      .map((cells) => cells.flatMap((cell, index) => (index === 0 ? cell : [plainRun(' | '), ...cell])))
    this.rows = []
    // Rows follow each other as the lines of one paragraph.
    if (lines.length > 0)
      this.pieces.push({
        kind: 'paragraph',
        runs: lines.flatMap((line, index) => (index === 0 ? line : [plainRun('\n'), ...line]))
      })
  }

  private endBlock(): void {
    const runs = this.runs
    this.runs = []
    const text = runsText(runs)
    if (text.trim() === '') return
    // Several paragraphs in one table cell, or in one list item, run on: a space or a line apart.
    const cell = this.tableDepth > 0 ? this.rows[this.rows.length - 1]?.at(-1) : undefined
    const target = cell ?? (this.note !== undefined ? undefined : this.item?.runs)
    if (target !== undefined) {
      if (target.length > 0) target.push(plainRun(cell ? ' ' : '\n'))
      target.push(...runs)
    } else if (this.note !== undefined) {
      this.notes.set(this.note, [...(this.notes.get(this.note) ?? []), runs])
    } else if (this.headingLevel > 0) {
      this.pieces.push({ kind: 'heading', level: this.headingLevel, runs })
    } else if (!text.includes('\n') && isSceneBreakLine(text)) {
      this.pieces.push({ kind: 'scene-break' })
    } else {
      this.pieces.push({ kind: 'paragraph', runs })
    }
  }

  /** The body: blocks as serializeBlocks writes them, lists as Markdown lists, then the notes. */
  body(): string {
    const parts: string[] = []
    let list: string[] = []
    const endList = (): void => {
      if (list.length > 0) parts.push(list.join('\n'))
      list = []
    }
    let listNumber = -1
    for (const piece of this.pieces) {
      if (piece.kind === 'list-item') {
        if (piece.list !== listNumber) endList()
        listNumber = piece.list
        const indent = LIST_INDENT.repeat(piece.depth)
        const text = serializeBlocks([{ kind: 'paragraph', runs: piece.runs }])
        list.push(
          `${indent}${piece.marker} ${text.replace(/\n/g, `\n${indent}${' '.repeat(piece.marker.length + 1)}`)}`
        )
      } else {
        endList()
        const text = serializeBlocks([piece])
        if (text !== '') parts.push(text)
      }
    }
    endList()
    for (const [id, number] of this.noteNumbers) {
      const paragraphs = (this.notes.get(id) ?? []).map((runs) => serializeBlocks([{ kind: 'paragraph', runs }]))
      parts.push(`[^${number}]: ${paragraphs.join('\n    ')}`)
    }
    return parts.join('\n\n')
  }

  /** The warnings for what changed on the way, in the writer's words. */
  simplifications(comments: number): string[] {
    const n = (what: Simplification): number => this.counts.get(what) ?? 0
    const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`
    const warnings: string[] = []
    const notes = this.noteNumbers.size
    if (notes > 0) {
      warnings.push(
        `${plural(notes, 'note was', 'notes were')} kept as Markdown notes: [^1] where the note was, the note's text at the end.`
      )
    }
    if (n('list') > 0) {
      warnings.push(
        `${plural(n('list'), 'list was', 'lists were')} kept as Markdown lists (“-” or “1.” before each item); ` +
          'numbered lists count 1., 2., 3. whatever their numbering style in Word.'
      )
    }
    if (n('link') > 0) {
      warnings.push(
        `${plural(n('link'), 'link was', 'links were')} kept in Markdown form, [text](address); ` +
          'exports show that as written.'
      )
    }
    if (n('table') > 0) {
      warnings.push(
        `${plural(n('table'), 'table', 'tables')} became text: a line for each row, cells separated by “ | ”.`
      )
    }
    if (n('underline') > 0) {
      warnings.push(`Underlined text (${plural(n('underline'), 'place', 'places')}) became italics.`)
    }
    if (n('strike') > 0) {
      warnings.push(`Struck-through text (${plural(n('strike'), 'place', 'places')}) was kept, without the line.`)
    }
    if (n('script') > 0) {
      warnings.push(`Superscript or subscript (${plural(n('script'), 'place', 'places')}) became ordinary text.`)
    }
    if (n('image') > 0) {
      warnings.push(`${plural(n('image'), 'image was', 'images were')} left out: documents hold text only.`)
    }
    if (comments > 0) warnings.push(`${plural(comments, 'comment was', 'comments were')} left out.`)
    return warnings
  }
}

/** A link's address as a Markdown destination: parentheses and spaces would end it. */
function percentEncode(href: string): string {
  return href.replace(/[()\s]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (entity, name: string) => {
    if (name === 'amp') return '&'
    if (name === 'lt') return '<'
    if (name === 'gt') return '>'
    if (name === 'quot') return '"'
    if (name === 'apos') return "'"
    const codePoint = name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
    return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity
  })
}
