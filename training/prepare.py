"""Tokenize the story corpus once into memory-mappable id files.

    /usr/bin/python3 training/prepare.py --tokenizer training/tokenizers/bpe8k/tokenizer.json \
        --corpus ../shared/corpus --out training/data/story-bpe8k

Layout of --out, per source: <source>/{train,val}.bin (uint16 ids, documents concatenated without separators)
and <source>/{train,val}.docs.npy (int64 start offsets, n_docs + 1 entries, the last = total length);
heldout.json lists the validation documents, meta.json the tokenizer, counts and the held-out rule.
"""
import argparse
import hashlib
import json
import os
import sys
import time
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import HELDOUT_RULE, SOURCES, read_documents, split_documents  # noqa: E402
from tokenizer import SPECIAL_TOKENS, Tokenizer  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
def load_split(data_dir, source, split):
    """(tokens, offsets) of one prepared split: document k is tokens[offsets[k]:offsets[k + 1]]."""
    tokens = np.memmap(os.path.join(data_dir, source, f"{split}.bin"), dtype=np.uint16, mode="r")
    offsets = np.load(os.path.join(data_dir, source, f"{split}.docs.npy"))
    return tokens, offsets


_tok = None


def _init_worker(path):
    global _tok
    _tok = Tokenizer.from_file(path)


def _encode(doc):
    return np.asarray(_tok.encode(doc), dtype=np.uint16)


def write_split(pool, docs, out_dir, split):
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    path = os.path.join(out_dir, f"{split}.bin")
    with open(path, "wb") as f:
        for k, ids in enumerate(pool.imap(_encode, docs, chunksize=4)):
            f.write(ids.tobytes())
            offsets[k + 1] = offsets[k] + len(ids)
    np.save(os.path.join(out_dir, f"{split}.docs.npy"), offsets)
    return int(offsets[-1])


def prepare(tokenizer_path, corpus_dir, out, workers=2):
    t0 = time.time()
    with open(tokenizer_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    vocab_size = Tokenizer.from_file(tokenizer_path).vocab_size
    assert vocab_size <= 65536, "ids are stored as uint16"
    os.makedirs(out, exist_ok=True)
    meta = {
        "tokenizer": os.path.relpath(tokenizer_path, REPO_ROOT),  # relative to the repository root
        "tokenizer_sha256": sha,
        "vocab_size": vocab_size,
        "dtype": "uint16",
        "special_ids": {t: i for i, t in enumerate(SPECIAL_TOKENS)},
        "heldout_rule": HELDOUT_RULE,
        "sources": {},
    }
    heldout = []
    with Pool(workers, initializer=_init_worker, initargs=(tokenizer_path,)) as pool:
        for source in SOURCES:
            docs = read_documents(os.path.join(corpus_dir, source + ".txt"))
            train, val, val_idx = split_documents(source, docs)
            heldout += [{"source": source, "index": i, "start": docs[i][:60]} for i in val_idx]
            src_dir = os.path.join(out, source)
            os.makedirs(src_dir, exist_ok=True)
            counts = {"chars": {}, "docs": {}, "tokens": {}}
            for split, split_docs in (("val", val), ("train", train)):
                t1 = time.time()
                n = write_split(pool, split_docs, src_dir, split)
                counts["docs"][split], counts["tokens"][split] = len(split_docs), n
                counts["chars"][split] = sum(len(d) for d in split_docs)
                print(f"{source}/{split}: {len(split_docs)} docs, {n} tokens, "
                      f"{counts['chars'][split] / max(n, 1):.3f} chars/token, {time.time() - t1:.1f}s", flush=True)
            meta["sources"][source] = counts
    with open(os.path.join(out, "heldout.json"), "w", encoding="utf-8") as f:
        json.dump(heldout, f, indent=1, ensure_ascii=False)
    meta["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"done in {meta['seconds']}s -> {out}")
    return meta


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--corpus", default="../shared/corpus")
    p.add_argument("--out", required=True)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    prepare(args.tokenizer, args.corpus, args.out, args.workers)


if __name__ == "__main__":
    main()
