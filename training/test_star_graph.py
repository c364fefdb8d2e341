"""Star-graph generator invariants, exact-match scorer, task contract (fast: no training)."""
from collections import Counter, defaultdict

import numpy as np
import pytest

import star_graph as sg


def all_paths(edges, source, goal):
    adj = defaultdict(list)
    for u, v in edges:
        adj[u].append(v)
    out, stack = [], [[source]]
    while stack:
        p = stack.pop()
        if p[-1] == goal:
            out.append(p)
            continue
        for v in adj[p[-1]]:
            assert v not in p, "cycle"
            stack.append(p + [v])
    return out


@pytest.mark.parametrize("level", list(sg.LEVELS))
def test_generator_invariants(level):
    spec = sg.LEVELS[level]
    d = spec["degree"]
    graphs = sg.make_split(level, "train", 300, seed=7)
    for g in graphs:
        arms, edges, c = g["arms"], g["edges"], g["centre"]
        assert len(arms) == d
        lengths = [len(a) for a in arms]
        assert all(spec["min_len"] <= L <= spec["max_len"] for L in lengths)
        nodes = set(edges.reshape(-1).tolist())
        assert len(nodes) == sum(lengths) - d + 1  # arms share exactly the centre
        assert all(sg.NODE0 <= x < sg.NODE0 + spec["n_nodes"] for x in nodes)
        for a in arms:  # distinct ids within an arm, centre appears once, at least 2 nodes after it
            assert len(set(a)) == len(a) and a.count(c) == 1
            assert len(a) - 1 - a.index(c) >= 2
            if spec["centre_first"]:
                assert a[0] == c
        # only the centre is shared between arms
        for i in range(d):
            for j in range(i + 1, d):
                assert set(arms[i]) & set(arms[j]) == {c}
        assert len(edges) == sum(lengths) - d
        assert len({tuple(e) for e in edges.tolist()}) == len(edges)
        outdeg = Counter(edges[:, 0].tolist())
        indeg = Counter(edges[:, 1].tolist())
        assert outdeg[c] == d  # the planning decision: d ways out of the centre
        assert all(outdeg[x] <= 1 and indeg[x] <= 1 for x in nodes if x != c)
        assert g["source"] == arms[0][0] and g["goal"] == arms[0][-1] and g["path"] == arms[0]
        assert all_paths(edges.tolist(), g["source"], g["goal"]) == [g["path"]]  # the unique answer
    if level == "easy":
        assert all(len(g["path"]) == 5 and g["source"] == g["centre"] for g in graphs)
    else:  # arm lengths and centre positions actually vary
        assert len({len(a) for g in graphs for a in g["arms"]}) == spec["max_len"] - spec["min_len"] + 1
        assert {g["arms"][0].index(g["centre"]) for g in graphs} == set(range(spec["max_len"] - 2))


def test_edges_shuffled():
    for level in sg.PAPER_LEVELS:  # (tiny has 4 edges: 1 order in 24 is the arm order by chance)
        graphs = sg.make_split(level, "train", 200, seed=1)
        in_order = 0
        firsts = Counter()
        for g in graphs:
            ordered = [(a[i], a[i + 1]) for a in g["arms"] for i in range(len(a) - 1)]
            in_order += [tuple(e) for e in g["edges"].tolist()] == ordered
            firsts[g["edges"][0, 0] == g["source"]] += 1
        assert in_order <= 2
        assert firsts[False] > 100  # the first edge is usually not the source's


def test_deterministic_by_seed_and_split():
    a = sg.make_split("medium", "train", 50, seed=3)
    b = sg.make_split("medium", "train", 50, seed=3)
    c = sg.make_split("medium", "train", 50, seed=4)
    t = sg.make_split("medium", "test", 50, seed=3)
    key = lambda gs: [sg.graph_to_example(g) for g in gs]
    assert key(a) == key(b)
    assert key(a) != key(c) and key(a) != key(t)
    # the same seed gives the same graphs whatever n is (a prefix)
    assert key(sg.make_split("medium", "train", 20, seed=3)) == key(a)[:20]


def test_test_split_excludes_train_graphs():
    train = sg.make_split("medium", "train", 200, seed=0)
    keys = {sg.graph_key(g) for g in train}
    test = sg.make_split("medium", "test", 100, seed=0, exclude=keys)
    assert not keys & {sg.graph_key(g) for g in test}
    # a graph equal up to edge order is excluded
    g = dict(train[0], edges=train[0]["edges"][::-1])
    assert sg.graph_key(g) in keys


def test_example_format():
    g = sg.make_split("hard", "train", 1, seed=0)[0]
    prompt, body = sg.graph_to_example(g)
    E = len(g["edges"])
    assert len(prompt) == 2 * E + 2
    assert prompt[:-2] == g["edges"].reshape(-1).tolist() and prompt[-2:] == [g["source"], g["goal"]]
    k = len(g["path"])
    assert len(body) == 2 * (k - 1)
    assert body[0] == g["source"] and body[-1] == g["goal"]
    assert body[1::2] == g["path"][1:] and body[0::2] == g["path"][:-1]
    assert sg.path_to_body([5, 6, 7]) == [5, 6, 6, 7]
    assert sg.max_prompt_len("hard") >= len(prompt)


