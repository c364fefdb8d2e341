// The whole writing loop through the web host with the real tiny model: write, mark two gaps with options,
// generate and watch the text grow, stop mid-way, accept, undo the generation in one step, reload, find the
// document, restore a revision.
import { expect, test, type Page } from '@playwright/test'
import { collectErrors, cursorAt, editorText, newDocument, openApp, setSetting, titleField } from './helpers'

const DRAFT = 'The fox ran. Old words. The end.'

async function markGapWithOptions(page: Page, options: Record<string, string>): Promise<void> {
  await page.keyboard.press('ControlOrMeta+g') // marks the gap
  await page.keyboard.press('ControlOrMeta+g') // at a gap: opens its options
  const dialog = page.getByRole('dialog')
  await expect(dialog).toBeVisible()
  for (const [label, value] of Object.entries(options)) await dialog.getByLabel(label).fill(value)
  await dialog.getByLabel('Max tokens').press('Enter')
  await expect(dialog).toBeHidden()
}

test('write, gap, generate, stop, accept, undo, reload, restore', async ({ page }) => {
  test.setTimeout(120_000)
  const errors = collectErrors(page)
  await openApp(page)

  await test.step('settings: long runs (stop threshold 1, many tokens)', async () => {
    await page.getByRole('button', { name: 'Settings' }).click()
    await setSetting(page, 'Stop threshold', '1')
    await setSetting(page, 'Max tokens', '2000')
    await setSetting(page, 'Alternatives', '1')
    await expect(page.getByTestId('model-info')).toContainText('cpu')
    await page.getByRole('button', { name: 'Close settings' }).click()
  })

  await test.step('write a draft and mark two gaps with options', async () => {
    await newDocument(page, 'Fox story')
    await page.locator('.cm-content').click()
    await page.keyboard.type(DRAFT)
    await expect.poll(() => editorText(page)).toBe(DRAFT)
    await expect(page.getByTestId('word-count')).toHaveText('7 words')
    // An insertion point after "The fox", at most 12 tokens.
    await cursorAt(page, 'The fox'.length)
    await markGapWithOptions(page, { 'Max tokens': '12' })
    // "Old words" to rewrite, with a required word.
    await cursorAt(page, 'The fox ran. '.length)
    for (let i = 0; i < 'Old words'.length; i++) await page.keyboard.press('Shift+ArrowRight')
    await markGapWithOptions(page, { 'Required words': 'river', 'Max tokens': '10' })
    await expect(page.locator('.cm-gap')).toHaveCount(2)
    await expect(page.locator('.cm-gap-rewrite')).toHaveText('Old words')
    // A bad option is refused with a message, and nothing changes.
    await cursorAt(page, 'The fox'.length)
    await page.keyboard.press('ControlOrMeta+g')
    const dialog = page.getByRole('dialog', { name: 'Gap 1 options' })
    await dialog.getByLabel('Min tokens').fill('20')
    await dialog.getByLabel('Min tokens').press('Enter')
    await expect(dialog.getByRole('alert')).toHaveText('At least the minimum')
    await dialog.getByLabel('Min tokens').press('Escape')
    await expect(dialog).toBeHidden()
    await expect(page.getByText('2 gaps')).toBeVisible()
  })

  let stoppedText = ''
  await test.step('generate: insertions stream in place; stop mid-way', async () => {
    await page.keyboard.press('ControlOrMeta+Enter')
    await expect(page.getByTestId('run-status')).toHaveText('Generating…')
    // The rewrite range lost its text; the fixed text stays.
    await expect.poll(() => editorText(page)).not.toContain('Old words')
    const lengths = new Set<number>()
    await expect
      .poll(
        async () => {
          lengths.add((await editorText(page)).length)
          return lengths.size
        },
        { intervals: [30], timeout: 20_000 }
      )
      .toBeGreaterThanOrEqual(4)
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('run-status')).toHaveText('Stopped')
    const insertions = Number((await page.getByTestId('run-insertions').textContent())?.split(' ')[0])
    expect(insertions).toBeGreaterThanOrEqual(3)
    expect(insertions).toBeLessThan(22) // both gaps' maxima: the run did not finish
    stoppedText = await editorText(page)
    expect(stoppedText.startsWith('The fox')).toBe(true)
    expect(stoppedText).toContain(' ran. ')
    expect(stoppedText.endsWith('. The end.')).toBe(true)
    // Nothing moves after the stop.
    await page.waitForTimeout(400)
    expect(await editorText(page)).toBe(stoppedText)
    // The timeline replays the insertion order: back to the fixed text, then forward again.
    const slider = page.getByLabel('Replay the insertions')
    await slider.focus()
    await page.keyboard.press('Home')
    await expect.poll(() => editorText(page)).toBe('The fox ran. . The end.')
    await page.keyboard.press('End')
    await expect.poll(() => editorText(page)).toBe(stoppedText)
  })

  await test.step('accept, then undo the whole generation in one step', async () => {
    await page.getByRole('button', { name: /Accept all/ }).click()
    await expect(page.getByRole('region', { name: 'Generation' })).toBeHidden()
    expect(await editorText(page)).toBe(stoppedText)
    await expect(page.getByText('0 gaps')).toBeVisible()
    await page.locator('.cm-content').focus()
    await page.keyboard.press('ControlOrMeta+z')
    await expect.poll(() => editorText(page)).toBe(DRAFT)
    await expect(page.locator('.cm-gap')).toHaveCount(2)
    // Shift+Z as a keyboard sends it (Playwright's "Shift+z" sends a lowercase z, which CodeMirror reads as undo).
    await page.keyboard.press('ControlOrMeta+Shift+Z')
    await expect.poll(() => editorText(page)).toBe(stoppedText)
    await expect(page.locator('.cm-gap')).toHaveCount(0)
  })

  await test.step('save, reload, find the document in the library', async () => {
    await page.keyboard.press('ControlOrMeta+s')
    await expect(page.getByText('Saved. A revision was created.')).toBeVisible()
    await expect(page.getByTestId('save-status')).toHaveText('Saved')
    await page.reload()
    await expect(titleField(page)).toHaveValue('Fox story')
    await expect.poll(() => editorText(page)).toBe(stoppedText)
    await page.getByLabel('Search documents by title').fill('fox st')
    const docs = page.getByRole('list', { name: 'Documents' })
    await expect(docs.getByRole('button', { name: /^Fox story/ })).toBeVisible()
    await expect(docs.getByRole('listitem')).toHaveCount(1)
  })

  await test.step('restore the revision taken before the generation', async () => {
    await page.getByRole('button', { name: 'Revisions' }).click()
    const revisions = page.getByRole('list', { name: 'Revisions' })
    await expect(revisions.getByRole('button', { name: /Saved/ })).toBeVisible()
    await revisions.getByRole('button', { name: /Before generation/ }).click()
    await expect(page.getByTestId('revision-preview')).toHaveText(DRAFT)
    await page.getByRole('button', { name: 'Restore this revision' }).click()
    await expect.poll(() => editorText(page)).toBe(DRAFT)
    await expect(page.locator('.cm-gap')).toHaveCount(2)
    await expect(revisions.getByRole('button', { name: /Before restore/ })).toBeVisible()
  })

  expect(errors).toEqual([])
})

