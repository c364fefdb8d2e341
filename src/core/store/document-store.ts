// Documents, their revisions and the app's settings in one SQLite file (libsql) in the user-data folder.
//
// Durability: WAL with synchronous=FULL, so every committed write (an autosave, an explicit save) survives a
// crash of the app and a power loss; a kill -9 mid-write loses only the write in flight. Autosaves come at most
// every few hundred milliseconds, so the fsync per commit costs nothing the user notices.
//
// Every write runs in an explicit BEGIN IMMEDIATE … COMMIT. Besides taking the write lock up front (no lock
// upgrade can fail half-way), this keeps clear of two quirks of libsql 0.5.29: run() on a statement that returns
// rows leaves its autocommit write uncommitted (so statements with RETURNING are read with get()), and a statement
// whose step failed busy stays in progress.
import fs from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import Database from 'libsql'
import {
  countWords,
  type DocumentContent,
  type DocumentSummary,
  type GapMark,
  type JsonValue,
  type Revision,
  type RevisionReason,
  type RevisionSummary,
  type StoredDocument
} from '../../shared/documents'
import { StoreError, toStoreError } from './errors'
import { MIGRATIONS, migrate } from './migrations'
import {
  checkAge,
  checkContent,
  checkDocumentId,
  checkQuery,
  checkRevisionId,
  checkRevisionReason,
  checkSettingKey,
  checkTitle,
  serializeSetting
} from './validation'

export const DOCUMENTS_FILE_NAME = 'inlay-documents.db'
/** How long a write waits for another process (a second Inlay window or web host) to release the database. */
export const BUSY_TIMEOUT_MS = 5000
export const UNTITLED = 'Untitled'
/** Revisions taken automatically (before a generation or a restore) kept per document. */
export const KEEP_AUTOMATIC_REVISIONS = 50
/** How long a deleted document can still be brought back: the app's start-up sweep erases older ones. */
export const TRASH_KEEP_MS = 30 * 24 * 60 * 60 * 1000

export interface DocumentStoreOptions {
  /** Clock for timestamps (tests pin it); Date.now by default. */
  now?: () => number
  /**
   * Caps the database size: a write that would grow it past this fails exactly as on a full disk
   * (SQLITE_FULL). Tests use it to exercise that path; the app leaves it unset.
   */
  maxDatabaseBytes?: number
}

interface DocumentRow {
  id: string
  title: string
  body: string
  gaps: string
  created_at: number
  updated_at: number
  saved_at: number | null
}

interface SummaryRow {
  id: string
  title: string
  updated_at: number
  words: number
}

interface RevisionRow {
  id: number
  document_id: string
  created_at: number
  reason: RevisionReason
  title: string
  words: number
  body?: string
  gaps?: string
}

const DOCUMENT_COLUMNS = 'id, title, body, gaps, created_at, updated_at, saved_at'
const REVISION_SUMMARY_COLUMNS = 'id, document_id, created_at, reason, title, words'

/** The search key of a title: compatibility forms unified and case folded, so 'Ｃafé' finds 'café'. */
function titleKey(title: string): string {
  return title.normalize('NFKC').toLowerCase()
}

function toDocument(row: DocumentRow): StoredDocument {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    gaps: JSON.parse(row.gaps) as GapMark[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    savedAt: row.saved_at
  }
}

function toSummary(row: SummaryRow): DocumentSummary {
  return { id: row.id, title: row.title, updatedAt: row.updated_at, words: row.words }
}

function toRevisionSummary(row: RevisionRow): RevisionSummary {
  return {
    id: row.id,
    documentId: row.document_id,
    createdAt: row.created_at,
    reason: row.reason,
    title: row.title,
    words: row.words
  }
}

/** Creates the folder if needed and refuses early, with a clear message, where nothing could be saved. */
function prepareFolder(folder: string, file: string): void {
  try {
    fs.mkdirSync(folder, { recursive: true })
  } catch (error) {
    throw new StoreError('io', `Cannot create the documents folder ${folder}: ${(error as Error).message}`, {
      cause: error
    })
  }
  for (const target of [folder, file]) {
    try {
      fs.accessSync(target, fs.constants.R_OK | fs.constants.W_OK)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' && target === file) continue
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new StoreError(
          'read-only',
          `Cannot save documents in ${target}: it is read-only. Give Inlay write access to it, or move it.`,
          { cause: error }
        )
      }
      throw new StoreError('io', `Cannot use ${target}: ${(error as Error).message}`, { cause: error })
    }
  }
}

