import fs from 'node:fs'
import path from 'node:path'
import Database from 'libsql'
import { describe, expect, it } from 'vitest'
import { DocumentStore, DOCUMENTS_FILE_NAME } from './document-store'
import { StoreError } from './errors'
import { APPLICATION_ID, MIGRATIONS, migrate, schemaVersion, type Migration } from './migrations'
import { useTempFolders } from '../test-support/store-helpers'

const tempFolder = useTempFolders()

function openError(folder: string): StoreError {
  try {
    DocumentStore.open(folder).close()
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError)
    return error as StoreError
  }
  throw new Error('expected DocumentStore.open to fail')
}

function withDatabase<T>(file: string, use: (db: Database.Database) => T): T {
  const db = new Database(file)
  try {
    return use(db)
  } finally {
    db.close()
  }
}

function tableNames(db: Database.Database): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").raw().all()
  return (rows as [string][]).map(([name]) => name)
}

function countingMigrations(runs: number[]): Migration[] {
  return [1, 2].map((version) => ({
    version,
    description: `table t${version}`,
    up(db) {
      runs.push(version)
      db.exec(`CREATE TABLE t${version} (x INTEGER)`)
    }
  }))
}

describe('schema migrations', () => {
  it('numbers the shipped migrations 1, 2, 3, … in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, index) => index + 1))
  })

  it('migrates an empty file to the latest version and marks it as Inlay’s', () => {
    const folder = tempFolder()
    const file = path.join(folder, DOCUMENTS_FILE_NAME)
    fs.writeFileSync(file, '')
    DocumentStore.open(folder).close()
    withDatabase(file, (db) => {
      expect(schemaVersion(db)).toBe(MIGRATIONS.length)
      expect(db.prepare('PRAGMA application_id').raw().get()).toEqual([APPLICATION_ID])
      expect(tableNames(db)).toEqual(expect.arrayContaining(['documents', 'revisions', 'settings']))
      expect(db.prepare('PRAGMA integrity_check').raw().get()).toEqual(['ok'])
    })
  })

  it('reopening is idempotent: nothing re-runs and the data stays', () => {
    const folder = tempFolder()
    const store = DocumentStore.open(folder)
    const doc = store.create({ title: 'Kept' })
    store.close()
    for (let i = 0; i < 3; i++) {
      const reopened = DocumentStore.open(folder)
      expect(reopened.get(doc.id).title).toBe('Kept')
      reopened.close()
    }
    const runs: number[] = []
    withDatabase(path.join(tempFolder(), 'x.db'), (db) => {
      migrate(db, countingMigrations(runs), 'x.db')
      migrate(db, countingMigrations(runs), 'x.db')
      expect(runs).toEqual([1, 2])
      expect(schemaVersion(db)).toBe(2)
    })
  })

  it('applies only the pending migrations of an older database', () => {
    const runs: number[] = []
    withDatabase(path.join(tempFolder(), 'x.db'), (db) => {
      migrate(db, countingMigrations(runs).slice(0, 1), 'x.db')
      db.exec('INSERT INTO t1 VALUES (7)')
      migrate(db, countingMigrations(runs), 'x.db')
      expect(runs).toEqual([1, 2])
      expect(schemaVersion(db)).toBe(2)
      expect(tableNames(db)).toEqual(['t1', 't2'])
      expect(db.prepare('SELECT x FROM t1').raw().get()).toEqual([7])
    })
  })

  it('rolls back every pending migration when one fails', () => {
    withDatabase(path.join(tempFolder(), 'x.db'), (db) => {
      migrate(db, countingMigrations([]).slice(0, 1), 'x.db')
      const failing: Migration[] = [
        ...countingMigrations([]),
        {
          version: 3,
          description: 'broken',
          up(db) {
            db.exec('CREATE TABLE t3 (x INTEGER)')
            db.exec('THIS IS NOT SQL')
          }
        }
      ]
      expect(() => migrate(db, failing, 'x.db')).toThrow(/syntax error/)
      expect(db.inTransaction).toBe(false)
      expect(schemaVersion(db)).toBe(1)
      expect(tableNames(db)).toEqual(['t1'])
    })
  })

  it('refuses a database from a newer Inlay and leaves it untouched', () => {
    const folder = tempFolder()
    const store = DocumentStore.open(folder)
    store.create({ title: 'From the future' })
    store.close()
    withDatabase(store.file, (db) => db.exec('PRAGMA user_version = 99'))
    const before = fs.readFileSync(store.file)

    const error = openError(folder)
    expect(error.code).toBe('newer-schema')
    expect(error.message).toContain(store.file)
    expect(error.message).toMatch(/newer version of Inlay \(database schema 99; this version reads up to 1\)/)
    expect(error.message).toMatch(/Update Inlay/)
    expect(fs.readFileSync(store.file).equals(before)).toBe(true)
  })
})

describe('opening a file that is not an Inlay database', () => {
  it('refuses a non-SQLite file with a clear message and does not touch it', () => {
    const folder = tempFolder()
    const file = path.join(folder, DOCUMENTS_FILE_NAME)
    const text = Buffer.from('My novel, chapter one. It was a dark and stormy night.\n'.repeat(200))
    fs.writeFileSync(file, text)

    const error = openError(folder)
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain(file)
    expect(error.message).toMatch(/not an Inlay documents database or is damaged/)
    expect(error.message).toMatch(/left untouched/)
    expect(fs.readFileSync(file).equals(text)).toBe(true)
    expect(fs.readdirSync(folder)).toEqual([DOCUMENTS_FILE_NAME])
  })

  it('refuses another program’s SQLite database', () => {
    const folder = tempFolder()
    const file = path.join(folder, DOCUMENTS_FILE_NAME)
    withDatabase(file, (db) => db.exec('CREATE TABLE contacts (name TEXT)'))
    expect(openError(folder)).toMatchObject({ code: 'corrupt', message: expect.stringMatching(/another program/) })
    withDatabase(file, (db) => expect(tableNames(db)).toEqual(['contacts']))

    withDatabase(file, (db) => db.exec('PRAGMA application_id = 1234'))
    expect(openError(folder)).toMatchObject({ code: 'corrupt', message: expect.stringMatching(/application id 4d2/) })
  })

  it('reports damage found after opening as corrupt', () => {
    const folder = tempFolder()
    const store = DocumentStore.open(folder)
    for (let i = 0; i < 20; i++) store.create({ title: `Story ${i}`, body: 'words '.repeat(2000) })
    store.close()
    // Overwrite everything after the first page (header and schema) with garbage.
    const bytes = fs.readFileSync(store.file)
    bytes.fill(0xa5, 4096)
    fs.writeFileSync(store.file, bytes)

    let caught: unknown
    try {
      const damaged = DocumentStore.open(folder)
      try {
        damaged.list()
      } finally {
        damaged.close()
      }
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(StoreError)
    expect(caught).toMatchObject({ code: 'corrupt', message: expect.stringMatching(/is damaged/) })
  })
})
