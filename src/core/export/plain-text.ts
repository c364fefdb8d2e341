// Plain text: no markup at all. The title is underlined with `=` (the convention Markdown borrowed), the author's
// name follows on the next line, headings are underlined with `-`, and scene breaks are a centred `* * *`.
import type { Book } from './book'
import { runsText, type Block } from './markup'

/** Scene breaks are centred on the classic 72-column line. */
const LINE_WIDTH = 72
const SCENE_BREAK = ' '.repeat((LINE_WIDTH - 5) >> 1) + '* * *'

export function writePlainText(book: Book): Uint8Array {
  const header = underline(book.title, '=') + (book.author ? `\n${book.author}` : '')
  const sections = [header]
  for (const chapter of book.chapters) {
    if (book.chaptered) sections.push(underline(chapter.title, '-'))
    sections.push(...chapter.blocks.map(blockText))
  }
  return new TextEncoder().encode(sections.join('\n\n') + '\n')
}

function blockText(block: Block): string {
  if (block.kind === 'scene-break') return SCENE_BREAK
  if (block.kind === 'heading') return underline(runsText(block.runs), '-')
  return runsText(block.runs)
}

function underline(text: string, char: '=' | '-'): string {
  return `${text}\n${char.repeat(Math.max(3, [...text].length))}`
}
