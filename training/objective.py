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
    """The paper's drop: n ~ U{0..len(body)} body tokens chosen uniformly over the whole window (n given: that
    many). Returns ilm_item of the result."""
    dropped = np.zeros(len(body), dtype=bool)
    if n is None:
        n = int(rng.integers(0, len(body) + 1))
    dropped[rng.choice(len(body), size=n, replace=False)] = True
    return ilm_item(prompt, body, dropped)


SPAN_LENGTHS = (2, 128)  # unaligned spans: log-uniform in tokens, a clause to a paragraph
MAX_SPANS, MAX_SENTENCES = 3, 3
# Share of spans dropped whole: an empty gap between intact text is where every fill starts (and what the estimate
# a writer sees reads), but a uniform share alone makes it 1 in span-length of the spans.
SPAN_WHOLE = 0.25
# Share of spans that drop nothing: a finished gap, marked but complete, is where every fill should stop.
SPAN_NONE = 0.2


def span_drop(n_body, rng, sentence_starts=()):
    """Drops shaped like the gaps a writer marks: 1..MAX_SPANS contiguous spans of the body, each either
    1..MAX_SENTENCES whole sentences (half of the spans, where the window has a sentence start) or an unaligned
    span of log-uniform length in SPAN_LENGTHS; each span is dropped whole (SPAN_WHOLE of them), not at all
    (SPAN_NONE) or a uniformly random share of its tokens (at least one), the sparse skeleton a growing gap has.
    sentence_starts: sorted body indices where a sentence begins. Returns (bool mask over the body, the spans as
    [start, end) body indices): the spans are the gaps, whatever was dropped inside them."""
    dropped = np.zeros(n_body, dtype=bool)
    spans = []
    if n_body == 0:
        return dropped, [(0, 0)]  # the empty body's one gap
    starts = np.asarray(sentence_starts, dtype=np.int64)
    for _ in range(int(rng.integers(1, MAX_SPANS + 1))):
        if len(starts) and rng.random() < 0.5:
            first = int(rng.integers(0, len(starts)))
            last = first + int(rng.integers(1, MAX_SENTENCES + 1))
            a, b = int(starts[first]), int(starts[last]) if last < len(starts) else n_body
        else:
            lo, hi = SPAN_LENGTHS[0], max(SPAN_LENGTHS[0], min(SPAN_LENGTHS[1], n_body))
            length = min(n_body, int(round(np.exp(rng.uniform(np.log(lo), np.log(hi))))))
            a = int(rng.integers(0, n_body - length + 1))
            b = a + length
        u = rng.random()
        k = b - a if u < SPAN_WHOLE else 0 if u < SPAN_WHOLE + SPAN_NONE else int(rng.integers(1, b - a + 1))
        if k:
            dropped[a + rng.choice(b - a, size=k, replace=False)] = True
        spans.append((a, b))
    return dropped, spans


def ilm_item(prompt, body, dropped, spans=None):
    """One training example from a drop mask over the body: a dict with the kept sequence `ids`, `bos` (row of
    BOS), `n` (tokens dropped), and sparse targets: dropped body token j goes to the row of the nearest kept
    token left of it (the BOS row if none) with weight 1/n. Summing duplicates gives c_i(v)/n; counting
    them per row gives c_i, the length head's target. spans ([start, end) body indices, covering every dropped
    token): the gaps as a writer marks them; `allowed_rows` are then their slots, the row before each span's first
    token and the rows of its kept tokens (None: every row from BOS on, the paper's setting)."""
    body = np.asarray(body, dtype=np.int64)
    n = int(dropped.sum())
    ids, bos = frame(prompt, body[~dropped].tolist())
    # The k-th kept body token (k = 1, 2, ...) sits at row bos + k, so dropped token j belongs to row
    # bos + (number of kept tokens before j); for a dropped j that count is cumsum(kept)[j].
    kept_before = np.concatenate([[0], np.cumsum(~dropped)])
    rows = bos + kept_before[:-1][dropped]
    allowed_rows = None
    if spans is not None:
        allowed_rows = np.unique(np.concatenate([np.arange(bos + kept_before[a], bos + kept_before[b] + 1)
                                                 for a, b in spans])).astype(np.int64)
        assert np.isin(rows, allowed_rows).all(), "a dropped token outside every span"
    return dict(ids=ids, bos=bos, n=n, rows=rows, toks=body[dropped], w=np.full(n, 1.0 / max(n, 1)),
                allowed_rows=allowed_rows)


DROP_KINDS = ("scatter", "span", "complete")


def parse_drops(text):
    """'scatter:0.3,span:0.6,complete:0.1' -> {kind: weight} (weights normalised to sum 1)."""
    weights = {}
    for part in text.split(","):
        kind, _, w = part.partition(":")
        if kind not in DROP_KINDS:
            raise ValueError(f"unknown drop kind {kind!r} (known: {', '.join(DROP_KINDS)})")
        weights[kind] = float(w or 1)
    total = sum(weights.values())
    if total <= 0 or min(weights.values()) < 0:
        raise ValueError(f"drop weights must be >= 0 and not all 0: {text!r}")
    return {k: w / total for k, w in weights.items()}


def sentence_starts(body, sentence_end):
    """Body indices where a sentence begins: 0 and every index right after a token that ends a sentence.
    sentence_end: bool per vocabulary id (None: no sentence boundaries known)."""
    if sentence_end is None or len(body) == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.flatnonzero(sentence_end[np.asarray(body)][:-1]) + 1
    return np.concatenate([[0], ends])


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


