"""Which ILM sizes meet the latency bar: exports random-weight ILMs of the given sizes (speed does not depend on
the weights, only on the shapes) with the shipped model's vocabulary and window, runs the engine benchmark on each
and writes a table.

    /usr/bin/python3 bench/size_probe.py --sizes 6x256,6x320,8x320,8x384 --out training/results/size_latency.md

Each size is LAYERSxD_MODEL (heads = D_MODEL / 64, d_ff = 4 x D_MODEL). Run it on an otherwise idle machine:
the numbers are only comparable within one run.
"""
import argparse
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "training"))
from export import export_dir  # noqa: E402
from model import ModelConfig, Transformer  # noqa: E402


def probe(size, base, cache):
    n_layer, d_model = (int(x) for x in size.split("x"))
    out = os.path.join(cache, size)
    if not os.path.exists(os.path.join(out, "model.json")):
        torch.manual_seed(0)
        cfg = ModelConfig(vocab_size=base["vocab_size"], max_len=base["max_len"], n_layer=n_layer, n_head=d_model // 64,
                          d_model=d_model, d_ff=4 * d_model)
        export_dir(Transformer(cfg), out, os.path.join(ROOT, "models", "inlay-story", "tokenizer.json"),
                   data={"note": "random weights: for speed only"})
    bench = subprocess.run(["npm", "run", "--silent", "bench", "--", "--json", "--model", out], cwd=ROOT, check=True,
                           capture_output=True, text=True)
    result = json.loads(bench.stdout.strip().splitlines()[-1])
    return dict(size=size, parameters=result["parameters"], step_ms=result["step_ms"],
                step_ms_gap_rows_only=result["step_ms_gap_rows_only"], model_mb=round(os.path.getsize(
                    os.path.join(out, "model.onnx")) / 1e6, 1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="6x256,6x320,8x320,8x384")
    p.add_argument("--model", default=os.path.join(ROOT, "models", "inlay-story"), help="vocabulary and window from here")
    p.add_argument("--bar-ms", type=float, default=40.0)
    p.add_argument("--out", required=True, help="Markdown table; the JSON goes next to it")
    args = p.parse_args()
    with open(os.path.join(args.model, "model.json")) as f:
        base = json.load(f)
    rows = [probe(size, base, os.path.join(HERE, ".cache", "sizes")) for size in args.sizes.split(",")]
    first = rows[0]["parameters"]
    lines = ["# ILM size vs step latency", "", f"`/usr/bin/python3 bench/size_probe.py --sizes {args.sizes} --out "
             f"{os.path.relpath(args.out, ROOT)}`: random-weight ILMs with vocabulary {base['vocab_size']:,} and a "
             f"{base['max_len']}-token window, each timed by `npm run --silent bench -- --json --model …` on this "
             "machine (onnxruntime-node, CPU). Training cost per token grows with the parameters (≈ 6 × parameters "
             "FLOPs per token), so the last column is how many fewer tokens the same CPU time trains.", "",
             f"| size | parameters | model.onnx MB | step ms, all rows, 256 tokens (bar ≤ {args.bar_ms:g}) | "
             "step ms, one 16-token gap, 256 tokens | training cost per token vs the first |", "|---|---|---|---|---|---|"]
    for r in rows:
        ms = r["step_ms"]["256"]
        lines.append(f"| {r['size']} | {r['parameters']:,} | {r['model_mb']} | {ms} ({'meets' if ms <= args.bar_ms else 'over'}) "
                     f"| {r['step_ms_gap_rows_only']['256']} | {r['parameters'] / first:.2f}× |")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(rows, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
