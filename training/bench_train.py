"""Training throughput on this machine: ILM vs AR at equal size, grouped vs ungrouped ILM micro-batches, and
the vocabulary size (the head runs at every position). Synthetic ids; one full optimizer step per iteration
(collate, forward, loss, backward, AdamW). Configurations are interleaved over several rounds so that load
from other processes hits them alike. Prints one JSON object.

    /usr/bin/python3 training/bench_train.py --seconds 30
tokens/s counts input positions actually processed (the ILM's kept tokens, padding excluded); body tokens/s
counts the data consumed (the ILM processes about half of each window, so it consumes ~2x per position).
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelConfig, Transformer  # noqa: E402
from objective import ARCollator, ILMCollator, ar_loss, ilm_loss  # noqa: E402


class Bench:
    def __init__(self, objective, vocab, args, sort=True):
        torch.manual_seed(0)
        self.cfg = ModelConfig(vocab_size=vocab, n_layer=args.n_layer, n_head=args.n_head, d_model=args.d_model,
                               d_ff=args.d_ff, max_len=args.max_len, causal=objective == "ar")
        self.model = Transformer(self.cfg)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-4)
        self.collate = (ILMCollator if objective == "ilm" else ARCollator)(args.micro_tokens, sort)
        self.objective, self.examples = objective, args.tokens_per_batch // (args.max_len - 2)
        self.rng = np.random.default_rng(0)
        self.seconds = self.positions = self.body = self.steps = 0

    def step(self):
        # Stories: full windows, except ~10% shorter ones (document ends).
        W = self.cfg.max_len - 2
        lengths = np.where(self.rng.random(self.examples) < 0.9, W, self.rng.integers(1, W, self.examples))
        examples = [([], self.rng.integers(5, self.cfg.vocab_size, n)) for n in lengths]
        t0 = time.perf_counter()
        micro = self.collate(examples, self.rng)
        denom = len(examples) if self.objective == "ilm" else sum(int((mb["targets"] != -100).sum()) for mb in micro)
        for mb in micro:
            outputs = self.model(mb["input_ids"], mb["positions"], mb["attention_mask"])
            if self.objective == "ilm":
                loss = sum(ilm_loss(*outputs, mb)).sum() / denom
            else:
                loss = ar_loss(outputs[0], mb)[0] / denom
            loss.backward()
            self.positions += int(mb["attention_mask"].sum())
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.seconds += time.perf_counter() - t0
        self.body += int(lengths.sum())
        self.steps += 1

    def run(self, seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.step()

    def result(self):
        return dict(tok_per_s=round(self.positions / self.seconds), body_tok_per_s=round(self.body / self.seconds),
                    steps=self.steps, seconds=round(self.seconds, 1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=30, help="per configuration, split over the rounds")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--d-ff", type=int, default=1024)
    p.add_argument("--max-len", type=int, default=256)
    p.add_argument("--vocab", type=int, default=8192, help="for the ILM/AR and grouping comparisons")
    p.add_argument("--tokens-per-batch", type=int, default=8192)
    p.add_argument("--micro-tokens", type=int, default=1024)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    benches = {"ilm": Bench("ilm", args.vocab, args), "ar": Bench("ar", args.vocab, args),
               "ilm_ungrouped": Bench("ilm", args.vocab, args, sort=False)}
    benches.update({f"ilm_vocab{v}": Bench("ilm", v, args) for v in (4096, 8192, 16384) if v != args.vocab})
    for b in benches.values():  # warm-up: allocator, first-call overheads
        b.step()
        b.seconds = b.positions = b.body = b.steps = 0
    for _ in range(args.rounds):
        for b in benches.values():
            b.run(args.seconds / args.rounds)
    res = {k: b.result() for k, b in benches.items()}
    vocab = {v: res["ilm" if v == args.vocab else f"ilm_vocab{v}"]["tok_per_s"] for v in (4096, 8192, 16384)}
    out = dict(
        config=dict(vars(args), torch=torch.__version__, threads=torch.get_num_threads(), cpus=os.cpu_count(),
                    machine=platform.machine(), params=benches["ilm"].model.n_params()),
        results=res,
        ilm_over_ar_tok_per_s=round(res["ilm"]["tok_per_s"] / res["ar"]["tok_per_s"], 3),
        ilm_over_ar_body_tok_per_s=round(res["ilm"]["body_tok_per_s"] / res["ar"]["body_tok_per_s"], 3),
        grouped_over_ungrouped=round(res["ilm"]["tok_per_s"] / res["ilm_ungrouped"]["tok_per_s"], 3),
        ilm_tok_per_s_by_vocab=vocab,
    )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
