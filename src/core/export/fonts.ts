// PDF needs embedded fonts, and no one font has every script. The body is set in a serif family with all four faces
// that the system has (found in the usual font folders, and through fontconfig where there is one: Linux, BSD), else
// in the DejaVu Serif that Inlay ships in resources/fonts; every character that family lacks is looked up in the
// system's other fonts — through fontconfig, else by reading the font files in the usual folders — then in the shipped
// DejaVu fonts, and the fewest fonts that cover the book are embedded with it. What no font has is reported.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as fontkit from 'fontkit'

export interface PdfFontFiles {
  regular: string
  italic: string
  bold: string
  boldItalic: string
}

/** A font in a file; `postscriptName` picks it out of a collection (.ttc). */
export interface FontFace {
  file: string
  postscriptName?: string
}

/** A font that covers characters the body family lacks, with its bold face where the system has one. */
export interface FallbackFont {
  family: string
  regular: FontFace
  bold?: FontFace
  covers: (codePoint: number) => boolean
}

/** A serif family for the body: its name as fontconfig gives it, and the file names of its four faces. */
interface BodyFamily extends PdfFontFiles {
  family: string
}

/** In order of preference; each with the four faces, and each covering Latin, Greek and Cyrillic. */
const FAMILIES: readonly BodyFamily[] = [
  // Liberation Serif (Debian: fonts-liberation): the metrics of Times New Roman, as manuscripts expect
  {
    family: 'Liberation Serif',
    regular: 'LiberationSerif-Regular.ttf',
    italic: 'LiberationSerif-Italic.ttf',
    bold: 'LiberationSerif-Bold.ttf',
    boldItalic: 'LiberationSerif-BoldItalic.ttf'
  },
  // DejaVu Serif (Debian: fonts-dejavu-core and fonts-dejavu-extra)
  {
    family: 'DejaVu Serif',
    regular: 'DejaVuSerif.ttf',
    italic: 'DejaVuSerif-Italic.ttf',
    bold: 'DejaVuSerif-Bold.ttf',
    boldItalic: 'DejaVuSerif-BoldItalic.ttf'
  },
  // Times New Roman on Windows
  {
    family: 'Times New Roman',
    regular: 'times.ttf',
    italic: 'timesi.ttf',
    bold: 'timesbd.ttf',
    boldItalic: 'timesbi.ttf'
  },
  // Times New Roman on macOS
  {
    family: 'Times New Roman',
    regular: 'Times New Roman.ttf',
    italic: 'Times New Roman Italic.ttf',
    bold: 'Times New Roman Bold.ttf',
    boldItalic: 'Times New Roman Bold Italic.ttf'
  }
]

/** Where fonts live on Debian/Ubuntu, Fedora, Arch, Windows and macOS; INLAY_FONT_DIR comes first. */
export function defaultFontDirs(): string[] {
  const dirs = [
    '/usr/share/fonts/truetype/liberation',
    '/usr/share/fonts/truetype/dejavu',
    '/usr/share/fonts/liberation-serif',
    '/usr/share/fonts/dejavu-serif-fonts',
    '/usr/share/fonts/TTF',
    path.join(process.env.WINDIR ?? 'C:\\Windows', 'Fonts'),
    '/System/Library/Fonts/Supplemental',
    '/System/Library/Fonts',
    '/Library/Fonts',
    path.join(os.homedir(), 'Library/Fonts'),
    path.join(os.homedir(), '.local/share/fonts')
  ]
  const custom = process.env.INLAY_FONT_DIR
  return custom ? [custom, ...dirs] : dirs
}

/**
 * The system's body family: the first of FAMILIES whose four faces are all in one font folder (`dirs`, by default the
 * usual ones, or those of a folders source) or, with fontconfig, known to it under the family's name. Undefined when
 * the system has none; pdfBodyFonts() then falls back to the shipped DejaVu Serif.
 */
