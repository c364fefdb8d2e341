import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DocumentContent } from '../../shared/documents'
import { Autosaver } from './autosaver'
import { DocumentStore } from './document-store'
import { StoreError } from './errors'
import { useTempFolders } from '../test-support/store-helpers'

const tempFolder = useTempFolders()
const stores: DocumentStore[] = []
afterEach(() => stores.splice(0).forEach((store) => store.close()))

function openStore(maxDatabaseBytes?: number): DocumentStore {
  const store = DocumentStore.open(tempFolder(), { maxDatabaseBytes })
  stores.push(store)
  return store
}

const typed = (body: string): DocumentContent => ({ title: 'Draft', body, gaps: [] })

/** The store, with every draft write it performed recorded in order. */
function recordingStore(maxDatabaseBytes?: number) {
  const store = openStore(maxDatabaseBytes)
  const writes: string[] = []
  const writer = {
    saveDraft(id: string, content: DocumentContent) {
      const saved = store.saveDraft(id, content)
      writes.push(saved.body)
      return saved
    }
  }
  return { store, writes, writer }
}

describe('Autosaver (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('writes once edits pause for delayMs, with the latest content only', () => {
    const { store, writes, writer } = recordingStore()
    const doc = store.create()
    const autosaver = new Autosaver(writer, { delayMs: 800, maxWaitMs: 5000 })
    autosaver.update(doc.id, typed('O'))
    vi.advanceTimersByTime(300)
    autosaver.update(doc.id, typed('On'))
    vi.advanceTimersByTime(300)
    autosaver.update(doc.id, typed('Once'))
    vi.advanceTimersByTime(799)
    expect(writes).toEqual([])
    expect(autosaver.hasPending(doc.id)).toBe(true)
    vi.advanceTimersByTime(1)
    expect(writes).toEqual(['Once'])
    expect(store.get(doc.id).body).toBe('Once')
    expect(autosaver.hasPending()).toBe(false)
    vi.advanceTimersByTime(10_000)
    expect(writes).toEqual(['Once'])
  })

  it('still writes every maxWaitMs while typing never pauses', () => {
    const { store, writes, writer } = recordingStore()
    const doc = store.create()
    const autosaver = new Autosaver(writer, { delayMs: 800, maxWaitMs: 5000 })
    let text = ''
    for (let keystroke = 1; keystroke <= 120; keystroke++) {
      text += 'a'
      autosaver.update(doc.id, typed(text))
      vi.advanceTimersByTime(100) // 10 keys a second, for 12 s
    }
    expect(writes.map((body) => body.length)).toEqual([50, 100])
    vi.advanceTimersByTime(800)
    expect(writes.map((body) => body.length)).toEqual([50, 100, 120])
  })

  it('keeps documents apart', () => {
    const { store, writes, writer } = recordingStore()
    const [a, b] = [store.create(), store.create()]
    const autosaver = new Autosaver(writer, { delayMs: 500 })
    autosaver.update(a.id, typed('first'))
    vi.advanceTimersByTime(400)
    autosaver.update(b.id, typed('second'))
    vi.advanceTimersByTime(100)
    expect(writes).toEqual(['first'])
    vi.advanceTimersByTime(400)
    expect(writes).toEqual(['first', 'second'])
    expect([store.get(a.id).body, store.get(b.id).body]).toEqual(['first', 'second'])
  })

  it('flush writes now; dispose flushes and refuses later updates', () => {
    const { store, writes, writer } = recordingStore()
    const doc = store.create()
    const autosaver = new Autosaver(writer)
    autosaver.update(doc.id, typed('now'))
    autosaver.flush()
    expect(writes).toEqual(['now'])
    autosaver.flush()
    expect(writes).toEqual(['now'])
    autosaver.update(doc.id, typed('at exit'))
    autosaver.dispose()
    expect(store.get(doc.id).body).toBe('at exit')
    vi.advanceTimersByTime(10_000)
    expect(writes).toEqual(['now', 'at exit'])
    expect(() => autosaver.update(doc.id, typed('late'))).toThrow(/disposed/)
  })

  it('on a full disk, reports the error and keeps the draft for the next try', () => {
    const { store, writer } = recordingStore(256 * 1024)
    const doc = store.create()
    const errors: unknown[] = []
    const autosaver = new Autosaver(writer, { delayMs: 100, onError: (error) => errors.push(error) })
    autosaver.update(doc.id, typed('x'.repeat(1_000_000)))
    vi.advanceTimersByTime(100)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'disk-full' })
    expect(autosaver.hasPending(doc.id)).toBe(true)
    // Not retried by the clock (the disk stays full until the user acts) …
    vi.advanceTimersByTime(10_000)
    expect(errors).toHaveLength(1)
    // … but flush retries it and reports the failure to its caller.
    expect(() => autosaver.flush()).toThrow(StoreError)
    // The next edit fits and replaces the pending draft.
    autosaver.update(doc.id, typed('shorter'))
    vi.advanceTimersByTime(100)
    expect(store.get(doc.id).body).toBe('shorter')
    expect(autosaver.hasPending()).toBe(false)
  })

  it('drops a draft the store refuses for good (document deleted)', () => {
    const { store, writer } = recordingStore()
    const doc = store.create()
    const errors: unknown[] = []
    const autosaver = new Autosaver(writer, { delayMs: 100, onError: (error) => errors.push(error) })
    autosaver.update(doc.id, typed('after delete'))
    store.delete(doc.id)
    vi.advanceTimersByTime(100)
    expect(errors).toMatchObject([{ code: 'not-found' }])
    expect(autosaver.hasPending()).toBe(false)
    autosaver.dispose()
  })
})

describe('Autosaver (real time)', () => {
  it('debounces and honours max wait on the real clock', async () => {
    const { store, writes, writer } = recordingStore()
    const doc = store.create()
    const autosaver = new Autosaver(writer, { delayMs: 100, maxWaitMs: 250 })
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    const started = Date.now()
    let text = ''
    while (Date.now() - started < 400) {
      text += 'a'
      autosaver.update(doc.id, typed(text))
      await sleep(10)
    }
    // Typing never paused for 100 ms, so the max wait wrote at least once, and far fewer times than updates came.
    expect(writes.length).toBeGreaterThanOrEqual(1)
    expect(writes.length).toBeLessThan(text.length / 4)
    await sleep(200)
    expect(writes.at(-1)).toBe(text)
    expect(store.get(doc.id).body).toBe(text)
    autosaver.dispose()
  })
})
