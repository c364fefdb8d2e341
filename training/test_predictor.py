import numpy as np
import pytest
import torch

from model import ModelConfig, Transformer
from objective import SPECIAL_IDS, ILMCollator, ilm_loss
from predictor import generate

SENTENCES = [[5, 9, 12, 7, 20, 11, 6, 15], [8, 14, 10, 19, 13, 17, 16], [21, 18, 22, 23, 5, 24]]


def target_entropy(batch):
    """Per-example entropy of the (row, token) targets: the floor of the token loss."""
    out = torch.zeros(len(batch["n"]))
    for b in range(len(out)):
        sel = batch["tgt_b"] == b
        keys = batch["tgt_row"][sel] * 1000 + batch["tgt_tok"][sel]
        w = torch.zeros(keys.max().item() + 1 if sel.any() else 1).index_add_(0, keys, batch["tgt_w"][sel])
        w = w[w > 0]
        out[b] = -(w * w.log()).sum()
    return out


def overfit(steps=300, length_head=False, drops=None):
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=25, n_layer=2, n_head=4, d_model=64, d_ff=128, max_len=16,
                                    length_head=length_head))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    rng, collate, losses = np.random.default_rng(0), ILMCollator(drops=drops), []
    examples = [([], s) for s in SENTENCES] * 8
    for _ in range(steps):
        excess = 0.0
        for batch in collate(examples, rng):  # micro-batches of one step
            tok, stop, length = ilm_loss(*model(batch["input_ids"], batch["positions"], batch["attention_mask"]), batch)
            loss = (tok + stop + length).sum() / len(examples)
            loss.backward()
            excess += loss.item() - target_entropy(batch).sum().item() / len(examples)  # over the floor
        opt.step()
        opt.zero_grad()
        losses.append(excess)
    return model.eval(), losses


def test_tiny_model_overfits_and_regenerates_a_sentence():
    model, losses = overfit()
    assert np.mean(losses[-20:]) < 0.1 * np.mean(losses[:5])
    out = generate(model, [([], [], None)], max_steps=12)[0]
    assert out["body"] in SENTENCES and out["stop_reason"] == "stop"
    # infill: given every other token of a memorised sentence, restore it
    s = SENTENCES[0]
    out = generate(model, [([], s[::2], None)], max_steps=12)[0]
    assert out["body"] == s, out


def test_length_head_ends_a_gap_when_nothing_is_missing():
    model, _ = overfit(length_head=True, drops={"scatter": 0.4, "span": 0.4, "complete": 0.2})
    s = SENTENCES[1]  # 8 14 10 19 13 17 16: remove 10 19 13, allow only their gap
    out = generate(model, [([], s[:2] + s[5:], [False, False, True, False, False])], max_steps=10,
                   stop_threshold=1.1)[0]  # the stop head can never stop it: the length head must
    assert out["body"] == s and out["stop_reason"] == "stop" and out["remaining"] < 0.5, out
    with torch.no_grad():  # before filling, the head expects about the 3 missing tokens there
        _, _, lam = model(torch.tensor([[1, 2, 8, 14, 17, 16]]), torch.arange(6)[None], torch.ones(1, 6, dtype=torch.long))
    assert 2 < lam[0, 3] < 4.5 and lam[0, [1, 2, 4, 5]].max() < 0.5, lam
    # without the length head's rule, the same model runs to its budget
    out = generate(model, [([], s[:2] + s[5:], [False, False, True, False, False])], max_steps=10,
                   stop_threshold=1.1, length_threshold=None)[0]
    assert out["stop_reason"] in ("max_steps", "max_len") and out["remaining"] is None


def tiny():
    torch.manual_seed(1)
    return Transformer(ModelConfig(vocab_size=30, n_layer=1, n_head=2, d_model=16, d_ff=32, max_len=24)).eval()


