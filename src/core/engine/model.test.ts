import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TINY } from '../test-support/models'
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
}

let model: IlmModel
beforeAll(async () => {
  model = await IlmModel.load(TINY)
})
afterAll(() => model.dispose())

describe('IlmModel on the golden tiny model', () => {
  it('loads, reports its execution provider, and agrees with PyTorch within 1e-4', async () => {
    expect(providerCandidates()).toContain(model.provider)
    expect(model.card).toMatchObject({ kind: 'ilm', vocabSize: 4096, maxLength: 48 })
    const golden = JSON.parse(await readFile(join(TINY, 'golden.json'), 'utf8')) as { forward: GoldenForward[] }
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
    }
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
      const card = JSON.parse(await readFile(join(f, 'model.json'), 'utf8')) as Record<string, unknown>
      delete card['onnx_sha256']
      await writeFile(join(f, 'model.json'), JSON.stringify(card))
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
})
