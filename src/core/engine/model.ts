// The ILM on onnxruntime-node: loads and checks a model folder (model.onnx + tokenizer.json + model.json),
// picks the best execution provider this machine offers, and runs batched forward passes.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { TextTokenizer } from './tokenizer'

/** Sampling settings the model's trainer recommends (model.json "decoding"); a caller's own settings win. */
export interface DecodingDefaults {
  topP?: number
  temperature?: number
  /** A gap ends once the model expects fewer tokens than this still missing in it (length-head models). */
  lengthThreshold?: number
}

export interface ModelCard {
  kind: 'ilm' | 'ar'
  vocabSize: number
  maxLength: number
  /** format_version 3: the graph also returns `lengths`, the expected tokens missing after each asked row. */
  lengthHead: boolean
  decoding: DecodingDefaults
  onnxSha256?: string
  tokenizerSha256?: string
  raw: Record<string, unknown>
}

export class ModelLoadError extends Error {}

export interface ForwardOutput {
  batch: number
  /** Rows returned per sequence: the longest request (shorter ones are padded with row 0). */
  rows: number
  vocab: number
  /** [batch, rows, vocab] row-major: each sequence's requested rows, in the order asked. */
  tokenLogits: Float32Array
  /** [batch, 2]; index 0 = "text complete". */
  stopLogits: Float32Array
  /** [batch, rows]: expected tokens missing right after each asked row (λ ≥ 0); null without a length head. */
  lengths: Float32Array | null
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function readOrExplain(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ModelLoadError(
      code === 'ENOENT' ? `Model folder lacks ${what}: ${path}` : `Cannot read ${path}: ${String(err)}`
    )
  }
}

function parseCard(text: string, path: string): ModelCard {
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(text) as Record<string, unknown>
  } catch (err) {
    throw new ModelLoadError(`${path} is not valid JSON: ${(err as Error).message}`)
  }
  const kind = raw['kind']
  const vocabSize = raw['vocab_size']
  const maxLength = raw['max_len']
  if (kind !== 'ilm' && kind !== 'ar') throw new ModelLoadError(`${path}: "kind" must be "ilm" or "ar"`)
  if (!Number.isInteger(vocabSize) || !Number.isInteger(maxLength)) {
    throw new ModelLoadError(`${path}: "vocab_size" and "max_len" must be integers`)
  }
  const version = raw['format_version'] ?? 2
  if (version !== 2 && version !== 3) {
    throw new ModelLoadError(`${path}: format_version ${String(version)} is not one this app reads (2 or 3)`)
  }
  const str = (key: string) => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined)
  return {
    kind,
    vocabSize: vocabSize as number,
    maxLength: maxLength as number,
    lengthHead: version === 3,
    decoding: parseDecoding(raw['decoding'], path),
    onnxSha256: str('onnx_sha256'),
    tokenizerSha256: str('tokenizer_sha256'),
    raw
  }
}

/** model.json "decoding": {"top_p", "temperature", "length_threshold"}, each optional; absent = {}. */
function parseDecoding(value: unknown, path: string): DecodingDefaults {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ModelLoadError(`${path}: "decoding" must be an object`)
  const fields = value as Record<string, unknown>
  const read = (key: string, ok: (n: number) => boolean, what: string): number | undefined => {
    const n = fields[key]
    if (n === undefined) return undefined
    if (typeof n !== 'number' || !ok(n)) throw new ModelLoadError(`${path}: "decoding.${key}" must be ${what}`)
    return n
  }
  const decoding: DecodingDefaults = {}
  const topP = read('top_p', (n) => n > 0 && n <= 1, 'in (0, 1]')
  const temperature = read('temperature', (n) => n >= 0, 'a number >= 0')
  const lengthThreshold = read('length_threshold', (n) => n > 0, 'a number > 0')
  if (topP !== undefined) decoding.topP = topP
  if (temperature !== undefined) decoding.temperature = temperature
  if (lengthThreshold !== undefined) decoding.lengthThreshold = lengthThreshold
  return decoding
}

/** Where onnxruntime-node keeps its native libraries for this platform. */
function ortBinaryDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch)
}

/**
 * Execution providers to try, best first, CPU last. A GPU provider is tried only when onnxruntime-node offers it
 * and, for CUDA, when its provider library was installed (the CUDA add-on is a separate download).
 */
export function providerCandidates(platform: NodeJS.Platform = process.platform): string[] {
  const offered = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]))
  const wanted = platform === 'win32' ? ['cuda', 'dml'] : platform === 'darwin' ? ['coreml'] : ['cuda']
  const installed = (name: string) =>
    offered.get(name) === true ||
    (name === 'cuda' &&
      existsSync(
        join(
          ortBinaryDir(),
          platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'
        )
      ))
  return [...wanted.filter((name) => offered.has(name) && installed(name)), 'cpu']
}

export class IlmModel {
  private constructor(
    readonly dir: string,
    readonly card: ModelCard,
    readonly tokenizer: TextTokenizer,
    readonly provider: string,
    private readonly session: ort.InferenceSession
  ) {}

