// EPUB 3 with epub-gen-memory: one XHTML chapter per document, title, author and language in the package metadata.
// We write the chapter HTML ourselves (escaped, well-formed) so the library has nothing to fetch or repair.
import { EPub, optionsDefaults } from 'epub-gen-memory'
import type { Book } from './book'
import type { Block, Run } from './markup'

const STYLESHEET = `body { font-family: serif; line-height: 1.5; }
h1 { text-align: center; margin: 2em 0 1.5em; }
p { margin: 0 0 0.6em; }
p.scene-break { text-align: center; margin: 1.2em 0; }`

/**
 * The library's EPUB 3 package document, minus what would speak for the user: an "All rights reserved, Copyright ©
 * <year> by <publisher>" notice, an empty description and publisher, an empty creator when there is no author, and
 * a language fixed to English.
 */
const PACKAGE_TEMPLATE = optionsDefaults(3)
  .contentOPF!.split('\n')
  .filter((line) => !/dcterms:rights|<dc:rights>|dcterms:publisher|<dc:publisher>|<dc:description>/.test(line))
  .map((line) => (/<dc:creator|refines="#creator"/.test(line) ? `<% if (author.length) { %>${line}<% } %>` : line))
  .join('\n')
  .replace('xml:lang="en"', 'xml:lang="<%= lang %>"')

export async function writeEpub(book: Book): Promise<Uint8Array> {
  const chapters = book.chapters.map((chapter, index) => ({
    title: chapter.title,
    // Our own names: the library's come from the title, and a title in another script slugs to nothing.
    filename: `chapter-${String(index + 1).padStart(3, '0')}.xhtml`,
    content: chapter.blocks.map(blockHtml).join('\n')
  }))
  const epub = new EPub(
    {
      title: book.title,
      author: book.author ? [book.author] : [],
      contentOPF: PACKAGE_TEMPLATE,
      lang: book.language,
      tocTitle: book.title,
      numberChaptersInTOC: false,
      css: STYLESHEET,
      verbose: false
    },
    chapters
  )
  return epub.genEpub()
}

function blockHtml(block: Block): string {
  if (block.kind === 'scene-break') return '<p class="scene-break">* * *</p>'
  // Chapter titles are h1 (the library writes them); body headings start at h2 so they sit below.
  if (block.kind === 'heading') {
    const level = Math.min(6, block.level + 1)
    return `<h${level}>${runsHtml(block.runs)}</h${level}>`
  }
  return `<p>${runsHtml(block.runs)}</p>`
}

function runsHtml(runs: readonly Run[]): string {
  return runs
    .map((run) => {
      let html = escapeHtml(run.text).replace(/\n/g, '<br/>')
      if (run.italic) html = `<em>${html}</em>`
      if (run.bold) html = `<strong>${html}</strong>`
      return html
    })
    .join('')
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
