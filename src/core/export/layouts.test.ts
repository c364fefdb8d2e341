import { describe, expect, it } from 'vitest'
import { makeBook } from './book'
import { countWords, headerSurname, pageLayout, usesLetterPaper, wordCountLine } from './layouts'

const book = (body: string, author = 'Ana María Pérez') => makeBook([{ title: 'T', body }], { author })

describe('layouts', () => {
  it('counts words as word processors do, each CJK character a word', () => {
    expect(countWords(book('One *two* three.\n\n# Four\n\n* * *\n\n五六七 eight'))).toBe(8)
  })

  it('rounds the word count as manuscripts give it', () => {
    expect(wordCountLine(book('word '.repeat(4)))).toBe('about 10 words')
    expect(wordCountLine(book('word '.repeat(1249)))).toBe('about 1,200 words')
    expect(wordCountLine(book('word '.repeat(12_600)))).toBe('about 13,000 words')
  })

  it('takes the surname for the header from the end of the name', () => {
    expect(headerSurname(book('x'))).toBe('Pérez')
    expect(headerSurname(book('x', ''))).toBe('')
  })

  it('prints on Letter in North America (and for English without a region), A4 elsewhere', () => {
    expect(['en', 'en-US', 'es-MX', 'fr-CA'].map(usesLetterPaper)).toEqual([true, true, true, true])
    expect(['en-GB', 'fr', 'de-DE', 'ja'].map(usesLetterPaper)).toEqual([false, false, false, false])
    expect(pageLayout('manuscript', 'en')).toMatchObject({ width: 612, height: 792, leading: 24, indent: 36 })
    expect(pageLayout('book', 'fr')).toMatchObject({ width: 419.53, height: 595.28, align: 'justify', hyphenate: true })
  })
})
