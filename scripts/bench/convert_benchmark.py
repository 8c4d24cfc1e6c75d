"""Conversion benchmark: DiT-XL/2-sized fp32 `.pt` → MindSpore `.ckpt`.

Runs, in the same session and interleaved, (1) the Python baseline doing what MindONE's
`tools/dit_converter.py` does (`torch.load` + `mindspore.save_checkpoint`), (2) this project's
converter, (3) `cp` of the source as a floor, and reports wall time and peak RSS of each (rusage of
the child process), the ratios, and whether the two `.ckpt` files are byte-identical.

    ~/fixtures-venv/bin/python scripts/bench/convert_benchmark.py [--repeats 3] [--work bench-work]
        [--tool ".build/release/ckpt convert --quiet {src} {dst}"]

The 2.7 GB source is generated once with torch (random weights, official DiT-XL/2 names and shapes,
292 tensors, 675,129,632 parameters) and is not committed.
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time

BASELINE = r"""
import sys, torch, mindspore as ms
src, dst = sys.argv[1], sys.argv[2]
sd = torch.load(src, map_location="cpu")
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
    parser.add_argument("--tool", default=".build/release/ckpt convert --quiet {src} {dst}")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    src = os.path.join(args.work, "DiT-XL-2-256x256.pt")
    if not os.path.exists(src):
        print("generating", src, file=sys.stderr)
        make_source(src)
    base_out, tool_out, copy_out = (os.path.join(args.work, n) for n in ("baseline.ckpt", "swift.ckpt", "copy.pt"))
    results = {"baseline": [], "swift": [], "cp": []}
    for r in range(args.repeats):
        for name, output in (("baseline", base_out), ("swift", tool_out), ("cp", copy_out)):
            if os.path.exists(output):
                os.chmod(output, 0o644)  # mindspore saves read-only files
                os.remove(output)
            if name == "baseline":
                cmd = [sys.executable, "-c", BASELINE, src, base_out]
            elif name == "swift":
                cmd = shlex.split(args.tool.format(src=src, dst=tool_out))
            else:
                cmd = ["cp", src, copy_out]
            results[name].append(run(cmd))
            print(f"run {r + 1} {name}: {results[name][-1][0]:.2f} s, {results[name][-1][1]:.0f} MB", file=sys.stderr)
    identical = open(base_out, "rb").read() == open(tool_out, "rb").read() if os.path.exists(tool_out) else False
    med = {k: (statistics.median(t for t, _ in v), max(m for _, m in v)) for k, v in results.items()}
    print("| command | median wall (s) | peak RSS (MB) |")
    print("|---|---|---|")
    print(f"| Python baseline (torch.load + mindspore.save_checkpoint) | {med['baseline'][0]:.2f} | {med['baseline'][1]:.0f} |")
    print(f"| `{args.tool.format(src='SRC', dst='DST')}` | {med['swift'][0]:.2f} | {med['swift'][1]:.1f} |")
    print(f"| `cp` (floor) | {med['cp'][0]:.2f} | {med['cp'][1]:.0f} |")
    print()
    print(f"speed-up vs baseline: {med['baseline'][0] / med['swift'][0]:.1f}x; time vs cp: {med['swift'][0] / med['cp'][0]:.2f}x; "
          f"outputs byte-identical: {identical}; repeats: {args.repeats}")


if __name__ == "__main__":
    main()
