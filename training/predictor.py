"""Reference ILM decoder: one insertion per forward pass.

Each step: forward `[CLS] prompt [BOS] body`; stop (not before min_steps insertions, so infilling always inserts
something) when the model says the text is complete. Without a length head: when softmax(stop)[0] ("complete") >=
stop_threshold. With one: when the expected number of tokens still missing over the allowed gaps is below
length_threshold; with length_plan (the default, and the TypeScript engine's rule) that estimate is min(sum of
lambda_i now, the sum at the first pass minus the tokens inserted since), since the first pass reads the writer's
own text around an empty gap, the case the head is trained on most directly, while later passes read the model's
own partial fill, where the sum stays high; length_plan=False uses the sum now (the "running" rule, kept for
comparison). Otherwise mask special tokens and disallowed gaps, pick a gap and a token, insert, repeat. Gap g of a
body with k tokens (g = 0..k) is "right after body token g-1", g = 0 being the BOS row. Greedy mode is
deterministic (ties go to the lowest index) and is the reference the TypeScript engine must reproduce; the arrays
are rebuilt each step with positions 0..L-1.
"""
import torch

from objective import PAD, SPECIAL_IDS, frame, pad


@torch.no_grad()
def generate(model, examples, max_steps=64, stop_threshold=0.9, min_steps=1, gap="marginal", sample="greedy",
             top_p=0.9, temperature=1.0, generator=None, parallel=1, length_threshold=0.5, length_plan=True):
    """examples: list of (prompt_ids, body_ids, allowed_gaps or None = every gap). gap: "marginal" picks the gap
    by log-sum-exp over its tokens, then the token within it; "joint" picks (gap, token) in one go.
    sample: "greedy" or "top_p" (with temperature, drawing from `generator`). Returns per example a dict:
    body (final body ids), ids (the whole sequence), steps [(step, row, token, stop_prob)], stop_reason ("stop"
    when the model ended it), stop_prob (of the last forward pass), remaining (the last expected missing length;
    None without a length head), plan (the expected missing length at the first pass; None without a length head).
    length_threshold=None ignores a length head (the stop head decides). parallel=k (with gap="marginal") inserts
    into the k gaps with the largest marginals in one forward pass (one token each), as the app's parallel mode
    does; max_steps counts insertions."""
    device = next(model.parameters()).device
    max_len = model.cfg.max_len
    states = []
    for prompt, body, allowed in examples:
        allowed = [True] * (len(body) + 1) if allowed is None else list(map(bool, allowed))
        assert len(allowed) == len(body) + 1, "one flag per gap: len(body) + 1"
        states.append(dict(prompt=list(prompt), body=list(body), allowed=allowed, steps=[], stop_reason=None,
                           remaining=None, plan=None))
    while True:
        live = [s for s in states if s["stop_reason"] is None]
        if not live:
            break
        batch = pad([frame(s["prompt"], s["body"])[0] for s in live])
        batch["allowed"] = allowed_rows(batch["input_ids"].shape, [(1 + len(s["prompt"]), s["allowed"]) for s in live])
        token_logits, stop_logits, lengths = model(*(batch[k].to(device) for k in ("input_ids", "positions", "attention_mask")),
                                                   allowed=batch["allowed"].to(device))
        stop_p = stop_logits.float().softmax(-1)[:, 0].cpu()
        use_length = lengths is not None and length_threshold is not None
        lengths = lengths.float().cpu() if use_length else None
        token_logits = token_logits.float().cpu()
        token_logits[..., list(SPECIAL_IDS)] = float("-inf")
        for b, s in enumerate(live):
            step, p = len(s["steps"]), stop_p[b].item()
            s["stop_prob"] = p
            n_tokens = len(s["prompt"]) + len(s["body"]) + 2
            bos = 1 + len(s["prompt"])
            if use_length:
                s["remaining"] = float(lengths[b, bos:n_tokens][torch.tensor(s["allowed"])].sum())
                if s["plan"] is None:
                    s["plan"] = s["remaining"]
                if length_plan:
                    s["remaining"] = min(s["remaining"], s["plan"] - step)
                complete = s["remaining"] < length_threshold
            else:
                complete = p >= stop_threshold
            if step >= min_steps and complete:
                s["stop_reason"] = "stop"
            elif step >= max_steps:
                s["stop_reason"] = "max_steps"
            elif n_tokens >= max_len:
                s["stop_reason"] = "max_len"
            elif not any(s["allowed"]):
                s["stop_reason"] = "no_gap"
            if s["stop_reason"]:
                continue
            scores = token_logits[b, bos:n_tokens] / (temperature if sample == "top_p" else 1.0)  # [gaps, V]
            scores[~torch.tensor(s["allowed"])] = float("-inf")
            if parallel > 1 and gap == "marginal":
                k = min(parallel, max_steps - step, int(torch.isfinite(torch.logsumexp(scores, -1)).sum()))
                gaps = torch.topk(torch.logsumexp(scores, -1), k).indices.tolist()
                picks = [(g, pick(scores[g], sample, top_p, generator)) for g in gaps]
            else:
                picks = [choose(scores, gap, sample, top_p, generator)]
            for g, tok in sorted(picks, reverse=True):  # right to left, so earlier gap indices stay valid
                s["body"].insert(g, tok)
                s["allowed"].insert(g + 1, True)  # the gap right of the new token; gap g stays on its left
            for g, tok in sorted(picks):
                s["steps"].append((len(s["steps"]), bos + g, tok, p))
    return [dict(body=s["body"], ids=frame(s["prompt"], s["body"])[0], steps=s["steps"],
                 stop_reason=s["stop_reason"], stop_prob=s["stop_prob"], remaining=s["remaining"], plan=s["plan"])
            for s in states]


