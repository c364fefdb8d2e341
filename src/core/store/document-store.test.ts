import fs from 'node:fs'
import path from 'node:path'
import Database from 'libsql'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_BODY_BYTES, type DocumentContent, type GapMark } from '../../shared/documents'
import {
  DocumentStore,
  DOCUMENTS_FILE_NAME,
  KEEP_AUTOMATIC_REVISIONS,
  TRASH_KEEP_MS,
  type DocumentStoreOptions
} from './document-store'
import { StoreError } from './errors'
import { manualClock, useTempFolders } from '../test-support/store-helpers'

const tempFolder = useTempFolders()
const openStores: DocumentStore[] = []
afterEach(() => openStores.splice(0).forEach((store) => store.close()))

function openStore(folder = tempFolder(), options: DocumentStoreOptions = {}): DocumentStore {
  const store = DocumentStore.open(folder, options)
  openStores.push(store)
  return store
}

function storeWithClock() {
  const clock = manualClock()
  return { store: openStore(tempFolder(), { now: clock.now }), clock }
}

const story: DocumentContent = {
  title: 'The Lighthouse',
  body: 'The keeper climbed the stairs.\n\nShe lit the *lamp* and **waited**.\n\n* * *\n\nMorning came.',
  gaps: [
    { id: 'g1', from: 30, to: 30, max: 12, include: ['moth'] },
    { id: 'g2', from: 32, to: 35, min: 2, ban: ['dark'] }
  ]
}

