// Readers for the export tests that share no code with the writers: poppler's pdftotext/pdffonts/pdfinfo, epubcheck,
// libxml2's xmllint, the raw ZIP header, and small regex readers of the XML the formats define. Test-only.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Run } from '../export/markup'

const inCI = process.env.CI === 'true' || process.env.CI === '1'

export function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0
}

/**
 * True (skip) when something a test needs is missing, after saying so and how to install it; where CI=true a missing
 * prerequisite fails the run instead.
 */
export function isMissing(missing: boolean, what: string, debianPackages: string): boolean {
  if (missing) {
    const message = `${what} not found (install with: apt-get install -y ${debianPackages})`
    if (inCI) throw new Error(`${message}; CI must have it`)
    console.warn(`export tests skipped: ${message}`)
  }
  return missing
}

export function missingTools(tools: readonly string[], debianPackage: string): boolean {
  const missing = tools.filter((tool) => !onPath(tool))
  return isMissing(missing.length > 0, missing.join(', '), debianPackage)
}

function run(tool: string, args: readonly string[], input?: Uint8Array): string {
  const result = spawnSync(tool, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}

// ---- PDF (poppler-utils) ----

/** Text of the PDF, or of one page (1-based), as pdftotext reads it. */
export function pdfText(pdf: Uint8Array, page?: number): string {
  const range = page === undefined ? [] : ['-f', String(page), '-l', String(page)]
  return run('pdftotext', [...range, '-enc', 'UTF-8', '-', '-'], pdf)
}

/** Embedded font names, subset prefix removed: `DejaVuSerif-Italic`. */
export function pdfFonts(pdf: Uint8Array): string[] {
  return run('pdffonts', ['-'], pdf)
    .split('\n')
    .slice(2)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(/\s+/)[0]!.replace(/^[A-Z]{6}\+/, ''))
}

/** pdffonts' table: each font's name (subset prefix removed), type and whether it is embedded. */
export function pdfFontTable(pdf: Uint8Array): { name: string; type: string; embedded: boolean }[] {
  return run('pdffonts', ['-'], pdf)
    .split('\n')
    .slice(2)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const match = /^(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$/.exec(line)
      if (!match) throw new Error(`pdffonts line not understood: ${line}`)
      return { name: match[1]!.replace(/^[A-Z]{6}\+/, ''), type: match[2]!, embedded: match[4] === 'yes' }
    })
}

export interface PdfWord {
  text: string
  xMin: number
  yMin: number
  xMax: number
  yMax: number
}

/** The words of one page (1-based) with their boxes, as `pdftotext -bbox` finds them (points from the top left). */
export function pdfWords(pdf: Uint8Array, page: number): PdfWord[] {
  const html = run('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), '-enc', 'UTF-8', '-', '-'], pdf)
  return [
    ...html.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)
  ].map(([, xMin, yMin, xMax, yMax, text]) => ({
    text: decodeXml(text!),
    xMin: Number(xMin),
    yMin: Number(yMin),
    xMax: Number(xMax),
    yMax: Number(yMax)
  }))
}

/** Each page rendered by pdftoppm in grey at `dpi`: its size and a darkness test for a rectangle (in points). */
export function pdfPageImages(
  pdf: Uint8Array,
  dpi: number
): { width: number; height: number; inked: (x: number, y: number, w: number, h: number) => boolean }[] {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'inlay-pages-'))
  try {
    const file = path.join(folder, 'doc.pdf')
    writeFileSync(file, pdf)
    run('pdftoppm', ['-gray', '-r', String(dpi), file, path.join(folder, 'page')])
    return readdirSync(folder)
      .filter((name) => name.endsWith('.pgm'))
      .sort((a, b) => Number(/(\d+)\.pgm$/.exec(a)![1]) - Number(/(\d+)\.pgm$/.exec(b)![1]))
      .map((name) => {
        const data = readFileSync(path.join(folder, name))
        // Binary PGM: "P5\n<width> <height>\n<max>\n" then one byte per pixel.
        const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString('latin1'))!
        const [width, height] = [Number(header[1]), Number(header[2])]
        const pixels = data.subarray(header[0].length)
        const scale = dpi / 72
        return {
          width: width / scale,
          height: height / scale,
          inked(x, y, w, h) {
            for (let row = Math.floor(y * scale); row < Math.min(height, (y + h) * scale); row++) {
              for (let column = Math.floor(x * scale); column < Math.min(width, (x + w) * scale); column++) {
                if (pixels[row * width + column]! < 128) return true
              }
            }
            return false
          }
        }
      })
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

export interface PdfBookmark {
  title: string
  page: number
  children: PdfBookmark[]
}

/** The PDF's bookmarks (its outline) as `pdftohtml -xml` reads them: titles, target pages and nesting. */
export function pdfBookmarks(pdf: Uint8Array): PdfBookmark[] {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'inlay-outline-'))
  try {
    const file = path.join(folder, 'doc.pdf')
    writeFileSync(file, pdf)
    const xml = run('pdftohtml', ['-xml', '-i', '-q', '-stdout', file, path.join(folder, 'out')])
    const root: PdfBookmark[] = []
    // The list items go into; a nested <outline> holds the children of the item before it.
    let current: PdfBookmark[] | undefined
    const outer: PdfBookmark[][] = []
    for (const [token, page, title] of xml.matchAll(/<outline>|<\/outline>|<item page="(\d+)">([^<]*)<\/item>/g)) {
      if (token === '<outline>') {
        if (current !== undefined) outer.push(current)
        current = current === undefined ? root : (current.at(-1)?.children ?? current)
      } else if (token === '</outline>') {
        current = outer.pop()
      } else {
        current?.push({ title: decodeXml(title!), page: Number(page), children: [] })
      }
    }
    return root
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

export function pdfInfo(pdf: Uint8Array): Record<string, string> {
  const info: Record<string, string> = {}
  for (const line of run('pdfinfo', ['-enc', 'UTF-8', '-'], pdf).split('\n')) {
    const match = /^([^:]+):\s*(.*)$/.exec(line)
    if (match) info[match[1]!] = match[2]!
  }
  return info
}

// ---- XML ----

/** xmllint's verdict: '' when well-formed, else its complaint. */
export function xmlProblems(xml: string): string {
  const result = spawnSync('xmllint', ['--noout', '--nonet', '-'], { input: xml, encoding: 'utf8' })
  return result.status === 0 ? '' : result.stderr
}

export function decodeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_entity, name: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
    if (name in named) return named[name]!
    return String.fromCodePoint(name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10))
  })
}

