// A Word file is a ZIP archive. Before mammoth unpacks and parses one we read its central directory ourselves and
// unpack every part with a hard limit on the output, so that a small file that unpacks to gigabytes (a "zip bomb"),
// or to more text than a document may hold, is refused in milliseconds instead of after seconds of parsing. A part is
// XML by what it holds, not by its name: mammoth reads the main document wherever the package's relationships point.
import { inflateRawSync } from 'node:zlib'
import { MAX_BODY_BYTES } from '../../shared/documents'
import { ExportError, formatBytes } from './errors'

/** Every part together, images included. */
export const MAX_DOCX_UNPACKED_BYTES = 256 * 1024 * 1024
/** The XML parts together: a manuscript at the document size limit, written by Word, stays well below. */
export const MAX_DOCX_XML_BYTES = 48 * 1024 * 1024
const MAX_DOCX_ENTRIES = 10_000

const END_OF_CENTRAL_DIRECTORY = 0x06054b50
const ZIP64_END_LOCATOR = 0x07064b50
const ZIP64_END = 0x06064b50
const CENTRAL_ENTRY = 0x02014b50
const LOCAL_ENTRY = 0x04034b50
const UINT32_MAX = 0xffffffff

interface Entry {
  name: string
  method: number
  encrypted: boolean
  compressedSize: number
  size: number
  localOffset: number
}

/**
 * Throws ExportError when `bytes` is not an archive mammoth could read safely: not a ZIP, encrypted, a part packed in
 * a way Word does not use, parts that unpack to more than the archive says, more than the limits above, or more text
 * than a document holds.
 */
export function checkDocxArchive(bytes: Uint8Array, fileName: string): void {
  const refuse = (reason: 'corrupt' | 'too-large', why: string): never => {
    throw new ExportError(reason, `Cannot import “${fileName}”: ${why}`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const entries = readCentralDirectory(view)
  if (entries === undefined) return refuse('corrupt', 'it is not a readable Word document (not a ZIP archive).')
  if (entries.length > MAX_DOCX_ENTRIES) {
    refuse('too-large', `it has ${entries.length} parts; a Word document has a few dozen.`)
  }

  let declared = 0
  let declaredXml = 0
  for (const entry of entries) {
    if (entry.encrypted) refuse('corrupt', 'it is password-protected. Remove the password in Word and import again.')
    if (entry.method !== 0 && entry.method !== 8) {
      refuse('corrupt', `its part “${entry.name}” is packed in a way Word does not use (method ${entry.method}).`)
    }
    declared += entry.size
    if (isXmlPart(entry.name)) declaredXml += entry.size
  }
  const tooMuch = (total: number, limit: number, what: string): string =>
    `${what} unpack to ${formatBytes(total)}, over the ${formatBytes(limit)} limit ` +
    `(the file itself is ${formatBytes(bytes.byteLength)}); it was refused before being read.`
  if (declared > MAX_DOCX_UNPACKED_BYTES) refuse('too-large', tooMuch(declared, MAX_DOCX_UNPACKED_BYTES, 'its parts'))
  if (declaredXml > MAX_DOCX_XML_BYTES) {
    refuse('too-large', tooMuch(declaredXml, MAX_DOCX_XML_BYTES, 'its text and formatting'))
  }

  let text = 0
  let xml = 0
  for (const entry of entries) {
    const data = entryData(bytes, view, entry)
    if (data === undefined) return refuse('corrupt', `its part “${entry.name}” is cut short or misplaced.`)
    let unpacked: Uint8Array | 'larger than declared'
    try {
      unpacked = unpack(data, entry)
    } catch (error) {
      return refuse('corrupt', `its part “${entry.name}” is damaged (${(error as Error).message}).`)
    }
    if (unpacked === 'larger than declared') {
      return refuse(
        'corrupt',
        `its part “${entry.name}” unpacks to more than the archive says: the file is damaged or built to exhaust memory.`
      )
    }
    if (!isXmlPart(entry.name) && !looksLikeXml(unpacked)) continue
    xml += unpacked.byteLength
    if (xml > MAX_DOCX_XML_BYTES) refuse('too-large', tooMuch(xml, MAX_DOCX_XML_BYTES, 'its text and formatting'))
    text += characterDataBytes(unpacked, MAX_BODY_BYTES - text + 1)
  }
  if (text > MAX_BODY_BYTES) {
    refuse(
      'too-large',
      `it holds more than ${formatBytes(MAX_BODY_BYTES)} of text, the most a document holds. Split it into several files.`
    )
  }
}

/** One byte more than declared is as far as unpacking goes: a part that reaches it lies about its size. */
function unpack(data: Uint8Array, entry: Entry): Uint8Array | 'larger than declared' {
  let unpacked = data
  if (entry.method === 8) {
    try {
      unpacked = inflateRawSync(data, { maxOutputLength: entry.size + 1 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return 'larger than declared'
      throw error
    }
  }
  return unpacked.byteLength > entry.size ? 'larger than declared' : unpacked
}

function isXmlPart(name: string): boolean {
  return /\.(xml|rels)$/i.test(name)
}

/** Markup after an optional byte order mark and white space: what an XML parser would take. */
function looksLikeXml(data: Uint8Array): boolean {
  let start = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0
  while (start < data.length && data[start]! <= 0x20) start++
  return data[start] === 0x3c /* < */
}

/**
 * Bytes of character data outside tags, whitespace-only stretches not counted: an upper bound of the text any part
 * can contribute, whatever namespace prefixes the XML uses. Counting stops once it reaches `enough`.
 */
function characterDataBytes(xml: Uint8Array, enough: number): number {
  const buffer = Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength)
  let total = 0
  let position = buffer.indexOf(0x3e /* > */)
  while (position >= 0 && total < enough) {
    const open = buffer.indexOf(0x3c /* < */, position + 1)
    const stretchEnd = open < 0 ? buffer.length : open
    let visible = position + 1
    while (visible < stretchEnd && buffer[visible]! <= 0x20) visible++
    if (visible < stretchEnd) total += stretchEnd - position - 1
    position = open < 0 ? -1 : buffer.indexOf(0x3e, open + 1)
  }
  return total
}

function readCentralDirectory(view: DataView): Entry[] | undefined {
  const end = findEndOfCentralDirectory(view)
  if (end === undefined) return undefined
  let count = view.getUint16(end + 10, true)
  let offset = view.getUint32(end + 16, true)
  if (count === 0xffff || offset === UINT32_MAX) {
    const locator = end - 20
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_END_LOCATOR) return undefined
    const zip64End = Number(view.getBigUint64(locator + 8, true))
    if (zip64End + 56 > view.byteLength || view.getUint32(zip64End, true) !== ZIP64_END) return undefined
    count = Number(view.getBigUint64(zip64End + 32, true))
    offset = Number(view.getBigUint64(zip64End + 48, true))
  }
  const entries: Entry[] = []
  let position = offset
  for (let index = 0; index < count; index++) {
    if (position + 46 > view.byteLength || view.getUint32(position, true) !== CENTRAL_ENTRY) return undefined
    const nameLength = view.getUint16(position + 28, true)
    const extraLength = view.getUint16(position + 30, true)
    const commentLength = view.getUint16(position + 32, true)
    const nameStart = position + 46
    if (nameStart + nameLength + extraLength > view.byteLength) return undefined
    const entry: Entry = {
      name: new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + nameStart, nameLength)),
      method: view.getUint16(position + 10, true),
      encrypted: (view.getUint16(position + 8, true) & 1) === 1,
      compressedSize: view.getUint32(position + 20, true),
      size: view.getUint32(position + 24, true),
      localOffset: view.getUint32(position + 42, true)
    }
    readZip64Sizes(view, nameStart + nameLength, extraLength, entry)
    entries.push(entry)
    position = nameStart + nameLength + extraLength + commentLength
    // Ten thousand entries are refused anyway; reading millions of them first would cost the time we save.
    if (entries.length > MAX_DOCX_ENTRIES) break
  }
  return entries
}

