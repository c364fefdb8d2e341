"""Evaluate story checkpoints (train.py ckpt.pt): held-out loss, one-sentence infilling (ΔNLL_gt), samples.

    E=training/evaluate_story.py; R=training/runs
    /usr/bin/python3 $E heldout --ilm $R/story-ilm-6x256/ckpt.pt --ar $R/story-ar-6x256/ckpt.pt \
        --out training/results/story_eval.md
    /usr/bin/python3 $E infill  --ilm ... --ar ... --evaluator $R/story-ar-eval/ckpt.pt --out training/results/story_eval.md
    /usr/bin/python3 $E samples --ilm ... [--ar ...] [--evaluator ...] --out training/results/story_eval.md
    /usr/bin/python3 $E all     --ilm ... --ar ... --evaluator ... --out training/results/story_eval.md

Each subcommand stores its section (with the exact command line, the checkpoints and the timings) in the JSON
next to --out (story_eval.md -> story_eval.json), keeping the other sections there when it writes (so subcommands
may run side by side, one per core), and rewrites the whole Markdown from that JSON.

heldout  ILM loss (token + stop, per example; the training curve's number) of --ilm and next-token NLL of --ar on
         the same held-out windows: train.StoryTask.val_examples() with the ILM's max_len and mix and
         --eval-windows (default: what the ILM run used), scored by train.evaluate (seeded drops).
infill   --n-passages held-out passages (see find_passages / choose_passages), one interior sentence removed.
         ILM: predictor.generate with only the removed sentence's gap allowed (gaps between inserted tokens
         join in), gap by marginal, top-p and/or greedy, stop when P(complete) >= --stop-threshold (not
         before the first insertion), at most 2 x removed length + 10 insertions.
         AR: continue after the prefix alone (KV cache), at most as many tokens as the ILM inserted into the
         same passage (same decoding mode), ending earlier at a sentence end (the token that would start a
         new sentence or contains a line break is dropped); the suffix follows unchanged.
         Each completed passage is scored by per-token NLL under --evaluator (an AR checkpoint):
         ΔNLL_gt = (NLL(completed) - NLL(original)) / NLL(original), in %.
stop     P(complete) of the ILM's stop head on the infill passages whole and with their sentence removed, and
         the AUC between the two (does the head know when a text is complete?).
samples  10 unconditional ILM samples (empty body, top-p 0.9, seeds 0..9, <= 200 insertions), with --ar as many AR
         samples of --sample-tokens tokens, their repetition (repeated 4-grams, distinct tokens) against held-out
         passages, and the first 10 infills of the infill set (same seeds as `infill`, so the same fills).

Use nice and --threads 1 on a shared CPU machine.
"""
import argparse
import contextlib
import hashlib
import json
import os
import re
import shlex
import sys
import time
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import length_eval  # noqa: E402
from checkpoints import initial_weights, load_model  # noqa: E402
from model import ModelConfig, Transformer  # noqa: E402
from objective import BOS, CLS, SPECIAL_IDS, ARCollator, frame, pad, to_device  # noqa: E402
from predictor import ar_generate, generate, pick  # noqa: E402
from prepare import load_split  # noqa: E402
from tasks import StoryTask  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402
from train import evaluate  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FORMAT_VERSION = 1

# ---------------------------------------------------------------------------------------------------------
# Sentences, on token ids (never cutting inside a token).
#
# A cut goes between tokens t and t+1 when
#   (a) token t+1 begins with whitespace, is not a lowercase word (' “Why?” she asked.' stays whole), and the
#       text up to token t ends with . ! ? or … followed by any closing quotes/brackets ("'’”)]_*), unless
#       that is "Mr." etc. or a one-letter initial ("T.", not "I."); or
#   (b) token t+1 begins with a line break.
# Segments that are whitespace only (line breaks) join the segment after them, so a sentence carries its
# leading space or line breaks, as BPE tokens do (" He", "\n", "Tim").

TERMINAL = re.compile(r"[.!?…][\"'’”)\]_*]*$")
ABBREVIATION = re.compile(r"(?:^|[\s\"'‘“(\[_])(?:Mr|Mrs|Ms|Mme|Mlle|Dr|St|Mt|Jr|Sr|Prof|Capt|Col|Gen|Lt|Sgt|Rev|Hon|"
                          r"Gov|Messrs|vs|viz|[A-HJ-Z])\.$")
WHITESPACE = b" \t\n\r\x0b\x0c"


class TokenText:
    """Per-vocabulary byte facts the splitter needs, from a tokenizer.Tokenizer."""

    def __init__(self, tokenizer):
        self.tk = tokenizer
        V = tokenizer.vocab_size
        self.bytes = [tokenizer.id_bytes.get(i, b"") for i in range(V)]
        self.starts_ws = np.array([len(b) > 0 and b[0] in WHITESPACE for b in self.bytes])
        self.starts_nl = np.array([len(b) > 0 and b[:1] in (b"\n", b"\r") for b in self.bytes])
        self.has_nl = np.array([b"\n" in b or b"\r" in b for b in self.bytes])
        self.all_ws = np.array([len(b) > 0 and all(c in WHITESPACE for c in b) for b in self.bytes])
        # last character a terminal or a closer, or a piece of a multi-byte character: worth a closer look
        self.may_end = np.array([len(b) > 0 and (b[-1] >= 0x80 or b[-1:] in (b".", b"!", b"?", b'"', b"'", b")", b"]",
                                                                           b"_", b"*")) for b in self.bytes])
        self.starts_lower = np.array([b.decode("utf-8", "ignore").lstrip()[:1].islower() for b in self.bytes])
        self.has_lower = np.array([any(ch.islower() for ch in b.decode("utf-8", "ignore")) for b in self.bytes])
        self.SPECIAL = set(SPECIAL_IDS)

    def decode(self, ids):
        return self.tk.decode([int(i) for i in ids])

    def ends_sentence(self, ids):
        """Does the text of `ids` (the tokens so far) end a sentence, if the next token begins with whitespace?"""
        if not len(ids) or not self.may_end[int(ids[-1])]:
            return False
        tail = b"".join(self.bytes[int(i)] for i in ids[-8:])[-32:].decode("utf-8", "ignore").rstrip(" \t")
        return bool(TERMINAL.search(tail)) and not ABBREVIATION.search(tail)


def split_sentences(ids, tt):
    """[(start, end)] token ranges covering ids, one per sentence (see the rule above)."""
    ids = [int(i) for i in ids]
    cuts = [0]
    for t in range(len(ids) - 1):
        nxt = ids[t + 1]
        if tt.starts_nl[nxt] or (tt.starts_ws[nxt] and not tt.starts_lower[nxt] and tt.ends_sentence(ids[max(0, t - 7):t + 1])):
            cuts.append(t + 1)
    cuts.append(len(ids))
    segs = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
    out, pending = [], None  # whitespace-only segments join the next one
    for a, b in segs:
        if all(tt.all_ws[i] for i in ids[a:b]):
            pending = a if pending is None else pending
            continue
        out.append((pending if pending is not None else a, b))
        pending = None
    if pending is not None:
        if out:
            out[-1] = (out[-1][0], len(ids))
        else:
            out.append((pending, len(ids)))
    return out


def removable(ids, tt, min_tokens, max_tokens):
    """A sentence that may be removed: min..max tokens, no line break, ends with terminal punctuation, has a
    lowercase letter (not a heading)."""
    ids = [int(i) for i in ids]
    return (min_tokens <= len(ids) <= max_tokens and not any(tt.has_nl[i] for i in ids)
            and tt.ends_sentence(ids) and any(tt.has_lower[i] for i in ids))


# ---------------------------------------------------------------------------------------------------------
# Passages


