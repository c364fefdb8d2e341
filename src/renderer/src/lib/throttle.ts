// Throttled calls that always deliver the latest value: at most one call per interval, the last value wins, and
// `flush` delivers a pending value at once (before switching documents, restoring, or leaving).
export interface Throttled<T> {
  push(value: T): void
  /** Delivers the pending value now, if any, and resolves when the call has settled. */
  flush(): Promise<void>
  cancel(): void
  readonly pending: boolean
}

export function throttle<T>(deliver: (value: T) => Promise<unknown> | void, intervalMs: number): Throttled<T> {
  let latest: { value: T } | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let inflight: Promise<unknown> = Promise.resolve()

  function fire(): Promise<void> {
    timer = null
    if (!latest) return inflight.then(() => undefined)
    const { value } = latest
    latest = null
    inflight = inflight.then(
      () => deliver(value),
      () => deliver(value)
    )
    return inflight.then(
      () => undefined,
      () => undefined
    )
  }

  return {
    push(value) {
      latest = { value }
      timer ??= setTimeout(() => void fire(), intervalMs)
    },
    flush() {
      if (timer) clearTimeout(timer)
      return fire()
    },
    cancel() {
      if (timer) clearTimeout(timer)
      timer = null
      latest = null
    },
    get pending() {
      return latest !== null
    }
  }
}
