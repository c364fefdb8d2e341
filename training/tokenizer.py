"""Byte-level BPE for Inlay: trainer, encoder/decoder, and a measurement CLI.

The output is one Hugging Face `tokenizer.json` (GPT-2 style ByteLevel BPE) so the same file is loaded by
the Rust `tokenizers` library and by the pure-JS `@huggingface/tokenizers` in the app.

    /usr/bin/python3 training/tokenizer.py train --vocab-size 8192 --out training/tokenizers/bpe8k/tokenizer.json
    /usr/bin/python3 training/tokenizer.py train --vocab-size 4096,8192,16384 \
        --out 'training/tokenizers/bpe{k}k/tokenizer.json'
    /usr/bin/python3 training/tokenizer.py measure training/tokenizers/bpe*/tokenizer.json
"""
import argparse
import heapq
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict

import regex  # Debian python3-regex: the stdlib `re` has no \p{L} / \p{N}

from corpus import SOURCES, read_documents, split_documents

# Fixed ids shared with the model and the app (see ilm-notes.md).
SPECIAL_TOKENS = ["[PAD]", "[CLS]", "[BOS]", "[EOS]", "[MASK]"]
PAD_ID, CLS_ID, BOS_ID, EOS_ID, MASK_ID = range(len(SPECIAL_TOKENS))
N_SPECIAL = len(SPECIAL_TOKENS)

# The GPT-2 split regex, exactly as HF's ByteLevel pre-tokenizer uses it when use_regex is true.
GPT2_SPLIT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map (the alphabet of ByteLevel vocabularies)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def pretokenize(text):
    """Split text into words the way HF ByteLevel(use_regex=True) does; every character lands in one word."""
    return GPT2_SPLIT.findall(text)


# ---------------------------------------------------------------------------------------------------------
# Training


def train_bpe(word_counts, vocab_size, log_every=1000):
    """Learn merges from {word: count}. Returns (tokens, merges): tokens[id] is the byte-level string of
    id, merges a list of (left_id, right_id) in rank order.

    Each distinct word is a list of symbol ids. pair_counts holds the weighted count of every adjacent pair
    and where[pair] the words containing it, so a merge only revisits the words it touches. The best pair
    comes from a max-heap with lazy deletion: stale entries are skipped when their count no longer matches.
    """
    tokens = SPECIAL_TOKENS + [BYTE_TO_CHAR[b] for b in range(256)]
    token_id = {t: i for i, t in enumerate(tokens)}
    words = [[N_SPECIAL + b for b in w.encode("utf-8")] for w in word_counts]
    counts = list(word_counts.values())

    pair_counts = defaultdict(int)
    where = defaultdict(set)
    for wi, (w, c) in enumerate(zip(words, counts)):
        for pair in zip(w, w[1:]):
            pair_counts[pair] += c
            where[pair].add(wi)
    # Ties are broken by the pair's strings so training is deterministic whatever the dict order.
    heap = [(-c, tokens[a], tokens[b], a, b) for (a, b), c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    t0 = time.time()
    while len(tokens) < vocab_size and heap:
        negc, _, _, a, b = heapq.heappop(heap)
        if pair_counts.get((a, b), 0) != -negc or negc == 0:
            continue  # stale entry: this pair's count changed since it was pushed
        merged = tokens[a] + tokens[b]
        # Two merges can spell the same string (a+bc, ab+c); both stay in `merges`, the token once.
        new = token_id.get(merged)
        if new is None:
            new = token_id[merged] = len(tokens)
            tokens.append(merged)
        merges.append((a, b))
        delta = defaultdict(int)
        for wi in where.pop((a, b)):
            w, c = words[wi], counts[wi]
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            if len(out) == len(w):
                continue  # stale index entry: the pair left this word in an earlier merge
            for pair in zip(w, w[1:]):
                delta[pair] -= c
            for pair in zip(out, out[1:]):
                delta[pair] += c
                if new in pair:
                    where[pair].add(wi)
            words[wi] = out
        del pair_counts[(a, b)]
        for pair, d in delta.items():
            if d == 0 or pair == (a, b):
                continue
            c = pair_counts[pair] = pair_counts[pair] + d
            if c > 0:
                heapq.heappush(heap, (-c, tokens[pair[0]], tokens[pair[1]], pair[0], pair[1]))
            else:
                del pair_counts[pair]
                where.pop(pair, None)
        if log_every and len(merges) % log_every == 0:
            print(f"  {len(merges)} merges, vocab {len(tokens)}, last {merged!r} x{-negc}, {time.time() - t0:.1f}s",
                  flush=True)
    return tokens, merges


def to_hf_json(tokens, merges):
    """The tokenizer.json that HF `tokenizers` (Rust) and `@huggingface/tokenizers` (JS) both load."""
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i, t in enumerate(SPECIAL_TOKENS)
        ],
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": None,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": {t: i for i, t in enumerate(tokens)},
            # "a b" strings: byte-level symbols never contain a space, and every loader version reads these.
            "merges": [f"{tokens[a]} {tokens[b]}" for a, b in merges],
        },
    }


