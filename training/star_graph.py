"""Star-graph path finding (Bachmann & Nagarajan 2024; ILM paper, Patel et al. 2025, section on planning).

A directed graph made of `degree` arms (chains) that share one centre node. Given the shuffled edge list, a
source and a goal, write the path from source to goal as edge pairs. Next-token prediction has to commit to the
right arm at the centre before it has seen anything that tells it which one; an insertion model can write the
end of the path (next to the goal) first and work backwards.

Levels (node labels are drawn without replacement from `n_nodes` ids, offset by NODE0 = 5 so that the special
ids PAD 0, CLS 1, BOS 2, EOS 3, MASK 4 stay free):
    easy:   degree 3, every arm 5 nodes, the centre is the first node of every arm (source = centre), 20 ids
    medium: degree 3, arm lengths uniform in [3, 6], 20 ids
    hard:   degree 5, arm lengths uniform in [6, 12], 56 ids
In medium/hard each arm is a chain that passes through the shared centre at index j, uniform in [0, len - 3]
(so at least two nodes follow the centre on every arm and the choice at the centre is never trivial; this is
the `min_plan_length = 2` convention of the paper's public release). Source = first node of arm 0, goal = its
last node, answer = all of arm 0. Edges point along the arms and are shuffled.

Sequence: `[CLS] u1 v1 ... uE vE source goal [BOS] p1 p2 p2 p3 ... p(k-1) pk`; the prompt is everything
between CLS and BOS, the body (the only insertable part) is the path as edge pairs. For the AR baseline the
body ends with EOS so that greedy decoding knows where to stop; the ILM body has no EOS (it has the stop head).

Train graphs: 50k per level from seed [seed, level, 0]; test graphs: 5k from seed [seed, level, 1] with any
graph equal (as a set of edges + source + goal) to a training graph skipped. Both are regenerated on the fly
(a few seconds) — nothing is written to disk.

Commands:
    # train one model (what `reproduce` runs)
    /usr/bin/python3 training/train.py --task star --level easy --objective ilm --out training/runs/star/easy-ilm \
        --max-steps 4500 --batch-size 64 ...
    # exact match of a checkpoint on the test graphs
    /usr/bin/python3 training/star_graph.py eval training/runs/star/easy-ilm/ckpt.pt --n 5000
    # the whole table (train ILM + AR per level, evaluate, write training/results/star_graph.{json,md})
    /usr/bin/python3 training/star_graph.py reproduce --levels easy,medium --max-steps 4500 --budget-min 12 \
        --d-model 64 --lr 2e-3        (the defaults; about 30 min on 2 shared cores)
    # re-evaluate existing checkpoints only (keeps the recorded command and training times)
    ... reproduce <same options> --skip-trained
    # rewrite the md from the json, with hand-written notes
    /usr/bin/python3 training/star_graph.py render --notes-file notes.md
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

PAD, CLS, BOS, EOS, MASK = 0, 1, 2, 3, 4
NODE0 = 5  # first node id

LEVELS = {
    "easy": dict(degree=3, min_len=5, max_len=5, n_nodes=20, centre_first=True),
    "medium": dict(degree=3, min_len=3, max_len=6, n_nodes=20, centre_first=False),
    "hard": dict(degree=5, min_len=6, max_len=12, n_nodes=56, centre_first=False),
    # not in the paper: a pipeline sanity check (one hop back from the goal decides the path)
    "tiny": dict(degree=2, min_len=3, max_len=3, n_nodes=10, centre_first=True),
}
PAPER_LEVELS = ("easy", "medium", "hard")
LEVEL_INDEX = {name: i for i, name in enumerate(LEVELS)}
PAPER = {  # exact match (%) reported in the ILM paper (second-hand, see shared/design/ilm-notes.md)
    "ILM": {"easy": 100.0, "medium": 100.0, "hard": 99.1},
    "AR": {"easy": 32.3, "medium": 75.0, "hard": 23.0},
}


# ---------------------------------------------------------------------------------------------------------
# Graphs


def make_graph(rng, level):
    """One random star graph. Returns dict(arms=[[node ids]], centre, edges [E,2] int64 (shuffled), source,
    goal, path (= arms[0]))."""
    spec = LEVELS[level] if isinstance(level, str) else level
    d = spec["degree"]
    lengths = rng.integers(spec["min_len"], spec["max_len"] + 1, size=d)
    if spec["centre_first"]:
        joins = np.zeros(d, dtype=np.int64)
    else:
        joins = np.array([rng.integers(0, L - 2) for L in lengths])  # centre index in [0, L-3]
    n = int(lengths.sum()) - d + 1
    labels = rng.choice(spec["n_nodes"], size=n, replace=False) + NODE0
    centre, rest = int(labels[0]), labels[1:].tolist()
    arms, k = [], 0
    for L, j in zip(lengths.tolist(), joins.tolist()):
        arm = rest[k:k + L - 1]
        k += L - 1
        arms.append(arm[:j] + [centre] + arm[j:])
    edges = np.array([(a[i], a[i + 1]) for a in arms for i in range(len(a) - 1)], dtype=np.int64)
    edges = edges[rng.permutation(len(edges))]
    return dict(arms=arms, centre=centre, edges=edges, source=arms[0][0], goal=arms[0][-1], path=arms[0])


def path_to_body(path):
    """[p1, ..., pk] -> [p1, p2, p2, p3, ..., p(k-1), pk]."""
    return [x for a, b in zip(path[:-1], path[1:]) for x in (a, b)]


def graph_to_example(g):
    """(prompt ids, body ids) without EOS."""
    prompt = g["edges"].reshape(-1).tolist() + [g["source"], g["goal"]]
    return prompt, path_to_body(g["path"])


def graph_key(g):
    """Identity of a problem regardless of the edge order."""
    return (tuple(sorted(map(tuple, g["edges"].tolist()))), g["source"], g["goal"])


def make_split(level, split, n, seed=0, exclude=None):
    """n graphs of a level, deterministic in (level, split, seed). exclude: set of graph_key to skip."""
    rng = np.random.default_rng([seed, LEVEL_INDEX[level], {"train": 0, "test": 1}[split]])
    out = []
    while len(out) < n:
        g = make_graph(rng, level)
        if exclude is None or graph_key(g) not in exclude:
            out.append(g)
    return out


def train_test(level, n_train=50000, n_test=5000, seed=0):
    train = make_split(level, "train", n_train, seed)
    test = make_split(level, "test", n_test, seed, exclude={graph_key(g) for g in train})
    return train, test


# ---------------------------------------------------------------------------------------------------------
# Task for train.py (--task star)


def add_args(p):
    p.add_argument("--level", default="easy", choices=sorted(LEVELS))
    p.add_argument("--star-train", type=int, default=50000, help="training graphs")
    p.add_argument("--star-test", type=int, default=5000, help="test graphs (exact match is measured on these)")
    p.add_argument("--star-val", type=int, default=500, help="test graphs used for the held-out loss during training")
    p.add_argument("--star-seed", type=int, default=0)


class StarTask:
    def __init__(self, level, objective="ilm", n_train=50000, n_test=5000, n_val=500, seed=0):
        self.level, self.objective = level, objective
        self.vocab_size = NODE0 + LEVELS[level]["n_nodes"]
        self.tokenizer = None
        t0 = time.time()
        self.train_graphs, self.test_graphs = train_test(level, n_train, n_test, seed)
        self.train = [graph_to_example(g) for g in self.train_graphs]
        self.test = [graph_to_example(g) for g in self.test_graphs]
        self.n_val = n_val
        self.gen_seconds = time.time() - t0
        self.info = dict(task="star", level=level, spec=LEVELS[level], node0=NODE0, n_train=n_train, n_test=n_test,
                         n_val=n_val, seed=seed, body_eos=objective == "ar",
                         max_prompt=max(len(p) for p, _ in self.test + self.train),
                         max_body=max(len(b) for _, b in self.test + self.train))

    def _ex(self, ex):
        p, b = ex
        return (p, b + [EOS]) if self.objective == "ar" else (p, b)

    def sample(self, rng, n):
        return [self._ex(self.train[i]) for i in rng.integers(0, len(self.train), size=n)]

    def val_examples(self):
        return {"test": [self._ex(e) for e in self.test[:self.n_val]]}


def make_task(args):
    return StarTask(args.level, args.objective, args.star_train, args.star_test, args.star_val, args.star_seed)


# ---------------------------------------------------------------------------------------------------------
# Scoring and decoding


def exact_match(preds, targets):
    """Per example: the generated body (EOS and anything after it cut off, PAD ignored) equals the target."""
    out = []
    for p, t in zip(preds, targets):
        p = list(p)
        if EOS in p:
            p = p[:p.index(EOS)]
        p = [x for x in p if x != PAD]
        out.append(p == list(t))
    return np.array(out, dtype=bool)


def valid_walk(pred, graph):
    """The generated body is a chain of edge pairs of the graph starting at the source and ending at a leaf
    (an arm's last node): a well-formed path, maybe down the wrong arm. EOS and after cut off."""
    p = list(pred)
    if EOS in p:
        p = p[:p.index(EOS)]
    if not p or len(p) % 2:
        return False
    edges = set(map(tuple, graph["edges"].tolist()))
    pairs = [(p[i], p[i + 1]) for i in range(0, len(p), 2)]
    leaves = {a[-1] for a in graph["arms"]}
    return (pairs[0][0] == graph["source"] and pairs[-1][1] in leaves and all(e in edges for e in pairs)
            and all(a[1] == b[0] for a, b in zip(pairs, pairs[1:])))


def ar_greedy(model, prompts, max_new, batch_size=500):
    """Greedy continuation of `[CLS] prompt [BOS]` with the causal model's KV cache (predictor.ar_generate).
    Prompts are grouped by length so that no row needs padding. Returns the generated ids per prompt (up to EOS
    included, or max_new)."""
    from predictor import ar_generate
    out = [None] * len(prompts)
    by_len = {}
    for i, p in enumerate(prompts):
        by_len.setdefault(len(p), []).append(i)

    def choose(scores, t, ended):
        scores[:, [PAD, CLS, BOS, MASK]] = float("-inf")
        picks = scores.argmax(-1).tolist()
        for r, tok in enumerate(picks):  # EOS is kept, then the row ends
            if ended[r]:
                picks[r] = None
            ended[r] = ended[r] or tok == EOS
        return picks

    for L, idx_all in sorted(by_len.items()):
        for s in range(0, len(idx_all), batch_size):
            idx = idx_all[s:s + batch_size]
            ended = [False] * len(idx)
            gen = ar_generate(model, [[CLS, *prompts[i], BOS] for i in idx], max_new,
                              lambda scores, t: choose(scores, t, ended))
            for r, i in enumerate(idx):
                out[i] = gen[r]
    return out


def ilm_greedy(model, prompts, max_steps, threshold, batch_size=500):
    """Greedy ILM decoding from an empty body with the reference decoder (training/predictor.py): insertion
    only in body gaps, gap by the top marginal, token by argmax, one insertion per forward pass, stop when
    P(complete) >= threshold (never before the first insertion) or after max_steps insertions."""
    from predictor import generate
    out = []
    for s in range(0, len(prompts), batch_size):
        res = generate(model, [(p, [], None) for p in prompts[s:s + batch_size]], max_steps=max_steps,
                       stop_threshold=threshold, min_steps=1, gap="marginal", sample="greedy")
        out += [r["body"] for r in res]
    return out


def evaluate_checkpoint(ckpt_path, n=5000, threshold=0.5, batch_size=500, seed=None):
    """Exact match of the greedy generations on the first n test graphs of the checkpoint's level."""
    import torch
    from checkpoints import load_model
    model, ckpt = load_model(ckpt_path)
    info = ckpt["task"]
    level = info["level"]
    seed = info["seed"] if seed is None else seed
    _, test = train_test(level, info["n_train"], info["n_test"], seed)
    test = test[:n]
    prompts = [graph_to_example(g)[0] for g in test]
    targets = [graph_to_example(g)[1] for g in test]
    max_body = 2 * (LEVELS[level]["max_len"] - 1)
    t0 = time.time()
    if model.cfg.causal:
        preds = ar_greedy(model, prompts, max_new=max_body + 4, batch_size=batch_size)
    else:
        preds = ilm_greedy(model, prompts, max_steps=max_body + 4, threshold=threshold, batch_size=batch_size)
    em = exact_match(preds, targets)
    dt = time.time() - t0
    # diagnostics: right length; right first hop out of the centre (the "planning" decision)
    right_len = np.mean([len([x for x in p if x not in (EOS, PAD)]) == len(t) for p, t in zip(preds, targets)])
    walk = np.mean([valid_walk(p, g) for p, g in zip(preds, test)])
    return dict(level=level, objective="ar" if model.cfg.causal else "ilm", n=len(test), exact_match=float(em.mean()),
                right_length=float(right_len), valid_walk=float(walk), decode_seconds=dt, threshold=None if model.cfg.causal else threshold,
                examples=[dict(target=t, pred=p) for p, t in list(zip(preds, targets))[:3]]), em


# ---------------------------------------------------------------------------------------------------------
# One command for the table


def reproduce(args):
    levels = args.levels.split(",")
    runs = os.path.join(ROOT, args.runs)
    os.makedirs(runs, exist_ok=True)
    argv = [a for a in (sys.argv[1:] if args.argv is None else args.argv) if a != "--skip-trained"]
    results = dict(command=" ".join(["/usr/bin/python3", "training/star_graph.py"] + argv), levels={},
                   started=time.strftime("%Y-%m-%d %H:%M:%S"), machine=f"{platform.machine()}, {os.cpu_count()} cores",
                   threads=args.threads)
    old_json = os.path.join(ROOT, args.results, "star_graph.json")
    if args.skip_trained and os.path.exists(old_json):  # re-evaluation: keep when the training happened
        with open(old_json) as f:
            old = json.load(f)
        results["trained"] = old.get("trained") or f"{old.get('started')} to {old.get('finished')}"
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    for level in levels:
        max_len = 2 + max_prompt_len(level) + 2 * (LEVELS[level]["max_len"] - 1) + 1
        results["levels"][level] = {}
        for obj in args.objectives.split(","):
            out = os.path.join(runs, f"{level}-{obj}")
            cmd = [sys.executable, os.path.join(HERE, "train.py"), "--task", "star", "--level", level,
                   "--objective", obj, "--out", out, "--n-layer", str(args.n_layer), "--n-head", str(args.n_head),
                   "--d-model", str(args.d_model), "--d-ff", str(4 * args.d_model), "--max-len", str(max_len),
                   "--batch-size", str(args.batch_size), "--micro-tokens", str(args.batch_size * max_len),
                   "--lr", str(args.lr), "--schedule", args.schedule, "--warmup", "100", "--weight-decay", "0.0",
                   "--eval-every", str(args.eval_every), "--log-every", "50", "--seed", str(args.seed)]
            if args.budget_min:
                cmd += ["--time-budget-min", str(args.budget_min)]
            if args.max_steps:
                cmd += ["--max-steps", str(args.max_steps)]
            if args.nice:
                cmd = ["nice", "-n", str(args.nice)] + cmd
            ckpt = os.path.join(out, "ckpt.pt")
            if args.skip_trained and os.path.exists(ckpt):
                print(f"[{level}/{obj}] using existing {ckpt}", flush=True)
            else:
                if os.path.exists(out):  # fresh run: train.py appends to metrics.jsonl
                    for f in ("metrics.jsonl", "ckpt.pt"):
                        if os.path.exists(os.path.join(out, f)):
                            os.remove(os.path.join(out, f))
                print(f"[{level}/{obj}] train: {' '.join(cmd)}", flush=True)
                t0 = time.time()
                with open(os.path.join(runs, f"{level}-{obj}.log"), "w") as logf:
                    subprocess.run(cmd, check=True, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
                print(f"[{level}/{obj}] trained in {(time.time() - t0) / 60:.1f} min", flush=True)
            import torch
            torch.set_num_threads(args.threads)
            ck = torch.load(ckpt, map_location="cpu")
            st = ck["state"]
            ev, _ = evaluate_checkpoint(ckpt, n=args.n_eval, threshold=args.threshold, batch_size=args.eval_batch)
            last_eval = st["evals"][-1]["val"]["test"] if st["evals"] else None
            from model import ModelConfig, Transformer
            n_params = Transformer(ModelConfig(**ck["config"])).n_params()
            results["levels"][level][obj] = dict(
                exact_match=ev["exact_match"], right_length=ev["right_length"], valid_walk=ev["valid_walk"], n_test=ev["n"],
                threshold=ev["threshold"], decode_seconds=round(ev["decode_seconds"], 1), steps=st["step"],
                examples_seen=st["step"] * args.batch_size, body_tokens=st["body_tokens"], positions_seen=st["tokens"],
                train_minutes=round(st["train_time"] / 60, 2), held_out_loss=last_eval, n_params=n_params,
                config=ck["config"], train_command=" ".join(cmd), samples=ev["examples"])
            print(f"[{level}/{obj}] exact match {100 * ev['exact_match']:.1f}% on {ev['n']} test graphs "
                  f"({st['step']} steps, {st['train_time'] / 60:.1f} min)", flush=True)
            write_results(results, args)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    write_results(results, args)


def max_prompt_len(level):
    s = LEVELS[level]
    return 2 * s["degree"] * (s["max_len"] - 1) + 2


def write_results(results, args):
    res_dir = os.path.join(ROOT, args.results)
    os.makedirs(res_dir, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("argv", "skip_trained", "cmd")}
    results = dict(results, paper=PAPER, settings=settings)
    with open(os.path.join(res_dir, "star_graph.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    with open(os.path.join(res_dir, "star_graph.md"), "w") as f:
        f.write(render_md(results))


def render_md(r):
    s = r["settings"]
    lines = ["# Star-graph path finding: ILM vs AR (exact match of the generated path)", "",
             f"Regenerate: `{r['command']}`", "",
             "| level | ILM (ours) | AR (ours) | ILM (paper) | AR (paper) | steps ILM / AR | train min ILM / AR |",
             "|---|---|---|---|---|---|---|"]
    fmt = lambda x: "–" if x is None else f"{100 * x:.1f}"
    for level, res in r["levels"].items():
        ilm, ar = res.get("ilm", {}), res.get("ar", {})
        lines.append(f"| {level} | {fmt(ilm.get('exact_match'))} | {fmt(ar.get('exact_match'))} | "
                     f"{PAPER['ILM'].get(level, '–')} | {PAPER['AR'].get(level, '–')} | {ilm.get('steps', '–')} / {ar.get('steps', '–')} | "
                     f"{ilm.get('train_minutes', '–')} / {ar.get('train_minutes', '–')} |")
    any_run = next((v for res in r["levels"].values() for v in res.values()), None)
    lines += ["", "## Setup", ""]
    if any_run:
        c = any_run["config"]
        lines.append(f"- Model (same for ILM and AR): {c['n_layer']} layers, d_model {c['d_model']}, {c['n_head']} heads, "
                     f"d_ff {c['d_ff']}, {any_run['n_params']:,} parameters (the AR model has the same network plus an "
                     f"unused stop head), dropout {c['dropout']}.")
    if s["max_steps"]:
        budget = f"{s['max_steps']} optimizer steps each (equal examples seen)" + (
            f", with a safety cap of {s['budget_min']} min training wall-clock per model" if s["budget_min"] else "")
    else:
        budget = (f"{s['budget_min']} min of training wall-clock each (an ILM step is cheaper than an AR step since "
                  "dropped tokens are removed, so the ILM takes more steps)")
    lines += [f"- Budget, the same for both objectives: {budget}; batch {s['batch_size']} graphs/step, AdamW lr "
              f"{s['lr']} ({s['schedule']}, 100 warmup steps), no weight decay, {r['threads']} CPU thread per run, "
              f"nice'd, on a shared {r['machine']} machine (other training ran at the same time, so wall-clock "
              "numbers are noisy).",
              "- Data: 50k training graphs per level drawn on the fly by seed, 5k test graphs (graphs identical to a "
              "training graph excluded); exact match on all test graphs.",
              f"- ILM decoding: empty body, insertion only in body gaps, greedy (gap by top marginal, token by argmax), "
              f"one token per step, stop when P(complete) >= {s['threshold']} (not before the first insertion) or "
              "after 2 x (max arm length - 1) + 4 insertions, "
              "reference decoder `training/predictor.py`.",
              "- AR decoding: greedy continuation after BOS until EOS (the AR training body ends with EOS) or 2 x "
              "(max arm length - 1) + 4 tokens.",
              "- Paper: 12-layer 768-d model (about 85M parameters), lr 1e-4 constant, batch 64, 50k steps "
              "(3.2M graph presentations)."]
    if any_run:
        seen = any_run["examples_seen"]
        lines.append(f"- Compute here vs the paper: {seen:,} graph presentations per model = {100 * seen / 3.2e6:.1f}% of "
                     f"the paper's, with a model {85e6 / any_run['n_params']:,.0f}x smaller.")
    if any(lv not in r["levels"] for lv in PAPER_LEVELS):
        lines.append("- Not run: " + ", ".join(lv for lv in PAPER_LEVELS if lv not in r["levels"]) +
                     " (the CPU budget of this machine did not allow it; `--levels hard` runs it with the same command).")
    lines += ["", "## Per run", "", "Exact match, right length (as many tokens as the answer) and valid walk (the output "
              "is a chain of real edges from the source to some arm's end: a well-formed path, possibly down the "
              "wrong arm), in % of the test graphs.", "",
              "| level | objective | exact match | right length | valid walk | steps | examples seen | "
              "positions seen | train min | held-out loss | decode s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for level, res in r["levels"].items():
        for obj, v in res.items():
            hl = v["held_out_loss"]["loss"] if v.get("held_out_loss") else None
            vw = "–" if v.get("valid_walk") is None else f"{100 * v['valid_walk']:.1f}"
            lines.append(f"| {level} | {obj} | {100 * v['exact_match']:.2f} | {100 * v['right_length']:.1f} | {vw} | {v['steps']} | "
                         f"{v['examples_seen']:,} | {v['positions_seen']:,} | {v['train_minutes']} | "
                         f"{'–' if hl is None else f'{hl:.4f}'} | {v['decode_seconds']} |")
    lines += ["", (f"Trained {r['trained']}; evaluated " if r.get("trained") else "Started ") +
              f"{r.get('started')}, finished {r.get('finished', '(running)')}.", ""]
    if r.get("notes"):
        lines += ["## Notes on this run", "", r["notes"], ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("eval", help="exact match of a checkpoint")
    e.add_argument("ckpt")
    e.add_argument("--n", type=int, default=5000)
    e.add_argument("--threshold", type=float, default=0.5)
    e.add_argument("--batch", type=int, default=500)
    e.add_argument("--threads", type=int, default=1)
    r = sub.add_parser("reproduce", help="train ILM and AR per level, evaluate, write training/results/star_graph.*")
    r.add_argument("--levels", default="easy,medium")
    r.add_argument("--objectives", default="ilm,ar")
    r.add_argument("--budget-min", type=float, default=12.0, help="training wall-clock cap per model (0 = none)")
    r.add_argument("--max-steps", type=int, default=4500, help="optimizer steps per model, equal for ILM and AR "
                   "(0 = the time budget only)")
    r.add_argument("--n-layer", type=int, default=4)
    r.add_argument("--n-head", type=int, default=4)
    r.add_argument("--d-model", type=int, default=64)
    r.add_argument("--batch-size", type=int, default=64)
    r.add_argument("--lr", type=float, default=2e-3)
    r.add_argument("--schedule", default="cosine", choices=["cosine", "constant"])
    r.add_argument("--eval-every", type=int, default=1000)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--nice", type=int, default=10)
    r.add_argument("--n-eval", type=int, default=5000)
    r.add_argument("--eval-batch", type=int, default=500)
    r.add_argument("--threshold", type=float, default=0.5, help="ILM stop-head threshold")
    r.add_argument("--runs", default="training/runs/star")
    r.add_argument("--results", default="training/results", help="where star_graph.json/.md go")
    r.add_argument("--skip-trained", action="store_true", help="evaluate existing checkpoints instead of training")
    w = sub.add_parser("render", help="rewrite star_graph.md from star_graph.json (optionally with notes)")
    w.add_argument("--results", default="training/results")
    w.add_argument("--notes-file", help="text for the 'Notes on this run' section, stored in the json")
    args = p.parse_args(argv)
    args.argv = argv
    if args.cmd == "render":
        path = os.path.join(ROOT, args.results, "star_graph.json")
        with open(path) as f:
            r = json.load(f)
        if args.notes_file:
            with open(args.notes_file) as f:
                r["notes"] = f.read().strip()
        with open(path, "w") as f:
            json.dump(r, f, indent=1, default=str)
        with open(os.path.join(ROOT, args.results, "star_graph.md"), "w") as f:
            f.write(render_md(r))
        return
    import torch
    torch.set_num_threads(args.threads)
    if args.cmd == "eval":
        ev, _ = evaluate_checkpoint(args.ckpt, n=args.n, threshold=args.threshold, batch_size=args.batch)
        print(json.dumps(ev, indent=1))
    else:
        reproduce(args)


if __name__ == "__main__":
    main()
