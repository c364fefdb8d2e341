// Takes the README's screenshot (resources/screenshot.png): the editor mid-generation. Skipped unless asked for:
//   npm run build && INLAY_SCREENSHOT=1 INLAY_E2E_STEP_DELAY_MS=400 npx playwright test screenshot
import { expect, test } from '@playwright/test'
import { cursorAt, editorText, newDocument, openApp, setSetting } from './helpers'

test.skip(!process.env['INLAY_SCREENSHOT'], 'takes the README screenshot only when INLAY_SCREENSHOT=1')
test.use({ viewport: { width: 1100, height: 560 } })

test('README screenshot: the editor mid-generation', async ({ page }) => {
  test.setTimeout(120_000)
  await openApp(page)
  await page.getByRole('button', { name: 'Settings' }).click()
  await setSetting(page, 'Stop threshold', '1')
  await page.getByLabel('Theme').selectOption('light')
  await page.getByRole('button', { name: 'Close settings' }).click()
  for (const [title, text] of [
    ['Harbour notes', 'Gulls over the *harbour*.'],
    ['Lighthouse, second draft', 'The keeper climbs.']
  ] as const) {
    await newDocument(page, title)
    await page.locator('.cm-content').click()
    await page.keyboard.type(text)
  }
  await newDocument(page, 'The fox and the clock')
  const first = 'Once upon a time, a little fox by the river.'
  await page.locator('.cm-content').click()
  await page.keyboard.type(`${first}\n\n* * *\n\nThe old clock in the hall midnight.`)
  // A gap after "fox" and one before "midnight", each with a few tokens.
  await cursorAt(page, 'Once upon a time, a little fox'.length)
  await page.keyboard.press('ControlOrMeta+g')
  await page.keyboard.press('ControlOrMeta+g')
  await page.getByRole('dialog').getByLabel('Max tokens').fill('3')
  await page.getByRole('dialog').getByLabel('Max tokens').press('Enter')
  await cursorAt(page, `${first}\n\n* * *\n\nThe old clock in the hall`.length)
  await page.keyboard.press('ControlOrMeta+g')
  await page.keyboard.press('ControlOrMeta+g')
  await page.getByRole('dialog').getByLabel('Required words').fill('struck')
  await page.getByRole('dialog').getByLabel('Max tokens').fill('4')
  await page.getByRole('dialog').getByLabel('Max tokens').press('Enter')
  const before = (await editorText(page)).length
  await page.keyboard.press('ControlOrMeta+Enter')
  await expect.poll(async () => (await editorText(page)).length - before, { intervals: [50] }).toBeGreaterThan(10)
  await expect(page.getByTestId('run-status')).toHaveText('Generating…')
  await page.screenshot({ path: 'resources/screenshot.png' })
  await page.keyboard.press('Escape')
})