# ---------------------------------------------------------------------------------------------------------
# Encoding / decoding


class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = vocab  # byte-level string -> id
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.vocab_size = max(self.id_to_token) + 1
        # (left_id, right_id) -> (rank, merged_id); lower rank merges first, as in HF's BPE model.
        self.ranks = {}
        for rank, m in enumerate(merges):
            left, right = m.split(" ") if isinstance(m, str) else m
            self.ranks[(vocab[left], vocab[right])] = (rank, vocab[left + right])
        self.byte_ids = [vocab[BYTE_TO_CHAR[b]] for b in range(256)]
        # id -> raw bytes, for decoding; special tokens decode to their literal text like HF does.
        self.id_bytes = {i: (t.encode("utf-8") if i < N_SPECIAL else bytes(CHAR_TO_BYTE[ch] for ch in t))
                         for i, t in self.id_to_token.items()}
        self.cache = {}

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as f:
            model = json.load(f)["model"]
        return cls(model["vocab"], model["merges"])

    def _bpe(self, word):
        ids = [self.byte_ids[b] for b in word.encode("utf-8")]
        ranks = self.ranks
        while len(ids) > 1:
            best = min(((ranks[p][0], i) for i, p in enumerate(zip(ids, ids[1:])) if p in ranks), default=None)
            if best is None:
                break
            pair = (ids[best[1]], ids[best[1] + 1])
            new = ranks[pair][1]
            # Merge every occurrence left to right, as GPT-2 and HF do (the result is the same as one at a time).
            out, i = [], 0
            while i < len(ids):
                if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
                    out.append(new)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        return ids

    def encode(self, text):
        """Plain text -> ids. Never yields special ids: "[MASK]" in the text is spelled out in bytes."""
        cache, out = self.cache, []
        for word in GPT2_SPLIT.findall(text):
            ids = cache.get(word)
            if ids is None:
                ids = cache[word] = self._bpe(word)
            out.extend(ids)
        return out

    def decode(self, ids):
        return b"".join(self.id_bytes[int(i)] for i in ids).decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------------------
# CLI


def training_sample(corpus_dir, sample_mb, seed=0):
    """Random training documents (never held-out ones), each source contributing in proportion to its size;
    sample_mb <= 0 takes them all (the whole corpus trains in ~15 s and gives ~0.3% more chars/token than 30 MB)."""
    sources = {s: split_documents(s, read_documents(os.path.join(corpus_dir, s + ".txt")))[0] for s in SOURCES}
    total = sum(len(d) for docs in sources.values() for d in docs)
    rng = random.Random(seed)
    sample = []
    for s, docs in sources.items():
        budget = sample_mb * 1e6 * sum(len(d) for d in docs) / total if sample_mb > 0 else float("inf")
        order = list(range(len(docs)))
        rng.shuffle(order)
        taken = 0
        for i in order:
            if taken >= budget:
                break
            sample.append(docs[i])
            taken += len(docs[i])
        print(f"  sample {s}: {taken / 1e6:.1f} MB", flush=True)
    return sample


