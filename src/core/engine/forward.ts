// The model as the engine's stages use it: one batched forward pass over windows of drafts, asking only for
// the rows whose slots matter, and each window's scores read back by row.
import type { Layout } from './draft'
import type { RowLogits } from './growth'
import type { ForwardOutput, ModelCard } from './model'
import { stopProbability } from './stopping'
import type { TextTokenizer } from './tokenizer'
import { windowInput, windowRows, type Window } from './window'

/**
 * What the engine needs from a model: a batched forward pass (token logits, and λ with a length head, of the
 * asked rows), its limits and its decoding defaults.
 */
export interface ForwardModel {
  readonly tokenizer: TextTokenizer
  readonly card: Pick<ModelCard, 'maxLength' | 'vocabSize' | 'lengthHead' | 'decoding'>
  forward(sequences: readonly (readonly number[])[], rows: readonly (readonly number[])[]): Promise<ForwardOutput>
}

/** A window of a draft to run, and the rows wanted from it. */
export interface WindowRequest {
  layout: Layout
  window: Window
  rows: number[]
}

/** What one forward pass says about a window. */
export interface WindowScores {
  logits: RowLogits
  stopProb: number
  /** λ of an asked row (NaN for one not asked); null without a length head. */
  lengthOf: ((row: number) => number) | null
}

/** One forward pass over the windows, as one batch; the scores come back in the order asked. */
export async function forwardWindows(model: ForwardModel, requests: readonly WindowRequest[]): Promise<WindowScores[]> {
  const { cls, bos } = model.tokenizer.special
  const out = await model.forward(
    requests.map((r) => windowInput(r.layout, r.window, cls, bos)),
    requests.map((r) => r.rows)
  )
  const asked = Math.max(1, ...requests.map((r) => r.rows.length))
  if (out.rows !== asked) throw new Error(`The model returned ${out.rows} rows per sequence; ${asked} were asked`)
  const { lengths } = out
  return requests.map((r, b) => {
    // Where each asked row sits in the output, as a row index over the whole batch (-1: not asked).
    const slot = new Int32Array(windowRows(r.window)).fill(-1)
    r.rows.forEach((row, j) => (slot[row] = b * out.rows + j))
    const offsetOf = (row: number) => (slot[row]! < 0 ? -1 : slot[row]! * out.vocab)
    return {
      logits: { tokenLogits: out.tokenLogits, vocab: out.vocab, offsetOf },
      stopProb: stopProbability(out.stopLogits, b),
      lengthOf: lengths && ((row: number) => (slot[row]! < 0 ? NaN : lengths[slot[row]!]!))
    }
  })
}
