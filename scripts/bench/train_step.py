"""PyTorch CPU baseline for `dit-bench --train`: one official DiT training step on latents, as train.py runs
it — `diffusion.training_losses` (create_diffusion(timestep_respacing="")) on the official models.py,
`loss.backward()`, `torch.optim.AdamW(lr=1e-4, weight_decay=0)` step and the EMA update (decay 0.9999) —
random weights (every layer, so no zero-init shortcut), fp32, N threads, medians after a warm-up. Also times
the loss + backward part alone (what `dit-bench --train` times). Prints one JSON object.

`--dtype bf16`: the forward and loss under `torch.autocast("cpu", dtype=torch.bfloat16)` (PyTorch's mixed
precision on a CPU: linear/matmul/conv in bf16 through oneDNN, the rest in f32; backward outside the context as
autocast prescribes), f32 master weights, AdamW and EMA — the anchor of `dit-bench --train --dtype bf16`.

    ~/fixtures-venv/bin/python scripts/bench/train_step.py --dit-repo /path/to/DiT --model DiT-B/2 --batch 4
    scripts/bench/train_step.py ... --swift .build-runtime/release/dit-bench   # also runs dit-bench --train, ratios

Peak RSS is this process's ru_maxrss (the Swift side reports its own).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import OrderedDict
from copy import deepcopy

import torch


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dit-repo", default=os.environ.get("DIT_REPO"), required=os.environ.get("DIT_REPO") is None)
    p.add_argument("--model", default="DiT-XL/2")
    p.add_argument("--image-size", type=int, default=256)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--swift", help="path to dit-bench: run `dit-bench --train` with the same settings first and print ratios")
    args = p.parse_args()

    swift = None
    if args.swift:
        out = subprocess.run([args.swift, "--train", "--model", args.model, "--image-size", str(args.image_size),
                              "--batch", str(args.batch), "--runs", str(args.runs), "--warmup", str(args.warmup),
                              "--threads", str(args.threads), "--dtype", args.dtype, "--json"], check=True, capture_output=True, text=True).stdout
        swift = json.loads(out.strip().splitlines()[-1])

    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = False
    sys.path.insert(0, os.path.abspath(args.dit_repo))
    from models import DiT_models
    from diffusion import create_diffusion

    torch.manual_seed(0)
    model = DiT_models[args.model](input_size=args.image_size // 8, num_classes=1000)
    with torch.no_grad():
        for name, q in model.named_parameters():
            if name != "pos_embed":
                q.normal_(0, (1 / q[0].numel()) ** 0.5 if q.dim() >= 2 else 0.02)
    ema = deepcopy(model).requires_grad_(False)
    diffusion = create_diffusion(timestep_respacing="")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0)
    model.train()
    n, s = args.batch, args.image_size // 8
    x = torch.randn(n, 4, s, s)
    y = torch.randint(0, 1000, (n,))

    @torch.no_grad()
    def update_ema(decay=0.9999):
        ema_params = OrderedDict(ema.named_parameters())
        for name, param in model.named_parameters():
            ema_params[name].mul_(decay).add_(param.data, alpha=1 - decay)

    def loss_backward():
        t = torch.randint(0, diffusion.num_timesteps, (n,))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.dtype == "bf16"):
            loss = diffusion.training_losses(model, x, t, dict(y=y))["loss"].mean()
        opt.zero_grad()
        loss.backward()
        return loss

    def full_step():
        loss_backward()
        opt.step()
        update_ema()

    def timed(fn):
        for _ in range(args.warmup):
            fn()
        out = []
        for _ in range(args.runs):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        return out

    steps = timed(full_step)
    backward_only = timed(loss_backward)
    result = {"model": args.model, "image_size": args.image_size, "batch": n, "threads": args.threads, "dtype": args.dtype, "torch": torch.__version__,
              "train_step_seconds": statistics.median(steps), "train_step_runs": steps,
              "loss_backward_seconds": statistics.median(backward_only), "loss_backward_runs": backward_only,
              "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if swift:
        result["swift"] = swift
        result["ratio_vs_full_step"] = swift["train_step_seconds"] / result["train_step_seconds"]
        result["ratio_vs_loss_backward"] = swift["train_step_seconds"] / result["loss_backward_seconds"]
        result["rss_ratio"] = swift["peak_rss_bytes"] / result["peak_rss_bytes"]
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
