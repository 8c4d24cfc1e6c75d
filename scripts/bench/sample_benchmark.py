"""End-to-end sampling benchmark: DDIM-50 at 256 px, DiT-XL/2 + full SD-VAE (random weights), one
class label with classifier-free guidance 4.0 (batch 2 per step), then the VAE decode — the official
DiT code on PyTorch CPU (2 threads) against `dit-sample`, interleaved in the same run.

    ~/fixtures-venv/bin/python scripts/bench/sample_benchmark.py --dit-repo /path/to/DiT [--repeats 1]

Uses the sources of scripts/bench/convert_benchmark.py (bench-work/DiT-XL-2-256x256.pt and
bench-work/sd-vae-ft-mse-old-names.safetensors, generated there). Reports wall time of each whole
process (loading included) and, for PyTorch, the sampling+decode part alone.
"""
import argparse
import json
import os
import subprocess
import sys
import time

OFFICIAL = r"""
import json, sys, time, torch
sys.path.insert(0, sys.argv[1])
from diffusers import AutoencoderKL
from diffusion import create_diffusion
from models import DiT_models
torch.set_num_threads(2); torch.set_grad_enabled(False)
model = DiT_models["DiT-XL/2"](input_size=32, num_classes=1000).eval()
model.load_state_dict(torch.load(sys.argv[2], map_location="cpu"))
vae = AutoencoderKL.from_pretrained(sys.argv[3]).eval()
start = time.perf_counter()
diffusion = create_diffusion("50")
torch.manual_seed(0)
z = torch.randn(1, 4, 32, 32); y = torch.tensor([207])
z = torch.cat([z, z], 0); y = torch.cat([y, torch.tensor([1000])], 0)
samples = diffusion.ddim_sample_loop(model.forward_with_cfg, z.shape, z, clip_denoised=False,
                                     model_kwargs=dict(y=y, cfg_scale=4.0), progress=False, device="cpu")
samples, _ = samples.chunk(2, dim=0)
image = vae.decode(samples / 0.18215).sample
print(json.dumps({"sample_and_decode_seconds": time.perf_counter() - start}))
"""


def run(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, out.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dit-repo", default=os.environ.get("DIT_REPO"))
    p.add_argument("--work", default="bench-work")
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    dit = os.path.join(args.work, "DiT-XL-2-256x256.pt")
    vae_dir = os.path.join(args.work, "sd-vae-ft-mse")
    os.makedirs(vae_dir, exist_ok=True)
    weights = os.path.join(vae_dir, "diffusion_pytorch_model.safetensors")
    if not os.path.exists(weights):
        os.symlink(os.path.abspath(os.path.join(args.work, "sd-vae-ft-mse-old-names.safetensors")), weights)
    json.dump({"_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
               "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
               "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2,
               "norm_num_groups": 32, "sample_size": 256}, open(os.path.join(vae_dir, "config.json"), "w"))
    swift = [".build/release/dit-sample", "--dit-checkpoint", dit, "--vae-checkpoint", vae_dir, "--image-size", "256",
             "--sampling-steps", "50", "--ddim-sampling", "true", "--class-labels", "207", "--seed", "0",
             "--guidance-scale", "4.0", "--output", os.path.join(args.work, "sample-bench"), "--quiet"]
    official = [sys.executable, "-c", OFFICIAL, args.dit_repo, dit, vae_dir]
    rows = {"swift": [], "pytorch": [], "pytorch_core": []}
    for r in range(args.repeats):
        t, _ = run(swift)
        rows["swift"].append(t)
        print(f"run {r + 1} dit-sample: {t:.1f} s", file=sys.stderr)
        t, out = run(official)
        rows["pytorch"].append(t)
        rows["pytorch_core"].append(json.loads(out.strip().splitlines()[-1])["sample_and_decode_seconds"])
        print(f"run {r + 1} official: {t:.1f} s (sampling+decode {rows['pytorch_core'][-1]:.1f} s)", file=sys.stderr)
    best = {k: min(v) for k, v in rows.items()}
    print("| command | wall (s), best of %d |" % args.repeats)
    print("|---|---|")
    print(f"| `dit-sample` DDIM-50, CFG 4.0, 256 px, DiT-XL/2 + SD-VAE (whole process) | {best['swift']:.1f} |")
    print(f"| official DiT code, PyTorch CPU 2 threads (whole process) | {best['pytorch']:.1f} |")
    print(f"| official, sampling + decode only | {best['pytorch_core']:.1f} |")
    print()
    print(f"ratio dit-sample / official: {best['swift'] / best['pytorch']:.2f} (whole process), "
          f"{best['swift'] / best['pytorch_core']:.2f} (vs official sampling+decode only)")


if __name__ == "__main__":
    main()
