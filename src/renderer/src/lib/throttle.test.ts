import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { throttle } from './throttle'

describe('throttle', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('delivers the latest value at most once per interval, and a pending one at flush', async () => {
    const seen: string[] = []
    const t = throttle((v: string) => void seen.push(v), 300)
    t.push('a')
    t.push('ab')
    await vi.advanceTimersByTimeAsync(299)
    expect(seen).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(seen).toEqual(['ab'])
    t.push('abc')
    expect(t.pending).toBe(true)
    await t.flush()
    expect(seen).toEqual(['ab', 'abc'])
    await vi.advanceTimersByTimeAsync(1000)
    expect(seen).toEqual(['ab', 'abc'])
    t.push('x')
    t.cancel()
    await vi.advanceTimersByTimeAsync(1000)
    expect(seen).toEqual(['ab', 'abc'])
  })

  it('keeps deliveries in order even when one fails', async () => {
    const seen: number[] = []
    const t = throttle(async (v: number) => {
      seen.push(v)
      if (v === 1) throw new Error('offline')
    }, 100)
    t.push(1)
    await t.flush()
    t.push(2)
    await t.flush()
    expect(seen).toEqual([1, 2])
  })
})
