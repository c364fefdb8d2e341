// Generation runs: starts one on the open draft, follows its stream, and routes the writer's review actions to it.
// The run itself (what it writes into the editor, and when) lives in ./run.
import type { GenerationParams, InlayApi, StreamHandle } from '../../../shared/contract'
import type { Draft } from './draft.svelte'
import type { Models } from './models.svelte'
import { errorMessage, type Notices } from './notices.svelte'
import { Run, type RunSnapshot } from './run'
import type { SettingsStore } from './settings.svelte'

/** The model's estimate for one gap before generating, as the gap's options show it. */
export type GapEstimateView =
  | { gapId: string; status: 'asking' }
  | { gapId: string; status: 'ready'; tokens: number }
  | { gapId: string; status: 'unavailable' | 'failed'; message: string }

export class Generation {
  /** The run's latest report, while one holds the editor. */
  run = $state<RunSnapshot | null>(null)
  /** The latest gap estimate asked for (raw: an answer is matched to its question by identity). */
  estimate = $state.raw<GapEstimateView | null>(null)
  private activeRun: Run | null = null
  private handle: StreamHandle | null = null
  /** A start in progress (writing the draft before the run begins): a second start meanwhile is refused. */
  private starting = false

  constructor(
    private readonly api: InlayApi['generation'],
    private readonly notices: Notices,
    private readonly draft: Draft,
    private readonly settings: SettingsStore,
    private readonly models: Models
  ) {}

  /** Whether a run holds the editor (from its start until the writer has decided on every gap). */
  get active(): boolean {
    return this.activeRun !== null || this.starting
  }

  /** True (and says why) while a run holds the editor. */
  blocks(): boolean {
    if (!this.active) return false
    this.notices.notify('Finish the generation first: accept or reject it, or stop it.')
    return true
  }

  async generate(): Promise<void> {
    const view = this.draft.view
    const doc = this.draft.current
    const settings = this.settings.value
    if (!view || !doc || !settings) return
    if (this.activeRun?.snapshot.phase === 'review') {
      this.notices.notify('Accept or reject this generation first.')
      return
    }
    if (this.active) {
      this.notices.notify('A generation is already running: wait for it, or press Escape to stop it.')
      return
    }
    if (this.draft.content().gaps.length === 0) {
      this.notices.notify('Mark a gap first: put the cursor where the model should write and press Mod-G.')
      return
    }
    const model = this.models.current
    if (model?.status === 'error') {
      this.notices.notify(`The model could not be loaded: ${model.error ?? 'unknown error'}`, 'error')
      return
    }
    this.draft.popover = null
    this.starting = true
    try {
      await this.draft.flush()
    } finally {
      this.starting = false
    }
    // Read after the flush: the run starts from exactly what the editor holds now.
    const content = this.draft.content()
    const params: GenerationParams = { ...settings.generation, seed: Math.floor(Math.random() * 2 ** 31) }
    // The run reports from its constructor on; those first reports are read from run.snapshot below.
    let created: Run | null = null
    const run = new Run(view, content, (snapshot) => {
      if (created) this.onRun(created, snapshot)
    })
    created = run
    this.activeRun = run
    this.run = run.snapshot
    const handle = this.api.start({ documentId: doc.id, content, params }, (event) => {
      // Not Notices.attempt: the run must stop here, synchronously, before the stream's next event.
      try {
        run.handle(event)
      } catch (err) {
        // The stream and the editor disagree (a bug): stop here and keep what is shown for review.
        run.stop()
        this.handle?.stop()
        this.notices.notify(`The generation went out of step and was stopped: ${errorMessage(err)}`, 'error')
      }
    })
    this.handle = handle
    void handle.finished.then(() => {
      if (this.handle === handle) this.handle = null
      run.ended()
    })
    view.focus()
  }

  private onRun(run: Run, snapshot: RunSnapshot): void {
    if (this.activeRun !== run) return
    this.run = snapshot
    if (snapshot.phase === 'finished') {
      // A run that abandoned itself (it lost step with the editor) takes its stream down with it.
      this.handle?.stop()
      this.handle = null
      this.activeRun = null
      this.run = null
      if (snapshot.error) this.notices.notify(`Generation failed: ${snapshot.error}`, 'error')
      this.draft.afterChange()
      // What the writer accepted is the draft now (it was written while the run still held the editor).
      if (snapshot.committed) void this.draft.saveNow()
      this.draft.view?.focus()
    } else if (snapshot.phase === 'review' && snapshot.error) {
      this.notices.notify(`The generation ended early: ${snapshot.error}. What it wrote is kept for review.`, 'error')
    }
  }

  /** Asks the model how much text it expects in a gap as the draft stands (one forward pass; nothing changes). */
  async estimateGap(gapId: string): Promise<void> {
    const asked: GapEstimateView = { gapId, status: 'asking' }
    this.estimate = asked
    let answer: GapEstimateView
    try {
      const result = await this.api.estimate(this.draft.content())
      const tokens = result.available ? result.gaps.find((g) => g.gapId === gapId)?.tokens : undefined
      if (!result.available) answer = { gapId, status: 'unavailable', message: result.message }
      else if (tokens === undefined) answer = { gapId, status: 'failed', message: 'the model gave no estimate for it' }
      else answer = { gapId, status: 'ready', tokens }
    } catch (err) {
      answer = { gapId, status: 'failed', message: errorMessage(err) }
    }
    if (this.estimate === asked) this.estimate = answer
  }

  /** Stops a running generation at once. */
  stop(): boolean {
    const run = this.activeRun
    if (!run) return false
    const phase = run.snapshot.phase
    if (phase !== 'running' && phase !== 'waiting') return phase === 'stopping'
    run.stop()
    this.handle?.stop()
    return true
  }

  /** Runs a review action when a run waits for review; false (so the key falls through) otherwise. */
  review(action: (run: Run) => void, when: (snapshot: RunSnapshot) => boolean = () => true): boolean {
    const run = this.activeRun
    if (!run || run.snapshot.phase !== 'review' || !when(run.snapshot)) return false
    action(run)
    return true
  }
}
