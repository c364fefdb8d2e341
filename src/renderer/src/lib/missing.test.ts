import { EditorState, type TransactionSpec } from '@codemirror/state'
import type { EditorView } from '@codemirror/view'
import { expect, it } from 'vitest'
import type { MissingEvent, MissingStart } from '../../../shared/contract'
import { draftStores, fakeApi, said, storedDocument } from '../test-support/stores'
import { fillExtension } from './editor/fill-field'
import { gapExtension } from './editor/gap-field'
import { missingExtension, shownMarks } from './editor/missing-field'
import { WORDS_PER_TOKEN } from './lengths'
import { MissingMap } from './missing.svelte'

const TEXT = 'Once upon a time, a little fox. The old clock struck midnight.'

/** The editor without a view: the map's state, and the update listener that tells the store about it. */
class Host {
  focused = false
  constructor(
    public state: EditorState,
    private readonly listener: (update: { startState: EditorState; state: EditorState }) => void
  ) {}
  dispatch(spec: TransactionSpec): void {
    const startState = this.state
    this.state = this.state.update(spec).state
    this.listener({ startState, state: this.state })
  }
  focus(): void {
    this.focused = true
  }
}

function stores(blocked = false) {
  const { draft, notices } = draftStores()
  draft.load(storedDocument({ body: TEXT }))
  const api = fakeApi('missing', ['start'])
  const streams: { request: MissingStart; send: (e: MissingEvent) => void; end: () => void; stopped: boolean }[] = []
  api.start.mockImplementation((request, onEvent) => {
    let end!: () => void
    const finished = new Promise<void>((resolve) => (end = resolve))
    const stream = { request, send: onEvent, end, stopped: false }
    streams.push(stream)
    return { stop: () => void (stream.stopped = true), finished }
  })
  const map = new MissingMap(api, notices, draft, { blocks: () => blocked })
  const host = new Host(
    EditorState.create({ doc: TEXT, extensions: [gapExtension([]), fillExtension(), missingExtension()] }),
    (update) => map.changed(update)
  )
  // The store uses only the editor's state, dispatch and focus.
  draft.view = host as unknown as EditorView
  return { map, host, notices, streams }
}

const words = (n: number) => n / WORDS_PER_TOKEN

it('reads the draft in the background and puts what each part finds on the map', () => {
  const { map, host, streams } = stores()
  map.start()
  expect(streams).toHaveLength(1)
  expect(streams[0]!.request.text).toBe(TEXT)
  expect(map.report).toMatchObject({ phase: 'reading', done: 0, shown: 0 })
  const s = streams[0]!
  s.send({ type: 'started', runId: 'r', provider: 'cpu' })
  s.send({ type: 'window', done: 1, total: 2, marks: [{ offset: 11, tokens: words(3) }] })
  expect(map.report).toMatchObject({ phase: 'reading', done: 1, total: 2, shown: 1, found: 1 })
  s.send({ type: 'window', done: 2, total: 2, marks: [{ offset: 31, tokens: words(1) }] })
  s.send({ type: 'done', marks: [], done: 2, total: 2, aborted: false, elapsedMs: 3 })
  // Two words by default: one of the two places shows; one word shows both.
  expect(map.report).toMatchObject({ phase: 'done', shown: 1, found: 2 })
  map.setWords(1)
  expect(map.report).toMatchObject({ shown: 2, found: 2 })
  expect(shownMarks(host.state).map((m) => m.at)).toEqual([11, 31])
  expect(host.state.doc.toString()).toBe(TEXT)
  // Next place: the cursor goes to the next mark after it, wrapping.
  host.dispatch({ selection: { anchor: 12 } })
  map.next()
  expect(host.state.selection.main.head).toBe(31)
  map.next()
  expect(host.state.selection.main.head).toBe(11)
  expect(host.focused).toBe(true)
  map.clear()
  expect(map.report).toBeNull()
  expect(shownMarks(host.state)).toEqual([])
})

it('refuses a second start while reading, stops on request, and waits for the model to be free', async () => {
  const { map, notices, streams } = stores()
  map.start()
  map.start()
  expect(streams).toHaveLength(1)
  expect(said(notices)).toEqual(['The draft is already being read for missing text: wait, or press Escape to stop it.'])
  const waited = map.stopAndWait()
  expect(streams[0]!.stopped).toBe(true)
  expect(map.report?.phase).toBe('stopping')
  expect(map.stop()).toBe(true)
  streams[0]!.send({ type: 'done', marks: [], done: 1, total: 3, aborted: true, elapsedMs: 1 })
  streams[0]!.end()
  await waited
  expect(map.reading).toBe(false)
  expect(map.stop()).toBe(false)
  expect(map.report).toMatchObject({ phase: 'stopped', done: 1, total: 3 })
})

it('says why there is no map, and starts none while a generation holds the editor', () => {
  const { map, streams } = stores()
  map.start()
  streams[0]!.send({ type: 'error', message: 'This model has no length head' })
  expect(map.report).toMatchObject({ phase: 'failed', error: 'This model has no length head' })
  const blocked = stores(true)
  blocked.map.start()
  expect(blocked.streams).toHaveLength(0)
  expect(blocked.map.report).toBeNull()
})
