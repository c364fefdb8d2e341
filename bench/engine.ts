// `npm run --silent bench -- [--json] [--model DIR]`: the engine's speed, measured in one run on this machine.
//   - median ms per insertion step (one forward pass, batch 1) at 64/128/256/512 tokens, with token logits for
//     every row, and with only the 17 rows of a 16-token gap (what a fill asks the graph for);
//   - FLOPs per step, and the FLOP floor: the same matmul shapes timed alone in the same runtime;
//   - inserted tokens/s for a one-gap and a three-gap fill with k = 1, 2, 4, 8 insertions per pass (median of 5);
//   - the same-size AR baseline's decode ms/token with its key/value cache;
//   - what the length head costs per step: the same architecture with and without one (random weights), timed
//     on a gap's rows;
//   - the ratios the engine's goals are stated in.
// Baselines are built by bench/make_baselines.py into bench/.cache (random AR weights: speed only).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { fill, IlmModel, type Segment } from '../src/core/engine'
import { defaultModelDir } from '../src/core/paths'

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    model: { type: 'string' },
    rounds: { type: 'string', default: '5' }
  }
})
const modelDir = resolve(values.model ?? defaultModelDir())
const rounds = Number(values.rounds)
const BLOCK = 5
const cache = resolve('bench/.cache')
const log = (line: string) => values.json || console.log(line)

