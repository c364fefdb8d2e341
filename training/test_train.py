"""Smoke test of train.py on a tiny synthetic prepared-data directory: ILM run, resume, AR run."""
import argparse
import json
import os

import numpy as np
import torch

import checkpoints
import export
import train


def synthetic_data(root, vocab=300):
    rng = np.random.default_rng(0)
    for source in ("short-stories", "novels-1880s"):
        os.makedirs(root / source)
        for split, n_docs in (("train", 20), ("val", 3)):
            lengths = rng.integers(5, 120, size=n_docs)
            rng.integers(5, vocab, size=lengths.sum()).astype(np.uint16).tofile(root / source / f"{split}.bin")
            np.save(root / source / f"{split}.docs.npy", np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
    (root / "meta.json").write_text(json.dumps({"vocab_size": vocab, "tokenizer": "training/tokenizers/bpe4k/tokenizer.json"}))


def test_train_resume_and_ar(tmp_path):
    synthetic_data(tmp_path / "data")
    out = tmp_path / "run"
    common = ["--data", str(tmp_path / "data"), "--mix", "short-stories:0.7,novels-1880s:0.3", "--n-layer", "1",
              "--d-model", "32", "--n-head", "2", "--d-ff", "64", "--max-len", "40", "--tokens-per-batch", "400",
              "--micro-tokens", "256", "--log-every", "2", "--eval-every", "2", "--warmup", "2", "--threads", "1"]
    train.main(common + ["--out", str(out), "--max-steps", "4"])
    ckpt = torch.load(out / "ckpt.pt")
    assert ckpt["state"]["step"] == 4 and ckpt["state"]["tokens"] > 0 and ckpt["config"]["max_len"] == 40
    assert (out / "curve.png").exists()
    lines = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
    assert [l["kind"] for l in lines] == ["train", "eval", "train", "eval"]
    assert set(lines[1]["val"]) == {"short-stories", "novels-1880s", "mean"}
    # resume: the size flags come from the checkpoint, the step count continues
    train.main(common + ["--out", str(out), "--max-steps", "6", "--resume", "--d-model", "64"])
    ckpt = torch.load(out / "ckpt.pt")
    assert ckpt["state"]["step"] == 6 and ckpt["config"]["d_model"] == 32 and len(ckpt["state"]["evals"]) == 3

    # a fresh machine has no runs/ folder: the committed fp16 copy resumes the run with a fresh optimizer
    fresh, copy = tmp_path / "fresh", tmp_path / "committed" / "run-fp16.pt"
    train.main(common + ["--out", str(out), "--max-steps", "8", "--resume", "--portable", str(copy)])
    small = torch.load(copy)
    assert "optimizer" not in small and small["state"]["step"] == 8
    assert all(v.dtype == torch.float16 for v in small["model"].values() if v.is_floating_point())
    train.main(common + ["--out", str(fresh), "--max-steps", "12", "--resume", "--portable", str(copy), "--log-every", "1"])
    resumed = torch.load(fresh / "ckpt.pt")
    assert resumed["state"]["step"] == 12 and resumed["state"]["warm_from"] == 8
    lrs = [h["lr"] for h in resumed["state"]["history"] if h["step"] > 8]
    run_args = argparse.Namespace(**resumed["args"])
    assert abs(lrs[0] - 0.5 * train.lr_at(run_args, 8, 8 / 12)) < 1e-12  # warming up again (--warmup 2): half the rate
    # a token horizon (how baselines are compute-matched) stops at the first logged step past it
    train.main(common + ["--out", str(tmp_path / "tok"), "--max-tokens", "1500"])
    state = torch.load(tmp_path / "tok" / "ckpt.pt")["state"]
    assert state["tokens"] >= 1500 and state["history"][-2]["tokens"] < 1500 and state["step"] % 2 == 0
    train.main(common + ["--out", str(tmp_path / "ar"), "--max-steps", "2", "--objective", "ar"])
    ar = torch.load(tmp_path / "ar" / "ckpt.pt")
    assert ar["config"]["causal"] and ar["state"]["evals"][-1]["val"]["mean"]["loss"] > 0

    # the exported checkpoint carries what the app needs to know
    export.main(["model", "--ckpt", str(tmp_path / "ar" / "ckpt.pt"), "--out", str(tmp_path / "ar-export")])
    meta = json.loads((tmp_path / "ar-export" / "model.json").read_text())
    assert meta["kind"] == "ar" and meta["vocab_size"] == 300 and meta["training"]["steps"] == 2
    assert [c[:2] for c in meta["training"]["heldout_curve"]] == [[2, ar["state"]["tokens"]]]
    assert meta["data"]["mix"] == {"short-stories": 0.7, "novels-1880s": 0.3} and "mean" in meta["heldout"]
    assert {"model.onnx", "decoder_with_past.onnx"} <= set(meta["files"])


def test_lr_warmup_and_rewarm():
    class A:
        lr, warmup, schedule, min_lr_frac = 1.0, 4, "cosine", 0.1
    assert train.lr_at(A, 0, 0.0) == 0.25 and train.lr_at(A, 3, 0.0) == 1.0
    assert abs(train.lr_at(A, 100, 1.0) - 0.1) < 1e-12
    # resumed at step 100 with a fresh optimizer: warm up to the schedule's rate there (0.55 at half way)
    assert abs(train.lr_at(A, 100, 0.5, warm_from=100) - 0.55 / 4) < 1e-12
    assert abs(train.lr_at(A, 104, 0.5, warm_from=100) - 0.55) < 1e-12


def test_init_from_an_exported_model_or_a_checkpoint(tmp_path):
    synthetic_data(tmp_path / "data")
    common = ["--data", str(tmp_path / "data"), "--mix", "short-stories:1", "--tokens-per-batch", "400",
              "--micro-tokens", "256", "--log-every", "2", "--eval-every", "100", "--warmup", "2", "--threads", "1"]
    size = ["--n-layer", "1", "--d-model", "32", "--n-head", "2", "--d-ff", "64", "--max-len", "40"]
    train.main(common + size + ["--out", str(tmp_path / "a"), "--max-steps", "3"])
    export.main(["model", "--ckpt", str(tmp_path / "a" / "ckpt.pt"), "--out", str(tmp_path / "a-export"),
                 "--top-p", "0.7", "--length-threshold", "0.5"])
    meta = json.loads((tmp_path / "a-export" / "model.json").read_text())
    assert meta["decoding"] == {"top_p": 0.7, "length_threshold": 0.5} and meta["format_version"] == 3
    assert meta["outputs"] == ["token_logits", "stop_logits", "lengths"]
    trained = torch.load(tmp_path / "a" / "ckpt.pt")["model"]
    for source in (tmp_path / "a-export", tmp_path / "a" / "ckpt.pt"):
        # the weights (not the optimizer or the schedule) carry over; the size comes from the source
        config, weights, origin = checkpoints.initial_weights(str(source))
        assert config["d_model"] == 32 and origin["steps"] == 3
        for name, value in weights.items():
            assert torch.equal(value, trained[name]), name
        out = tmp_path / f"b-{source.name}"
        train.main(common + ["--out", str(out), "--max-steps", "1", "--init-from", str(source), "--d-model", "64"])
        b = torch.load(out / "ckpt.pt")
        assert b["config"]["d_model"] == 32 and b["state"]["step"] == 1 and b["state"]["init_from"]["steps"] == 3


def test_init_an_ilm_from_an_ar_checkpoint(tmp_path):
    """Issue 11 point 9: the AR baseline's weights, attention made bidirectional, new heads fresh."""
    synthetic_data(tmp_path / "data")
    common = ["--data", str(tmp_path / "data"), "--mix", "short-stories:1", "--tokens-per-batch", "400",
              "--micro-tokens", "256", "--log-every", "1", "--eval-every", "100", "--warmup", "2", "--threads", "1"]
    size = ["--n-layer", "1", "--d-model", "32", "--n-head", "2", "--d-ff", "64", "--max-len", "40"]
    train.main(common + size + ["--out", str(tmp_path / "ar"), "--max-steps", "2", "--objective", "ar"])
    ar = torch.load(tmp_path / "ar" / "ckpt.pt")
    train.main(common + ["--out", str(tmp_path / "ilm"), "--max-steps", "1", "--init-from", str(tmp_path / "ar" / "ckpt.pt"),
                         "--objective", "ilm", "--lr", "0"])
    ilm = torch.load(tmp_path / "ilm" / "ckpt.pt")
    assert ilm["config"]["causal"] is False and ilm["config"]["length_head"] and ilm["config"]["gap_marker"]
    assert ilm["state"]["init_fresh"] == ["gap_embed"] + sorted(k for k in ilm["model"] if k.startswith("length_head."))
    for name, value in ar["model"].items():  # lr 0: every shared weight is the AR model's
        assert torch.equal(ilm["model"][name].float(), value.float()), name
