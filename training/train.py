"""Train an Insertion Language Model (default) or the autoregressive baseline (--objective ar).

    CPU:      /usr/bin/python3 training/train.py --data training/data/story-bpe8k --out training/runs/s1 \
                  --time-budget-min 60
    one GPU:  python training/train.py ... --device cuda
    N GPUs:   torchrun --nproc_per_node N training/train.py ... --device cuda
    resume:   the same command plus --resume

Each optimizer step takes --tokens-per-batch body tokens (or --batch-size examples) split over the ranks;
the collator cuts them into micro-batches of at most --micro-tokens padded positions (gradient accumulation).
Only rank 0 logs, evaluates into metrics.jsonl / curve.png and writes --out/ckpt.pt.
"""
import argparse
import contextlib
import inspect
import json
import math
import os
import sys
import time
from dataclasses import asdict

import numpy as np
import torch
import torch.distributed as dist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoints import initial_weights, load_checkpoint, portable  # noqa: E402
from model import ModelConfig, Transformer  # noqa: E402
from objective import (ARCollator, ILMCollator, ar_loss, ilm_drop, ilm_item, ilm_loss, parse_drops,  # noqa: E402
                       sentence_starts, span_drop)
from tasks import TASKS  # noqa: E402



def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="story", choices=sorted(TASKS))
    p.add_argument("--objective", default="ilm", choices=["ilm", "ar"])
    p.add_argument("--out", required=True)
    p.add_argument("--resume", action="store_true",
                   help="continue from --out/ckpt.pt (model size from it), or where that is missing (a fresh machine) "
                        "from --portable")
    p.add_argument("--portable", help="also keep this fp16 copy of the run (weights and training state, no optimizer; "
                                      "~14 MB for 6.9M parameters) up to date at every checkpoint: the file to commit")
    p.add_argument("--init-from", help="start from these weights (a checkpoint .pt or an exported model folder), "
                                       "with a fresh optimizer and schedule; the model size comes from them")
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--d-ff", type=int, default=1024)
    p.add_argument("--max-len", type=int, default=256, help="whole sequence incl. [CLS], prompt and [BOS]")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--no-tie", action="store_true", help="separate vocabulary head and embedding")
    p.add_argument("--tokens-per-batch", type=int, default=16384, help="body tokens per optimizer step (global)")
    p.add_argument("--batch-size", type=int, default=0, help="examples per step (global); overrides the above")
    p.add_argument("--micro-tokens", type=int, default=0,
                   help="padded positions per forward pass (0: 1024 on CPU, where small passes stay in cache; 32768 on CUDA)")
    p.add_argument("--no-group", action="store_true", help="do not sort examples by length into micro-batches")
    p.add_argument("--lr", type=float, default=6e-4)
    p.add_argument("--schedule", default="cosine", choices=["cosine", "constant"])
    p.add_argument("--warmup", type=int, default=200, help="linear warmup steps")
    p.add_argument("--min-lr-frac", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--stop-weight", type=float, default=1.0)
    p.add_argument("--length-weight", type=float, default=1.0, help="ILM: weight of the length head's loss")
    p.add_argument("--no-length-head", action="store_true", help="ILM without the per-gap length head")
    p.add_argument("--crop-min", type=int, help="ILM: cut each window to a random length >= this before dropping "
                   "(windows of one length tell the model how much was dropped)")
    p.add_argument("--no-gap-marker", action="store_true", help="ILM: the model is not told which rows may insert")
    p.add_argument("--drops", default="scatter:1",
                   help="ILM: mixture of drop kinds, e.g. scatter:0.3,span:0.6,complete:0.1 (scatter alone = the paper)")
    p.add_argument("--time-budget-min", type=float, default=0, help="total training time incl. resumed runs")
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--max-tokens", type=float, default=0,
                   help="stop after this many processed positions (the compute-matched horizon for baselines)")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--ckpt-every-min", type=float, default=5)
    p.add_argument("--device", default="auto")
    p.add_argument("--compile", action="store_true", help="torch.compile (PyTorch 2.x)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0 = its default)")
    p.add_argument("--seed", type=int, default=0)
    known, _ = p.parse_known_args(argv)
    add_task_args, make_task = TASKS[known.task]
    add_task_args(p)
    args = p.parse_args(argv)
    try:
        args.drop_weights = parse_drops(args.drops)
    except ValueError as e:
        p.error(str(e))
    if not (args.time_budget_min or args.max_steps or args.max_tokens):
        p.error("give --time-budget-min, --max-steps and/or --max-tokens (the schedule needs a horizon)")
    return args, make_task


def lr_at(args, step, progress, warm_from=0):
    """Linear warmup over --warmup steps from step warm_from (0, or where a run resumed with a fresh optimizer),
    then the schedule."""
    if args.schedule == "constant":
        lr = args.lr
    else:
        lr = args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))
    if step - warm_from < args.warmup:
        return (args.lr if warm_from == 0 else lr) * (step - warm_from + 1) / args.warmup
    return lr