interface Arch {
  n_layer: number
  d_model: number
  d_ff: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

/** The baselines of the same size, built by bench/make_baselines.py. */
const BASELINES = ['ar', 'ilm-length', 'ilm-plain']

function ensureBaselines(): void {
  const ilm = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as {
    architecture: Arch
    vocab_size: number
  }
  const sameSize = (name: string) => {
    const card = join(cache, name, 'model.json')
    if (!existsSync(card)) return false
    const other = JSON.parse(readFileSync(card, 'utf8')) as { architecture: Arch; vocab_size: number }
    const same = (['n_layer', 'd_model', 'd_ff'] as const).every((k) => other.architecture[k] === ilm.architecture[k])
    return same && other.vocab_size === ilm.vocab_size
  }
  if (existsSync(join(cache, 'matmul.onnx')) && BASELINES.every(sameSize)) return
  log('building baselines (bench/make_baselines.py)…')
  const made = spawnSync('/usr/bin/python3', ['bench/make_baselines.py', '--model', modelDir, '--out', cache], {
    stdio: values.json ? 'ignore' : 'inherit'
  })
  if (made.status !== 0)
    throw new Error('bench/make_baselines.py failed (it needs /usr/bin/python3 with torch and onnx)')
}

ensureBaselines()
const model = await IlmModel.load(modelDir)
const card = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as {
  architecture: Arch
  vocab_size: number
  max_len: number
  parameters: number
}
const { n_layer: layers, d_model: d, d_ff: ff } = card.architecture
const V = card.vocab_size
log(`model ${modelDir} (${card.parameters} parameters, max length ${card.max_len}) on ${model.provider}`)

// 1. Step time, and FLOPs per step (timed below, in rounds interleaved with the floor).
const matmuls = (L: number): [number, number, number, number][] => [
  // [m, k, n, times per forward]
  [L, d, 3 * d, layers],
  [L, d, d, layers],
  [L, d, ff, layers],
  [L, ff, d, layers],
  [L, d, V, 1]
]
const flopsPerStep = (L: number) =>
  matmuls(L).reduce((sum, [m, k, n, times]) => sum + 2 * m * k * n * times, 0) + layers * 2 * 2 * L * L * d

const randomIds = (L: number) =>
  Array.from({ length: L }, (_, i) => (i === 0 ? 1 : i === 1 ? 2 : 5 + ((i * 7919) % (V - 5))))
const lengths = [64, 128, 256, 512]

// 2. FLOP floor: each matmul shape of a step, timed alone in onnxruntime (same threads), summed.
const mm = await ort.InferenceSession.create(join(cache, 'matmul.onnx'), { graphOptimizationLevel: 'all' })
const matmulFeeds = (m: number, k: number, n: number) => ({
  a: new ort.Tensor(
    'float32',
    Float32Array.from({ length: m * k }, (_, i) => ((i % 17) - 8) / 8),
    [m, k]
  ),
  b: new ort.Tensor(
    'float32',
    Float32Array.from({ length: k * n }, (_, i) => ((i % 13) - 6) / 6),
    [k, n]
  )
})
async function elapsed(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await run()
  return performance.now() - t
}
const GAP_ROWS = 17
// The length head's cost: one architecture, with and without the head.
const withHead = await IlmModel.load(join(cache, 'ilm-length'))
const withoutHead = await IlmModel.load(join(cache, 'ilm-plain'))
const stepMs: Record<number, number> = {}
const gapStepMs: Record<number, number> = {}
/** ms the length head adds to a gap-rows step: the median over rounds of (with − without), timed back to back. */
const headCostMs: Record<number, number> = {}
const headlessMs: Record<number, number> = {}
const floorMs: Record<number, number> = {}
const bestGflops: Record<number, number> = {}
// Warm-up: the thread pool and the CPU clock settle before the first timed length.
for (let i = 0; i < 20; i++) {
  const ids = randomIds(256)
  await model.forward([ids])
}
for (const L of lengths) {
  // The engine never sends more than the model's maximum; 512 is timed on the raw graph for speed only.
  const ids = randomIds(L)
  const base = { batch: 1, length: L, inputIds: ids, positions: ids.map((_, i) => i), attentionMask: ids.map(() => 1) }
  // Every row's token logits (what the FLOP count and floor describe), and only a 16-token gap's 17 rows (what
  // a fill asks for while one gap of that size is open).
  const input = { ...base, rows: ids.map((_, i) => i), rowCount: L }
  const gapRows = Array.from({ length: GAP_ROWS }, (_, j) => Math.floor(L / 2) + j)
  const gapInput = { ...base, rows: gapRows, rowCount: GAP_ROWS }
  const shapes = matmuls(L).map(([m, k, n, times]) => ({ feeds: matmulFeeds(m, k, n), flops: 2 * m * k * n, times }))
  const steps: number[] = []
  const gapSteps: number[] = []
  const floors: number[] = []
  const rates: number[] = []
  const headCosts: number[] = []
  const headless: number[] = []
  // Rounds of short blocks: each call is timed among calls of the same shape (alternating single calls of
  // different shapes evicts caches and slows everything by ~1.5x), and the rounds interleave step and floor so
  // that a burst of load elsewhere on the machine hits both alike. The first round warms up.
  const block = async (run: () => Promise<unknown>) => {
    const times: number[] = []
    for (let i = 0; i < BLOCK; i++) times.push(await elapsed(run))
    return median(times)
  }
  for (let r = -1; r < rounds; r++) {
    const step = await block(() => model.run(input))
    const gapStep = await block(() => model.run(gapInput))
    const head = await block(() => withHead.run(gapInput))
    const noHead = await block(() => withoutHead.run(gapInput))
    let floor = 0
    let best = 0
    for (const shape of shapes) {
      const ms = await block(() => mm.run(shape.feeds))
      floor += ms * shape.times
      best = Math.max(best, shape.flops / (ms * 1e6))
    }
    // Attention's L×L products are not timed separately: charged at the best matmul rate of this round.
    floor += (layers * 4 * L * L * d) / (best * 1e6)
    if (r < 0) continue
    steps.push(step)
    gapSteps.push(gapStep)
    headCosts.push(head - noHead)
    headless.push(noHead)
    floors.push(floor)
    rates.push(best)
  }
  stepMs[L] = median(steps)
  gapStepMs[L] = median(gapSteps)
  headCostMs[L] = median(headCosts)
  headlessMs[L] = median(headless)
  floorMs[L] = median(floors)
  bestGflops[L] = median(rates)
}

// 3. Insertion throughput on a fill with the real loop (stop and length heads off, fixed budget).
const passage =
  'The rain had not stopped for three days, and the river below the mill ran brown and loud. Martha stood at the ' +
  'window with the lamp in her hand, counting the boats that passed, and wondering whether her brother would come ' +
  'home before the bridge went under. At last she heard a knock at the door.'
const words = passage.split(' ')
const cut = (parts: number): Segment[] =>
  Array.from({ length: parts }, (_, i) =>
    words.slice(Math.floor((i * words.length) / parts), Math.floor(((i + 1) * words.length) / parts)).join(' ')
  ).flatMap((text, i): Segment[] =>
    i === 0
      ? [{ kind: 'text', text }]
      : [
          { kind: 'gap', gap: { id: `g${i}` } },
          { kind: 'text', text: ' ' + text }
        ]
  )
const budget = 48
const throughput: Record<string, number> = {}
for (const gaps of [1, 3]) {
  for (const k of [1, 2, 4, 8]) {
    const segments = cut(gaps + 1)
    const rates: number[] = []
    for (let r = 0; r < 5; r++) {
      // A fill is short (tens of ms): the median of a few seeds steadies it.
      const t = performance.now()
      let inserted = 0
      // Neither the stop head (threshold 1) nor a length head (threshold 0) ends a gap: the budget does.
      const options = { seed: r, stopThreshold: 1, lengthThreshold: 0, maxTokens: budget, parallel: k }
      for await (const _event of fill(model, segments, options)) inserted++
      rates.push(inserted / ((performance.now() - t) / 1000))
    }
    throughput[`${gaps}gap_k${k}`] = median(rates)
  }
}

// 4. AR decode with its key/value cache: a 128-token prompt, then one token per call.
const ar = await ort.InferenceSession.create(join(cache, 'ar', 'decoder_with_past.onnx'), {
  graphOptimizationLevel: 'all'
})
const headDim =
  d /
  (JSON.parse(readFileSync(join(cache, 'ar', 'model.json'), 'utf8')) as { architecture: { n_head: number } })
    .architecture.n_head
const heads = d / headDim
const i64 = (xs: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs, BigInt), dims)
const emptyPast: Record<string, ort.Tensor> = {}
for (let l = 0; l < layers; l++) {
  emptyPast[`past_key_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim])
  emptyPast[`past_value_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim])
}
const prompt = randomIds(128)
let out = await ar.run({
  input_ids: i64(prompt, [1, 128]),
  positions: i64(
    prompt.map((_, i) => i),
    [1, 128]
  ),
  attention_mask: i64(
    prompt.map(() => 1),
    [1, 128]
  ),
  ...emptyPast
})
const perToken: number[] = []
for (let step = 0; step < 64; step++) {
  const past: Record<string, ort.Tensor> = {}
  for (let l = 0; l < layers; l++) {
    past[`past_key_${l}`] = out[`present_key_${l}`]!
    past[`past_value_${l}`] = out[`present_value_${l}`]!
  }
  const total = 128 + step + 1
  const t = performance.now()
  out = await ar.run({
    input_ids: i64([5 + step], [1, 1]),
    positions: i64([total - 1], [1, 1]),
    attention_mask: i64(Array(total).fill(1), [1, total]),
    ...past
  })
  perToken.push(performance.now() - t)
}
const arMsPerToken = median(perToken)
const arTokensPerSecond = 1000 / arMsPerToken

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits
const result = {
  model: modelDir,
  provider: model.provider,
  parameters: card.parameters,
  threads: 'onnxruntime default (all cores)',
  step_ms: Object.fromEntries(lengths.map((L) => [L, round(stepMs[L]!)])),
  step_ms_gap_rows_only: Object.fromEntries(lengths.map((L) => [L, round(gapStepMs[L]!)])),
  // The same size with and without a length head, on a gap's rows: ms the head adds to a step, and its share.
  length_head_ms_per_step: Object.fromEntries(lengths.map((L) => [L, round(headCostMs[L]!, 3)])),
  length_head_share: Object.fromEntries(lengths.map((L) => [L, round(headCostMs[L]! / headlessMs[L]!, 3)])),
  model_has_length_head: model.card.lengthHead,
  step_gflops: Object.fromEntries(lengths.map((L) => [L, round(flopsPerStep(L) / 1e9, 3)])),
  floor_ms: Object.fromEntries(lengths.map((L) => [L, round(floorMs[L]!)])),
  matmul_best_gflops_per_s: Object.fromEntries(lengths.map((L) => [L, round(bestGflops[L]!, 1)])),
  step_over_floor: Object.fromEntries(lengths.map((L) => [L, round(stepMs[L]! / floorMs[L]!)])),
  insert_tokens_per_s: Object.fromEntries(Object.entries(throughput).map(([k, v]) => [k, round(v, 1)])),
  ar_decode_ms_per_token: round(arMsPerToken),
  ar_tokens_per_s: round(arTokensPerSecond, 1),
  insert_over_ar: Object.fromEntries(Object.entries(throughput).map(([k, v]) => [k, round(v / arTokensPerSecond)])),
  goals: {
    'step_over_floor<=1.3': stepMs[256]! / floorMs[256]! <= 1.3,
    'insert_k>1_over_ar>=0.5': Object.entries(throughput).some(
      ([k, v]) => !k.endsWith('k1') && v / arTokensPerSecond >= 0.5
    )
  }
}
if (values.json) console.log(JSON.stringify(result))
else console.log(JSON.stringify(result, null, 2))
await Promise.all([model.dispose(), withHead.dispose(), withoutHead.dispose()])
