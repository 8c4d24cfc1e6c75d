#!/usr/bin/env bash
# Data benchmark: decode + crop (images/s) and VAE encode (seconds) of dit-extract against the PyTorch
# pipeline (torchvision ImageFolder + official center_crop_arr + diffusers AutoencoderKL.encode) on the
# same JPEGs in the same run, PyTorch first then Swift, twice. Targets: decode + crop >= 2x Pillow's
# images/s; encode <= 0.8x diffusers' time. Results go to docs/benchmarks.md by hand.
#   scripts/bench/data.sh [--count 400] [--encode-count 8] [--image-size 256] [--rounds 2] [--dit-repo PATH]
# DIT_EXTRACT=path/to/dit-extract uses an existing build (default: build it with -c release).
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=400; ENCODE=8; IMAGE=256; ROUNDS=2; BATCH=4
DIT_REPO="${DIT_REPO:-/root/dit-official}"
PYTHON="${PYTHON:-$HOME/fixtures-venv/bin/python}"
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT="$2"; shift 2 ;;
        --encode-count) ENCODE="$2"; shift 2 ;;
        --image-size) IMAGE="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --dit-repo) DIT_REPO="$2"; shift 2 ;;
        *) echo "data.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "${DIT_EXTRACT:-}" ]; then
    swift build -c release --scratch-path .build-runtime --product dit-extract >&2
    DIT_EXTRACT=.build-runtime/release/dit-extract
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" scripts/bench/data_benchmark.py prepare "$work" --count "$COUNT" --encode-count "$ENCODE"
echo "# $COUNT JPEGs (short side 375-500), crop $IMAGE, encode $ENCODE images in batches of $BATCH, SD-VAE config (random weights)"
for round in $(seq "$ROUNDS"); do
    py=$("$PYTHON" scripts/bench/data_benchmark.py pytorch "$work" --image-size "$IMAGE" --batch "$BATCH" --dit-repo "$DIT_REPO")
    echo "pytorch: $py"
    sw_decode=$("$DIT_EXTRACT" --data_path "$work/images" --imagenet_format True --image_size "$IMAGE" --decode_only True --batch_size 16 --quiet True)
    echo "swift decode: $sw_decode"
    sw_encode=$("$DIT_EXTRACT" --data_path "$work/encode" --imagenet_format True --image_size "$IMAGE" --vae_checkpoint "$work/vae" \
        --output "$work/latents.safetensors" --batch_size "$BATCH" --quiet True --vae_unknown True)
    echo "swift encode: $sw_encode"
    "$PYTHON" - "$py" "$sw_decode" "$sw_encode" <<'PY'
import json, re, sys
py = json.loads(sys.argv[1])
swift_rate = float(re.search(r"([0-9.]+) images/s", sys.argv[2]).group(1))
swift_encode = float(re.search(r"encode ([0-9.]+) s", sys.argv[3]).group(1))
print(f"decode+crop: Swift {swift_rate:.1f} images/s, Pillow {py['decode_crop_images_per_second']:.1f} images/s, "
      f"ratio {swift_rate / py['decode_crop_images_per_second']:.2f}x (target >= 2)")
print(f"encode: Swift {swift_encode:.2f} s, diffusers {py['encode_seconds']:.2f} s, ratio {swift_encode / py['encode_seconds']:.2f} (target <= 0.8)")
PY
done
