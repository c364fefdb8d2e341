// The document library: create, rename, search by title, delete with undo, and reopening the last document.
import { expect, test } from '@playwright/test'
import { collectErrors, editorText, newDocument, openApp, titleField } from './helpers'

test('create, rename, search, delete with undo, reopen the last document', async ({ page }) => {
  const errors = collectErrors(page)
  await openApp(page)
  const docs = page.getByRole('list', { name: 'Documents' })

  await newDocument(page, 'Harbour notes')
  await page.locator('.cm-content').click()
  await page.keyboard.type('Gulls over the *harbour*.')
  await newDocument(page, 'Lighthouse draft')
  await page.locator('.cm-content').click()
  await page.keyboard.type('The keeper climbs.')
  await expect(docs.getByRole('button', { name: /^Lighthouse draft/ })).toHaveAttribute('aria-current', 'page')

  // Rename through the title field.
  await titleField(page).fill('Lighthouse, second draft')
  await titleField(page).press('Enter')
  await expect(docs.getByRole('button', { name: /^Lighthouse, second draft/ })).toBeVisible()

  // Search by title.
  await page.getByLabel('Search documents by title').fill('harb')
  await expect(docs.getByRole('listitem')).toHaveCount(1)
  await docs.getByRole('button', { name: /^Harbour notes/ }).click()
  await expect.poll(() => editorText(page)).toBe('Gulls over the *harbour*.')
  await expect(page.locator('.cm-em')).toHaveText('harbour')
  await page.getByLabel('Search documents by title').fill('')

  // Delete, then undo from the notice.
  await page.getByRole('button', { name: 'Delete “Lighthouse, second draft”' }).click()
  await expect(docs.getByRole('button', { name: /^Lighthouse, second draft/ })).toHaveCount(0)
  await page.getByRole('status').getByRole('button', { name: 'Undo' }).click()
  await expect(docs.getByRole('button', { name: /^Lighthouse, second draft/ })).toBeVisible()
  await expect(titleField(page)).toHaveValue('Lighthouse, second draft')
  await expect.poll(() => editorText(page)).toBe('The keeper climbs.')

  // The app reopens the last document.
  await docs.getByRole('button', { name: /^Harbour notes/ }).click()
  await expect(titleField(page)).toHaveValue('Harbour notes')
  await page.reload()
  await expect(titleField(page)).toHaveValue('Harbour notes')
  await expect.poll(() => editorText(page)).toBe('Gulls over the *harbour*.')
  expect(errors).toEqual([])
})

test('themes: light, dark and system', async ({ page }) => {
  await openApp(page)
  await page.getByRole('button', { name: 'Settings' }).click()
  const theme = page.getByLabel('Theme')
  await theme.selectOption('dark')
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
  await theme.selectOption('light')
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(dark)
  await theme.selectOption('system')
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'system')
})
