import { describe, expect, it } from 'vitest'
import { aboutWords, WORDS_PER_TOKEN } from './lengths'

describe('aboutWords', () => {
  it('says a number of tokens in words, rounded, with a word for the smallest amounts', () => {
    expect(aboutWords(0)).toBe('less than a word')
    expect(aboutWords(0.5 / WORDS_PER_TOKEN - 0.01)).toBe('less than a word')
    expect(aboutWords(1)).toBe('about a word')
    expect(aboutWords(2)).toBe('about a word')
    expect(aboutWords(3)).toBe('about 2 words')
    expect(aboutWords(29.4)).toBe('about 20 words')
  })
})
