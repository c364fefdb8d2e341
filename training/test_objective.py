import numpy as np
import torch
import torch.nn.functional as F

import pytest

from objective import (BOS, CLS, PAD, ARCollator, ILMCollator, RowLogSumExp, ar_loss, group, ilm_drop, ilm_item,
                       ilm_loss, parse_drops, sentence_starts, span_drop, crop)


class FixedDrop:
    """An rng whose 'random' subset is given: ilm_drop(..., n=len(idx)) drops exactly idx."""

    def __init__(self, idx):
        self.idx = np.array(idx, dtype=np.int64)

    def choice(self, n, size, replace):
        return self.idx


def targets(item):
    """{(row, token): weight}, duplicates summed: the c_i(v)/n of the notes."""
    out = {}
    for r, t, w in zip(item["rows"], item["toks"], item["w"]):
        out[(int(r), int(t))] = out.get((int(r), int(t)), 0.0) + w
    return out


def test_hand_case_drop_b_and_d():
    a, b, c, d = 10, 11, 12, 13
    it = ilm_drop([], [a, b, c, d], FixedDrop([1, 3]), n=2)
    assert it["ids"] == [CLS, BOS, a, c] and it["bos"] == 1
    # b lay between a (row 2) and c; d after c (row 3). The BOS row gets nothing.
    assert targets(it) == {(2, b): 0.5, (3, d): 0.5}


def test_hand_case_leftmost_gap_and_duplicates():
    it = ilm_drop([], [7, 7, 8], FixedDrop([0, 1]), n=2)
    assert it["ids"] == [CLS, BOS, 8] and targets(it) == {(1, 7): 1.0}  # c_BOS(7) = 2, n = 2
    it = ilm_drop([], [7, 8, 9], FixedDrop([0, 1, 2]), n=3)
    assert it["ids"] == [CLS, BOS] and targets(it) == {(1, 7): 1 / 3, (1, 8): 1 / 3, (1, 9): 1 / 3}


def test_prompt_is_never_dropped_or_targeted():
    it = ilm_drop([20, 21], [10, 11, 12], FixedDrop([0]), n=1)
    assert it["ids"] == [CLS, 20, 21, BOS, 11, 12] and it["bos"] == 3
    assert targets(it) == {(3, 10): 1.0}
    batch = ILMCollator().batch([it])
    assert batch["allowed"][0].tolist() == [False, False, False, True, True, True]
    assert batch["positions"][0].tolist() == list(range(6))  # contiguous over the kept sequence


def test_stop_labels_and_zero_drop():
    none = ilm_drop([], [5, 6, 7], FixedDrop([]), n=0)
    some = ilm_drop([], [5, 6, 7], FixedDrop([2]), n=1)
    batch = ILMCollator().batch([none, some])
    assert batch["stop_label"].tolist() == [0, 1]  # 0 = complete
    logits = torch.randn(2, batch["input_ids"].shape[1], 9)
    tok, stop, length = ilm_loss(logits, torch.randn(2, 2), None, batch)
    assert tok[0].item() == 0.0 and tok[1].item() > 0


def test_reinserting_dropped_tokens_restores_body():
    rng = np.random.default_rng(0)
    for _ in range(200):
        body = rng.integers(5, 12, size=rng.integers(0, 15)).tolist()
        prompt = rng.integers(5, 12, size=rng.integers(0, 3)).tolist()
        it = ilm_drop(prompt, body, rng)
        assert len(it["ids"]) == len(prompt) + 2 + len(body) - it["n"] and abs(sum(it["w"]) - (it["n"] > 0)) < 1e-9
        assert it["ids"][:it["bos"] + 1] == [CLS, *prompt, BOS]
        restored = []
        for row in range(it["bos"], len(it["ids"])):
            if row > it["bos"]:
                restored.append(it["ids"][row])
            restored += [int(t) for r, t in zip(it["rows"], it["toks"]) if r == row]  # kept in body order
        assert restored == body


def test_n_is_uniform_over_0_to_len():
    rng = np.random.default_rng(1)
    counts = np.bincount([ilm_drop([], [5] * 4, rng)["n"] for _ in range(5000)], minlength=5)
    assert counts.min() > 850 and counts.max() < 1150  # 1000 expected each


def drops_of(collate, examples, rng):
    """The items a collator draws, not its batches."""
    items = []
    collate.collate = lambda its: items.extend(its)
    collate(examples, rng)
    return items


