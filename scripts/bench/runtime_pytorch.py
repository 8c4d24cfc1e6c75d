"""PyTorch CPU baseline for `dit-bench`: the official DiT forward_with_cfg (batch 2 = one CFG step) and
diffusers' AutoencoderKL decode (sd-vae-ft-mse configuration), random weights, fp32 (or `--dtype bf16`:
f32 weights under `torch.autocast("cpu", dtype=torch.bfloat16)`), N threads; medians of several runs after
a warm-up. Prints one JSON object with the same keys as `dit-bench --json`.

    ~/fixtures-venv/bin/python scripts/bench/runtime_pytorch.py --dit-repo /path/to/facebookresearch/DiT
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time

import torch


def timed(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dit-repo", default=os.environ.get("DIT_REPO"), required=os.environ.get("DIT_REPO") is None)
    p.add_argument("--model", default="DiT-XL/2")
    p.add_argument("--image-size", type=int, default=256)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-vae", action="store_true")
    p.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32", help="bf16: bf16 autocast (oneDNN's AVX512_BF16 kernels)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sys.path.insert(0, os.path.abspath(args.dit_repo))
    from models import DiT_models  # the official implementation, from the user's clone

    result = {"model": args.model, "image_size": args.image_size, "batch": args.batch, "threads": torch.get_num_threads(),
              "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
              "runs": args.runs, "warmup": args.warmup, "dtype": args.dtype}
    latent = args.image_size // 8
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if args.dtype == "bf16" else contextlib.nullcontext()
    with torch.inference_mode(), autocast:
        model = DiT_models[args.model](input_size=latent).eval()
        for p_ in model.parameters():  # the official init zeroes adaLN/final layers; use real-looking values
            p_.normal_(0, 0.02)
        x = torch.randn(args.batch, 4, latent, latent)
        t = torch.full((args.batch,), 500, dtype=torch.int64)
        y = torch.tensor([207 if i < args.batch // 2 else 1000 for i in range(args.batch)])
        step = (lambda: model.forward_with_cfg(x, t, y, 4.0)) if args.batch % 2 == 0 else (lambda: model(x, t, y))
        runs = timed(step, args.runs, args.warmup)
        result["dit_forward_runs"] = runs
        result["dit_forward_seconds"] = statistics.median(runs)
        del model
        if not args.skip_vae:
            from diffusers import AutoencoderKL
            vae = AutoencoderKL(block_out_channels=[128, 256, 512, 512], down_block_types=["DownEncoderBlock2D"] * 4,
                                up_block_types=["UpDecoderBlock2D"] * 4, latent_channels=4, layers_per_block=2,
                                norm_num_groups=32, sample_size=256).eval()
            z = torch.randn(1, 4, latent, latent) / 0.18215
            runs = timed(lambda: vae.decode(z).sample, args.runs, args.warmup)
            result["vae_decode_runs"] = runs
            result["vae_decode_seconds"] = statistics.median(runs)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
