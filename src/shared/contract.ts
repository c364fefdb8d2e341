// The one contract between the renderer and the app (Electron main, or the web host in browser mode).
// Each request channel names its request schema and its response type; each stream channel names its
// start schema and its event type. Both transports validate every request with these schemas before a
// handler runs, so a malformed payload never reaches the core.
import { z } from 'zod'
import type { DocumentContent, DocumentSummary, GapMark, Revision, RevisionSummary, StoredDocument } from './documents'
import { MAX_BODY_BYTES, MAX_IMPORT_BASE64_LENGTH, MAX_PARALLEL, MAX_TITLE_LENGTH } from './limits'

const id = z.string().min(1).max(100)
/** Expected missing tokens (the length head's unit): where a gap ends, or what the missing-text map shows. */
const lengthThreshold = z.number().gt(0).max(100)
const word = z.string().trim().min(1).max(100)
const title = z.string().max(MAX_TITLE_LENGTH)
// The limit is in UTF-8 bytes, as the store measures it; a UTF-16 unit is 1 to 3 of them, so encode only near it.
const body = z
  .string()
  .refine(
    (text) =>
      text.length <= MAX_BODY_BYTES &&
      (text.length * 3 <= MAX_BODY_BYTES || new TextEncoder().encode(text).length <= MAX_BODY_BYTES),
    `larger than ${MAX_BODY_BYTES} bytes (UTF-8)`
  )

export const GapMarkSchema = z
  .object({
    id,
    from: z.number().int().min(0),
    to: z.number().int().min(0),
    min: z.number().int().min(0).max(2000).optional(),
    max: z.number().int().min(0).max(2000).optional(),
    include: z.array(word).max(20).optional(),
    ban: z.array(word).max(50).optional()
  })
  .strict()
  .refine((g) => g.from <= g.to, 'a gap ends before it starts')
  .refine(
    (g) => g.min === undefined || g.max === undefined || g.min <= g.max,
    'min is greater than max'
  ) satisfies z.ZodType<GapMark>

export const DocumentContentSchema = z
  .object({ title, body, gaps: z.array(GapMarkSchema).max(200) })
  .strict() satisfies z.ZodType<DocumentContent>

/**
 * A run's settings. temperature, topP and lengthThreshold left out: the model's own default (model.json
 * "decoding"), else the engine's (ModelInfo.decoding says which values those are).
 */
export const GenerationParamsSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().gt(0).max(1).optional(),
    topK: z.number().int().min(0).max(1000).optional(),
    stopThreshold: z.number().gt(0).max(1),
    /** Models with a length head: a gap ends once the model expects fewer tokens than this still missing in it. */
    lengthThreshold: lengthThreshold.optional(),
    alternatives: z.number().int().min(1).max(8),
    parallel: z.number().int().min(1).max(MAX_PARALLEL),
    maxTokens: z.number().int().min(1).max(2000),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31)
      .optional()
  })
  .strict()
export type GenerationParams = z.infer<typeof GenerationParamsSchema>

export const ExportFormatSchema = z.enum(['md', 'txt', 'docx', 'pdf', 'epub'])
export type ExportFormat = z.infer<typeof ExportFormatSchema>
/** How PDF and DOCX pages look: a standard manuscript (the default) or a book. */
export const ExportLayoutSchema = z.enum(['manuscript', 'book'])
export type ExportLayout = z.infer<typeof ExportLayoutSchema>

export const ThemeSchema = z.enum(['system', 'light', 'dark'])

export const SettingsSchema = z
  .object({
    author: z.string().max(200),
    theme: ThemeSchema,
    generation: GenerationParamsSchema,
    lastDocumentId: id.nullable(),
    /** The model folder's name (see model:list); null = the shipped default. */
    model: z.string().min(1).max(100).nullable()
  })
  .strict()
export type Settings = z.infer<typeof SettingsSchema>

export interface AppInfo {
  name: string
  version: string
  /** Where the API is served from: the Electron main process or the loopback web host. */
  host: 'electron' | 'web'
}

/** A model the app can switch to: a folder with model.json, model.onnx and tokenizer.json. */
export interface ModelSummary {
  name: string
  kind: 'ilm' | 'ar'
  parameters: number | null
  sizeBytes: number
  /** The one in use. */
  active: boolean
}

/** The sampling settings a run may leave to the model. */
export interface DecodingValues {
  temperature: number
  topP: number
  lengthThreshold: number
}

export interface ModelInfo {
  status: 'loading' | 'ready' | 'error'
  /** 0..1 while loading. */
  progress: number
  name: string
  /** Bytes of model.onnx. */
  sizeBytes: number
  parameters: number | null
  /** The onnxruntime execution provider in use (cpu, cuda, dml, coreml). */
  provider: string | null
  maxLength: number | null
  /** Once ready: whether the model has a length head, which the gap estimate and the missing-text map need. */
  lengthHead?: boolean
  /** Once ready: what a run uses for the settings it leaves out (model.json "decoding", else the engine's). */
  decoding?: DecodingValues
  error?: string
}

