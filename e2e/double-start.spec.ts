// A second start while a run is live (two Mod+Enter keydowns in the same tick) is refused with a notice and
// leaves the live run alone: it streams to the end, the fixed text around its gap stays, and what it wrote can
// be accepted and is saved.
import { expect, test } from '@playwright/test'
import { collectErrors, cursorAt, editorText, newDocument, openApp, setSettings, titleField } from './helpers'

const BEFORE = 'The storm had passed.'
const AFTER = ' She smiled.'

test('two Mod+Enter keydowns in one tick start one run; the other is refused', async ({ page }) => {
  const errors = collectErrors(page)
  await openApp(page)
  await setSettings(page, { 'Stop threshold': '1', 'Max tokens': '24', Alternatives: '1' })

  await newDocument(page, 'Double start')
  await page.locator('.cm-content').click()
  await page.keyboard.type(BEFORE + AFTER)
  await cursorAt(page, BEFORE.length)
  await page.keyboard.press('ControlOrMeta+g')
  await expect(page.locator('.cm-gap')).toHaveCount(1)

  await page.locator('.cm-content').evaluate((el) => {
    for (let i = 0; i < 2; i++)
      el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }))
  })
  await expect(page.getByText('A generation is already running', { exact: false })).toBeVisible()
  const bar = page.getByRole('region', { name: 'Generation' })
  await expect(bar.getByRole('button', { name: /Accept all/ })).toBeVisible({ timeout: 40_000 })
  const filled = await editorText(page)
  expect(filled.startsWith(BEFORE)).toBe(true)
  expect(filled.endsWith(AFTER)).toBe(true)
  expect(filled.length).toBeGreaterThan((BEFORE + AFTER).length)
  const insertions = Number((await page.getByTestId('run-insertions').textContent())?.split(' ')[0])
  expect(insertions).toBeGreaterThan(1)
  await expect(page.getByText(/out of step/)).toHaveCount(0)

  await bar.getByRole('button', { name: /Accept all/ }).click()
  await expect(bar).toBeHidden()
  expect(await editorText(page)).toBe(filled)
  await expect(page.getByTestId('save-status')).toHaveText('Saved')
  await page.reload()
  await expect(titleField(page)).toHaveValue('Double start')
  await expect.poll(() => editorText(page)).toBe(filled)
  expect(errors).toEqual([])
})