def find_passages(doc, tt, lo=100, hi=200, min_sentences=3, min_removed=4, max_removed=60):
    """Candidate passages of one document (token ids): runs of whole consecutive sentences, lo..hi tokens
    (leading line breaks dropped), at least min_sentences sentences and one removable interior sentence.
    Greedy and non-overlapping: from a sentence, add sentences until >= lo tokens; keep the run if it is
    <= hi, then continue after it, else start again one sentence later. Returns dicts with start, end
    (token offsets in doc), sentences [(a, b)] (offsets in doc) and removable (indices into sentences)."""
    sents = split_sentences(doc, tt)
    out, i = [], 0
    while i < len(sents):
        j, total = i, 0
        while j < len(sents) and total < lo:
            total += sents[j][1] - sents[j][0]
            j += 1
        if total < lo:
            break
        start = sents[i][0]
        while start < sents[i][1] and tt.all_ws[int(doc[start])]:
            start += 1
        run = [(max(a, start), b) for a, b in sents[i:j]]
        n = run[-1][1] - start
        cand = [k for k in range(1, len(run) - 1) if removable(doc[run[k][0]:run[k][1]], tt, min_removed, max_removed)]
        if lo <= n <= hi and len(run) >= min_sentences and cand:
            out.append(dict(start=start, end=run[-1][1], sentences=run, removable=cand))
            i = j
        else:
            i += 1
    return out


def quotas(n, weights, available):
    """Split n over sources by weight (largest remainder), never above what a source has; what a source
    cannot take goes to the others by weight."""
    q = {s: 0 for s in weights}
    left, open_ = n, [s for s in weights if available[s] > 0]
    while left > 0 and open_:
        w = np.array([weights[s] for s in open_], dtype=float)
        share = left * w / w.sum()
        add = np.floor(share).astype(int)
        for k in np.argsort(-(share - add), kind="stable")[:left - add.sum()]:
            add[k] += 1
        for s, a in zip(open_, add):
            q[s] += int(a)
        left = 0
        for s in open_:
            if q[s] > available[s]:
                left += q[s] - available[s]
                q[s] = available[s]
        open_ = [s for s in open_ if q[s] < available[s]]
    return q


def choose_passages(data_dir, weights, tt, n=200, seed=0, lo=100, hi=200, min_removed=4, max_removed=60):
    """n held-out passages, deterministic: per source (held-out documents of prepare.py, in order) the
    candidates of find_passages; each source gets n x its mix weight (capped by what it has), spread evenly
    over its candidates (np.linspace); sources interleaved by that spread. In each passage one removable
    interior sentence is removed, drawn by np.random.default_rng([seed, source index, doc, start])."""
    cands = {}
    for s in weights:
        tokens, offsets = load_split(data_dir, s, "val")
        cands[s] = []
        for d in range(len(offsets) - 1):
            doc = np.asarray(tokens[offsets[d]:offsets[d + 1]], dtype=np.int64)
            for p in find_passages(doc, tt, lo, hi, 3, min_removed, max_removed):
                cands[s].append((d, doc, p))
    q = quotas(n, weights, {s: len(c) for s, c in cands.items()})
    picked = []
    for si, s in enumerate(weights):
        if not q[s]:
            continue
        idx = np.linspace(0, len(cands[s]) - 1, q[s]).round().astype(int)
        for k, c in enumerate(idx):
            d, doc, p = cands[s][c]
            rng = np.random.default_rng([seed, si, d, p["start"]])
            r = int(rng.choice(p["removable"]))
            a, b = p["sentences"][r]
            frac = (k + 0.5) / q[s]
            picked.append((frac, si, dict(source=s, doc=d, start=p["start"], end=p["end"], removed=[a, b],
                                          sentences=[(x - p["start"], y - p["start"]) for x, y in p["sentences"]],
                                          n_sentences=len(p["sentences"]), sentence_index=r,
                                          prefix=doc[p["start"]:a].tolist(), original=doc[a:b].tolist(),
                                          suffix=doc[b:p["end"]].tolist())))
    picked.sort(key=lambda x: (x[0], x[1]))
    out = [p for _, _, p in picked]
    for i, p in enumerate(out):
        p["index"] = i
    return out, {s: len(c) for s, c in cands.items()}


def gap_mask(prefix, suffix):
    """Allowed-gap flags over the body prefix + suffix (len + 1 gaps): only the removed sentence's gap."""
    allowed = [False] * (len(prefix) + len(suffix) + 1)
    allowed[len(prefix)] = True
    return allowed


# ---------------------------------------------------------------------------------------------------------
# Models


def resolve(path):
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def show_path(path):
    """Relative to the repository root when inside it (as train.py records paths), else absolute."""
    p = os.path.abspath(path)
    return os.path.relpath(p, ROOT) if p.startswith(ROOT + os.sep) else p


def load(path, device="cpu"):
    """(model, checkpoint info dict, checkpoint) for a train.py checkpoint or an exported model folder (read only)."""
    if os.path.isdir(path):
        return load_exported(path, device)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    model, ckpt = load_model(path, device)
    s = ckpt["state"]
    last = s["evals"][-1] if s.get("evals") else None
    info = dict(path=show_path(path), sha256=digest, objective=ckpt["args"]["objective"],
                parameters=model.n_params(), config=ckpt["config"], steps=s["step"], tokens_seen=s["tokens"],
                body_tokens_seen=s.get("body_tokens"), train_minutes=round(s["train_time"] / 60, 2),
                mix=ckpt["task"].get("mix"), data=ckpt["task"].get("data"), tokenizer=ckpt.get("tokenizer"),
                tokenizer_sha256=ckpt["task"].get("tokenizer_sha256"),
                last_training_eval=dict(step=last["step"], tokens=last["tokens"], val=last["val"]) if last else None)
    return model, info, ckpt


def load_exported(folder, device="cpu"):
    """An exported model folder (model.json + model.onnx, e.g. the shipped models/inlay-story) as load() returns it."""
    config, weights, origin = initial_weights(folder)
    with open(os.path.join(folder, "model.json")) as f:
        meta = json.load(f)
    model = Transformer(ModelConfig(**config))
    model.load_state_dict(weights, strict=False)  # a tied head is stored once, as the embedding
    training, data = meta.get("training") or {}, meta.get("data") or {}
    info = dict(path=show_path(folder), sha256=meta["onnx_sha256"], objective=meta["kind"], parameters=model.n_params(),
                config=config, steps=origin["steps"], tokens_seen=origin["tokens"],
                body_tokens_seen=training.get("body_tokens_seen"), train_minutes=training.get("train_minutes"),
                mix=data.get("mix"), data=data.get("data"), tokenizer=show_path(os.path.join(folder, "tokenizer.json")),
                tokenizer_sha256=data.get("tokenizer_sha256"), last_training_eval=None)
    return model.to(device).eval(), info, dict(config=config, args=dict(objective=meta["kind"]))


def check_same_tokenizer(infos):
    shas = {i["tokenizer_sha256"] for i in infos if i and i.get("tokenizer_sha256")}
    vocab = {i["config"]["vocab_size"] for i in infos if i}
    if len(shas) > 1 or len(vocab) > 1:
        raise SystemExit("checkpoints use different tokenizers: " + ", ".join(f"{i['path']}" for i in infos if i))


@torch.no_grad()
def ar_nll(model, bodies, max_tokens=4096):
    """Per body: (summed next-token NLL of the body tokens given [CLS] [BOS], number of tokens), exactly as
    train.py's AR loss counts them. Batched by length; padding does not change the numbers."""
    device = next(model.parameters()).device
    order = sorted(range(len(bodies)), key=lambda i: len(bodies[i]))
    chunks, cur = [], []
    for i in order:  # ascending lengths: the newest is the longest
        if cur and (len(cur) + 1) * (len(bodies[i]) + 2) > max_tokens:
            chunks.append(cur)
            cur = []
        cur.append(i)
    chunks += [cur] if cur else []
    out = [None] * len(bodies)
    coll = ARCollator(device=device)
    for chunk in chunks:
        mb = coll.batch([frame([], [int(t) for t in bodies[i]]) for i in chunk])
        logits = model(mb["input_ids"], mb["positions"], mb["attention_mask"])[0]
        t = mb["targets"]
        nll = F.cross_entropy(logits.float().transpose(1, 2), t, ignore_index=-100, reduction="none").sum(1)
        for b, i in enumerate(chunk):
            out[i] = (float(nll[b]), int((t[b] != -100).sum()))
    return out


