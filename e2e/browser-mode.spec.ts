import { expect, test } from '@playwright/test'

function hostUrl(): string {
  const url = process.env['INLAY_URL']
  if (!url) throw new Error('INLAY_URL is not set; the global setup starts the host')
  return url
}

test('the renderer loads through the token and talks to the host API', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text())
  })
  await page.goto(hostUrl())
  await expect(page.getByRole('heading', { name: 'Inlay' })).toBeVisible()
  await expect(page.getByTestId('app-info')).toHaveText('Inlay e2e · browser mode')
  expect(errors).toEqual([])
})

test('without the token the host serves nothing', async ({ page }) => {
  const origin = new URL(hostUrl()).origin
  const response = await page.goto(`${origin}/`)
  expect(response?.status()).toBe(401)
})
