"""The PyTorch anchor of scripts/bench/allreduce.sh: torch.distributed.all_reduce (SUM, float32, in place) with
the gloo backend — what DistributedDataParallel uses on CPUs — over 2 processes on this host, same sizes,
repetitions and variants as mpi-selftest bench ("one-call" = one all_reduce per buffer, "chunked-4MiB" =
4 MiB slices, as DDP's buckets). Prints JSON lines; each time is the slowest rank's mean.

    ~/fixtures-venv/bin/python scripts/bench/allreduce_torch.py [--ranks 2]
"""
import argparse
import json
import os
import socket
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def worker(rank, world, port, out):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    lines = []
    for megabytes, reps in ((1, 200), (25, 20), (100, 8)):
        count = megabytes * 1_000_000 // 4
        buffer = torch.ones(count, dtype=torch.float32)
        for name, chunk in (("chunked-4MiB", (4 << 20) // 4), ("one-call", count)):
            pieces = list(buffer.split(chunk))
            for p in pieces:
                dist.all_reduce(p)
            dist.barrier()
            start = time.perf_counter()
            for _ in range(reps):
                for p in pieces:
                    dist.all_reduce(p)
            mine = torch.tensor([(time.perf_counter() - start) / reps], dtype=torch.float64)
            dist.all_reduce(mine, op=dist.ReduceOp.MAX)
            seconds = mine.item()
            lines.append({"bench": "allreduce", "GBps": count * 4 / seconds / 1e9, "megabytes": megabytes, "ms": seconds * 1e3,
                          "ranks": world, "variant": name})
            buffer.fill_(1)
    if rank == 0:
        with open(out, "w") as f:
            for line in lines:
                f.write(json.dumps(line, sort_keys=True) + "\n")
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ranks", type=int, default=2)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = f"/tmp/allreduce_torch_{os.getpid()}.jsonl"
    mp.spawn(worker, args=(args.ranks, port, out), nprocs=args.ranks, join=True)
    with open(out) as f:
        print(f.read(), end="")
    os.remove(out)


if __name__ == "__main__":
    main()