def ar_continue(model, prefix, budget, tt, sample="top_p", top_p=0.9, generator=None, stop_at_sentence=True):
    """AR continuation of [CLS] [BOS] prefix (predictor.ar_generate), at most `budget` tokens, special tokens never
    drawn. With stop_at_sentence: a drawn token that would start a new sentence (it begins with whitespace after a
    sentence end in the continuation) or contains a line break ends the continuation and is dropped; at the
    first step tokens with a line break are not drawn. Returns (tokens, stop reason)."""
    ids = frame([], [int(t) for t in prefix])[0]
    special = list(SPECIAL_IDS)
    nl = torch.from_numpy(np.nonzero(tt.has_nl)[0])
    reason = ["budget"]
    out = []

    def choose(scores, t):
        scores = scores[0]
        scores[special] = float("-inf")
        if stop_at_sentence and t == 0:
            scores[nl] = float("-inf")
        tok = pick(scores, sample, top_p, generator)
        if stop_at_sentence and t > 0:
            if tt.has_nl[tok]:
                reason[0] = "line_break"
                return [None]
            if tt.starts_ws[tok] and not tt.starts_lower[tok] and tt.ends_sentence(ids[-8:] + out):
                reason[0] = "sentence_end"
                return [None]
        out.append(tok)
        return [tok]

    ar_generate(model, [ids], budget, choose)
    if reason[0] == "budget" and len(out) < budget:
        reason[0] = "max_len"
    return out, reason[0]


def seed_for(seed, index, role):
    """Generator seed of one decode: role 0 = ILM top-p infill, 1 = AR top-p infill, 3 = AR unconditional."""
    return (seed * 1_000_003 + index * 16 + role) % (2 ** 63)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def ilm_fill(model, p, sample, top_p, stop_threshold, seed, room, parallel=1):
    """Fill one passage's gap with the ILM (parallel: insertions per forward pass). Returns (fill ids, stop reason,
    insertions, max_steps)."""
    L = len(p["original"])
    max_steps = max(1, min(2 * L + 10, room - len(p["prefix"]) - len(p["suffix"])))
    r = generate(model, [([], p["prefix"] + p["suffix"], gap_mask(p["prefix"], p["suffix"]))], max_steps=max_steps,
                 stop_threshold=stop_threshold, min_steps=1, gap="marginal", sample=sample, top_p=top_p,
                 generator=gen(seed_for(seed, p["index"], 0)) if sample == "top_p" else None, parallel=parallel)[0]
    body, a, s = r["body"], len(p["prefix"]), len(p["suffix"])
    assert body[:a] == p["prefix"] and body[len(body) - s:] == p["suffix"], "insertion outside the allowed gap"
    return body[a:len(body) - s], r["stop_reason"], len(r["steps"]), max_steps


# ---------------------------------------------------------------------------------------------------------
# Subcommands


def default_data(info, args):
    return resolve(args.data or info["data"])


def cmd_heldout(args, models):
    ilm, ar = models.get("ilm"), models.get("ar")
    base = ilm or ar
    if base is None:
        raise SystemExit("heldout needs --ilm and/or --ar")
    ckpt = base[2]
    max_len = ckpt["config"]["max_len"]
    windows = ckpt["args"].get("eval_windows", 128) if args.eval_windows is None else args.eval_windows
    mix = ckpt["args"].get("mix") or ",".join(f"{s}:{w}" for s, w in base[1]["mix"].items())
    data = default_data(base[1], args)
    task = StoryTask(SimpleNamespace(data=data, max_len=max_len, mix=mix, eval_windows=windows))
    sets = task.val_examples()
    out = dict(windows={k: len(v) for k, v in sets.items()}, window_tokens=max_len - 2, eval_windows=windows,
               data=show_path(data), mix=mix)
    for role, objective in (("ilm", "ilm"), ("ar", "ar")):
        if role not in models:
            continue
        model, info, ck = models[role]
        assert ck["args"]["objective"] == objective, f"--{role} is a {ck['args']['objective']} checkpoint"
        if objective == "ar" and ck["config"]["max_len"] < max_len:
            raise SystemExit(f"--ar max_len {ck['config']['max_len']} < the windows' {max_len}")
        t0, c0 = time.time(), time.process_time()
        ns = SimpleNamespace(objective=objective, micro_tokens=args.micro_tokens, stop_weight=ck["args"].get("stop_weight", 1.0))
        val = evaluate(model, sets, ns, next(model.parameters()).device, contextlib.nullcontext(), 0, 1)
        model.eval()
        out[role] = dict(val=val, wall_s=round(time.time() - t0, 1), cpu_s=round(time.process_time() - c0, 1))
        last = info["last_training_eval"]
        same = (last and last["step"] == info["steps"] and ck["args"].get("eval_windows") == windows
                and ck["config"]["max_len"] == max_len)
        out[role]["training_curve_check"] = (
            dict(step=last["step"], mean=last["val"].get("mean", {}).get("loss"),
                 max_abs_diff=max(abs(last["val"][k]["loss"] - val[k]["loss"]) for k in val if k in last["val"]))
            if same else None)
    return out


def summarize(rows, key):
    v = np.array([r[key] for r in rows], dtype=float)
    return dict(mean=float(v.mean()), median=float(np.median(v)), std=float(v.std()), n=len(v)) if len(v) else None


