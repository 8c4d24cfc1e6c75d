#!/usr/bin/env bash
# The README's main job, on the bundled digits model (fixtures/digits: an official-architecture DiT saved
# by torch.save and an SD-VAE-architecture autoencoder in diffusers' layout, trained on scikit-learn's
# handwritten digits by fixtures/train/train_digits.py):
#   1. convert the PyTorch .pt (and the diffusers VAE) to MindONE .ckpt files,
#   2. prove the converted DiT and VAE compute what the official PyTorch code computes (dit-parity against
#      references made by fixtures/train/make_digits_reference.py with the official DiT models.py and
#      diffusers' AutoencoderKL),
#   3. sample one image per digit from the .ckpt files (DDIM-50, classifier-free guidance 4.0) into a
#      PNG grid, and check that the .pt, safetensors and .h5 copies draw exactly the same images,
#   4. finetune the converted .ckpt for 40 steps with dit-train (official recipe, MindONE output layout:
#      demo-output/finetune/ckpt/DiT-s40.ckpt), show its loss curve, and sample from the finetuned checkpoint.
# Installs missing system libraries and builds in release mode first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup-system.sh
echo "== building (release)"
swift build -c release --product dit-convert
swift build -c release --product vae-convert
swift build -c release --product dit-parity
swift build -c release --product dit-sample
swift build -c release --product dit-train
bin=".build/release"
digits="fixtures/digits"
out="demo-output"
mkdir -p "$out"
start_ns=$(date +%s%N)

echo "== 1. convert the PyTorch DiT and the diffusers VAE to MindONE .ckpt"
"$bin/dit-convert" --source "$digits/dit-digits.pt" --target "$out/dit-digits.ckpt"
"$bin/vae-convert" --source "$digits/vae-digits" --target "$out/vae-digits.ckpt"

echo "== 2. parity of the converted models with the official PyTorch code"
"$bin/dit-parity" --model "$out/dit-digits.ckpt" --reference "$digits/dit-digits.bundle.safetensors"
"$bin/dit-parity" --vae --model "$out/vae-digits.ckpt" --reference "$digits/vae-digits.bundle.safetensors"

echo "== 3. one image per digit from the .ckpt files (DDIM-50, CFG 4.0)"
"$bin/dit-sample" -c configs/inference/digits.yaml \
    --dit-checkpoint "$out/dit-digits.ckpt" --vae-checkpoint "$out/vae-digits.ckpt" --output "$out/ckpt"

echo "== the same images from the original .pt + diffusers VAE, a safetensors copy and .h5 copies"
"$bin/dit-convert" --quiet --source "$digits/dit-digits.pt" --target "$out/dit-digits.safetensors" --to official
"$bin/dit-convert" --quiet --source "$digits/dit-digits.pt" --target "$out/dit-digits.h5"
"$bin/vae-convert" --quiet --source "$digits/vae-digits" --target "$out/vae-digits.h5"
while read -r name dit vae; do
    "$bin/dit-sample" -c configs/inference/digits.yaml --quiet --dit-checkpoint "$dit" --vae-checkpoint "$vae" --output "$out/$name"
    cmp "$out/ckpt/sample.png" "$out/$name/sample.png"
    echo "   $dit + $vae: same PNG bytes as from the .ckpt files"
done <<LIST
pt $digits/dit-digits.pt $digits/vae-digits
safetensors $out/dit-digits.safetensors $digits/vae-digits
h5 $out/dit-digits.h5 $out/vae-digits.h5
LIST

echo "== 4. finetune the converted .ckpt with dit-train (40 steps of 64, on 320 of the digits), then sample from the result"
rm -rf "$out/finetune" "$out/digits-320"
# The first 32 images of each digit (the VAE encodes 320 images in a few seconds; all 1,797 take ~20 s).
for label in 0 1 2 3 4 5 6 7 8 9; do
    mkdir -p "$out/digits-320/$label"
    ls "$digits/images/$label" | sort | head -n 32 | while read -r f; do cp "$digits/images/$label/$f" "$out/digits-320/$label/"; done
done
"$bin/dit-train" -c configs/training/digits-finetune.yaml --dit_checkpoint "$out/dit-digits.ckpt" \
    --data_path "$out/digits-320" --output_path "$out/finetune"
"$bin/dit-sample" -c configs/inference/digits.yaml --quiet \
    --dit-checkpoint "$out/finetune/ckpt/DiT-s40.ckpt" --vae-checkpoint "$out/vae-digits.ckpt" --output "$out/finetuned"
echo "   loss log $out/finetune/loss.csv, curve $out/finetune/loss.png, samples $out/finetuned/sample.png"
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
printf '== done in %d.%01d s (after the build); the grids: %s, %s\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)) "$out/ckpt/sample.png" "$out/finetuned/sample.png"