test('alternatives, per-gap accept and reject, and the rejected gap stays marked', async ({ page }) => {
  const errors = collectErrors(page)
  await openApp(page)
  await page.getByRole('button', { name: 'Settings' }).click()
  await setSetting(page, 'Stop threshold', '0.9')
  await setSetting(page, 'Alternatives', '2')
  await page.getByRole('button', { name: 'Close settings' }).click()

  await newDocument(page, 'Two takes')
  const draft = 'The fox ran. The end.'
  await page.locator('.cm-content').click()
  await page.keyboard.type(draft)
  await cursorAt(page, 'The fox'.length)
  await markGapWithOptions(page, { 'Min tokens': '1', 'Max tokens': '3' })
  await cursorAt(page, draft.length)
  await markGapWithOptions(page, { 'Min tokens': '1', 'Max tokens': '3' })

  await page.getByRole('button', { name: /^Generate/ }).click()
  const bar = page.getByRole('region', { name: 'Generation' })
  await expect(bar.getByRole('button', { name: /Accept all/ })).toBeVisible({ timeout: 20_000 })
  await expect(bar.getByTestId('alternative')).toHaveText('Alternative 1 of 2')
  const first = await editorText(page)
  // Alt+] shows the other alternative in place; Alt+[ comes back.
  await page.keyboard.press('Alt+]')
  await expect(bar.getByTestId('alternative')).toHaveText('Alternative 2 of 2')
  const second = await editorText(page)
  expect(second.startsWith('The fox')).toBe(true)
  await page.keyboard.press('Alt+[')
  await expect.poll(() => editorText(page)).toBe(first)

  // Reject the first gap: its text goes; accept the second: the run ends with only that text.
  await bar.getByRole('button', { name: 'Reject gap 1' }).click()
  const afterReject = await editorText(page)
  expect(afterReject.startsWith('The fox ran. The end.')).toBe(true)
  await bar.getByRole('button', { name: 'Accept gap 2' }).click()
  await expect(bar).toBeHidden()
  expect(await editorText(page)).toBe(afterReject)
  await expect(page.locator('.cm-gap')).toHaveCount(1)
  // One undo: the draft as it was, both gaps marked.
  await page.locator('.cm-content').focus()
  await page.keyboard.press('ControlOrMeta+z')
  await expect.poll(() => editorText(page)).toBe(draft)
  await expect(page.locator('.cm-gap')).toHaveCount(2)
  expect(errors).toEqual([])
})
