import json
import random
from collections import Counter

import numpy as np

from corpus import SEPARATOR, SOURCES, heldout_indices, read_documents
import prepare
from tokenizer import N_SPECIAL, Tokenizer, pretokenize, to_hf_json, train_bpe


def fake_document(rng):
    words = ["the", "cat", "sat", "on", "a", "mat", "Once", "upon", "time", "ship", "storm", "don't", "日本", "🙂", "42"]
    paragraphs = [" ".join(rng.choice(words) for _ in range(rng.randrange(1, 40))) + rng.choice([".", "!", "?\t"])
                  for _ in range(rng.randrange(1, 5))]
    return "\n\n".join(paragraphs) + rng.choice(["", " ", "\n  "])


def test_prepare_round_trips_documents(tmp_path):
    rng = random.Random(0)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs = {s: [fake_document(rng) for _ in range(n)] for s, n in zip(SOURCES, (40, 12, 100))}
    docs["novels-1880s"][5] = docs["novels-1880s"][0]  # duplicates must land on the same side of the split
    for s, ds in docs.items():
        (corpus / f"{s}.txt").write_text("".join(d + SEPARATOR for d in ds), encoding="utf-8")
    assert read_documents(str(corpus / "short-stories.txt")) == docs["short-stories"]

    tokens, merges = train_bpe(Counter(w for ds in docs.values() for d in ds for w in pretokenize(d)), 320, log_every=0)
    tok_path = tmp_path / "tokenizer.json"
    tok_path.write_text(json.dumps(to_hf_json(tokens, merges), ensure_ascii=False), encoding="utf-8")
    tok = Tokenizer.from_file(tok_path)

    out = tmp_path / "data"
    meta = prepare.prepare(str(tok_path), str(corpus), str(out), workers=2)
    heldout = json.loads((out / "heldout.json").read_text(encoding="utf-8"))
    for s, ds in docs.items():
        val_idx = [h["index"] for h in heldout if h["source"] == s]
        assert val_idx and len(val_idx) < len(ds)
        assert all(ds[h["index"]].startswith(h["start"]) for h in heldout if h["source"] == s)
        expected = {"val": [ds[i] for i in val_idx], "train": [d for i, d in enumerate(ds) if i not in val_idx]}
        assert not set(expected["val"]) & set(expected["train"])
        for split, split_docs in expected.items():
            ids, offsets = prepare.load_split(str(out), s, split)
            assert ids.dtype == np.uint16 and offsets.dtype == np.int64
            assert len(offsets) == len(split_docs) + 1 and offsets[0] == 0 and offsets[-1] == len(ids)
            assert [tok.decode(ids[a:b]) for a, b in zip(offsets, offsets[1:])] == split_docs
            assert ids.min() >= N_SPECIAL  # no separators or specials in the id stream
            assert meta["sources"][s]["tokens"][split] == len(ids)
            assert meta["sources"][s]["docs"][split] == len(split_docs)
    on_disk = json.loads((out / "meta.json").read_text())
    assert on_disk["vocab_size"] == 320 and on_disk["special_ids"]["[MASK]"] == 4


def test_heldout_rule_is_deterministic_and_sized():
    docs = [f"document {i}" for i in range(1000)]
    val = heldout_indices(docs)
    assert len(val) == 30 and val == heldout_indices(docs)
    rev = docs[::-1]
    assert {docs[i] for i in val} == {rev[i] for i in heldout_indices(rev)}  # by content, not position
    copies = docs * 10
    val = heldout_indices(copies)
    assert len(val) == 200 and set(Counter(copies[i] for i in val).values()) == {10}  # copies held out together
