// The model in use (polled while it loads) and the models the writer can switch to (Settings → Model).
import type { InlayApi, ModelInfo, ModelSummary } from '../../../shared/contract'
import type { Notices } from './notices.svelte'
import type { SettingsStore } from './settings.svelte'

const POLL_MS = 500

export class Models {
  current = $state<ModelInfo | null>(null)
  available = $state<ModelSummary[]>([])
  private timer: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly api: InlayApi['model'],
    private readonly notices: Notices,
    private readonly settings: SettingsStore
  ) {}

  async list(): Promise<void> {
    await this.notices.attempt('Could not list the models', async () => {
      this.available = await this.api.list()
    })
  }

  /** Asks about the model in use, and again every POLL_MS while it is loading. */
  async poll(): Promise<void> {
    const asked = await this.notices.attempt('Could not ask about the model', async () => {
      const info = await this.api.info()
      this.current = info
      if (info.status === 'loading') this.timer = setTimeout(() => void this.poll(), POLL_MS)
    })
    if (!asked) this.current = null
  }

  /** Switches the model (the app loads it, then swaps); the choice is remembered. */
  async choose(name: string): Promise<void> {
    if (this.current?.name === name) return
    this.current = this.current && { ...this.current, name, status: 'loading', progress: 0 }
    await this.settings.update({ model: name })
    await Promise.all([this.poll(), this.list()])
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
  }
}
