// Versioned schema. The database's PRAGMA user_version is the number of migrations applied; opening applies the
// pending ones in one transaction, so a database is either fully upgraded or untouched.
import type Database from 'libsql'
import { StoreError, corruptMessage } from './errors'

export interface Migration {
  /** 1, 2, 3, … in order: the user_version the database has once this migration ran. */
  version: number
  description: string
  up(db: Database.Database): void
}

/** PRAGMA application_id marks the file as Inlay's ('INLY'), so a foreign SQLite file is never migrated. */
export const APPLICATION_ID = 0x494e4c59

// Never edit a shipped migration: append a new one.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'documents, revisions, settings',
    up(db) {
      db.exec(`
        CREATE TABLE documents (
          id TEXT PRIMARY KEY NOT NULL,
          title TEXT NOT NULL,
          title_key TEXT NOT NULL, -- the title folded for case-insensitive search
          body TEXT NOT NULL,
          gaps TEXT NOT NULL, -- JSON array of GapMark
          words INTEGER NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          saved_at INTEGER,
          deleted_at INTEGER
        ) STRICT;
        CREATE INDEX documents_by_update ON documents (updated_at DESC) WHERE deleted_at IS NULL;
        CREATE INDEX documents_deleted ON documents (deleted_at) WHERE deleted_at IS NOT NULL;

        -- AUTOINCREMENT: a revision id is never reused, even after its document is purged.
        CREATE TABLE revisions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL,
          reason TEXT NOT NULL CHECK (reason IN ('save', 'generation', 'restore')),
          title TEXT NOT NULL,
          body TEXT NOT NULL,
          gaps TEXT NOT NULL,
          words INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX revisions_by_document ON revisions (document_id, id);

        CREATE TABLE settings (
          key TEXT PRIMARY KEY NOT NULL,
          value TEXT NOT NULL -- JSON
        ) STRICT;
      `)
    }
  }
]

function readPragma(db: Database.Database, name: string): number {
  const [value] = db.prepare(`PRAGMA ${name}`).raw().get() as [number]
  return value
}

export function schemaVersion(db: Database.Database): number {
  return readPragma(db, 'user_version')
}

/** Brings the database to the latest version of `migrations`; refuses a newer or a foreign database. */
export function migrate(db: Database.Database, migrations: readonly Migration[], file: string): void {
  const latest = migrations.length
  // IMMEDIATE takes the write lock before reading the version, so two processes opening at once cannot both migrate.
  db.exec('BEGIN IMMEDIATE')
  try {
    const version = schemaVersion(db)
    const applicationId = readPragma(db, 'application_id')
    if (applicationId !== APPLICATION_ID && applicationId !== 0) {
      throw new StoreError('corrupt', corruptMessage(file, `application id ${applicationId.toString(16)}`))
    }
    if (version === 0) {
      const [tables] = db.prepare("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").raw().get() as [
        number
      ]
      if (tables > 0) throw new StoreError('corrupt', corruptMessage(file, 'it holds tables of another program'))
    }
    if (version > latest) {
      throw new StoreError(
        'newer-schema',
        `${file} was written by a newer version of Inlay (database schema ${version}; this version reads up to ` +
          `${latest}). Update Inlay to open your documents; the file was left untouched.`
      )
    }
    for (const migration of migrations.slice(version)) {
      migration.up(db)
      db.exec(`PRAGMA user_version = ${migration.version}`)
    }
    if (version < latest) db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
    db.exec('COMMIT')
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK')
    throw error
  }
}