function expectStoreError(action: () => unknown, code: StoreError['code'], message: RegExp): void {
  let caught: unknown
  try {
    action()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(StoreError)
  expect((caught as StoreError).code).toBe(code)
  expect((caught as StoreError).message).toMatch(message)
}

describe('DocumentStore: opening', () => {
  it('creates the folder and the database file', () => {
    const folder = path.join(tempFolder(), 'nested', 'user-data')
    const store = openStore(folder)
    expect(store.file).toBe(path.join(folder, DOCUMENTS_FILE_NAME))
    expect(fs.existsSync(store.file)).toBe(true)
  })

  it('configures its connection: WAL, synchronous=FULL, foreign keys, busy timeout', () => {
    const store = openStore()
    // Connection settings live on the store's private connection; read them there.
    const db = (store as unknown as { db: Database.Database }).db
    const pragma = (name: string) => db.prepare(`PRAGMA ${name}`).raw().get()
    expect(pragma('journal_mode')).toEqual(['wal'])
    expect(pragma('synchronous')).toEqual([2])
    expect(pragma('foreign_keys')).toEqual([1])
    expect(pragma('busy_timeout')).toEqual([5000])
    expect(pragma('user_version')).toEqual([1])
  })

  it('reopens a closed store with its documents', () => {
    const folder = tempFolder()
    const first = openStore(folder)
    const doc = first.create(story)
    first.close()
    expect(openStore(folder).get(doc.id)).toEqual(doc)
  })

  it('refuses to work after close, and closing twice is harmless', () => {
    const store = openStore()
    store.close()
    store.close()
    expectStoreError(() => store.list(), 'closed', /closed/)
  })
})

describe('DocumentStore: documents', () => {
  it('creates a document with defaults or with content', () => {
    const { store, clock } = storeWithClock()
    const blank = store.create()
    expect(blank).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'Untitled',
      body: '',
      gaps: [],
      createdAt: clock.now(),
      updatedAt: clock.now(),
      savedAt: null
    })
    const full = store.create(story)
    expect(full).toMatchObject(story)
    expect(full.id).not.toBe(blank.id)
    expect(store.get(full.id)).toEqual(full)
  })

  it('keeps unicode, newlines and gap options exactly', () => {
    const store = openStore()
    const body = '«Où?» — 漢字 🙂\r\n\ttabs and  spaces  \n\n'
    const gaps: GapMark[] = [{ id: 'ü', from: 14, to: 16, include: ['lantern', 'Moth'], ban: [] }]
    const doc = store.create({ title: 'Ünïcödé 🙂', body, gaps })
    expect(store.get(doc.id)).toMatchObject({ title: 'Ünïcödé 🙂', body, gaps })
  })

  it('drops unknown fields so what is stored round-trips exactly', () => {
    const store = openStore()
    const gap = { id: 'g1', from: 0, to: 0, colour: 'red' } as GapMark
    const doc = store.create({ title: 'x', body: '', gaps: [gap] })
    expect(store.get(doc.id).gaps).toEqual([{ id: 'g1', from: 0, to: 0 }])
  })

  it('saveDraft replaces the content without a revision; save also records one', () => {
    const { store, clock } = storeWithClock()
    const doc = store.create()
    clock.advance(1000)
    const drafted = store.saveDraft(doc.id, story)
    expect(drafted).toEqual({ ...story, id: doc.id, createdAt: doc.createdAt, updatedAt: clock.now(), savedAt: null })
    expect(store.get(doc.id)).toEqual(drafted)
    expect(store.revisions(doc.id)).toEqual([])

    clock.advance(1000)
    const edited = { ...story, body: story.body + ' The end.' }
    const saved = store.save(doc.id, edited)
    expect(saved).toMatchObject({ ...edited, updatedAt: clock.now(), savedAt: clock.now() })
    expect(store.get(doc.id)).toEqual(saved)
    const revisions = store.revisions(doc.id)
    expect(revisions).toEqual([
      {
        id: expect.any(Number),
        documentId: doc.id,
        createdAt: clock.now(),
        reason: 'save',
        title: story.title,
        words: 15
      }
    ])
    expect(store.revision(revisions[0].id)).toEqual({ ...revisions[0], body: edited.body, gaps: edited.gaps })

    clock.advance(1000)
    store.saveDraft(doc.id, story)
    expect(store.get(doc.id).savedAt).toBe(saved.savedAt)
  })

  it('renames', () => {
    const { store, clock } = storeWithClock()
    const doc = store.create(story)
    clock.advance(5)
    expect(store.rename(doc.id, 'The Keeper')).toEqual({ ...doc, title: 'The Keeper', updatedAt: clock.now() })
    expect(store.list()[0].title).toBe('The Keeper')
  })

  it('reports unknown documents clearly', () => {
    const store = openStore()
    const missing = '00000000-0000-4000-8000-000000000000'
    expectStoreError(() => store.get(missing), 'not-found', /No document with id 00000000/)
    expectStoreError(() => store.saveDraft(missing, story), 'not-found', /No document/)
    expectStoreError(() => store.save(missing, story), 'not-found', /No document/)
    expectStoreError(() => store.snapshot(missing, 'generation'), 'not-found', /No document/)
    expectStoreError(() => store.rename(missing, 'x'), 'not-found', /No document/)
    expectStoreError(() => store.delete(missing), 'not-found', /No document/)
    expectStoreError(() => store.revisions(missing), 'not-found', /No document/)
    expectStoreError(() => store.revision(99), 'not-found', /No revision 99/)
    expectStoreError(() => store.get('not an id'), 'invalid', /Not a document id: "not an id"/)
  })

  it('a failed save changes nothing', () => {
    const store = openStore()
    const doc = store.create(story)
    expectStoreError(() => store.save(doc.id, { ...story, title: 'x'.repeat(301) }), 'invalid', /Title/)
    expect(store.get(doc.id)).toEqual(doc)
    expect(store.revisions(doc.id)).toEqual([])
  })
})