def eval_drop(prompt, body, i, kind, sentence_end):
    """The held-out drop of window i: seeded by the window's index, so numbers are comparable across
    evaluations, runs and world sizes. scatter = the paper's drop (the numbers of earlier models)."""
    rng = np.random.default_rng([1234, i])
    if kind == "scatter":
        return ilm_drop(prompt, body, rng)
    return ilm_item(prompt, body, *span_drop(len(body), rng, sentence_starts(body, sentence_end)))


@torch.no_grad()
def evaluate(model, sets, args, device, autocast, rank, world, sentence_end=None):
    """Held-out losses. ILM: mean per example of token + w*stop (and each part, and the length head's loss)
    under the paper's scatter drops, plus token and length under span drops ("span_token", "span_length").
    AR: next-token NLL per token. Ranks split the work."""
    model.eval()
    out = {}
    for name, examples in sets.items():
        mine = examples[rank::world]
        if args.objective == "ilm":
            sums = np.zeros(6)  # scatter token, stop, length; span token, length; examples
            for k, kind in enumerate(("scatter", "span")):
                items = [eval_drop(p, b, i, kind, sentence_end) for i, (p, b) in enumerate(examples) if i % world == rank]
                for mb in ILMCollator(args.micro_tokens, device=device).collate(items):
                    with autocast:
                        tok_logits, stop_logits, lengths = model(mb["input_ids"], mb["positions"], mb["attention_mask"],
                                                                 allowed=mb.get("allowed"))
                    tok, stop, length = ilm_loss(tok_logits, stop_logits, lengths, mb)
                    parts = [tok.sum().item(), stop.sum().item(), length.sum().item(), 0, 0, len(tok)] if k == 0 else \
                        [0, 0, 0, tok.sum().item(), length.sum().item(), 0]
                    sums += parts
        else:
            sums = np.zeros(6)
            for mb in ARCollator(args.micro_tokens, device=device)(mine):
                with autocast:
                    tok_logits = model(mb["input_ids"], mb["positions"], mb["attention_mask"])[0]
                nll, n = ar_loss(tok_logits, mb)
                sums += [nll.item(), 0, 0, 0, 0, n.item()]
        if world > 1:
            t = torch.tensor(sums, device=device)
            dist.all_reduce(t)
            sums = t.tolist()
        tok, stop, length, span_tok, span_length, n = (x / max(sums[-1], 1) for x in sums)
        out[name] = dict(loss=tok + args.stop_weight * stop, token=tok, stop=stop)
        if args.objective == "ilm":
            out[name].update(length=length, span_token=span_tok, span_length=span_length)
    if len(out) > 1:
        keys = list(next(iter(out.values())))
        out["mean"] = {k: float(np.mean([v[k] for v in out.values()])) for k in keys}
    model.train()
    return out


def plot_curve(path, history, evals, objective):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if history:
        ax.plot([h["tokens"] for h in history], [h["loss"] for h in history], lw=0.8, alpha=0.7, label="train")
    names = sorted({k for e in evals for k in e["val"]})
    for name in names:
        pts = [(e["tokens"], e["val"][name]["loss"]) for e in evals if name in e["val"]]
        ax.plot(*zip(*pts), marker="o", ms=3, lw=1.5 if name == "mean" else 1, label=f"held-out {name}")
    ax.set_xlabel("tokens seen (input positions)")
    ax.set_ylabel("token + stop loss per example" if objective == "ilm" else "next-token NLL")
    ax.set_title(f"{objective.upper()} training")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path + ".tmp.png", dpi=110)
    plt.close(fig)
    os.replace(path + ".tmp.png", path)


