import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiCallError } from '../../../shared/api-client'
import { said } from '../test-support/stores'
import { errorMessage, Notices } from './notices.svelte'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('notify', () => {
  it('adds notices in order, and the same words again replace the older one', () => {
    const notices = new Notices()
    notices.notify('Saved.')
    notices.notify('Could not rename: gone', 'error')
    notices.notify('Saved.')
    expect(notices.toasts.map((t) => [t.message, t.kind])).toEqual([
      ['Could not rename: gone', 'error'],
      ['Saved.', 'info']
    ])
    expect(new Set(notices.toasts.map((t) => t.id)).size).toBe(2)
  })

  it('leaves after 4 s (info), 8 s (warnings and errors) or 10 s (with an action)', () => {
    const notices = new Notices()
    notices.notify('info')
    notices.notify('warning', 'warning')
    notices.notify('error', 'error')
    notices.notify('undo', 'info', { label: 'Undo', run: () => {} })
    vi.advanceTimersByTime(3999)
    expect(said(notices)).toEqual(['info', 'warning', 'error', 'undo'])
    vi.advanceTimersByTime(1)
    expect(said(notices)).toEqual(['warning', 'error', 'undo'])
    vi.advanceTimersByTime(4000)
    expect(said(notices)).toEqual(['undo'])
    vi.advanceTimersByTime(2000)
    expect(said(notices)).toEqual([])
  })

  it('dismisses one notice by its id', () => {
    const notices = new Notices()
    notices.notify('a')
    notices.notify('b')
    notices.dismiss(notices.toasts[0]!.id)
    expect(said(notices)).toEqual(['b'])
  })
})

describe('attempt', () => {
  it('resolves true and says nothing when the action succeeds', async () => {
    const notices = new Notices()
    await expect(notices.attempt('Could not save', () => Promise.resolve(7))).resolves.toBe(true)
    expect(notices.toasts).toEqual([])
  })

  it('resolves false and says what failed and why when the action throws', async () => {
    const notices = new Notices()
    const failed = await notices.attempt('Could not save', () => Promise.reject(new Error('disk full')))
    expect(failed).toBe(false)
    expect(notices.toasts.map((t) => [t.message, t.kind])).toEqual([['Could not save: disk full', 'error']])
  })

  it('catches what a synchronous action throws, and words a thrown non-Error as text', async () => {
    const notices = new Notices()
    const thrown = await notices.attempt('Could not list', () => {
      throw 'offline'
    })
    expect(thrown).toBe(false)
    expect(said(notices)).toEqual(['Could not list: offline'])
  })

  it('says nothing when quiet', async () => {
    const notices = new Notices()
    expect(await notices.attempt('Could not open', () => Promise.reject(new Error('gone')), { quiet: true })).toBe(
      false
    )
    expect(notices.toasts).toEqual([])
  })

  it("shows the service's own message alone when asked to, and words other errors as usual", async () => {
    const notices = new Notices()
    const options = { serviceSaysWhy: true }
    const service = new ApiCallError('invalid-request', 'Nothing to export: “Moths” is empty')
    await notices.attempt('Could not export', () => Promise.reject(service), options)
    await notices.attempt('Could not export', () => Promise.reject(new Error('socket closed')), options)
    expect(said(notices)).toEqual(['Nothing to export: “Moths” is empty', 'Could not export: socket closed'])
  })
})

it('errorMessage reads an Error’s message and anything else as text', () => {
  expect(errorMessage(new Error('boom'))).toBe('boom')
  expect(errorMessage(42)).toBe('42')
})