describe('DocumentStore: list and search', () => {
  it('lists live documents newest first with word counts', () => {
    const { store, clock } = storeWithClock()
    const a = store.create({ title: 'Alpha', body: 'one two three' })
    clock.advance(10)
    const b = store.create({ title: 'Beta', body: '' })
    clock.advance(10)
    const c = store.create({ title: 'Gamma', body: '**Bold** *move*.\n\n* * *\n\n— well-known 42' })
    expect(store.list()).toEqual([
      { id: c.id, title: 'Gamma', updatedAt: c.updatedAt, words: 4 },
      { id: b.id, title: 'Beta', updatedAt: b.updatedAt, words: 0 },
      { id: a.id, title: 'Alpha', updatedAt: a.updatedAt, words: 3 }
    ])
    clock.advance(10)
    store.saveDraft(a.id, { title: 'Alpha', body: 'one', gaps: [] })
    expect(store.list().map((d) => d.title)).toEqual(['Alpha', 'Gamma', 'Beta'])
    expect(store.list()[0].words).toBe(1)
  })

  it('orders documents written in the same millisecond by creation', () => {
    const store = openStore(tempFolder(), { now: () => 42 })
    const ids = [store.create(), store.create(), store.create()].map((d) => d.id)
    expect(store.list().map((d) => d.id)).toEqual(ids.reverse())
  })

  it('searches titles case-insensitively, unicode included, with no wildcard surprises', () => {
    const { store, clock } = storeWithClock()
    for (const title of ['The Lighthouse', 'lighthouse keeper', 'Café Stories', 'ÉCOLE', '100% Sure', 'a_b']) {
      store.create({ title })
      clock.advance(1)
    }
    const titles = (query: string) => store.list({ query }).map((d) => d.title)
    expect(titles('LIGHT')).toEqual(['lighthouse keeper', 'The Lighthouse'])
    expect(titles('café')).toEqual(['Café Stories'])
    expect(titles('CAFÉ')).toEqual(['Café Stories'])
    expect(titles('école')).toEqual(['ÉCOLE'])
    expect(titles('%')).toEqual(['100% Sure'])
    expect(titles('_')).toEqual(['a_b'])
    expect(titles('nothing')).toEqual([])
    expect(titles('  ')).toHaveLength(6)
  })
})

describe('DocumentStore: soft delete', () => {
  it('hides a deleted document, brings it back on undo, and purges old ones with their revisions', () => {
    const { store, clock } = storeWithClock()
    const keep = store.create({ title: 'Keep' })
    const doc = store.create(story)
    store.save(doc.id, story)
    store.delete(doc.id)
    expect(store.list().map((d) => d.id)).toEqual([keep.id])
    expect(store.list({ query: 'light' })).toEqual([])
    expectStoreError(() => store.get(doc.id), 'not-found', /in the trash/)
    expectStoreError(() => store.saveDraft(doc.id, story), 'not-found', /in the trash/)
    expectStoreError(() => store.delete(doc.id), 'not-found', /in the trash/)

    store.undoDelete(doc.id)
    expect(store.get(doc.id)).toMatchObject(story)
    expect(store.revisions(doc.id)).toHaveLength(1)
    expectStoreError(() => store.undoDelete(doc.id), 'not-found', /not in the trash/)

    store.delete(doc.id)
    clock.advance(1000)
    expect(store.purgeDeleted(5000)).toBe(0)
    clock.advance(4000)
    expect(store.purgeDeleted(5000)).toBe(1)
    expectStoreError(() => store.undoDelete(doc.id), 'not-found', /not in the trash/)
    expectStoreError(() => store.get(doc.id), 'not-found', /No document/)
    expect(store.get(keep.id).title).toBe('Keep')
  })

  it('purging removes the revisions too (foreign keys are on)', () => {
    const folder = tempFolder()
    const store = openStore(folder)
    const doc = store.create(story)
    const revision = store.snapshot(doc.id, 'generation')
    store.delete(doc.id)
    expect(store.purgeDeleted(0)).toBe(1)
    expectStoreError(() => store.revision(revision.id), 'not-found', /No revision/)
    store.close()
    const db = new Database(path.join(folder, DOCUMENTS_FILE_NAME))
    expect(db.prepare('SELECT count(*) FROM revisions').raw().get()).toEqual([0])
    db.close()
  })
})

