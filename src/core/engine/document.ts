// A document to fill is fixed text plus gaps. Fixed text never changes; gaps grow.
// The CLI (and tests) write gaps inline: `{{}}`, `{{max:N}}`, `{{min:3,max:20,include:lantern,ban:dark}}`.

export interface GapSpec {
  id: string
  /** Fewest tokens the gap must receive (required words count). */
  min?: number
  /** Most tokens the gap may receive (required words count). */
  max?: number
  /** Words that must appear in the gap, each placed where the model scores it highest. */
  include?: string[]
  /** Words the model may not produce in this gap. */
  ban?: string[]
}

export type Segment = { kind: 'text'; text: string } | { kind: 'gap'; gap: GapSpec }

export class DocumentError extends Error {}

/** Checks a document's gaps and returns them; throws DocumentError with a clear message otherwise. */
export function validateSegments(segments: readonly Segment[]): GapSpec[] {
  const gaps = segments.flatMap((s) => (s.kind === 'gap' ? [s.gap] : []))
  const seen = new Set<string>()
  for (const gap of gaps) {
    if (seen.has(gap.id)) throw new DocumentError(`Two gaps share the id "${gap.id}"`)
    seen.add(gap.id)
    for (const key of ['min', 'max'] as const) {
      const value = gap[key]
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        throw new DocumentError(`Gap "${gap.id}": ${key} must be a non-negative integer, got ${value}`)
      }
    }
    if (gap.min !== undefined && gap.max !== undefined && gap.min > gap.max) {
      throw new DocumentError(`Gap "${gap.id}": min (${gap.min}) is greater than max (${gap.max})`)
    }
    for (const word of [...(gap.include ?? []), ...(gap.ban ?? [])]) {
      if (word.trim().length === 0) throw new DocumentError(`Gap "${gap.id}": empty word in include/ban`)
    }
    const banned = new Set((gap.ban ?? []).map((w) => w.toLowerCase()))
    const clash = (gap.include ?? []).find((w) => banned.has(w.toLowerCase()))
    if (clash) throw new DocumentError(`Gap "${gap.id}": "${clash}" is both required and banned`)
  }
  return gaps
}

const OPTION_KEYS = new Set(['min', 'max', 'include', 'ban'])

/** Parses inline gap syntax into segments. Gap ids are g1, g2, … in reading order. */
export function parseTemplate(template: string): Segment[] {
  const segments: Segment[] = []
  let text = ''
  let i = 0
  let gapCount = 0
  while (i < template.length) {
    if (template.startsWith('{{', i)) {
      const end = template.indexOf('}}', i + 2)
      if (end < 0) throw new DocumentError(`Unclosed gap "{{" at character ${i}`)
      const body = template.slice(i + 2, end)
      if (body.includes('{{')) throw new DocumentError(`Unclosed gap "{{" at character ${i}`)
      if (text) segments.push({ kind: 'text', text })
      text = ''
      segments.push({ kind: 'gap', gap: parseGapOptions(body, `g${++gapCount}`) })
      i = end + 2
    } else if (template.startsWith('}}', i)) {
      throw new DocumentError(`"}}" without an opening "{{" at character ${i}`)
    } else {
      text += template[i]
      i++
    }
  }
  if (text) segments.push({ kind: 'text', text })
  validateSegments(segments)
  return segments
}

function parseGapOptions(body: string, id: string): GapSpec {
  const gap: GapSpec = { id }
  if (body.trim() === '') return gap
  // Options are comma separated; a bare word after include:/ban: continues that list.
  let listKey: 'include' | 'ban' | null = null
  for (const raw of body.split(',')) {
    const part = raw.trim()
    const colon = part.indexOf(':')
    const key = colon >= 0 ? part.slice(0, colon).trim() : ''
    if (colon >= 0 && OPTION_KEYS.has(key)) {
      const value = part.slice(colon + 1).trim()
      if (key === 'min' || key === 'max') {
        if (!/^\d+$/.test(value)) throw new DocumentError(`Gap ${id}: ${key} must be a whole number, got "${value}"`)
        if (gap[key] !== undefined) throw new DocumentError(`Gap ${id}: ${key} given twice`)
        gap[key] = Number(value)
        listKey = null
      } else {
        listKey = key as 'include' | 'ban'
        if (value) (gap[listKey] ??= []).push(value)
      }
    } else if (colon >= 0) {
      throw new DocumentError(`Gap ${id}: unknown option "${key}" (known: min, max, include, ban)`)
    } else if (listKey && part) {
      ;(gap[listKey] ??= []).push(part)
    } else {
      throw new DocumentError(`Gap ${id}: cannot read "${part}" (write min:N, max:N, include:word, ban:word)`)
    }
  }
  return gap
}