def cmd_infill(args, models, passages, n_only=None, keep_ids=False):
    """ILM and AR fills of the passages, scored by the evaluator. n_only: the first n passages only."""
    tt = models["_tt"]
    ilm, ar, ev = models.get("ilm"), models.get("ar"), models.get("evaluator")
    if ilm is None:
        raise SystemExit("infill needs --ilm")
    ps = passages[:n_only] if n_only else passages
    rooms = [m[2]["config"]["max_len"] - 2 for m in (ilm, ar, ev) if m]
    room = min(rooms)
    too_long = [p["index"] for p in ps if len(p["prefix"]) + len(p["original"]) + len(p["suffix"]) > room]
    if too_long:
        raise SystemExit(f"passages longer than the models' window ({room} tokens): lower --passage-tokens")
    timing = dict(ilm_s=0.0, ilm_steps=0, ar_s=0.0, ar_tokens=0, evaluator_s=0.0, evaluator_tokens=0)
    rows = [dict(index=p["index"], source=p["source"], doc=p["doc"], start=p["start"], end=p["end"],
                 removed=p["removed"], sentence_index=p["sentence_index"], n_sentences=p["n_sentences"],
                 original_len=len(p["original"]), passage_len=p["end"] - p["start"], original=tt.decode(p["original"]))
            for p in ps]
    methods = {}
    for mode in args.decode:
        # Parallel insertion (k tokens per forward pass, in k distinct gaps) is scored like the one-at-a-time fill,
        # which is how its quality cost is measured.
        for k in args.parallel:
            key = f"ilm_{mode}" if k == 1 else f"ilm_{mode}_k{k}"
            t0 = time.process_time()
            for p, r in zip(ps, rows):
                fill, reason, steps, cap = ilm_fill(ilm[0], p, mode, args.top_p, args.stop_threshold, args.seed, room, k)
                r[key] = dict(fill=fill, stop_reason=reason, max_steps=cap)
                timing["ilm_steps"] += steps + 1
            timing["ilm_s"] += time.process_time() - t0
            methods[key] = dict(model="ilm", decode=mode if k == 1 else f"{mode}, {k} insertions per pass")
        if ar:
            t0 = time.process_time()
            for p, r in zip(ps, rows):
                budget = len(r[f"ilm_{mode}"]["fill"]) if args.ar_budget == "ilm" else len(p["original"])
                g = gen(seed_for(args.seed, p["index"], 1)) if mode == "top_p" else None
                fill, reason = ar_continue(ar[0], p["prefix"], budget, tt, mode, args.top_p, g)
                r[f"ar_{mode}"] = dict(fill=fill, stop_reason=reason, budget=budget)
                timing["ar_tokens"] += len(p["prefix"]) + len(fill)
            timing["ar_s"] += time.process_time() - t0
            methods[f"ar_{mode}"] = dict(model="ar", decode=mode)
    for p, r in zip(ps, rows):
        r["none"] = dict(fill=[], stop_reason="-")
    methods["none"] = dict(model="-", decode="sentence deleted, nothing inserted")
    summary = {}
    if ev:
        t0 = time.process_time()
        keys = ["original"] + list(methods)
        bodies = []
        for p, r in zip(ps, rows):
            bodies.append(p["prefix"] + p["original"] + p["suffix"])
            bodies += [p["prefix"] + r[m]["fill"] + p["suffix"] for m in methods]
        scores = ar_nll(ev[0], bodies)
        timing["evaluator_tokens"] = sum(len(b) for b in bodies)
        timing["evaluator_s"] = time.process_time() - t0
        for k, r in enumerate(rows):
            s = scores[k * len(keys):(k + 1) * len(keys)]
            r["nll_original"] = s[0][0] / s[0][1]
            for m, (tot, n) in zip(methods, s[1:]):
                r[m]["nll"] = tot / n
                r[m]["delta_pct"] = 100.0 * (tot / n - r["nll_original"]) / r["nll_original"]
    for m in methods:
        sel = [dict(d=r[m].get("delta_pct"), nll=r[m].get("nll"), len=len(r[m]["fill"]),
                    stop=r[m]["stop_reason"] == "stop", orig=r["original_len"], src=r["source"]) for r in rows]
        entry = dict(methods[m], filled_len=summarize(sel, "len"),
                     fill_over_original=float(np.mean([x["len"] for x in sel]) / np.mean([x["orig"] for x in sel])))
        reasons = {}
        for r in rows:
            reasons[r[m]["stop_reason"]] = reasons.get(r[m]["stop_reason"], 0) + 1
        entry["stop_reasons"] = reasons
        if m.startswith("ilm"):
            entry["stopped_by_stop_head"] = float(np.mean([x["stop"] for x in sel]))
        if ev:
            entry["delta_nll_pct"] = summarize(sel, "d")
            entry["nll"] = summarize(sel, "nll")
            entry["delta_nll_pct_by_source"] = {s: summarize([x for x in sel if x["src"] == s], "d")
                                                for s in dict.fromkeys(r["source"] for r in rows)}
        summary[m] = entry
    for r in rows:  # text for the record; ids only on request (samples)
        for m in methods:
            r[m]["fill_len"] = len(r[m]["fill"])
            r[m]["text"] = tt.decode(r[m]["fill"])
            if not keep_ids:
                del r[m]["fill"]
    out = dict(n_passages=len(ps), original_len=summarize([dict(x=r["original_len"]) for r in rows], "x"),
               passage_len=summarize([dict(x=r["passage_len"]) for r in rows], "x"),
               by_source={s: sum(r["source"] == s for r in rows) for s in dict.fromkeys(r["source"] for r in rows)},
               nll_original=summarize(rows, "nll_original") if ev else None, methods=summary,
               timing={k: round(v, 2) if isinstance(v, float) else v for k, v in timing.items()}, passages=rows)
    return out


def repetition_stats(texts, n=4):
    """Mean over texts of the share of token n-grams already seen earlier in the same text (a loop repeats
    them), and of distinct tokens over all tokens."""
    repeated, distinct = [], []
    for ids in texts:
        grams = [tuple(ids[i:i + n]) for i in range(len(ids) - n + 1)]
        repeated.append(1 - len(set(grams)) / len(grams) if grams else 0.0)
        distinct.append(len(set(ids)) / len(ids) if ids else 0.0)
    return dict(n=n, texts=len(texts), repeated_ngram=float(np.mean(repeated)), distinct_tokens=float(np.mean(distinct)),
                mean_length=float(np.mean([len(t) for t in texts])))


@torch.no_grad()
def cmd_stop(args, models, passages):
    """Does the stop head know a complete text? P(complete) on each whole passage and on the same passage with its
    sentence removed; AUC = P(a whole passage scores higher than a cut one), 0.5 = no better than chance."""
    ilm = models.get("ilm")
    if ilm is None:
        raise SystemExit("stop needs --ilm")
    model = ilm[0]
    device = next(model.parameters()).device

    def p_complete(bodies):
        batch = to_device(pad([frame([], [int(t) for t in b])[0] for b in bodies]), device)
        stop = model(batch["input_ids"], batch["positions"], batch["attention_mask"])[1]
        return torch.softmax(stop.float(), -1)[:, 0].cpu().numpy()

    whole, cut = [], []
    for k in range(0, len(passages), 16):
        chunk = passages[k:k + 16]
        whole += p_complete([p["prefix"] + p["original"] + p["suffix"] for p in chunk]).tolist()
        cut += p_complete([p["prefix"] + p["suffix"] for p in chunk]).tolist()
    w, c = np.array(whole), np.array(cut)
    auc = float((w[:, None] > c[None, :]).mean() + 0.5 * (w[:, None] == c[None, :]).mean())
    thresholds = {str(t): dict(whole=float((w >= t).mean()), cut=float((c >= t).mean())) for t in (0.1, 0.5, 0.9)}
    return dict(n_passages=len(passages), whole=summarize([dict(x=x) for x in whole], "x"),
                cut=summarize([dict(x=x) for x in cut], "x"), auc=auc, share_at_or_above=thresholds)


def fills_delta_nll(evaluator, passages, fills):
    """ΔNLL_gt (%) of each passage completed with its fill against the original, under the evaluator, summarized."""
    n = len(passages)
    scores = ar_nll(evaluator, [p["prefix"] + p["original"] + p["suffix"] for p in passages]
                    + [p["prefix"] + f + p["suffix"] for p, f in zip(passages, fills)])
    d = [100.0 * (f[0] / f[1] - o[0] / o[1]) / (o[0] / o[1]) for o, f in zip(scores[:n], scores[n:])]
    return summarize([dict(x=x) for x in d], "x")


def cmd_length(args, models, passages):
    """Length head vs the stop head: (a) predicted vs removed length, (b) stop AUC, (c) unbounded fills and their
    invented words, (d) ΔNLL_gt of unbounded and of true-length fills when --evaluator is given; for --ilm and for
    --baseline (default: the shipped model), in one table."""
    tt, ev = models["_tt"], models.get("evaluator")
    roles = [r for r in ("ilm", "baseline") if r in models]
    if not roles:
        raise SystemExit("length needs --ilm and/or --baseline")
    known = length_eval.training_words(resolve(args.corpus), resolve(args.words_cache))
    fill_ps = passages[:args.fill_passages]
    human = [length_eval.fill_words(*(tt.decode(p[k]) for k in ("prefix", "original", "suffix"))) for p in fill_ps]
    out = dict(n_passages=len(passages), fill_passages=len(fill_ps), length_threshold=args.length_threshold,
               stop_threshold=args.stop_threshold, decode=dict(top_p=args.top_p, temperature=args.temperature),
               heldout_invented=length_eval.invented_share(human, known), models={})
    for role in roles:
        model, info, ck = models[role]
        room = ck["config"]["max_len"] - 2
        t0 = time.process_time()
        r = dict(path=info["path"], length_head=bool(ck["config"].get("length_head")),
                 predict=length_eval.measure_predictions(model, passages, tt),
                 stop=length_eval.measure_stop(model, passages))
        fills = {}
        settings = [("unbounded", None, False), ("true_length", "true", False)]
        if r["length_head"]:  # the decoder's planned-length rule (predictor.generate) needs a length head
            settings.insert(1, ("planned", None, True))
        for name, budget, plan in settings:
            rows, summary = length_eval.measure_fills(model, fill_ps, tt, known, room, "top_p", args.top_p,
                                                      args.temperature, args.seed, args.length_threshold,
                                                      args.stop_threshold, budget, plan)
            if ev:
                summary["delta_nll_pct"] = fills_delta_nll(ev[0], fill_ps, [row["fill"] for row in rows])
            summary["examples"] = [dict(index=p["index"], original=tt.decode(p["original"]), fill=tt.decode(row["fill"]),
                                        stop_reason=row["stop_reason"]) for p, row in zip(fill_ps[:5], rows[:5])]
            fills[name] = summary
        r["fills"] = fills
        r["cpu_s"] = round(time.process_time() - t0, 1)
        out["models"][role] = r
    return out


