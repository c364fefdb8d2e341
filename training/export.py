"""Export a train.py checkpoint for the app (onnxruntime-node), and write the engine's golden fixtures.

    /usr/bin/python3 training/export.py model --ckpt training/runs/NAME/ckpt.pt --out models/NAME
    /usr/bin/python3 training/export.py golden --out src/core/testdata/tiny-ilm
    /usr/bin/python3 training/export.py golden --length-head --out src/core/testdata/tiny-ilm-length

`model` writes model.onnx (inputs input_ids / positions / attention_mask int64 [B, L], for an ILM also rows int64
[B, R], the positions whose token logits are wanted; outputs token_logits float32 [B, R, V] ([B, L, V] for an AR)
and stop_logits float32 [B, 2], index 0 = "text complete"; B, L and R dynamic), a copy of
tokenizer.json and model.json; for an AR checkpoint also decoder_with_past.onnx (key/value-cache decoding).
`golden` trains a tiny seeded ILM on a few sentences for a few seconds, exports it the same way and records
forward outputs and greedy decoding traces (golden.json) that the TypeScript engine must reproduce; with
--length-head the tiny model has a length head (format 3, trained on a mixture of drops) and the traces are
single-gap fills that end when the gap's expected missing length falls below length_threshold.
"""
import argparse
import hashlib
import inspect
import json
import os
import shutil
import sys
from dataclasses import asdict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoints import load_model  # noqa: E402
from model import ModelConfig, Transformer  # noqa: E402
from objective import BOS, CLS, EOS, MASK, PAD, ILMCollator, frame, ilm_loss, pad  # noqa: E402
from predictor import allowed_rows, generate  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
# 2: an ILM graph takes `rows` and returns only those rows' token logits;
# 3: it also returns `lengths` [B, R] (expected tokens missing right after each asked row; a model with a length head)
FORMAT_VERSION = 3
FORMAT_VERSION_NO_LENGTH_HEAD = 2


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _onnx_export(module, args, path, input_names, output_names, dynamic_axes):
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False  # PyTorch >= 2.5 may default to the dynamo exporter; keep the TorchScript one
    # No constant folding: it would store a transposed copy of the tied embedding (onnxruntime folds at load).
    torch.onnx.export(module, args, path, opset_version=OPSET, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, do_constant_folding=False, **kw)
    try:
        import onnx
    except ImportError:
        return
    onnx.checker.check_model(onnx.load(path))


def graph_inputs(cfg):
    """The full-sequence graph's inputs; an ILM graph also takes the rows whose token logits it returns."""
    return ["input_ids", "positions", "attention_mask"] + ([] if cfg.causal else ["rows"])


def graph_outputs(cfg):
    return ["token_logits", "stop_logits"] + (["lengths"] if cfg.length_head else [])


def format_version(cfg):
    return FORMAT_VERSION if cfg.length_head else FORMAT_VERSION_NO_LENGTH_HEAD


class Graph(torch.nn.Module):
    """The model's forward with only real outputs (no None for a missing length head)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *inputs):
        return tuple(t for t in self.model(*inputs) if t is not None)


def export_onnx(model, path):
    """The full-sequence graph: what the ILM engine (and AR scoring) runs."""
    model = model.cpu().float().eval()
    B, L, R = 2, 7, 3
    dummy = (torch.randint(5, model.cfg.vocab_size, (B, L)), torch.arange(L).expand(B, L).contiguous(),
             torch.ones(B, L, dtype=torch.long))
    axes = {"input_ids": {0: "batch", 1: "length"}, "positions": {0: "batch", 1: "length"},
            "attention_mask": {0: "batch", 1: "length"}, "token_logits": {0: "batch", 1: "length"},
            "stop_logits": {0: "batch"}}
    if not model.cfg.causal:
        dummy += (torch.tensor([[1, 4, 6], [2, 3, 0]]),)
        axes.update(rows={0: "batch", 1: "rows"}, token_logits={0: "batch", 1: "rows"})
        if model.cfg.length_head:
            axes["lengths"] = {0: "batch", 1: "rows"}
    _onnx_export(Graph(model), dummy, path, graph_inputs(model.cfg), graph_outputs(model.cfg), axes)


class DecoderWithPast(torch.nn.Module):
    """Flat-argument wrapper of Transformer.decode for ONNX: past_key_i / past_value_i in, present_* out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, positions, attention_mask, *past_flat):
        past = list(zip(past_flat[0::2], past_flat[1::2]))
        logits, present = self.model.decode(input_ids, positions, attention_mask, past)
        return (logits, *[t for kv in present for t in kv])