function findEndOfCentralDirectory(view: DataView): number | undefined {
  // The record is 22 bytes plus a comment of at most 65,535.
  const lowest = Math.max(0, view.byteLength - 22 - 0xffff)
  for (let position = view.byteLength - 22; position >= lowest; position--) {
    if (view.getUint32(position, true) === END_OF_CENTRAL_DIRECTORY) return position
  }
  return undefined
}

/** ZIP64's extra field holds, in this order, the sizes and offset that the entry marks as 0xFFFFFFFF. */
function readZip64Sizes(view: DataView, start: number, length: number, entry: Entry): void {
  for (let position = start; position + 4 <= start + length;) {
    const id = view.getUint16(position, true)
    const size = view.getUint16(position + 2, true)
    if (id === 0x0001) {
      let field = position + 4
      const next = (): number => {
        const value = field + 8 <= position + 4 + size ? Number(view.getBigUint64(field, true)) : UINT32_MAX
        field += 8
        return value
      }
      if (entry.size === UINT32_MAX) entry.size = next()
      if (entry.compressedSize === UINT32_MAX) entry.compressedSize = next()
      if (entry.localOffset === UINT32_MAX) entry.localOffset = next()
      return
    }
    position += 4 + size
  }
}

/** The packed bytes of an entry, found through its local header as every unzipper does. */
function entryData(bytes: Uint8Array, view: DataView, entry: Entry): Uint8Array | undefined {
  const header = entry.localOffset
  if (header + 30 > view.byteLength || view.getUint32(header, true) !== LOCAL_ENTRY) return undefined
  const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true)
  if (start + entry.compressedSize > bytes.byteLength) return undefined
  return bytes.subarray(start, start + entry.compressedSize)
}
