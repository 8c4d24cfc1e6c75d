"""Conversion benchmark against MindONE's converters, same machine, same run.

Runs, interleaved, (1) the Python baseline doing what MindONE's converter does, (2) this project's
tool, (3) `cp` of the source as a floor, and reports wall time and peak RSS of each (rusage of the
child process), the ratios, and whether the two `.ckpt` files are byte-identical.

    ~/fixtures-venv/bin/python scripts/bench/convert_benchmark.py --family dit [--tool ckpt|dit-convert]
    ~/fixtures-venv/bin/python scripts/bench/convert_benchmark.py --family vae

- dit: a DiT-XL/2-sized fp32 `.pt` (random weights, official names and shapes, 292 tensors,
  675,129,632 parameters, 2.7 GB); baseline = tools/dit_converter.py (`torch.load` +
  `mindspore.save_checkpoint`).
- vae: an sd-vae-ft-mse-sized VAE (diffusers AutoencoderKL, random weights, old attention names as on
  the hub, 248 tensors, 335 MB safetensors); baseline = tools/vae_converter.py (safe_open, rename by the
  paired name lists, reshape, `mindspore.save_checkpoint`), reproduced in fixtures/generate/gen_convert.py.
Sources are generated once under --work and not committed. Build first: swift build -c release.
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time

VAE_BASELINE = r"""
import sys
sys.path.insert(0, sys.argv[3])
import gen_convert as g
from safetensors import safe_open
src, dst = sys.argv[1], sys.argv[2]
with safe_open(src, framework="pt") as f:
    shapes = {k: f.get_slice(k).get_shape() for k in f.keys()}
import torch
lines_pt, lines_ms = g.mindone_vae_name_lists({k: torch.empty(v) for k, v in shapes.items()})
g.mindone_vae_converter(src, dst, lines_pt, lines_ms)
"""

BASELINE = r"""
import sys, torch, mindspore as ms
src, dst = sys.argv[1], sys.argv[2]
sd = torch.load(src, map_location="cpu")  # argv[3] (fixtures/generate) unused here
if "state_dict" in sd:
    sd = sd["state_dict"]
