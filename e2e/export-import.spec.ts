// Export and import through the UI in browser mode: the export dialog (Mod-E and the toolbar), downloads read back
// (Markdown as text, DOCX by its XML, EPUB by its chapters), a joint export from the library's selection, import
// through the file input (button and Mod-O), and the service's errors as notices.
import { readFile } from 'node:fs/promises'
import { expect, test, type Download, type Page } from '@playwright/test'
import JSZip from 'jszip'
import { collectErrors, editorText, newDocument, openApp, titleField } from './helpers'

const SENTENCE = '“Voilà,” she said — the *café* was closed.'
const PLAIN = SENTENCE.replace(/\*/g, '')

async function bytesOf(download: Download): Promise<Buffer> {
  const path = await download.path()
  return readFile(path)
}

/** XML text with its entities and character references decoded. */
function decodeXml(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#([0-9]+);/g, (_, dec: string) => String.fromCodePoint(parseInt(dec, 10)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}

/** The text of a WordprocessingML part: its <w:t> runs joined. */
function wordText(xml: string): string {
  return decodeXml([...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]!).join(''))
}

function exportDialog(page: Page) {
  return page.getByRole('dialog', { name: /^Export/ })
}

test('export Markdown (Mod-E) and DOCX (toolbar) of the open document; the latest typing is in both', async ({
  page
}) => {
  const errors = collectErrors(page)
  await openApp(page)
  await newDocument(page, 'Quayside café')
  await page.locator('.cm-content').click()
  await page.keyboard.type(SENTENCE)
  await expect.poll(() => editorText(page)).toBe(SENTENCE)

  await test.step('Markdown through Mod-E and Enter, right after typing', async () => {
    await page.keyboard.press('ControlOrMeta+e')
    const dialog = exportDialog(page)
    await expect(dialog).toBeVisible()
    await expect(dialog).toContainText('“Quayside café”')
    // Focus lands on the chosen format (Markdown at first); Enter exports it.
    const markdown = dialog.getByRole('radio', { name: 'Markdown' })
    await expect(markdown).toBeChecked()
    await expect(markdown).toBeFocused()
    const downloading = page.waitForEvent('download')
    await page.keyboard.press('Enter')
    const download = await downloading
    expect(download.suggestedFilename()).toBe('Quayside café.md')
    const text = (await bytesOf(download)).toString('utf8')
    expect(text).toContain('title: "Quayside café"')
    expect(text).toContain(SENTENCE)
    await expect(dialog).toBeHidden()
    await expect(page.getByRole('status').filter({ hasText: 'Exported “Quayside café.md”.' })).toBeVisible()
    // Focus is back in the editor.
    await expect(page.locator('.cm-content')).toBeFocused()
  })

  await test.step('DOCX through the toolbar, picked with the arrow keys', async () => {
    await page.getByRole('button', { name: /^Export…/ }).click()
    const dialog = exportDialog(page)
    await expect(dialog.getByRole('radio', { name: 'Markdown' })).toBeFocused()
    await page.keyboard.press('ArrowDown') // Plain text
    await page.keyboard.press('ArrowDown') // Word document
    await expect(dialog.getByRole('radio', { name: 'Word document' })).toBeChecked()
    const downloading = page.waitForEvent('download')
    await dialog.getByRole('button', { name: 'Export', exact: true }).click()
    const download = await downloading
    expect(download.suggestedFilename()).toBe('Quayside café.docx')
    const zip = await JSZip.loadAsync(await bytesOf(download))
    const xml = await zip.file('word/document.xml')!.async('string')
    expect(wordText(xml)).toContain(PLAIN)
    // "café" is its own run, in italics.
    const italicRuns = [...xml.matchAll(/<w:r>(?:(?!<\/w:r>).)*<\/w:r>/gs)]
      .map((m) => m[0])
      .filter((run) => /<w:i\/>/.test(run))
      .map(wordText)
    expect(italicRuns).toContain('café')
  })

  await test.step('Escape closes the dialog without exporting; focus goes back where it was', async () => {
    // The dialog gave focus back to the toolbar button that opened it.
    await expect(page.getByRole('button', { name: /^Export…/ })).toBeFocused()
    await page.locator('.cm-content').click()
    await page.keyboard.press('ControlOrMeta+e')
    await expect(exportDialog(page)).toBeVisible()
    // The dialog remembers the last format.
    await expect(exportDialog(page).getByRole('radio', { name: 'Word document' })).toBeChecked()
    await page.keyboard.press('Escape')
    await expect(exportDialog(page)).toBeHidden()
    await expect(page.locator('.cm-content')).toBeFocused()
  })
  expect(errors).toEqual([])
})

test('an empty document: the export shows the service’s message, and nothing downloads', async ({ page }) => {
  await openApp(page)
  await newDocument(page, 'Blank page')
  let downloads = 0
  page.on('download', () => downloads++)
  await page.getByRole('button', { name: /^Export…/ }).click()
  const dialog = exportDialog(page)
  await dialog.getByRole('radio', { name: 'PDF' }).check()
  await dialog.getByRole('button', { name: 'Export', exact: true }).click()
  await expect(page.getByRole('alert')).toContainText('Nothing to export: “Blank page” is empty.')
  await expect(dialog).toBeHidden()
  expect(downloads).toBe(0)
})

