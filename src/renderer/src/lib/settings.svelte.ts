// The writer's settings, and the page's theme that follows them.
import type { InlayApi, Settings } from '../../../shared/contract'
import type { Notices } from './notices.svelte'

export class SettingsStore {
  value = $state<Settings | null>(null)

  constructor(
    private readonly api: InlayApi['settings'],
    private readonly notices: Notices
  ) {}

  /** Reads the settings at start-up. Throws: without them the app cannot start, which start-up says in place. */
  async load(): Promise<void> {
    this.value = await this.api.get()
    this.applyTheme()
  }

  async update(patch: Partial<Settings>): Promise<boolean> {
    return this.notices.attempt('Could not change the settings', async () => {
      this.value = await this.api.set(patch)
      this.applyTheme()
    })
  }

  /** Dark if light (or the system's light), light if dark. */
  toggleTheme(): void {
    const theme = this.value?.theme
    if (!theme) return
    const dark = theme === 'dark' || (theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches)
    void this.update({ theme: dark ? 'light' : 'dark' })
  }

  private applyTheme(): void {
    if (this.value) document.documentElement.dataset['theme'] = this.value.theme
  }
}
