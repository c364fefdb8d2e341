// Builds the renderer's typed API from two transport primitives, so Electron's preload and browser mode's web
// client expose exactly the same object.
import type { Channel, InlayApi, RequestOf, ResponseMap, StreamChannel, StreamEvents, StreamHandle } from './contract'
import type { Envelope, StreamMessage } from './transport'

export type Invoke = <C extends Channel>(channel: C, request: RequestOf<C>) => Promise<Envelope<ResponseMap[C]>>
/** Opens a stream; returns a function that asks the app to stop it. */
export type OpenStream = (
  channel: StreamChannel,
  payload: unknown,
  onMessage: (message: StreamMessage) => void
) => () => void

export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

export function buildApi(invoke: Invoke, openStream: OpenStream): InlayApi {
  async function call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseMap[C]> {
    const envelope = await invoke(channel, request)
    if (!envelope.ok) throw new ApiCallError(envelope.error.code, envelope.error.message)
    return envelope.value
  }
  /** Opens a stream; its events go to `onEvent`, a transport error as an 'error' event; `finished` settles at its end. */
  function open<C extends StreamChannel>(
    channel: C,
    request: unknown,
    onEvent: (event: StreamEvents[C]) => void
  ): StreamHandle {
    let settle!: () => void
    const finished = new Promise<void>((resolve) => (settle = resolve))
    let ended = false
    const stop = openStream(channel, request, (message) => {
      if (ended) return
      if ('event' in message) onEvent(message.event as StreamEvents[C])
      else if ('error' in message) onEvent({ type: 'error', message: message.error.message })
      else {
        ended = true
        settle()
      }
    })
    return { stop: () => (ended ? undefined : stop()), finished }
  }
  return {
    app: { info: () => call('app:info', {}) },
    model: { info: () => call('model:info', {}), list: () => call('model:list', {}) },
    documents: {
      list: (query) => call('documents:list', query === undefined ? {} : { query }),
      create: (content) => call('documents:create', content === undefined ? {} : { content }),
      open: (id) => call('documents:open', { id }),
      saveDraft: (id, content) => call('documents:saveDraft', { id, content }),
      save: (id, content) => call('documents:save', { id, content }),
      rename: (id, title) => call('documents:rename', { id, title }),
      delete: (id) => call('documents:delete', { id }),
      undoDelete: (id) => call('documents:undoDelete', { id }),
      revisions: (id) => call('documents:revisions', { id }),
      revision: (revisionId) => call('documents:revision', { revisionId }),
      restore: (id, revisionId) => call('documents:restore', { id, revisionId })
    },
    settings: {
      get: () => call('settings:get', {}),
      set: (patch) => call('settings:set', patch)
    },
    exports: {
      documents: (ids, format, layout) => call('export:documents', { ids, format, layout }),
      importDocument: (fileName, base64) => call('import:document', { fileName, base64 })
    },
    generation: {
      start: (request, onEvent) => open('generation:start', request, onEvent),
      estimate: (content) => call('generation:estimate', { content })
    },
    missing: { start: (request, onEvent) => open('missing:start', request, onEvent) }
  }
}