describe('DocumentStore: emptying the trash', () => {
  const DAY = 24 * 60 * 60 * 1000

  it('erases from the file the documents deleted 30 days ago or earlier, and keeps the rest', () => {
    expect(TRASH_KEEP_MS).toBe(30 * DAY)
    const folder = tempFolder()
    const clock = manualClock()
    const store = DocumentStore.open(folder, { now: clock.now })
    const kept = store.create({ title: 'Kept' })
    const old = store.create(story)
    store.snapshot(old.id, 'generation')
    const recent = store.create({ title: 'Recent' })
    store.delete(old.id)
    clock.advance(DAY)
    store.delete(recent.id)
    store.close()

    // The next start, 30 days after the first delete.
    clock.advance(29 * DAY)
    const reopened = openStore(folder, { now: clock.now })
    expect(reopened.emptyTrash()).toBe(1)
    expect(reopened.emptyTrash()).toBe(0)
    reopened.undoDelete(recent.id)
    expect(reopened.list().map((d) => d.title)).toEqual(['Recent', 'Kept'])
    expectStoreError(() => reopened.undoDelete(old.id), 'not-found', /not in the trash/)

    const db = new Database(path.join(folder, DOCUMENTS_FILE_NAME))
    expect(db.prepare('SELECT id FROM documents ORDER BY title').raw().all()).toEqual([[kept.id], [recent.id]])
    expect(db.prepare('SELECT count(*) FROM revisions WHERE document_id = ?').raw().get(old.id)).toEqual([0])
    db.close()
  })

  it('a sweep SQLite refuses is logged and leaves the store working', () => {
    const folder = tempFolder()
    const clock = manualClock()
    const store = openStore(folder, { now: clock.now })
    const doc = store.create(story)
    store.delete(doc.id)
    clock.advance(TRASH_KEEP_MS)
    const db = new Database(path.join(folder, DOCUMENTS_FILE_NAME))
    db.exec("CREATE TRIGGER refuse BEFORE DELETE ON documents BEGIN SELECT RAISE(ABORT, 'refused'); END")
    db.close()
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})

    expect(store.emptyTrash()).toBe(0)
    expect(logged).toHaveBeenCalledWith('[inlay] emptying the trash failed:', expect.any(StoreError))
    logged.mockRestore()
    store.undoDelete(doc.id)
    expect(store.get(doc.id)).toMatchObject(story)
  })
})

describe('DocumentStore: revisions', () => {
  it('snapshots the current content, newest first', () => {
    const { store, clock } = storeWithClock()
    const doc = store.create(story)
    const first = store.snapshot(doc.id, 'generation')
    clock.advance(1)
    store.saveDraft(doc.id, { ...story, title: 'Second' })
    const second = store.snapshot(doc.id, 'generation')
    expect(second).toMatchObject({ documentId: doc.id, reason: 'generation', title: 'Second', createdAt: clock.now() })
    expect(store.revisions(doc.id)).toEqual([second, first])
    expect(store.revision(first.id)).toMatchObject({ title: story.title, body: story.body, gaps: story.gaps })
    expectStoreError(() => store.snapshot(doc.id, 'autosave' as 'save'), 'invalid', /reason must be one of/)
  })

  it('keeps the newest automatic revisions and every explicit save', () => {
    const { store } = storeWithClock()
    const doc = store.create(story)
    store.save(doc.id, story)
    for (let i = 0; i < KEEP_AUTOMATIC_REVISIONS + 7; i++) {
      store.saveDraft(doc.id, { ...story, title: `Take ${i}` })
      store.snapshot(doc.id, 'generation')
    }
    const revisions = store.revisions(doc.id)
    expect(revisions.filter((r) => r.reason === 'generation')).toHaveLength(KEEP_AUTOMATIC_REVISIONS)
    expect(revisions[0]!.title).toBe(`Take ${KEEP_AUTOMATIC_REVISIONS + 6}`)
    expect(revisions.filter((r) => r.reason === 'save')).toHaveLength(1)
  })

  it('restore keeps the current content as a restore revision, so restoring is undoable', () => {
    const { store, clock } = storeWithClock()
    const doc = store.create(story)
    const original = store.save(doc.id, story)
    const [saved] = store.revisions(doc.id)
    clock.advance(10)
    const rewrite: DocumentContent = { title: 'Rewritten', body: 'All new words.', gaps: [] }
    store.saveDraft(doc.id, rewrite)

    clock.advance(10)
    const restored = store.restore(doc.id, saved.id)
    expect(restored).toEqual({ ...original, updatedAt: clock.now() })
    expect(store.get(doc.id)).toEqual(restored)
    const [undo] = store.revisions(doc.id)
    expect(undo).toMatchObject({ reason: 'restore', title: 'Rewritten', words: 3 })

    clock.advance(10)
    expect(store.restore(doc.id, undo.id)).toMatchObject(rewrite)
    expect(store.revisions(doc.id).map((r) => r.reason)).toEqual(['restore', 'restore', 'save'])
  })

  it('refuses a revision of another document', () => {
    const store = openStore()
    const a = store.create(story)
    const b = store.create()
    const revision = store.snapshot(a.id, 'generation')
    expectStoreError(() => store.restore(b.id, revision.id), 'not-found', /has no revision/)
    expect(store.revisions(b.id)).toEqual([])
    expectStoreError(() => store.revision(0), 'invalid', /Not a revision id/)
  })
})

