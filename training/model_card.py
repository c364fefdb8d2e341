"""Assemble models/<name>/MODEL_CARD.md from the exported model.json, evaluate_story.py's JSON and a template.

    /usr/bin/python3 training/model_card.py --model models/story-ilm --eval training/results/story_eval.json \
        --curve training/runs/story-ilm-6x256/curve.png [--bench bench.json] [--notes notes.md]

--curve copies the training-curve PNG into the model folder as curve.png (the card links it). --bench is the
output of `npm run --silent bench -- --json --model models/<name>`; without it the latency field says how to
fill it. --template: a Markdown file with the placeholders of TEMPLATE below ({title}, {summary}, ...).
"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from corpus import HELDOUT_RULE  # noqa: E402
from evaluate_story import decode_lines, length_lines, quote  # noqa: E402

TEMPLATE = """# {title}

{summary}

{notes}## Intended use

{intended_use}

## Data

{data}

## Architecture

{architecture}

## Training

{training}

## Evaluation

{evaluation}

## Latency

{latency}

## Known weaknesses

{weaknesses}
"""

INTENDED_USE = """Inlay's offline story editor: filling gaps the writer marks in English prose fiction (a word, a sentence,
a paragraph) and continuing a draft, on a laptop CPU, inside the app. It is a small model trained for a few hours
on a CPU: it writes plausible-sounding, often incoherent text that a writer edits, not finished prose. Not for
facts, advice, other languages, code or chat; it has no notion of truth and no safety tuning beyond what its
public-domain and synthetic training text contains."""


def fmt(x, nd=4, pct=False):
    if x is None:
        return "–"
    return f"{x:+.{nd}f}%" if pct else f"{x:.{nd}f}"


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def heldout_rule(meta):
    """(held-out rule, per-source counts) from the prepared data's meta.json when it is here."""
    data = (meta.get("data") or {}).get("data")
    if data:
        p = data if os.path.isabs(data) else os.path.join(ROOT, data)
        if os.path.exists(os.path.join(p, "meta.json")):
            m = load_json(os.path.join(p, "meta.json"))
            return m.get("heldout_rule") or HELDOUT_RULE, m.get("sources")
    return HELDOUT_RULE, None


def data_section(meta):
    d = meta.get("data") or {}
    rule, sources = heldout_rule(meta)
    lines = [f"Prepared data `{d.get('data', '?')}` (training/prepare.py), tokenizer sha256 `{meta.get('tokenizer_sha256', '?')[:16]}…`.", ""]
    mix = d.get("mix") or {}
    if mix:
        lines += ["| source | mix weight | train documents | train tokens | held-out documents | held-out tokens |",
                  "|---|---|---|---|---|---|"]
        for s, w in mix.items():
            c = (sources or {}).get(s, {})
            lines.append(f"| {s} | {w} | {c.get('docs', {}).get('train', '–')} | {c.get('tokens', {}).get('train', '–'):,} "
                         f"| {c.get('docs', {}).get('val', '–')} | {c.get('tokens', {}).get('val', '–'):,} |"
                         if c else f"| {s} | {w} | – | – | – | – |")
        lines.append("")
    lines += [f"Training draws random windows from each source with these weights. Held-out documents: {rule}. "
              "They are never trained on and are what every number below is measured on.", "",
              "The corpus mixes registers on purpose: 1880s novels (long, archaic), short stories of many eras "
              "and TinyStories fragments (simple, synthetic children's stories)."]
    return "\n".join(lines)