def crop(body, rng, min_len):
    """A random stretch of the body, its length uniform in min_len..len(body). Windows all of one length let the
    model read the number of dropped tokens off the number kept (the positions count the kept ones), which tells
    it nothing about a writer's draft, whose length is anything."""
    n = int(rng.integers(min(min_len, len(body)), len(body) + 1))
    a = int(rng.integers(0, len(body) - n + 1))
    return body[a:a + n]


class ILMCollator:
    """examples -> list of micro-batches (dicts of tensors). Each example gets its own random drop, of a kind
    drawn from `drops` ({kind: weight}; default: the paper's scatter only): "scatter" (ilm_drop), "span"
    (span_drop; sentence_end, a bool per vocabulary id, aligns half the spans to sentences; only the spans' slots are
    allowed) or "complete"
    (nothing dropped: n ~ U{0..L} alone makes those ~1/L of the examples, too rare for the stop decision).
    crop_min: each body is first cut to a random stretch of at least that many tokens (crop)."""

    def __init__(self, micro_tokens=1024, sort=True, device=None, drops=None, sentence_end=None, crop_min=None):
        self.micro_tokens, self.sort, self.device = micro_tokens, sort, device
        self.drops = drops or {"scatter": 1.0}
        self.sentence_end = sentence_end
        self.crop_min = crop_min

    def drop(self, prompt, body, rng, kind):
        if kind == "scatter":
            return ilm_drop(prompt, body, rng)
        if kind == "span":
            return ilm_item(prompt, body, *span_drop(len(body), rng, sentence_starts(body, self.sentence_end)))
        return ilm_item(prompt, body, np.zeros(len(body), dtype=bool))

    def __call__(self, examples, rng):
        if self.crop_min is not None:
            examples = [(p, crop(b, rng, self.crop_min)) for p, b in examples]
        kinds = list(self.drops)
        if len(kinds) == 1:  # one kind draws nothing extra: the paper's setting keeps its random stream
            chosen = kinds * len(examples)
        else:
            chosen = rng.choice(kinds, size=len(examples), p=[self.drops[k] for k in kinds])
        return self.collate([self.drop(p, b, rng, k) for (p, b), k in zip(examples, chosen)])

    def collate(self, items):
        """ilm_drop outputs -> micro-batches."""
        return [self.batch([items[i] for i in idx])
                for idx in group([len(it["ids"]) for it in items], self.micro_tokens, self.sort)]

    def batch(self, items):
        out = pad([it["ids"] for it in items])
        bos = torch.tensor([it["bos"] for it in items])[:, None]
        out["allowed"] = (torch.arange(out["input_ids"].shape[1])[None, :] >= bos) & out["attention_mask"].bool()
        for b, it in enumerate(items):  # span drops: only the spans' slots, as the app allows only a gap's slots
            if it.get("allowed_rows") is not None:
                out["allowed"][b] = False
                out["allowed"][b, torch.as_tensor(it["allowed_rows"])] = True
        cat = lambda key, dtype: torch.as_tensor(np.concatenate([it[key] for it in items]), dtype=dtype)
        out["tgt_b"] = torch.cat([torch.full((len(it["rows"]),), b, dtype=torch.long) for b, it in enumerate(items)])
        out["tgt_row"], out["tgt_tok"], out["tgt_w"] = cat("rows", torch.long), cat("toks", torch.long), cat("w", torch.float32)
        out["n"] = torch.tensor([it["n"] for it in items])
        out["stop_label"] = (out["n"] > 0).long()  # 0 = "text complete", 1 = "tokens are missing"
        counts = torch.zeros(out["input_ids"].shape, dtype=torch.float32)
        out["gap_count"] = counts.index_put_((out["tgt_b"], out["tgt_row"]), torch.ones(len(out["tgt_b"])), accumulate=True)
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


def ilm_loss(token_logits, stop_logits, lengths, batch):
    """Per-example ILM losses (token, stop, length), each [B].

    For one example with n dropped tokens and allowed rows A (BOS row and body rows; for span drops the spans' slots):
        token = - sum_{i in A} sum_v (c_i(v) / n) * log softmax_{(i,v) in A x V}(logits)[i, v]
    where c_i(v) counts dropped tokens equal to v lying between kept token i and the next kept one: ONE
    softmax over all (gap, token) pairs of the example, not one per row. token = 0 when n = 0, and it is
    not divided further. stop = CE(stop_logits, [n > 0]).
    With the length head's lambda_i >= 0 (expected tokens missing right after row i) and c_i = sum_v c_i(v):
        length = (1 / |A|) * sum_{i in A} (lambda_i - c_i log lambda_i - (c_i - c_i log c_i))
    the Poisson negative log-likelihood of c_i per allowed row (minus its value at lambda_i = c_i, so it is
    >= 0 and 0 when exact; 0 log 0 = 0), averaged over rows so it is O(1) per example whatever the window's
    length, and its weight a plain factor. length = 0 without the head (lengths None).
    The caller averages token + w_stop * stop + w_length * length over examples.
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
    if lengths is None:
        return token, stop, torch.zeros_like(token)
    return token, stop, poisson_length_loss(lengths.float(), batch["gap_count"], batch["allowed"])


def poisson_length_loss(lengths, counts, allowed):
    """Per example: mean over allowed rows of lambda - c log lambda - (c - c log c) (see ilm_loss)."""
    lam = lengths.clamp_min(1e-6)
    exact = counts - torch.xlogy(counts, counts)  # the NLL's value at lambda = c
    per_row = (lam - counts * lam.log() - exact) * allowed
    return per_row.sum(-1) / allowed.sum(-1).clamp_min(1)


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