def test_drop_mixture_draws_each_kind_at_its_weight():
    examples = [([], list(range(5, 45)))] * 3000
    items = drops_of(ILMCollator(drops=parse_drops("scatter:0.5,span:0.25,complete:0.25")), examples, np.random.default_rng(0))
    complete = np.mean([it["n"] == 0 and it["allowed_rows"] is None for it in items])
    assert abs(complete - (0.25 + 0.5 / 41)) < 0.03  # on purpose, plus U{0..40} drawing 0
    assert abs(np.mean([it["allowed_rows"] is not None for it in items]) - 0.25) < 0.03  # span drops mark their gaps
    assert all(it["n"] == 0 for it in drops_of(ILMCollator(drops={"complete": 1.0}), examples[:50], np.random.default_rng(1)))
    spans = drops_of(ILMCollator(drops={"span": 1.0}), examples[:400], np.random.default_rng(1))
    # nothing dropped in any span (each drops nothing with SPAN_NONE = 0.2): about 8% of span drops
    assert 0.03 < np.mean([it["n"] == 0 for it in spans]) < 0.15


def test_scatter_alone_is_the_papers_random_stream():
    examples = [([], list(range(5, 45)))] * 50
    seen = [it["n"] for it in drops_of(ILMCollator(), examples, np.random.default_rng(3))]
    rng = np.random.default_rng(3)
    assert seen == [ilm_drop(p, b, rng)["n"] for p, b in examples]


class Scripted:
    """An rng that answers each call with the next scripted value (and checks the call's arguments)."""

    def __init__(self, *script):
        self.script = list(script)

    def next(self, name, *args):
        want, args_want, value = self.script.pop(0)
        assert (name, args) == (want, args_want), ((name, args), (want, args_want))
        return value

    def integers(self, lo, hi):
        return self.next("integers", lo, hi)

    def random(self):
        return self.next("random")

    def uniform(self, lo, hi):
        return self.next("uniform", round(lo, 6), round(hi, 6))

    def choice(self, n, size, replace):
        return np.array(self.next("choice", n, size))


def test_span_drop_hand_case_sentence_aligned():
    # 12 body tokens, sentences start at 0, 4 and 8. One span (integers(1, 4) -> 1), aligned (random 0.1 < 0.5),
    # the 2nd sentence (first = 1), one sentence long: tokens 4..7; not whole (random 0.9), two of its four dropped,
    # at 4 + [0, 3].
    rng = Scripted(("integers", (1, 4), 1), ("random", (), 0.1), ("integers", (0, 3), 1), ("integers", (1, 4), 1),
                   ("random", (), 0.9), ("integers", (1, 5), 2), ("choice", (4, 2), [0, 3]))
    mask, spans = span_drop(12, rng, [0, 4, 8])
    assert np.flatnonzero(mask).tolist() == [4, 7] and spans == [(4, 8)] and not rng.script
    body = list(range(20, 32))
    it = ilm_item([], body, mask, spans)
    # kept: 20 21 22 23 | 25 26 | 28 ...; 24 goes after 23 (row 1 + 4 = 5), 27 after 26 (row 7)
    assert it["ids"] == [CLS, BOS, 20, 21, 22, 23, 25, 26, 28, 29, 30, 31]
    assert targets(it) == {(5, 24): 0.5, (7, 27): 0.5}
    batch = ILMCollator().batch([it])
    assert batch["gap_count"][0].tolist() == [0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]
    # the span's slots: after 23 (row 5, before the span), after 25 and after 26 (rows 6, 7, the kept tokens in it)
    assert np.flatnonzero(batch["allowed"][0].numpy()).tolist() == [5, 6, 7]


def test_span_drop_hand_case_unaligned_span():
    # Two spans, both unaligned. Span 1: length exp(log 8) = 8 at 2 (tokens 2..9), dropped whole (random 0.1).
    # Span 2: length exp(log 2) = 2 at 0 (tokens 0..1), not whole, one dropped (index 1).
    lo, hi = round(np.log(2), 6), round(np.log(20), 6)
    rng = Scripted(("integers", (1, 4), 2), ("random", (), 0.9), ("uniform", (lo, hi), np.log(8)), ("integers", (0, 13), 2),
                   ("random", (), 0.1), ("choice", (8, 8), list(range(8))),
                   ("random", (), 0.7), ("uniform", (lo, hi), np.log(2)), ("integers", (0, 19), 0),
                   ("random", (), 0.9), ("integers", (1, 3), 1), ("choice", (2, 1), [1]))
    mask, spans = span_drop(20, rng, [0, 10])
    assert np.flatnonzero(mask).tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9] and spans == [(2, 10), (0, 2)] and not rng.script
    # kept: 0 | 10 11 ...: span (2, 10) is the empty gap after body token 0 (row 2); span (0, 2) the BOS row and row 2
    it = ilm_item([], list(range(30, 50)), mask, spans)
    assert it["allowed_rows"].tolist() == [1, 2] and targets(it) == {(2, 30 + j): 1 / 9 for j in range(1, 10)}


