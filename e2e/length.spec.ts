// The length head in the app, with the tiny model that has one (tiny-length): a gap's options show the model's
// estimate, a gap ends by itself and says so, and while a run streams each gap shows how much the model still
// expects there, live; the tiny model without one says that it cannot estimate. With the shipped story model an
// unbounded one-sentence gap ends by itself.
import { expect, test, type Page } from '@playwright/test'
import { collectErrors, cursorAt, editorText, newDocument, openApp, setSettings, useModel } from './helpers'

const shipped = () => process.env['INLAY_E2E_MODEL_NAME']!

/** A fresh document holding `text`, with a gap (no options) at `at`. */
async function draftWithGap(page: Page, title: string, text: string, at: number): Promise<void> {
  await newDocument(page, title)
  await page.locator('.cm-content').click()
  await page.keyboard.type(text)
  await expect.poll(() => editorText(page)).toBe(text)
  await cursorAt(page, at)
  await page.keyboard.press('ControlOrMeta+g')
  await expect(page.locator('.cm-gap')).toHaveCount(1)
}

test.describe('with a length head', () => {
  test.beforeEach(async ({ page }) => {
    await openApp(page)
    await setSettings(page, { 'Max tokens': '200', Alternatives: '1', 'Insertions per step': '1' })
    await useModel(page, 'tiny-length')
  })
  test.afterEach(async ({ page }) => useModel(page, shipped()))

  test('the gap’s options show the estimate; the gap ends by itself and says why', async ({ page }) => {
    const errors = collectErrors(page)
    const text = 'She opened the letter and smiled.'
    await draftWithGap(page, 'Ends by itself', text, 0)
    await page.keyboard.press('ControlOrMeta+g') // at the gap: its options, with the model's estimate
    const dialog = page.getByRole('dialog', { name: 'Gap 1 options' })
    const estimate = dialog.getByTestId('gap-estimate')
    await expect(estimate).toHaveAttribute('data-status', 'ready')
    await expect(estimate).toHaveText(
      /^The model expects (less than a word|about a word|about \d+ words) here \(\d+\.\d tokens\)$/
    )
    await dialog.getByLabel('Min tokens').press('Escape')
    await expect(dialog).toBeHidden()

    await page.keyboard.press('ControlOrMeta+Enter')
    const bar = page.getByRole('region', { name: 'Generation' })
    await expect(bar.getByRole('button', { name: /Accept all/ })).toBeVisible({ timeout: 20_000 })
    await expect(bar.getByTestId('run-status')).toHaveText('Done: every gap ended by the model or at its maximum')
    await expect(bar.getByTestId('end-reason')).toHaveText(['ended by the model'])
    const filled = await editorText(page)
    expect(filled.endsWith(text)).toBe(true)
    expect(filled.length).toBeGreaterThan(text.length)
    await bar.getByRole('button', { name: /Accept all/ }).click()
    await expect(bar).toBeHidden()
    expect(errors).toEqual([])
  })

  test('while generating, the gap shows how much the model still expects there; the bar the least finished', async ({
    page
  }) => {
    const errors = collectErrors(page)
    const text = 'Once upon a lived by the river.'
    await draftWithGap(page, 'Live estimate', text, 'Once upon a'.length)
    await page.keyboard.press('ControlOrMeta+Enter')
    const badge = page.locator('.cm-fill-remaining')
    const behind = page.getByTestId('run-behind')
    const words = '(less than a word|about a word|about \\d+ words)'
    await expect(behind).toHaveText(new RegExp(`^Least finished: gap 1, ${words} to go$`))
    // The estimate moves as the text grows: several different readings while the run streams.
    const seen = new Set<string>()
    await expect
      .poll(
        async () => {
          const label = await badge.getAttribute('data-text', { timeout: 100 }).catch(() => null)
          if (label) seen.add(label)
          return seen.size
        },
        { intervals: [40], timeout: 20_000 }
      )
      .toBeGreaterThanOrEqual(2)
    for (const label of seen) expect(label).toMatch(new RegExp(`^${words}$`))
    const bar = page.getByRole('region', { name: 'Generation' })
    await expect(bar.getByRole('button', { name: /Accept all/ })).toBeVisible({ timeout: 20_000 })
    // Reviewing: no live estimate any more; the gap says honestly why it ended.
    await expect(badge).toHaveCount(0)
    await expect(behind).toHaveCount(0)
    await expect(bar.getByTestId('end-reason')).toHaveText([/^(ended by the model|the model’s window was full)$/])
    await bar.getByRole('button', { name: /Reject all/ }).click()
    await expect.poll(() => editorText(page)).toBe(text)
    expect(errors).toEqual([])
  })

  test('Settings → Length threshold: a higher one ends a gap sooner; blank is the model’s own', async ({ page }) => {
    const errors = collectErrors(page)
    await setSettings(page, { 'Length threshold': '50' })
    const text = 'Once upon a lived by the river.'
    await draftWithGap(page, 'Threshold', text, 'Once upon a'.length)
    await page.keyboard.press('ControlOrMeta+Enter')
    const bar = page.getByRole('region', { name: 'Generation' })
    await expect(bar.getByRole('button', { name: /Accept all/ })).toBeVisible({ timeout: 20_000 })
    // The model expects fewer than 50 tokens still missing as soon as the gap holds its first one.
    await expect(bar.getByTestId('run-insertions')).toHaveText('1 insertion')
    await expect(bar.getByTestId('end-reason')).toHaveText(['ended by the model'])
    await bar.getByRole('button', { name: /Reject all/ }).click()
    await setSettings(page, { 'Length threshold': '' })
    await page.getByRole('button', { name: 'Settings' }).click()
    await expect(page.getByLabel('Length threshold', { exact: true })).toHaveAttribute('placeholder', 'model: 0.5')
    await page.getByRole('button', { name: 'Close settings' }).click()
    expect(errors).toEqual([])
  })
})