export function findPdfFonts(
  source: FontSource = defaultFontSource(),
  dirs: readonly string[] = source.kind === 'folders' ? source.dirs : defaultFontDirs()
): PdfFontFiles | undefined {
  for (const family of FAMILIES) {
    const files = familyInDirs(family, dirs) ?? (source.kind === 'fontconfig' ? familyInFontconfig(family) : undefined)
    if (files) return files
  }
  return undefined
}

function familyInDirs(family: BodyFamily, dirs: readonly string[]): PdfFontFiles | undefined {
  for (const dir of dirs) {
    const files: PdfFontFiles = {
      regular: path.join(dir, family.regular),
      italic: path.join(dir, family.italic),
      bold: path.join(dir, family.bold),
      boldItalic: path.join(dir, family.boldItalic)
    }
    if (Object.values(files).every((file) => fs.existsSync(file))) return files
  }
  return undefined
}

/** The family's faces wherever fontconfig has them: distributions and users put fonts in folders of their own. */
function familyInFontconfig(family: BodyFamily): PdfFontFiles | undefined {
  const faces = candidates({ kind: 'fontconfig' }).filter(
    // Single fonts only: pdfkit takes a body face by its file.
    (candidate) => candidate.family === family.family && candidate.face.postscriptName === undefined
  )
  const face = (style: RegExp): string | undefined => faces.find((candidate) => style.test(candidate.style))?.face.file
  const regular = face(/^(?:regular|book|roman|normal)$/i)
  const italic = face(/^(?:italic|oblique)$/i)
  const bold = face(/^bold$/i)
  const boldItalic = face(/^bold ?(?:italic|oblique)$/i)
  return regular && italic && bold && boldItalic ? { regular, italic, bold, boldItalic } : undefined
}

/**
 * resources/fonts, found upwards from this module: it runs from src/core/export/ (tsx, tests) and, bundled, from
 * out/main/ (the desktop app).
 */
