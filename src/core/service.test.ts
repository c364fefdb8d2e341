import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  ExportOutcome,
  GapEstimates,
  GenerationEvent,
  MissingEvent,
  ModelInfo,
  Settings
} from '../shared/contract'
import type { StoredDocument } from '../shared/documents'
import { TINY_LENGTH } from './test-support/models'
import { ApiFailure, createService, fileNameFor, type Service } from './service'
import { DocumentStore, TRASH_KEEP_MS } from './store'

let dir: string
let service: Service

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inlay-service-'))
  service = createService({ host: 'web', version: 't', dataDir: dir, modelDir: resolve('src/core/testdata/tiny-ilm') })
})
afterAll(async () => {
  await service.close()
  await rm(dir, { recursive: true, force: true })
})

describe('service', () => {
  it('exports with the author from settings, as a download in browser mode', async () => {
    await service.dispatch('settings:set', { author: 'Ada Byron' } satisfies Partial<Settings>)
    const doc = (await service.dispatch('documents:create', {
      content: { title: 'Night / Day', body: 'The “old” clock — *struck*.', gaps: [] }
    })) as StoredDocument
    const outcome = (await service.dispatch('export:documents', { ids: [doc.id], format: 'md' })) as ExportOutcome
    expect(outcome).toMatchObject({
      kind: 'download',
      fileName: 'Night Day.md',
      mimeType: expect.stringContaining('markdown')
    })
    if (outcome.kind !== 'download') throw new Error('expected a download')
    const text = Buffer.from(outcome.base64, 'base64').toString('utf8')
    expect(text).toContain('Ada Byron')
    expect(text).toContain('The “old” clock — *struck*.')
  })

  it('imports a file into a new document and opens it next time', async () => {
    const base64 = Buffer.from('# Imported\n\nFirst paragraph with _emphasis_.\n').toString('base64')
    const doc = (await service.dispatch('import:document', { fileName: 'story.md', base64 })) as StoredDocument
    expect(doc.title).toBe('Imported')
    expect(doc.body).toContain('emphasis')
    const settings = (await service.dispatch('settings:get', {})) as Settings
    expect(settings.lastDocumentId).toBe(doc.id)
  })

  it('turns bad input into clear, typed failures', async () => {
    const bad = (channel: string, payload: unknown) =>
      service.dispatch(channel, payload).then(
        () => null,
        (e: unknown) => e
      )
    const empty = (await service.dispatch('documents:create', {})) as StoredDocument
    const refused = await bad('export:documents', { ids: [empty.id], format: 'pdf' })
    expect(refused).toBeInstanceOf(ApiFailure)
    expect((refused as ApiFailure).error).toMatchObject({
      code: 'invalid-request',
      message: expect.stringMatching(/empty/i)
    })
    expect(((await bad('import:document', { fileName: 'x.exe', base64: 'AAAA' })) as ApiFailure).error.code).toBe(
      'invalid-request'
    )
    expect(
      ((await bad('documents:open', { id: 'c0ffee00-0000-4000-8000-000000000000' })) as ApiFailure).error.code
    ).toBe('not-found')
    expect(((await bad('export:documents', { ids: [], format: 'md' })) as ApiFailure).error.code).toBe(
      'invalid-request'
    )
    expect(((await bad('settings:set', { theme: 'neon' })) as ApiFailure).error.code).toBe('invalid-request')
  })

  it('names export files safely', () => {
    expect(fileNameFor('a/b\\c:d*?"<>|e', 'pdf')).toBe('a b c d e.pdf')
    expect(fileNameFor('   ', 'txt')).toBe('Untitled.txt')
  })
})

describe('models', () => {
  it('lists the default and the models under the roots, switches, and remembers the choice', async () => {
    const root = join(dir, 'user-models')
    const { cp } = await import('node:fs/promises')
    await cp(resolve('src/core/testdata/tiny-ilm'), join(root, 'tiny-copy'), { recursive: true })
    const data = join(dir, 'switching')
    const options = {
      host: 'web' as const,
      version: 't',
      dataDir: data,
      modelDir: resolve('src/core/testdata/tiny-ilm'),
      modelRoots: [root]
    }
    const first = createService(options)
    const list = (await first.dispatch('model:list', {})) as { name: string; active: boolean }[]
    expect(list.map((m) => [m.name, m.active])).toEqual([
      ['tiny-ilm', true],
      ['tiny-copy', false]
    ])
    await first.dispatch('settings:set', { model: 'tiny-copy' })
    expect(await first.dispatch('model:info', {})).toMatchObject({ name: 'tiny-copy', status: 'ready' })
    const refused = await first.dispatch('settings:set', { model: 'nope' }).catch((e: unknown) => e)
    expect((refused as ApiFailure).error).toMatchObject({
      code: 'invalid-request',
      message: expect.stringMatching(/No model named "nope"/)
    })
    await first.close()
    // the next start loads the chosen model
    const second = createService(options)
    await expect
      .poll(async () => ((await second.dispatch('model:info', {})) as { status: string }).status)
      .toBe('ready')
    expect(await second.dispatch('model:info', {})).toMatchObject({ name: 'tiny-copy' })
    await second.close()
  })
})

