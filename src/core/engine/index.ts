export { parseTemplate, validateSegments, DocumentError, type GapSpec, type Segment } from './document'
export {
  estimateGaps,
  findMissing,
  NoLengthHeadError,
  type MissingMap,
  type MissingOptions,
  type MissingProgress
} from './estimate'
export { decodingDefaults, fill, type FillOptions, type FillResult, type FilledText, type InsertionEvent } from './fill'
export type { ForwardModel } from './forward'
export { IlmModel, ModelLoadError, providerCandidates } from './model'
export { DEFAULT_LENGTH_THRESHOLD } from './stopping'
export { TextTokenizer } from './tokenizer'
