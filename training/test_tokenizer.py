import json
import os
import random
from collections import Counter

import pytest

from tokenizer import N_SPECIAL, SPECIAL_TOKENS, Tokenizer, pretokenize, to_hf_json, train_bpe, truncate

HERE = os.path.dirname(os.path.abspath(__file__))
COMMITTED = [os.path.join(HERE, "tokenizers", d, "tokenizer.json") for d in ("bpe4k", "bpe8k", "bpe16k")]

TEXT = ("Once upon a time, the little cat sat on the mat. The cat was happy; the dog was not!\n\n"
        "\"Don't go,\" she said. It's 1889, and they'll sail at 5.30 tomorrow.\n") * 20
# Made-up words from a fixed seed, so there are more than a few hundred merges to learn.
_rng = random.Random(0)
TEXT += " ".join("".join(_rng.choice(["ka", "lo", "mi", "ne", "su", "th", "er", "an"]) for _ in range(_rng.randrange(1, 5)))
                 for _ in range(5000))

TRICKY = [
    "", " ", "\n", "   ", "\t\t", "end   ", "  lead", "a\tb\n\n\n c \n",
    "\r\n\r\nwindows line ends\r\n",
    "emoji 👩‍👩‍👧 🎉🙂!", "e\u0301 a\u0308 combining", "中文字符测试，日本語のテキスト", "한국어",
    "don't I'LL we've 's 'd''", "x\u00a0y\u2003z\u3000w\u2028v\u0085u\ufeff", "\x00\x01\x7f", "½ ² ٣ 3.14",
    "[MASK] [PAD] [CLS] [BOS] [EOS] <|endoftext|>",
]


def tiny_tokenizer(tmp_path, vocab_size=400):
    tokens, merges = train_bpe(Counter(pretokenize(TEXT)), vocab_size, log_every=0)
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(to_hf_json(tokens, merges), ensure_ascii=False), encoding="utf-8")
    return Tokenizer.from_file(path), path


def random_strings(n, seed=0):
    rng = random.Random(seed)
    pieces = [" ", "  ", "\n", "\n\n", "\t", "\r", "a", "Z", "é", "e\u0301", "日", "🙂", "👩‍👧", "'", "'s", "'ll",
              "1", "42", ".", ",", "!?", "\u00a0", "\u2028", "\u3000", "-", "\"", "the", " cat"]
    for _ in range(n):
        if rng.random() < 0.5:
            yield "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        else:  # any code point outside the surrogates
            yield "".join(chr(rng.choice([rng.randrange(1, 0xD800), rng.randrange(0xE000, 0x110000)]))
                          for _ in range(rng.randrange(1, 20)))


def test_pretokenize_matches_hf_bytelevel():
    # Expected splits as printed by HF tokenizers' ByteLevel(use_regex=True) pre-tokenizer.
    assert pretokenize("Hello  world\n\n it's") == ["Hello", " ", " world", "\n\n", " it", "'s"]
    assert pretokenize("a\t\tb  \n c") == ["a", "\t", "\t", "b", "  \n", " c"]
    assert pretokenize("I'LL don't 3.14½ 日本語!!") == ["I", "'", "LL", " don", "'t", " 3", ".", "14½", " 日本語", "!!"]
    assert pretokenize("end   ") == ["end", "   "]
    assert pretokenize("x\u00a0\u00a0y") == ["x", "\u00a0", "\u00a0", "y"]


def test_round_trip_tricky_and_random(tmp_path):
    tok, _ = tiny_tokenizer(tmp_path)
    for s in TRICKY + list(random_strings(500)):
        assert tok.decode(tok.encode(s)) == s


@pytest.mark.parametrize("path", [p for p in COMMITTED if os.path.exists(p)])
def test_committed_tokenizers_round_trip(path):
    tok = Tokenizer.from_file(path)
    for s in TRICKY + list(random_strings(300, seed=1)):
        ids = tok.encode(s)
        assert tok.decode(ids) == s
        assert all(N_SPECIAL <= i < tok.vocab_size for i in ids)


def test_special_tokens_fixed_and_never_encoded(tmp_path):
    tok, path = tiny_tokenizer(tmp_path)
    added = json.loads(path.read_text(encoding="utf-8"))["added_tokens"]
    assert [(t["id"], t["content"], t["special"]) for t in added] == [(i, s, True) for i, s in enumerate(SPECIAL_TOKENS)]
    assert [tok.vocab[s] for s in SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    for s in TRICKY + list(random_strings(200, seed=2)):
        assert min(tok.encode(s), default=N_SPECIAL) >= N_SPECIAL
    assert tok.decode([4]) == "[MASK]"


def test_learns_obvious_merge():
    tokens, merges = train_bpe(Counter({"abab": 100, "xy": 3}), N_SPECIAL + 256 + 2, log_every=0)
    assert tokens[merges[0][0]] + tokens[merges[0][1]] == "ab"
    assert tokens[-1] == "abab"


def test_truncate_equals_shorter_run():
    counts = Counter(pretokenize(TEXT))
    full = train_bpe(counts, 420, log_every=0)
    assert truncate(*full, 350) == train_bpe(counts, 350, log_every=0)


def test_hf_schema(tmp_path):
    _, path = tiny_tokenizer(tmp_path)
    j = json.loads(path.read_text(encoding="utf-8"))
    assert j["normalizer"] is None and j["post_processor"] is None
    for key in ("pre_tokenizer", "decoder"):
        assert j[key]["type"] == "ByteLevel"
    assert j["pre_tokenizer"]["add_prefix_space"] is False and j["pre_tokenizer"]["use_regex"] is True
    m = j["model"]
    assert m["type"] == "BPE" and m["byte_fallback"] is False and m["unk_token"] is None
    vocab = m["vocab"]
    assert sorted(vocab.values()) == list(range(len(vocab)))  # dense ids
    assert all(" " not in t for t in vocab if t not in SPECIAL_TOKENS)
    for merge in m["merges"]:
        left, right = merge.split(" ")
        assert vocab[left] < vocab[left + right] and vocab[right] < vocab[left + right]
    assert len(vocab) == 400 and vocab["Ā"] == N_SPECIAL  # byte 0 comes right after the specials