/** Text content of an XML fragment: tags dropped, `<br/>` as a newline, entities decoded. */
export function xmlText(fragment: string): string {
  return decodeXml(fragment.replace(/<br\s*\/>/g, '\n').replace(/<[^>]+>/g, ''))
}

// ---- DOCX: word/document.xml ----

export interface DocxParagraph {
  style: string | undefined
  runs: Run[]
}

const isOn = (properties: string, element: string): boolean => {
  const match = new RegExp(`<w:${element}(?:\\s+w:val="([^"]*)")?\\s*/>`).exec(properties)
  return match !== null && !['false', '0', 'off'].includes(match[1] ?? 'true')
}

/** Paragraphs of the main document part with their style id and runs (italic: w:i, bold: w:b, w:br as newline). */
export function docxParagraphs(documentXml: string): DocxParagraph[] {
  const paragraphs: DocxParagraph[] = []
  for (const [, inner] of documentXml.matchAll(/<w:p(?:\s[^>]*)?>([\s\S]*?)<\/w:p>/g)) {
    const style = /<w:pStyle w:val="([^"]+)"\s*\/>/.exec(inner!)?.[1]
    const runs: Run[] = []
    for (const [, runXml] of inner!.matchAll(/<w:r(?:\s[^>]*)?>([\s\S]*?)<\/w:r>/g)) {
      const properties = /<w:rPr>([\s\S]*?)<\/w:rPr>/.exec(runXml!)?.[1] ?? ''
      let text = ''
      for (const [token, content] of runXml!.matchAll(
        /<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>|<w:br\b[^>]*\/>|<w:tab\b[^>]*\/>/g
      )) {
        text += content !== undefined ? decodeXml(content) : token.startsWith('<w:br') ? '\n' : '\t'
      }
      if (text !== '') runs.push({ text, italic: isOn(properties, 'i'), bold: isOn(properties, 'b') })
    }
    paragraphs.push({ style, runs })
  }
  return paragraphs
}

// ---- ZIP ----

/** The first entry of a ZIP file read from its local file header at offset 0, as EPUB's OCF requires. */
export function firstZipEntry(zip: Uint8Array): {
  name: string
  stored: boolean
  extraLength: number
  content: string
} {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  if (view.getUint32(0, true) !== 0x04034b50) throw new Error('not a ZIP local file header at offset 0')
  const method = view.getUint16(8, true)
  const size = view.getUint32(18, true)
  const nameLength = view.getUint16(26, true)
  const extraLength = view.getUint16(28, true)
  const decoder = new TextDecoder()
  const name = decoder.decode(zip.subarray(30, 30 + nameLength))
  const start = 30 + nameLength + extraLength
  return { name, stored: method === 0, extraLength, content: decoder.decode(zip.subarray(start, start + size)) }
}

// ---- DOCX (LibreOffice) ----

/** LibreOffice's PDF of a DOCX (headless soffice), for poppler to read: how LibreOffice lays the document out. */
export function libreOfficePdf(docx: Uint8Array): Uint8Array {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'inlay-soffice-'))
  try {
    const file = path.join(folder, 'doc.docx')
    writeFileSync(file, docx)
    // A profile of its own, so that a running LibreOffice or a first-start dialog cannot get in the way.
    const profile = `-env:UserInstallation=file://${path.join(folder, 'profile')}`
    run('soffice', [profile, '--headless', '--convert-to', 'pdf', '--outdir', folder, file])
    return readFileSync(path.join(folder, 'doc.pdf'))
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

// ---- EPUB (epubcheck) ----

/**
 * The epubcheck command: Debian installs it as an executable JAR, which needs binfmt support or `java -jar` (with the
 * JIT's quick tier only: a check is over before the optimising compiler would pay off).
 */
function epubcheckCommand(): string[] {
  const tool = spawnSync('sh', ['-c', 'command -v epubcheck'], { encoding: 'utf8' }).stdout.trim()
  const head = spawnSync('head', ['-c', '2', tool], { encoding: 'latin1' }).stdout
  return head === 'PK' ? ['java', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-jar', tool] : [tool]
}

/** epubcheck's errors and warnings (and fatal errors) for an EPUB, one line each; [] when it passes clean. */
export function epubcheckProblems(epub: Uint8Array): string[] {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'inlay-epubcheck-'))
  try {
    const file = path.join(folder, 'book.epub')
    writeFileSync(file, epub)
    const [command, ...args] = epubcheckCommand()
    const result = spawnSync(command!, [...args, file], { encoding: 'utf8' })
    const problems = `${result.stdout}\n${result.stderr}`
      .split('\n')
      .filter((line) => /^(FATAL|ERROR|WARNING|USAGE)\b/.test(line))
    if (result.status !== 0 && problems.length === 0) throw new Error(`epubcheck failed: ${result.stderr}`)
    return problems
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}