describe('DocumentStore: settings', () => {
  it('stores JSON values and overwrites them', () => {
    const folder = tempFolder()
    const store = openStore(folder)
    expect(store.getSetting('theme')).toBeUndefined()
    store.setSetting('theme', 'dark')
    store.setSetting('author.name', 'Ada')
    store.setSetting('lastDocument', { id: 'abc', cursor: [1, 2], open: true, note: null })
    store.setSetting('theme', 'light')
    store.close()
    const reopened = openStore(folder)
    expect(reopened.getSetting('theme')).toBe('light')
    expect(reopened.getSetting('author.name')).toBe('Ada')
    expect(reopened.getSetting('lastDocument')).toEqual({ id: 'abc', cursor: [1, 2], open: true, note: null })
  })

  it('refuses what JSON would change or cannot hold', () => {
    const store = openStore()
    expectStoreError(() => store.setSetting('bad key!', 1), 'invalid', /Setting key/)
    expectStoreError(() => store.setSetting('', 1), 'invalid', /Setting key/)
    expectStoreError(() => store.setSetting('n', NaN), 'invalid', /finite number/)
    expectStoreError(() => store.setSetting('d', { when: new Date() } as never), 'invalid', /not JSON data/)
    expectStoreError(() => store.setSetting('u', { x: undefined } as never), 'invalid', /not JSON data/)
    expectStoreError(() => store.setSetting('big', 'x'.repeat(1024 * 1024 + 1)), 'invalid', /larger than/)
  })
})