def main(argv=None):
    args, make_task = parse_args(argv)
    ddp = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    rank, world = (int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])) if ddp else (0, 1)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if ddp:
        local = int(os.environ.get("LOCAL_RANK", 0))
        if args.device == "cuda":
            torch.cuda.set_device(local)
            device = torch.device("cuda", local)
        else:
            device = torch.device("cpu")
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    else:
        device = torch.device(args.device)
    args.micro_tokens = args.micro_tokens or (32768 if device.type == "cuda" else 1024)
    master = rank == 0
    log = print if master else (lambda *a, **k: None)
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext())
    torch.manual_seed(args.seed + rank)
    if args.threads:
        torch.set_num_threads(args.threads)

    ckpt_path = os.path.join(args.out, "ckpt.pt")
    ckpt = None
    if args.resume:
        source = ckpt_path if os.path.exists(ckpt_path) else args.portable
        if not source or not os.path.exists(source):
            raise SystemExit(f"--resume: neither {ckpt_path} nor a --portable file exists")
        ckpt = load_checkpoint(source)
    init = initial_weights(args.init_from) if args.init_from and not ckpt else None
    source_config = ckpt["config"] if ckpt else init[0] if init else None
    if source_config:  # the source fixes the model size (and max_len, which the task's windows depend on)
        args.max_len = source_config["max_len"]
    task = make_task(args)
    if source_config:
        cfg = ModelConfig(**source_config)
        if init:  # weights only: heads the source lacks start fresh
            cfg.length_head = args.objective == "ilm" and not args.no_length_head
            cfg.gap_marker = args.objective == "ilm" and not args.no_gap_marker
            # An AR source for an ILM run (as Dream / DiffuLLaMA adapt AR models): the same blocks with the causal
            # mask lifted. Row i scored the next token, and the ILM's row i scores a token inserted right after
            # token i, so the vocabulary head keeps its meaning (the AR run never trained the stop head: it is as
            # initialised).
            cfg.causal = args.objective == "ar"
    else:
        cfg = ModelConfig(vocab_size=task.vocab_size, n_layer=args.n_layer, n_head=args.n_head, d_model=args.d_model,
                          d_ff=args.d_ff, max_len=args.max_len, dropout=args.dropout, causal=args.objective == "ar",
                          tie_embeddings=not args.no_tie, length_head=args.objective == "ilm" and not args.no_length_head,
                          gap_marker=args.objective == "ilm" and not args.no_gap_marker)
    assert cfg.causal == (args.objective == "ar"), "checkpoint objective differs from --objective"
    model = Transformer(cfg).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    fused = {"fused": True} if device.type == "cuda" and "fused" in inspect.signature(torch.optim.AdamW).parameters else {}
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), **fused)
    state = dict(step=0, tokens=0, body_tokens=0, train_time=0.0, history=[], evals=[])
    if ckpt:
        model.load_state_dict({k: v.float() for k, v in ckpt["model"].items()})
        state = ckpt["state"]
        if "optimizer" in ckpt:
            opt.load_state_dict(ckpt["optimizer"])
        else:  # a portable checkpoint: Adam's moments start afresh, so the learning rate warms up again
            state["warm_from"] = state["step"]
        torch.set_rng_state(ckpt["torch_rng"])
        log(f"resumed from {source} at step {state['step']}, {state['tokens']:,} tokens"
            + ("" if "optimizer" in ckpt else " (fp16 weights, fresh optimizer)"))
    elif init:
        missing, unexpected = model.load_state_dict(init[1], strict=False)
        # A tied head is stored once, as the embedding; a head the source lacks starts fresh; anything else
        # missing is a mismatch. A source's length head or gap marker is dropped when this run has none.
        new_parts = lambda name: name.startswith("length_head.") or name == "gap_embed"  # noqa: E731
        fresh = {m for m in missing if new_parts(m)}
        assert set(missing) - fresh <= ({"head.weight"} if cfg.tie_embeddings else set()), missing
        assert all(new_parts(u) for u in unexpected), unexpected
        state["init_fresh"] = sorted(fresh)
        state["init_from"] = init[2]
        log(f"initialised from {init[2]['path']} ({init[2]['tokens']:,} tokens seen there)")
    raw = model
    if args.compile and hasattr(torch, "compile"):
        model = torch.compile(model, dynamic=True)
    if ddp:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    sentence_end = getattr(task, "sentence_end", None)
    collator = (ILMCollator(args.micro_tokens, not args.no_group, device, args.drop_weights, sentence_end, args.crop_min)
                if args.objective == "ilm"
                else ARCollator(args.micro_tokens, not args.no_group, device))
    per_rank = (args.batch_size or max(1, args.tokens_per_batch // (cfg.max_len - 2))) // world
    val_sets = task.val_examples()
    log(f"{args.objective} model {raw.n_params():,} params {asdict(cfg)}; {per_rank * world} examples/step "
        f"on {world} x {device.type}; held-out: " + ", ".join(f"{k} {len(v)}" for k, v in val_sets.items()))

    os.makedirs(args.out, exist_ok=True)
    metrics_path = os.path.join(args.out, "metrics.jsonl")

    def record(entry):
        with open(metrics_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def save():
        blob = dict(model=raw.state_dict(), optimizer=opt.state_dict(), config=asdict(cfg), args=vars(args),
                    task=task.info, tokenizer=task.tokenizer, state=state, torch_rng=torch.get_rng_state())
        if args.portable:
            os.makedirs(os.path.dirname(os.path.abspath(args.portable)), exist_ok=True)
        for path, data in [(ckpt_path, blob)] + ([(args.portable, portable(blob))] if args.portable else []):
            torch.save(data, path + ".tmp")
            os.replace(path + ".tmp", path)

    def run_eval():
        val = evaluate(raw, val_sets, args, device, autocast, rank, world, sentence_end)
        if master:
            entry = dict(kind="eval", step=state["step"], tokens=state["tokens"], val=val)
            state["evals"].append(entry)
            record(entry)
            plot_curve(os.path.join(args.out, "curve.png"), state["history"], state["evals"], args.objective)
            log(f"eval step {state['step']}: " + "  ".join(f"{k} {v['loss']:.4f}" for k, v in val.items()))

    budget = args.time_budget_min * 60
    last_save = time.time()
    acc = torch.zeros(5, dtype=torch.float64, device=device)  # positions, token, stop, length loss, examples
    interval = 0.0  # training seconds since the last progress line
    last_eval = state["evals"][-1]["step"] if state["evals"] else -1  # (only rank 0 records evals)

    def add(*xs):
        acc.add_(torch.stack([torch.as_tensor(x, dtype=torch.float64, device=device) for x in xs]).detach())

    def flush():
        """Global sums since the last call; counts the processed positions into tokens seen."""
        if ddp:
            dist.all_reduce(acc)
        sums = acc.tolist()
        acc.zero_()
        state["tokens"] += int(sums[0])
        return sums

    def progress_now():
        return max(state["step"] / args.max_steps if args.max_steps else 0.0,
                   state["train_time"] / budget if budget else 0.0,
                   state["tokens"] / args.max_tokens if args.max_tokens else 0.0)

    model.train()
    while True:
        progress = progress_now()
        done = torch.tensor(float(progress >= 1.0), device=device)
        if ddp:  # the wall-clock stop must be the same decision on every rank
            dist.broadcast(done, 0)
        if done.item():
            break
        t0 = time.time()
        lr = lr_at(args, state["step"], progress, state.get("warm_from", 0))
        for g in opt.param_groups:
            g["lr"] = lr
        rng = np.random.default_rng([args.seed, rank, state["step"]])  # resumable without saving a data rng
        examples = task.sample(rng, per_rank)
        micro = collator(examples, rng)
        denom = len(examples) if args.objective == "ilm" else sum(int((mb["targets"] != -100).sum()) for mb in micro)
        for k, mb in enumerate(micro):
            sync = contextlib.nullcontext() if not ddp or k == len(micro) - 1 else model.no_sync()
            with sync:  # DDP all-reduces gradients once, on the last micro-batch
                with autocast:
                    tok_logits, stop_logits, lengths = model(mb["input_ids"], mb["positions"], mb["attention_mask"],
                                                                 allowed=mb.get("allowed"))
                    if args.objective == "ilm":
                        tok, stop, length = ilm_loss(tok_logits, stop_logits, lengths, mb)
                        loss = (tok.sum() + args.stop_weight * stop.sum() + args.length_weight * length.sum()) / denom
                        add(mb["attention_mask"].sum(), tok.sum(), stop.sum(), length.sum(), len(tok))
                    else:
                        nll, n = ar_loss(tok_logits, mb)
                        loss = nll / denom + 0.0 * stop_logits.sum()  # DDP wants a gradient for every parameter
                        add(mb["attention_mask"].sum(), nll, 0, 0, n)
                loss.backward()
        if args.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        state["step"] += 1
        state["body_tokens"] += sum(len(b) for _, b in examples) * world
        dt = time.time() - t0
        state["train_time"] += dt
        interval += dt

        if state["step"] % args.log_every == 0:
            positions, tok, stop, length, n = flush()
            entry = dict(kind="train", step=state["step"], tokens=state["tokens"],
                         loss=(tok + args.stop_weight * stop + args.length_weight * length) / n,
                         token=tok / n, stop=stop / n, length=length / n, lr=lr, tok_per_s=positions / interval)
            interval = 0.0
            state["history"].append(entry)
            if master:
                record(entry)
                done_frac = progress_now()  # after flush(), which has just counted this interval's tokens
                eta = state["train_time"] * (1 - done_frac) / max(done_frac, 1e-9)
                log(f"step {state['step']:6d} | {entry['tok_per_s']:9,.0f} tok/s | token {entry['token']:.4f} "
                    f"stop {entry['stop']:.4f} length {entry['length']:.4f} | lr {lr:.2e} | {state['tokens'] / 1e6:8.2f}M tok | "
                    f"{state['train_time'] / 60:6.1f} min, ETA {eta / 60:.1f} min", flush=True)
        if args.eval_every and state["step"] % args.eval_every == 0:
            run_eval()  # not counted as training time
            last_eval = state["step"]
        if master and time.time() - last_save > args.ckpt_every_min * 60:
            save()
            last_save = time.time()
    flush()
    if last_eval != state["step"]:  # every rank takes part in the evaluation
        run_eval()
    if master:
        save()
        log(f"done: step {state['step']}, {state['tokens']:,} tokens, {state['train_time'] / 60:.1f} min -> {ckpt_path}")
    if ddp:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
