"""Does the length head read the missing count off the draft's length? The expected missing length (lambda) at one
marked gap in the middle of held-out text cut to n tokens, for several n. A model trained on windows of one length
(254 body tokens) learns lambda ~ 254 - n, which says nothing about a writer's draft.

    /usr/bin/python3 training/length_leak.py --ckpt training/checkpoints/story-ilm-length-fp16.pt
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoints import load_model  # noqa: E402
from length_eval import forward_all  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True)
    p.add_argument("--data", default="training/data/story-bpe8k/short-stories/val.bin")
    p.add_argument("--start", type=int, default=5000, help="token offset of the text in --data")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    model, ck = load_model(args.ckpt)
    window = ck["config"]["max_len"] - 2
    tokens = np.fromfile(args.data, dtype=np.uint16)[args.start:args.start + window].astype(int).tolist()
    print("| text length n | lambda at a marked gap in the middle | window - n |\n|---|---|---|")
    for n in range(40, window + 1, 40):
        lam, _ = forward_all(model, [tokens[:n]], [{n // 2}])
        print(f"| {n} | {float(lam[0][n // 2]):.1f} | {window - n} |")


if __name__ == "__main__":
    main()