  static async load(dir: string, options: { providers?: string[]; threads?: number } = {}): Promise<IlmModel> {
    const card = parseCard(
      (await readOrExplain(join(dir, 'model.json'), 'model.json')).toString('utf8'),
      join(dir, 'model.json')
    )
    const onnxBytes = await readOrExplain(join(dir, 'model.onnx'), 'model.onnx')
    const tokenizerBytes = await readOrExplain(join(dir, 'tokenizer.json'), 'tokenizer.json')
    if (card.onnxSha256 && sha256(onnxBytes) !== card.onnxSha256) {
      throw new ModelLoadError(
        `model.onnx in ${dir} does not match model.json (sha256 differs): the file is corrupt or from another model`
      )
    }
    if (card.tokenizerSha256 && sha256(tokenizerBytes) !== card.tokenizerSha256) {
      throw new ModelLoadError(`tokenizer.json in ${dir} does not match model.json (sha256 differs)`)
    }
    let tokenizer: TextTokenizer
    try {
      tokenizer = new TextTokenizer(JSON.parse(tokenizerBytes.toString('utf8')))
    } catch (err) {
      throw new ModelLoadError(`tokenizer.json in ${dir} is unusable: ${(err as Error).message}`)
    }
    if (tokenizer.vocabSize > card.vocabSize) {
      throw new ModelLoadError(`tokenizer.json has ${tokenizer.vocabSize} tokens but the model only ${card.vocabSize}`)
    }

    const failures: string[] = []
    for (const provider of options.providers ?? providerCandidates()) {
      try {
        const session = await ort.InferenceSession.create(onnxBytes, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          intraOpNumThreads: options.threads ?? 0
        })
        const model = new IlmModel(dir, card, tokenizer, provider, session)
        model.checkOutputs()
        return model
      } catch (err) {
        if (err instanceof ModelLoadError) throw err
        failures.push(`${provider}: ${(err as Error).message.split('\n')[0]}`)
      }
    }
    throw new ModelLoadError(
      `Could not load ${join(dir, 'model.onnx')} on any execution provider (${failures.join('; ')})`
    )
  }

  /** The graph must have the inputs and outputs its model.json's format names (3: also `lengths`). */
  private checkOutputs(): void {
    const inputs = ['input_ids', 'positions', 'attention_mask', 'rows']
    const outputs = ['token_logits', 'stop_logits', ...(this.card.lengthHead ? ['lengths'] : [])]
    const has = (names: readonly string[], wanted: string[]) => wanted.every((name) => names.includes(name))
    if (!has(this.session.inputNames, inputs) || !has(this.session.outputNames, outputs)) {
      throw new ModelLoadError(
        `model.onnx in ${this.dir} is not an Inlay ILM graph of format ${this.card.lengthHead ? 3 : 2} ` +
          `(inputs ${this.session.inputNames.join(', ')}; outputs ${this.session.outputNames.join(', ')}; ` +
          `expected inputs ${inputs.join(', ')} and outputs ${outputs.join(', ')}): export it again with training/export.py model`
      )
    }
  }

  /**
   * One forward pass over a batch of token sequences (each `[CLS] …`), right-padded; positions 0..n-1. `rows`:
   * the positions whose token logits are wanted per sequence (default: all). Asking only for the rows a fill
   * may insert at skips most of the vocabulary head.
   */
  async forward(
    sequences: readonly (readonly number[])[],
    rows: readonly (readonly number[])[] = sequences.map((s) => s.map((_, i) => i))
  ): Promise<ForwardOutput> {
    const batch = sequences.length
    const length = Math.max(...sequences.map((s) => s.length))
    if (length > this.card.maxLength)
      throw new Error(`Sequence of ${length} tokens exceeds the model's ${this.card.maxLength}`)
    const rowCount = Math.max(1, ...rows.map((r) => r.length))
    const rowIds = new Array<number>(batch * rowCount).fill(0)
    rows.forEach((r, b) => r.forEach((row, j) => (rowIds[b * rowCount + j] = row)))
    const inputIds = new Array<number>(batch * length).fill(this.tokenizer.special.pad)
    const positions = new Array<number>(batch * length).fill(0)
    const attentionMask = new Array<number>(batch * length).fill(0)
    sequences.forEach((seq, b) => {
      seq.forEach((id, i) => {
        inputIds[b * length + i] = id
        positions[b * length + i] = i
        attentionMask[b * length + i] = 1
      })
    })
    return this.run({ batch, length, inputIds, positions, attentionMask, rowCount, rows: rowIds })
  }

  /** The raw graph: flat [batch * length] inputs exactly as the ONNX contract names them. */
  async run(input: {
    batch: number
    length: number
    inputIds: number[]
    positions: number[]
    attentionMask: number[]
    /** [batch * rowCount] positions whose token logits are returned. */
    rows: number[]
    rowCount: number
  }): Promise<ForwardOutput> {
    const { batch, length, rowCount } = input
    const tensor = (values: number[], dims: number[]) =>
      new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims)
    const out = await this.session.run({
      input_ids: tensor(input.inputIds, [batch, length]),
      positions: tensor(input.positions, [batch, length]),
      attention_mask: tensor(input.attentionMask, [batch, length]),
      rows: tensor(input.rows, [batch, rowCount])
    })
    const tokenLogits = out['token_logits']!.data as Float32Array
    const stopLogits = out['stop_logits']!.data as Float32Array
    const lengths = this.card.lengthHead ? (out['lengths']!.data as Float32Array) : null
    return { batch, rows: rowCount, vocab: tokenLogits.length / (batch * rowCount), tokenLogits, stopLogits, lengths }
  }

  async dispose(): Promise<void> {
    await this.session.release()
  }
}