/**
 * An export the host has produced: Electron saved it where the user chose; the browser downloads the bytes. `warnings`:
 * what the writer should know about the file (characters no font could draw in a PDF).
 */
export type ExportOutcome =
  | { kind: 'saved'; path: string; warnings?: string[] }
  | { kind: 'cancelled' }
  | { kind: 'download'; fileName: string; mimeType: string; base64: string; warnings?: string[] }

export const empty = z.object({}).strict()
const byId = z.object({ id }).strict()

export const requests = {
  'app:info': empty,
  'model:info': empty,
  'model:list': empty,
  'documents:list': z.object({ query: title.optional() }).strict(),
  'documents:create': z.object({ content: DocumentContentSchema.optional() }).strict(),
  'documents:open': byId,
  'documents:saveDraft': z.object({ id, content: DocumentContentSchema }).strict(),
  'documents:save': z.object({ id, content: DocumentContentSchema }).strict(),
  'documents:rename': z.object({ id, title }).strict(),
  'documents:delete': byId,
  'documents:undoDelete': byId,
  'documents:revisions': byId,
  'documents:revision': z.object({ revisionId: z.number().int().min(1) }).strict(),
  'documents:restore': z.object({ id, revisionId: z.number().int().min(1) }).strict(),
  'settings:get': empty,
  'settings:set': SettingsSchema.partial().strict(),
  'export:documents': z
    .object({ ids: z.array(id).min(1).max(200), format: ExportFormatSchema, layout: ExportLayoutSchema.optional() })
    .strict(),
  /** A .txt, .md or .docx file the user picked, read by the renderer; it becomes a new document. */
  'import:document': z
    .object({ fileName: z.string().min(1).max(255), base64: z.string().max(MAX_IMPORT_BASE64_LENGTH) })
    .strict(),
  'generation:stop': z.object({ runId: id }).strict(),
  /** The model's estimate for each gap of the content as it stands, from one forward pass; nothing changes. */
  'generation:estimate': z.object({ content: DocumentContentSchema }).strict()
} as const

export interface ResponseMap {
  'app:info': AppInfo
  'model:info': ModelInfo
  'model:list': ModelSummary[]
  'documents:list': DocumentSummary[]
  'documents:create': StoredDocument
  'documents:open': StoredDocument
  'documents:saveDraft': null
  'documents:save': StoredDocument
  'documents:rename': StoredDocument
  'documents:delete': null
  'documents:undoDelete': StoredDocument
  'documents:revisions': RevisionSummary[]
  'documents:revision': Revision
  'documents:restore': StoredDocument
  'settings:get': Settings
  'settings:set': Settings
  'export:documents': ExportOutcome
  'import:document': ImportedDocument
  'generation:stop': { stopped: boolean }
  'generation:estimate': GapEstimates
}

export type Channel = keyof typeof requests
/** What the renderer sends on a channel. */
export type RequestOf<C extends Channel> = z.input<(typeof requests)[C]>
/** What a handler receives: the request after its schema has parsed it (trimmed, defaults filled). */
export type ParsedRequest<C extends Channel> = z.output<(typeof requests)[C]>

/** One insertion, streamed as the model makes it. */
export interface InsertionEventData {
  alternative: number
  step: number
  gapId: string
  /** Where `text` goes in the alternative's current text (before this insertion), in the text being filled. */
  charOffset: number
  text: string
  tokenId: number
  /** softmax(stop logits)[complete] at this step's forward pass. */
  stopProb: number
  /** A required word placed before generation. */
  required: boolean
  /**
   * Models with a length head: the tokens the model expects still missing in each gap of the window at this
   * step's forward pass (the live estimate; a gap it lists below the length threshold ends there). Absent for
   * models without one.
   */
  remaining?: GapEstimate[]
}

/** The model's expectation for one gap: how many tokens are still missing there. */
export interface GapEstimate {
  gapId: string
  tokens: number
}

/**
 * Why a gap stopped growing: 'model' — the model judged it complete (its expected remaining length fell below
 * the length threshold; for models without a length head, the stop head judged the window complete); 'max' —
 * it reached its max; 'window' — it holds as much as the model can see of one gap; 'max-tokens' — the run's
 * token budget ran out; 'aborted' — the writer stopped the run.
 */
export type GapEndReason = 'model' | 'max' | 'window' | 'max-tokens' | 'aborted'

export interface FilledAlternative {
  text: string
  gaps: { id: string; text: string; tokens: number; endReason: GapEndReason }[]
  steps: number
  /**
   * The run as a whole, from its gaps: 'aborted' if the writer stopped it, else 'max-tokens' if the budget ended
   * a gap, else 'no-slot' if a gap filled the model's window, else 'stop' (every gap ended by the model or at its
   * max).
   */
  stopReason: 'stop' | 'max-tokens' | 'no-slot' | 'aborted'
}