def arch_section(meta):
    a = meta["architecture"]
    return "\n".join([
        f"{'Insertion Language Model (ILM, Patel et al. 2025)' if meta['kind'] == 'ilm' else 'Autoregressive model'}: "
        f"a {'bidirectional' if not a.get('causal') else 'causal'} pre-LayerNorm transformer with rotary positions, "
        f"{a['n_layer']} layers, d_model {a['d_model']}, {a['n_head']} heads, d_ff {a['d_ff']}, dropout {a.get('dropout', 0)}, "
        f"{'tied' if a.get('tie_embeddings') else 'separate'} input/output embeddings; {meta['parameters']:,} parameters; "
        f"vocabulary {meta['vocab_size']:,} (byte-level BPE); window {meta['max_len']} tokens "
        f"(`[CLS] [BOS]` + {meta['max_len'] - 2} text tokens).",
        "",
        "One forward pass scores every (gap, token) pair: row i = insert right after token i; a stop head on `[CLS]` "
        "gives P(text complete) (index 0). The app inserts one token per pass at the gap with the highest marginal."
        + (" A length head (an MLP on each row, softplus) gives λ_i, the expected number of tokens missing right after "
           "token i, trained with a Poisson loss; a learned gap marker is added to the rows that may insert (a "
           "writer's gap). A gap ends when what it still lacks, min(Σλ over its slots now, Σλ at its first pass − "
           "the tokens written since), falls below the length threshold." if a.get("length_head") else ""),
        "",
        f"Files: {', '.join(f'`{k}` (sha256 {v[:12]}…)' for k, v in (meta.get('files') or {}).items())}, `tokenizer.json`."])


def training_section(meta, curve):
    t = meta.get("training") or {}
    h = meta.get("heldout") or {}
    lines = [f"Objective {t.get('objective', '?')}, {t.get('steps', '?'):,} optimizer steps, {t.get('tokens_seen', 0):,} "
             f"tokens seen (input positions; {t.get('body_tokens_seen', 0) or 0:,} text tokens drawn), "
             f"{t.get('train_minutes', '?')} minutes of training (training/train.py)."]
    if curve:
        lines += ["", f"![training curve: train and held-out loss against tokens seen]({curve})"]
    if h:
        lines += ["", "Held-out loss at the last evaluation (token + stop loss per example):", "",
                  "| " + " | ".join(h) + " |", "|" + "---|" * len(h),
                  "| " + " | ".join(fmt(v.get("loss")) for v in h.values()) + " |"]
    lines += curve_lines(t.get("heldout_curve") or [])
    return "\n".join(lines)


def curve_lines(curve, shown=8):
    """The held-out curve in numbers (the last `shown` evaluations) and how fast it was still falling."""
    if len(curve) < 2:
        return []
    lines = ["", "Held-out mean loss against training (the last evaluations):", "",
             "| step | tokens seen | held-out mean loss |", "|---|---|---|"]
    lines += [f"| {step:,} | {tokens / 1e6:.2f}M | {loss:.4f} |" for step, tokens, loss in curve[-shown:]]
    # Slope over the last fifth of the tokens seen (at least the last two evaluations).
    last_tokens = curve[-1][1]
    window = [c for c in curve if c[1] >= 0.8 * last_tokens] or curve[-2:]
    window = window if len(window) >= 2 else curve[-2:]
    (_, t0, l0), (_, t1, l1) = window[0], window[-1]
    per_m = (l0 - l1) / max((t1 - t0) / 1e6, 1e-9)
    verdict = ("still falling: more training would help" if per_m > 0.01
               else "about flat: more of the same training would help little")
    lines += ["", f"Over the last {(t1 - t0) / 1e6:.2f}M tokens the held-out mean loss fell from {l0:.4f} to {l1:.4f} "
              f"({per_m:+.3f} per million tokens): {verdict}."]
    return lines


def heading(title, sec):
    """A subsection's title and the command that produced its numbers."""
    return [f"### {title}", "", f"`{sec['command']}`", ""]


