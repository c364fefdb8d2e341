// Input checks for the store. Requests reach the store from IPC, so nothing is trusted: every check throws a
// StoreError('invalid') that names the field and the limit.
import {
  MAX_BODY_BYTES,
  MAX_TITLE_LENGTH,
  type DocumentContent,
  type GapMark,
  type JsonValue,
  type RevisionReason
} from '../../shared/documents'
import { StoreError } from './errors'

export const MAX_GAPS = 1000
export const MAX_GAP_ID_LENGTH = 64
export const MAX_GAP_WORDS = 100
export const MAX_GAP_WORD_LENGTH = 100
export const MAX_SETTING_KEY_LENGTH = 100
export const MAX_SETTING_BYTES = 1024 * 1024

const DOCUMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const SETTING_KEY = /^[A-Za-z0-9._:-]+$/
const CONTROL_CHARACTER = /\p{Cc}/u
const REVISION_REASONS: readonly RevisionReason[] = ['save', 'generation', 'restore']

function invalid(message: string): StoreError {
  return new StoreError('invalid', message)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** SQLite stores UTF-8, so a lone surrogate would silently become U+FFFD: refuse it instead of changing the text. */
function checkWellFormed(value: string, field: string): void {
  if (!value.isWellFormed()) throw invalid(`${field} contains a broken character (a lone UTF-16 surrogate)`)
}

export function checkDocumentId(id: unknown): string {
  if (typeof id !== 'string' || !DOCUMENT_ID.test(id)) {
    throw invalid(`Not a document id: ${JSON.stringify(id) ?? String(id)}`)
  }
  return id
}

export function checkRevisionId(id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw invalid(`Not a revision id: ${JSON.stringify(id) ?? String(id)} (expected a positive integer)`)
  }
  return id
}

export function checkRevisionReason(reason: unknown): RevisionReason {
  if (!REVISION_REASONS.includes(reason as RevisionReason)) {
    throw invalid(`Revision reason must be one of ${REVISION_REASONS.join(', ')}; got ${JSON.stringify(reason)}`)
  }
  return reason as RevisionReason
}

export function checkTitle(title: unknown): string {
  if (typeof title !== 'string') throw invalid('Title must be a string')
  if (title.length > MAX_TITLE_LENGTH) {
    throw invalid(`Title is ${title.length} characters long; the limit is ${MAX_TITLE_LENGTH}`)
  }
  if (CONTROL_CHARACTER.test(title)) throw invalid('Title must be one line without control characters')
  checkWellFormed(title, 'Title')
  return title
}

export function checkBody(body: unknown): string {
  if (typeof body !== 'string') throw invalid('Body must be a string')
  // Cheap bound first: a UTF-16 unit is at most 3 UTF-8 bytes, and at least 1.
  if (body.length > MAX_BODY_BYTES || (body.length * 3 > MAX_BODY_BYTES && Buffer.byteLength(body) > MAX_BODY_BYTES)) {
    throw invalid(`Body is larger than ${MAX_BODY_BYTES / (1024 * 1024)} MB (UTF-8); split the document`)
  }
  checkWellFormed(body, 'Body')
  return body
}

function checkWordList(words: unknown, field: string): string[] {
  if (!Array.isArray(words)) throw invalid(`${field} must be a list of words`)
  if (words.length > MAX_GAP_WORDS) throw invalid(`${field} has ${words.length} words; the limit is ${MAX_GAP_WORDS}`)
  return words.map((word: unknown) => {
    if (typeof word !== 'string' || word.trim().length === 0) throw invalid(`${field} contains an empty word`)
    if (word.length > MAX_GAP_WORD_LENGTH) {
      throw invalid(`${field} contains a word longer than ${MAX_GAP_WORD_LENGTH} characters`)
    }
    checkWellFormed(word, field)
    return word
  })
}

