import { describe, expect, it } from 'vitest'
import { DocumentError, parseTemplate, validateSegments } from './document'

describe('parseTemplate', () => {
  it('splits text and gaps, numbering gaps in reading order', () => {
    expect(parseTemplate('The {{}} sat on {{max:5}}.')).toEqual([
      { kind: 'text', text: 'The ' },
      { kind: 'gap', gap: { id: 'g1' } },
      { kind: 'text', text: ' sat on ' },
      { kind: 'gap', gap: { id: 'g2', max: 5 } },
      { kind: 'text', text: '.' }
    ])
  })

  it('reads combined options and word lists', () => {
    expect(parseTemplate('{{min:3,max:20,include:lantern,moth,ban:dark}}')).toEqual([
      { kind: 'gap', gap: { id: 'g1', min: 3, max: 20, include: ['lantern', 'moth'], ban: ['dark'] } }
    ])
  })

  it('keeps adjacent gaps, gaps at both ends, newlines and unicode', () => {
    const segments = parseTemplate('{{}}{{max:2}}\n«Où?» — 漢字 🙂{{}}')
    expect(segments.map((s) => s.kind)).toEqual(['gap', 'gap', 'text', 'gap'])
    expect(segments[2]).toEqual({ kind: 'text', text: '\n«Où?» — 漢字 🙂' })
  })

  it.each([
    ['an unclosed gap', 'a {{max:3 b', /Unclosed gap/],
    ['a stray closing brace pair', 'a }} b', /without an opening/],
    ['an unknown option', '{{length:3}}', /unknown option "length"/],
    ['min greater than max', '{{min:5,max:2}}', /min \(5\) is greater than max \(2\)/],
    ['a non-numeric bound', '{{max:lots}}', /whole number/],
    ['a word both required and banned', '{{include:moth,ban:Moth}}', /both required and banned/],
    ['an unreadable option', '{{hello}}', /cannot read "hello"/]
  ])('rejects %s with a clear message', (_name, template, message) => {
    expect(() => parseTemplate(template)).toThrow(DocumentError)
    expect(() => parseTemplate(template)).toThrow(message)
  })

  it('rejects duplicate gap ids in hand-built documents', () => {
    expect(() =>
      validateSegments([
        { kind: 'gap', gap: { id: 'a' } },
        { kind: 'gap', gap: { id: 'a' } }
      ])
    ).toThrow(/share the id "a"/)
  })
})
