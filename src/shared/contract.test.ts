import { describe, expect, it } from 'vitest'
import { DocumentContentSchema, requests } from './contract'
import { MAX_BODY_BYTES, MAX_IMPORT_BASE64_LENGTH, MAX_IMPORT_BYTES, MAX_TITLE_LENGTH } from './limits'

const content = (body: string, title = 'T') => ({ title, body, gaps: [] })

describe('request limits', () => {
  it('measures the body in UTF-8 bytes, as the store does', () => {
    expect(DocumentContentSchema.safeParse(content('a'.repeat(MAX_BODY_BYTES))).success).toBe(true)
    expect(DocumentContentSchema.safeParse(content('a'.repeat(MAX_BODY_BYTES - 3) + '€')).success).toBe(true)
    expect(DocumentContentSchema.safeParse(content('a'.repeat(MAX_BODY_BYTES - 2) + '€')).success).toBe(false)
    // Fewer characters than the limit, but two bytes each.
    expect(DocumentContentSchema.safeParse(content('é'.repeat(MAX_BODY_BYTES / 2 + 1))).success).toBe(false)
  })

  it('holds titles to MAX_TITLE_LENGTH characters', () => {
    expect(DocumentContentSchema.safeParse(content('', 'x'.repeat(MAX_TITLE_LENGTH))).success).toBe(true)
    expect(DocumentContentSchema.safeParse(content('', 'x'.repeat(MAX_TITLE_LENGTH + 1))).success).toBe(false)
  })

  it("takes an import's base64 up to MAX_IMPORT_BASE64_LENGTH, what MAX_IMPORT_BYTES encode to", () => {
    const request = (base64: string) => requests['import:document'].safeParse({ fileName: 'a.txt', base64 })
    expect(MAX_IMPORT_BASE64_LENGTH).toBe((MAX_IMPORT_BYTES / 3) * 4)
    expect(request('A'.repeat(MAX_IMPORT_BASE64_LENGTH)).success).toBe(true)
    expect(request('A'.repeat(MAX_IMPORT_BASE64_LENGTH + 4)).success).toBe(false)
  })
})