def kv_names(n_layer, prefix):
    return [f"{prefix}_{kind}_{i}" for i in range(n_layer) for kind in ("key", "value")]


def export_decoder_with_past(model, path):
    """AR decoding graph. Inputs: input_ids, positions [B, T] (new tokens), attention_mask [B, P+T],
    past_key_i / past_value_i [B, H, P, head_dim] (P may be 0). Outputs: logits [B, T, V], present_* [B, H, P+T, hd]."""
    model = model.cpu().float().eval()
    cfg = model.cfg
    B, P, T, H, hd = 2, 3, 2, cfg.n_head, cfg.d_model // cfg.n_head
    past = [torch.randn(B, H, P, hd) for _ in range(2 * cfg.n_layer)]
    dummy = (torch.randint(5, cfg.vocab_size, (B, T)), torch.arange(P, P + T).expand(B, T).contiguous(),
             torch.ones(B, P + T, dtype=torch.long), *past)
    past_names, present_names = kv_names(cfg.n_layer, "past"), kv_names(cfg.n_layer, "present")
    axes = {"input_ids": {0: "batch", 1: "new"}, "positions": {0: "batch", 1: "new"},
            "attention_mask": {0: "batch", 1: "total"}, "logits": {0: "batch", 1: "new"}}
    axes.update({n: {0: "batch", 2: "past"} for n in past_names})
    axes.update({n: {0: "batch", 2: "total"} for n in present_names})
    _onnx_export(DecoderWithPast(model), dummy, path, ["input_ids", "positions", "attention_mask", *past_names],
                 ["logits", *present_names], axes)


def export_dir(model, out, tokenizer, data=None, training=None, heldout=None, decoding=None):
    """model.onnx (+ decoder_with_past.onnx for AR), tokenizer.json and model.json into `out`."""
    os.makedirs(out, exist_ok=True)
    cfg = model.cfg
    export_onnx(model, os.path.join(out, "model.onnx"))
    target = os.path.join(out, "tokenizer.json")
    if not (os.path.exists(target) and os.path.samefile(tokenizer, target)):  # re-exporting into the model's own folder
        shutil.copyfile(tokenizer, target)
    files = {"model.onnx": sha256(os.path.join(out, "model.onnx"))}
    if cfg.causal:
        export_decoder_with_past(model, os.path.join(out, "decoder_with_past.onnx"))
        files["decoder_with_past.onnx"] = sha256(os.path.join(out, "decoder_with_past.onnx"))
    arch = {k: v for k, v in asdict(cfg).items() if k not in ("vocab_size", "max_len")}
    meta = dict(format="inlay-model", format_version=format_version(cfg), kind="ar" if cfg.causal else "ilm",
                vocab_size=cfg.vocab_size, special_ids=dict(pad=PAD, cls=CLS, bos=BOS, eos=EOS, mask=MASK),
                max_len=cfg.max_len, architecture=arch, parameters=model.n_params(), opset=OPSET,
                inputs=graph_inputs(cfg), outputs=graph_outputs(cfg),
                stop_index_complete=0, **({"decoding": decoding} if decoding else {}), data=data or {},
                training=training or {}, heldout=heldout or {},
                onnx_sha256=files["model.onnx"], tokenizer_sha256=sha256(tokenizer), files=files,
                torch_version=torch.__version__)
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def cmd_model(args):
    model, ckpt = load_model(args.ckpt)
    s = ckpt["state"]
    training = dict(objective=ckpt["args"]["objective"], steps=s["step"], tokens_seen=s["tokens"],
                    body_tokens_seen=s["body_tokens"], train_minutes=round(s["train_time"] / 60, 2),
                    **({"init_from": s["init_from"]} if s.get("init_from") else {}),
                    # [step, tokens seen, held-out mean loss] at each evaluation: the card's curve in numbers
                    heldout_curve=[[e["step"], e["tokens"], round(e["val"]["mean"]["loss"], 4)] for e in s["evals"]
                                   if "mean" in e["val"]])
    heldout = s["evals"][-1]["val"] if s["evals"] else {}
    tokenizer = args.tokenizer or ckpt["tokenizer"]
    if not os.path.isabs(tokenizer):
        tokenizer = os.path.join(os.path.dirname(HERE), tokenizer)
    decoding = {k: v for k, v in (("top_p", args.top_p), ("temperature", args.temperature),
                                  ("length_threshold", args.length_threshold)) if v is not None}
    meta = export_dir(model, args.out, tokenizer, ckpt["task"], training, heldout, decoding)
    print(json.dumps({k: meta[k] for k in ("kind", "vocab_size", "max_len", "parameters", "files")}, indent=1))