function checkTokenBound(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${field} must be a non-negative integer; got ${JSON.stringify(value)}`)
  }
  return value
}

/** An offset must not split a surrogate pair, or the text on either side would hold half a character. */
function splitsCharacter(body: string, offset: number): boolean {
  if (offset === 0 || offset === body.length) return false
  const before = body.charCodeAt(offset - 1)
  const after = body.charCodeAt(offset)
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff
}

/** Checks gaps against the body and returns clean copies holding only the known fields. */
export function checkGaps(gaps: unknown, body: string): GapMark[] {
  if (!Array.isArray(gaps)) throw invalid('Gaps must be a list')
  if (gaps.length > MAX_GAPS) throw invalid(`A document has ${gaps.length} gaps; the limit is ${MAX_GAPS}`)
  const ids = new Set<string>()
  let previousEnd = 0
  return gaps.map((gap: unknown, index) => {
    if (!isPlainObject(gap)) throw invalid(`Gap ${index + 1} must be an object`)
    const { id, from, to } = gap
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_GAP_ID_LENGTH || CONTROL_CHARACTER.test(id)) {
      throw invalid(`Gap ${index + 1}: id must be a non-empty string of at most ${MAX_GAP_ID_LENGTH} characters`)
    }
    const name = `Gap "${id}"`
    if (ids.has(id)) throw invalid(`Two gaps share the id "${id}"`)
    ids.add(id)
    for (const [field, offset] of [
      ['from', from],
      ['to', to]
    ] as const) {
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset > body.length) {
        throw invalid(`${name}: ${field} must be an offset within the body (0…${body.length}); got ${offset}`)
      }
      if (splitsCharacter(body, offset)) throw invalid(`${name}: ${field} (${offset}) splits a character in two`)
    }
    const start = from as number
    const end = to as number
    if (start > end) throw invalid(`${name}: from (${start}) is after to (${end})`)
    if (start < previousEnd) {
      throw invalid(`${name} starts at ${start}, inside or before the previous gap (ending at ${previousEnd})`)
    }
    previousEnd = end
    const clean: GapMark = { id, from: start, to: end }
    if (gap.min !== undefined) clean.min = checkTokenBound(gap.min, `${name}: min`)
    if (gap.max !== undefined) clean.max = checkTokenBound(gap.max, `${name}: max`)
    if (clean.min !== undefined && clean.max !== undefined && clean.min > clean.max) {
      throw invalid(`${name}: min (${clean.min}) is greater than max (${clean.max})`)
    }
    if (gap.include !== undefined) clean.include = checkWordList(gap.include, `${name}: include`)
    if (gap.ban !== undefined) clean.ban = checkWordList(gap.ban, `${name}: ban`)
    const banned = new Set(clean.ban?.map((word) => word.toLowerCase()))
    const clash = clean.include?.find((word) => banned.has(word.toLowerCase()))
    if (clash !== undefined) throw invalid(`${name}: "${clash}" is both required and banned`)
    return clean
  })
}

/** Checks a whole document content and returns a clean copy (only known fields, so it round-trips exactly). */
export function checkContent(content: unknown): DocumentContent {
  if (!isPlainObject(content)) throw invalid('Document content must be an object with title, body and gaps')
  const title = checkTitle(content.title)
  const body = checkBody(content.body)
  return { title, body, gaps: checkGaps(content.gaps, body) }
}

export function checkSettingKey(key: unknown): string {
  if (typeof key !== 'string' || key.length > MAX_SETTING_KEY_LENGTH || !SETTING_KEY.test(key)) {
    throw invalid(
      `Setting key must be 1–${MAX_SETTING_KEY_LENGTH} characters of letters, digits, '.', '_', ':' or '-'; ` +
        `got ${JSON.stringify(key) ?? String(key)}`
    )
  }
  return key
}

function checkJson(value: unknown, path: string): void {
  if (value === null || typeof value === 'boolean') return
  if (typeof value === 'string') return checkWellFormed(value, `Setting ${path}`)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(`Setting ${path} must be a finite number`)
    return
  }
  if (Array.isArray(value)) return value.forEach((item, index) => checkJson(item, `${path}[${index}]`))
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkJson(item, `${path}.${key}`)
    return
  }
  throw invalid(`Setting ${path} is not JSON data (${typeof value})`)
}

/** Returns the setting serialized, after checking it is plain JSON data that survives a round trip unchanged. */
export function serializeSetting(key: string, value: unknown): string {
  checkJson(value, key)
  const text = JSON.stringify(value as JsonValue)
  if (Buffer.byteLength(text) > MAX_SETTING_BYTES) {
    throw invalid(`Setting ${key} is larger than ${MAX_SETTING_BYTES / 1024} KB`)
  }
  return text
}

export function checkQuery(query: unknown): string {
  if (query === undefined) return ''
  if (typeof query !== 'string') throw invalid('Search query must be a string')
  if (query.length > MAX_TITLE_LENGTH) throw invalid(`Search query is longer than ${MAX_TITLE_LENGTH} characters`)
  return query
}

export function checkAge(olderThanMs: unknown): number {
  if (typeof olderThanMs !== 'number' || !Number.isFinite(olderThanMs) || olderThanMs < 0) {
    throw invalid(`Age must be a non-negative number of milliseconds; got ${JSON.stringify(olderThanMs)}`)
  }
  return olderThanMs
}
