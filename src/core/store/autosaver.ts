// Debounced draft saving: edits are written after a short quiet spell, and at least every `maxWaitMs` while the
// user keeps typing, so a crash loses only the last moments of typing.
import type { DocumentContent } from '../../shared/documents'
import { StoreError } from './errors'

export interface DraftWriter {
  saveDraft(id: string, content: DocumentContent): unknown
}

export interface AutosaverOptions {
  /** Quiet time after the last update before the draft is written. */
  delayMs?: number
  /** Longest an update waits while updates keep coming. */
  maxWaitMs?: number
  /**
   * A timed write failed. The content stays pending (a later update, flush or dispose retries it) unless the
   * store refused it for good (invalid content, document gone). Default: console.error.
   */
  onError?: (error: unknown, id: string) => void
}

export const AUTOSAVE_DELAY_MS = 800
export const AUTOSAVE_MAX_WAIT_MS = 5000

interface Pending {
  content: DocumentContent
  /** When the oldest unwritten update arrived: the max-wait clock runs from here. */
  firstAt: number
  lastAt: number
  /** Its last write failed: the clock does not retry it (a full disk stays full); an update, flush or dispose does. */
  failed: boolean
}

/** Retrying these cannot succeed, so the content is dropped once reported. */
const PERMANENT_FAILURES = new Set(['invalid', 'not-found'])

export class Autosaver {
  private readonly pending = new Map<string, Pending>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private disposed = false
  private readonly delayMs: number
  private readonly maxWaitMs: number
  private readonly onError: (error: unknown, id: string) => void

  constructor(
    private readonly writer: DraftWriter,
    options: AutosaverOptions = {}
  ) {
    this.delayMs = options.delayMs ?? AUTOSAVE_DELAY_MS
    this.maxWaitMs = Math.max(options.maxWaitMs ?? AUTOSAVE_MAX_WAIT_MS, this.delayMs)
    this.onError = options.onError ?? ((error, id) => console.error(`[inlay] autosave of ${id} failed:`, error))
  }

  /**
   * Records the latest content of a document; it is written once edits pause (or max wait passes). The content
   * is kept by reference until then: pass a fresh object each time (IPC and JSON do).
   */
  update(id: string, content: DocumentContent): void {
    if (this.disposed) throw new Error('Autosaver is disposed')
    const now = Date.now()
    const firstAt = this.pending.get(id)?.firstAt ?? now
    this.pending.set(id, { content, firstAt, lastAt: now, failed: false })
    this.schedule()
  }

  /** Whether an update (of `id`, or of any document) is waiting to be written. */
  hasPending(id?: string): boolean {
    return id === undefined ? this.pending.size > 0 : this.pending.has(id)
  }

  /** Writes every pending draft now. Throws the first failure after trying them all. */
  flush(): void {
    const failures = this.write([...this.pending.keys()])
    this.schedule()
    if (failures.length > 0) throw failures[0].error
  }

  /** Flushes and stops: later updates are refused. */
  dispose(): void {
    this.disposed = true
    this.flush()
  }

  private dueAt(entry: Pending): number {
    return Math.min(entry.lastAt + this.delayMs, entry.firstAt + this.maxWaitMs)
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    if (this.disposed) return
    let next = Infinity
    for (const entry of this.pending.values()) if (!entry.failed) next = Math.min(next, this.dueAt(entry))
    if (next !== Infinity) this.timer = setTimeout(() => this.onTimer(), Math.max(0, next - Date.now()))
  }

  private onTimer(): void {
    const now = Date.now()
    const due = [...this.pending].filter(([, entry]) => !entry.failed && this.dueAt(entry) <= now)
    for (const { id, error } of this.write(due.map(([id]) => id))) this.onError(error, id)
    this.schedule()
  }

  private write(ids: string[]): { id: string; error: unknown }[] {
    const failures: { id: string; error: unknown }[] = []
    for (const id of ids) {
      const entry = this.pending.get(id)
      if (!entry) continue
      try {
        this.writer.saveDraft(id, entry.content)
        this.pending.delete(id)
      } catch (error) {
        if (error instanceof StoreError && PERMANENT_FAILURES.has(error.code)) this.pending.delete(id)
        else entry.failed = true
        failures.push({ id, error })
      }
    }
    return failures
  }
}
