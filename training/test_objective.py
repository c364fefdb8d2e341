import numpy as np
import torch
import torch.nn.functional as F

from objective import BOS, CLS, PAD, ARCollator, ILMCollator, RowLogSumExp, ar_loss, group, ilm_drop, ilm_loss


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
    tok, stop = ilm_loss(logits, torch.randn(2, 2), batch)
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


def test_complete_frac_leaves_that_share_of_examples_complete():
    rng = np.random.default_rng(0)
    examples = [([], list(range(5, 45)))] * 2000
    items = []
    collate = ILMCollator(complete_frac=0.25)
    collate.collate = lambda its: items.extend(its)  # look at the drops, not the batches
    collate(examples, rng)
    complete = np.mean([it["n"] == 0 for it in items])
    assert abs(complete - (0.25 + 0.75 / 41)) < 0.03  # on purpose, plus U{0..40} drawing 0
    # at 0 the random stream is the plain objective's: the same drops as ilm_drop alone
    plain, seen = ILMCollator(), []
    plain.collate = lambda its: seen.extend(it["n"] for it in its)
    plain(examples[:50], np.random.default_rng(3))
    rng = np.random.default_rng(3)
    assert seen == [ilm_drop(p, b, rng)["n"] for p, b in examples[:50]]


def test_loss_matches_dense_bruteforce():
    rng = np.random.default_rng(2)
    V = 13
    for trial in range(20):
        ex = [(rng.integers(5, V, size=rng.integers(0, 3)).tolist(), rng.integers(5, V, size=rng.integers(0, 9)).tolist())
              for _ in range(5)]
        for batch in ILMCollator(micro_tokens=24)(ex, rng):
            B, L = batch["input_ids"].shape
            logits, stop_logits = torch.randn(B, L, V, dtype=torch.float64), torch.randn(B, 2)
            tok, stop = ilm_loss(logits, stop_logits, batch)
            dense = torch.zeros(B, L, V, dtype=torch.float64)
            dense.index_put_((batch["tgt_b"], batch["tgt_row"], batch["tgt_tok"]), batch["tgt_w"].double(), accumulate=True)
            for b in range(B):
                rows = batch["allowed"][b]
                logp = F.log_softmax(logits[b, rows].flatten(), 0)
                assert torch.allclose(tok[b].double(), -(dense[b, rows].flatten() * logp).sum(), atol=1e-5)
                assert dense[b, ~rows].sum() == 0
                label = int(batch["n"][b] > 0)
                assert torch.allclose(stop[b], -F.log_softmax(stop_logits[b], 0)[label])


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
