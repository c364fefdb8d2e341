#!/usr/bin/env bash
# The story ILM's long run with the length head and the gap marker: two single-thread CPU ranks, niced, in the background.
#   resume (this machine's runs/ or, on a fresh one, the committed fp16 copy):  bash training/long_run.sh --resume
#   (RANKS=1 bash training/long_run.sh --resume: one rank, beside training/ar_run.sh on the other core)
#   start (phase 2, how it began; see training/results/length_run.md):
#       bash training/long_run.sh --init-from <phase 1's fp16 file at step 1,512>
#   pause / continue (e.g. for a benchmark):  pkill -STOP -f training/train.py  /  pkill -CONT -f training/train.py
# Every 5 minutes rank 0 writes training/runs/story-ilm-marked/ckpt.pt and training/checkpoints/story-ilm-length-fp16.pt
# (commit the latter before a session ends). The horizon (--time-budget-min) counts all sessions of this phase together:
# 320 minutes until step 5,339 (session 5), then extended to 480.
set -euo pipefail
cd "$(dirname "$0")/.."
out=training/runs/story-ilm-marked
mkdir -p "$out"
[ -d training/data/story-bpe8k ] || /usr/bin/python3 training/prepare.py --tokenizer models/inlay-story/tokenizer.json \
  --corpus ../shared/corpus --out training/data/story-bpe8k
ranks=${RANKS:-2}  # RANKS=1 leaves a core to another run (training/ar_run.sh); the global batch stays the same
for ((r = 0; r < ranks; r++)); do
  env=()
  if [ "$ranks" -gt 1 ]; then env=(MASTER_ADDR=127.0.0.1 MASTER_PORT=29517 RANK=$r WORLD_SIZE=$ranks LOCAL_RANK=$r); fi
  env "${env[@]}" nohup nice -n 10 /usr/bin/python3 training/train.py --threads 1 \
    --data training/data/story-bpe8k --out "$out" --objective ilm \
    --drops scatter:0.3,span:0.6,complete:0.1 --crop-min 16 --length-weight 1 --stop-weight 1 \
    --tokens-per-batch 8192 --micro-tokens 1024 --lr 5e-4 --warmup 50 \
    --time-budget-min 480 --eval-every 100 --ckpt-every-min 5 \
    --portable training/checkpoints/story-ilm-length-fp16.pt "$@" >> "$out/rank$r.log" 2>&1 &
done
echo "started $ranks rank(s); progress: tail -f $out/rank0.log"