def test_span_drop_hand_case_nothing_dropped():
    # One unaligned span of 3 at 5 that drops nothing (0.25 <= random 0.3 < 0.25 + 0.2): a finished gap, still marked.
    lo, hi = round(np.log(2), 6), round(np.log(10), 6)
    rng = Scripted(("integers", (1, 4), 1), ("uniform", (lo, hi), np.log(3)), ("integers", (0, 8), 5), ("random", (), 0.3))
    mask, spans = span_drop(10, rng)
    assert not mask.any() and spans == [(5, 8)] and not rng.script
    it = ilm_item([], list(range(30, 40)), mask, spans)
    # slots after body tokens 4, 5, 6 and 7: rows 6..9, nothing missing in any
    assert it["n"] == 0 and it["allowed_rows"].tolist() == [6, 7, 8, 9]
    assert ILMCollator().batch([it])["stop_label"].tolist() == [0]


def test_span_drops_are_local_and_keep_a_random_share():
    rng = np.random.default_rng(5)
    starts = list(range(0, 250, 12))
    shares = []
    for _ in range(400):
        mask, spans = span_drop(250, rng, starts)
        d = np.flatnonzero(mask)
        assert all(any(a <= j < b for a, b in spans) for j in d)
        if len(d) == 0:
            continue
        # at most 3 spans of at most 128 tokens cover every dropped token (greedy cover from the left)
        spans, i = 0, 0
        while i < len(d):
            spans += 1
            i = np.searchsorted(d, d[i] + 128)
        assert spans <= 3
        shares.append(len(d) / (d[-1] - d[0] + 1))
    assert 0.45 < np.mean(shares) < 0.85  # a uniform share per span, or whole: sparse skeletons and empty gaps


def test_crop_cuts_a_random_stretch_of_random_length():
    # length integers(4, 11) -> 5, start integers(0, 6) -> 2: tokens 2..6
    rng = Scripted(("integers", (4, 11), 5), ("integers", (0, 6), 2))
    assert crop(list(range(10)), rng, 4) == [2, 3, 4, 5, 6] and not rng.script
    assert crop([7, 8], np.random.default_rng(0), 4) == [7, 8]  # shorter than the minimum: kept whole
    rng = np.random.default_rng(1)
    lengths = [len(crop(list(range(254)), rng, 16)) for _ in range(2000)]
    assert min(lengths) >= 16 and max(lengths) == 254 and abs(np.mean(lengths) - 135) < 6  # uniform in 16..254
    # the collator crops before it drops, so the kept count no longer tells how much was dropped
    items = drops_of(ILMCollator(drops={"complete": 1.0}, crop_min=16), [([], list(range(5, 259)))] * 50, rng)
    assert len({len(it["ids"]) for it in items}) > 20


def test_sentence_starts_follow_sentence_end_tokens():
    ends = np.zeros(20, dtype=bool)
    ends[[7, 9]] = True  # say "." and "?"
    assert sentence_starts([5, 6, 7, 5, 9, 9, 6], ends).tolist() == [0, 3, 5, 6]
    assert sentence_starts([5, 6, 7], ends).tolist() == [0]  # a final "." starts nothing inside the window
    assert sentence_starts([5, 6], None).tolist() == []


def test_parse_drops():
    assert parse_drops("scatter:1") == {"scatter": 1.0}
    assert parse_drops("scatter:3,span:6,complete:1") == {"scatter": 0.3, "span": 0.6, "complete": 0.1}
    for bad in ("blob:1", "span:0", "span:-1,scatter:2"):
        with pytest.raises(ValueError):
            parse_drops(bad)


def test_length_loss_hand_case():
    # body 10 11 12 13 14, 11 and 12 dropped: kept [CLS, BOS, 10, 13, 14], c = 2 at row 2 (after 10).
    it = ilm_item([], [10, 11, 12, 13, 14], np.array([False, True, True, False, False]))
    batch = ILMCollator().batch([it])
    assert batch["gap_count"][0].tolist() == [0, 0, 2, 0, 0]
    lam = torch.tensor([[7.0, 1.0, 2.0, 0.5, 1.0]])  # row 0 (CLS) is not allowed: its 7 does not count
    _, _, length = ilm_loss(torch.zeros(1, 5, 16), torch.zeros(1, 2), lam, batch)
    # rows 1..4: 1 + (2 - 2 log 2 - (2 - 2 log 2)) + 0.5 + 1 = 2.5, over |A| = 4 rows
    assert torch.allclose(length, torch.tensor([0.625]))
    lam_exact = torch.tensor([[7.0, 1e-9, 2.0, 1e-9, 1e-9]])
    assert ilm_loss(torch.zeros(1, 5, 16), torch.zeros(1, 2), lam_exact, batch)[2].item() < 1e-5  # 0 when exact


