"""ILM and AR training objectives: collators (examples -> padded micro-batches) and losses.

An example is (prompt_ids, body_ids). The model sees `[CLS] prompt [BOS] body`; only body tokens are dropped
and only the BOS row and body rows may insert (row i = "insert right after token i", BOS row = leftmost gap).
The ILM collator physically REMOVES the dropped tokens and groups examples of similar kept length into
micro-batches: on CPU that is where the speed comes from (removing alone loses it all to padding).
"""
import numpy as np
import torch
import torch.nn.functional as F

PAD, CLS, BOS, EOS, MASK = 0, 1, 2, 3, 4  # fixed special ids shared with tokenizer.py and the app
SPECIAL_IDS = (PAD, CLS, BOS, EOS, MASK)


def frame(prompt, body):
    """Token ids of `[CLS] prompt [BOS] body` and the row of BOS."""
    return [CLS, *prompt, BOS, *body], 1 + len(prompt)


def ilm_drop(prompt, body, rng, n=None):
    """Drop n ~ U{0..len(body)} random body tokens. Returns a dict with the kept sequence `ids`, `bos` (row
    of BOS), `n`, and sparse targets: dropped body token j goes to the row of the nearest kept token left
    of it (the BOS row if none) with weight 1/n. Summing duplicates gives c_i(v)/n."""
    body = np.asarray(body, dtype=np.int64)
    if n is None:
        n = int(rng.integers(0, len(body) + 1))
    dropped = np.zeros(len(body), dtype=bool)
    dropped[rng.choice(len(body), size=n, replace=False)] = True
    ids, bos = frame(prompt, body[~dropped].tolist())
    # The k-th kept body token (k = 1, 2, ...) sits at row bos + k, so dropped token j belongs to row
    # bos + (number of kept tokens before j); for a dropped j that count is cumsum(kept)[j].
    rows = bos + np.cumsum(~dropped)[dropped]
    return dict(ids=ids, bos=bos, n=n, rows=rows, toks=body[dropped], w=np.full(n, 1.0 / max(n, 1)))


BATCH_OVERHEAD = 64  # fixed cost of one forward/backward pass, in padded positions (measured on CPU)