def eval_section(ev, meta, results_md):
    if not ev:
        return "Not evaluated yet: run `training/evaluate_story.py all` (see training/README.md)."
    s = ev["sections"]
    lines = [f"Full report with every sample: `{results_md}`." if results_md else "", ""]
    t = meta.get("training") or {}
    for name in ("heldout", "infill", "length", "decode", "samples"):
        sec = s.get(name)
        if not sec:
            continue
        ilm = sec["checkpoints"].get("ilm")
        if ilm and t and (ilm["steps"], ilm["tokens_seen"]) != (t.get("steps"), t.get("tokens_seen")):
            lines += [f"> **Warning**: `{name}` evaluated the checkpoint at step {ilm['steps']:,}, this model is step "
                      f"{t.get('steps')}: rerun it.", ""]
    if "heldout" in s:
        sec = s["heldout"]
        r = sec["result"]
        ar = sec["checkpoints"].get("ar")
        lines += heading("Held-out loss", sec) + [
                  f"The same {r['window_tokens']}-token windows of the held-out documents "
                  f"({', '.join(f'{k} {v}' for k, v in r['windows'].items())}) for the ILM and for the same-size AR "
                  f"baseline" + (f" (`{ar['path']}`, {ar['parameters']:,} parameters, {ar['steps']:,} steps, "
                                 f"{ar['tokens_seen']:,} tokens)" if ar else "") + ". The two are different quantities "
                  "(ILM: token + stop loss per example; AR: next-token NLL per token) and are not comparable with each other.", "",
                  "| source | ILM loss | AR next-token NLL |", "|---|---|---|"]
        iv, av = r.get("ilm", {}).get("val", {}), r.get("ar", {}).get("val", {})
        for k in dict.fromkeys(list(iv) + list(av)):
            lines.append(f"| {k} | {fmt(iv.get(k, {}).get('loss'))} | {fmt(av.get(k, {}).get('loss'))} |")
        lines.append("")
    if "infill" in s:
        sec = s["infill"]
        r, a = sec["result"], sec["args"]
        evl = sec["checkpoints"].get("evaluator")
        lines += heading("One-sentence infilling", sec) + [
                  f"{r['n_passages']} held-out passages of {a['passage_tokens'][0]}–{a['passage_tokens'][1]} tokens "
                  f"({', '.join(f'{k} {v}' for k, v in r['by_source'].items())}), one interior sentence removed "
                  f"(mean {r['original_len']['mean']:.1f} tokens) and filled. Each completed passage is scored by per-token "
                  "NLL under an AR evaluator"
                  + (f" (`{evl['path']}`: {evl['config']['n_layer']} layers × {evl['config']['d_model']}, "
                     f"{evl['parameters']:,} parameters, {evl['steps']:,} steps, {evl['tokens_seen']:,} tokens)" if evl else "")
                  + "; ΔNLL_gt = (NLL(completed) − NLL(original)) / NLL(original). The AR baseline continues from the "
                  "prefix alone, at most as many tokens as the ILM wrote, ending at a sentence end; the suffix follows "
                  "unchanged. Paper (TinyStories, one sentence, far larger models): ILM +12.3%, masked diffusion +14.4%.", "",
                  "| method | decoding | ΔNLL_gt mean | ΔNLL_gt median | filled / original length | stopped by stop head |",
                  "|---|---|---|---|---|---|"]
        for m, e in r["methods"].items():
            d = e.get("delta_nll_pct") or {}
            sh = e.get("stopped_by_stop_head")
            lines.append(f"| {e['model']} | {e['decode']} | {fmt(d.get('mean'), 1, True)} | {fmt(d.get('median'), 1, True)} "
                         f"| {e['filled_len']['mean']:.1f} / {r['original_len']['mean']:.1f} | "
                         f"{'–' if sh is None else f'{100 * sh:.0f}%'} |")
        lines.append("")
    if "length" in s:
        lines += heading("Gap length and ending: against the previous model", s["length"]) + length_lines(s["length"])
    if "decode" in s:
        lines += heading("Decoding defaults", s["decode"]) + decode_lines(s["decode"])
    if "stop" in s:
        sec = s["stop"]
        r = sec["result"]
        lines += heading("Stop head", sec) + [
                  f"P(complete) on the {r['n_passages']} infill passages whole: mean {r['whole']['mean']:.4f}, "
                  f"{100 * r['share_at_or_above']['0.9']['whole']:.0f}% at or above 0.9; with their sentence removed: mean "
                  f"{r['cut']['mean']:.4f}. AUC whole vs removed {r['auc']:.3f} (0.5 = chance).", ""]
    if "samples" in s:
        sec = s["samples"]
        r = sec["result"]
        lines += heading("Samples (uncurated)", sec) + [
                  f"Unconditional: {len(r['unconditional'])} samples from an empty text, top-p {sec['args']['top_p']}, seeds "
                  f"0..{len(r['unconditional']) - 1}, at most {sec['args']['sample_tokens']} insertions, in the order drawn "
                  "(⏎ = line break):", ""]
        for u in r["unconditional"]:
            lines += [f"{u['seed'] + 1}. ({u['length']} tokens, {u['stop_reason']}) " + quote(u["text"])]
        lines += ["", f"Infills: the first {len(r['infills'])} passages of the infill set, top-p; the ILM's fill in "
                  "**[brackets]**, then the removed original and the AR baseline's continuation:", ""]
        for k, it in enumerate(r["infills"]):
            d = it.get("delta_nll_pct") or {}
            lines += [f"{k + 1}. ({it['source']}; ΔNLL ILM {fmt(d.get('ilm_top_p'), 1, True)}, AR "
                      f"{fmt(d.get('ar_top_p'), 1, True)}) " + quote(it["prefix"]) + " **[" + quote(it["ilm_fill"])
                      + "]** " + quote(it["suffix"]),
                      f"   - original: {quote(it['original'])}"]
            if "ar_fill" in it:
                lines.append(f"   - AR: {quote(it['ar_fill'])}")
        rep = r.get("repetition")
        if rep:
            names = dict(unconditional="ILM samples", ar_unconditional="AR samples (same size, no end-of-text: full length)",
                         heldout_passages="held-out passages (reference)")
            lines += ["", f"Repetition (token {rep['unconditional']['n']}-grams already seen earlier in the same text) and "
                      "evaluator NLL of the unconditional samples:", "",
                      "| texts | count | mean length | repeated n-grams | distinct tokens | evaluator NLL |", "|---|---|---|---|---|---|"]
            for key, st in rep.items():
                lines.append(f"| {names.get(key, key)} | {st['texts']} | {st['mean_length']:.1f} | {100 * st['repeated_ngram']:.1f}% "
                             f"| {100 * st['distinct_tokens']:.1f}% | {fmt(r.get(f'{key}_evaluator_nll_mean'), 3)} |")
    return "\n".join(lines).strip()


