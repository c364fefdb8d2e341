"""evaluate_story.py on tiny checkpoints written by a 2-step train.py run over a synthetic prepared dataset
(real bpe4k tokenizer, made-up sentences): no corpus, CPU, a few seconds."""
import hashlib
import json
import os

import numpy as np
import pytest
import torch

import evaluate_story as ev
import train
from objective import BOS, CLS, frame
from predictor import generate
from tokenizer import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_REL = "training/tokenizers/bpe4k/tokenizer.json"
TOKENIZER = os.path.join(ROOT, TOKENIZER_REL)
SOURCES = {"short-stories": 0.6, "tinystories-fragments": 0.4}

NAMES = ["Tim", "Sue", "The old man", "Mrs. Bird", "The little fox", "Anna"]
VERBS = ["saw", "found", "wanted", "carried", "painted", "liked"]
THINGS = ["a red ball", "the big hill", "a wooden calf", "the letter", "a cup of water", "the river"]
ENDS = [".", ".", "!", "?"]


@pytest.fixture(scope="module")
def tt():
    return ev.TokenText(Tokenizer.from_file(TOKENIZER))


def story(rng, n):
    out = []
    for k in range(n):
        s = f"{rng.choice(NAMES)} {rng.choice(VERBS)} {rng.choice(THINGS)}{rng.choice(ENDS)}"
        if rng.random() < 0.15:
            s = f"“{s[:-1]},” {rng.choice(['she', 'he'])} said."
        out.append(s + ("\n\n" if rng.random() < 0.1 and k < n - 1 else " "))
    return "".join(out).strip()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evs")
    tk = Tokenizer.from_file(TOKENIZER)
    rng = np.random.default_rng(0)
    data = tmp / "data"
    for source in SOURCES:
        os.makedirs(data / source)
        for split, n_docs in (("train", 12), ("val", 4)):
            docs = [np.array(tk.encode(story(rng, int(rng.integers(10, 30)))), dtype=np.uint16) for _ in range(n_docs)]
            np.concatenate(docs).tofile(data / source / f"{split}.bin")
            np.save(data / source / f"{split}.docs.npy", np.concatenate([[0], np.cumsum([len(d) for d in docs])]).astype(np.int64))
    with open(TOKENIZER, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    (data / "meta.json").write_text(json.dumps({"vocab_size": tk.vocab_size, "tokenizer": TOKENIZER_REL, "tokenizer_sha256": sha}))
    common = ["--data", str(data), "--mix", ",".join(f"{s}:{w}" for s, w in SOURCES.items()), "--n-head", "2",
              "--d-ff", "64", "--max-len", "96", "--tokens-per-batch", "400", "--micro-tokens", "512",
              "--log-every", "1", "--eval-every", "0", "--warmup", "1", "--threads", "1", "--max-steps", "2",
              "--eval-windows", "8"]
    ckpts = {}
    for role, extra in (("ilm", ["--n-layer", "1", "--d-model", "32"]),
                        ("ar", ["--objective", "ar", "--n-layer", "1", "--d-model", "32"]),
                        ("evaluator", ["--objective", "ar", "--n-layer", "2", "--d-model", "32"])):
        train.main(common + extra + ["--out", str(tmp / role)])
        ckpts[role] = str(tmp / role / "ckpt.pt")
    return dict(tmp=tmp, data=str(data), ckpts=ckpts)


def test_repetition_stats():
    # [1 2 3 4 1 2 3 4]: 5 four-grams, 4 distinct; 4 distinct tokens of 8
    st = ev.repetition_stats([[1, 2, 3, 4, 1, 2, 3, 4], [5, 6]])
    assert st["repeated_ngram"] == pytest.approx((1 / 5 + 0) / 2) and st["distinct_tokens"] == pytest.approx((0.5 + 1) / 2)
    assert st["mean_length"] == 5 and st["texts"] == 2


def test_sentence_split(tt):
    text = ("Mr. Brown came home. He sat down! “Why?” she asked. ‘Look,’ said he.\n\nThe end. "
            "William T. Adams wrote it... Then I left.")
    ids = tt.tk.encode(text)
    sents = ev.split_sentences(ids, tt)
    assert [tt.decode(ids[a:b]) for a, b in sents] == [
        "Mr. Brown came home.", " He sat down!", " “Why?” she asked.", " ‘Look,’ said he.", "\n\nThe end.",
        " William T. Adams wrote it...", " Then I left."]
    assert sents == ev.split_sentences(list(ids), tt)  # deterministic, covers the text without overlap
    assert sents[0][0] == 0 and sents[-1][1] == len(ids) and all(a[1] == b[0] for a, b in zip(sents, sents[1:]))
    assert ev.removable(ids[sents[1][0]:sents[1][1]], tt, 2, 60)
    assert not ev.removable(ids[sents[4][0]:sents[4][1]], tt, 2, 60)  # has a line break


def test_passages_deterministic(setup, tt):
    a, cand_a = ev.choose_passages(setup["data"], SOURCES, tt, n=12, seed=0, lo=30, hi=60)
    b, cand_b = ev.choose_passages(setup["data"], SOURCES, tt, n=12, seed=0, lo=30, hi=60)
    assert a == b and cand_a == cand_b and len(a) == 12
    assert [p["index"] for p in a] == list(range(12))
    from prepare import load_split
    for p in a:
        tokens, offsets = load_split(setup["data"], p["source"], "val")
        doc = np.asarray(tokens[offsets[p["doc"]]:offsets[p["doc"] + 1]], dtype=np.int64).tolist()
        assert p["prefix"] + p["original"] + p["suffix"] == doc[p["start"]:p["end"]]
        assert 30 <= p["end"] - p["start"] <= 60 and p["n_sentences"] >= 3
        assert 0 < p["sentence_index"] < p["n_sentences"] - 1 and p["prefix"] and p["suffix"]
        assert ev.removable(p["original"], tt, 4, 60)
        # the removed range is one sentence of the document's own split
        assert tuple(p["removed"]) in ev.split_sentences(doc, tt)
    c, _ = ev.choose_passages(setup["data"], SOURCES, tt, n=12, seed=1, lo=30, hi=60)
    assert [(p["source"], p["doc"], p["start"]) for p in c] == [(p["source"], p["doc"], p["start"]) for p in a]
    assert ev.quotas(10, {"a": 0.5, "b": 0.3, "c": 0.2}, {"a": 100, "b": 100, "c": 1}) == {"a": 6, "b": 3, "c": 1}


def test_only_the_removed_gap_is_filled(setup, tt):
    model, _, _ = ev.load(setup["ckpts"]["ilm"])
    prefix, suffix = [10, 11, 12], [20, 21]
    allowed = ev.gap_mask(prefix, suffix)
    assert allowed == [False, False, False, True, False, False]
    for sample in ("greedy", "top_p"):
        r = generate(model, [([], prefix + suffix, allowed)], max_steps=8, stop_threshold=1.1, sample=sample,
                     length_threshold=None, generator=torch.Generator().manual_seed(0))[0]  # never ends early
        assert len(r["steps"]) == 8
        assert r["body"][:3] == prefix and r["body"][-2:] == suffix
        bos = 1
        for k, (_, row, _, _) in enumerate(r["steps"]):
            assert len(prefix) <= row - bos <= len(prefix) + k  # inside the gap or between inserted tokens
    passages, _ = ev.choose_passages(setup["data"], SOURCES, tt, n=2, seed=0, lo=30, hi=60)
    fill, reason, steps, cap = ev.ilm_fill(model, passages[0], "top_p", 0.9, 0.9, 0, 94)
    assert cap == 2 * len(passages[0]["original"]) + 10 and 1 <= len(fill) == steps <= cap
    assert reason in ("stop", "max_steps")
    again = ev.ilm_fill(model, passages[0], "top_p", 0.9, 0.9, 0, 94)
    assert again[0] == fill  # seeded per passage


def test_delta_of_original_is_zero(setup, tt):
    model, _, _ = ev.load(setup["ckpts"]["evaluator"])
    passages, _ = ev.choose_passages(setup["data"], SOURCES, tt, n=4, seed=0, lo=30, hi=60)
    bodies = [p["prefix"] + p["original"] + p["suffix"] for p in passages]
    alone = [ev.ar_nll(model, [b])[0] for b in bodies]
    batched = ev.ar_nll(model, bodies + [bodies[0][:5]])  # padding and batch-mates change nothing
    for (t1, n1), (t2, n2), b in zip(alone, batched, bodies):
        assert n1 == n2 == len(b)
        assert abs(t1 / n1 - t2 / n2) < 1e-5
        assert (t2 / n2 - t1 / n1) / (t1 / n1) == pytest.approx(0.0, abs=1e-5)
    # the same count as train.py's AR loss
    from objective import ARCollator, ar_loss
    mb = ARCollator().batch([frame([], bodies[0])])
    nll, n = ar_loss(model(mb["input_ids"], mb["positions"], mb["attention_mask"])[0], mb)
    assert abs(nll.item() - alone[0][0]) < 1e-3 and n.item() == alone[0][1]


class ScriptedAR(torch.nn.Module):
    """An AR 'model' whose next token is always the next one of a script."""

    def __init__(self, script, vocab):
        super().__init__()
        self.cfg = type("C", (), dict(n_head=1, d_model=2, n_layer=1, max_len=512))()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.script, self.vocab, self.calls, self.seen = list(script), vocab, 0, []

    def decode(self, input_ids, positions, attention_mask, past):
        self.seen.append((input_ids.tolist(), positions.tolist(), attention_mask.shape[1]))
        logits = torch.zeros(1, input_ids.shape[1], self.vocab)
        logits[0, -1, self.script[min(self.calls, len(self.script) - 1)]] = 10.0
        self.calls += 1
        return logits, past


def test_ar_continuation(tt):
    enc = tt.tk.encode
    prefix = enc("Tim saw a dog.")
    script = enc(" He sat down.") + enc(" Then he left.")
    m = ScriptedAR(script, tt.tk.vocab_size)
    fill, reason = ev.ar_continue(m, prefix, 50, tt, "greedy")
    assert tt.decode(fill) == " He sat down." and reason == "sentence_end"
    # the prefix went in once as [CLS] [BOS] prefix, then one token at a time at the next position
    assert m.seen[0][0] == [[CLS, BOS, *prefix]] and m.seen[1][1] == [[len(prefix) + 2]]
    fill, reason = ev.ar_continue(ScriptedAR(script, tt.tk.vocab_size), prefix, 2, tt, "greedy")
    assert fill == script[:2] and reason == "budget"
    fill, reason = ev.ar_continue(ScriptedAR(enc(" He sat") + enc("\n\nThe"), tt.tk.vocab_size), prefix, 50, tt, "greedy")
    assert tt.decode(fill) == " He sat" and reason == "line_break"
    fill, _ = ev.ar_continue(ScriptedAR(enc(" Mr. Brown sat.") + enc(" Then"), tt.tk.vocab_size), prefix, 50, tt, "greedy")
    assert tt.decode(fill) == " Mr. Brown sat."


@pytest.fixture(scope="module")
def report(setup):
    c = setup["ckpts"]
    out = setup["tmp"] / "results" / "story_eval.md"
    argv = ["all", "--ilm", c["ilm"], "--ar", c["ar"], "--evaluator", c["evaluator"], "--out", str(out),
            "--n-passages", "6", "--passage-tokens", "30,60", "--n-samples", "3", "--sample-tokens", "12"]
    return out, ev.main(argv)


def test_all_outputs(setup, report):
    c = setup["ckpts"]
    out, report = report
    data = json.loads(out.with_suffix(".json").read_text())
    assert data == json.loads(json.dumps(report, ensure_ascii=False))
    assert set(data["sections"]) == {"heldout", "infill", "stop", "samples"}
    st = data["sections"]["stop"]["result"]
    assert st["n_passages"] == 6 and 0 <= st["auc"] <= 1 and 0 <= st["whole"]["mean"] <= 1
    assert set(st["share_at_or_above"]) == {"0.1", "0.5", "0.9"}
    for name, sec in data["sections"].items():
        assert {"command", "started", "wall_s", "cpu_s", "args", "checkpoints", "result"} <= set(sec)
        assert sec["command"].startswith("/usr/bin/python3 training/evaluate_story.py all --ilm")
        for info in sec["checkpoints"].values():
            assert {"path", "sha256", "steps", "tokens_seen", "parameters", "config"} <= set(info) and info["steps"] == 2
    h = data["sections"]["heldout"]["result"]
    assert set(h["ilm"]["val"]) == set(h["ar"]["val"]) == {*SOURCES, "mean"}
    # the same windows and seeds as train.py's evaluation: the checkpoint's own last eval is reproduced
    assert h["ilm"]["training_curve_check"]["max_abs_diff"] < 1e-4
    assert h["ar"]["training_curve_check"]["max_abs_diff"] < 1e-4
    inf = data["sections"]["infill"]
    assert inf["evaluator"].endswith("evaluator/ckpt.pt")
    r = inf["result"]
    assert r["n_passages"] == 6 and set(r["methods"]) == {"ilm_top_p", "ilm_greedy", "ar_top_p", "ar_greedy", "none"}
    for m in ("ilm_top_p", "ilm_greedy"):
        e = r["methods"][m]
        assert {"delta_nll_pct", "nll", "filled_len", "fill_over_original", "stopped_by_stop_head", "stop_reasons"} <= set(e)
        assert {"mean", "median"} <= set(e["delta_nll_pct"])
    for row in r["passages"]:
        assert {"index", "source", "doc", "start", "end", "removed", "original_len", "nll_original"} <= set(row)
        for m in r["methods"]:
            assert {"fill_len", "text", "stop_reason", "nll", "delta_pct"} <= set(row[m])
        for mode in ("top_p", "greedy"):  # the AR never writes more than the ILM did in that passage
            assert row[f"ar_{mode}"]["fill_len"] <= row[f"ilm_{mode}"]["fill_len"]
    s = data["sections"]["samples"]["result"]
    assert len(s["unconditional"]) == 3 and [u["seed"] for u in s["unconditional"]] == [0, 1, 2]
    assert all(u["length"] <= 12 and "text" in u and "evaluator_nll" in u for u in s["unconditional"])
    assert len(s["ar_unconditional"]) == 3 and all(u["length"] == 12 and "evaluator_nll" in u for u in s["ar_unconditional"])
    rep = s["repetition"]
    assert set(rep) == {"unconditional", "ar_unconditional", "heldout_passages"} and rep["heldout_passages"]["texts"] == 6
    assert all(0 <= x["repeated_ngram"] <= 1 and 0 < x["distinct_tokens"] <= 1 for x in rep.values())
    assert "| AR samples (same size) | 3 |" in out.read_text()
    assert len(s["infills"]) == 3
    for it, row in zip(s["infills"], r["passages"]):  # the same passages and fills as the infill section
        assert it["index"] == row["index"] and it["original"] == row["original"]
        assert it["ilm_fill"] == row["ilm_top_p"]["text"] and it["ar_fill"] == row["ar_top_p"]["text"]
    md = out.read_text()
    for title in ("## Held-out loss", "## One-sentence infilling (ΔNLL_gt)", "## Stop head", "## Samples (uncurated)"):
        assert title in md
    assert "ΔNLL_gt mean" in md and "/usr/bin/python3 training/evaluate_story.py all" in md
    # one section at a time keeps the others
    ev.main(["heldout", "--ilm", c["ilm"], "--out", str(out)])
    data2 = json.loads(out.with_suffix(".json").read_text())
    assert set(data2["sections"]) == {"heldout", "infill", "stop", "samples"} and "ar" not in data2["sections"]["heldout"]["result"]


def test_model_card(setup, report, tmp_path):
    import model_card
    out, _ = report
    ckpt = torch.load(setup["ckpts"]["ilm"])
    meta = dict(kind="ilm", vocab_size=4096, max_len=96, parameters=140802, architecture=ckpt["config"],
                data=ckpt["task"], training=dict(objective="ilm", steps=2, tokens_seen=ckpt["state"]["tokens"],
                                                 body_tokens_seen=10, train_minutes=0.0,
                                                 heldout_curve=[[100, 1e6, 9.5], [200, 2e6, 9.3], [300, 3e6, 9.2]]),
                heldout=ckpt["state"]["evals"][-1]["val"], tokenizer_sha256="ab" * 32, files={"model.onnx": "cd" * 32})
    d = tmp_path / "models" / "tiny"
    d.mkdir(parents=True)
    (d / "model.json").write_text(json.dumps(meta))
    (tmp_path / "curve.png").write_bytes(b"png")
    (tmp_path / "notes.md").write_text("## Why this size\n\nBecause.")
    card = model_card.build(str(d), str(out.with_suffix(".json")), curve=str(tmp_path / "curve.png"),
                            notes=str(tmp_path / "notes.md"))
    text = open(card).read()
    assert "## Why this size\n\nBecause.\n\n## Intended use" in text
    # every sample and infill is in the card, and the repetition table with its reference
    assert "\n3. (" in text and text.count("   - original: ") == 3 and "| held-out passages (reference) | 6 |" in text
    # the held-out curve in numbers: the last 0.8 of the tokens is 3e6 vs 2e6 -> 0.1 per million tokens, falling
    assert "| 300 | 3.00M | 9.2000 |" in text and "(+0.100 per million tokens): still falling" in text
    for h in ("## Intended use", "## Data", "## Architecture", "## Training", "## Evaluation", "## Latency",
              "## Known weaknesses", "Register mix", "Length control", "Repetition", "![training curve", "ΔNLL_gt mean",
              "/usr/bin/python3 training/evaluate_story.py all", "**To fill**", "### Stop head", "AUC whole vs removed"):
        assert h in text, h
    assert (d / "curve.png").exists() and "Warning" not in text
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"provider": "cpu", "threads": "all", "step_ms": {"64": 5, "256": 41.5},
                                 "insert_tokens_per_s": {"1gap_k1": 100, "1gap_k8": 500},
                                 "insert_over_ar": {"1gap_k1": 0.1, "1gap_k8": 0.5}}))
    meta["training"]["steps"] = 3
    (d / "model.json").write_text(json.dumps(meta))
    text = open(model_card.build(str(d), str(out.with_suffix(".json")), bench=str(bench))).read()
    assert "41.5 ms, bar ≤ 40 ms: **NOT met**" in text and "Warning" in text
    assert "| tokens/s | 100 | 500 |" in text and "| × AR | 0.1 | 0.5 |" in text


