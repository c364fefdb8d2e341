#!/usr/bin/env bash
# One arm of a short comparison run (issue 11): the long run's flags (training/long_run.sh) on one single-thread
# rank, niced, in the background, from given weights with given drops, on a 2M-token cosine horizon.
#   bash training/short_run.sh NAME INIT [DROPS]     # DROPS default: the long run's scatter:0.3,span:0.6,complete:0.1
# Writes training/runs/short-NAME/ (train.log, metrics.jsonl: train.py's held-out evaluation every 50 steps, ckpt.pt
# every 5 minutes); run again to resume. The arms compared so far (training/results/short_runs.md):
#   start the ILM from the AR model (point 9), against the ILM warm start, at equal compute before and after:
#     bash training/short_run.sh from-ar training/checkpoints/story-ar-eval-fp16.pt
#     bash training/short_run.sh from-warm ../shared/checkpoints/inlay-story-warm/ckpt-fp16.pt
#   the drop mixture (point 2), from the warm start (from-warm is the long run's mixture):
#     bash training/short_run.sh paper ../shared/checkpoints/inlay-story-warm/ckpt-fp16.pt scatter:1
#     bash training/short_run.sh spans ../shared/checkpoints/inlay-story-warm/ckpt-fp16.pt span:0.9,complete:0.1
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 init=$2 drops=${3:-scatter:0.3,span:0.6,complete:0.1}
[ -d training/data/story-bpe8k ] || /usr/bin/python3 training/prepare.py --tokenizer models/inlay-story/tokenizer.json \
  --corpus ../shared/corpus --out training/data/story-bpe8k
out=training/runs/short-$name
mkdir -p "$out"
start=(--init-from "$init")
[ -f "$out/ckpt.pt" ] && start=(--resume)
nohup nice -n 10 /usr/bin/python3 training/train.py --threads 1 \
  --data training/data/story-bpe8k --out "$out" --objective ilm \
  --drops "$drops" --crop-min 16 --length-weight 1 --stop-weight 1 \
  --tokens-per-batch 8192 --micro-tokens 1024 --lr 5e-4 --warmup 50 \
  --max-tokens 2e6 --eval-every 50 --ckpt-every-min 5 "${start[@]}" >> "$out/train.log" 2>&1 &
echo "started $name; progress: tail -f $out/train.log"