# ---------------------------------------------------------------------------------------------------------
# Golden fixtures for the TypeScript engine.

GOLDEN_TOKENIZER = os.path.join(HERE, "tokenizers", "bpe4k", "tokenizer.json")
GOLDEN_SENTENCES = ["Once upon a time, a little fox lived by the river.",
                    "The old clock in the hall struck midnight.",
                    "She opened the letter and smiled."]


# The length-head fixture's drops: spans and complete windows teach the head where text is missing and where not.
GOLDEN_LENGTH_DROPS = {"scatter": .6, "span": .3, "complete": .1}


def train_tiny(sentences, vocab_size, steps=400, seed=0, length_head=False, drops=None):
    """A tiny ILM memorising a few sentences: its greedy traces are meaningful (it inserts and then stops). With
    length_head it also has the gap marker, so the fixtures check that the engine marks exactly a fill's rows."""
    torch.manual_seed(seed)
    model = Transformer(ModelConfig(vocab_size=vocab_size, n_layer=2, n_head=2, d_model=32, d_ff=64, max_len=48,
                                    length_head=length_head, gap_marker=length_head))
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
    rng = np.random.default_rng(seed)
    examples = [([], s) for s in sentences] * 8
    collate = ILMCollator(drops=drops)
    for _ in range(steps):
        for batch in collate(examples, rng):
            outputs = model(batch["input_ids"], batch["positions"], batch["attention_mask"], allowed=batch["allowed"])
            tok, stop, length = ilm_loss(*outputs, batch)
            ((tok + stop + length).sum() / len(examples)).backward()
        opt.step()
        opt.zero_grad()
    return model.eval()


def r6(t):
    return [round(float(x), 6) for x in t.flatten().tolist()]


def forward_case(model, seqs, positions=None, full=False, rows=None):
    """Inputs and expected outputs of one padded batch. rows: the positions asked for per sequence (default:
    all of the padded length). Per asked real (b, j = index in the request, row): logsumexp of the row, its
    top 5 (token, logit) and its first 8 logits; `full` adds every token logit [B, R, V] (keep those small).
    A model with a length head adds its lengths [B, R]."""
    batch = pad(seqs)
    if positions is not None:
        batch["positions"] = torch.tensor(positions)
    L = batch["input_ids"].shape[1]
    rows = torch.tensor(rows if rows is not None else [list(range(L))] * len(seqs))
    with torch.no_grad():
        tok, stop, lengths = model(batch["input_ids"], batch["positions"], batch["attention_mask"], rows)
    summaries = []
    for b, s in enumerate(seqs):
        for j, i in enumerate(rows[b].tolist()):
            if i >= len(s):  # a padding position: its logits mean nothing
                continue
            top = tok[b, j].topk(5)
            summaries.append(dict(b=b, j=j, row=i, logsumexp=round(float(tok[b, j].logsumexp(-1)), 6),
                                  first8=r6(tok[b, j, :8]), top5=[[int(t), round(float(v), 6)] for v, t in zip(top.values, top.indices)]))
    case = dict(dims=list(batch["input_ids"].shape), input_ids=batch["input_ids"].flatten().tolist(),
                positions=batch["positions"].flatten().tolist(), attention_mask=batch["attention_mask"].flatten().tolist(),
                rows_dims=list(rows.shape), rows_input=rows.flatten().tolist(), stop_logits=r6(stop), rows=summaries)
    if full:
        case["token_logits"] = r6(tok)
    if lengths is not None:
        case["lengths"] = r6(lengths)
    return case


