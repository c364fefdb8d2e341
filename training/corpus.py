"""The story corpus (../shared/corpus): its sources, documents and the held-out split. Read by the tokenizer
trainer, prepare.py and the evaluations; knows nothing of tokens."""
import hashlib

SOURCES = ["short-stories", "novels-1880s", "tinystories-fragments"]
SEPARATOR = "\n<|endoftext|>\n"
HELDOUT_RULE = ("per source, the n_val documents with the smallest sha256(text), "
                "n_val = max(round(2% of docs), min(30, round(5% of docs)))")


def read_documents(path):
    """Documents of one corpus file; each is followed by the separator, so the last split piece is empty."""
    with open(path, encoding="utf-8") as f:
        docs = f.read().split(SEPARATOR)
    return [d for d in docs if d]


def heldout_indices(docs):
    """Whole documents held out for validation, chosen by content hash: deterministic and order-free.
    At least 30 per source where that is at most 5% of it (the 131 novels give 7, each one book long)."""
    n_val = max(round(0.02 * len(docs)), min(30, round(0.05 * len(docs))))
    by_hash = sorted(range(len(docs)), key=lambda i: hashlib.sha256(docs[i].encode("utf-8")).hexdigest())
    val = set(by_hash[:n_val])
    # A training copy of a held-out text would leak it, so identical texts are held out together.
    held_texts = {docs[i] for i in val}
    return sorted(i for i, d in enumerate(docs) if d in held_texts)


def split_documents(source, docs):
    """(train docs, val docs, val indices) for one source."""
    val_idx = heldout_indices(docs)
    held = set(val_idx)
    return [d for i, d in enumerate(docs) if i not in held], [docs[i] for i in val_idx], val_idx