def latency_section(bench, bar_ms, model_dir="models/<name>"):
    if not bench:
        return (f"**To fill**: run `npm run --silent bench -- --json --model {model_dir} > bench.json` on the target "
                f"machine and rebuild this card with `--bench bench.json`. Bar: one insertion step over 256 tokens in ≤ {bar_ms:g} ms "
                "(median, onnxruntime-node, 2-core machine).")
    step = bench.get("step_ms", {})
    s256 = step.get("256")
    lines = [f"`npm run --silent bench -- --json` (onnxruntime-node, provider {bench.get('provider', '?')}, "
             f"{bench.get('threads', '?')}): median ms per insertion step (one forward pass, batch 1):", "",
             "| tokens | " + " | ".join(step) + " |", "|---|" + "---|" * len(step),
             "| ms | " + " | ".join(f"{v}" for v in step.values()) + " |", ""]
    if s256 is not None:
        lines.append(f"At 256 tokens: {s256} ms, bar ≤ {bar_ms:g} ms: **{'met' if s256 <= bar_ms else 'NOT met'}**.")
    if "ar_decode_ms_per_token" in bench:
        lines.append(f"Same-size AR with a key/value cache: {bench['ar_decode_ms_per_token']} ms per token.")
    rates = bench.get("insert_tokens_per_s")
    if rates:
        ratio = bench.get("insert_over_ar") or {}
        lines += ["", "Inserted tokens/s in a fill (k insertions per forward pass, in distinct gaps; ratio to the AR):", "",
                  "| fill | " + " | ".join(rates) + " |", "|---|" + "---|" * len(rates),
                  "| tokens/s | " + " | ".join(f"{v}" for v in rates.values()) + " |",
                  "| × AR | " + " | ".join(f"{ratio.get(k, '–')}" for k in rates) + " |"]
    return "\n".join(lines)