def group(lengths, micro_tokens, sort=True):
    """Split example indices into micro-batches whose padded size (count x longest) stays <= micro_tokens.
    sort=True: sort by length and cut the sorted list where padding + BATCH_OVERHEAD per batch is least
    (exact, by dynamic programming). sort=False: fill batches in the given order (for measurements)."""
    lengths = np.maximum(np.asarray(lengths, dtype=np.int64), 1)
    if not sort:
        batches, cur = [], []
        for i in range(len(lengths)):
            if cur and (len(cur) + 1) * max(lengths[cur + [i]]) > micro_tokens:
                batches.append(cur)
                cur = []
            cur.append(i)
        return batches + [cur] if cur else batches
    order = np.argsort(lengths, kind="stable")
    sl = lengths[order]
    n = len(sl)
    best, cut = np.zeros(n + 1), np.zeros(n + 1, dtype=np.int64)
    for j in range(1, n + 1):  # best[j]: cheapest split of the j shortest; the last batch is sl[i:j]
        i = np.arange(max(0, j - max(1, micro_tokens // sl[j - 1])), j)
        cost = best[i] + (j - i) * sl[j - 1] + BATCH_OVERHEAD
        k = int(np.argmin(cost))
        best[j], cut[j] = cost[k], i[k]
    batches, j = [], n
    while j > 0:
        batches.append(order[cut[j]:j].tolist())
        j = cut[j]
    return batches[::-1]


def pad(seqs):
    """Right-pad id lists; positions count 0.. over each sequence (for the ILM: over the KEPT tokens)."""
    B, L = len(seqs), max(len(s) for s in seqs)
    ids = torch.full((B, L), PAD, dtype=torch.long)
    mask = torch.zeros(B, L, dtype=torch.long)
    for b, s in enumerate(seqs):
        ids[b, :len(s)] = torch.as_tensor(s, dtype=torch.long)
        mask[b, :len(s)] = 1
    positions = torch.arange(L).expand(B, L).contiguous()
    return dict(input_ids=ids, positions=positions, attention_mask=mask)


def to_device(batch, device):
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()} if device else batch


class ILMCollator:
    """examples -> list of micro-batches (dicts of tensors). Each example gets its own random drop."""

    def __init__(self, micro_tokens=1024, sort=True, device=None, complete_frac=0.0):
        self.micro_tokens, self.sort, self.device = micro_tokens, sort, device
        # n ~ U{0..L} makes a complete window (n = 0, the stop head's only positive) ~1/L of the examples: too rare
        # for the head to learn. complete_frac of the examples are left complete on purpose.
        self.complete_frac = complete_frac

    def __call__(self, examples, rng):
        def n_drop():
            return 0 if self.complete_frac and rng.random() < self.complete_frac else None
        return self.collate([ilm_drop(p, b, rng, n_drop()) for p, b in examples])

    def collate(self, items):
        """ilm_drop outputs -> micro-batches."""
        return [self.batch([items[i] for i in idx])
                for idx in group([len(it["ids"]) for it in items], self.micro_tokens, self.sort)]

    def batch(self, items):
        out = pad([it["ids"] for it in items])
        bos = torch.tensor([it["bos"] for it in items])[:, None]
        out["allowed"] = (torch.arange(out["input_ids"].shape[1])[None, :] >= bos) & out["attention_mask"].bool()
        cat = lambda key, dtype: torch.as_tensor(np.concatenate([it[key] for it in items]), dtype=dtype)
        out["tgt_b"] = torch.cat([torch.full((len(it["rows"]),), b, dtype=torch.long) for b, it in enumerate(items)])
        out["tgt_row"], out["tgt_tok"], out["tgt_w"] = cat("rows", torch.long), cat("toks", torch.long), cat("w", torch.float32)
        out["n"] = torch.tensor([it["n"] for it in items])
        out["stop_label"] = (out["n"] > 0).long()  # 0 = "text complete", 1 = "tokens are missing"
        return to_device(out, self.device)


class RowLogSumExp(torch.autograd.Function):
    """logsumexp over the last dim. Autograd's own backward materialises x - lse, its exp and a product;
    softmax(x) * g is one fused kernel and an in-place multiply (~2.5x faster backward on CPU)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.logsumexp(x, dim=-1)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return torch.softmax(x, dim=-1).mul_(g.unsqueeze(-1))


def ilm_loss(token_logits, stop_logits, batch):
    """Per-example ILM losses, each [B].

    For one example with n dropped tokens and allowed rows A (BOS row and body rows):
        token = - sum_{i in A} sum_v (c_i(v) / n) * log softmax_{(i,v) in A x V}(logits)[i, v]
    where c_i(v) counts dropped tokens equal to v lying between kept token i and the next kept one: ONE
    softmax over all (gap, token) pairs of the example, not one per row. token = 0 when n = 0, and it is
    not divided further. stop = CE(stop_logits, [n > 0]). The caller averages token + w * stop over examples.
    The normaliser log sum_{(i,v)} exp = logsumexp over allowed rows of each row's logsumexp, and the
    targets are sparse (row, token, weight) triples: nothing of size L x V is built besides the logits.
    """
    logits = token_logits.float()
    row_lse = RowLogSumExp.apply(logits).masked_fill(~batch["allowed"], float("-inf"))
    lse = torch.logsumexp(row_lse, dim=-1)  # [B]
    b = batch["tgt_b"]
    logp = logits[b, batch["tgt_row"], batch["tgt_tok"]] - lse[b]
    token = torch.zeros_like(lse).index_add_(0, b, -batch["tgt_w"] * logp)
    stop = F.cross_entropy(stop_logits.float(), batch["stop_label"], reduction="none")
    return token, stop


class ARCollator:
    """examples -> micro-batches for next-token prediction over `[BOS] body` with the prompt as context."""

    def __init__(self, micro_tokens=1024, sort=True, device=None):
        self.micro_tokens, self.sort, self.device = micro_tokens, sort, device

    def __call__(self, examples, rng=None):
        items = [frame(p, b) for p, b in examples]
        return [self.batch([items[i] for i in idx])
                for idx in group([len(ids) for ids, _ in items], self.micro_tokens, self.sort)]

    def batch(self, items):
        out = pad([ids for ids, _ in items])
        # targets[t] = ids[t+1] where ids[t+1] is a body token; -100 elsewhere (ignored by cross_entropy)
        targets = torch.full_like(out["input_ids"], -100)
        for b, (ids, bos) in enumerate(items):
            targets[b, bos:len(ids) - 1] = torch.as_tensor(ids[bos + 1:])
        out["targets"] = targets
        return to_device(out, self.device)


def ar_loss(token_logits, batch):
    """Summed next-token NLL over body tokens and the number of them (the caller divides)."""
    t = batch["targets"]
    nll = F.cross_entropy(token_logits.float().flatten(0, 1), t.flatten(), ignore_index=-100, reduction="sum")
    return nll, (t != -100).sum()
