// The length head's numbers as a writer reads them. The model counts tokens; the writer counts words.
import type { GapEndReason } from '../../../shared/contract'

/**
 * Words per token of the story tokenizer on its held-out text (short stories 0.66, 1880s novels 0.69, children's
 * stories 0.77), rounded to the two the corpus has most of.
 */
export const WORDS_PER_TOKEN = 0.68

/** "about 20 words", "about a word", "less than a word", from a number of tokens. */
export function aboutWords(tokens: number): string {
  const words = tokens * WORDS_PER_TOKEN
  if (words < 0.5) return 'less than a word'
  if (words < 1.5) return 'about a word'
  return `about ${Math.round(words)} words`
}

/** Why a gap ended, in the writer's words. */
export const END_REASONS: Record<GapEndReason, string> = {
  model: 'ended by the model',
  max: 'reached its maximum',
  window: 'the model’s window was full',
  'max-tokens': 'the token budget ran out',
  aborted: 'stopped by you'
}
