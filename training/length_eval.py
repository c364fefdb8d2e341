"""Does the ILM know how long a gap is? Measurements behind `evaluate_story.py length` (issue: the length head).

On held-out passages (evaluate_story.choose_passages: runs of whole sentences, one interior sentence removable):
  predict   the length head's lambda at a gap (the only gap open, as in the app) vs the number of tokens removed
            there, for a removed clause, one sentence and two to three sentences: median |log2(predicted / true)|,
            share within 2x, Spearman rho.
  stop      whole passage vs the passage missing its sentence: AUC of the stop decision, with every gap open and
            with only the sentence's gap open (measure_stop).
  fills     unbounded one-sentence fills by the reference decoder (predictor.generate; only the gap allowed, no cap
            but the model's window): tokens written vs removed, why each stopped, and the share of invented
            words (words of the fill that occur nowhere in the training corpus).
Everything is deterministic given the seed.
"""
import os
import re

import numpy as np
import torch

from corpus import SOURCES, read_documents, split_documents
from objective import frame, pad, to_device
from predictor import allowed_rows, generate

WORD = re.compile(r"[A-Za-z]+")


# ---------------------------------------------------------------------------------------------------------
# Removed spans of three sizes


def clause_span(original, tt):
    """(start, end) inside a removed sentence: its longest piece between commas, semicolons, colons or dashes
    (a clause), if that is shorter than the sentence and at least 2 tokens; else its first half."""
    cuts = [0] + [k + 1 for k, t in enumerate(original[:-1]) if re.search(r"[,;:—–]\s*$", tt.decode([t]))] + [len(original)]
    pieces = [(a, b) for a, b in zip(cuts, cuts[1:]) if b - a >= 2 and b - a < len(original)]
    if pieces:
        return max(pieces, key=lambda ab: ab[1] - ab[0])
    return 0, max(1, len(original) // 2)


def removal_cases(p, tt):
    """The three removals of one passage as (kind, prefix, removed, suffix) over the passage's body tokens:
    'clause' (part of the chosen sentence), 'sentence' (the chosen sentence) and 'sentences' (it and the next one
    or two interior sentences, when there are such)."""
    body = p["prefix"] + p["original"] + p["suffix"]
    a, b = len(p["prefix"]), len(p["prefix"]) + len(p["original"])
    ca, cb = clause_span(p["original"], tt)
    cases = [("clause", body[:a + ca], body[a + ca:a + cb], body[a + cb:]), ("sentence", body[:a], body[a:b], body[b:])]
    later = [e for s, e in p["sentences"] if s >= b][:-1]  # ends of the interior sentences after the chosen one
    if later:
        extra = 1 + p["index"] % min(2, len(later))  # one or two more sentences, alternating over passages
        e = later[extra - 1]
        cases.append(("sentences", body[:a], body[a:e], body[e:]))
    return cases


# ---------------------------------------------------------------------------------------------------------
# Model outputs


@torch.no_grad()
def forward_all(model, bodies, gaps=None, batch_size=16):
    """(lengths [n, L] or None, P(complete) [n]) for bodies framed as [CLS] [BOS] body: lengths[k][g] is lambda
    at gap g of body k (g = 0 the BOS row, g = j + 1 right after body token j). gaps: per body, the gaps that may
    insert (a model with a gap marker is told them; None: every gap, the paper's setting)."""
    device = next(model.parameters()).device
    lengths, complete = [], []
    for k in range(0, len(bodies), batch_size):
        chunk = bodies[k:k + batch_size]
        batch = pad([frame([], [int(t) for t in b])[0] for b in chunk])
        flags = [[True] * (len(b) + 1) if gaps is None else [g in gaps[k + i] for g in range(len(b) + 1)]
                 for i, b in enumerate(chunk)]
        batch["allowed"] = allowed_rows(batch["input_ids"].shape, [(1, f) for f in flags])
        batch = to_device(batch, device)
        _, stop, lam = model(batch["input_ids"], batch["positions"], batch["attention_mask"], allowed=batch["allowed"])
        complete += torch.softmax(stop.float(), -1)[:, 0].cpu().tolist()
        if lam is not None:
            lam = lam.float().cpu()
            lengths += [lam[i, 1:len(b) + 2].clone() for i, b in enumerate(chunk)]  # the BOS row and every body row
    return (lengths if lengths else None), np.array(complete)


def spearman(x, y):
    """Spearman's rank correlation (average ranks for ties)."""
    def ranks(v):
        v = np.asarray(v, dtype=float)
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for u in np.unique(v):  # ties share their mean rank
            sel = v == u
            r[sel] = r[sel].mean()
        return r
    if len(x) < 2:
        return None
    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def auc(low_is_positive, positives, negatives):
    """P(score of a positive beats a negative), ties count half; with low_is_positive, lower scores win."""
    p, n = np.asarray(positives, dtype=float), np.asarray(negatives, dtype=float)
    if low_is_positive:
        p, n = -p, -n
    return float((p[:, None] > n[None, :]).mean() + 0.5 * (p[:, None] == n[None, :]).mean())


def measure_predictions(model, passages, tt):
    """predict: per removal kind, the length head's lambda at the gap vs the true removed count."""
    cases = [(kind, pre, rem, suf) for p in passages for kind, pre, rem, suf in removal_cases(p, tt)]
    # the writer's case: the gap is marked, nothing else may insert
    lengths, _ = forward_all(model, [pre + suf for _, pre, _, suf in cases], [{len(pre)} for _, pre, _, suf in cases])
    if lengths is None:
        return None
    out = {}
    for kind in ("clause", "sentence", "sentences"):
        sel = [(lam[len(pre)].item(), len(rem)) for (k, pre, rem, _), lam in zip(cases, lengths) if k == kind]
        if not sel:
            continue
        pred, true = np.array(sel).T
        err = np.abs(np.log2(np.maximum(pred, 1e-6) / true))
        out[kind] = dict(n=len(sel), true_median=float(np.median(true)), predicted_median=float(np.median(pred)),
                         median_abs_log2=float(np.median(err)), within_2x=float((err <= 1).mean()),
                         spearman=spearman(pred, true))
    return out


def measure_stop(model, passages):
    """stop: AUC of "this passage is complete" between whole passages and the same passages missing a sentence.
    Unmarked (the paper's setting, every gap open): with a length head the score is the expected missing length
    over every gap (sum of lambda), else the stop head's P(complete). Marked (the app's decision, a length head
    only): the gap is the sentence's place, open while it is empty (cut), holding its first half (half), or
    holding the whole sentence (whole, where a fill should stop); the score is the sum of lambda over the gap's
    slots, as the decoder's stopping rule reads it."""
    whole = [p["prefix"] + p["original"] + p["suffix"] for p in passages]
    cut = [p["prefix"] + p["suffix"] for p in passages]
    lw, cw = forward_all(model, whole)
    lc, cc = forward_all(model, cut)
    out = dict(n=len(passages), stop_head_auc=auc(False, cw, cc),
               stop_head_p_complete=dict(whole=float(np.median(cw)), cut=float(np.median(cc))))
    if lw is not None:
        sw, sc = [float(x.sum()) for x in lw], [float(x.sum()) for x in lc]
        at_gap = [float(lam[len(p["prefix"])]) for lam, p in zip(lc, passages)]
        out.update(length_auc=auc(True, sw, sc), expected_missing=dict(whole=float(np.median(sw)), cut=float(np.median(sc)),
                                                                       cut_at_gap=float(np.median(at_gap))))
        half = [p["prefix"] + p["original"][:len(p["original"]) // 2] + p["suffix"] for p in passages]
        marked = {}
        for name, bodies, inside in (("whole", whole, lambda p: len(p["original"])), ("half", half, lambda p: len(p["original"]) // 2),
                                     ("cut", cut, lambda p: 0)):
            gaps = [set(range(len(p["prefix"]), len(p["prefix"]) + inside(p) + 1)) for p in passages]
            lam, _ = forward_all(model, bodies, gaps)
            marked[name] = [float(x[sorted(g)].sum()) for x, g in zip(lam, gaps)]
        out.update(marked_auc=auc(True, marked["whole"], marked["cut"]), marked_half_auc=auc(True, marked["whole"], marked["half"]),
                   marked_missing={k: float(np.median(v)) for k, v in marked.items()})
    out["auc"] = out.get("length_auc", out["stop_head_auc"])  # the paper's decision, comparable across models
    return out


# ---------------------------------------------------------------------------------------------------------
# Invented words


def training_words(corpus_dir, cache_path):
    """Lower-cased words ([A-Za-z]+) of the training documents of every corpus source (prepare.py's split:
    held-out documents excluded), cached one per line."""
    if os.path.exists(cache_path):
        with open(cache_path, encoding="utf-8") as f:
            return set(f.read().split())
    words = set()
    for s in SOURCES:
        train, _, _ = split_documents(s, read_documents(os.path.join(corpus_dir, f"{s}.txt")))
        for d in train:
            words.update(w.lower() for w in WORD.findall(d))
    os.makedirs(os.path.dirname(os.path.abspath(cache_path)), exist_ok=True)
    with open(cache_path + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(words)))
    os.replace(cache_path + ".tmp", cache_path)
    return words


def fill_words(prefix_text, fill_text, suffix_text):
    """Words of the completed passage that overlap the fill's characters (a fill may finish a word of the context)."""
    text = prefix_text + fill_text + suffix_text
    a, b = len(prefix_text), len(prefix_text) + len(fill_text)
    return [m.group().lower() for m in WORD.finditer(text) if m.start() < b and m.end() > a] if b > a else []


def invented_share(word_lists, known):
    words = [w for ws in word_lists for w in ws]
    unknown = [w for w in words if w not in known]
    return dict(words=len(words), invented=len(unknown), share=len(unknown) / len(words) if words else None,
                examples=sorted(set(unknown))[:12])


# ---------------------------------------------------------------------------------------------------------
# Unbounded fills


def measure_fills(model, passages, tt, known, room, sample="top_p", top_p=0.9, temperature=1.0, seed=0,
                  length_threshold=0.5, stop_threshold=0.9, budget=None, length_plan=False):
    """fills: one-sentence fills with only the gap allowed, at most the window (budget=None) or exactly the removed
    length (budget="true": stopping disabled); length_plan: the decoder's planned-length rule (predictor.generate).
    Returns per-passage rows (fill ids, reason) and a summary."""
    rows = []
    for p in passages:
        L = len(p["original"])
        original_words = fill_words(tt.decode(p["prefix"]), tt.decode(p["original"]), tt.decode(p["suffix"]))
        room_left = room - len(p["prefix"]) - len(p["suffix"])
        steps = L if budget == "true" else room_left
        allowed = [False] * (len(p["prefix"]) + len(p["suffix"]) + 1)
        allowed[len(p["prefix"])] = True
        g = torch.Generator().manual_seed((seed * 1_000_003 + p["index"] * 16) % (2 ** 63)) if sample == "top_p" else None
        r = generate(model, [([], p["prefix"] + p["suffix"], allowed)], max_steps=max(1, steps),
                     stop_threshold=1.1 if budget == "true" else stop_threshold, min_steps=1, gap="marginal",
                     sample=sample, top_p=top_p, temperature=temperature, generator=g,
                     length_threshold=None if budget == "true" else length_threshold, length_plan=length_plan)[0]
        a, s = len(p["prefix"]), len(p["suffix"])
        fill = r["body"][a:len(r["body"]) - s]
        rows.append(dict(index=p["index"], fill=fill, stop_reason=r["stop_reason"], removed=L,
                         removed_words=len(original_words),
                         words=fill_words(tt.decode(p["prefix"]), tt.decode(fill), tt.decode(p["suffix"]))))
    ratio = np.array([len(r["words"]) / max(1, r["removed_words"]) for r in rows])  # in words, as a writer counts
    reasons = {}
    for r in rows:
        reasons[r["stop_reason"]] = reasons.get(r["stop_reason"], 0) + 1
    summary = dict(n=len(rows), written_median=float(np.median([len(r["fill"]) for r in rows])),
                   removed_median=float(np.median([r["removed"] for r in rows])),
                   token_ratio_median=float(np.median([len(r["fill"]) / r["removed"] for r in rows])),
                   word_ratio_median=float(np.median(ratio)),
                   within_half_to_2x=float(((ratio >= 0.5) & (ratio <= 2)).mean()), stop_reasons=reasons,
                   invented=invented_share([r["words"] for r in rows], known))
    return rows, summary
