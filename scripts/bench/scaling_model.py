#!/usr/bin/env python3
"""Step time of data-parallel DiT training on N nodes, on paper (docs/distributed.md "Measured on this machine").

    step = compute + comm                    (no overlap: dit-train today, one collective after the backward)
    step = forward + max(backward, comm)     (overlap: buckets reduced while the backward runs; backward = 2/3 of compute)
    compute = (global_batch / N) · seconds_per_sample      (samples/node rounded up)
    comm    = 2 (N − 1) / N · 4 P / bandwidth              (ring allreduce of float32 gradients; ZeRO-1's
                                                            reduce-scatter + all-gather move the same bytes)
Efficiency = compute / step (1.0 = linear scaling from the per-sample compute).

    scaling_model.py --sample-seconds 15.9 [--params 675129632] [--global-batch 256] [--nodes 8,16,...]
"""
import argparse, math

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sample-seconds", type=float, required=True, help="compute (loss + backward + update) per sample on one node")
    p.add_argument("--params", type=int, default=675_129_632, help="parameter count (DiT-XL/2 256)")
    p.add_argument("--global-batch", type=int, default=256)
    p.add_argument("--nodes", default="8,16,32,64,128,256")
    p.add_argument("--gbits", default="10,100", help="link bandwidths in Gb/s")
    p.add_argument("--speedup", type=float, default=1.0, help="scale the per-sample compute down by this factor (a faster node)")
    a = p.parse_args()
    t = a.sample_seconds / a.speedup
    nbytes = 4 * a.params
    bands = [float(g) for g in a.gbits.split(",")]
    head = "| N | samples/node | compute s |" + "".join(f" comm {g:g} Gb/s s | step {g:g}G no overlap (eff.) | step {g:g}G overlap (eff.) |" for g in bands)
    print(f"per-sample compute {t:.3f} s, gradient {nbytes / 1e9:.2f} GB (P = {a.params:,}), global batch {a.global_batch}")
    print(head)
    print("|" + "---|" * (3 + 3 * len(bands)))
    for n in [int(x) for x in a.nodes.split(",")]:
        per = math.ceil(a.global_batch / n)
        compute = per * t
        row = f"| {n} | {per} | {compute:.2f} |"
        for g in bands:
            comm = 2 * (n - 1) / n * nbytes / (g * 1e9 / 8)
            plain = compute + comm
            overlap = compute / 3 + max(2 * compute / 3, comm)
            row += f" {comm:.2f} | {plain:.2f} ({compute / plain:.2f}) | {overlap:.2f} ({compute / overlap:.2f}) |"
        print(row)

if __name__ == "__main__":
    main()