describe('start-up', () => {
  it('empties the trash: documents deleted longer than TRASH_KEEP_MS ago are gone, later ones can come back', async () => {
    const data = join(dir, 'trash')
    const now = Date.now()
    const storeAt = (ago: number) => DocumentStore.open(data, { now: () => now - ago })
    const seed = storeAt(0)
    const old = seed.create({ title: 'Old' })
    const recent = seed.create({ title: 'Recent' })
    seed.close()
    for (const [doc, ago] of [
      [old, TRASH_KEEP_MS + 1000],
      [recent, TRASH_KEEP_MS - 60_000]
    ] as const) {
      const past = storeAt(ago)
      past.delete(doc.id)
      past.close()
    }

    await createService({
      host: 'web',
      version: 't',
      dataDir: data,
      modelDir: resolve('src/core/testdata/tiny-ilm')
    }).close()
    const store = storeAt(0)
    expect(() => store.undoDelete(old.id)).toThrow(/not in the trash/)
    store.undoDelete(recent.id)
    expect(store.list().map((d) => d.title)).toEqual(['Recent'])
    store.close()
  })
})

describe('the length head through the service', () => {
  let lengthService: Service
  beforeAll(() => {
    lengthService = createService({
      host: 'web',
      version: 't',
      dataDir: join(dir, 'length'),
      modelDir: TINY_LENGTH,
      stepDelayMs: 20
    })
  })
  afterAll(() => lengthService.close())

  // "Once upon| a little fox lived| the river." with two empty gaps.
  const body = 'Once upon a little fox lived the river.'
  const content = {
    title: 'Fox',
    body,
    gaps: [
      { id: 'a', from: 9, to: 9 },
      { id: 'b', from: 28, to: 28 }
    ]
  }
  const rounded = (estimates: GapEstimates) =>
    estimates.available ? estimates.gaps.map((g) => [g.gapId, +g.tokens.toFixed(3)]) : estimates.message

  /** Runs a stream to its end and returns its events. */
  async function streamed<E>(on: Service, channel: string, payload: unknown): Promise<E[]> {
    const events: E[] = []
    await on.stream(channel, payload, (e) => events.push(e as E)).finished
    return events
  }

  it('says which model has a length head', async () => {
    await expect.poll(async () => ((await lengthService.dispatch('model:info', {})) as ModelInfo).status).toBe('ready')
    expect(await lengthService.dispatch('model:info', {})).toMatchObject({ lengthHead: true })
    await expect.poll(async () => ((await service.dispatch('model:info', {})) as ModelInfo).lengthHead).toBe(false)
  })

  it('estimates each gap from one forward pass; an old model says it cannot', async () => {
    const estimates = (await lengthService.dispatch('generation:estimate', { content })) as GapEstimates
    expect(rounded(estimates)).toEqual([
      ['a', 3.486],
      ['b', 1.62]
    ])
    const old = (await service.dispatch('generation:estimate', { content })) as GapEstimates
    expect(old).toEqual({ available: false, message: expect.stringMatching(/has no length head/) })
    const overlapping = { ...content, gaps: [...content.gaps, { id: 'c', from: 8, to: 10 }] }
    await expect(lengthService.dispatch('generation:estimate', { content: overlapping })).rejects.toThrow(/overlaps/)
  })

  it('a generation reports why each gap ended, and the live estimate with each insertion', async () => {
    const doc = (await lengthService.dispatch('documents:create', { content })) as StoredDocument
    const params = { temperature: 0, topP: 1, stopThreshold: 0.9, alternatives: 1, parallel: 1, maxTokens: 20 }
    const events = await streamed<GenerationEvent>(lengthService, 'generation:start', {
      documentId: doc.id,
      content,
      params
    })
    const inserts = events.flatMap((e) => (e.type === 'insert' ? [e] : []))
    expect(inserts[0]!.remaining!.map((r) => r.gapId)).toEqual(['a', 'b'])
    const done = events.at(-1)
    expect(done?.type).toBe('done')
    if (done?.type !== 'done') return
    expect(done.alternatives[0]!.gaps.map((g) => [g.id, g.text, g.endReason])).toEqual([
      ['a', ' a a a', 'model'],
      ['b', ' by', 'model']
    ])
    expect(done.alternatives[0]!.stopReason).toBe('stop')
  })

  it('scans a text for missing words, one scan at a time and not during a generation; an old model cannot', async () => {
    const text = 'Once upon a time, a little fox lived the river.'
    const events = await streamed<MissingEvent>(lengthService, 'missing:start', { text })
    expect(events.map((e) => e.type)).toEqual(['started', 'window', 'done'])
    const done = events.at(-1)
    if (done?.type !== 'done') throw new Error('expected done')
    expect(done.marks.map((m) => [m.offset, +m.tokens.toFixed(3)])).toEqual([[36, 1.156]])
    expect(done).toMatchObject({ done: 1, total: 1, aborted: false })

    const doc = (await lengthService.dispatch('documents:create', { content })) as StoredDocument
    const params = { temperature: 1, topP: 1, stopThreshold: 1, alternatives: 1, parallel: 1, maxTokens: 20 }
    const generation = lengthService.stream('generation:start', { documentId: doc.id, content, params }, () => {})
    expect(() => lengthService.stream('missing:start', { text }, () => {})).toThrow(
      'A generation is already running; stop it first'
    )
    generation.stop()
    await generation.finished

    expect(await streamed<MissingEvent>(service, 'missing:start', { text })).toEqual([
      { type: 'error', message: expect.stringMatching(/has no length head/) }
    ])
    expect(() => lengthService.stream('missing:start', { text, threshold: 0 }, () => {})).toThrow(/threshold/)
  })
})

