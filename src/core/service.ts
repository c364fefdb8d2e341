// The handlers behind every channel of the contract. Electron main and the web host both dispatch here, so
// validation and behaviour are identical in both; they differ only in transport and in how an export reaches
// the user (a save dialog, or a download).
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { z } from 'zod'
import {
  requests,
  streams,
  type ApiError,
  type Channel,
  type ExportOutcome,
  type GapEstimates,
  type GenerationEvent,
  type GenerationStart,
  type MissingEvent,
  type MissingStart,
  type ModelInfo,
  type ModelSummary,
  type ParsedRequest,
  type ResponseMap,
  type StreamChannel,
  type StreamEvent,
  type StreamEvents,
  type StreamHandle,
  type StreamRequest
} from '../shared/contract'
import type { DocumentContent } from '../shared/documents'
import { fillLayout, fillSegments, type FillLayout } from '../shared/segments'
import { decodingDefaults, estimateGaps, fill, findMissing, IlmModel, NoLengthHeadError } from './engine'
import { EXPORT_MEDIA_TYPES, ExportError, exportDocuments, importDocument } from './export'
import { readSettings, updateSettings } from './settings'
import { Autosaver, DocumentStore, StoreError } from './store'

export interface ServiceOptions {
  host: 'electron' | 'web'
  version: string
  /** Folder for the documents database (Electron: userData). */
  dataDir: string
  /** The default model folder (model.onnx, tokenizer.json, model.json): the shipped one. */
  modelDir: string
  /** Folders whose subfolders are models the user may switch to (settings.model), e.g. <userData>/models. */
  modelRoots?: string[]
  autosaveDelayMs?: number
  /** Pause after each streamed insertion (ms): paces runs of a tiny model for end-to-end tests. 0 by default. */
  stepDelayMs?: number
  /** Hands a finished export to the user: Electron asks where to save it; browser mode returns a download. */
  deliverExport?: (file: ExportFile) => Promise<ExportOutcome>
}

export interface ExportFile {
  fileName: string
  mimeType: string
  bytes: Uint8Array
}

/** Browser mode: the bytes go back to the page, which offers them as a download. */
export async function downloadExport(file: ExportFile): Promise<ExportOutcome> {
  return {
    kind: 'download',
    fileName: file.fileName,
    mimeType: file.mimeType,
    base64: Buffer.from(file.bytes).toString('base64')
  }
}

/** A file name from a title: no path separators or characters that some file systems refuse. */
export function fileNameFor(title: string, extension: string): string {
  const base =
    title
      .replace(/[\\/:*?"<>|\p{Cc}]+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 120) || 'Untitled'
  return `${base}.${extension}`
}

export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message)
  }
}

function fromCoreError(err: unknown): never {
  if (err instanceof ExportError) {
    throw new ApiFailure({
      code: err.reason === 'unwritable' ? 'unavailable' : 'invalid-request',
      message: err.message
    })
  }
  if (err instanceof StoreError) {
    const code = err.code === 'invalid' ? 'invalid-request' : err.code === 'not-found' ? 'not-found' : 'unavailable'
    throw new ApiFailure({ code, message: err.message })
  }
  throw err
}

function invalid(message: string): ApiFailure {
  return new ApiFailure({ code: 'invalid-request', message })
}

function parse<T>(schema: z.ZodType<T>, name: string, payload: unknown): T {
  const parsed = schema.safeParse(payload ?? {})
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
  throw invalid(`Invalid request for ${name}: ${issues.join('; ')}`)
}

const loadingInfo = (name: string): ModelInfo => ({
  status: 'loading',
  progress: 0,
  name,
  sizeBytes: 0,
  parameters: null,
  provider: null,
  maxLength: null
})