def test_exact_match_scorer():
    t = [5, 6, 6, 7]
    preds = [[5, 6, 6, 7], [5, 6, 6, 7, sg.EOS], [5, 6, 6, 7, sg.EOS, 9, 9], [5, 6, 6, 7, sg.EOS, sg.PAD],
             [5, 6, 6], [5, 6, 6, 7, 7], [6, 5, 6, 7], [], [sg.EOS, 5, 6, 6, 7]]
    em = sg.exact_match(preds, [t] * len(preds))
    assert em.tolist() == [True, True, True, True, False, False, False, False, False]
    assert sg.exact_match([[]], [[]]).tolist() == [True]


@pytest.mark.parametrize("objective", ["ilm", "ar"])
def test_task_round_trip(objective):
    task = sg.StarTask("medium", objective, n_train=300, n_test=40, n_val=10, seed=0)
    assert task.vocab_size == sg.NODE0 + 20 and task.tokenizer is None
    assert task.info["level"] == "medium" and task.info["body_eos"] == (objective == "ar")
    rng = np.random.default_rng(0)
    ex = task.sample(rng, 16)
    assert len(ex) == 16
    for prompt, body in ex:
        core = body[:-1] if objective == "ar" else body
        if objective == "ar":
            assert body[-1] == sg.EOS
        assert all(x >= sg.NODE0 for x in list(prompt) + list(core)) and all(x < task.vocab_size for x in prompt)
        assert len(prompt) % 2 == 0 and len(core) % 2 == 0
        # the body is a path of the prompt's graph from source to goal
        edges = {(prompt[i], prompt[i + 1]) for i in range(0, len(prompt) - 2, 2)}
        assert core[0] == prompt[-2] and core[-1] == prompt[-1]
        assert all((core[i], core[i + 1]) in edges for i in range(0, len(core), 2))
    # sampling is deterministic in the rng
    assert task.sample(np.random.default_rng(0), 16) == ex
    val = task.val_examples()
    assert list(val) == ["test"] and len(val["test"]) == 10


def test_task_feeds_collators():
    from objective import ARCollator, ILMCollator, ar_loss, ilm_loss
    import torch
    from model import ModelConfig, Transformer
    rng = np.random.default_rng(0)
    for obj, Coll in (("ilm", ILMCollator), ("ar", ARCollator)):
        task = sg.StarTask("easy", obj, n_train=50, n_test=10, n_val=5)
        model = Transformer(ModelConfig(vocab_size=task.vocab_size, n_layer=1, d_model=32, n_head=2, d_ff=64,
                                        causal=obj == "ar"))
        for mb in Coll(4096)(task.sample(rng, 8), rng):
            tok, stop, lengths = model(mb["input_ids"], mb["positions"], mb["attention_mask"])
            loss = ilm_loss(tok, stop, lengths, mb)[0].sum() if obj == "ilm" else ar_loss(tok, mb)[0]
            assert torch.isfinite(loss)
            if obj == "ar":  # EOS is a target, so the AR model learns to stop
                assert (mb["targets"] == sg.EOS).sum() == mb["input_ids"].shape[0]


def test_ar_greedy_decodes_a_perfect_model():
    """ar_greedy with a stub 'model' whose decode returns one-hot logits for the right next token."""
    import torch

    class Stub(torch.nn.Module):
        def __init__(self, answers):
            super().__init__()
            self.answers = answers
            self.cfg = type("C", (), dict(n_head=1, d_model=2, n_layer=1, max_len=64))
            self.device_probe = torch.nn.Parameter(torch.zeros(1))  # the decoder reads the device off a parameter

        def decode(self, ids, pos, mask, past):
            B, T = ids.shape
            k = past[0][0]
            k = torch.cat([k, ids[:, None, :, None].float().expand(B, 1, T, 2)], 2)
            logits = torch.zeros(B, T, 30)
            for b in range(B):
                seq = k[b, 0, :, 0].long().tolist()
                bos = seq.index(sg.BOS)
                done = len(seq) - bos - 1
                ans = self.answers[tuple(seq[1:bos])] + [sg.EOS]
                logits[b, -1, ans[min(done, len(ans) - 1)]] = 10
            return logits, [(k, k)]

    prompts = [[5, 6, 7, 8], [9, 10, 11, 12], [13, 14]]
    answers = {tuple(prompts[0]): [5, 6, 6, 7], tuple(prompts[1]): [9, 10], tuple(prompts[2]): [14, 13, 13, 15]}
    out = sg.ar_greedy(Stub(answers), prompts, max_new=10, batch_size=2)
    assert out == [answers[tuple(p)] + [sg.EOS] for p in prompts]
    assert sg.exact_match(out, [answers[tuple(p)] for p in prompts]).all()
    out = sg.ar_greedy(Stub(answers), prompts, max_new=3)
    assert out[0] == [5, 6, 6] and out[1] == [9, 10, sg.EOS]


def test_valid_walk():
    g = sg.make_split("medium", "train", 1, seed=2)[0]
    body = sg.graph_to_example(g)[1]
    assert sg.valid_walk(body, g) and sg.valid_walk(body + [sg.EOS, 7], g)
    a0, a1, c = g["arms"][0], g["arms"][1], g["centre"]
    other = sg.path_to_body(a0[:a0.index(c)] + a1[a1.index(c):])  # turn into arm 1 at the centre
    assert sg.valid_walk(other, g) and not sg.exact_match([other], [body])[0]  # wrong arm, well formed
    assert not sg.valid_walk(body[:-2], g)  # stops before a leaf
    assert not sg.valid_walk(body[2:], g)  # does not start at the source
    assert not sg.valid_walk(body[:3], g) and not sg.valid_walk([], g)
    assert not sg.valid_walk(body[:2] + body[4:], g)  # a skipped edge breaks the chain