def test_loss_matches_dense_bruteforce():
    rng = np.random.default_rng(2)
    V = 13
    for trial in range(20):
        ex = [(rng.integers(5, V, size=rng.integers(0, 3)).tolist(), rng.integers(5, V, size=rng.integers(0, 9)).tolist())
              for _ in range(5)]
        for batch in ILMCollator(micro_tokens=24, drops=parse_drops("scatter:1,span:1,complete:1"))(ex, rng):
            B, L = batch["input_ids"].shape
            logits, stop_logits = torch.randn(B, L, V, dtype=torch.float64), torch.randn(B, 2)
            lam = torch.rand(B, L, dtype=torch.float64) * 3
            tok, stop, length = ilm_loss(logits, stop_logits, lam, batch)
            dense = torch.zeros(B, L, V, dtype=torch.float64)
            dense.index_put_((batch["tgt_b"], batch["tgt_row"], batch["tgt_tok"]), batch["tgt_w"].double(), accumulate=True)
            for b in range(B):
                rows = batch["allowed"][b]
                logp = F.log_softmax(logits[b, rows].flatten(), 0)
                assert torch.allclose(tok[b].double(), -(dense[b, rows].flatten() * logp).sum(), atol=1e-5)
                assert dense[b, ~rows].sum() == 0
                label = int(batch["n"][b] > 0)
                assert torch.allclose(stop[b], -F.log_softmax(stop_logits[b], 0)[label])
                c = dense[b].sum(-1) * batch["n"][b]  # tokens dropped per row
                nll = torch.distributions.Poisson(lam[b, rows]).log_prob(c[rows].round())
                best = torch.distributions.Poisson(c[rows].clamp_min(1e-12)).log_prob(c[rows].round())
                assert torch.allclose(length[b].double(), (best - nll).mean(), atol=1e-5)


def test_grouping_covers_all_and_limits_padding():
    rng = np.random.default_rng(3)
    lengths = rng.integers(2, 100, size=300)
    for sort in (True, False):
        batches = group(lengths, 1000, sort)
        assert sorted(i for b in batches for i in b) == list(range(300))
        assert all(len(b) * max(lengths[b]) <= 1000 for b in batches)
    padded = lambda bs: sum(len(b) * max(lengths[b]) for b in bs)
    assert padded(group(lengths, 1000, True)) < 0.8 * padded(group(lengths, 1000, False))
    assert group([50, 2000, 10], 100) == [[2, 0], [1]]  # an over-long example still gets its own batch


def test_collator_batches_are_padded_consistently():
    rng = np.random.default_rng(4)
    ex = [([], rng.integers(5, 30, size=40).tolist()) for _ in range(16)]
    total = 0
    for batch in ILMCollator(micro_tokens=128)(ex, rng):
        mask = batch["attention_mask"].bool()
        assert (batch["input_ids"][~mask] == PAD).all() and not batch["allowed"][~mask].any()
        assert (batch["tgt_row"] < mask.sum(1)[batch["tgt_b"]]).all()
        total += len(batch["n"])
    assert total == 16


def test_ar_targets_and_loss():
    batch = ARCollator()([([20], [10, 11, 12]), ([], [13])])[0]
    # sorted by length: ([], [13]) first
    assert batch["input_ids"].tolist() == [[CLS, BOS, 13, PAD, PAD, PAD], [CLS, 20, BOS, 10, 11, 12]]
    assert batch["targets"].tolist() == [[-100, 13, -100, -100, -100, -100], [-100, -100, 10, 11, 12, -100]]
    logits = torch.randn(2, 6, 20)
    nll, n = ar_loss(logits, batch)
    lp = F.log_softmax(logits, -1)
    want = -(lp[0, 1, 13] + lp[1, 2, 10] + lp[1, 3, 11] + lp[1, 4, 12])
    assert n.item() == 4 and torch.allclose(nll, want)


def test_row_logsumexp_gradient():
    x = torch.randn(3, 4, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(RowLogSumExp.apply, (x,))
