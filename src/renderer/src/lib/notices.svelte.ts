// The notices (toasts) the writer sees, and the one way the stores report a failed call to the app.
import { ApiCallError } from '../../../shared/api-client'

export interface Toast {
  id: number
  message: string
  kind: 'info' | 'warning' | 'error'
  action?: { label: string; run: () => void }
}

export interface AttemptOptions {
  /** Say nothing on failure (a document opened at start-up that is gone): the caller moves on. */
  quiet?: boolean
  /** The service's own messages say what is wrong ("Nothing to export: … is empty"), so they stand alone. */
  serviceSaysWhy?: boolean
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export class Notices {
  toasts = $state<Toast[]>([])
  private lastId = 0

  notify(text: string, kind: Toast['kind'] = 'info', action?: Toast['action']): void {
    const toast: Toast = { id: ++this.lastId, message: text, kind, action }
    // The same words again replace the older notice instead of stacking up.
    this.toasts = [...this.toasts.filter((t) => t.message !== text), toast]
    setTimeout(() => this.dismiss(toast.id), action ? 10_000 : kind === 'info' ? 4000 : 8000)
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id)
  }

  /**
   * Runs `action`; when it throws, tells the writer "`failure`: why" and resolves to false instead of throwing,
   * so that callers only decide what to do next.
   */
  async attempt(failure: string, action: () => Promise<unknown>, options: AttemptOptions = {}): Promise<boolean> {
    try {
      await action()
      return true
    } catch (err) {
      if (!options.quiet) {
        const own = options.serviceSaysWhy && err instanceof ApiCallError
        this.notify(own ? err.message : `${failure}: ${errorMessage(err)}`, 'error')
      }
      return false
    }
  }
}
