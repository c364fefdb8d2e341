import { expect, test } from '@playwright/test'
import { collectErrors, hostUrl } from './helpers'

test('switch the model in Settings; the status bar follows; switch back', async ({ page }) => {
  const errors = collectErrors(page)
  const shipped = process.env['INLAY_E2E_MODEL_NAME']!
  await page.goto(hostUrl())
  await expect(page.getByTestId('model-status')).toContainText(`${shipped} · cpu · ready`)
  await page.getByRole('button', { name: 'Settings' }).click()
  const chooser = page.getByLabel('Model in use')
  await expect(chooser.locator('option')).toHaveText([shipped, 'tiny-added', 'tiny-length'])
  await chooser.selectOption('tiny-added')
  await expect(page.getByTestId('model-status')).toContainText('tiny-added · cpu · ready')
  await expect(page.getByTestId('model-info')).toContainText('48 tokens')
  await page.reload()
  await expect(page.getByTestId('model-status')).toContainText('tiny-added · cpu · ready')
  await page.getByRole('button', { name: 'Settings' }).click()
  await page.getByLabel('Model in use').selectOption(shipped)
  await expect(page.getByTestId('model-status')).toContainText(`${shipped} · cpu · ready`)
  expect(errors).toEqual([])
})