def margins(model, prompt, body, allowed, steps):
    """Smallest greedy decision margin along a trace: how far the chosen gap (by marginal) and token were
    ahead of the runner-up. The engine's float results differ from PyTorch's by ~1e-6, so this must be large.
    Also the expected missing length (sum of lambda over the allowed rows) at each step's forward pass and after
    the last insertion (None without a length head)."""
    body, allowed, low, remaining = list(body), list(allowed), float("inf"), []

    def forward():
        ids, bos = frame(prompt, body)
        batch = pad([ids])
        marked = allowed_rows(batch["input_ids"].shape, [(bos, allowed)])
        with torch.no_grad():
            tok, _, lengths = model(batch["input_ids"], batch["positions"], batch["attention_mask"], allowed=marked)
        remaining.append(None if lengths is None else float(lengths[0, bos:][torch.tensor(allowed)].sum()))
        return tok[0, bos:].clone(), bos

    for _, row, token, _ in steps:
        logits, bos = forward()
        logits[:, [PAD, CLS, BOS, EOS, MASK]] = float("-inf")
        logits[~torch.tensor(allowed)] = float("-inf")
        marg = logits.logsumexp(-1)
        g = row - bos
        for scores, choice in ((marg, g), (logits[g], token)):
            top2 = scores.topk(min(2, len(scores))).values
            if int(scores.argmax()) != choice:
                raise AssertionError("replay disagrees with the trace")
            if len(top2) > 1 and torch.isfinite(top2[1]):
                low = min(low, float(top2[0] - top2[1]))
        body.insert(g, token)
        allowed.insert(g + 1, True)
    forward()
    return low, remaining


def golden_traces(tk, sents, length_head):
    """The decoding cases: for the stop-head model, unconditional and infilling ones (all gaps, and one gap with a
    prompt); for the length-head model, single-gap fills (middle, end, start, empty text, and one cut by its
    budget) that end when the gap's expected missing length falls below length_threshold, by the planned-length rule
    the engine uses (predictor.generate's length_plan)."""
    if not length_head:
        s1 = sents[1]
        holes = [t for i, t in enumerate(s1) if i % 3 != 1]  # drop every third token ...
        only = [True] + [False] * len(holes)
        only[2] = True  # ... but allow insertion only after the 2nd remaining token
        return [
            dict(name="unconditional", prompt=[], body=[], allowed=None, max_steps=24, stop_threshold=0.9, min_steps=1),
            dict(name="infill-every-gap", prompt=[], body=holes, allowed=None, max_steps=24, stop_threshold=0.9,
                 min_steps=1),
            dict(name="infill-one-gap-with-prompt", prompt=tk.encode(" Title"), body=holes, allowed=only, max_steps=6,
                 stop_threshold=0.9, min_steps=1),
        ]
    fox, clock, letter = sents
    one_gap = lambda body, at: [i == at for i in range(len(body) + 1)]  # noqa: E731
    middle, end, start = fox[:4] + fox[9:], clock[:-5], letter[3:]
    base = dict(prompt=[], stop_threshold=0.9, min_steps=1, length_threshold=0.5, max_steps=24)
    return [
        dict(base, name="length-unconditional", body=[], allowed=[True]),
        dict(base, name="length-one-gap-middle", body=middle, allowed=one_gap(middle, 4)),
        dict(base, name="length-one-gap-end", body=end, allowed=one_gap(end, len(end))),
        dict(base, name="length-one-gap-start", body=start, allowed=one_gap(start, 0)),
        dict(base, name="length-one-gap-budget", body=middle, allowed=one_gap(middle, 4), max_steps=2),
    ]


