#!/usr/bin/env bash
# One prepared run for a lent GPU (the `device` tool: one H200, at most 10 minutes a command, 15 a session).
# It trains, concurrently on the one GPU, everything the CPU cannot finish:
#   - the story ILM (6x256, the shipped size: the latency bar holds at this size on a 2-core CPU),
#   - the same-size AR baseline, for the same minutes (issue 4's comparison),
#   - the AR evaluator: the same size trained for longer (issue 4: "larger or longer-trained"),
#   - the star-graph ILM and AR (easy, medium) at a larger size than the CPU allows.
# and packs what comes back (the device returns at most 8 files of 16 MiB): fp16 weights of each story model as a
# train.py-style checkpoint without optimizer state (export.py and evaluate_story.py load it), the star-graph
# results and the logs.
#
# The prepared data travels compressed (the working tree that travels is capped at 64 MiB; the tracked tree is
# ~31 MB): here, once, `tar -cJf training/data/story-bpe8k.tar.xz -C training/data story-bpe8k` (~27 MB); then
#   run(command="bash training/device_run.sh", carry=["training/data/story-bpe8k.tar.xz"], timeout_s=600)
# Afterwards: export.py model --ckpt <returned>.pt, evaluate_story.py on the three, and
# train.py --init-from <returned>.pt to continue any of them on a CPU.
# Dry run of the control flow on a CPU:
#   DEVICE=cpu MINUTES=0.2 STAR_STEPS=10 STAR_EVAL=50 PY=/usr/bin/python3 OUT=/tmp/out bash training/device_run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cuda}
MINUTES=${MINUTES:-6}            # story ILM and AR baseline; the evaluator gets 1.4x
STAR_STEPS=${STAR_STEPS:-15000}
OUT=${OUT:?set OUT to the folder whose files come back}
PY=${PY:-python3}
export PYTHONUNBUFFERED=1
RUNS=$(mktemp -d)
mkdir -p "$OUT"
if [ ! -d training/data/story-bpe8k ]; then tar -xJf training/data/story-bpe8k.tar.xz -C training/data; fi

story() { # name objective minutes [train.py arguments]
  local name=$1 objective=$2 minutes=$3
  shift 3
  "$PY" training/train.py --task story --data training/data/story-bpe8k --out "$RUNS/$name" --objective "$objective" \
    --n-layer 6 --d-model 256 --n-head 4 --d-ff 1024 --max-len 256 --tokens-per-batch 65536 --lr 2e-3 \
    --warmup 200 --time-budget-min "$minutes" --eval-every 500 --log-every 50 --device "$DEVICE" "$@" > "$OUT/$name.log" 2>&1
}
# The ILM continues the CPU's length-head run (its committed fp16 weights) with the same drops and crop.
story story-ilm ilm "$MINUTES" --init-from training/checkpoints/story-ilm-length-fp16.pt \
  --drops scatter:0.3,span:0.6,complete:0.1 --crop-min 16 &
story story-ar ar "$MINUTES" &
story story-ar-eval ar "$(awk "BEGIN{print $MINUTES*1.4}")" &
"$PY" training/star_graph.py reproduce --levels easy,medium --max-steps "$STAR_STEPS" --budget-min "$MINUTES" \
  --n-layer 6 --d-model 256 --n-head 8 --lr 5e-4 --n-eval "${STAR_EVAL:-5000}" --runs "$RUNS/star" --results "$OUT" \
  > "$OUT/star.log" 2>&1 &
wait

# fp16 weights, no optimizer: a 6.9M-parameter model is 14 MB, under the 16 MiB a returned file may have.
"$PY" - "$RUNS" "$OUT" <<'PY'
import sys, torch
runs, out = sys.argv[1:]
for name in ("story-ilm", "story-ar", "story-ar-eval"):
    ckpt = torch.load(f"{runs}/{name}/ckpt.pt", map_location="cpu", weights_only=False)
    halves = {}  # tied embedding and head share one tensor: keep them shared, or the file doubles that matrix
    ckpt["model"] = {k: halves.setdefault(v.data_ptr(), v.half()) for k, v in ckpt["model"].items()}
    for key in ("optimizer", "torch_rng"):
        ckpt.pop(key, None)
    torch.save(ckpt, f"{out}/{name}.pt")
    print(name, ckpt["state"]["step"], "steps", ckpt["state"]["tokens"], "tokens")
PY
# At most 8 files come back: the logs travel as one archive.
tar -czf "$OUT/logs.tar.gz" -C "$OUT" star.log story-ilm.log story-ar.log story-ar-eval.log
rm "$OUT"/*.log
ls -la "$OUT"
