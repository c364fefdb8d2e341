// The open document's revisions (Revisions panel): the list, one shown in preview, and restoring one.
import type { InlayApi } from '../../../shared/contract'
import type { Revision, RevisionSummary } from '../../../shared/documents'
import type { Draft } from './draft.svelte'
import type { Generation } from './generation.svelte'
import type { Notices } from './notices.svelte'

export class Revisions {
  list = $state<RevisionSummary[]>([])
  preview = $state<Revision | null>(null)

  constructor(
    private readonly api: InlayApi['documents'],
    private readonly notices: Notices,
    private readonly draft: Draft,
    private readonly generation: Pick<Generation, 'blocks'>
  ) {}

  async load(): Promise<void> {
    const doc = this.draft.current
    if (!doc) return
    await this.notices.attempt('Could not list the revisions', async () => {
      // The latest draft is written first, so the list ends with what the editor shows.
      await this.draft.flush()
      this.list = await this.api.revisions(doc.id)
    })
  }

  async show(revisionId: number): Promise<void> {
    await this.notices.attempt('Could not open the revision', async () => {
      this.preview = await this.api.revision(revisionId)
    })
  }

  async restore(revisionId: number): Promise<void> {
    const doc = this.draft.current
    const view = this.draft.view
    if (!doc || !view || this.generation.blocks()) return
    await this.draft.flush()
    const restored = await this.notices.attempt('Could not restore the revision', async () => {
      this.draft.replace(await this.api.restore(doc.id, revisionId))
    })
    if (!restored) return
    this.preview = null
    this.notices.notify('Revision restored. The text before it was kept as a revision too.')
    await this.load()
    view.focus()
  }
}
