#!/usr/bin/env bash
# Data-parallel dit-train on this host (issue 13; numbers in docs/distributed.md "Measured on this
# machine" and docs/benchmarks.md). Times, in the same run:
#   1. DiT-B/2 256 from random init, global batch 8: `mpirun -n 2` (batch 4 per rank, DITPORT_THREADS=1
#      each), ZeRO-1 and replicated, each with bucket overlap and with one reduction after the backward, against the anchor ONE process × 2 threads with batch 4 and
#      gradient_accumulation_steps 2 (the same 8 samples per step). Median step time after the first
#      (loss.csv `seconds`), and per rank the step's time inside collectives (DITPORT_PROFILE=1).
#   2. Peak RSS per rank (/usr/bin/time -f %M around each rank, and dit-train's own "peak RSS while
#      training", which excludes the final checkpoint's gather of the ZeRO shards), ZeRO-1 vs replicated.
#      --xl adds DiT-XL/2 256 batch 2 (-n 2, 2 steps) — run only when `free -g` shows >= 22 GB available.
#
#   swift build -c release --product dit-train        # (under nice -n 10 on the shared machine)
#   SKIP_ANCHOR=1 / SKIP_ZERO=1 leave those runs out.
#   nice -n 5 scripts/bench/distributed_train.sh [--steps 5] [--models "DiT-S/2 DiT-B/2"] [--xl] [--bin .build/release/dit-train]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.build/release/dit-train
STEPS=5
MODELS="DiT-B/2"
XL=0
while [ $# -gt 0 ]; do
    case "$1" in
        --steps) STEPS=$2; shift 2 ;;
        --models) MODELS=$2; shift 2 ;;
        --xl) XL=1; shift ;;
        --bin) BIN=$2; shift 2 ;;
        *) echo "distributed_train.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -x "$BIN" ] || { echo "distributed_train.sh: $BIN not built (swift build -c release --product dit-train)" >&2; exit 2; }
BIN=$(realpath "$BIN")
WORK=$(mktemp -d /tmp/dist-train-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 scripts/bench/make_latent_cache.py "$WORK/cache.safetensors" --count 16 --image-size 256
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader)
# Each rank under /usr/bin/time (peak RSS in KB, printed with the rank).
cat > "$WORK/timed.sh" <<'WRAP'
#!/bin/sh
exec /usr/bin/time -f "rank ${OMPI_COMM_WORLD_RANK:-0}: /usr/bin/time peak RSS %M KB, wall %e s" "$@"
WRAP
chmod +x "$WORK/timed.sh"

# run NAME MODEL BATCH ACCUM STEPS [mpi ZERO | single] : prints the median step after the first and the profile lines.
run() {
    local name=$1 model=$2 batch=$3 accum=$4 steps=$5 mode=$6 zero=${7:-} overlap=${8:-True}
    local out="$WORK/$name"
    mkdir -p "$out"
    local args=(--dit_checkpoint "" --model_name "$model" --image_size 256 --latent_cache "$WORK/cache.safetensors"
                --train_batch_size "$batch" --gradient_accumulation_steps "$accum" --max_steps "$steps" --epochs 1000
                --step_mode True --ckpt_save_interval 100000 --output_path "$out" --output_timestamp False --quiet True)
    if [ "$mode" = mpi ]; then
        DITPORT_PROFILE=1 "${MPIRUN[@]}" -x DITPORT_THREADS=1 -x DITPORT_PROFILE -n 2 "$WORK/timed.sh" "$BIN" "${args[@]}" \
            --use_parallel True --zero_stage "$zero" --overlap_gradients "$overlap" 2> "$out/stderr" || { cat "$out/stderr" >&2; exit 1; }
    else
        DITPORT_PROFILE=1 DITPORT_THREADS=2 "$WORK/timed.sh" "$BIN" "${args[@]}" 2> "$out/stderr" || { cat "$out/stderr" >&2; exit 1; }
    fi
    local csv
    csv=$(find "$out" -name loss.csv | head -1)
    python3 - "$csv" "$name" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
s = [float(r["seconds"]) for r in rows]
later = s[1:] if len(s) > 1 else s
print(f"{sys.argv[2]}: steps {' '.join(f'{x:.2f}' for x in s)} s; median after the first {statistics.median(later):.3f} s")
PY
    grep -E "profile:|peak RSS" "$out/stderr" | sed "s/^/  /"
}

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg), $(free -g | awk '/Mem:/ {print $7}') GB available"
for model in $MODELS; do
    tag=${model//\//-}
    [ -n "${SKIP_ANCHOR:-}" ] || run "$tag-single-accum2" "$model" 4 2 "$STEPS" single
    [ -n "${SKIP_ZERO:-}" ] || run "$tag-n2-zero1" "$model" 4 1 "$STEPS" mpi 1
    [ -n "${SKIP_ZERO:-}" ] || run "$tag-n2-zero1-blocking" "$model" 4 1 "$STEPS" mpi 1 False
    run "$tag-n2-replicated" "$model" 4 1 "$STEPS" mpi 0
    run "$tag-n2-replicated-blocking" "$model" 4 1 "$STEPS" mpi 0 False
done
if [ "$XL" = 1 ]; then
    avail=$(free -g | awk '/Mem:/ {print $7}')
    if [ "$avail" -lt 22 ]; then
        echo "DiT-XL/2: only $avail GB available (< 22): not run" >&2
    else
        run DiT-XL-2-n2-zero1 DiT-XL/2 2 1 2 mpi 1
    fi
fi
