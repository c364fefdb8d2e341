import { describe, expect, it } from 'vitest'
import { DocumentContentSchema, GenerationParamsSchema, requests } from './contract'
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

describe('generation params', () => {
  const base = { stopThreshold: 0.9, alternatives: 1, parallel: 1, maxTokens: 200 }

  it('leave temperature, top-p and the length threshold to the model when they are left out', () => {
    const parsed = GenerationParamsSchema.parse(base)
    expect(parsed).toEqual(base)
    expect(['temperature', 'topP', 'lengthThreshold'].filter((key) => key in parsed)).toEqual([])
  })

  it('hold a writer’s temperature and top-p to the same ranges as before', () => {
    const ok = (params: object) => GenerationParamsSchema.safeParse({ ...base, ...params }).success
    expect(ok({ temperature: 0, topP: 1 })).toBe(true)
    expect(ok({ temperature: 2, topP: 0.01 })).toBe(true)
    expect(ok({ temperature: -0.1 })).toBe(false)
    expect(ok({ temperature: 2.1 })).toBe(false)
    expect(ok({ topP: 0 })).toBe(false)
    expect(ok({ topP: 1.01 })).toBe(false)
    expect(ok({ topP: null })).toBe(false)
  })
})
