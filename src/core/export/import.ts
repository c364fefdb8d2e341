// Importing .txt, .md and .docx files as new documents: a title (front matter, first heading, or the file name) and a
// body in the editor's Markdown-ish syntax.
import fs from 'node:fs/promises'
import path from 'node:path'
import { MAX_BODY_BYTES } from '../../shared/documents'
import { cleanLine, UNTITLED } from './book'
import { importDocx } from './docx-import'
import { ExportError, formatBytes } from './errors'
import { cleanText, isSceneBreakLine, parseInline, runsText, serializeBlocks, type Block, type Run } from './markup'

export const IMPORT_EXTENSIONS = ['.txt', '.md', '.markdown', '.docx'] as const

export interface ImportedDocument {
  title: string
  body: string
  /** What did not come across (images, unknown Word styles, a guessed text encoding), for the user to check. */
  warnings: string[]
}

/** A .docx holds images too; 100 MB is far beyond any manuscript. Text files may be UTF-16 (twice the bytes). */
const MAX_DOCX_FILE_BYTES = 100 * 1024 * 1024
const MAX_TEXT_FILE_BYTES = 2 * MAX_BODY_BYTES

type ImportKind = 'txt' | 'md' | 'docx'

function importKind(fileName: string): ImportKind {
  const extension = path.extname(fileName).toLowerCase()
  if (extension === '.txt') return 'txt'
  if (extension === '.md' || extension === '.markdown') return 'md'
  if (extension === '.docx') return 'docx'
  const hint = extension === '.doc' ? ' Open it in Word or LibreOffice and save it as .docx first.' : ''
  throw new ExportError(
    'unsupported',
    `Cannot import “${path.basename(fileName)}”: Inlay imports ${IMPORT_EXTENSIONS.join(', ')} files.${hint}`
  )
}

function checkFileSize(fileName: string, kind: ImportKind, bytes: number): void {
  const limit = kind === 'docx' ? MAX_DOCX_FILE_BYTES : MAX_TEXT_FILE_BYTES
  if (bytes > limit) {
    throw new ExportError(
      'too-large',
      `Cannot import “${path.basename(fileName)}”: it is ${formatBytes(bytes)}, over the ${formatBytes(limit)} limit.`
    )
  }
}

/** Reads and imports a file from disk. */
export async function importFile(file: string): Promise<ImportedDocument> {
  const kind = importKind(file)
  let bytes: Buffer
  try {
    const stat = await fs.stat(file)
    if (stat.isDirectory()) throw Object.assign(new Error('it is a folder'), { code: 'EISDIR' })
    checkFileSize(file, kind, stat.size)
    bytes = await fs.readFile(file)
  } catch (error) {
    if (error instanceof ExportError) throw error
    const code = (error as NodeJS.ErrnoException).code
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message
    throw new ExportError('unreadable', `Cannot read ${file}: ${reason}.`)
  }
  return importDocument(bytes, path.basename(file))
}

/** Imports a file's content; `fileName` chooses the format (by extension) and is the fallback title. */
export async function importDocument(bytes: Uint8Array, fileName: string): Promise<ImportedDocument> {
  const kind = importKind(fileName)
  checkFileSize(fileName, kind, bytes.byteLength)
  const fallbackTitle = cleanLine(path.basename(fileName, path.extname(fileName))) || UNTITLED
  const warnings: string[] = []
  let imported: { title: string; body: string }
  if (kind === 'docx') {
    imported = await importDocx(bytes, fileName, warnings)
  } else {
    const text = decodeText(bytes, fileName, warnings)
    imported = kind === 'md' ? importMarkdown(text) : importPlainText(text)
  }
  const body = imported.body
  if (body === '') throw new ExportError('empty', `Cannot import “${fileName}”: it has no text.`)
  const bodyBytes = Buffer.byteLength(body, 'utf8')
  if (bodyBytes > MAX_BODY_BYTES) {
    throw new ExportError(
      'too-large',
      `Cannot import “${fileName}”: its text is ${formatBytes(bodyBytes)}; a document holds at most ${formatBytes(MAX_BODY_BYTES)}.`
    )
  }
  return { title: cleanLine(imported.title) || fallbackTitle, body, warnings }
}

// ---- Text files ----

function decodeText(bytes: Uint8Array, fileName: string, warnings: string[]): string {
  // Windows tools write UTF-16 with a byte order mark; everything else is UTF-8 or, failing that, Windows-1252.
  const encoding =
    bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-8'
  let text: string
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes)
  } catch {
    text = decodeWindows1252(bytes)
    warnings.push(`“${fileName}” is not UTF-8; it was read as Windows-1252 (Western European). Check accented letters.`)
  }
  if (text.includes('\u0000')) {
    throw new ExportError('corrupt', `Cannot import “${fileName}”: it is not a text file.`)
  }
  return cleanText(text)
}