/**
 * A generation run. Before filling, rewrite-gaps (from < to) lose their text: offsets in the events count in
 * the body with those ranges removed, which is what the renderer shows while the run streams.
 */
export const GenerationStartSchema = z
  .object({ documentId: id, content: DocumentContentSchema, params: GenerationParamsSchema })
  .strict()
export type GenerationStart = z.infer<typeof GenerationStartSchema>

export type GenerationEvent =
  | { type: 'started'; runId: string; provider: string }
  | ({ type: 'insert' } & InsertionEventData)
  | { type: 'done'; alternatives: FilledAlternative[]; elapsedMs: number }
  | { type: 'error'; message: string }

/** Each gap's estimate, or why the model cannot give one (no length head). */
export type GapEstimates = { available: true; gaps: GapEstimate[] } | { available: false; message: string }

/** A scan of a whole text for the places where the model expects something missing. It never changes the text. */
export const MissingStartSchema = z
  .object({
    text: body,
    /** Marks where at least this many tokens are expected (default: the model's length threshold). */
    threshold: lengthThreshold.optional()
  })
  .strict()
export type MissingStart = z.infer<typeof MissingStartSchema>

/** A place in the text where the model expects `tokens` tokens to be missing; `offset` counts UTF-16 units. */
export interface MissingMark {
  offset: number
  tokens: number
}

/** A scan reads the text window by window (one forward pass each); each window reports its marks as it ends. */
export type MissingEvent =
  | { type: 'started'; runId: string; provider: string }
  | { type: 'window'; done: number; total: number; marks: MissingMark[] }
  | { type: 'done'; marks: MissingMark[]; done: number; total: number; aborted: boolean; elapsedMs: number }
  | { type: 'error'; message: string }

export const streams = {
  'generation:start': GenerationStartSchema,
  'missing:start': MissingStartSchema
} as const
export type StreamChannel = keyof typeof streams
/** What a stream's runner receives: the start request after its schema has parsed it. */
export type StreamRequest<C extends StreamChannel> = z.output<(typeof streams)[C]>

/** What each stream sends. */
export interface StreamEvents {
  'generation:start': GenerationEvent
  'missing:start': MissingEvent
}
export type StreamEvent = StreamEvents[StreamChannel]

/** A running stream: events arrive through the callback given at start; `stop` ends it (idempotent). */
export interface StreamHandle {
  stop(): void
  /** Settles after the last event. */
  finished: Promise<void>
}

export type ImportedDocument = StoredDocument & { warnings: string[] }

/**
 * What the desktop app's menu asks of the renderer. Import is done by main (a native open dialog needs no user
 * gesture in the page, a file input does), which then hands over the new document or why it failed.
 */
export type MenuCommand =
  | { kind: 'new' | 'export' | 'save' | 'toggle-theme' | 'missing' }
  | { kind: 'imported'; document: ImportedDocument }
  | { kind: 'import-failed'; message: string }

/** What the renderer sees as `window.inlay` (Electron) or the web client (browser mode). */
export interface InlayApi {
  app: { info(): Promise<AppInfo> }
  model: { info(): Promise<ModelInfo>; list(): Promise<ModelSummary[]> }
  documents: {
    list(query?: string): Promise<DocumentSummary[]>
    create(content?: DocumentContent): Promise<StoredDocument>
    open(id: string): Promise<StoredDocument>
    /** Queues the draft; the app writes it after a short pause in typing (and on quit). */
    saveDraft(id: string, content: DocumentContent): Promise<null>
    save(id: string, content: DocumentContent): Promise<StoredDocument>
    rename(id: string, title: string): Promise<StoredDocument>
    delete(id: string): Promise<null>
    undoDelete(id: string): Promise<StoredDocument>
    revisions(id: string): Promise<RevisionSummary[]>
    revision(revisionId: number): Promise<Revision>
    restore(id: string, revisionId: number): Promise<StoredDocument>
  }
  settings: {
    get(): Promise<Settings>
    set(patch: Partial<Settings>): Promise<Settings>
  }
  exports: {
    documents(ids: string[], format: ExportFormat, layout?: ExportLayout): Promise<ExportOutcome>
    importDocument(fileName: string, base64: string): Promise<ImportedDocument>
  }
  generation: {
    start(request: GenerationStart, onEvent: (event: GenerationEvent) => void): StreamHandle
    estimate(content: DocumentContent): Promise<GapEstimates>
  }
  /** The missing-text map: one scan at a time, and not while a generation runs. */
  missing: {
    start(request: MissingStart, onEvent: (event: MissingEvent) => void): StreamHandle
  }
  /** Electron only (browser mode has no application menu): subscribes to its commands; returns the unsubscribe. */
  menu?: { onCommand(callback: (command: MenuCommand) => void): () => void }
}

/** Errors crossing the transport boundary keep only a code and a message. */
export interface ApiError {
  code: 'invalid-request' | 'unknown-channel' | 'not-found' | 'conflict' | 'unavailable' | 'internal'
  message: string
}