ms.save_checkpoint([{"name": k, "data": ms.Tensor(v.cpu().detach().numpy())} for k, v in sd.items()], dst)
"""


def dit_xl_shapes(depth=28, hidden=1152, patch=2, channels=4, tokens=256, classes=1000):
    shapes = [("pos_embed", (1, tokens, hidden)), ("x_embedder.proj.weight", (hidden, channels, patch, patch)),
              ("x_embedder.proj.bias", (hidden,)), ("t_embedder.mlp.0.weight", (hidden, 256)),
              ("t_embedder.mlp.0.bias", (hidden,)), ("t_embedder.mlp.2.weight", (hidden, hidden)),
              ("t_embedder.mlp.2.bias", (hidden,)), ("y_embedder.embedding_table.weight", (classes + 1, hidden))]
    for i in range(depth):
        b = f"blocks.{i}."
        shapes += [(b + "attn.qkv.weight", (3 * hidden, hidden)), (b + "attn.qkv.bias", (3 * hidden,)),
                   (b + "attn.proj.weight", (hidden, hidden)), (b + "attn.proj.bias", (hidden,)),
                   (b + "mlp.fc1.weight", (4 * hidden, hidden)), (b + "mlp.fc1.bias", (4 * hidden,)),
                   (b + "mlp.fc2.weight", (hidden, 4 * hidden)), (b + "mlp.fc2.bias", (hidden,)),
                   (b + "adaLN_modulation.1.weight", (6 * hidden, hidden)), (b + "adaLN_modulation.1.bias", (6 * hidden,))]
    out = patch * patch * channels * 2
    shapes += [("final_layer.linear.weight", (out, hidden)), ("final_layer.linear.bias", (out,)),
               ("final_layer.adaLN_modulation.1.weight", (2 * hidden, hidden)),
               ("final_layer.adaLN_modulation.1.bias", (2 * hidden,))]
    return shapes


def make_source(path):
    import torch
    torch.manual_seed(0)
    sd = {name: torch.randn(shape) * 0.02 for name, shape in dit_xl_shapes()}
    assert len(sd) == 292 and sum(t.numel() for t in sd.values()) == 675_129_632
    torch.save(sd, path)


def make_vae_source(path):
    import torch
    from diffusers import AutoencoderKL
    from safetensors.torch import save_file
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "generate"))
    import gen_convert as g
    torch.manual_seed(0)
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, down_block_types=["DownEncoderBlock2D"] * 4,
                        up_block_types=["UpDecoderBlock2D"] * 4, block_out_channels=[128, 256, 512, 512],
                        layers_per_block=2, norm_num_groups=32, sample_size=256)
    state = {k: v.contiguous() for k, v in g.to_legacy_attention_names(vae.state_dict()).items()}
    assert len(state) == 248 and sum(t.numel() for t in state.values()) == 83_653_863
    save_file(state, path)


def run(cmd):
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", default="bench-work")
    parser.add_argument("--family", choices=["dit", "vae"], default="dit")
    parser.add_argument("--tool", choices=["ckpt", "dit-convert", "vae-convert"], default=None)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    generate = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "generate")
    if args.family == "dit":
        src = os.path.join(args.work, "DiT-XL-2-256x256.pt")
        baseline = [sys.executable, "-c", BASELINE]
        make = make_source
        tool = args.tool or "dit-convert"
    else:
        src = os.path.join(args.work, "sd-vae-ft-mse-old-names.safetensors")
        baseline = [sys.executable, "-c", VAE_BASELINE]
        make = make_vae_source
        tool = args.tool or "vae-convert"
    template = {"ckpt": ".build/release/ckpt convert --quiet {src} {dst}",
                "dit-convert": ".build/release/dit-convert --quiet --source {src} --target {dst}",
                "vae-convert": ".build/release/vae-convert --quiet --source {src} --target {dst}"}[tool]
    if not os.path.exists(src):
        print("generating", src, file=sys.stderr)
        make(src)
    base_out, tool_out, copy_out = (os.path.join(args.work, n) for n in ("baseline.ckpt", "swift.ckpt", "copy.pt"))
    results = {"baseline": [], "swift": [], "cp": []}
    for r in range(args.repeats):
        for name, output in (("baseline", base_out), ("swift", tool_out), ("cp", copy_out)):
            if os.path.exists(output):
                os.chmod(output, 0o644)  # mindspore saves read-only files
                os.remove(output)
            if name == "baseline":
                cmd = baseline + [src, base_out, generate]
            elif name == "swift":
                cmd = shlex.split(template.format(src=src, dst=tool_out))
            else:
                cmd = ["cp", src, copy_out]
            results[name].append(run(cmd))
            print(f"run {r + 1} {name}: {results[name][-1][0]:.2f} s, {results[name][-1][1]:.0f} MB", file=sys.stderr)
    identical = open(base_out, "rb").read() == open(tool_out, "rb").read() if os.path.exists(tool_out) else False
    med = {k: (statistics.median(t for t, _ in v), max(m for _, m in v)) for k, v in results.items()}
    print("| command | median wall (s) | peak RSS (MB) |")
    print("|---|---|---|")
    label = "tools/dit_converter.py (torch.load + mindspore.save_checkpoint)" if args.family == "dit" else "tools/vae_converter.py (safe_open + rename + reshape + mindspore.save_checkpoint)"
    print(f"| MindONE {label} | {med['baseline'][0]:.2f} | {med['baseline'][1]:.0f} |")
    print(f"| `{template.format(src='SRC', dst='DST').replace('.build/release/', '')}` | {med['swift'][0]:.2f} | {med['swift'][1]:.1f} |")
    print(f"| `cp` (floor) | {med['cp'][0]:.2f} | {med['cp'][1]:.0f} |")
    print()
    print(f"speed-up vs baseline: {med['baseline'][0] / med['swift'][0]:.1f}x; time vs cp: {med['swift'][0] / med['cp'][0]:.2f}x; "
          f"outputs byte-identical: {identical}; repeats: {args.repeats}")


if __name__ == "__main__":
    main()