/** Windows-1252's 0x80–0x9F (curly quotes, dashes, …, €); U+FFFD where it has none. */
const WINDOWS_1252_HIGH = '€\uFFFD‚ƒ„…†‡ˆ‰Š‹Œ\uFFFDŽ\uFFFD\uFFFD‘’“”•–—˜™š›œ\uFFFDžŸ'

/** Node's TextDecoder reads 'windows-1252' as Latin-1, which has control characters where 1252 has punctuation. */
function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\x80-\x9f]/g, (char) => WINDOWS_1252_HIGH[char.charCodeAt(0) - 0x80]!)
}

const FRONT_MATTER = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/
const FRONT_MATTER_LINE = /^(?:[A-Za-z_][\w-]*:(?:[ \t].*)?|[ \t].*|- .*|#.*|)$/
const ATX_HEADING = /^#{1,6}[ \t]+(\S.*)$/

/**
 * Markdown keeps its body as written (it is the editor's own syntax): only the title is taken out, from YAML front
 * matter if there is one, else from a heading on the first line.
 */
function importMarkdown(text: string): { title: string; body: string } {
  let rest = text
  let title = ''
  const frontMatter = FRONT_MATTER.exec(rest)
  if (frontMatter && frontMatter[1]!.split('\n').every((line) => FRONT_MATTER_LINE.test(line))) {
    title = frontMatterValue(frontMatter[1]!, 'title')
    rest = rest.slice(frontMatter[0].length)
  }
  if (title === '') {
    const lines = rest.split('\n')
    const first = lines.findIndex((line) => line.trim() !== '')
    const heading = first >= 0 ? ATX_HEADING.exec(lines[first]!.trim()) : null
    if (heading) {
      title = runsText(parseInline(heading[1]!.trim()))
      rest = lines.slice(first + 1).join('\n')
    }
  }
  return { title, body: rest.trim() }
}

/** A top-level `key: value` of YAML front matter, for the plain and quoted scalars titles are written with. */
function frontMatterValue(yaml: string, key: string): string {
  const line = yaml.split('\n').find((candidate) => candidate.startsWith(`${key}:`))
  if (line === undefined) return ''
  const value = line.slice(key.length + 1).trim()
  if (value.startsWith('"')) {
    try {
      return String(JSON.parse(value))
    } catch {
      return value.slice(1, value.endsWith('"') ? -1 : undefined)
    }
  }
  if (value.startsWith("'")) return value.slice(1, value.endsWith("'") ? -1 : undefined).replace(/''/g, "'")
  return value.replace(/[ \t]+#.*$/, '')
}

const TITLE_UNDERLINE = /^=+[ \t]*$/
const HEADING_UNDERLINE = /^(?:=+|-+)[ \t]*$/

/**
 * Plain text has no markup: `*` and `_` are kept literally (escaped in the body). Paragraphs are separated by blank
 * lines, or are single lines in a file with no blank line at all. A first line underlined with `=` is the title (and
 * a line right under it, as our own export writes, the author); a line underlined with `-` is a heading.
 */
function importPlainText(text: string): { title: string; body: string } {
  const lines = text.split('\n')
  let title = ''
  const first = lines.findIndex((line) => line.trim() !== '')
  let start = 0
  if (first >= 0 && TITLE_UNDERLINE.test(lines[first + 1] ?? '')) {
    title = lines[first]!.trim()
    start = first + 2
    if ((lines[start] ?? '').trim() !== '') start++
  }
  const bodyLines = lines.slice(start)
  const isBlank = (line: string): boolean => line.trim() === ''
  const firstText = bodyLines.findIndex((line) => !isBlank(line))
  const lastText = bodyLines.findLastIndex((line) => !isBlank(line))
  const onePerLine = !bodyLines.slice(firstText, lastText + 1).some(isBlank)
  const blocks: Block[] = []
  let paragraph: string[] = []
  const endParagraph = (): void => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', runs: [plainRun(paragraph.join('\n'))] })
    paragraph = []
  }
  for (const rawLine of bodyLines) {
    const line = rawLine.trim()
    if (line === '') {
      endParagraph()
    } else if (paragraph.length === 1 && HEADING_UNDERLINE.test(line)) {
      blocks.push({ kind: 'heading', level: 1, runs: [plainRun(paragraph[0]!)] })
      paragraph = []
    } else if (isSceneBreakLine(line)) {
      endParagraph()
      blocks.push({ kind: 'scene-break' })
    } else {
      paragraph.push(line)
      if (onePerLine) endParagraph()
    }
  }
  endParagraph()
  return { title, body: serializeBlocks(blocks) }
}

function plainRun(text: string): Run {
  return { text, italic: false, bold: false }
}
