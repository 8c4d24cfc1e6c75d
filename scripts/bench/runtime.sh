#!/usr/bin/env bash
# Runtime benchmark: dit-bench (Swift) against the PyTorch CPU baseline in the same run, interleaved
# (Swift, PyTorch, Swift, PyTorch) so both see the same machine state. Prints both JSON results per round
# and the ratios; append the table to docs/benchmarks.md by hand.
#   scripts/bench/runtime.sh --dit-repo /path/to/facebookresearch/DiT [--rounds 2] [--image-size 256]
set -euo pipefail
cd "$(dirname "$0")/../.."
DIT_REPO="${DIT_REPO:-}"
ROUNDS=2
IMAGE=256
PYTHON="${PYTHON:-$HOME/fixtures-venv/bin/python}"
while [ $# -gt 0 ]; do
    case "$1" in
        --dit-repo) DIT_REPO="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --image-size) IMAGE="$2"; shift 2 ;;
        *) echo "runtime.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$DIT_REPO" ] || { echo "runtime.sh: pass --dit-repo PATH (a clone of facebookresearch/DiT) or set DIT_REPO" >&2; exit 2; }
swift build -c release --scratch-path .build-runtime --product dit-bench >&2
BENCH=.build-runtime/release/dit-bench

# Percentage of CPU time spent busy (all cores) over the next 3 seconds, from /proc/stat.
busy_percent() {
    local a b
    a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
    echo $(( 100 * (total - idle) / (total > 0 ? total : 1) ))
}
# Waits (up to 30 min) for a quiet machine: other processes would distort both sides.
wait_idle() {
    local waited=0 busy
    while busy=$(busy_percent); [ "$busy" -gt 10 ] && [ "$waited" -lt 1800 ]; do
        echo "# waiting for an idle CPU (busy ${busy}%)" >&2; sleep 27; waited=$((waited + 30))
    done
    echo "$busy"
}
for round in $(seq "$ROUNDS"); do
    echo "# round $round $(date -u +%FT%TZ) busy before: $(wait_idle)%"
    swift_json=$("$BENCH" --image-size "$IMAGE" --json)
    echo "swift $swift_json"
    echo "# busy before PyTorch: $(wait_idle)%"
    torch_json=$("$PYTHON" scripts/bench/runtime_pytorch.py --dit-repo "$DIT_REPO" --image-size "$IMAGE")
    echo "torch $torch_json"
    "$PYTHON" - "$swift_json" "$torch_json" <<'PY'
import json, sys
s, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for key in ("dit_forward_seconds", "vae_decode_seconds"):
    print(f"{key}: swift {s[key]:.3f} s, pytorch {t[key]:.3f} s, ratio {s[key] / t[key]:.2f}")
print(f"peak RSS after DiT: {s['peak_rss_bytes_after_dit'] / 1e9:.2f} GB = {s['peak_rss_over_weight_bytes']:.2f} x weights")
PY
done
