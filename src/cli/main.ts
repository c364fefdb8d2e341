// Headless Inlay: `npm run --silent inlay -- fill "<text with {{gaps}}>" [flags]`, `… generate`, `… estimate
// "<text>"` (the tokens the model expects in each gap), `… missing <file | id>` (where it expects text to be
// missing) and `… export`.
import { parseArgs } from 'node:util'
import {
  DocumentError,
  estimateGaps,
  fill,
  findMissing,
  IlmModel,
  ModelLoadError,
  NoLengthHeadError,
  parseTemplate,
  type FillOptions,
  type FillResult,
  type Segment
} from '../core/engine'
import { defaultModelDir } from '../core/paths'
import { ExportError } from '../core/export'
import { StoreError } from '../core/store'
import { EXPORT_USAGE, ExportUsageError, NoDocumentStoreError, readInputs, runExportCommand } from './export'

const USAGE = `usage:
  inlay fill "<text>" [flags]     fill the gaps of <text>: {{}}, {{max:N}}, {{min:N,max:N}}, {{include:w1,w2}}, {{ban:w}}
  inlay generate [flags]          write a story from nothing
  inlay estimate "<text>"         how many tokens the model expects in each gap of <text> (one forward pass)
  inlay missing <document-id | file.md|.txt|.docx> [--threshold X]
                                  where the model expects text to be missing, and how many tokens (text unchanged)
  inlay export <document-id | file.md|.txt|.docx> --format md|txt|docx|pdf|epub --out FILE   (inlay export --help)
flags:
  --seed N  --temperature X (0 = greedy)  --top-p X  --top-k N  --stop-threshold X  --length-threshold X
  --max-tokens N  --alternatives N  --parallel K  --model DIR  --json (one JSON line per insertion, then the result)
estimate and missing need a model with a length head; missing --threshold X: marks where at least X tokens are
expected (default: the model's length threshold).`

class UsageError extends Error {}