def test_infill_without_baseline_or_evaluator(setup, tmp_path):
    out = tmp_path / "e.md"
    r = ev.main(["infill", "--ilm", setup["ckpts"]["ilm"], "--out", str(out), "--n-passages", "3",
                 "--passage-tokens", "30,60", "--decode", "greedy"])["sections"]["infill"]["result"]
    assert set(r["methods"]) == {"ilm_greedy", "none"} and r["nll_original"] is None
    assert "delta_nll_pct" not in r["methods"]["ilm_greedy"] and "## One-sentence infilling" in out.read_text()
    with pytest.raises(SystemExit):
        ev.main(["infill", "--ilm", setup["ckpts"]["ar"], "--out", str(out)])  # an AR checkpoint as --ilm


def test_length_eval_helpers(tt):
    import length_eval as le
    assert le.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert le.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert le.spearman([1, 1, 1], [1, 2, 3]) is None
    assert le.auc(False, [0.9, 0.8], [0.1, 0.2]) == 1.0 and le.auc(True, [0.9, 0.8], [0.1, 0.2]) == 0.0
    assert le.auc(False, [0.5], [0.5]) == 0.5
    # a fill that finishes the context's word counts that word; words wholly in the context do not count
    assert le.fill_words("The ca", "t sat on", " the mat.") == ["cat", "sat", "on"]
    assert le.fill_words("The cat", "", " sat.") == []
    share = le.invented_share([["cat", "zorblat"], ["sat"]], {"cat", "sat"})
    assert share["share"] == pytest.approx(1 / 3) and share["examples"] == ["zorblat"]
    ids = tt.tk.encode(" When the rain stopped, the old man walked home slowly.")
    a, b = le.clause_span(ids, tt)
    assert tt.decode(ids[a:b]) == " the old man walked home slowly."  # the longer piece after the comma
    one = tt.tk.encode(" He ran.")
    assert le.clause_span(one, tt) == (0, len(one) // 2)  # no comma: the first half


def test_length_and_decode_sections(setup, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("short-stories", "novels-1880s", "tinystories-fragments"):
        (corpus / f"{name}.txt").write_text("Tim saw a red ball.\n<|endoftext|>\n" * 3, encoding="utf-8")
    out = tmp_path / "e.md"
    common = ["--out", str(out), "--n-passages", "4", "--fill-passages", "2", "--passage-tokens", "30,60",
              "--corpus", str(corpus), "--words-cache", str(tmp_path / "words.txt"), "--evaluator", setup["ckpts"]["evaluator"]]
    r = ev.main(["length", "--ilm", setup["ckpts"]["ilm"]] + common)["sections"]["length"]["result"]
    m = r["models"]["ilm"]
    assert m["length_head"] and set(m["predict"]) >= {"clause", "sentence"}
    assert 0 <= m["stop"]["auc"] <= 1 and "length_auc" in m["stop"]
    for name in ("unbounded", "true_length"):
        f = m["fills"][name]
        assert f["n"] == 2 and sum(f["stop_reasons"].values()) == 2 and "mean" in f["delta_nll_pct"]
    assert m["fills"]["true_length"]["stop_reasons"] == {"max_steps": 2}  # exactly the removed length
    assert set((tmp_path / "words.txt").read_text().split()) == {"tim", "saw", "a", "red", "ball"}
    r = ev.main(["decode", "--ilm", setup["ckpts"]["ilm"], "--sweep-top-p", "0.5,0.9", "--sweep-temperature", "1"]
                + common)["sections"]["decode"]["result"]
    assert [(e["top_p"], e["temperature"]) for e in r["settings"]] == [(0.5, 1.0), (0.9, 1.0)]
    text = out.read_text()
    assert "## Gap length" in text and "## Decoding sweep" in text and "planned length (first 5)" in text

    # a length-head model's card shows both tables and says where its length control is weak
    import model_card
    ckpt = torch.load(setup["ckpts"]["ilm"])
    meta = dict(kind="ilm", vocab_size=4096, max_len=96, parameters=140802, architecture=ckpt["config"],
                data=ckpt["task"], training=dict(objective="ilm", steps=ckpt["state"]["step"],
                                                 tokens_seen=ckpt["state"]["tokens"]), files={})
    d = tmp_path / "models" / "tiny"
    d.mkdir(parents=True)
    (d / "model.json").write_text(json.dumps(meta))
    card = open(model_card.build(str(d), str(out.with_suffix(".json")))).read()
    for h in ("### Gap length and ending", "### Decoding defaults", "(c) fills, unbounded, planned length",
              "A length head", "**Length control.** The length head's estimate"):
        assert h in card, h
    assert "Warning" not in card and "stop head does not tell" not in card


def test_length_leak_table(setup, capsys):
    import length_leak
    data = os.path.join(setup["data"], "short-stories", "val.bin")
    length_leak.main(["--ckpt", setup["ckpts"]["ilm"], "--data", data, "--start", "0"])
    rows = [line.split("|")[1:4] for line in capsys.readouterr().out.splitlines()[2:]]
    # window 94 (max_len 96): texts of 40 and 80 tokens, lambda >= 0, and window - n
    assert [int(n) for n, _, _ in rows] == [40, 80] and [int(w) for _, _, w in rows] == [54, 14]
    assert all(float(lam) >= 0 for _, lam, _ in rows)
