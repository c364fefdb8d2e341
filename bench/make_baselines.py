"""Builds what the engine benchmark compares against, into bench/.cache/ (not committed):
  - ar/: an AR transformer with exactly the ILM's architecture (causal), exported with its KV-cache decoding
    graph. Its weights are random: decode speed does not depend on them, only on the shapes.
  - matmul.onnx: one MatMul with dynamic shapes, to measure the runtime's achievable FLOP/s (the FLOP floor).
  - ilm-length/ and ilm-plain/: the ILM's architecture with and without a length head (random weights), whose
    step times differ by what the length head costs.

    /usr/bin/python3 bench/make_baselines.py --model models/inlay-story
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "training"))
from export import export_dir  # noqa: E402
from model import ModelConfig, Transformer  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, help="the ILM model folder whose architecture the AR copies")
    p.add_argument("--out", default=os.path.join(HERE, ".cache"))
    args = p.parse_args()
    with open(os.path.join(args.model, "model.json")) as f:
        meta = json.load(f)
    arch = dict(meta["architecture"], causal=True)
    torch.manual_seed(0)
    ar = Transformer(ModelConfig(vocab_size=meta["vocab_size"], max_len=meta["max_len"], **arch))
    export_dir(ar, os.path.join(args.out, "ar"), os.path.join(args.model, "tokenizer.json"),
               data={"note": "random weights: for decode speed only"})
    for name, length_head in (("ilm-length", True), ("ilm-plain", False)):
        arch = dict(meta["architecture"], causal=False, length_head=length_head)
        ilm = Transformer(ModelConfig(vocab_size=meta["vocab_size"], max_len=meta["max_len"], **arch))
        export_dir(ilm, os.path.join(args.out, name), os.path.join(args.model, "tokenizer.json"),
                   data={"note": "random weights: for step speed only"})

    import onnx
    from onnx import TensorProto, helper
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["m", "k"])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, ["k", "n"])
    c = helper.make_tensor_value_info("c", TensorProto.FLOAT, ["m", "n"])
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul", [a, b], [c])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(args.out, "matmul.onnx"))
    print(f"wrote {args.out}/ar, ilm-length, ilm-plain and matmul.onnx")


if __name__ == "__main__":
    main()
