#!/usr/bin/env bash
# Runtime benchmark: dit-bench (Swift) against the PyTorch CPU baseline in the same run, interleaved
# (Swift, PyTorch, Swift, PyTorch) so both see the same machine state. Prints both JSON results per round
# and the ratios; append the table to docs/benchmarks.md by hand.
# --dtype bf16: each round times Swift bf16, PyTorch bf16 autocast and Swift f32 (the DiT step and the VAE
# decode, both bf16 on the Swift side: `dit-bench --dtype bf16`; PyTorch runs both under torch.autocast), and
# prints bf16/PyTorch-bf16 and bf16/f32 ratios for each.
#   scripts/bench/runtime.sh --dit-repo /path/to/facebookresearch/DiT [--rounds 2] [--image-size 256] [--dtype bf16]
#                            [--max-wait SECONDS]   (how long each side waits for ≤ 10 % busy; default 1800)
set -euo pipefail
cd "$(dirname "$0")/../.."
DIT_REPO="${DIT_REPO:-}"
ROUNDS=2
IMAGE=256
DTYPE=fp32
MAX_WAIT=1800
PYTHON="${PYTHON:-$HOME/fixtures-venv/bin/python}"
while [ $# -gt 0 ]; do
    case "$1" in
        --dit-repo) DIT_REPO="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --image-size) IMAGE="$2"; shift 2 ;;
        --dtype) DTYPE="$2"; shift 2 ;;
        --max-wait) MAX_WAIT="$2"; shift 2 ;;
        *) echo "runtime.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$DIT_REPO" ] || { echo "runtime.sh: pass --dit-repo PATH (a clone of facebookresearch/DiT) or set DIT_REPO" >&2; exit 2; }
swift build -c release --scratch-path .build-runtime --product dit-bench >&2
BENCH=.build-runtime/release/dit-bench

source scripts/bench/idle.sh  # busy_percent, wait_idle
if [ "$DTYPE" = bf16 ]; then
    for round in $(seq "$ROUNDS"); do
        echo "# round $round $(date -u +%FT%TZ) busy before: $(wait_idle)%; $(uptime)"
        bf16_json=$("$BENCH" --image-size "$IMAGE" --dtype bf16 --json)
        echo "swift-bf16 $bf16_json"
        echo "# busy before PyTorch: $(wait_idle)%; $(uptime)"
        torch_json=$("$PYTHON" scripts/bench/runtime_pytorch.py --dit-repo "$DIT_REPO" --image-size "$IMAGE" --dtype bf16)
        echo "torch-bf16 $torch_json"
        echo "# busy before Swift f32: $(wait_idle)%; $(uptime)"
        f32_json=$("$BENCH" --image-size "$IMAGE" --json)
        echo "swift-f32 $f32_json"
        "$PYTHON" - "$bf16_json" "$torch_json" "$f32_json" <<'PY'
import json, sys
b, t, f = (json.loads(a) for a in sys.argv[1:4])
assert b["dtype"] == "bf16" and t["dtype"] == "bf16" and f["dtype"] == "f32", "a side did not compute what was asked"
assert b["vae_dtype"] == "bf16" and f["vae_dtype"] == "f32", "the Swift VAE did not compute what was asked"
for key in ("dit_forward_seconds", "vae_decode_seconds"):
    print(f"{key}: swift bf16 {b[key]:.3f} s, pytorch bf16 autocast {t[key]:.3f} s, swift f32 {f[key]:.3f} s; "
          f"ratio to pytorch bf16 {b[key] / t[key]:.2f}, to swift f32 {b[key] / f[key]:.2f}")
PY
    done
    exit 0
fi
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