def weaknesses_section(ev):
    s = (ev or {}).get("sections", {})
    inf = s.get("infill", {}).get("result", {})
    ilm = {m: e for m, e in inf.get("methods", {}).items() if m.startswith("ilm")}
    by_src = {m: e.get("delta_nll_pct_by_source") for m, e in ilm.items() if e.get("delta_nll_pct_by_source")}
    rep = s.get("samples", {}).get("result", {}).get("repetition")
    lines = ["- **Register mix.** The training text mixes 1880s novels, short stories of many eras and TinyStories; the "
             "model can drift between them inside one passage (archaic diction in a children's story, or the reverse) "
             "and has no control input for register."]
    if by_src:
        m, b = next(iter(by_src.items()))
        lines[-1] += " Infilling quality differs by source (ΔNLL_gt mean, " + m + ": " + ", ".join(
            f"{k} {fmt(v['mean'], 1, True)}" for k, v in b.items() if v) + ")."
    length = s.get("length", {}).get("result", {}).get("models", {}).get("ilm")
    lines.append(length_weakness(length) if length and length.get("length_head")
                 else stop_weakness(ilm, s.get("stop", {}).get("result")))
    line = ("- **Repetition.** Small models repeat words and phrases, more so with greedy decoding; top-p sampling "
            "reduces but does not remove it.")
    if rep:
        def pct(key):
            return f"{100 * rep[key]['repeated_ngram']:.1f}%"
        line += (f" {pct('unconditional')} of the token {rep['unconditional']['n']}-grams in the unconditional samples "
                 f"repeat an earlier one in the same sample (held-out text: {pct('heldout_passages')}"
                 + (f"; the same-size AR's samples: {pct('ar_unconditional')}" if "ar_unconditional" in rep else "") + ").")
    lines.append(line)
    lines.append("- **Coherence.** Fills are locally fluent at best; names, facts and plot from far away in the window "
                 "are often ignored or contradicted.")
    return "\n".join(lines)


def stop_weakness(ilm, stop):
    """A model without a length head: its stop head decides, from the infill and stop sections' numbers."""
    line = ("- **Length control.** How much the model writes into a gap is decided only by its stop head; there is no "
            "length target, and the app's caps cut long fills.")
    for m, e in ilm.items():
        if "_k" in m:  # the parallel-insertion variants stop (or not) like their one-at-a-time decode
            continue
        line += (f" On one-sentence infills ({e['decode']}) it wrote {e['fill_over_original']:.2f}× the removed length "
                 f"on average and stopped by itself in {100 * e['stopped_by_stop_head']:.0f}% of gaps.")
    if stop:
        line += (f" The stop head does not tell a complete text from an incomplete one (P(complete) on whole held-out "
                 f"passages {stop['whole']['mean']:.3f} on average, on the same passages with a sentence removed "
                 f"{stop['cut']['mean']:.3f}; AUC {stop['auc']:.2f}): training draws the number of dropped tokens "
                 "uniformly from 0 to the window's length, so a complete window is about 1 example in 250 and the head "
                 "learned that base rate. Until a model trained with more complete windows ships, give gaps a maximum.")
    return line


