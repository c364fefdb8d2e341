import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'libsql'
import { describe, expect, it } from 'vitest'
import type { DocumentContent } from '../../shared/documents'
import { DocumentStore } from './document-store'
import { StoreError } from './errors'
import { useTempFolders } from '../test-support/store-helpers'

const tempFolder = useTempFolders()

const TSX = path.resolve('node_modules/.bin/tsx')
const OPEN_STORE_CHILD = path.join(import.meta.dirname, '../test-support/open-store-child.ts')
/**
 * Root writes anywhere through its capabilities, so as root the child runs without any (util-linux's setpriv): file
 * modes then bind it as any user's, and, still uid 0, it reads the checkout wherever it lies (another user, such as
 * 'nobody', could not enter a checkout under a private folder).
 */
const DROP_CAPABILITIES = ['setpriv', '--bounding-set=-all']

function caught(action: () => unknown): StoreError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError)
    return error as StoreError
  }
  throw new Error('expected a StoreError')
}

function content(title: string, size: number): DocumentContent {
  return { title, body: 'lorem ipsum '.repeat(Math.ceil(size / 12)).slice(0, size), gaps: [] }
}

describe('a full disk', () => {
  it('fails the write with a clear message and loses nothing already saved', () => {
    const folder = tempFolder()
    // The size cap makes SQLite itself answer SQLITE_FULL, as on a full disk.
    const store = DocumentStore.open(folder, { maxDatabaseBytes: 256 * 1024 })
    const doc = store.create(content('Saved', 10_000))
    const saved = store.save(doc.id, content('Saved', 20_000))
    const revisions = store.revisions(doc.id)

    for (const write of [
      () => store.saveDraft(doc.id, content('Too big', 1_000_000)),
      () => store.save(doc.id, content('Too big', 1_000_000)),
      () => store.create(content('Too big', 1_000_000))
    ]) {
      const error = caught(write)
      expect(error.code).toBe('disk-full')
      expect(error.message).toMatch(/The disk is full: could not write to .*inlay-documents\.db\. Free some space/)
      expect(error.message).toMatch(/everything saved before is intact/)
    }
    expect(store.get(doc.id)).toEqual(saved)
    expect(store.revisions(doc.id)).toEqual(revisions)
    expect(store.list().map((d) => d.title)).toEqual(['Saved'])

    // Once the write fits again, the store works on.
    const next = store.saveDraft(doc.id, content('Smaller', 30_000))
    store.close()
    const reopened = DocumentStore.open(folder)
    expect(reopened.get(doc.id)).toEqual(next)
    reopened.close()
    const db = new Database(store.file)
    expect(db.prepare('PRAGMA integrity_check').raw().get()).toEqual(['ok'])
    db.close()
  })
})

describe('a read-only folder', () => {
  it('refuses to open with a clear message, and the documents stay intact', () => {
    const folder = tempFolder()
    const store = DocumentStore.open(folder)
    store.create({ title: 'Safe', body: 'Nothing may be lost.', gaps: [] })
    store.close()
    for (const name of fs.readdirSync(folder)) fs.chmodSync(path.join(folder, name), 0o444)
    fs.chmodSync(folder, 0o555)

    const asRoot = process.getuid?.() === 0
    const [command, ...args] = [...(asRoot ? DROP_CAPABILITIES : []), TSX, OPEN_STORE_CHILD, folder]
    const output = execFileSync(command, args, { encoding: 'utf8' })
    fs.chmodSync(folder, 0o755)
    expect(JSON.parse(output)).toEqual({
      ok: false,
      code: 'read-only',
      message: `Cannot save documents in ${folder}: it is read-only. Give Inlay write access to it, or move it.`
    })

    for (const name of fs.readdirSync(folder)) fs.chmodSync(path.join(folder, name), 0o644)
    const reopened = DocumentStore.open(folder)
    expect(reopened.list().map((d) => d.title)).toEqual(['Safe'])
    reopened.close()
  })

  it('names the folder it could not create', () => {
    const parent = tempFolder()
    fs.writeFileSync(path.join(parent, 'a-file'), '')
    const error = caught(() => DocumentStore.open(path.join(parent, 'a-file', 'user-data')))
    expect(error.code).toBe('io')
    expect(error.message).toMatch(/Cannot create the documents folder .*a-file\/user-data/)
  })
})
