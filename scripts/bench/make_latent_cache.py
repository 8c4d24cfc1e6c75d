#!/usr/bin/env python3
"""Writes a `dit-latents-v1` latent cache (safetensors) of random moments for timing dit-train.

Same layout as Sources/Datasets/LatentCache.swift `LatentCacheWriter`: f32 `mean`, `logvar`
[N, C, h, w] (flip False), i64 `labels` [N], and the metadata dit-train checks. Values only need to be
finite: mean ~ U(-2, 2), logvar ~ U(-3, -1). Standard library only (json + struct).

    make_latent_cache.py OUT.safetensors --count 16 --image-size 256 [--classes 1000]
"""
import argparse, json, os, random, struct

def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--count", type=int, default=16)
    p.add_argument("--image-size", type=int, default=256)
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = random.Random(a.seed)
    s = a.image_size // 8
    n = a.count * a.channels * s * s
    mean = struct.pack(f"<{n}f", *(rng.uniform(-2, 2) for _ in range(n)))     # [N, C, s, s]
    logvar = struct.pack(f"<{n}f", *(rng.uniform(-3, -1) for _ in range(n)))  # [N, C, s, s]
    labels = struct.pack(f"<{a.count}q", *(i % a.classes for i in range(a.count)))  # [N]
    shape = [a.count, a.channels, s, s]
    header = {"__metadata__": {"format": "dit-latents-v1", "image_size": str(a.image_size), "scale_factor": "0.18215",
                               "vae": "unknown", "transform": "adm", "flip": "False", "count": str(a.count)}}
    offset = 0
    for name, dtype, shp, data in [("mean", "F32", shape, mean), ("logvar", "F32", shape, logvar), ("labels", "I64", [a.count], labels)]:
        header[name] = {"dtype": dtype, "shape": shp, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + mean + logvar + labels)
        f.flush(); os.fsync(f.fileno())
    os.replace(tmp, a.out)

if __name__ == "__main__":
    main()