def truncate(tokens, merges, vocab_size):
    """The first vocab_size tokens and the merges that made them: exactly what a run stopped there learns,
    since training is greedy and deterministic. Lets one run serve several vocabulary sizes."""
    token_id = {t: i for i, t in enumerate(tokens)}
    n = next(i + 1 for i, (a, b) in enumerate(merges) if token_id[tokens[a] + tokens[b]] == vocab_size - 1)
    return tokens[:vocab_size], merges[:n]


def cmd_train(args):
    t0 = time.time()
    docs = training_sample(args.corpus, args.sample_mb)
    word_counts = Counter()
    for d in docs:
        word_counts.update(pretokenize(d))
    print(f"{len(word_counts)} distinct words in {sum(word_counts.values())} ({time.time() - t0:.1f}s)", flush=True)
    t1 = time.time()
    sizes = [int(v) for v in args.vocab_size.split(",")]
    tokens, merges = train_bpe(word_counts, max(sizes))
    print(f"{len(merges)} merges, vocab {len(tokens)} in {time.time() - t1:.1f}s", flush=True)
    for size in sizes:
        out = args.out.format(vocab=size, k=size // 1024)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            json.dump(to_hf_json(*truncate(tokens, merges, size)), f, ensure_ascii=False)
        print(f"wrote {out}")
    print(f"total {time.time() - t0:.1f}s")


def cmd_measure(args):
    """Characters per token on the held-out documents of each source, for each tokenizer."""
    val = {s: split_documents(s, read_documents(os.path.join(args.corpus, s + ".txt")))[1] for s in SOURCES}
    results = []
    for path in args.tokenizers:
        tok = Tokenizer.from_file(path)
        row = {"tokenizer": path, "vocab_size": tok.vocab_size, "sources": {}}
        for s, docs in val.items():
            chars = sum(len(d) for d in docs)
            t0 = time.time()
            n = sum(len(tok.encode(d)) for d in docs)
            row["sources"][s] = {"docs": len(docs), "chars": chars, "tokens": n, "chars_per_token": chars / n}
            print(f"{path} {s}: {chars / n:.3f} chars/token ({len(docs)} docs, {time.time() - t0:.1f}s)", flush=True)
        chars = sum(v["chars"] for v in row["sources"].values())
        row["all_chars_per_token"] = chars / sum(v["tokens"] for v in row["sources"].values())
        results.append(row)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print("\n| vocab | " + " | ".join(val) + " | all held-out |")
    print("|---" * (len(val) + 2) + "|")
    for r in results:
        cells = [f"{r['sources'][s]['chars_per_token']:.3f}" for s in val]
        print(f"| {r['vocab_size']} | " + " | ".join(cells) + f" | {r['all_chars_per_token']:.3f} |")


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    default_corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "corpus")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train a tokenizer on a sample of the training documents")
    t.add_argument("--vocab-size", default="8192", help="one size, or several comma-separated (one run)")
    t.add_argument("--out", required=True, help="path; with several sizes use {k} (size/1024) or {vocab}")
    t.add_argument("--sample-mb", type=float, default=0, help="MB of training documents to learn from; 0 = all")
    t.add_argument("--corpus", default=default_corpus)
    m = sub.add_parser("measure", help="chars/token on held-out documents per source")
    m.add_argument("tokenizers", nargs="+")
    m.add_argument("--corpus", default=default_corpus)
    m.add_argument("--json", help="also write the numbers to this file")
    args = p.parse_args()
    cmd_train(args) if args.cmd == "train" else cmd_measure(args)


if __name__ == "__main__":
    main()