test('several documents from the library export as one EPUB, a chapter each, in the order picked', async ({ page }) => {
  const errors = collectErrors(page)
  await openApp(page)
  await newDocument(page, 'Chapter Two')
  await page.locator('.cm-content').click()
  await page.keyboard.type('The tide came in — slowly.')
  await newDocument(page, 'Chapter One')
  await page.locator('.cm-content').click()
  await page.keyboard.type('It began in *Zürich*.')

  const library = page.getByRole('navigation', { name: 'Library' })
  // Picked in this order: One, then Two.
  await library.getByRole('checkbox', { name: 'Select “Chapter One” for export' }).check()
  await library.getByRole('checkbox', { name: 'Select “Chapter Two” for export' }).check()
  const selected = library.getByRole('group', { name: 'Selected documents' })
  await expect(selected).toContainText('2 selected')
  await selected.getByRole('button', { name: 'Export…' }).click()

  const dialog = page.getByRole('dialog', { name: 'Export 2 documents' })
  await expect(dialog.getByRole('listitem')).toHaveText(['Chapter One', 'Chapter Two'])
  await expect(dialog.getByRole('radio', { name: 'EPUB e-book' })).toBeChecked()
  const downloading = page.waitForEvent('download')
  await page.keyboard.press('Enter')
  const download = await downloading
  expect(download.suggestedFilename()).toBe('Chapter One and 1 more.epub')

  const zip = await JSZip.loadAsync(await bytesOf(download))
  expect(await zip.file('mimetype')!.async('string')).toBe('application/epub+zip')
  const chapters: string[] = []
  for (const name of Object.keys(zip.files).sort()) {
    if (!/\.xhtml$/.test(name)) continue
    const xhtml = decodeXml(await zip.file(name)!.async('string'))
    if (xhtml.includes('Zürich') || xhtml.includes('The tide came in')) chapters.push(xhtml)
  }
  expect(chapters).toHaveLength(2)
  expect(chapters[0]).toContain('<em>Zürich</em>')
  expect(chapters[1]).toContain('The tide came in — slowly.')

  await selected.getByRole('button', { name: 'Clear' }).click()
  await expect(selected).toBeHidden()
  expect(errors).toEqual([])
})

test('import a Markdown file (button and Mod-O); an unsupported file is refused with a message', async ({ page }) => {
  const errors = collectErrors(page)
  await openApp(page)
  const docs = page.getByRole('list', { name: 'Documents' })

  await test.step('the Import… button opens the file chooser; the file opens as a new document', async () => {
    const choosing = page.waitForEvent('filechooser')
    await page.getByRole('button', { name: /^Import…/ }).click()
    const chooser = await choosing
    await chooser.setFiles({
      name: 'night-ferry.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# The Night Ferry\n\nThe *ferry* left at “midnight” — late.\n\nÉlodie waved.\n', 'utf8')
    })
    await expect(titleField(page)).toHaveValue('The Night Ferry')
    await expect.poll(() => editorText(page)).toBe('The *ferry* left at “midnight” — late.\n\nÉlodie waved.')
    await expect(page.locator('.cm-em')).toHaveText('ferry')
    await expect(docs.getByRole('button', { name: /^The Night Ferry/ })).toHaveAttribute('aria-current', 'page')
    await expect(page.getByRole('status').filter({ hasText: 'Imported “The Night Ferry”.' })).toBeVisible()
  })

  await test.step('Mod-O does the same; the title falls back to the file name', async () => {
    const choosing = page.waitForEvent('filechooser')
    await page.locator('.cm-content').click()
    await page.keyboard.press('ControlOrMeta+o')
    const chooser = await choosing
    await chooser.setFiles({ name: 'Lantern.txt', mimeType: 'text/plain', buffer: Buffer.from('A lantern swung.\n') })
    await expect(titleField(page)).toHaveValue('Lantern')
    await expect.poll(() => editorText(page)).toBe('A lantern swung.')
  })

  await test.step('a file Inlay cannot read gives the service’s message', async () => {
    expect(errors).toEqual([])
    const choosing = page.waitForEvent('filechooser')
    await page.getByRole('button', { name: /^Import…/ }).click()
    const chooser = await choosing
    await chooser.setFiles({ name: 'notes.rtf', mimeType: 'application/rtf', buffer: Buffer.from('{\\rtf1 x}') })
    await expect(page.getByRole('alert')).toContainText('Cannot import “notes.rtf”')
    await expect(titleField(page)).toHaveValue('Lantern')
  })

  // The imported document is stored: it is still there after a reload.
  await page.reload()
  await expect(docs.getByRole('button', { name: /^The Night Ferry/ })).toBeVisible()
  // The refused import is the host's 400, which the browser logs; nothing else went wrong.
  expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([])
})