def cmd_decode(args, models, passages):
    """Decoding sweep for the model's defaults: unbounded one-sentence fills of --ilm for every top-p x temperature of
    --sweep-top-p / --sweep-temperature: length written vs removed, invented words, repetition (and ΔNLL_gt with
    --evaluator)."""
    tt, ev = models["_tt"], models.get("evaluator")
    if "ilm" not in models:
        raise SystemExit("decode needs --ilm")
    model, _, ck = models["ilm"]
    known = length_eval.training_words(resolve(args.corpus), resolve(args.words_cache))
    fill_ps = passages[:args.fill_passages]
    out = dict(fill_passages=len(fill_ps), length_threshold=args.length_threshold, stop_threshold=args.stop_threshold,
               settings=[])
    rules = args.sweep_length_rule if ck["config"].get("length_head") else ["running"]
    for rule in rules:
        for top_p in args.sweep_top_p:
            for temperature in args.sweep_temperature:
                rows, summary = length_eval.measure_fills(model, fill_ps, tt, known, ck["config"]["max_len"] - 2,
                                                          "top_p", top_p, temperature, args.seed,
                                                          args.length_threshold, args.stop_threshold,
                                                          length_plan=rule == "planned")
                summary["repetition"] = repetition_stats([r["fill"] for r in rows])
                if ev:
                    summary["delta_nll_pct"] = fills_delta_nll(ev[0], fill_ps, [row["fill"] for row in rows])
                out["settings"].append(dict(length_rule=rule, top_p=top_p, temperature=temperature, **summary))
    return out


def cmd_samples(args, models, passages):
    tt = models["_tt"]
    ilm, ar, ev = models.get("ilm"), models.get("ar"), models.get("evaluator")
    if ilm is None:
        raise SystemExit("samples needs --ilm")
    out = dict(unconditional=[], infills=[])
    t0 = time.process_time()
    for s in range(args.n_samples):
        r = generate(ilm[0], [([], [], None)], max_steps=args.sample_tokens, stop_threshold=args.stop_threshold,
                     min_steps=1, gap="marginal", sample="top_p", top_p=args.top_p, generator=gen(s))[0]
        out["unconditional"].append(dict(seed=s, length=len(r["body"]), stop_reason=r["stop_reason"],
                                         text=tt.decode(r["body"]), ids=r["body"]))
    out["unconditional_cpu_s"] = round(time.process_time() - t0, 1)
    groups = {"unconditional": out["unconditional"]}
    if ar:  # the same-size AR model's samples, for the paper's comparison (it has no end of text: full length)
        out["ar_unconditional"] = []
        for s in range(args.n_samples):
            ids, reason = ar_continue(ar[0], [], args.sample_tokens, tt, "top_p", args.top_p,
                                      gen(seed_for(args.seed, s, 3)), stop_at_sentence=False)
            out["ar_unconditional"].append(dict(seed=s, length=len(ids), stop_reason=reason, text=tt.decode(ids), ids=ids))
        groups["ar_unconditional"] = out["ar_unconditional"]
    # Repetition, against held-out text of the same lengths (the infill passages, whole) as the reference.
    reference = [p["prefix"] + p["original"] + p["suffix"] for p in passages]
    out["repetition"] = {name: repetition_stats([u["ids"] for u in group]) for name, group in groups.items()}
    out["repetition"]["heldout_passages"] = repetition_stats(reference)
    for name, group in groups.items():
        if ev:
            scores = ar_nll(ev[0], [u["ids"] for u in group])
            for u, (tot, n) in zip(group, scores):
                u["evaluator_nll"] = tot / n
            out[f"{name}_evaluator_nll_mean"] = float(np.mean([u["evaluator_nll"] for u in group]))
        for u in group:
            del u["ids"]
    sub = argparse.Namespace(**vars(args))
    sub.decode = ["top_p"]
    inf = cmd_infill(sub, models, passages, n_only=args.n_samples, keep_ids=True)
    for p, r in zip(passages, inf["passages"]):
        item = dict(index=p["index"], source=p["source"], prefix=tt.decode(p["prefix"]), original=r["original"],
                    suffix=tt.decode(p["suffix"]), ilm_fill=r["ilm_top_p"]["text"],
                    ilm_stop_reason=r["ilm_top_p"]["stop_reason"])
        if ar:
            item["ar_fill"] = r["ar_top_p"]["text"]
        if ev:
            item["delta_nll_pct"] = {m: r[m]["delta_pct"] for m in ("ilm_top_p", "ar_top_p") if m in r}
        out["infills"].append(item)
    return out


# ---------------------------------------------------------------------------------------------------------
# Report


def fmt(x, nd=2, pct=False):
    if x is None:
        return "–"
    return f"{x:+.{nd}f}%" if pct else f"{x:.{nd}f}"


def quote(text, limit=None):
    t = text if limit is None or len(text) <= limit else text[:limit] + "…"
    return t.replace("\n", "⏎").replace("|", "\\|")


