"""Checkpoints of train.py: load one, start from another model's weights, or pack an fp16 copy to commit."""
import json
import os

import torch

from model import ModelConfig, Transformer


def load_checkpoint(path):
    # PyTorch >= 2.6 defaults to weights_only=True, which refuses the plain-Python state (1.13 has the flag too)
    return torch.load(path, map_location="cpu", weights_only=False)


def portable(blob):
    """A checkpoint without the optimizer, weights in fp16 (tied tensors stay shared): what a run commits so that
    a fresh machine can resume it (train.py --resume --portable FILE)."""
    halves = {}
    model = {k: halves.setdefault(v.data_ptr(), v.detach().half()) for k, v in blob["model"].items()}
    return dict({k: v for k, v in blob.items() if k != "optimizer"}, model=model)


def initial_weights(path):
    """(config dict, state dict, where from) of a model to start training from: a train.py checkpoint (also the
    fp16, optimizer-free ones training/device_run.sh returns) or an exported model folder (model.json + model.onnx,
    whose initializers keep the parameter names). Only weights carry over: the optimizer starts afresh."""
    if path.endswith(".pt"):
        ckpt = load_checkpoint(path)
        return ckpt["config"], ckpt["model"], dict(path=path, tokens=ckpt["state"]["tokens"], steps=ckpt["state"]["step"])
    import onnx  # only for exported folders; Debian python3-onnx
    from onnx import numpy_helper
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    with open(os.path.join(folder, "model.json")) as f:
        meta = json.load(f)
    config = dict(meta["architecture"], vocab_size=meta["vocab_size"], max_len=meta["max_len"])
    graph = onnx.load(os.path.join(folder, "model.onnx")).graph
    # export.py's Graph wrapper names its parameters "model.<name>" (graphs of format 2 and older: "<name>")
    weights = {i.name.removeprefix("model."): torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    training = meta.get("training") or {}
    return config, weights, dict(path=path, tokens=training.get("tokens_seen", 0), steps=training.get("steps", 0))


def load_model(path, device="cpu"):
    """(model in eval mode, checkpoint dict) from a train.py checkpoint."""
    ckpt = load_checkpoint(path)
    model = Transformer(ModelConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), ckpt
