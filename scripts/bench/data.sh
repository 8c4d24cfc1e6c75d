#!/usr/bin/env bash
# Data benchmark (docs/data.md, docs/benchmarks.md): dit-extract against the PyTorch pipeline on the same
# images in the same run, each side started only on an idle CPU, PyTorch then Swift, every round.
#
#   decode + crop (images/s): `dit-extract --decode_only True` against torchvision ImageFolder + the
#     official center_crop_arr (Pillow), at the same parallelism: --threads 1 vs one process, and
#     --threads 2 vs a DataLoader with 2 worker processes. Target: >= 2x Pillow's images/s.
#   VAE encode (seconds): dit-extract --threads 2 against diffusers AutoencoderKL.encode with
#     torch.set_num_threads(2), CPU f32, same crops, same random SD-VAE (sd-vae-ft-mse config) written by
#     diffusers into the temp dir. Target: <= 0.8x diffusers' time.
#
#   scripts/bench/data.sh [--count 48] [--encode-count 8] [--image-size 256] [--rounds 3] [--passes 5]
#                         [--batch 4] [--dit-repo PATH]
# DIT_EXTRACT=path/to/dit-extract uses an existing build (default: swift build -c release into .build-runtime).
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=48; ENCODE=8; IMAGE=256; ROUNDS=3; PASSES=5; BATCH=4
DIT_REPO="${DIT_REPO:-/root/dit-official}"
PYTHON="${PYTHON:-$HOME/fixtures-venv/bin/python}"
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT="$2"; shift 2 ;;
        --encode-count) ENCODE="$2"; shift 2 ;;
        --image-size) IMAGE="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --passes) PASSES="$2"; shift 2 ;;
        --batch) BATCH="$2"; shift 2 ;;
        --dit-repo) DIT_REPO="$2"; shift 2 ;;
        *) echo "data.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -f "$DIT_REPO/train.py" ] || { echo "data.sh: $DIT_REPO/train.py not found (pass --dit-repo, a facebookresearch/DiT checkout)" >&2; exit 2; }
if [ -z "${DIT_EXTRACT:-}" ]; then
    swift build -c release --scratch-path .build-runtime --product dit-extract >&2
    DIT_EXTRACT=.build-runtime/release/dit-extract
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
BENCH="$PYTHON scripts/bench/data_benchmark.py"

source scripts/bench/idle.sh  # busy_percent, wait_idle
# OpenBLAS (linked for the VAE, which runs it single-threaded with its own split) starts a worker thread
# at load that spins ~0.1 s before sleeping; OPENBLAS_NUM_THREADS=1 keeps it from starting, so it does not
# steal a core from the short decode runs. It changes nothing else.
export OPENBLAS_NUM_THREADS=1
# images/s of one `dit-extract --decode_only` run (its own timer: decode + crop, no process start).
swift_decode() {
    "$DIT_EXTRACT" --data_path "$work/images" --imagenet_format True --image_size "$IMAGE" --decode_only True \
        --batch_size 16 --threads "$1" --quiet True "${@:2}" | sed -E 's/.*: ([0-9.]+) images\/s$/\1/'
}
median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(uptime | sed 's/.*load average/load average/')"
echo "# inputs: $($BENCH prepare "$work" --count "$COUNT" --encode-count "$ENCODE" 2>/dev/null)"
echo "# crop $IMAGE, decode: $PASSES timed passes after 1 warm-up per side; encode: batches of $BATCH, 2 threads both"
swift_decode 2 --preview_dir "$work/crops" >/dev/null
echo "# our crops vs Pillow's: $($BENCH crops "$work" "$work/crops" --image-size "$IMAGE" --dit-repo "$DIT_REPO")"
for round in $(seq "$ROUNDS"); do
    echo "## round $round $(date -u +%FT%TZ)"
    for threads in 1 2; do
        workers=$([ "$threads" = 1 ] && echo 0 || echo "$threads")
        echo "# busy before Pillow: $(wait_idle)%"
        py=$($BENCH decode "$work" --image-size "$IMAGE" --passes "$PASSES" --workers "$workers" --dit-repo "$DIT_REPO")
        echo "pillow (workers $workers): $py"
        echo "# busy before Swift: $(wait_idle)%"
        swift_decode "$threads" >/dev/null  # warm-up (page cache)
        rates=""
        for _ in $(seq "$PASSES"); do rates="$rates $(swift_decode "$threads")"; done
        echo "swift (threads $threads): images/s$rates"
        "$PYTHON" - "$py" "$(echo $rates | median)" "$threads" <<'PY'
import json, sys
py, ours, threads = json.loads(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
theirs = py["median_images_per_second"]
side = "one process" if py["workers"] == 0 else f"DataLoader, {py['workers']} workers"
print(f"RESULT decode+crop, {threads} thread(s): dit-extract {ours:.1f} images/s, Pillow ({side}) {theirs:.1f} images/s, "
      f"ratio {ours / theirs:.2f}x (target >= 2)")
PY
    done
    echo "# busy before diffusers: $(wait_idle)%"
    py=$($BENCH encode "$work" --image-size "$IMAGE" --batch "$BATCH" --threads 2 --dit-repo "$DIT_REPO" 2>/dev/null)
    echo "diffusers: $py"
    echo "# busy before Swift: $(wait_idle)%"
    sw=$("$DIT_EXTRACT" --data_path "$work/encode" --imagenet_format True --image_size "$IMAGE" --vae_checkpoint "$work/vae" \
        --output "$work/latents.safetensors" --batch_size "$BATCH" --threads 2 --quiet True --vae_unknown True)
    echo "swift: $sw"
    echo "# same crops, same weights: $($BENCH compare "$work" "$work/latents.safetensors")"
    "$PYTHON" - "$py" "$sw" <<'PY'
import json, re, sys
py = json.loads(sys.argv[1])
ours = float(re.search(r"encode ([0-9.]+) s", sys.argv[2]).group(1))
theirs = py["median_seconds"]
n = py["images"]
print(f"RESULT encode {n} images: dit-extract {ours:.2f} s ({ours / n:.3f} s/image), diffusers {theirs:.2f} s "
      f"({theirs / n:.3f} s/image), ratio {ours / theirs:.2f} (target <= 0.8)")
PY
done