def length_weakness(m):
    """The length head's weak points, from the length section's numbers for the model."""
    sentence, clause = m["predict"].get("sentence") or {}, m["predict"].get("clause") or {}
    planned = m["fills"].get("planned") or {}
    return ("- **Length control.** The length head's estimate of an empty gap stays near the size of the spans it was "
            f"trained on: {clause.get('predicted_median', 0):.0f} tokens where a clause of "
            f"{clause.get('true_median', 0):.0f} was removed, {sentence.get('predicted_median', 0):.0f} for a sentence "
            f"of {sentence.get('true_median', 0):.0f} (within 2× for {100 * sentence.get('within_2x', 0):.0f}% of "
            "sentences). A gap therefore ends by itself, but an unbounded one-sentence gap gets about "
            f"{planned.get('word_ratio_median', 0):.1f}× the words removed (within 0.5–2× in "
            f"{100 * planned.get('within_half_to_2x', 0):.0f}% of passages), and the shorter the gap a writer means, "
            "the more the model overshoots it. Give a gap a maximum where its size matters.")


def show(path):
    p = os.path.abspath(path)
    return os.path.relpath(p, ROOT) if p.startswith(ROOT + os.sep) else p


def build(model_dir, eval_path=None, curve=None, bench=None, template=None, bar_ms=40.0, results_md=None, status=None,
          notes=None):
    meta = load_json(os.path.join(model_dir, "model.json"))
    ev = load_json(eval_path) if eval_path else None
    if curve:
        shutil.copyfile(curve, os.path.join(model_dir, "curve.png"))
    curve_ref = "curve.png" if os.path.exists(os.path.join(model_dir, "curve.png")) else None
    if results_md is None and eval_path:
        md = os.path.splitext(eval_path)[0] + ".md"
        results_md = show(md) if os.path.exists(md) else None
    name = os.path.basename(os.path.normpath(model_dir))
    a = meta["architecture"]
    fields = dict(
        title=f"{name}: Inlay's {'insertion' if meta['kind'] == 'ilm' else 'autoregressive'} story model",
        summary=f"{meta['kind'].upper()}, {meta['parameters']:,} parameters ({a['n_layer']} layers × {a['d_model']}), "
                f"{meta['max_len']}-token window, trained on {(meta.get('training') or {}).get('tokens_seen', 0):,} tokens. "
                "Written by `training/model_card.py` from model.json and the evaluation JSON."
                + (f"\n\n**Status:** {status}" if status else ""),
        notes=open(notes, encoding="utf-8").read().strip() + "\n\n" if notes else "",
        intended_use=INTENDED_USE, data=data_section(meta), architecture=arch_section(meta),
        training=training_section(meta, curve_ref), evaluation=eval_section(ev, meta, results_md),
        latency=latency_section(load_json(bench) if bench else None, bar_ms, show(model_dir)), weaknesses=weaknesses_section(ev))
    text = (open(template, encoding="utf-8").read() if template else TEMPLATE).format(**fields)
    out = os.path.join(model_dir, "MODEL_CARD.md")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="exported model folder (model.json)")
    p.add_argument("--eval", help="evaluate_story.py JSON")
    p.add_argument("--curve", help="training-curve PNG to copy in as curve.png")
    p.add_argument("--bench", help="output of `npm run --silent bench -- --json`")
    p.add_argument("--template", help="Markdown template with the placeholders of TEMPLATE")
    p.add_argument("--latency-bar-ms", type=float, default=40.0)
    p.add_argument("--status", help="a line under the summary, e.g. that this is an interim checkpoint")
    p.add_argument("--notes", help="Markdown inserted after the summary (why this size, what was tried)")
    args = p.parse_args(argv)
    print(build(args.model, args.eval, args.curve, args.bench, args.template, args.latency_bar_ms, status=args.status,
                notes=args.notes))


if __name__ == "__main__":
    main()