export class DocumentStore {
  private closed = false

  /**
   * Opens (creating if needed) the documents database in `folder` — Electron passes app.getPath('userData'),
   * the web host and tests their own folder — and applies pending schema migrations.
   */
  static open(folder: string, options: DocumentStoreOptions = {}): DocumentStore {
    const file = path.join(path.resolve(folder), DOCUMENTS_FILE_NAME)
    prepareFolder(path.dirname(file), file)
    let db: Database.Database
    try {
      db = new Database(file)
    } catch (error) {
      throw toStoreError(error, file)
    }
    try {
      // busy_timeout first, so that switching to WAL waits for another process instead of failing.
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
      // The first statement that reads the file: a non-SQLite file fails here (SQLITE_NOTADB) before any write.
      db.exec('PRAGMA journal_mode = WAL')
      db.exec('PRAGMA synchronous = FULL')
      db.exec('PRAGMA foreign_keys = ON')
      migrate(db, MIGRATIONS, file)
      if (options.maxDatabaseBytes !== undefined) {
        const [pageSize] = db.prepare('PRAGMA page_size').raw().get() as [number]
        db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxDatabaseBytes / pageSize))}`)
      }
      return new DocumentStore(db, file, options.now ?? Date.now)
    } catch (error) {
      db.close()
      throw toStoreError(error, file)
    }
  }

  private constructor(
    private readonly db: Database.Database,
    /** Absolute path of the database file. */
    readonly file: string,
    private readonly now: () => number
  ) {}

  /** Live documents, most recently updated first; `query` keeps those whose title contains it (any case). */
  list(options: { query?: string } = {}): DocumentSummary[] {
    return this.guard(() => {
      const query = titleKey(checkQuery(options.query).trim())
      const rows = query ? this.sql(SQL.search).all(query) : this.sql(SQL.listAll).all()
      return (rows as SummaryRow[]).map(toSummary)
    })
  }

  create(content: Partial<DocumentContent> = {}): StoredDocument {
    return this.write(() => {
      const clean = checkContent({ title: UNTITLED, body: '', gaps: [], ...content })
      const now = this.now()
      const row = this.sql(SQL.insert).get(
        randomUUID(),
        clean.title,
        titleKey(clean.title),
        clean.body,
        JSON.stringify(clean.gaps),
        countWords(clean.body),
        now,
        now
      ) as DocumentRow
      return toDocument(row)
    })
  }

  /** The current content (the latest draft) of a live document. */
  get(id: string): StoredDocument {
    return this.guard(() => {
      const row = this.sql(SQL.get).get(checkDocumentId(id)) as DocumentRow | undefined
      if (!row) throw this.notFound(id)
      return toDocument(row)
    })
  }

  /** The autosave write: replaces the current draft, records no revision. */
  saveDraft(id: string, content: DocumentContent): StoredDocument {
    return this.write(() => this.writeContent(checkDocumentId(id), checkContent(content), false))
  }

  /** The explicit save: writes the draft and a 'save' revision of it, together or not at all. */
  save(id: string, content: DocumentContent): StoredDocument {
    return this.write(() => {
      const document = this.writeContent(checkDocumentId(id), checkContent(content), true)
      this.sql(SQL.snapshot).get(document.updatedAt, 'save', document.id)
      return document
    })
  }

  /** Records a revision of the current content, e.g. before each generation. */
  snapshot(id: string, reason: RevisionReason): RevisionSummary {
    return this.write(() => {
      const documentId = checkDocumentId(id)
      const row = this.sql(SQL.snapshot).get(this.now(), checkRevisionReason(reason), documentId) as
        RevisionRow | undefined
      if (!row) throw this.notFound(documentId)
      // Automatic revisions (one per generation) would grow the file without bound: keep the newest few.
      // Explicit saves are the writer's own and are never pruned.
      this.sql(SQL.pruneAutomatic).run(documentId, documentId, KEEP_AUTOMATIC_REVISIONS)
      return toRevisionSummary(row)
    })
  }

  rename(id: string, title: string): StoredDocument {
    return this.write(() => {
      const documentId = checkDocumentId(id)
      const clean = checkTitle(title)
      const row = this.sql(SQL.rename).get(clean, titleKey(clean), this.now(), documentId) as DocumentRow | undefined
      if (!row) throw this.notFound(documentId)
      return toDocument(row)
    })
  }

  /** Moves a document to the trash: it leaves the list and can be brought back with undoDelete until purged. */
  delete(id: string): void {
    this.write(() => {
      const documentId = checkDocumentId(id)
      if (this.sql(SQL.trash).run(this.now(), documentId).changes === 0) throw this.notFound(documentId)
    })
  }

  undoDelete(id: string): void {
    this.write(() => {
      const documentId = checkDocumentId(id)
      if (this.sql(SQL.untrash).run(documentId).changes === 0) {
        throw new StoreError('not-found', `Document ${documentId} is not in the trash`)
      }
    })
  }

  /** Erases, with their revisions, the documents deleted at least `olderThanMs` ago. Returns how many. */
  purgeDeleted(olderThanMs: number): number {
    return this.write(() => this.sql(SQL.purge).run(this.now() - checkAge(olderThanMs)).changes)
  }

  /**
   * The start-up sweep: erases the documents deleted TRASH_KEEP_MS ago or earlier. A failure (a full disk, another
   * Inlay holding the lock) must not keep the writer from the documents, so it is logged and the next start retries.
   */
  emptyTrash(): number {
    try {
      return this.purgeDeleted(TRASH_KEEP_MS)
    } catch (error) {
      if (!(error instanceof StoreError)) throw error
      console.error('[inlay] emptying the trash failed:', error)
      return 0
    }
  }

  /** A live document's revisions, newest first. */
  revisions(id: string): RevisionSummary[] {
    return this.guard(() => {
      const documentId = checkDocumentId(id)
      if (!this.sql(SQL.exists).get(documentId)) throw this.notFound(documentId)
      return (this.sql(SQL.revisions).all(documentId) as RevisionRow[]).map(toRevisionSummary)
    })
  }

  revision(revisionId: number): Revision {
    return this.guard(() => {
      const row = this.sql(SQL.revision).get(checkRevisionId(revisionId)) as Required<RevisionRow> | undefined
      if (!row) throw new StoreError('not-found', `No revision ${revisionId} (or its document was deleted)`)
      return { ...toRevisionSummary(row), body: row.body, gaps: JSON.parse(row.gaps) as GapMark[] }
    })
  }

  /** Sets the content back to a revision, after keeping the current content as a 'restore' revision (undoable). */
  restore(id: string, revisionId: number): StoredDocument {
    return this.write(() => {
      const documentId = checkDocumentId(id)
      const target = checkRevisionId(revisionId)
      const revision = this.sql(SQL.revision).get(target) as Required<RevisionRow> | undefined
      if (!revision || revision.document_id !== documentId) {
        throw new StoreError('not-found', `Document ${documentId} has no revision ${target}`)
      }
      // The revision query only finds revisions of live documents, so the document is there to snapshot.
      const now = this.now()
      this.sql(SQL.snapshot).get(now, 'restore', documentId)
      const row = this.sql(SQL.update).get(
        revision.title,
        titleKey(revision.title),
        revision.body,
        revision.gaps,
        revision.words,
        now,
        null,
        documentId
      ) as DocumentRow
      return toDocument(row)
    })
  }

  /** A setting's value, or undefined if it was never set. */
  getSetting(key: string): JsonValue | undefined {
    return this.guard(() => {
      const row = this.sql(SQL.getSetting).get(checkSettingKey(key)) as { value: string } | undefined
      return row ? (JSON.parse(row.value) as JsonValue) : undefined
    })
  }

  setSetting(key: string, value: JsonValue): void {
    this.write(() => {
      const cleanKey = checkSettingKey(key)
      this.sql(SQL.setSetting).run(cleanKey, serializeSetting(cleanKey, value))
    })
  }

  /** Closes the database. Further calls fail; closing again is a no-op. */
  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      // Fold the WAL into the database file, so the file alone (a copy, a backup) holds every document.
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    } catch {
      // Nothing is lost: the WAL keeps the data and the next open checkpoints it.
    } finally {
      this.db.close()
    }
  }

  private writeContent(id: string, content: DocumentContent, explicitSave: boolean): StoredDocument {
    const now = this.now()
    const row = this.sql(SQL.update).get(
      content.title,
      titleKey(content.title),
      content.body,
      JSON.stringify(content.gaps),
      countWords(content.body),
      now,
      explicitSave ? now : null,
      id
    ) as DocumentRow | undefined
    if (!row) throw this.notFound(id)
    return toDocument(row)
  }

  private notFound(id: string): StoreError {
    const trashed = this.sql(SQL.trashed).get(id) !== undefined
    return new StoreError(
      'not-found',
      trashed ? `Document ${id} is in the trash (undo the delete to use it)` : `No document with id ${id}`
    )
  }

  // Prepared per call, not cached: with libsql 0.5.29 a statement whose step failed (a full disk) keeps failing
  // when reused. Preparing costs microseconds.
  private sql(source: string): Database.Statement {
    return this.db.prepare(source)
  }

  /** Runs `work` in one write transaction: all of it is committed (durably) when this returns, or none of it. */
  private write<T>(work: () => T): T {
    return this.guard(() => {
      this.db.exec('BEGIN IMMEDIATE')
      try {
        const result = work()
        this.db.exec('COMMIT')
        return result
      } catch (error) {
        // SQLite rolls back by itself after some failures (a full disk, for one): only roll back what is open.
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw error
      }
    })
  }

  private guard<T>(operation: () => T): T {
    if (this.closed) throw new StoreError('closed', 'The document store is closed')
    try {
      return operation()
    } catch (error) {
      throw toStoreError(error, this.file)
    }
  }
}

const SQL = {
  listAll:
    'SELECT id, title, updated_at, words FROM documents WHERE deleted_at IS NULL ORDER BY updated_at DESC, rowid DESC',
  // instr, not LIKE: no wildcard escaping, and the key is already case folded.
  search:
    'SELECT id, title, updated_at, words FROM documents WHERE deleted_at IS NULL AND instr(title_key, ?) > 0 ' +
    'ORDER BY updated_at DESC, rowid DESC',
  insert:
    'INSERT INTO documents (id, title, title_key, body, gaps, words, created_at, updated_at) ' +
    `VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${DOCUMENT_COLUMNS}`,
  get: `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE id = ? AND deleted_at IS NULL`,
  exists: 'SELECT 1 FROM documents WHERE id = ? AND deleted_at IS NULL',
  trashed: 'SELECT 1 FROM documents WHERE id = ? AND deleted_at IS NOT NULL',
  // saved_at: a new time on an explicit save, unchanged (NULL bound) otherwise.
  update:
    'UPDATE documents SET title = ?, title_key = ?, body = ?, gaps = ?, words = ?, updated_at = ?, ' +
    `saved_at = coalesce(?, saved_at) WHERE id = ? AND deleted_at IS NULL RETURNING ${DOCUMENT_COLUMNS}`,
  rename:
    'UPDATE documents SET title = ?, title_key = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL ' +
    `RETURNING ${DOCUMENT_COLUMNS}`,
  snapshot:
    'INSERT INTO revisions (document_id, created_at, reason, title, body, gaps, words) ' +
    'SELECT id, ?, ?, title, body, gaps, words FROM documents WHERE id = ? AND deleted_at IS NULL ' +
    `RETURNING ${REVISION_SUMMARY_COLUMNS}`,
  trash: 'UPDATE documents SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL',
  untrash: 'UPDATE documents SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL',
  purge: 'DELETE FROM documents WHERE deleted_at IS NOT NULL AND deleted_at <= ?',
  pruneAutomatic:
    "DELETE FROM revisions WHERE document_id = ? AND reason != 'save' AND id NOT IN " +
    "(SELECT id FROM revisions WHERE document_id = ? AND reason != 'save' ORDER BY id DESC LIMIT ?)",
  revisions: `SELECT ${REVISION_SUMMARY_COLUMNS} FROM revisions WHERE document_id = ? ORDER BY id DESC`,
  revision:
    'SELECT r.id, r.document_id, r.created_at, r.reason, r.title, r.words, r.body, r.gaps FROM revisions r ' +
    'JOIN documents d ON d.id = r.document_id WHERE r.id = ? AND d.deleted_at IS NULL',
  getSetting: 'SELECT value FROM settings WHERE key = ?',
  setSetting: 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'
}