test('a model without a length head says it cannot estimate a gap', async ({ page }) => {
  const errors = collectErrors(page)
  await openApp(page)
  await useModel(page, 'tiny-added') // the tiny test model of format 2: a stop head only
  await draftWithGap(page, 'No estimate', 'The storm had passed.', 0)
  await page.keyboard.press('ControlOrMeta+g')
  const estimate = page.getByRole('dialog', { name: 'Gap 1 options' }).getByTestId('gap-estimate')
  await expect(estimate).toHaveAttribute('data-status', 'unavailable')
  await expect(estimate).toContainText('No estimate: This model has no length head')
  await page.getByRole('dialog', { name: 'Gap 1 options' }).getByLabel('Min tokens').press('Escape')
  await useModel(page, shipped())
  expect(errors).toEqual([])
})

test('with the shipped model, an unbounded one-sentence gap ends by itself near a sentence’s length', async ({
  page
}) => {
  test.skip(shipped() !== 'inlay-story', 'needs the shipped story model')
  const errors = collectErrors(page)
  await openApp(page)
  await setSettings(page, { 'Max tokens': '200', Alternatives: '1', 'Insertions per step': '1' })
  const before = 'The rain had not stopped for three days. '
  const text = before + 'She put on her coat and walked to the station.'
  await draftWithGap(page, 'One sentence', text, before.length)
  await page.keyboard.press('ControlOrMeta+Enter')
  const bar = page.getByRole('region', { name: 'Generation' })
  await expect(bar.getByRole('button', { name: /Accept all/ })).toBeVisible({ timeout: 30_000 })
  await expect(bar.getByTestId('end-reason')).toHaveText(['ended by the model'])
  const filled = await editorText(page)
  expect(filled.startsWith(before) && filled.endsWith(text.slice(before.length))).toBe(true)
  // A sentence is some 5–40 words; the model's plan for a sentence-sized gap is about 25–45 tokens.
  const words = filled
    .slice(before.length, filled.length - (text.length - before.length))
    .split(/\s+/)
    .filter(Boolean)
  expect(words.length).toBeGreaterThanOrEqual(3)
  expect(words.length).toBeLessThanOrEqual(60)
  await bar.getByRole('button', { name: /Reject all/ }).click()
  expect(errors).toEqual([])
})
