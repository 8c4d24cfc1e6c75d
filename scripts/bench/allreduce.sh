#!/usr/bin/env bash
# Allreduce benchmark (issue 13): in-place float32 sums of 1, 25 and 100 MB over 2 processes on this host,
# as one call and in 4 MiB slices, through the Swift Communicator (mpi-selftest bench) against, in the
# same run: the same MPI_Allreduce called from C (scripts/bench/allreduce_anchor.c, built with mpicc) and
# PyTorch's torch.distributed gloo backend (what DDP uses on CPUs; allreduce_torch.py). Then the
# non-blocking overlap check (mpi-selftest overlap: 25 MB in 4 MiB buckets against 100 ms of
# computation). Results go to docs/benchmarks.md by hand.
#   scripts/bench/allreduce.sh [--rounds 2] [--ranks 2]
# MPI_SELFTEST=path/to/mpi-selftest uses an existing build (default: build it with -c release).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=2; RANKS=2
PYTHON="${PYTHON:-$HOME/fixtures-venv/bin/python}"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --ranks) RANKS="$2"; shift 2 ;;
        *) echo "allreduce.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "${MPI_SELFTEST:-}" ]; then
    swift build -c release --scratch-path .build-runtime --product mpi-selftest >&2
    MPI_SELFTEST=.build-runtime/release/mpi-selftest
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpicc -O2 scripts/bench/allreduce_anchor.c -o "$work/allreduce_anchor"
MPIRUN=(timeout -k 5 600 mpirun --allow-run-as-root --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader -n "$RANKS")
echo "# $RANKS processes, $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    c=$("${MPIRUN[@]}" "$work/allreduce_anchor" < /dev/null)
    swift=$("${MPIRUN[@]}" "$MPI_SELFTEST" bench < /dev/null)
    torch=$("$PYTHON" scripts/bench/allreduce_torch.py --ranks "$RANKS")
    "$PYTHON" - "$c" "$swift" "$torch" "$round" <<'PY'
import json, sys
def parse(text):
    return {(d["megabytes"], d["variant"]): d for d in map(json.loads, text.strip().splitlines())}
c, swift, torch = (parse(t) for t in sys.argv[1:4])
print(f"round {sys.argv[4]}: ms (GB/s); ratios swift/C and swift/torch (< 1 = swift faster)")
for key in sorted(swift):
    s, a, t = swift[key]["ms"], c[key]["ms"], torch[key]["ms"]
    print(f"  {key[0]:>3} MB {key[1]:<13} swift {s:8.2f} ({swift[key]['GBps']:.2f})  C {a:8.2f} ({c[key]['GBps']:.2f})"
          f"  torch-gloo {t:8.2f} ({torch[key]['GBps']:.2f})  swift/C {s / a:.2f}  swift/torch {s / t:.2f}")
PY
done
echo "# overlap: 25 MB in 4 MiB buckets against 100 ms of computation (ms; wait = time left in finish())"
"${MPIRUN[@]}" "$MPI_SELFTEST" overlap < /dev/null