export function shippedFontDir(): string | undefined {
  let dir = import.meta.dirname
  for (;;) {
    const candidate = path.join(dir, 'resources', 'fonts')
    if (fs.existsSync(path.join(candidate, SHIPPED_BODY.regular))) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** DejaVu Serif, shipped with Inlay (resources/fonts, with its licence): the body when the system has no family. */
const SHIPPED_BODY = FAMILIES.find((family) => family.family === 'DejaVu Serif')!

/** The body's four faces: the system's family, else the shipped one; undefined only when resources/ is damaged. */
export function pdfBodyFonts(source: FontSource = defaultFontSource()): PdfFontFiles | undefined {
  const shipped = shippedFontDir()
  return findPdfFonts(source) ?? (shipped === undefined ? undefined : familyInDirs(SHIPPED_BODY, [shipped]))
}

export const MISSING_FONT_ADVICE =
  'PDF export needs a Unicode serif font with regular, italic, bold and bold italic faces, and the DejaVu Serif ' +
  'files Inlay ships (resources/fonts) are missing: reinstall Inlay, or install Liberation Serif or DejaVu Serif ' +
  '(on Debian or Ubuntu: apt-get install fonts-liberation fonts-dejavu-core fonts-dejavu-extra), or set ' +
  'INLAY_FONT_DIR to a folder holding DejaVuSerif.ttf and its -Italic, -Bold and -BoldItalic files.'

export const MORE_FONTS_ADVICE =
  'Installing fonts for these scripts adds them (on Debian or Ubuntu: apt-get install fonts-noto-core ' +
  'fonts-noto-cjk fonts-symbola).'

/** One face of the system's fonts, with the characters it has. */
interface Candidate {
  face: FontFace
  family: string
  /** The style's name as the font gives it: "Regular", "Bold Italic", "Condensed", … */
  style: string
  bold: boolean
  italic: boolean
  /** Of normal width and weight: not condensed, light or black. */
  plain: boolean
  covers: (codePoint: number) => boolean
}

/** Where fallback fonts come from: fontconfig, or the font files in these folders. */
export type FontSource = { kind: 'fontconfig' } | { kind: 'folders'; dirs: readonly string[] }

let detectedSource: FontSource | undefined

export function defaultFontSource(): FontSource {
  detectedSource ??=
    spawnSync('fc-list', ['--version']).status === 0
      ? { kind: 'fontconfig' }
      : { kind: 'folders', dirs: defaultFontDirs() }
  return detectedSource
}

const candidateCache = new Map<string, Candidate[]>()

function candidates(source: FontSource): Candidate[] {
  const key = source.kind === 'fontconfig' ? 'fontconfig' : source.dirs.join('\n')
  let found = candidateCache.get(key)
  if (found === undefined) {
    found = source.kind === 'fontconfig' ? fontconfigCandidates() : folderCandidates(source.dirs)
    candidateCache.set(key, found)
  }
  return found
}

/** fontconfig's list: each face's file, collection index, names, and its character set as hex ranges. */
function fontconfigCandidates(): Candidate[] {
  const format = '%{file}\\t%{family[0]}\\t%{style[0]}\\t%{postscriptname}\\t%{color}\\t%{outline}\\t%{charset}\\n'
  const result = spawnSync('fc-list', ['--format', format], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) return []
  const found: Candidate[] = []
  for (const line of result.stdout.split('\n')) {
    const [file, family, style, postscriptName, color, outline, charset] = line.split('\t')
    // Bitmap colour fonts (Noto Color Emoji) have no outlines a PDF can embed; Type 1 and bitmap files neither.
    if (!file || !charset || color === 'True' || outline !== 'True' || !/\.(ttf|otf|ttc)$/i.test(file)) continue
    const ranges = charset
      .trim()
      .split(/\s+/)
      .map((range) => range.split('-').map((hex) => parseInt(hex, 16)))
      .map(([start, end]) => [start!, end ?? start!] as const)
    found.push({
      face: { file, postscriptName: /\.ttc$/i.test(file) ? postscriptName : undefined },
      family: family!,
      ...styleOf(style!),
      covers: (codePoint) => inRanges(ranges, codePoint)
    })
  }
  return found
}

function inRanges(ranges: readonly (readonly [number, number])[], codePoint: number): boolean {
  let low = 0
  let high = ranges.length - 1
  while (low <= high) {
    const middle = (low + high) >> 1
    const [start, end] = ranges[middle]!
    if (codePoint < start) high = middle - 1
    else if (codePoint > end) low = middle + 1
    else return true
  }
  return false
}

function styleOf(style: string): Pick<Candidate, 'style' | 'bold' | 'italic' | 'plain'> {
  return {
    style,
    bold: /bold|black|heavy/i.test(style),
    italic: /italic|oblique/i.test(style),
    plain: !/condensed|narrow|compressed|expanded|extended|light|thin|hairline|black|heavy|ultra|extra|semi|demi/i.test(
      style
    )
  }
}

/** Without fontconfig: every TrueType or OpenType file in the folders, read with fontkit. */
function folderCandidates(dirs: readonly string[]): Candidate[] {
  const found: Candidate[] = []
  for (const dir of dirs) {
    let names: string[]
    try {
      names = fs.readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names.filter((file) => /\.(ttf|otf|ttc)$/i.test(file))) {
      const file = path.join(dir, name)
      let opened: fontkit.Font | fontkit.FontCollection
      try {
        opened = fontkit.openSync(file)
      } catch {
        continue
      }
      const fonts = 'fonts' in opened ? opened.fonts : [opened]
      for (const font of fonts) {
        // Colour bitmap fonts (CBDT, sbix: Apple Color Emoji) have glyphs without outlines, which draw nothing in a PDF.
        const sample = font.characterSet.find((codePoint) => codePoint > 0x20)
        if (sample === undefined || font.glyphForCodePoint(sample).path.commands.length === 0) continue
        const characters = new Set(font.characterSet)
        found.push({
          face: { file, postscriptName: 'fonts' in opened ? font.postscriptName : undefined },
          family: font.familyName,
          ...styleOf(font.subfamilyName),
          covers: (codePoint) => characters.has(codePoint)
        })
      }
    }
  }
  return found
}

/** Which of the CJK families' regional forms of the shared Han characters suit the book. */
function hanRegion(language: string, codePoints: ReadonlySet<number>): RegExp {
  const tag = language.toLowerCase()
  if (tag.startsWith('ja')) return /\bJP\b|japan/i
  if (tag.startsWith('ko')) return /\bKR\b|korea/i
  if (/^zh-(tw|hant|mo)/.test(tag)) return /\bTC\b|traditional/i
  if (tag.startsWith('zh-hk')) return /\bHK\b/i
  if (tag.startsWith('zh')) return /\bSC\b|simplified/i
  const has = (pattern: RegExp): boolean => [...codePoints].some((cp) => pattern.test(String.fromCodePoint(cp)))
  if (has(/[\p{Script=Hiragana}\p{Script=Katakana}]/u)) return /\bJP\b|japan/i
  if (has(/\p{Script=Hangul}/u)) return /\bKR\b|korea/i
  return /\bSC\b|simplified/i
}

/**
 * The fewest fonts that cover `codePoints` (greedily: each time the one that covers most of what is left, serif
 * families, faces of normal width and weight, and the book's regional Han forms first): the system's fonts, then
 * the shipped ones for what those lack; and what none covers.
 */
export function findFallbackFonts(
  codePoints: ReadonlySet<number>,
  language: string,
  source: FontSource = defaultFontSource()
): { fonts: FallbackFont[]; missing: number[] } {
  const fonts: FallbackFont[] = []
  const region = hanRegion(language, codePoints)
  const bonus = (candidate: Candidate): number =>
    1 +
    (/serif|mincho|song|ming|naskh/i.test(candidate.family) && !/sans/i.test(candidate.family) ? 0.2 : 0) +
    (candidate.plain ? 0.2 : 0) +
    (region.test(candidate.family) ? 0.1 : 0)
  const shipped = shippedFontDir()
  let left = [...codePoints]
  const pools = [
    (): Candidate[] => candidates(source),
    (): Candidate[] => (shipped === undefined ? [] : candidates({ kind: 'folders', dirs: [shipped] }))
  ]
  for (const pool of pools) {
    // Nothing to find (or nothing left for the shipped fonts): no font is read.
    if (left.length === 0) break
    const all = pool()
    const uprights = all.filter((candidate) => !candidate.italic && !candidate.bold)
    for (;;) {
      let best: Candidate | undefined
      let bestScore = 0
      for (const candidate of uprights) {
        const covered = left.filter((codePoint) => candidate.covers(codePoint)).length
        const score = covered * bonus(candidate)
        if (score > bestScore) {
          best = candidate
          bestScore = score
        }
      }
      if (best === undefined) break
      const chosen = best
      left = left.filter((codePoint) => !chosen.covers(codePoint))
      const bold = all.find(
        (candidate) => candidate.family === chosen.family && candidate.bold && !candidate.italic && candidate.plain
      )
      fonts.push({ family: chosen.family, regular: chosen.face, bold: bold?.face, covers: chosen.covers })
    }
  }
  return { fonts, missing: left.sort((a, b) => a - b) }
}

/** The characters a font has: `data` holds a font file. */
export function fontCoverage(data: Buffer): (codePoint: number) => boolean {
  const opened = fontkit.create(data)
  const font = 'fonts' in opened ? opened.fonts[0]! : opened
  const characters = new Set(font.characterSet)
  return (codePoint) => characters.has(codePoint)
}