export function createService(options: ServiceOptions) {
  const store = DocumentStore.open(options.dataDir)
  store.emptyTrash() // erases what has been in the trash longer than TRASH_KEEP_MS
  const autosaver = new Autosaver(store, { delayMs: options.autosaveDelayMs })
  const settings = () => readSettings(store)

  /** The default model, then every model folder under the roots; the first of a name wins. */
  async function modelFolders(): Promise<Map<string, string>> {
    const found = new Map([[basename(options.modelDir), options.modelDir]])
    for (const root of options.modelRoots ?? []) {
      const entries = await readdir(root, { withFileTypes: true }).catch(() => [])
      for (const entry of entries) {
        const dir = join(root, entry.name)
        if (entry.isDirectory() && !found.has(entry.name) && existsSync(join(dir, 'model.json')))
          found.set(entry.name, dir)
      }
    }
    return found
  }

  // The model in use: loading starts at once, requests wait for it. Switching loads the new one, then swaps.
  let modelInfo!: ModelInfo
  let modelReady!: Promise<IlmModel | null>
  function loadModel(dir: string): Promise<IlmModel | null> {
    modelInfo = loadingInfo(basename(dir))
    const loading = (async () => {
      try {
        modelInfo = { ...modelInfo, sizeBytes: (await stat(join(dir, 'model.onnx'))).size, progress: 0.3 }
        const model = await IlmModel.load(dir)
        const parameters = model.card.raw['parameters']
        modelInfo = {
          ...modelInfo,
          status: 'ready',
          progress: 1,
          provider: model.provider,
          maxLength: model.card.maxLength,
          lengthHead: model.card.lengthHead,
          decoding: decodingDefaults(model.card),
          parameters: typeof parameters === 'number' ? parameters : null
        }
        return model
      } catch (err) {
        modelInfo = { ...modelInfo, status: 'error', error: (err as Error).message }
        return null
      }
    })()
    modelReady = loading
    return loading
  }
  // The model chosen in settings if it is still there, else the shipped default.
  const chosen = settings().model
  modelInfo = loadingInfo(chosen ?? basename(options.modelDir))
  modelReady = modelFolders().then((folders) => loadModel((chosen !== null && folders.get(chosen)) || options.modelDir))

  async function switchModel(name: string | null): Promise<void> {
    const dir = (await modelFolders()).get(name ?? basename(options.modelDir))
    if (!dir) throw invalid(`No model named "${name}" (see the model list)`)
    if (basename(dir) === modelInfo.name) return
    if (runs.size > 0)
      throw new ApiFailure({ code: 'conflict', message: 'Stop the running generation or scan before switching models' })
    const previous = modelReady
    await loadModel(dir)
    await (await previous)?.dispose()
  }

  async function listModels(): Promise<ModelSummary[]> {
    const summaries: ModelSummary[] = []
    for (const [name, dir] of await modelFolders()) {
      try {
        const card = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
          kind?: unknown
          parameters?: unknown
        }
        summaries.push({
          name,
          kind: card.kind === 'ar' ? 'ar' : 'ilm',
          parameters: typeof card.parameters === 'number' ? card.parameters : null,
          sizeBytes: (await stat(join(dir, 'model.onnx'))).size,
          active: name === modelInfo.name
        })
      } catch {
        // An unreadable folder is not offered; loading it would fail with the reason.
      }
    }
    return summaries.filter((m) => m.kind === 'ilm')
  }

  /** Reads see every queued draft. */
  function flushed<T>(read: () => T): T {
    autosaver.flush()
    return read()
  }

  // Each handler takes what its channel's schema outputs, so a request type cannot drift from its schema.
  type Handlers = { [C in Channel]: (request: ParsedRequest<C>) => Promise<ResponseMap[C]> | ResponseMap[C] }
  const handlers: Handlers = {
    'app:info': () => ({ name: 'Inlay', version: options.version, host: options.host }),
    'model:info': () => modelInfo,
    'model:list': () => listModels(),
    'documents:list': (r) => flushed(() => store.list({ query: r.query })),
    'documents:create': (r) => {
      const doc = store.create(r.content)
      updateSettings(store, { lastDocumentId: doc.id })
      return doc
    },
    'documents:open': (r) => {
      const doc = flushed(() => store.get(r.id))
      updateSettings(store, { lastDocumentId: doc.id })
      return doc
    },
    'documents:saveDraft': (r) => {
      store.get(r.id) // an unknown document fails now, not later in the timer
      autosaver.update(r.id, r.content)
      return null
    },
    'documents:save': (r) => flushed(() => store.save(r.id, r.content)),
    'documents:rename': (r) => flushed(() => store.rename(r.id, r.title)),
    'documents:delete': (r) => {
      flushed(() => store.delete(r.id))
      return null
    },
    'documents:undoDelete': (r) => {
      store.undoDelete(r.id)
      return store.get(r.id)
    },
    'documents:revisions': (r) => flushed(() => store.revisions(r.id)),
    'documents:revision': (r) => store.revision(r.revisionId),
    'documents:restore': (r) => flushed(() => store.restore(r.id, r.revisionId)),
    'settings:get': () => settings(),
    'settings:set': async (patch) => {
      if (patch.model !== undefined) await switchModel(patch.model)
      return updateSettings(store, patch)
    },
    'export:documents': async (r) => {
      const docs = flushed(() => r.ids.map((id) => store.get(id)))
      const title = docs.length > 1 ? `${docs[0]!.title} and ${docs.length - 1} more` : undefined
      const { bytes, warnings } = await exportDocuments(docs, r.format, {
        author: settings().author,
        title,
        layout: r.layout
      })
      const file = {
        fileName: fileNameFor(title ?? docs[0]!.title, r.format),
        mimeType: EXPORT_MEDIA_TYPES[r.format],
        bytes
      }
      const outcome = await (options.deliverExport ?? downloadExport)(file)
      return outcome.kind === 'cancelled' || warnings.length === 0 ? outcome : { ...outcome, warnings }
    },
    'import:document': async (r) => {
      const imported = await importDocument(Buffer.from(r.base64, 'base64'), r.fileName)
      const doc = store.create({ title: imported.title, body: imported.body, gaps: [] })
      updateSettings(store, { lastDocumentId: doc.id })
      return { ...doc, warnings: imported.warnings }
    },
    'generation:stop': (r) => {
      const run = runs.get(r.runId)
      run?.controller.abort()
      return { stopped: run !== undefined }
    },
    'generation:estimate': (r) => estimate(r.content)
  }

  async function dispatch(channel: string, payload: unknown): Promise<unknown> {
    if (!Object.hasOwn(requests, channel)) {
      throw new ApiFailure({ code: 'unknown-channel', message: `Unknown channel: ${channel}` })
    }
    try {
      return await handle(channel as Channel, payload)
    } catch (err) {
      fromCoreError(err)
    }
  }

  // The schemas as a map over channels, so indexing with a generic channel keeps schema and handler paired.
  const schemas: { [C in Channel]: z.ZodType<ParsedRequest<C>> } = requests
  function handle<C extends Channel>(channel: C, payload: unknown): Promise<ResponseMap[C]> | ResponseMap[C] {
    return handlers[channel](parse(schemas[channel], channel, payload))
  }

  /** The streams running now (one at a time): a generation or a missing-text scan. */
  const runs = new Map<string, { channel: StreamChannel; controller: AbortController }>()

  async function readyModel(): Promise<IlmModel> {
    const model = await modelReady
    if (!model)
      throw new ApiFailure({ code: 'unavailable', message: `The model could not be loaded: ${modelInfo.error}` })
    return model
  }

  function layoutOf(content: Pick<DocumentContent, 'body' | 'gaps'>): FillLayout {
    try {
      return fillLayout(content)
    } catch (err) {
      throw invalid((err as Error).message)
    }
  }

  async function estimate(content: DocumentContent): Promise<GapEstimates> {
    const model = await readyModel()
    try {
      return { available: true, gaps: await estimateGaps(model, fillSegments(layoutOf(content))) }
    } catch (err) {
      if (err instanceof NoLengthHeadError) return { available: false, message: err.message }
      throw err
    }
  }

  async function generate(
    request: GenerationStart,
    runId: string,
    signal: AbortSignal,
    emit: (e: GenerationEvent) => void
  ): Promise<void> {
    const model = await readyModel()
    const layout = layoutOf(request.content)
    if (layout.gaps.length === 0) throw invalid('Mark at least one gap before generating')
    // The draft as it stands, and a revision to come back to, before the model touches anything.
    autosaver.flush()
    store.saveDraft(request.documentId, request.content)
    store.snapshot(request.documentId, 'generation')

    emit({ type: 'started', runId, provider: model.provider })
    const started = performance.now()
    const run = fill(model, fillSegments(layout), { ...request.params, signal })
    for (;;) {
      const next = await run.next()
      if (next.done) {
        emit({
          type: 'done',
          alternatives: next.value.alternatives,
          elapsedMs: Math.round(performance.now() - started)
        })
        return
      }
      const { type: _type, ...event } = next.value
      emit({ type: 'insert', ...event })
      if (options.stepDelayMs) await new Promise((resolve) => setTimeout(resolve, options.stepDelayMs))
    }
  }

  /** The missing-text map: reads the text window by window; the text itself is never touched. */
  async function scan(
    request: MissingStart,
    runId: string,
    signal: AbortSignal,
    emit: (e: MissingEvent) => void
  ): Promise<void> {
    const model = await readyModel()
    if (!model.card.lengthHead) throw new ApiFailure({ code: 'unavailable', message: new NoLengthHeadError().message })
    emit({ type: 'started', runId, provider: model.provider })
    const started = performance.now()
    const run = findMissing(model, request.text, { threshold: request.threshold, signal })
    for (;;) {
      const next = await run.next()
      if (next.done) {
        emit({ ...next.value, elapsedMs: Math.round(performance.now() - started) })
        return
      }
      emit(next.value)
    }
  }

  type Runner<C extends StreamChannel> = (
    request: StreamRequest<C>,
    runId: string,
    signal: AbortSignal,
    emit: (event: StreamEvents[C]) => void
  ) => Promise<void>
  const runners: { [C in StreamChannel]: { run: Runner<C>; what: string } } = {
    'generation:start': { run: generate, what: 'A generation' },
    'missing:start': { run: scan, what: 'The missing-text scan' }
  }
  const streamSchemas: { [C in StreamChannel]: z.ZodType<StreamRequest<C>> } = streams

  /** Starts a stream. Validation errors throw here; later failures arrive as an 'error' event. */
  function stream(channel: string, payload: unknown, emit: (event: StreamEvent) => void): StreamHandle {
    if (!Object.hasOwn(streams, channel))
      throw new ApiFailure({ code: 'unknown-channel', message: `Unknown stream: ${channel}` })
    return start(channel as StreamChannel, payload, emit)
  }

  function start<C extends StreamChannel>(
    channel: C,
    payload: unknown,
    emit: (event: StreamEvents[C]) => void
  ): StreamHandle {
    const request = parse(streamSchemas[channel], channel, payload)
    // The model does one thing at a time: a generation and a scan would halve each other's speed.
    const running = runs.values().next().value
    if (running)
      throw new ApiFailure({
        code: 'conflict',
        message: `${runners[running.channel].what} is already running; stop it first`
      })
    const runId = randomUUID()
    const controller = new AbortController()
    runs.set(runId, { channel, controller })
    const { run, what } = runners[channel]
    const finished = run(request, runId, controller.signal, emit)
      .catch((err: unknown) => {
        const known = err instanceof ApiFailure || err instanceof StoreError
        if (!known) console.error(`[inlay] ${channel} failed:`, err)
        emit({ type: 'error', message: known ? err.message : `${what} failed: ${(err as Error).message}` })
      })
      .finally(() => runs.delete(runId))
    return { stop: () => controller.abort(), finished }
  }

  async function close(): Promise<void> {
    for (const run of runs.values()) run.controller.abort()
    autosaver.dispose()
    store.close()
    const model = await modelReady
    await model?.dispose()
  }

  return { dispatch, stream, close }
}

export type Service = ReturnType<typeof createService>