def ckpt_table(ckpts):
    lines = ["| role | checkpoint | objective | parameters | layers × d | max_len | steps | tokens seen | train min | sha256 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for role, i in ckpts.items():
        c = i["config"]
        lines.append(f"| {role} | `{i['path']}` | {i['objective']} | {i['parameters']:,} | {c['n_layer']} × {c['d_model']} "
                     f"| {c['max_len']} | {i['steps']:,} | {i['tokens_seen']:,} | {i['train_minutes']} | {i['sha256'][:12]} |")
    return lines


def section_header(sec):
    return [f"Command: `{sec['command']}`", "", f"Run {sec['started']}, {sec['wall_s']} s wall, {sec['cpu_s']} s CPU "
            f"({sec['threads']} thread(s)).", ""] + ckpt_table(sec["checkpoints"]) + [""]


def md_heldout(sec):
    r = sec["result"]
    lines = ["## Held-out loss", ""] + section_header(sec)
    lines += [f"Windows: held-out documents of `{r['data']}` (prepare.py's rule: whole documents by content hash) "
              f"cut into {r['window_tokens']}-token windows, {'all of them' if not r['eval_windows'] else str(r['eval_windows']) + ' per source spread evenly'} "
              f"({', '.join(f'{k} {v}' for k, v in r['windows'].items())}); the same windows for both models, scored "
              "by `train.evaluate` (the ILM's drops seeded per window, so this is the training curve's number).", "",
              "| source | ILM loss (token + stop) | ILM token | ILM stop | AR next-token NLL |", "|---|---|---|---|---|"]
    ilm, ar = r.get("ilm", {}).get("val", {}), r.get("ar", {}).get("val", {})
    for k in dict.fromkeys(list(ilm) + list(ar)):
        a, b = ilm.get(k, {}), ar.get(k, {})
        lines.append(f"| {k} | {fmt(a.get('loss'), 4)} | {fmt(a.get('token'), 4)} | {fmt(a.get('stop'), 4)} | {fmt(b.get('loss'), 4)} |")
    lines += ["", "The two losses measure different things (ILM: per example, a bag of missing tokens per gap plus the "
              "stop head; AR: per token) and are not comparable with each other; each is comparable across "
              "checkpoints of its own kind."]
    for role in ("ilm", "ar"):
        chk = r.get(role, {}).get("training_curve_check")
        if chk:
            lines.append(f"- {role.upper()}: the checkpoint's own last evaluation (step {chk['step']}) differs by at most "
                         f"{chk['max_abs_diff']:.2e} from this run.")
    return lines + [""]


def md_infill(sec):
    r, a = sec["result"], sec["args"]
    lines = ["## One-sentence infilling (ΔNLL_gt)", ""] + section_header(sec)
    lines += [
        f"- Passages: {r['n_passages']} held-out passages ({', '.join(f'{k} {v}' for k, v in r['by_source'].items())}; "
        f"candidates available {', '.join(f'{k} {v}' for k, v in sec['candidates'].items())}), "
        f"{a['passage_tokens'][0]}–{a['passage_tokens'][1]} tokens (mean {r['passage_len']['mean']:.1f}), whole sentences "
        f"only, ≥ 3 sentences; removed: one interior sentence of {a['removed_tokens'][0]}–{a['removed_tokens'][1]} tokens "
        f"without a line break (mean {r['original_len']['mean']:.1f} tokens), seed {a['seed']}.",
        "- Sentences are split on token boundaries: after . ! ? … (plus closing quotes/brackets) when the next token "
        "begins with whitespace and is not a lowercase word, except after Mr./Mrs./Dr./St./… and one-letter "
        "initials; and before every line "
        "break. Passages are greedy non-overlapping runs of sentences per held-out document; each source gets "
        "passages by its mix weight, spread evenly over its candidates.",
        f"- ILM: `predictor.generate`, only the removed sentence's gap allowed (and gaps between tokens inserted "
        f"there), gap by marginal, token by {' and by '.join(a['decode'])} (top-p {a['top_p']}), stop when "
        f"P(complete) ≥ {a['stop_threshold']} (not before the first insertion), at most 2 × removed length + 10 "
        "insertions (less if the window is full).",
        f"- AR baseline: the same-size AR checkpoint continues after the prefix alone (KV cache), same decoding "
        f"mode, at most {'as many tokens as the ILM inserted in that passage' if a['ar_budget'] == 'ilm' else 'the removed sentence length'}; "
        "it ends earlier at a sentence end (the token that would start the next sentence, or any token with a "
        "line break, is dropped; no line break at the first token). The suffix then follows unchanged.",
        "- \"none\": the sentence deleted and nothing inserted (a reference point, not a method).",
        "- Score: per-token NLL of `[BOS] passage` under the evaluator; ΔNLL_gt = (NLL(completed) − NLL(original)) "
        "/ NLL(original). Paper (TinyStories, one sentence): ILM +12.3%, masked diffusion +14.4%.", ""]
    if r.get("nll_original"):
        lines += [f"Original passages: evaluator NLL {r['nll_original']['mean']:.4f} per token (mean).", ""]
    lines += ["| method | decoding | ΔNLL_gt mean | ΔNLL_gt median | NLL mean | filled length mean (original "
              f"{r['original_len']['mean']:.1f}) | fill / original | stopped by stop head | stop reasons |",
              "|---|---|---|---|---|---|---|---|---|"]
    for m, e in r["methods"].items():
        d = e.get("delta_nll_pct") or {}
        sh = e.get("stopped_by_stop_head")
        lines.append(f"| {e['model']} | {e['decode']} | {fmt(d.get('mean'), 1, True)} | {fmt(d.get('median'), 1, True)} | "
                     f"{fmt((e.get('nll') or {}).get('mean'), 4)} | {e['filled_len']['mean']:.1f} | {e['fill_over_original']:.2f} | "
                     f"{'–' if sh is None else f'{100 * sh:.1f}%'} | "
                     f"{', '.join(f'{k} {v}' for k, v in e['stop_reasons'].items())} |")
    srcs = list(r["by_source"])
    if any(e.get("delta_nll_pct_by_source") for e in r["methods"].values()):
        lines += ["", "ΔNLL_gt mean by source:", "", "| method | " + " | ".join(srcs) + " |", "|---|" + "---|" * len(srcs)]
        for m, e in r["methods"].items():
            bs = e.get("delta_nll_pct_by_source") or {}
            lines.append(f"| {m} | " + " | ".join(fmt((bs.get(s) or {}).get("mean"), 1, True) for s in srcs) + " |")
    t = r["timing"]
    lines += ["", f"CPU: ILM {t['ilm_s']} s for {t['ilm_steps']} forward passes, AR {t['ar_s']} s, evaluator "
              f"{t['evaluator_s']} s for {t['evaluator_tokens']:,} tokens.", ""]
    return lines


def md_samples(sec):
    r = sec["result"]
    lines = ["## Samples (uncurated)", ""] + section_header(sec)
    lines += [f"Unconditional: empty body, top-p {sec['args']['top_p']}, seeds 0..{len(r['unconditional']) - 1}, at most "
              f"{sec['args']['sample_tokens']} insertions, stop at P(complete) ≥ {sec['args']['stop_threshold']}."
              + (f" Mean evaluator NLL {r['unconditional_evaluator_nll_mean']:.3f} per token." if "unconditional_evaluator_nll_mean" in r else ""), ""]
    def listing(group):
        out = []
        for u in group:
            extra = f", evaluator NLL {u['evaluator_nll']:.3f}" if "evaluator_nll" in u else ""
            out += [f"**seed {u['seed']}** ({u['length']} tokens, {u['stop_reason']}{extra})", "", "> " + quote(u["text"]), ""]
        return out

    lines += listing(r["unconditional"])
    if "repetition" in r:
        names = dict(unconditional="ILM samples", ar_unconditional="AR samples (same size)",
                     heldout_passages="held-out passages (reference)")
        lines += [f"Repetition: share of token {r['repetition']['unconditional']['n']}-grams already seen earlier in the "
                  "same text (higher = more looping), and distinct tokens / tokens.", "",
                  "| texts | count | mean length | repeated n-grams | distinct tokens | evaluator NLL mean |", "|---|---|---|---|---|---|"]
        for key, st in r["repetition"].items():
            nll = r.get(f"{key}_evaluator_nll_mean")
            lines.append(f"| {names.get(key, key)} | {st['texts']} | {st['mean_length']:.1f} | {100 * st['repeated_ngram']:.1f}% | "
                         f"{100 * st['distinct_tokens']:.1f}% | {fmt(nll, 3)} |")
        lines.append("")
    if r.get("ar_unconditional"):
        lines += ["AR unconditional samples (same-size baseline, same top-p and seeds' count; it has no end-of-text "
                  "token, so each runs to the length limit):", ""] + listing(r["ar_unconditional"])
    lines += ["Infills: the first passages of the infill set (same passages, seeds and fills as `infill`, top-p). "
              "⏎ marks a line break.", ""]
    for it in r["infills"]:
        d = it.get("delta_nll_pct") or {}
        lines += [f"**passage {it['index']}** ({it['source']}; ILM {it['ilm_stop_reason']}"
                  + (f", ΔNLL ILM {d['ilm_top_p']:+.1f}%" if "ilm_top_p" in d else "")
                  + (f", AR {d['ar_top_p']:+.1f}%" if "ar_top_p" in d else "") + ")", "",
                  "> " + quote(it["prefix"]) + " **[" + quote(it["ilm_fill"]) + "]** " + quote(it["suffix"]), "",
                  "- original: " + quote(it["original"]), "- ILM: " + quote(it["ilm_fill"])]
        if "ar_fill" in it:
            lines.append("- AR: " + quote(it["ar_fill"]))
        lines.append("")
    return lines


def md_stop(sec):
    r = sec["result"]
    lines = ["## Stop head: does it know a complete text?", ""] + section_header(sec)
    lines += [f"P(complete) from the ILM's stop head on the {r['n_passages']} infill passages whole, and on the same "
              "passages with their sentence removed (what a fill starts from). AUC = the chance that a whole passage "
              "scores higher than a cut one (0.5 = chance).", "",
              "| passages | P(complete) mean | median | ≥ 0.1 | ≥ 0.5 | ≥ 0.9 |", "|---|---|---|---|---|---|"]
    for key, name in (("whole", "whole"), ("cut", "sentence removed")):
        t = r["share_at_or_above"]
        lines.append(f"| {name} | {r[key]['mean']:.4f} | {r[key]['median']:.4f} | "
                     + " | ".join(f"{100 * t[x][key]:.0f}%" for x in ("0.1", "0.5", "0.9")) + " |")
    lines += ["", f"AUC {r['auc']:.3f}.", ""]
    return lines


def md_length(sec):
    return ["## Gap length: the length head against the stop head", ""] + section_header(sec) + length_lines(sec)


def length_lines(sec):
    """The length section's table (a)-(e), one column per model, and the first fills (the model card shows it too)."""
    r = sec["result"]
    roles = list(r["models"])
    lines = [f"On the {r['n_passages']} infill passages: (a) the length head's λ at the gap (the expected number of "
              "missing tokens there) against the tokens removed — a clause (the removed sentence's longest piece between "
              "commas), the sentence, or it and the next one or two sentences; (b) AUC between whole passages and passages "
              "missing the sentence, scored by the expected missing length over every gap (Σλ, lower = complete) where "
              "the model has a length head, else by the stop head's P(complete), and as the app decides it: only the "
              "sentence's gap may insert (a model with a gap marker is told so) and Σλ is over that gap's slots, "
              "holding the whole sentence (complete), its first half or nothing; (c) unbounded one-sentence fills of the "
              f"first {r['fill_passages']} passages (top-p {r['decode']['top_p']}, temperature {r['decode']['temperature']}; "
              f"the decoder stops when Σλ over the gap < {r['length_threshold']} — with the planned length, when "
              "min(Σλ, Σλ at the first pass − tokens written) is —, or without a length head when "
              f"P(complete) ≥ {r['stop_threshold']}; no cap but the window); (d) ΔNLL_gt of those fills and of fills given "
              "the true length as the budget, under the evaluator; (e) invented words: words of the fill (and of words it "
              "finishes) found nowhere in the training corpus.", "",
              "| measure | goal | " + " | ".join(f"{role}: `{r['models'][role]['path']}`" for role in roles) + " |",
              "|---|---|" + "---|" * len(roles)]

    def row(name, goal, cell):
        lines.append(f"| {name} | {goal} | " + " | ".join(cell(r["models"][role]) for role in roles) + " |")

    for kind, label in (("clause", "a clause"), ("sentence", "one sentence"), ("sentences", "2–3 sentences")):
        def pred(m, kind=kind):
            e = (m["predict"] or {}).get(kind)
            if not e:
                return "no length head"
            rho = "–" if e["spearman"] is None else f"{e['spearman']:.2f}"
            return (f"median \|log2\| {e['median_abs_log2']:.2f}, within 2× {100 * e['within_2x']:.0f}%, ρ {rho} "
                    f"(n {e['n']}, true median {e['true_median']:.0f}, predicted {e['predicted_median']:.1f})")
        row(f"(a) predicted length, {label}", "within 2× ≥ 70% (sentence)" if kind == "sentence" else "", pred)
    row("(b) stop AUC, every gap open (Σλ over all; else the stop head)", "≥ 0.9", lambda m: f"{m['stop']['auc']:.3f}")
    row("(b) stop head AUC", "", lambda m: f"{m['stop']['stop_head_auc']:.3f}")

    def marked(m, key):
        s = m["stop"]
        if "marked_auc" not in s:
            return "no length head"
        e = s["marked_missing"]
        return (f"{s[key]:.3f} (median Σλ over the gap: whole {e['whole']:.2f}, half {e['half']:.2f}, "
                f"empty {e['cut']:.2f})")
    row("(b) stop AUC, the sentence's gap marked: whole sentence vs empty", "", lambda m: marked(m, "marked_auc"))
    row("(b) the same, whole sentence vs its first half", "", lambda m: marked(m, "marked_half_auc"))
    for name, label in (("unbounded", "unbounded"), ("planned", "unbounded, planned length"),
                        ("true_length", "true length as budget")):
        if not any(name in r["models"][role]["fills"] for role in roles):
            continue

        def cell(render, name=name):  # a model without a length head has no planned fills
            return lambda m: "no length head" if name not in m["fills"] else render(m["fills"][name])

        if name != "true_length":
            row("(c) fills, " + label, "within 0.5–2× words ≥ 70%", cell(lambda f: (
                f"{f['written_median']:.0f} tokens written (removed {f['removed_median']:.0f}); words × "
                f"{f['word_ratio_median']:.2f}; within 0.5–2× {100 * f['within_half_to_2x']:.0f}%; "
                + ", ".join(f"{k} {v}" for k, v in f["stop_reasons"].items()))))
        row(f"(d) ΔNLL_gt, {label}", "≤ +8.4%" if name != "true_length" else "",
            cell(lambda f: fmt((f.get("delta_nll_pct") or {}).get("mean"), 1, True)))
        row(f"(e) invented words, {label}", f"≤ 3% (held-out text {100 * r['heldout_invented']['share']:.1f}%)",
            cell(lambda f: f"{100 * f['invented']['share']:.1f}% of {f['invented']['words']}: "
                           + ", ".join(f["invented"]["examples"][:6])))
    lines += [""]
    for role in roles:
        fills = r["models"][role]["fills"]
        rule = "planned" if "planned" in fills else "unbounded"  # how the app decodes this model
        lines += [f"Unbounded fills by {role}{', planned length' if rule == 'planned' else ''} (first 5):", ""]
        for e in fills[rule]["examples"]:
            lines += [f"- passage {e['index']} ({e['stop_reason']}): original “{quote(e['original'])}” → fill "
                      f"“{quote(e['fill'], 400)}”"]
        lines += [""]
    return lines


def md_decode(sec):
    return ["## Decoding sweep (the model's defaults)", ""] + section_header(sec) + decode_lines(sec)


def decode_lines(sec):
    """The decoding sweep's table, one row per setting (the model card shows it too)."""
    r = sec["result"]
    lines = [f"Unbounded one-sentence fills of the first {r['fill_passages']} infill passages by the ILM, ended when the "
              f"gap's expected missing length < {r['length_threshold']} (running: Σλ over the gap now; planned: min(Σλ now, "
              f"Σλ at the first pass − tokens written); a model without a length head: when its stop "
              f"head's P(complete) ≥ {r['stop_threshold']}) or when the window is full.", "",
              "| length rule | top-p | temperature | words written / removed (median) | within 0.5–2× | invented words | "
              "repeated 4-grams | ΔNLL_gt mean | stop reasons |", "|---|---|---|---|---|---|---|---|---|"]
    for e in r["settings"]:
        lines.append(f"| {e.get('length_rule', 'running')} | {e['top_p']} | {e['temperature']} | "
                     f"{e['word_ratio_median']:.2f} | {100 * e['within_half_to_2x']:.0f}% | "
                     f"{100 * e['invented']['share']:.1f}% | {100 * e['repetition']['repeated_ngram']:.1f}% | "
                     f"{fmt((e.get('delta_nll_pct') or {}).get('mean'), 1, True)} | "
                     + ", ".join(f"{k} {v}" for k, v in e["stop_reasons"].items()) + " |")
    return lines + [""]


SECTIONS = [("heldout", md_heldout), ("infill", md_infill), ("stop", md_stop), ("length", md_length),
            ("decode", md_decode), ("samples", md_samples)]


def write_report(out_md, report):
    lines = ["# Story model evaluation", "", "Written by `training/evaluate_story.py` (JSON next to this file). Each "
             "section lists the command that produced it and the checkpoints it read.", ""]
    for name, fn in SECTIONS:
        if name in report["sections"]:
            lines += fn(report["sections"][name])
    with open(out_md + ".tmp", "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")
    os.replace(out_md + ".tmp", out_md)


def json_path(out_md):
    return os.path.splitext(out_md)[0] + ".json"


# ---------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, help_ in (("heldout", "held-out ILM loss and AR next-token loss on the same windows"),
                        ("infill", "one-sentence infilling, ΔNLL_gt under an evaluator"),
                        ("samples", "unconditional samples and the first infills, as text"),
                        ("stop", "the stop head on whole vs sentence-removed infill passages"),
                        ("length", "gap length: length head vs stop head, unbounded fills, invented words"),
                        ("decode", "decoding sweep over top-p and temperature for the model's defaults"),
                        ("all", "heldout, infill, stop and samples")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--ilm", help="ILM checkpoint (train.py ckpt.pt)")
        s.add_argument("--ar", help="same-size AR checkpoint (baseline)")
        s.add_argument("--evaluator", help="AR checkpoint that scores infills (larger or longer-trained)")
        s.add_argument("--baseline", help="length: the ILM to compare with (checkpoint or exported model folder)")
        s.add_argument("--corpus", default="../shared/corpus", help="length: the corpus, for the invented-words check")
        s.add_argument("--words-cache", default="training/data/train-words.txt",
                       help="the corpus's training words, built from --corpus on first use")
        s.add_argument("--length-threshold", type=float, default=0.5,
                       help="stop when the gap's expected missing length is below this (models with a length head)")
        s.add_argument("--temperature", type=float, default=1.0)
        s.add_argument("--fill-passages", type=int, default=100, help="length, decode: passages filled without a bound")
        s.add_argument("--sweep-top-p", type=lambda v: [float(x) for x in v.split(",")], default=[0.5, 0.7, 0.9])
        s.add_argument("--sweep-length-rule", type=lambda v: v.split(","), default=["running"],
                       help="decode: running and/or planned (predictor.generate's length_plan; length-head models)")
        s.add_argument("--sweep-temperature", type=lambda v: [float(x) for x in v.split(",")], default=[0.8, 1.0])
        s.add_argument("--out", required=True, help="Markdown report; the JSON goes next to it")
        s.add_argument("--data", help="prepared data (default: the one the checkpoint was trained on)")
        s.add_argument("--tokenizer", help="tokenizer.json (default: the checkpoint's)")
        s.add_argument("--eval-windows", type=int, default=None, help="heldout: windows per source (0 = all; default: the ILM run's)")
        s.add_argument("--micro-tokens", type=int, default=1024)
        s.add_argument("--n-passages", type=int, default=200)
        s.add_argument("--passage-tokens", type=lambda v: [int(x) for x in v.split(",")], default=[100, 200], help="lo,hi")
        s.add_argument("--removed-tokens", type=lambda v: [int(x) for x in v.split(",")], default=[4, 60],
                       help="lo,hi length of the removed sentence")
        s.add_argument("--decode", type=lambda v: v.split(","), default=["top_p", "greedy"], help="top_p and/or greedy")
        s.add_argument("--parallel", type=lambda v: [int(x) for x in v.split(",")], default=[1],
                       help="infill: insertions per forward pass to compare, e.g. 1,2,4 (1 = one at a time)")
        s.add_argument("--top-p", type=float, default=0.9)
        s.add_argument("--stop-threshold", type=float, default=0.9)
        s.add_argument("--ar-budget", choices=["ilm", "original"], default="ilm",
                       help="AR fill at most as long as the ILM's fill (default) or as the removed sentence")
        s.add_argument("--n-samples", type=int, default=10)
        s.add_argument("--sample-tokens", type=int, default=200)
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--threads", type=int, default=1)
        s.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    assert set(args.decode) <= {"top_p", "greedy"}, "--decode: top_p and/or greedy"
    args.parallel = sorted(set(args.parallel) | {1})  # the one-at-a-time fill is the reference and the AR's budget
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    command = "/usr/bin/python3 training/evaluate_story.py " + " ".join(shlex.quote(a) for a in argv)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    models, infos = {}, {}
    for role in ("ilm", "baseline", "ar", "evaluator"):
        path = getattr(args, role)
        if path:
            models[role] = load(path, args.device)
            infos[role] = models[role][1]
    check_same_tokenizer(list(infos.values()))
    for role, want in (("ilm", "ilm"), ("baseline", "ilm"), ("ar", "ar"), ("evaluator", "ar")):
        if role in infos and infos[role]["objective"] != want:
            raise SystemExit(f"--{role} must be an {want.upper()} checkpoint, not {infos[role]['objective']}")
    base = infos.get("ilm") or infos.get("baseline") or infos.get("ar") or infos.get("evaluator")
    if base is None:
        raise SystemExit("give at least one checkpoint")
    models["_tt"] = TokenText(Tokenizer.from_file(resolve(args.tokenizer or base["tokenizer"])))
    cmds = ["heldout", "infill", "stop", "samples"] if args.cmd == "all" else [args.cmd]
    passages = candidates = None
    if {"infill", "samples", "stop", "length", "decode"} & set(cmds):
        mix = base["mix"] or {}
        passages, candidates = choose_passages(default_data(base, args), mix, models["_tt"], args.n_passages, args.seed,
                                               *args.passage_tokens, *args.removed_tokens)
    jp = json_path(args.out)
    report = dict(format_version=FORMAT_VERSION, sections={})
    if os.path.exists(jp):
        with open(jp) as f:
            old = json.load(f)
        if old.get("format_version") == FORMAT_VERSION:
            report = old
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    for c in cmds:
        t0, c0 = time.time(), time.process_time()
        if c == "heldout":
            result = cmd_heldout(args, models)
            used = {k: v for k, v in infos.items() if k in ("ilm", "ar")}
        elif c == "infill":
            result = cmd_infill(args, models, passages)
            used = infos
        elif c == "stop":
            result = cmd_stop(args, models, passages)
            used = {k: v for k, v in infos.items() if k == "ilm"}
        elif c == "length":
            result = cmd_length(args, models, passages)
            used = {k: v for k, v in infos.items() if k in ("ilm", "baseline", "evaluator")}
        elif c == "decode":
            result = cmd_decode(args, models, passages)
            used = {k: v for k, v in infos.items() if k in ("ilm", "evaluator")}
        else:
            result = cmd_samples(args, models, passages)
            used = infos
        sec = dict(command=command, started=started, wall_s=round(time.time() - t0, 1),
                   cpu_s=round(time.process_time() - c0, 1), threads=args.threads,
                   args={k: v for k, v in vars(args).items() if k not in ("cmd",)}, checkpoints=used,
                   evaluator=infos.get("evaluator", {}).get("path") if c != "heldout" else None, result=result)
        if c in ("infill", "samples", "stop", "length", "decode"):
            sec["candidates"] = candidates
        if os.path.exists(jp):  # sections another run wrote meanwhile (subcommands may run side by side)
            with open(jp) as f:
                current = json.load(f)
            if current.get("format_version") == FORMAT_VERSION:
                report = current
        report["sections"][c] = sec
        with open(jp + ".tmp", "w") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
        os.replace(jp + ".tmp", jp)
        write_report(args.out, report)
        print(f"{c}: {sec['wall_s']} s wall, {sec['cpu_s']} s CPU -> {args.out}, {jp}", flush=True)
    return report


if __name__ == "__main__":
    main()
