import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TINY, TINY_LENGTH } from '../test-support/models'
import { IlmModel, ModelLoadError, providerCandidates } from './model'

interface GoldenRow {
  b: number
  /** Index in the sequence's row request. */
  j: number
  row: number
  logsumexp: number
  first8: number[]
  top5: [number, number][]
}
interface GoldenForward {
  dims: [number, number]
  input_ids: number[]
  positions: number[]
  attention_mask: number[]
  rows_dims: [number, number]
  rows_input: number[]
  stop_logits: number[]
  rows: GoldenRow[]
  /** [B, R]: only a model with a length head. */
  lengths?: number[]
}

let model: IlmModel
let lengthModel: IlmModel
beforeAll(async () => {
  model = await IlmModel.load(TINY)
  lengthModel = await IlmModel.load(TINY_LENGTH)
})
afterAll(async () => {
  await model.dispose()
  await lengthModel.dispose()
})

/** Runs a fixture's recorded forward cases and compares every output with PyTorch's, within 1e-4. */
async function expectGoldenForward(model: IlmModel, folder: string): Promise<void> {
  const golden = JSON.parse(await readFile(join(folder, 'golden.json'), 'utf8')) as { forward: GoldenForward[] }
  for (const f of golden.forward) {
    const [batch, length] = f.dims
    const out = await model.run({
      batch,
      length,
      inputIds: f.input_ids,
      positions: f.positions,
      attentionMask: f.attention_mask,
      rows: f.rows_input,
      rowCount: f.rows_dims[1]
    })
    f.stop_logits.forEach((v, i) => expect(Math.abs(out.stopLogits[i]! - v)).toBeLessThanOrEqual(1e-4))
    for (const r of f.rows) {
      const offset = (r.b * out.rows + r.j) * out.vocab
      r.first8.forEach((v, i) => expect(Math.abs(out.tokenLogits[offset + i]! - v)).toBeLessThanOrEqual(1e-4))
      for (const [id, v] of r.top5) expect(Math.abs(out.tokenLogits[offset + id]! - v)).toBeLessThanOrEqual(1e-4)
      const row = out.tokenLogits.subarray(offset, offset + out.vocab)
      const max = Math.max(...row)
      const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0))
      expect(Math.abs(lse - r.logsumexp)).toBeLessThanOrEqual(1e-4)
    }
    if (f.lengths) {
      expect(out.lengths).toHaveLength(f.lengths.length)
      f.lengths.forEach((v, i) => expect(Math.abs(out.lengths![i]! - v)).toBeLessThanOrEqual(1e-4))
    } else {
      expect(out.lengths).toBeNull()
    }
  }
}

describe('IlmModel on the golden tiny models', () => {
  it('loads, reports its execution provider, and agrees with PyTorch within 1e-4', async () => {
    expect(providerCandidates()).toContain(model.provider)
    expect(model.card).toMatchObject({ kind: 'ilm', vocabSize: 4096, maxLength: 48, lengthHead: false, decoding: {} })
    await expectGoldenForward(model, TINY)
  })

  it('a format 3 model also returns the length head: expected tokens missing after each asked row', async () => {
    expect(lengthModel.card).toMatchObject({ kind: 'ilm', vocabSize: 4096, maxLength: 48, lengthHead: true })
    await expectGoldenForward(lengthModel, TINY_LENGTH)
  })
})

describe('IlmModel.load refuses bad model folders with a clear message', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inlay-model-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  async function copyWith(name: string, change: (folder: string) => Promise<void>): Promise<string> {
    const folder = join(dir, name)
    await cp(TINY, folder, { recursive: true })
    await change(folder)
    return folder
  }

  /** Rewrites a copied folder's model.json: `edit` changes the parsed card in place. */
  async function editCard(folder: string, edit: (card: Record<string, unknown>) => void): Promise<void> {
    const card = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as Record<string, unknown>
    edit(card)
    await writeFile(join(folder, 'model.json'), JSON.stringify(card))
  }

  it('a missing folder or file', async () => {
    await expect(IlmModel.load(join(dir, 'nothing'))).rejects.toThrow(/lacks model.json/)
    const noOnnx = await copyWith('no-onnx', (f) => rm(join(f, 'model.onnx')))
    await expect(IlmModel.load(noOnnx)).rejects.toThrow(/lacks model.onnx/)
  })

  it('a corrupt model.onnx (checksum) and a truncated one without checksum', async () => {
    const flipped = await copyWith('flipped', async (f) => {
      const bytes = await readFile(join(f, 'model.onnx'))
      bytes[bytes.length >> 1] ^= 0xff
      await writeFile(join(f, 'model.onnx'), bytes)
    })
    await expect(IlmModel.load(flipped)).rejects.toThrow(/does not match model.json/)
    const truncated = await copyWith('truncated', async (f) => {
      await editCard(f, (card) => delete card['onnx_sha256'])
      await writeFile(join(f, 'model.onnx'), (await readFile(join(f, 'model.onnx'))).subarray(0, 1000))
    })
    await expect(IlmModel.load(truncated)).rejects.toThrow(ModelLoadError)
    await expect(IlmModel.load(truncated)).rejects.toThrow(/Could not load/)
  })

  it('a model.json that is not JSON or lacks fields, and a mismatched tokenizer', async () => {
    const notJson = await copyWith('not-json', (f) => writeFile(join(f, 'model.json'), '{ nope'))
    await expect(IlmModel.load(notJson)).rejects.toThrow(/not valid JSON/)
    const noKind = await copyWith('no-kind', (f) =>
      writeFile(join(f, 'model.json'), '{"vocab_size": 4096, "max_len": 48}')
    )
    await expect(IlmModel.load(noKind)).rejects.toThrow(/"kind"/)
    const otherTokenizer = await copyWith('other-tokenizer', (f) =>
      cp(resolve('training/tokenizers/bpe8k/tokenizer.json'), join(f, 'tokenizer.json'))
    )
    await expect(IlmModel.load(otherTokenizer)).rejects.toThrow(/tokenizer.json .* does not match/)
  })

  it('a format it does not read, and a format 3 card on a graph without the length head', async () => {
    const future = await copyWith('future', (f) => editCard(f, (card) => (card['format_version'] = 7)))
    await expect(IlmModel.load(future)).rejects.toThrow(/format_version 7 is not one this app reads \(2 or 3\)/)
    const claims = await copyWith('claims-length', (f) => editCard(f, (card) => (card['format_version'] = 3)))
    await expect(IlmModel.load(claims)).rejects.toThrow(
      /is not an Inlay ILM graph of format 3 .*outputs token_logits, stop_logits; expected .*outputs token_logits, stop_logits, lengths/
    )
  })

  it('reads the decoding defaults of model.json, and refuses bad ones', async () => {
    const tuned = await copyWith('decoding', (f) =>
      editCard(f, (card) => (card['decoding'] = { top_p: 0.8, temperature: 0.7, length_threshold: 0.3 }))
    )
    const loaded = await IlmModel.load(tuned)
    expect(loaded.card.decoding).toEqual({ topP: 0.8, temperature: 0.7, lengthThreshold: 0.3 })
    await loaded.dispose()
    const bad = await copyWith('bad-decoding', (f) => editCard(f, (card) => (card['decoding'] = { top_p: 2 })))
    await expect(IlmModel.load(bad)).rejects.toThrow(/"decoding.top_p" must be in \(0, 1\]/)
  })
})
