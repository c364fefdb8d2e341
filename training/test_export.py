"""ONNX export parity: PyTorch vs onnxruntime-node (no Python onnxruntime here), max abs diff <= 1e-4."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch

from export import export_decoder_with_past, export_dir, kv_names
from model import ModelConfig, Transformer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPER = os.path.join(ROOT, "training", "export_parity.mjs")
TOKENIZER = os.path.join(ROOT, "training", "tokenizers", "bpe4k", "tokenizer.json")


def require_onnxruntime_node():
    if shutil.which("node") and os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node")):
        return
    msg = "onnxruntime-node is not installed (run `npm ci` at the repo root); export parity cannot run"
    if os.environ.get("CI") == "true":
        pytest.fail(msg)
    pytest.skip(msg)


def run_node(tmp_path, runs):
    req, resp = tmp_path / "request.json", tmp_path / "response.json"
    req.write_text(json.dumps({"runs": runs}))
    subprocess.run(["node", HELPER, str(req), str(resp)], check=True, cwd=ROOT, timeout=120)
    return [{k: np.array(v["data"], dtype=np.float32).reshape(v["dims"]) for k, v in r.items()}
            for r in json.loads(resp.read_text())["runs"]]


def tensor(t):
    return {"dims": list(t.shape), "dtype": "int64" if t.dtype == torch.long else "float32", "data": t.flatten().tolist()}


def tiny(causal, length_head=False, gap_marker=False):
    torch.manual_seed(3)
    cfg = ModelConfig(vocab_size=97, n_layer=2, n_head=2, d_model=32, d_ff=64, max_len=64, causal=causal,
                      length_head=length_head, gap_marker=gap_marker)
    model = Transformer(cfg).eval()
    with torch.no_grad():  # trained-looking magnitudes rather than the near-zero initial logits
        for p in model.parameters():
            p.mul_(5.0)
        if gap_marker:  # it starts at zero, which would test nothing
            model.gap_embed.normal_(0.0, 1.0)
    return model


def random_inputs(rng):
    B, L = int(rng.integers(1, 5)), int(rng.integers(1, 20))
    ids = torch.as_tensor(rng.integers(0, 97, size=(B, L)))
    mask = torch.ones(B, L, dtype=torch.long)
    for b in range(1, B):  # right padding on some rows
        n = int(rng.integers(1, L + 1))
        mask[b, n:] = 0
        ids[b, n:] = 0
    pos = torch.arange(L).expand(B, L) + torch.as_tensor(rng.integers(0, 50, size=(B, 1)))
    return ids, pos.contiguous(), mask


@pytest.mark.parametrize("causal, length_head, gap_marker", [(False, False, False), (True, False, False),
                                                            (False, True, False), (False, True, True)])
def test_onnx_matches_pytorch(tmp_path, causal, length_head, gap_marker):
    require_onnxruntime_node()
    model = tiny(causal, length_head, gap_marker)
    meta = export_dir(model, str(tmp_path), TOKENIZER)
    assert meta["kind"] == ("ar" if causal else "ilm") and meta["vocab_size"] == 97
    assert meta["format_version"] == (3 if length_head else 2)
    assert meta["outputs"] == ["token_logits", "stop_logits"] + (["lengths"] if length_head else [])
    assert meta["onnx_sha256"] and (tmp_path / "tokenizer.json").exists()
    rng = np.random.default_rng(0)
    cases, runs = [], []
    for _ in range(6):
        ids, pos, mask = random_inputs(rng)
        inputs = {"input_ids": tensor(ids), "positions": tensor(pos), "attention_mask": tensor(mask)}
        rows = None
        if not causal:  # the ILM graph returns the asked rows only (any order, repeats allowed)
            rows = torch.as_tensor(rng.integers(0, ids.shape[1], size=(ids.shape[0], int(rng.integers(1, 6)))))
            inputs["rows"] = tensor(rows)
        with torch.no_grad():
            tok, stop, lengths = model(ids, pos, mask, rows)
            if rows is not None:  # the same as picking those rows from the full output (the asked rows marked)
                full = model(ids, pos, mask, allowed=Transformer.gap_rows(mask, rows, None) > 0)[0]
                assert torch.allclose(tok, torch.stack([full[b, rows[b]] for b in range(len(rows))]), atol=1e-5)
        cases.append({"token_logits": tok, "stop_logits": stop, **({"lengths": lengths} if length_head else {})})
        runs.append({"model": str(tmp_path / "model.onnx"), "inputs": inputs})
    for expected, out in zip(cases, run_node(tmp_path, runs)):
        assert sorted(out) == sorted(expected)
        for name, value in expected.items():
            assert out[name].shape == value.shape and np.abs(out[name] - value.numpy()).max() <= 1e-4, name


def test_decoder_with_past_matches_full_forward(tmp_path):
    require_onnxruntime_node()
    model = tiny(True)
    path = str(tmp_path / "decoder_with_past.onnx")
    export_decoder_with_past(model, path)
    cfg = model.cfg
    B, L, H, hd = 2, 9, cfg.n_head, cfg.d_model // cfg.n_head
    ids = torch.randint(5, 97, (B, L), generator=torch.Generator().manual_seed(1))
    pos, mask = torch.arange(L).expand(B, L).contiguous(), torch.ones(B, L, dtype=torch.long)
    with torch.no_grad():
        full = model(ids, pos, mask)[0].numpy()
    past = {n: np.zeros((B, H, 0, hd), dtype=np.float32) for n in kv_names(cfg.n_layer, "past")}
    logits = []
    for s, e in [(0, 4), (4, 5), (5, 9)]:  # prompt chunk with an empty cache, one token, several
        inputs = {"input_ids": tensor(ids[:, s:e]), "positions": tensor(pos[:, s:e]), "attention_mask": tensor(mask[:, :e])}
        inputs.update({n: tensor(torch.from_numpy(v)) for n, v in past.items()})
        out = run_node(tmp_path, [{"model": path, "inputs": inputs}])[0]
        logits.append(out["logits"])
        past = {n: out[n.replace("past", "present")] for n in past}
    assert np.abs(np.concatenate(logits, 1) - full).max() <= 1e-4


@pytest.mark.parametrize("fixture", ["tiny-ilm", "tiny-ilm-length"])
def test_committed_golden_fixture_runs_in_onnxruntime(tmp_path, fixture):
    """The engine's fixtures are self-consistent: onnxruntime reproduces their recorded forward outputs."""
    require_onnxruntime_node()
    folder = os.path.join(ROOT, "src", "core", "testdata", fixture)
    with open(os.path.join(folder, "golden.json")) as f:
        golden = json.load(f)
    with open(os.path.join(folder, "model.json")) as f:
        card = json.load(f)
    assert card["onnx_sha256"] == golden["onnx_sha256"] and card["format_version"] == golden["format_version"]
    runs = [{"model": os.path.join(folder, "model.onnx"),
             "inputs": {**{k: {"dims": c["dims"], "dtype": "int64", "data": c[k]}
                           for k in ("input_ids", "positions", "attention_mask")},
                        "rows": {"dims": c["rows_dims"], "dtype": "int64", "data": c["rows_input"]}}}
            for c in golden["forward"]]
    for case, out in zip(golden["forward"], run_node(tmp_path, runs)):
        tok = out["token_logits"]
        assert np.abs(out["stop_logits"].flatten() - case["stop_logits"]).max() <= 1e-4
        if "token_logits" in case:
            assert np.abs(tok.flatten() - case["token_logits"]).max() <= 1e-4
        assert ("lengths" in out) == ("lengths" in case) == (golden["format_version"] == 3)
        if "lengths" in case:
            assert np.abs(out["lengths"].flatten() - case["lengths"]).max() <= 1e-4
        for r in case["rows"]:
            row = tok[r["b"], r["j"]]
            assert abs(np.logaddexp.reduce(row.astype(np.float64)) - r["logsumexp"]) <= 1e-4
            assert np.abs(row[:8] - r["first8"]).max() <= 1e-4
            assert [t for t, _ in r["top5"]] == np.argsort(-row, kind="stable")[:5].tolist()


def test_length_golden_traces_stop_on_the_length_head():
    """The length fixture's traces are single-gap fills that the length head ends (one is cut by its budget),
    each step's remaining length as the reference decoder sees it, never near the threshold."""
    with open(os.path.join(ROOT, "src", "core", "testdata", "tiny-ilm-length", "golden.json")) as f:
        traces = json.load(f)["traces"]
    assert [t["stop_reason"] for t in traces] == ["stop"] * 4 + ["max_steps"]
    for t in traces:
        assert sum(t["allowed"]) == 1 and t["length_threshold"] == 0.5
        assert all(s["remaining"] >= 0.5 for s in t["steps"])
        assert (t["final_remaining"] < 0.5) == (t["stop_reason"] == "stop")
