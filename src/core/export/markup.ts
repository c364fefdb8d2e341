// The editor's Markdown-ish body: paragraphs separated by blank lines (a single newline is a soft line break),
// *italic* or _italic_, **bold**, a scene break on a line of its own (`* * *`, `***`, `---` or `#`), and optional
// `# ` headings. Emphasis follows CommonMark's delimiter rules, with one deliberate difference: a `*` run between two
// letters or digits is literal, so `5*3` or `2*x*y` never turns into emphasis.

export interface Run {
  text: string
  italic: boolean
  bold: boolean
}

export type Block =
  { kind: 'paragraph'; runs: Run[] } | { kind: 'heading'; level: number; runs: Run[] } | { kind: 'scene-break' }

const SCENE_BREAK_LINE = /^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|#)$/
const HEADING_LINE = /^(#{1,6})[ \t]+(\S.*)$/
const ASCII_PUNCTUATION = /^[!-/:-@[-`{-~]$/
const UNICODE_PUNCTUATION = /^[\p{P}\p{S}]$/u
const LETTER_OR_DIGIT = /^[\p{L}\p{N}\p{M}]$/u
const WHITESPACE = /\s/

/**
 * Normalises text from any source: no BOM, `\n` line ends, and none of the characters that XML (DOCX, EPUB) cannot
 * hold: C0 controls other than tab and newline, U+FFFE/U+FFFF, and unpaired surrogates (which become U+FFFD).
 */
export function cleanText(text: string): string {
  return (
    text
      .replace(/^\uFEFF/, '')
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]/g, '')
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
  )
}

export function isSceneBreakLine(line: string): boolean {
  return SCENE_BREAK_LINE.test(line.trim())
}

/** Splits a body into blocks. Lines are trimmed; scene breaks and headings end the paragraph they interrupt. */
export function parseBody(body: string): Block[] {
  const blocks: Block[] = []
  let paragraphLines: string[] = []
  const endParagraph = (): void => {
    if (paragraphLines.length > 0) blocks.push({ kind: 'paragraph', runs: parseInline(paragraphLines.join('\n')) })
    paragraphLines = []
  }
  for (const rawLine of cleanText(body).split('\n')) {
    const line = rawLine.trim()
    const heading = HEADING_LINE.exec(line)
    if (line === '') {
      endParagraph()
    } else if (SCENE_BREAK_LINE.test(line)) {
      endParagraph()
      blocks.push({ kind: 'scene-break' })
    } else if (heading) {
      endParagraph()
      blocks.push({ kind: 'heading', level: heading[1]!.length, runs: parseInline(heading[2]!.trim()) })
    } else {
      paragraphLines.push(line)
    }
  }
  endParagraph()
  return blocks
}

interface Delimiter {
  kind: 'delimiter'
  char: '*' | '_'
  /** Characters of the run not yet used by emphasis. */
  count: number
  /** Characters of the run as written (CommonMark's "rule of 3" looks at it). */
  length: number
  canOpen: boolean
  canClose: boolean
}

type InlineNode =
  { kind: 'text'; text: string } | Delimiter | { kind: 'emphasis'; strong: boolean; children: InlineNode[] }

/** Parses one paragraph's (or heading's) inline markup into runs; `\n` inside a run is a soft line break. */
export function parseInline(text: string): Run[] {
  const runs: Run[] = []
  // An explicit stack instead of recursion: `*a *b *c …` can nest as deep as the paragraph is long.
  const pending: { nodes: InlineNode[]; index: number; italic: boolean; bold: boolean }[] = [
    { nodes: resolveEmphasis(tokenize(text)), index: 0, italic: false, bold: false }
  ]
  while (pending.length > 0) {
    const frame = pending[pending.length - 1]!
    const node = frame.nodes[frame.index++]
    if (node === undefined) {
      pending.pop()
    } else if (node.kind === 'text') {
      appendRun(runs, node.text, frame.italic, frame.bold)
    } else if (node.kind === 'delimiter') {
      appendRun(runs, node.char.repeat(node.count), frame.italic, frame.bold)
    } else {
      pending.push({
        nodes: node.children,
        index: 0,
        italic: frame.italic || !node.strong,
        bold: frame.bold || node.strong
      })
    }
  }
  return runs
}

function appendRun(runs: Run[], text: string, italic: boolean, bold: boolean): void {
  if (text === '') return
  const last = runs[runs.length - 1]
  if (last && last.italic === italic && last.bold === bold) last.text += text
  else runs.push({ text, italic, bold })
}

type CharClass = 'space' | 'punctuation' | 'other'

function classify(char: string): CharClass {
  if (char === '' || WHITESPACE.test(char)) return 'space'
  return UNICODE_PUNCTUATION.test(char) ? 'punctuation' : 'other'
}

function charBefore(text: string, index: number): string {
  if (index === 0) return ''
  const low = text.charCodeAt(index - 1)
  const isPair = index >= 2 && low >= 0xdc00 && low <= 0xdfff && /[\uD800-\uDBFF]/.test(text[index - 2]!)
  return text.slice(isPair ? index - 2 : index - 1, index)
}

function charAfter(text: string, index: number): string {
  const codePoint = text.codePointAt(index)
  return codePoint === undefined ? '' : String.fromCodePoint(codePoint)
}

function makeDelimiter(char: '*' | '_', length: number, before: string, after: string): Delimiter {
  const beforeClass = classify(before)
  const afterClass = classify(after)
  const leftFlanking = afterClass !== 'space' && (afterClass !== 'punctuation' || beforeClass !== 'other')
  const rightFlanking = beforeClass !== 'space' && (beforeClass !== 'punctuation' || afterClass !== 'other')
  const insideWord = LETTER_OR_DIGIT.test(before) && LETTER_OR_DIGIT.test(after)
  let canOpen = leftFlanking && !insideWord
  let canClose = rightFlanking && !insideWord
  if (char === '_') {
    canOpen = canOpen && (!rightFlanking || beforeClass === 'punctuation')
    canClose = canClose && (!leftFlanking || afterClass === 'punctuation')
  }
  return { kind: 'delimiter', char, count: length, length, canOpen, canClose }
}

function tokenize(text: string): InlineNode[] {
  const nodes: InlineNode[] = []
  let plain = ''
  let index = 0
  const special = /[\\*_]/g
  for (;;) {
    special.lastIndex = index
    const found = special.exec(text)
    if (!found) break
    plain += text.slice(index, found.index)
    index = found.index
    const char = text[index]!
    if (char === '\\') {
      const next = text[index + 1]
      if (next !== undefined && ASCII_PUNCTUATION.test(next)) {
        plain += next
        index += 2
      } else {
        plain += char
        index += 1
      }
      continue
    }
    let end = index
    while (text[end] === char) end++
    if (plain !== '') nodes.push({ kind: 'text', text: plain })
    plain = ''
    nodes.push(makeDelimiter(char as '*' | '_', end - index, charBefore(text, index), charAfter(text, end)))
    index = end
  }
  plain += text.slice(index)
  if (plain !== '') nodes.push({ kind: 'text', text: plain })
  return nodes
}

function breaksRuleOfThree(opener: Delimiter, closer: Delimiter): boolean {
  if (!opener.canClose && !closer.canOpen) return false
  return (opener.length + closer.length) % 3 === 0 && !(opener.length % 3 === 0 && closer.length % 3 === 0)
}

/** CommonMark's "process emphasis": each closer, left to right, takes the nearest matching opener before it. */
function resolveEmphasis(nodes: InlineNode[]): InlineNode[] {
  // Per kind of closer, the index at or below which no opener is left: keeps a run of failing closers linear.
  const searchFloor = new Map<string, number>()
  let index = 0
  while (index < nodes.length) {
    const closer = nodes[index]!
    if (closer.kind !== 'delimiter' || !closer.canClose || closer.count === 0) {
      index++
      continue
    }
    const floorKey = `${closer.char}${closer.canOpen ? 1 : 0}${closer.length % 3}`
    const floor = searchFloor.get(floorKey) ?? -1
    let openerIndex = index - 1
    for (; openerIndex > floor; openerIndex--) {
      const candidate = nodes[openerIndex]!
      if (
        candidate.kind === 'delimiter' &&
        candidate.char === closer.char &&
        candidate.canOpen &&
        candidate.count > 0 &&
        !breaksRuleOfThree(candidate, closer)
      ) {
        break
      }
    }
    if (openerIndex <= floor) {
      searchFloor.set(floorKey, index - 1)
      index++
      continue
    }
    const opener = nodes[openerIndex] as Delimiter
    const used = opener.count >= 2 && closer.count >= 2 ? 2 : 1
    opener.count -= used
    closer.count -= used
    const emphasis: InlineNode = { kind: 'emphasis', strong: used === 2, children: nodes.slice(openerIndex + 1, index) }
    nodes.splice(openerIndex + 1, index - openerIndex - 1, emphasis)
    index = openerIndex + 2
    if (opener.count === 0) {
      nodes.splice(openerIndex, 1)
      index--
    }
    // Everything above the opener has moved; only what lies below it is still known to hold no opener.
    for (const [key, value] of searchFloor) if (value > openerIndex - 1) searchFloor.set(key, openerIndex - 1)
    if (closer.count === 0) nodes.splice(index, 1)
  }
  return nodes
}

// ---- Writing blocks back as a body ----

/**
 * Writes blocks as a body that parses back to the same blocks. Emphasis that the syntax cannot express (an italic
 * syllable inside a word) is widened to the whole word, and failing that dropped; the text itself always survives.
 */
export function serializeBlocks(blocks: readonly Block[]): string {
  const parts: string[] = []
  for (const block of blocks) {
    if (block.kind === 'scene-break') {
      parts.push('* * *')
    } else if (block.kind === 'heading') {
      const runs = normalizeRuns(block.runs, true)
      if (runs.length > 0) parts.push(serializeRuns(runs, block.level))
    } else {
      const runs = normalizeRuns(block.runs, false)
      if (runs.length > 0) parts.push(serializeRuns(runs, 0))
    }
  }
  return parts.join('\n\n')
}

type StyledChar = { char: string; style: number }
const ITALIC = 1
const BOLD = 2

function toStyledChars(runs: readonly Run[]): StyledChar[] {
  const chars: StyledChar[] = []
  for (const run of runs) {
    const style = (run.italic ? ITALIC : 0) | (run.bold ? BOLD : 0)
    for (const char of cleanText(run.text)) chars.push({ char, style })
  }
  return chars
}

function toRuns(chars: readonly StyledChar[]): Run[] {
  const runs: Run[] = []
  for (const { char, style } of chars) appendRun(runs, char, (style & ITALIC) !== 0, (style & BOLD) !== 0)
  return runs
}

/**
 * Brings runs to the form the parser produces: no whitespace at the ends or around line breaks, one newline between
 * lines (none in a heading), and whitespace styled only as much as both of its neighbours, so that emphasis markers
 * never have to sit next to a space.
 */
export function normalizeRuns(runs: readonly Run[], singleLine: boolean): Run[] {
  const chars = toStyledChars(runs)
  const result: StyledChar[] = []
  let index = 0
  while (index < chars.length) {
    if (!WHITESPACE.test(chars[index]!.char)) {
      result.push(chars[index]!)
      index++
      continue
    }
    let end = index
    while (end < chars.length && WHITESPACE.test(chars[end]!.char)) end++
    if (index > 0 && end < chars.length) {
      const style = chars[index - 1]!.style & chars[end]!.style
      const group = chars.slice(index, end)
      if (group.some((c) => c.char === '\n')) result.push({ char: singleLine ? ' ' : '\n', style })
      else for (const c of group) result.push({ char: c.char, style })
    }
    index = end
  }
  return toRuns(result)
}

function sameRuns(a: readonly Run[], b: readonly Run[]): boolean {
  return (
    a.length === b.length &&
    a.every((run, i) => run.text === b[i]!.text && run.italic === b[i]!.italic && run.bold === b[i]!.bold)
  )
}

function parsesBackTo(candidate: string, runs: readonly Run[], headingLevel: number): boolean {
  const blocks = parseBody(candidate)
  if (blocks.length !== 1) return false
  const block = blocks[0]!
  if (headingLevel > 0) return block.kind === 'heading' && block.level === headingLevel && sameRuns(block.runs, runs)
  return block.kind === 'paragraph' && sameRuns(block.runs, runs)
}

function serializeRuns(runs: Run[], headingLevel: number): string {
  const prefix = headingLevel > 0 ? '#'.repeat(headingLevel) + ' ' : ''
  const splitAtSpaces = unstyleSpacesBetweenStyles(runs)
  const attempts = [runs, splitAtSpaces, widenEmphasisToWords(splitAtSpaces)]
  for (const attempt of attempts) {
    for (const escapeAll of [false, true]) {
      for (const italicMarker of ['*', '_'] as const) {
        const candidate = prefix + renderRuns(attempt, italicMarker, escapeAll)
        if (parsesBackTo(candidate, attempt, headingLevel)) return candidate
      }
    }
  }
  const plain = [{ text: runs.map((r) => r.text).join(''), italic: false, bold: false }]
  return prefix + renderRuns(plain, '*', true)
}

/**
 * Makes whitespace between differently styled words plain: `*a **b*** **c**` can be written where overlapping
 * spans (`*a **b* c**`) cannot.
 */
function unstyleSpacesBetweenStyles(runs: readonly Run[]): Run[] {
  const chars = toStyledChars(runs)
  let start = 0
  while (start < chars.length) {
    if (!WHITESPACE.test(chars[start]!.char)) {
      start++
      continue
    }
    let end = start
    while (end < chars.length && WHITESPACE.test(chars[end]!.char)) end++
    if (chars[start - 1]?.style !== chars[end]?.style) for (let i = start; i < end; i++) chars[i]!.style = 0
    start = end
  }
  return toRuns(chars)
}

/** Gives every word the union of its characters' styles: `*un*believable` cannot be written, `*unbelievable*` can. */
function widenEmphasisToWords(runs: readonly Run[]): Run[] {
  const chars = toStyledChars(runs)
  let start = 0
  while (start < chars.length) {
    let end = start
    while (end < chars.length && !WHITESPACE.test(chars[end]!.char)) end++
    const style = chars.slice(start, end).reduce((union, c) => union | c.style, 0)
    for (let i = start; i < end; i++) chars[i]!.style = style
    start = end + 1
  }
  return toRuns(chars)
}

function renderRuns(runs: readonly Run[], italicMarker: '*' | '_', escapeAll: boolean): string {
  let out = ''
  const open: ('bold' | 'italic')[] = []
  const markerOf = (kind: 'bold' | 'italic'): string => (kind === 'bold' ? '**' : italicMarker)
  runs.forEach((run, index) => {
    const wanted = (kind: 'bold' | 'italic'): boolean => (kind === 'bold' ? run.bold : run.italic)
    while (open.some((kind) => !wanted(kind))) out += markerOf(open.pop()!)
    // Of two styles opened together, the one that lasts longer goes outside, so neither has to close and reopen.
    const lasting = (kind: 'bold' | 'italic'): number => {
      let end = index
      while (end < runs.length && (kind === 'bold' ? runs[end]!.bold : runs[end]!.italic)) end++
      return end - index
    }
    const opening = (['bold', 'italic'] as const).filter((kind) => wanted(kind) && !open.includes(kind))
    opening.sort((a, b) => lasting(b) - lasting(a))
    for (const kind of opening) {
      open.push(kind)
      out += markerOf(kind)
    }
    out += escapeAll ? escapeMarkup(run.text) : run.text
  })
  while (open.length > 0) out += markerOf(open.pop()!)
  return out
}

function escapeMarkup(text: string): string {
  return text.replace(/[\\*_]/g, '\\$&').replace(/(^|\n)([#-])/g, '$1\\$2')
}

export function runsText(runs: readonly Run[]): string {
  return runs.map((run) => run.text).join('')
}
