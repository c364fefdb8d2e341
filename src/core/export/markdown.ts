// Markdown: YAML front matter (title, author: what Pandoc, Obsidian and static-site tools read), then the body exactly
// as written, so that importing the file gives the same body back.
import { bodyHeadingLevel, type Book } from './book'
import { serializeBlocks } from './markup'

export function writeMarkdown(book: Book): Uint8Array {
  const frontMatter = ['---', `title: ${yamlString(book.title)}`]
  if (book.author) frontMatter.push(`author: ${yamlString(book.author)}`)
  frontMatter.push('---')
  const sections = book.chaptered
    ? book.chapters.map((chapter) =>
        [headingLine(chapter.title), demoteHeadings(book, chapter.body)].filter((part) => part !== '').join('\n\n')
      )
    : [book.chapters[0]!.body]
  return new TextEncoder().encode(`${frontMatter.join('\n')}\n\n${sections.join('\n\n')}\n`)
}

/** A JSON string is a valid YAML double-quoted scalar, and safe whatever the title holds (`: `, `#`, quotes). */
function yamlString(value: string): string {
  return JSON.stringify(value)
}

function headingLine(title: string): string {
  return serializeBlocks([{ kind: 'heading', level: 1, runs: [{ text: title, italic: false, bold: false }] }])
}

/** With chapters, a body's `# Part` becomes `## Part`, below its chapter's title. */
function demoteHeadings(book: Book, body: string): string {
  return body.replace(/^(#{1,6})(?=[ \t]+\S)/gm, (hashes) => '#'.repeat(bodyHeadingLevel(book, hashes.length)))
}
