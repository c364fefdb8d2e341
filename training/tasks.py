"""Training tasks for train.py (--task).

A task has vocab_size, tokenizer (path or None), info (dict kept in checkpoints and model.json),
sample(rng, n) -> [(prompt_ids, body_ids)] and val_examples() -> {name: [(prompt_ids, body_ids)]}.
TASKS maps --task to (add_args(parser), make_task(args)).
"""
import json
import os
import re

import numpy as np

import star_graph
from prepare import load_split
from tokenizer import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))


def add_story_args(p):
    p.add_argument("--data", default="training/data/story-bpe8k", help="prepare.py output directory")
    p.add_argument("--mix", default="short-stories:0.5,novels-1880s:0.3,tinystories-fragments:0.2")
    p.add_argument("--eval-windows", type=int, default=128,
                   help="held-out windows per source, spread evenly over the chunked documents (0 = all)")


class StoryTask:
    """Random windows of up to max_len - 2 body tokens (no prompt) from a weighted mix of sources."""

    def __init__(self, args):
        with open(os.path.join(args.data, "meta.json")) as f:
            meta = json.load(f)
        self.vocab_size = meta["vocab_size"]
        self.tokenizer = meta["tokenizer"]  # relative to the repository root, so checkpoints travel
        self.window = args.max_len - 2
        self.mix = {s: float(w) for s, w in (kv.split(":") for kv in args.mix.split(","))}
        self.train = {s: load_split(args.data, s, "train") for s in self.mix}
        self.val = {s: load_split(args.data, s, "val") for s in self.mix}
        self.eval_windows = args.eval_windows
        self.sentence_end = sentence_end_ids(os.path.join(os.path.dirname(HERE), self.tokenizer))
        self.info = dict(task="story", data=os.path.relpath(os.path.abspath(args.data), os.path.dirname(HERE)),
                         mix=self.mix, tokenizer_sha256=meta.get("tokenizer_sha256"))

    def sample(self, rng, n):
        names = list(self.mix)
        p = np.array([self.mix[s] for s in names])
        out = []
        for s in rng.choice(names, size=n, p=p / p.sum()):
            tokens, offsets = self.train[s]
            start = int(rng.integers(0, len(tokens)))
            d = np.searchsorted(offsets, start, side="right") - 1
            start = max(int(offsets[d]), min(start, int(offsets[d + 1]) - self.window))  # fit inside the doc
            out.append(([], tokens[start:min(start + self.window, int(offsets[d + 1]))].astype(np.int64)))
        return out

    def val_examples(self):
        out = {}
        for s, (tokens, offsets) in self.val.items():
            wins = [([], tokens[a:min(a + self.window, e)].astype(np.int64))
                    for d0, e in zip(offsets[:-1].tolist(), offsets[1:].tolist()) for a in range(d0, e, self.window)]
            if self.eval_windows and len(wins) > self.eval_windows:
                wins = [wins[i] for i in np.linspace(0, len(wins) - 1, self.eval_windows).round().astype(int)]
            out[s] = wins
        return out


SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]*\s*$")


def sentence_end_ids(tokenizer_path):
    """bool per vocabulary id: the token's text ends a sentence (., ! or ?, then closing quotes)."""
    tok = Tokenizer.from_file(tokenizer_path)
    return np.array([bool(SENTENCE_END.search(tok.decode([i]))) if i >= 5 else False for i in range(tok.vocab_size)])


# --task name -> (add_args(parser), make_task(args))
TASKS = {"story": (add_story_args, StoryTask), "star": (star_graph.add_args, star_graph.make_task)}
