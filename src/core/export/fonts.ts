// PDF needs embedded TrueType fonts: the 14 standard PDF fonts only have Western European glyphs (no ő, ł, Greek or
// Cyrillic). We use a serif family with all four faces that the system already has, so nothing is bundled.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface PdfFontFiles {
  regular: string
  italic: string
  bold: string
  boldItalic: string
}

/** In order of preference; each with the four faces, and each covering Latin, Greek and Cyrillic. */
const FAMILIES: readonly PdfFontFiles[] = [
  // DejaVu Serif (Debian: fonts-dejavu-core and fonts-dejavu-extra)
  {
    regular: 'DejaVuSerif.ttf',
    italic: 'DejaVuSerif-Italic.ttf',
    bold: 'DejaVuSerif-Bold.ttf',
    boldItalic: 'DejaVuSerif-BoldItalic.ttf'
  },
  // Liberation Serif (Debian: fonts-liberation)
  {
    regular: 'LiberationSerif-Regular.ttf',
    italic: 'LiberationSerif-Italic.ttf',
    bold: 'LiberationSerif-Bold.ttf',
    boldItalic: 'LiberationSerif-BoldItalic.ttf'
  },
  // Times New Roman on Windows
  { regular: 'times.ttf', italic: 'timesi.ttf', bold: 'timesbd.ttf', boldItalic: 'timesbi.ttf' },
  // Times New Roman on macOS
  {
    regular: 'Times New Roman.ttf',
    italic: 'Times New Roman Italic.ttf',
    bold: 'Times New Roman Bold.ttf',
    boldItalic: 'Times New Roman Bold Italic.ttf'
  }
]

/** Where the families above live on Debian/Ubuntu, Fedora, Arch, Windows and macOS; INLAY_FONT_DIR comes first. */
function defaultFontDirs(): string[] {
  const dirs = [
    '/usr/share/fonts/truetype/dejavu',
    '/usr/share/fonts/truetype/liberation',
    '/usr/share/fonts/dejavu-serif-fonts',
    '/usr/share/fonts/liberation-serif',
    '/usr/share/fonts/TTF',
    path.join(process.env.WINDIR ?? 'C:\\Windows', 'Fonts'),
    '/System/Library/Fonts/Supplemental',
    '/Library/Fonts',
    path.join(os.homedir(), '.local/share/fonts')
  ]
  const custom = process.env.INLAY_FONT_DIR
  return custom ? [custom, ...dirs] : dirs
}

/** The first family whose four faces are all in one of `dirs`, or undefined. */
export function findPdfFonts(dirs: readonly string[] = defaultFontDirs()): PdfFontFiles | undefined {
  for (const family of FAMILIES) {
    for (const dir of dirs) {
      const files: PdfFontFiles = {
        regular: path.join(dir, family.regular),
        italic: path.join(dir, family.italic),
        bold: path.join(dir, family.bold),
        boldItalic: path.join(dir, family.boldItalic)
      }
      if (Object.values(files).every((file) => fs.existsSync(file))) return files
    }
  }
  return undefined
}

export const MISSING_FONT_ADVICE =
  'PDF export needs a Unicode serif font with regular, italic, bold and bold italic faces (DejaVu Serif, ' +
  'Liberation Serif or Times New Roman). On Debian or Ubuntu: apt-get install fonts-dejavu-core fonts-dejavu-extra; ' +
  'or set INLAY_FONT_DIR to a folder holding DejaVuSerif.ttf and its -Italic, -Bold and -BoldItalic files.'
