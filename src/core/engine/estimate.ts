// What a length head can tell without generating anything: for each gap, how many tokens the model expects
// there (one forward pass), and over a whole draft, where it expects text to be missing and how much (a scan,
// window by window). Neither changes any text. A model without a length head can give neither and says so.
import type { GapEstimate, MissingEvent, MissingMark } from '../../shared/contract'
import { validateSegments, type Segment } from './document'
import { Draft, encodeParts } from './draft'
import { decodingDefaults } from './fill'
import { forwardWindows, type ForwardModel } from './forward'
import { expectedRemaining } from './stopping'
import { chooseWindow, rowsClaimedBy, scanWindows, slotToken, type Window } from './window'

export class NoLengthHeadError extends Error {
  constructor() {
    super(
      'This model has no length head, so it cannot estimate how much text is missing; use a model exported with one (format 3)'
    )
  }
}

function needLengthHead(model: ForwardModel): void {
  if (!model.card.lengthHead) throw new NoLengthHeadError()
}

/**
 * The tokens the model expects in each gap as it stands (empty), from one forward pass. Gaps too far apart to
 * share a window get windows of their own, all in the same batch.
 */
export async function estimateGaps(model: ForwardModel, segments: readonly Segment[]): Promise<GapEstimate[]> {
  needLengthHead(model)
  const gaps = validateSegments(segments)
  const layout = new Draft(encodeParts(model.tokenizer, segments)).layout()
  const windows: Window[] = []
  for (let open = gaps.map((_, g) => g); open.length > 0;) {
    const window = chooseWindow(layout, open, model.card.maxLength - 2)!
    windows.push(window)
    open = open.filter((g) => !window.active.has(g))
  }
  const requests = windows.map((window) => ({
    layout,
    window,
    rows: rowsClaimedBy(layout, window, (g) => window.active.has(g))
  }))
  const tokens = new Array<number>(gaps.length)
  const scores = requests.length > 0 ? await forwardWindows(model, requests) : []
  scores.forEach(({ lengthOf }, b) => {
    for (const [g, t] of expectedRemaining(layout, windows[b]!, lengthOf!)) tokens[g] = t
  })
  return gaps.map((gap, g) => ({ gapId: gap.id, tokens: tokens[g]! }))
}

export interface MissingOptions {
  /** Report the places where the model expects at least this many tokens (default: the length threshold). */
  threshold?: number
  signal?: AbortSignal
}

/** One window of the scan done: the marks it found. The contract's event, as the engine yields it. */
export type MissingProgress = Extract<MissingEvent, { type: 'window' }>

/** Every mark, in text order, and how many windows were read of how many. */
export type MissingMap = Omit<Extract<MissingEvent, { type: 'done' }>, 'elapsedMs'>

/**
 * Scans a whole text for the places where the model expects text to be missing, one window (one forward pass)
 * at a time, so it can be stopped between any two. Only slots between whole characters are reported.
 */
export async function* findMissing(
  model: ForwardModel,
  text: string,
  options: MissingOptions = {}
): AsyncGenerator<MissingProgress, MissingMap> {
  needLengthHead(model)
  const threshold = options.threshold ?? decodingDefaults(model.card).lengthThreshold
  // The text as a draft with no gaps; a scan window is a plain window of it.
  const layout = new Draft(encodeParts(model.tokenizer, text ? [{ kind: 'text', text }] : [])).layout()
  const ends = model.tokenizer.charOffsets(layout.tokens)
  const windows = scanWindows(layout.tokens.length, model.card.maxLength - 2)
  const marks: MissingMark[] = []
  for (const [k, scan] of windows.entries()) {
    if (options.signal?.aborted) return { type: 'done', marks, done: k, total: windows.length, aborted: true }
    const window = { from: scan.from, to: scan.to, active: new Set<number>() }
    const rows = Array.from({ length: scan.last - scan.first }, (_, i) => scan.first + i - scan.from + 2)
    // Every slot of the window is asked, not only the scanned ones: a model with a gap marker reads the asked rows
    // as the places that may insert, and "where is something missing" is the question with every place open (the
    // paper's setting); an open stretch inside fixed text would read as a gap a writer marked.
    const everySlot = Array.from({ length: scan.to - scan.from + 1 }, (_, i) => i + 1)
    const [scores] = await forwardWindows(model, [{ layout, window, rows: everySlot }])
    const found = rows.flatMap((row) => {
      const slot = slotToken(window, row)
      const offset = slot < 0 ? 0 : ends[slot]!
      const tokens = scores!.lengthOf!(row)
      return offset >= 0 && tokens >= threshold ? [{ offset, tokens }] : []
    })
    marks.push(...found)
    yield { type: 'window', done: k + 1, total: windows.length, marks: found }
  }
  return { type: 'done', marks, done: windows.length, total: windows.length, aborted: false }
}
