// Text <-> token ids through the model's own tokenizer.json (Hugging Face format, byte-level BPE), loaded by
// @huggingface/tokenizers. Besides encode/decode it knows each token's bytes, so the engine can tell which
// tokens are whole UTF-8 text on their own: only those may be inserted, which keeps every insertion a
// well-defined piece of text at a well-defined character offset.
import { Tokenizer } from '@huggingface/tokenizers'

export interface SpecialIds {
  pad: number
  cls: number
  bos: number
  eos: number
  mask: number
}

/** GPT-2's reversible byte <-> printable character map, the alphabet of byte-level vocabularies. */
function byteLevelAlphabet(): Map<string, number> {
  const bytes: number[] = []
  for (let b = 33; b <= 126; b++) bytes.push(b)
  for (let b = 161; b <= 172; b++) bytes.push(b)
  for (let b = 174; b <= 255; b++) bytes.push(b)
  const chars = bytes.slice()
  let extra = 0
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b)
      chars.push(256 + extra++)
    }
  }
  return new Map(bytes.map((b, i) => [String.fromCharCode(chars[i]!), b]))
}

interface TokenizerJson {
  added_tokens: { id: number; content: string; special: boolean }[]
  model: { type: string; vocab: Record<string, number> }
}

export class TextTokenizer {
  readonly vocabSize: number
  readonly special: SpecialIds
  /** Decoded text of each token when its bytes are valid UTF-8 by themselves, else null. */
  readonly tokenText: (string | null)[]
  private readonly tokenizer: Tokenizer
  /** Per token: the UTF-16 units of the characters that start in its bytes, and whether its first byte continues one. */
  private readonly units: Uint16Array
  private readonly continues: Uint8Array

  constructor(json: unknown) {
    const parsed = json as TokenizerJson
    if (!parsed || typeof parsed !== 'object' || parsed.model?.type !== 'BPE' || !parsed.model.vocab) {
      throw new Error('tokenizer.json is not a byte-level BPE tokenizer')
    }
    // Special tokens are known by id only: text a writer types, even "[MASK]", is always plain text.
    this.tokenizer = new Tokenizer({ ...parsed, added_tokens: [] } as never, {})
    const specials = new Map(parsed.added_tokens.filter((t) => t.special).map((t) => [t.content, t.id]))
    const need = (name: string): number => {
      const id = specials.get(name)
      if (id === undefined) throw new Error(`tokenizer.json lacks the special token ${name}`)
      return id
    }
    this.special = {
      pad: need('[PAD]'),
      cls: need('[CLS]'),
      bos: need('[BOS]'),
      eos: need('[EOS]'),
      mask: need('[MASK]')
    }

    const alphabet = byteLevelAlphabet()
    const utf8 = new TextDecoder('utf-8', { fatal: true })
    const ids = Object.values(parsed.model.vocab)
    this.vocabSize = Math.max(...ids, ...specials.values()) + 1
    this.tokenText = new Array<string | null>(this.vocabSize).fill(null)
    this.units = new Uint16Array(this.vocabSize)
    this.continues = new Uint8Array(this.vocabSize)
    for (const [piece, id] of Object.entries(parsed.model.vocab)) {
      if (specials.has(piece)) continue
      const bytes = [...piece].map((ch) => alphabet.get(ch))
      if (bytes.some((b) => b === undefined)) continue
      // A UTF-8 lead byte starts a character: one UTF-16 unit, two for a 4-byte one (outside the BMP).
      for (const b of bytes as number[]) if ((b & 0xc0) !== 0x80) this.units[id] += b >= 0xf0 ? 2 : 1
      this.continues[id] = ((bytes[0] ?? 0) & 0xc0) === 0x80 ? 1 : 0
      try {
        this.tokenText[id] = utf8.decode(Uint8Array.from(bytes as number[]))
      } catch {
        // A fragment of a multi-byte character: fine inside fixed text, never inserted on its own.
      }
    }
  }

  encode(text: string): number[] {
    if (text.length === 0) return []
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids
  }

  /**
   * Where each token of encode(text) ends in `text`, in UTF-16 units, or -1 where that falls inside a character
   * (the next token continues its bytes). Byte-level BPE keeps every byte, so the offsets are exact.
   */
  charOffsets(ids: readonly number[]): number[] {
    let offset = 0
    return ids.map((id, j) => {
      offset += this.units[id]!
      const next = ids[j + 1]
      return next !== undefined && this.continues[next] ? -1 : offset
    })
  }

  decode(ids: readonly number[]): string {
    const special = new Set(Object.values(this.special))
    const plain = ids.filter((id) => !special.has(id))
    return plain.length === 0 ? '' : this.tokenizer.decode(plain, { skip_special_tokens: true })
  }
}