function numberFlag(
  values: Record<string, unknown>,
  name: string,
  check: (n: number) => boolean,
  what: string
): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got "${String(raw)}"`)
  return n
}

async function main(argv: string[]): Promise<void> {
  // export has flags of its own (src/cli/export.ts).
  if (argv[0] === 'export') return runExportCommand(argv.slice(1))
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        seed: { type: 'string' },
        temperature: { type: 'string' },
        'top-p': { type: 'string' },
        'top-k': { type: 'string' },
        'stop-threshold': { type: 'string' },
        'length-threshold': { type: 'string' },
        threshold: { type: 'string' },
        'max-tokens': { type: 'string' },
        alternatives: { type: 'string' },
        parallel: { type: 'string' },
        model: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false }
      }
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help || positionals.length === 0) {
    console.log(USAGE)
    if (!values.help) process.exitCode = 2
    return
  }
  const [command, ...rest] = positionals
  const positive = (n: number) => n > 0
  const modelDir = values.model ?? defaultModelDir()
  if (command === 'estimate') return estimate(textWithGaps(command, rest), modelDir, values.json)
  if (command === 'missing') {
    if (rest.length !== 1) throw new UsageError('missing takes exactly one document id or file')
    const threshold = numberFlag(values, 'threshold', positive, 'a number > 0')
    return missing(rest[0]!, threshold, modelDir, values.json)
  }
  let segments: Segment[]
  if (command === 'fill') {
    segments = textWithGaps(command, rest)
  } else if (command === 'generate') {
    if (rest.length !== 0) throw new UsageError('generate takes no text argument')
    segments = [{ kind: 'gap', gap: { id: 'story' } }]
  } else {
    throw new UsageError(`unknown command "${command}"`)
  }

  const isInt = (lo: number) => (n: number) => Number.isInteger(n) && n >= lo
  const options: FillOptions = {
    seed: numberFlag(values, 'seed', isInt(0), 'a non-negative integer'),
    temperature: numberFlag(values, 'temperature', (n) => n >= 0, 'a number ≥ 0'),
    topP: numberFlag(values, 'top-p', (n) => n > 0 && n <= 1, 'in (0, 1]'),
    topK: numberFlag(values, 'top-k', isInt(0), 'a non-negative integer'),
    stopThreshold: numberFlag(values, 'stop-threshold', (n) => n > 0 && n <= 1, 'in (0, 1]'),
    lengthThreshold: numberFlag(values, 'length-threshold', positive, 'a number > 0'),
    maxTokens: numberFlag(values, 'max-tokens', isInt(1), 'a positive integer'),
    alternatives: numberFlag(values, 'alternatives', isInt(1), 'a positive integer'),
    parallel: numberFlag(values, 'parallel', isInt(1), 'a positive integer')
  }
  const model = await IlmModel.load(modelDir)
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  const run = fill(model, segments, { ...options, signal: controller.signal })
  let result: FillResult
  for (;;) {
    const next = await run.next()
    if (next.done) {
      result = next.value
      break
    }
    if (values.json) console.log(JSON.stringify(next.value))
  }
  const [first, ...others] = result.alternatives
  if (values.json) {
    console.log(
      JSON.stringify({
        text: first!.text,
        gaps: first!.gaps,
        stopReason: first!.stopReason,
        provider: model.provider,
        ...(others.length ? { alternatives: result.alternatives } : {})
      })
    )
  } else {
    result.alternatives.forEach((alt, i) => {
      if (result.alternatives.length > 1) console.log(`--- alternative ${i + 1} ---`)
      console.log(alt.text)
    })
  }
  await model.dispose()
}

/** The one text argument of fill and estimate, with at least one gap. */
function textWithGaps(command: string, rest: string[]): Segment[] {
  if (rest.length !== 1) throw new UsageError(`${command} takes exactly one text argument (quote it)`)
  const segments = parseTemplate(rest[0]!)
  if (!segments.some((s) => s.kind === 'gap')) throw new UsageError('the text has no gap: mark one with {{}}')
  return segments
}

/** `inlay estimate`: one line per gap, or one JSON object {"gaps": [{"gapId", "tokens"}], "provider"}. */
async function estimate(segments: Segment[], modelDir: string, json: boolean): Promise<void> {
  const model = await IlmModel.load(modelDir)
  try {
    const gaps = await estimateGaps(model, segments)
    if (json) console.log(JSON.stringify({ gaps, provider: model.provider }))
    else for (const gap of gaps) console.log(`${gap.gapId}: about ${gap.tokens.toFixed(1)} tokens`)
  } finally {
    await model.dispose()
  }
}

/**
 * `inlay missing`: the marks, one line each (offset, expected tokens, the text around), or with --json one line
 * per window read, then {"type": "done", "marks": [{"offset", "tokens"}], "done", "total", "aborted", "provider"}.
 */
async function missing(input: string, threshold: number | undefined, modelDir: string, json: boolean): Promise<void> {
  const [document] = await readInputs([input])
  const text = document!.body
  const model = await IlmModel.load(modelDir)
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  try {
    const run = findMissing(model, text, { threshold, signal: controller.signal })
    for (;;) {
      const next = await run.next()
      if (next.done) {
        if (json) console.log(JSON.stringify({ ...next.value, provider: model.provider }))
        else for (const mark of next.value.marks) console.log(describeMark(text, mark.offset, mark.tokens))
        return
      }
      if (json) console.log(JSON.stringify(next.value))
    }
  } finally {
    await model.dispose()
  }
}

/** `offset  +tokens  …text before⟨here⟩text after…` on one line. */
function describeMark(text: string, offset: number, tokens: number): string {
  const around = (s: string) => s.replace(/\s+/g, ' ')
  const before = around(text.slice(Math.max(0, offset - 30), offset))
  const after = around(text.slice(offset, offset + 30))
  return `${offset}\t+${tokens.toFixed(1)}\t…${before}⟨here⟩${after}…`
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = [
    UsageError,
    ExportUsageError,
    DocumentError,
    ModelLoadError,
    ExportError,
    NoDocumentStoreError,
    StoreError,
    NoLengthHeadError
  ]
  if (known.some((kind) => err instanceof kind)) {
    console.error(`inlay: ${(err as Error).message}`)
    if (err instanceof UsageError) console.error(USAGE)
    if (err instanceof ExportUsageError) console.error(EXPORT_USAGE)
  } else {
    console.error('inlay: unexpected error:', err)
  }
  process.exit(err instanceof UsageError || err instanceof ExportUsageError ? 2 : 1)
})
