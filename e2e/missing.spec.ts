// "Where is something missing?" with the tiny length-head model: the map marks the places where the model expects
// text to be missing, shaded by how much, with a threshold to see more or fewer; a click or Enter at a mark makes
// it a gap, which then generates like any other. The map never changes the text. The shipped model (no length
// head) says it cannot make the map.
import { expect, test } from '@playwright/test'
import { collectErrors, editorText, newDocument, openApp, setSettings, useModel } from './helpers'

const TEXT = 'Once upon a time, a little fox. The old clock struck midnight. She opened and smiled.'

test('the map: shown by how much is missing, a threshold, mark → gap → generate', async ({ page }) => {
  test.setTimeout(120_000)
  const errors = collectErrors(page)
  await openApp(page)
  await setSettings(page, { 'Max tokens': '40', Alternatives: '1' })
  await useModel(page, 'tiny-length')
  await newDocument(page, 'Missing pieces')
  await page.locator('.cm-content').click()
  await page.keyboard.type(TEXT)

  const bar = page.getByRole('region', { name: 'Missing text' })
  const status = bar.getByTestId('map-status')
  const marks = page.locator('.cm-missing')
  await test.step('the shortcut reads the draft; the threshold shows more or fewer places', async () => {
    await page.keyboard.press('ControlOrMeta+Shift+G')
    await expect(status).toHaveText(/^\d+ places? where the model expects something missing$/)
    const atTwoWords = await marks.count()
    expect(atTwoWords).toBeGreaterThanOrEqual(1)
    await expect(status).toHaveText(
      `${atTwoWords} place${atTwoWords === 1 ? '' : 's'} where the model expects something missing`
    )
    const threshold = bar.getByLabel('Words missing at least')
    await threshold.fill('1')
    await expect(bar.getByTestId('map-threshold')).toHaveText('1 word')
    await expect.poll(() => marks.count()).toBeGreaterThan(atTwoWords)
    await threshold.fill('20')
    await expect(marks).toHaveCount(0)
    await expect(status).toHaveText('No place where the model expects this much missing')
    await threshold.fill('1')
    // Shaded by how much: each mark carries its amount and one of four levels.
    for (const mark of await marks.all()) {
      expect(Number(await mark.getAttribute('data-tokens'))).toBeGreaterThanOrEqual(1.4)
      expect(await mark.getAttribute('class')).toMatch(/cm-missing-[1-4]/)
    }
    expect(await editorText(page)).toBe(TEXT)
  })

  await test.step('a click on a mark, and Enter at the next one, make gaps; the text stays', async () => {
    const before = await marks.count()
    await marks.first().click()
    await expect(page.locator('.cm-gap')).toHaveCount(1)
    await expect(marks).toHaveCount(before - 1)
    expect(before).toBeGreaterThanOrEqual(2)
    await bar.getByRole('button', { name: 'Next place' }).click()
    await expect(page.locator('.cm-missing-current')).toHaveCount(1)
    await page.keyboard.press('Enter')
    await expect(page.locator('.cm-gap')).toHaveCount(2)
    expect(await editorText(page)).toBe(TEXT)
  })

  await test.step('generate: the new gaps fill', async () => {
    const gapCount = await page.locator('.cm-gap').count()
    await page.getByRole('button', { name: /^Generate/ }).click()
    const run = page.getByRole('region', { name: 'Generation' })
    await expect(run.getByRole('button', { name: /Accept all/ })).toBeVisible({ timeout: 30_000 })
    await expect(run.getByTestId('end-reason')).toHaveCount(gapCount)
    const filled = await editorText(page)
    expect(filled.length).toBeGreaterThan(TEXT.length)
    await run.getByRole('button', { name: /Accept all/ }).click()
    await expect(run).toBeHidden()
    expect(await editorText(page)).toBe(filled)
    await expect(page.locator('.cm-gap')).toHaveCount(0)
  })

  await test.step('the toolbar reads the new draft again; the map closes', async () => {
    await page.getByRole('button', { name: /^Missing\?/ }).click()
    await expect(status).toHaveText(/where the model expects|No place/)
    await bar.getByRole('button', { name: 'Close the map' }).click()
    await expect(bar).toBeHidden()
    await expect(marks).toHaveCount(0)
  })

  await useModel(page, process.env['INLAY_E2E_MODEL_NAME']!)
  expect(errors).toEqual([])
})

test('a model without a length head says it cannot make the map', async ({ page }) => {
  const errors = collectErrors(page)
  await openApp(page)
  await useModel(page, 'tiny-added') // the tiny test model of format 2: a stop head only
  await newDocument(page, 'No map')
  await page.locator('.cm-content').click()
  await page.keyboard.type(TEXT)
  await page.getByRole('button', { name: /^Missing\?/ }).click()
  const status = page.getByRole('region', { name: 'Missing text' }).getByTestId('map-status')
  await expect(status).toContainText('No map: This model has no length head')
  expect(await editorText(page)).toBe(TEXT)
  await useModel(page, process.env['INLAY_E2E_MODEL_NAME']!)
  expect(errors).toEqual([])
})
