// Documents as they cross the IPC boundary: plain JSON-able data, shared by the store (src/core/store),
// the IPC contract and the renderer.

/**
 * A gap the model fills, as character offsets (UTF-16 code units, like JavaScript strings) into the body.
 * `from === to` is an insertion point; `from < to` is a selection to rewrite (its text is replaced).
 * Gaps are listed in body order and never overlap.
 */
export interface GapMark {
  id: string
  from: number
  to: number
  /** Fewest tokens the gap must receive. */
  min?: number
  /** Most tokens the gap may receive. */
  max?: number
  /** Words that must appear in the gap. */
  include?: string[]
  /** Words the model may not produce in the gap. */
  ban?: string[]
}

/**
 * What the user edits. The body is Markdown-ish text: paragraphs separated by blank lines, *italic*, **bold**,
 * and scene breaks as a line `* * *`.
 */
export interface DocumentContent {
  title: string
  body: string
  gaps: GapMark[]
}

/** Times are milliseconds since the epoch. */
export interface StoredDocument extends DocumentContent {
  id: string
  createdAt: number
  /** Last write of any kind (autosave, save, rename, restore). */
  updatedAt: number
  /** Last explicit save, or null if the document was never saved explicitly. */
  savedAt: number | null
}

export interface DocumentSummary {
  id: string
  title: string
  updatedAt: number
  words: number
}

/** Why a revision exists: an explicit save, the state before a generation, or the state before a restore. */
export type RevisionReason = 'save' | 'generation' | 'restore'

export interface RevisionSummary {
  id: number
  documentId: string
  createdAt: number
  reason: RevisionReason
  title: string
  words: number
}

export interface Revision extends RevisionSummary {
  body: string
  gaps: GapMark[]
}

/** A setting's value (last opened document, author name, theme, …). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** What went wrong in the store, for the UI to word its message or offer a way out. */
export type StoreErrorCode =
  | 'invalid' // bad input: the message names the field and the limit
  | 'not-found' // unknown (or deleted) document, unknown revision
  | 'newer-schema' // the database was written by a newer Inlay
  | 'corrupt' // not an SQLite database, or a damaged one
  | 'disk-full'
  | 'read-only'
  | 'busy' // another process holds the database longer than the busy timeout
  | 'io' // any other failure to read or write the file
  | 'closed'

// The limits live in ./limits; re-exported for the store and exporters, which still import them from here.
export { MAX_BODY_BYTES, MAX_TITLE_LENGTH } from './limits'

const WORD = /[\p{L}\p{N}]/u

/** Words in a body: whitespace-separated runs containing a letter or digit (so `* * *` and `—` count zero). */
export function countWords(text: string): number {
  let words = 0
  for (const token of text.split(/\s+/)) if (WORD.test(token)) words++
  return words
}
