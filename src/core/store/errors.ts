import type { StoreErrorCode } from '../../shared/documents'

/** Every failure the store reports: a code for the UI and a message a user can act on. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'StoreError'
  }
}

/** libsql reports SQLite failures with a `code` such as 'SQLITE_FULL' (open failures carry only a message). */
function sqliteCode(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code
  return ''
}

/** Turns a libsql/SQLite failure into a StoreError; StoreErrors and programming errors pass through unchanged. */
export function toStoreError(error: unknown, file: string): unknown {
  if (error instanceof StoreError || !(error instanceof Error)) return error
  const code = sqliteCode(error)
  const detail = error.message
  if (code.startsWith('SQLITE_FULL')) {
    return new StoreError(
      'disk-full',
      `The disk is full: could not write to ${file}. Free some space and try again; everything saved before is intact.`,
      { cause: error }
    )
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new StoreError('read-only', `Cannot write to ${file}: the file or its folder is read-only (${detail}).`, {
      cause: error
    })
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError('corrupt', corruptMessage(file, detail), { cause: error })
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError('busy', `The documents database ${file} is in use by another process; try again.`, {
      cause: error
    })
  }
  if (code.startsWith('SQLITE_') || error.message.includes('ConnectionFailed')) {
    return new StoreError('io', `Could not read or write ${file}: ${detail}`, { cause: error })
  }
  return error
}

export function corruptMessage(file: string, detail: string): string {
  return (
    `${file} is not an Inlay documents database or is damaged (${detail}). ` +
    'It was left untouched: move it aside (or restore it from a backup) and start Inlay again.'
  )
}
