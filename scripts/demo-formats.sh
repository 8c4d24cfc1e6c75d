#!/usr/bin/env bash
# A tour of the format layer: installs missing system libraries, builds in release mode, then
# takes the bundled official-DiT-shaped training checkpoint (fixtures/demo/tiny-dit-train.pt, saved by
# torch), converts its EMA weights to every supported format and proves each copy equal to the source.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup-system.sh
swift build -c release --product ckpt
ckpt=".build/release/ckpt"
source_file="fixtures/demo/tiny-dit-train.pt"
out="demo-output/formats"
mkdir -p "$out"

echo "== inspect $source_file"
"$ckpt" inspect "$source_file" | head -n 20
for target in tiny-dit.ckpt tiny-dit.safetensors tiny-dit.h5 tiny-dit.pt; do
    echo "== convert EMA weights → $out/$target"
    "$ckpt" convert "$source_file" "$out/$target" --select ema
    "$ckpt" diff "$source_file" "$out/$target" --select-first ema
done
echo "== f16 copy (round to nearest even, as torch .half())"
"$ckpt" convert "$out/tiny-dit.ckpt" "$out/tiny-dit-f16.safetensors" --dtype f16
"$ckpt" diff "$out/tiny-dit.ckpt" "$out/tiny-dit-f16.safetensors" --atol 1e-3
echo "all conversions verified; outputs in $out/"
