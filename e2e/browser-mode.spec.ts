import { expect, test } from '@playwright/test'
import { collectErrors, hostUrl } from './helpers'

test('the renderer loads through the token and talks to the host API', async ({ page }) => {
  const errors = collectErrors(page)
  await page.goto(hostUrl())
  await expect(page.getByRole('heading', { name: 'Inlay' })).toBeVisible()
  await expect(page.getByTestId('app-info')).toHaveText('Inlay e2e · browser mode')
  await expect(page.getByTestId('model-status')).toContainText(`${process.env['INLAY_E2E_MODEL_NAME']} · cpu · ready`)
  expect(errors).toEqual([])
})

test('without the token the host serves nothing', async ({ page }) => {
  const origin = new URL(hostUrl()).origin
  const response = await page.goto(`${origin}/`)
  expect(response?.status()).toBe(401)
})
