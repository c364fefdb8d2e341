#!/usr/bin/env bash
# Issue 11 point 9: start the ILM from the AR model, against the ILM warm start, at equal added compute.
# Two arms with the long run's flags (training/long_run.sh), one single-thread rank each, side by side, niced:
#   from-ar:   training/checkpoints/story-ar-eval-fp16.pt (AR, 11.33M positions), attention made bidirectional,
#              length head and gap marker fresh (train.py --init-from)
#   from-warm: ../shared/checkpoints/inlay-story-warm/ckpt-fp16.pt (ILM, 11.2M tokens), the long run's start
# Both the same total compute before (11.3M / 11.2M positions) and the same added (TOKENS, default 2e6).
#   bash training/ar_init_run.sh          # resumes where training/runs/ilm-from-*/ckpt.pt exist
# Then: training/results/ar_init.md (held-out losses from each run's metrics.jsonl, evaluate_story.py length).
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${TOKENS:-2e6}
[ -d training/data/story-bpe8k ] || /usr/bin/python3 training/prepare.py --tokenizer models/inlay-story/tokenizer.json \
  --corpus ../shared/corpus --out training/data/story-bpe8k
for arm in from-ar:training/checkpoints/story-ar-eval-fp16.pt from-warm:../shared/checkpoints/inlay-story-warm/ckpt-fp16.pt; do
  name=${arm%%:*} source=${arm#*:}
  out=training/runs/ilm-$name
  mkdir -p "$out"
  start=(--init-from "$source")
  [ -f "$out/ckpt.pt" ] && start=(--resume)
  nohup nice -n 10 /usr/bin/python3 training/train.py --threads 1 \
    --data training/data/story-bpe8k --out "$out" --objective ilm \
    --drops scatter:0.3,span:0.6,complete:0.1 --crop-min 16 --length-weight 1 --stop-weight 1 \
    --tokens-per-batch 8192 --micro-tokens 1024 --lr 5e-4 --warmup 50 \
    --max-tokens "$tokens" --eval-every 50 --ckpt-every-min 5 "${start[@]}" >> "$out/train.log" 2>&1 &
done
echo "started both arms; progress: tail -f training/runs/ilm-from-{ar,warm}/train.log"
