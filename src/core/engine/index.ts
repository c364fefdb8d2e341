export { parseTemplate, validateSegments, DocumentError, type GapSpec, type Segment } from './document'
export {
  fill,
  type FillOptions,
  type FillResult,
  type FilledText,
  type InsertionEvent,
  type ForwardModel
} from './fill'
export { IlmModel, ModelLoadError, providerCandidates } from './model'
export { TextTokenizer } from './tokenizer'