def cmd_golden(args):
    out = args.out or os.path.join("src", "core", "testdata", "tiny-ilm-length" if args.length_head else "tiny-ilm")
    tk = Tokenizer.from_file(GOLDEN_TOKENIZER)
    sents = [tk.encode(s) for s in GOLDEN_SENTENCES]
    drops = GOLDEN_LENGTH_DROPS if args.length_head else None
    model = train_tiny(sents, tk.vocab_size, length_head=args.length_head, drops=drops)
    data = dict(task="golden", sentences=GOLDEN_SENTENCES, note="tiny seeded ILM memorising these sentences")
    training = dict(objective="ilm", steps=400, **(dict(length_head=True, drops=drops) if args.length_head else {}))
    meta = export_dir(model, out, GOLDEN_TOKENIZER, data=data, training=training)

    a = sents[0]
    forward = [
        forward_case(model, [[CLS, BOS, *a[:3]]], full=True),
        forward_case(model, [[CLS, BOS, *a], [CLS, 7, 8, BOS, *sents[1][:4]], [CLS, BOS]]),  # padded batch
        # only some rows, in any order, repeated, padded with row 0: what the engine asks for
        forward_case(model, [[CLS, BOS, *a], [CLS, BOS, *sents[1]]], rows=[[4, 1, 2, 4], [len(sents[1]) + 1, 3, 0, 0]]),
        forward_case(model, [[CLS, BOS, *sents[2]]], positions=[list(range(100, 102 + len(sents[2])))]),
    ]
    traces = []
    for t in golden_traces(tk, sents, args.length_head):
        allowed = t["allowed"] or [True] * (len(t["body"]) + 1)
        r = generate(model, [(t["prompt"], t["body"], allowed)], max_steps=t["max_steps"],
                     stop_threshold=t["stop_threshold"], min_steps=t["min_steps"],
                     length_threshold=t.get("length_threshold"))[0]  # the planned-length rule, as the engine
        low, remaining = margins(model, t["prompt"], t["body"], allowed, r["steps"])
        if args.length_head:  # what the planned rule compares: min(sum of lambda now, at the first pass - tokens inserted)
            remaining = [min(x, remaining[0] - i) for i, x in enumerate(remaining)]
        assert low > 1e-3, f"trace {t['name']} has a near-tie ({low}); change the case"
        steps = [dict(step=s, row=row, token=tok, stop_prob=round(p, 6)) for s, row, tok, p in r["steps"]]
        lengths = {}
        if args.length_head:  # the stop decision must not hang on float noise either
            closest = min(abs(x - t["length_threshold"]) for x in remaining)
            assert closest > 1e-3, f"trace {t['name']} comes within {closest} of its length threshold; change the case"
            for step, x in zip(steps, remaining):
                step["remaining"] = round(x, 6)
            lengths = dict(final_remaining=round(remaining[-1], 6))
        traces.append(dict(t, allowed=allowed, gap="marginal", sample="greedy", steps=steps,
                           final_body=r["body"], final_ids=r["ids"], final_text=tk.decode(r["body"]),
                           stop_reason=r["stop_reason"], final_stop_prob=round(r["stop_prob"], 6), min_margin=round(low, 6),
                           **lengths))
    command = "/usr/bin/python3 training/export.py golden " + ("--length-head " if args.length_head else "")
    golden = dict(format_version=format_version(model.cfg), generated_by=command + "--out " + out,
                  onnx_sha256=meta["onnx_sha256"], tolerance=1e-4, forward=forward, traces=traces,
                  notes="rows: per real (b, row) summaries of token_logits; stop_prob = softmax(stop_logits)[0] at "
                        "that step's forward pass; row = index in [CLS] prompt [BOS] body of the token the new one "
                        "goes right after; special ids are never inserted; ties go to the lowest index."
                        + (" lengths: the length head's output [B, R]; remaining = sum of lambda over the allowed rows "
                           "at that step's forward pass, by the planned-length rule (min of it and its value at the "
                           "first pass minus the tokens inserted since; final_remaining: after the last insertion); "
                           "a trace ends when it is below length_threshold." if args.length_head else ""))
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    for t in traces:
        print(f"{t['name']}: {len(t['steps'])} steps, {t['stop_reason']}, margin {t['min_margin']}: {t['final_text']!r}")
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"wrote {out} ({total / 1e6:.2f} MB)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("model", help="export a checkpoint")
    m.add_argument("--ckpt", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--tokenizer", help="tokenizer.json to ship (default: the one the checkpoint names)")
    # The model's own decoding defaults (model.json "decoding"), chosen by evaluate_story.py's sweep; the app and the
    # CLI use them unless the writer changes them.
    m.add_argument("--top-p", type=float)
    m.add_argument("--temperature", type=float)
    m.add_argument("--length-threshold", type=float, help="end a gap when its expected missing length is below this")
    g = sub.add_parser("golden", help="write the TypeScript engine's fixtures")
    g.add_argument("--out", help="default: src/core/testdata/tiny-ilm, or tiny-ilm-length with --length-head")
    g.add_argument("--length-head", action="store_true", help="a tiny model with a length head (format 3)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # tiny models: threads only add overhead
    {"model": cmd_model, "golden": cmd_golden}[args.cmd](args)


if __name__ == "__main__":
    main()
