// Headless Inlay: `npm run --silent inlay -- fill "<text with {{gaps}}>" [flags]` and `… generate`.
import { parseArgs } from 'node:util'
import {
  DocumentError,
  fill,
  IlmModel,
  ModelLoadError,
  parseTemplate,
  type FillOptions,
  type FillResult,
  type Segment
} from '../core/engine'
import { defaultModelDir } from '../core/paths'
import { ExportError } from '../core/export'
import { StoreError } from '../core/store'
import { EXPORT_USAGE, ExportUsageError, NoDocumentStoreError, runExportCommand } from './export'

const USAGE = `usage:
  inlay fill "<text>" [flags]     fill the gaps of <text>: {{}}, {{max:N}}, {{min:N,max:N}}, {{include:w1,w2}}, {{ban:w}}
  inlay generate [flags]          write a story from nothing
  inlay export <document-id | file.md|.txt|.docx> --format md|txt|docx|pdf|epub --out FILE   (inlay export --help)
flags:
  --seed N  --temperature X (0 = greedy)  --top-p X  --top-k N  --stop-threshold X  --max-tokens N
  --alternatives N  --parallel K  --model DIR  --json (one JSON line per insertion, then the result)`

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
  let segments: Segment[]
  if (command === 'fill') {
    if (rest.length !== 1) throw new UsageError('fill takes exactly one text argument (quote it)')
    segments = parseTemplate(rest[0]!)
    if (!segments.some((s) => s.kind === 'gap')) throw new UsageError('the text has no gap: mark one with {{}}')
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
    maxTokens: numberFlag(values, 'max-tokens', isInt(1), 'a positive integer'),
    alternatives: numberFlag(values, 'alternatives', isInt(1), 'a positive integer'),
    parallel: numberFlag(values, 'parallel', isInt(1), 'a positive integer')
  }
  const model = await IlmModel.load(values.model ?? defaultModelDir())
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

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = [
    UsageError,
    ExportUsageError,
    DocumentError,
    ModelLoadError,
    ExportError,
    NoDocumentStoreError,
    StoreError
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