def test_greedy_is_deterministic_and_respects_masks():
    model = tiny()
    ex = [([11, 12], [20, 21, 22], [False, True, False, False]), ([], [25], None), ([13], [], None)]
    a = generate(model, ex, max_steps=6, stop_threshold=1.1)
    assert a == generate(model, ex, max_steps=6, stop_threshold=1.1)
    assert [generate(model, [e], max_steps=6, stop_threshold=1.1)[0] for e in ex] == a  # batching changes nothing
    for (prompt, body, _), r in zip(ex, a):
        assert r["ids"][:len(prompt) + 2] == [1, *prompt, 2] and len(r["steps"]) == 6 and r["stop_reason"] == "max_steps"
        assert not set(r["body"]) & set(SPECIAL_IDS)
    # only gap 1 (between 20 and 21) and gaps created inside it may receive tokens
    body = a[0]["body"]
    assert body[0] == 20 and body[-2:] == [21, 22] and len(body) == 9


def test_stop_threshold_and_min_steps():
    model = tiny()
    never = generate(model, [([], [7], None)], max_steps=3, stop_threshold=0.0, min_steps=0)[0]
    assert never["steps"] == [] and never["stop_reason"] == "stop"
    once = generate(model, [([], [7], None)], max_steps=3, stop_threshold=0.0, min_steps=1)[0]
    assert len(once["steps"]) == 1 and once["stop_reason"] == "stop"
    step, row, tok, p = once["steps"][0]
    assert step == 0 and row in (1, 2) and 0 <= p <= 1


def test_sampling_is_seeded_and_joint_mode_runs():
    model = tiny()
    run = lambda seed, gap: generate(model, [([], [], None)], max_steps=5, stop_threshold=1.1, gap=gap, sample="top_p",
                                     top_p=0.9, generator=torch.Generator().manual_seed(seed))[0]["body"]
    assert run(3, "marginal") == run(3, "marginal") and len(run(3, "joint")) == 5
    assert len({tuple(run(s, "marginal")) for s in range(6)}) > 1
    g = generate(model, [([], [5, 6], None)], max_steps=4, stop_threshold=1.1, gap="joint")[0]
    assert len(g["body"]) == 6


def test_parallel_inserts_into_distinct_gaps_per_pass_and_keeps_the_budget():
    model = tiny()
    calls = []
    forward = model.forward
    model.forward = lambda *a, **kw: calls.append(1) or forward(*a, **kw)
    out = generate(model, [([], [20, 21, 22, 23], None)], max_steps=7, stop_threshold=1.1, parallel=3)[0]
    # 5 gaps: the first pass fills 3 of them, the second 3 more, the third the one left in the budget
    assert len(out["steps"]) == 7 and out["stop_reason"] == "max_steps" and len(calls) == 4
    rest = iter(out["body"])
    assert all(t in rest for t in [20, 21, 22, 23])  # the fixed tokens are still there, in order
    one = generate(model, [([], [20, 21], [False, True, False])], max_steps=4, stop_threshold=1.1, parallel=4)[0]
    assert one["body"][0] == 20 and one["body"][-1] == 21 and len(one["body"]) == 6


def test_planned_length_ends_a_gap_when_the_first_estimate_is_used_up():
    # A length head that says 2.5 tokens are missing after every row, whatever the text: the running estimate never
    # falls below the threshold (it even grows with the gap's slots), the planned one ends the gap after 3 tokens
    # (2.5 - 3 < 0.5 <= 2.5 - 2).
    torch.manual_seed(1)
    model = Transformer(ModelConfig(vocab_size=30, n_layer=1, n_head=2, d_model=16, d_ff=32, max_len=24,
                                    length_head=True)).eval()
    last = model.length_head[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(float(np.log(np.expm1(2.5))))  # softplus(b) = 2.5
    body, allowed = [5, 6, 7, 8], [False, False, True, False, False]
    running = generate(model, [([], body, allowed)], max_steps=10, stop_threshold=1.1, length_plan=False)[0]
    assert running["stop_reason"] == "max_steps" and len(running["body"]) == 14
    planned = generate(model, [([], body, allowed)], max_steps=10, stop_threshold=1.1)[0]  # the default rule
    assert planned["stop_reason"] == "stop" and len(planned["body"]) == 7, planned
    assert planned["plan"] == pytest.approx(2.5) and planned["remaining"] == pytest.approx(-0.5)
    assert planned["body"][:2] == body[:2] and planned["body"][-2:] == body[2:]
