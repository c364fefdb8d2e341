#!/usr/bin/env bash
# The AR baseline and the AR evaluator behind the model card's numbers (issue 11, point 8), rebuilt with the card's
# commands: the baseline is 6x256 trained for 7.5M positions (the ILM's compute); the evaluator continues it for
# another 3.75M. Niced, in the background, resumable (a fresh machine continues from the committed fp16 copies):
#   bash training/ar_run.sh            # RANKS=1 (default) or RANKS=2 single-thread ranks
#   pause / continue:  pkill -STOP -f 'train.py.*story-ar'  /  pkill -CONT -f 'train.py.*story-ar'
# Each phase writes training/runs/<name>/ckpt.pt and training/checkpoints/<name>-fp16.pt every 5 minutes (commit
# the latter before a session ends); when the baseline is done the evaluator starts from it.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${RANKS:-1}
[ -d training/data/story-bpe8k ] || /usr/bin/python3 training/prepare.py --tokenizer models/inlay-story/tokenizer.json \
  --corpus ../shared/corpus --out training/data/story-bpe8k
common=(--threads 1 --data training/data/story-bpe8k --objective ar --n-layer 6 --d-model 256 --n-head 4 --d-ff 1024
        --max-len 256 --tokens-per-batch 8192 --micro-tokens 1024 --eval-every 100 --ckpt-every-min 5)

phase() {  # name, then train.py arguments; resumes when a checkpoint exists; returns when the phase is done
  local name=$1; shift
  local out=training/runs/$name portable=training/checkpoints/$name-fp16.pt
  mkdir -p "$out"
  local resume=()
  if [ -f "$out/ckpt.pt" ] || [ -f "$portable" ]; then resume=(--resume); fi
  for ((r = 0; r < ranks; r++)); do
    local env=()
    if [ "$ranks" -gt 1 ]; then env=(MASTER_ADDR=127.0.0.1 MASTER_PORT=29527 RANK=$r WORLD_SIZE=$ranks LOCAL_RANK=$r); fi
    env "${env[@]}" nice -n 10 /usr/bin/python3 training/train.py "${common[@]}" --out "$out" --portable "$portable" \
      "${resume[@]}" "$@" >> "$out/rank$r.log" 2>&1 &
  done
  wait
}

(
  phase story-ar-base --lr 1e-3 --warmup 100 --max-tokens 7.5e6
  base=training/runs/story-ar-base/ckpt.pt
  [ -f "$base" ] || base=training/checkpoints/story-ar-base-fp16.pt  # a fresh machine: the committed copy
  phase story-ar-eval --init-from "$base" --lr 5e-4 --warmup 20 --max-tokens 3.75e6
) &
echo "started (ranks: $ranks); progress: tail -f training/runs/story-ar-base/rank0.log"
