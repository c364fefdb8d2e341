import { describe, expect, it } from 'vitest'
import { base64ToBytes, bytesToBase64, fileToBase64, formatMegabytes } from './files'

// An independent reference (RFC 4648 by hand), since the renderer's tests do not see Node's Buffer.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
function reference(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : '='
    out += i + 2 < bytes.length ? ALPHABET[n & 63]! : '='
  }
  return out
}

/** The first index where two byte arrays differ, or -1 (a deep toEqual over megabytes takes seconds). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i
  return -1
}

describe('base64', () => {
  it('round-trips every byte value', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const encoded = bytesToBase64(bytes)
    expect(encoded).toBe(reference(bytes))
    expect(firstDifference(base64ToBytes(encoded), bytes)).toBe(-1)
  })

  it('encodes multi-megabyte input without exceeding the argument limit', () => {
    const bytes = new Uint8Array(5 * 1024 * 1024 + 7)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 9)) & 0xff
    const encoded = bytesToBase64(bytes)
    expect(encoded === reference(bytes)).toBe(true)
    expect(firstDifference(base64ToBytes(encoded), bytes)).toBe(-1)
  })

  it('handles empty input and lengths that need padding', () => {
    expect(bytesToBase64(new Uint8Array())).toBe('')
    expect(base64ToBytes('')).toEqual(new Uint8Array())
    for (const n of [1, 2, 3, 0x8000 + 1]) {
      const bytes = new Uint8Array(n).fill(0xe2)
      expect(bytesToBase64(bytes)).toBe(reference(bytes))
    }
  })

  it('reads a file (Blob) as base64', async () => {
    const text = '“Café” — *dash*'
    expect(await fileToBase64(new Blob([text]))).toBe(reference(new TextEncoder().encode(text)))
  })
})

describe('formatMegabytes', () => {
  it('writes one decimal', () => {
    expect(formatMegabytes(12 * 1024 * 1024)).toBe('12.0 MB')
    expect(formatMegabytes(1536 * 1024)).toBe('1.5 MB')
  })
})