describe("a model's own decoding defaults through the service", () => {
  // Two services over the same weights: the plain tiny model, and a copy whose model.json asks for top-p 0.05.
  let plain: Service
  let tuned: Service
  beforeAll(async () => {
    const { cp, readFile, writeFile } = await import('node:fs/promises')
    const folder = join(dir, 'decoding-models', 'tiny-tuned')
    await cp(resolve('src/core/testdata/tiny-ilm'), folder, { recursive: true })
    const card = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as Record<string, unknown>
    card['decoding'] = { top_p: 0.05 }
    await writeFile(join(folder, 'model.json'), JSON.stringify(card))
    const at = (name: string, modelDir: string) =>
      createService({ host: 'web', version: 't', dataDir: join(dir, name), modelDir })
    plain = at('decoding-plain', resolve('src/core/testdata/tiny-ilm'))
    tuned = at('decoding-tuned', folder)
  })
  afterAll(async () => {
    await plain.close()
    await tuned.close()
  })

  const content = { title: 'Clock', body: 'The old clock struck midnight.', gaps: [{ id: 'g', from: 13, to: 13 }] }
  // What the app sends when the writer has left temperature and top-p blank.
  const blank = { stopThreshold: 0.9, alternatives: 1, parallel: 1, maxTokens: 8 }

  /** The gap's text for each seed, generated through the service with these params. */
  async function texts(on: Service, params: object): Promise<string[]> {
    const doc = (await on.dispatch('documents:create', { content })) as StoredDocument
    const out: string[] = []
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const events: GenerationEvent[] = []
      const start = { documentId: doc.id, content, params: { ...params, seed } }
      await on.stream('generation:start', start, (e) => events.push(e as GenerationEvent)).finished
      const done = events.at(-1)
      if (done?.type !== 'done') throw new Error(`no result: ${JSON.stringify(done)}`)
      out.push(done.alternatives[0]!.gaps[0]!.text)
    }
    return out
  }

  it('says what a run uses for the settings it leaves out', async () => {
    const ready = (on: Service) => async () => ((await on.dispatch('model:info', {})) as ModelInfo).status
    await expect.poll(ready(plain)).toBe('ready')
    await expect.poll(ready(tuned)).toBe('ready')
    expect(((await plain.dispatch('model:info', {})) as ModelInfo).decoding).toEqual({
      temperature: 1,
      topP: 0.9,
      lengthThreshold: 0.5
    })
    expect(((await tuned.dispatch('model:info', {})) as ModelInfo).decoding).toEqual({
      temperature: 1,
      topP: 0.05,
      lengthThreshold: 0.5
    })
  })

  it("params without top-p get the model's top_p; a writer's top-p still wins", async () => {
    const fromCard = await texts(tuned, blank)
    expect(fromCard).toEqual(await texts(plain, { ...blank, topP: 0.05 }))
    // Not a coincidence: the engine's own top-p writes something else with the same seeds.
    const engine = await texts(plain, blank)
    expect(engine).not.toEqual(fromCard)
    expect(await texts(tuned, { ...blank, topP: 0.9 })).toEqual(engine)
  })
})
