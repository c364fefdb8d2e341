// Shared steps for the browser-mode tests: the host's address, the editor's text, and typing into CodeMirror.
import { expect, type Locator, type Page } from '@playwright/test'

export function hostUrl(): string {
  const url = process.env['INLAY_URL']
  if (!url) throw new Error('INLAY_URL is not set; the global setup starts the host')
  return url
}

/** The editor's text as the writer sees it (gap badges draw their labels with CSS, so they add no text). */
export function editorText(page: Page): Promise<string> {
  return page.locator('.cm-content').evaluate((el) =>
    Array.from(el.querySelectorAll('.cm-line'))
      .map((line) => line.textContent ?? '')
      .join('\n')
  )
}

export function titleField(page: Page): Locator {
  return page.getByRole('textbox', { name: 'Title', exact: true })
}

/** Opens the app and waits until a document is loaded. */
export async function openApp(page: Page): Promise<void> {
  await page.goto(hostUrl())
  await expect(titleField(page)).toBeVisible()
  await expect(page.getByTestId('model-status')).toContainText('ready')
}

export async function newDocument(page: Page, title: string): Promise<void> {
  const docs = page.getByRole('list', { name: 'Documents' }).getByRole('listitem')
  const before = await docs.count()
  await page.getByRole('button', { name: 'New', exact: true }).click()
  await expect(docs).toHaveCount(before + 1)
  await expect(titleField(page)).toHaveValue('Untitled')
  await titleField(page).fill(title)
  await titleField(page).press('Enter')
}

/** Puts the cursor at an offset of a one-line draft. */
export async function cursorAt(page: Page, offset: number): Promise<void> {
  await page.locator('.cm-content').focus()
  await page.keyboard.press('ControlOrMeta+Home')
  for (let i = 0; i < offset; i++) await page.keyboard.press('ArrowRight')
}

/** Collects console errors and page errors, to check a test ran clean. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text())
  })
  return errors
}

/** Sets one generation setting in the settings panel (it saves on change). */
export async function setSetting(page: Page, label: string, value: string): Promise<void> {
  const input = page.getByLabel(label, { exact: true })
  await input.fill(value)
  await input.press('Tab')
  await expect(input).toHaveValue(value)
}

/** Opens Settings, sets generation settings by label, and closes it again. */
export async function setSettings(page: Page, values: Record<string, string>): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click()
  for (const [label, value] of Object.entries(values)) await setSetting(page, label, value)
  await page.getByRole('button', { name: 'Close settings' }).click()
}

/** Switches the model in Settings and waits until it is ready (the settings panel is left closed). */
export async function useModel(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click()
  await page.getByLabel('Model in use').selectOption(name)
  await expect(page.getByTestId('model-status')).toContainText(`${name} · cpu · ready`)
  await page.getByRole('button', { name: 'Close settings' }).click()
}