def allowed_rows(shape, gaps):
    """bool [B, L]: the rows that may insert, from each sequence's (row of BOS, one flag per gap)."""
    out = torch.zeros(shape, dtype=torch.bool)
    for b, (bos, flags) in enumerate(gaps):
        out[b, bos:bos + len(flags)] = torch.tensor(flags, dtype=torch.bool)
    return out


def choose(scores, gap, sample, top_p, generator):
    """(gap index, token) from masked scores [gaps, V]."""
    V = scores.shape[1]
    if gap == "marginal":
        g = int(torch.argmax(torch.logsumexp(scores, -1)))
        return g, pick(scores[g], sample, top_p, generator)
    flat = pick(scores.flatten(), sample, top_p, generator)
    return flat // V, flat % V


def pick(scores, sample, top_p, generator):
    if sample == "greedy":
        return int(torch.argmax(scores))  # first maximum on ties
    probs, idx = scores.softmax(-1).sort(descending=True, stable=True)
    keep = probs.cumsum(0) - probs < top_p  # the smallest prefix whose mass reaches top_p
    probs = probs * keep
    return int(idx[torch.multinomial(probs / probs.sum(), 1, generator=generator)])


@torch.no_grad()
def ar_generate(model, prefixes, max_new, choose):
    """Autoregressive decoding with a causal model's key/value cache. prefixes: id lists of one length (the whole
    framed sequence, e.g. [CLS] prompt [BOS]). Each step choose(scores, t) gets the next-token scores [B, V] (float,
    on the CPU) and the step t, and returns per row a token, or None where that row ends (nothing appended; rows that
    ended are ignored after). At most max_new tokens, and never past the model's max_len. Returns the new ids per row."""
    cfg, device = model.cfg, next(model.parameters()).device
    B, T = len(prefixes), len(prefixes[0])
    hd = cfg.d_model // cfg.n_head
    past = [(torch.zeros(B, cfg.n_head, 0, hd, device=device),) * 2 for _ in range(cfg.n_layer)]
    logits, past = model.decode(torch.tensor(prefixes, device=device), torch.arange(T, device=device).expand(B, T),
                                torch.ones(B, T, dtype=torch.long, device=device), past)
    out, live = [[] for _ in range(B)], [True] * B
    steps = min(max_new, cfg.max_len - T)
    for t in range(steps):
        picks = choose(logits[:, -1].float().cpu(), t)
        for b in range(B):
            live[b] = live[b] and picks[b] is not None
            if live[b]:
                out[b].append(int(picks[b]))
        if not any(live) or t == steps - 1:
            break
        nxt = torch.tensor([[int(picks[b]) if live[b] else PAD] for b in range(B)], device=device)
        logits, past = model.decode(nxt, torch.full((B, 1), T + t, dtype=torch.long, device=device),
                                    torch.ones(B, T + t + 1, dtype=torch.long, device=device), past)
    return out