describe('DocumentStore: validation', () => {
  const body = 'abcdefghij'
  const cases: [string, unknown, RegExp][] = [
    ['a missing body', { title: 't', gaps: [] }, /Body must be a string/],
    ['a non-object', 'text', /must be an object/],
    ['a long title', { title: 'x'.repeat(301), body, gaps: [] }, /Title is 301 characters long; the limit is 300/],
    ['a title with a newline', { title: 'a\nb', body, gaps: [] }, /one line/],
    ['a lone surrogate', { title: 't', body: 'a\ud800b', gaps: [] }, /broken character/],
    ['gaps not a list', { title: 't', body, gaps: {} }, /Gaps must be a list/],
    ['a gap past the end', { title: 't', body, gaps: [{ id: 'g', from: 3, to: 11 }] }, /within the body \(0…10\)/],
    ['a negative offset', { title: 't', body, gaps: [{ id: 'g', from: -1, to: 2 }] }, /from must be an offset/],
    ['a fractional offset', { title: 't', body, gaps: [{ id: 'g', from: 1.5, to: 2 }] }, /from must be an offset/],
    ['from after to', { title: 't', body, gaps: [{ id: 'g', from: 5, to: 2 }] }, /from \(5\) is after to \(2\)/],
    [
      'overlapping gaps',
      {
        title: 't',
        body,
        gaps: [
          { id: 'a', from: 2, to: 6 },
          { id: 'b', from: 4, to: 8 }
        ]
      },
      /"b" starts at 4, inside or before the previous gap/
    ],
    [
      'gaps out of order',
      {
        title: 't',
        body,
        gaps: [
          { id: 'a', from: 6, to: 6 },
          { id: 'b', from: 2, to: 2 }
        ]
      },
      /inside or before/
    ],
    [
      'duplicate ids',
      {
        title: 't',
        body,
        gaps: [
          { id: 'a', from: 1, to: 1 },
          { id: 'a', from: 2, to: 2 }
        ]
      },
      /Two gaps share the id "a"/
    ],
    ['an empty gap id', { title: 't', body, gaps: [{ id: '', from: 1, to: 1 }] }, /id must be a non-empty string/],
    ['min over max', { title: 't', body, gaps: [{ id: 'g', from: 1, to: 1, min: 5, max: 2 }] }, /min \(5\) is greater/],
    ['a negative max', { title: 't', body, gaps: [{ id: 'g', from: 1, to: 1, max: -1 }] }, /non-negative integer/],
    ['an empty word', { title: 't', body, gaps: [{ id: 'g', from: 1, to: 1, include: [' '] }] }, /empty word/],
    [
      'a word required and banned',
      { title: 't', body, gaps: [{ id: 'g', from: 1, to: 1, include: ['Moth'], ban: ['moth'] }] },
      /"Moth" is both required and banned/
    ],
    [
      'an offset splitting an emoji',
      { title: 't', body: 'a🙂b', gaps: [{ id: 'g', from: 2, to: 2 }] },
      /splits a character/
    ]
  ]

  it.each(cases)('refuses %s', (_name, content, message) => {
    const store = openStore()
    const doc = store.create()
    expectStoreError(() => store.saveDraft(doc.id, content as DocumentContent), 'invalid', message)
    expect(store.get(doc.id)).toEqual(doc)
  })

  it('accepts adjacent gaps, gaps at both ends and an empty body', () => {
    const store = openStore()
    const gaps: GapMark[] = [
      { id: 'start', from: 0, to: 0 },
      { id: 'next', from: 0, to: 3 },
      { id: 'touching', from: 3, to: 3 },
      { id: 'end', from: 10, to: 10 }
    ]
    const doc = store.create({ title: '', body, gaps })
    expect(store.get(doc.id).gaps).toEqual(gaps)
    expect(store.create({ gaps: [{ id: 'only', from: 0, to: 0 }] }).gaps).toHaveLength(1)
  })

  it('limits the body to 5 MB of UTF-8', () => {
    const store = openStore()
    const doc = store.create()
    const atLimit = 'a'.repeat(MAX_BODY_BYTES - 3) + '€'
    expect(store.saveDraft(doc.id, { title: 'big', body: atLimit, gaps: [] }).body).toHaveLength(atLimit.length)
    const overLimit = 'a'.repeat(MAX_BODY_BYTES - 2) + '€'
    expectStoreError(() => store.saveDraft(doc.id, { title: 'big', body: overLimit, gaps: [] }), 'invalid', /5 MB/)
  })

  it('validates list queries and purge ages', () => {
    const store = openStore()
    expectStoreError(() => store.list({ query: 5 as unknown as string }), 'invalid', /query must be a string/)
    expectStoreError(() => store.purgeDeleted(-1), 'invalid', /non-negative/)
  })
})

describe('DocumentStore: database file', () => {
  it('is one SQLite file in the given folder that, once closed, holds everything by itself', () => {
    const folder = tempFolder()
    const store = openStore(folder)
    const doc = store.create(story)
    store.close()
    const copy = path.join(tempFolder(), DOCUMENTS_FILE_NAME)
    fs.copyFileSync(store.file, copy)
    expect(openStore(path.dirname(copy)).get(doc.id)).toEqual(doc)
  })
})
