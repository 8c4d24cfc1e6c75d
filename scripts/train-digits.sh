#!/usr/bin/env bash
# Trains the bundled digits DiT from scratch with dit-train (configs/training/digits.yaml), samples 100
# images (10 per digit, DDIM-50, CFG 4.0) for each of three seeds from the final EMA checkpoint, and
# scores them with the independent classifier (scikit-learn, fixtures/train/score_samples.py) when the
# fixtures venv is there. The numbers in docs/digits-model.md come from this script.
#   scripts/train-digits.sh [OUTPUT_DIR]     (default outputs/digits-native)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup-system.sh
out=${1:-outputs/digits-native}
swift build -c release --product dit-train >/dev/null
swift build -c release --product dit-sample >/dev/null
bin=$(swift build -c release --show-bin-path)
rm -rf "$out"
start=$(date +%s.%N)
"$bin/dit-train" -c configs/training/digits.yaml --output_path "$out" --output_timestamp False
end=$(date +%s.%N)
echo "training wall time: $(echo "$end - $start" | bc) s"
checkpoint=$(ls "$out"/ckpt/DiT-s*.ckpt | sort -V | tail -n 1)
labels=$(python3 -c "print(','.join(str(i % 10) for i in range(100)))")
for seed in 0 1 2; do
    "$bin/dit-sample" -c configs/inference/digits.yaml --dit_checkpoint "$checkpoint" --class_labels "$labels" \
        --imagegrid False --seed "$seed" --output_path "$out/samples-seed$seed" --quiet True
done
"$bin/dit-sample" -c configs/inference/digits.yaml --dit_checkpoint "$checkpoint" --output_path "$out/grid" --quiet True
echo "grid: $out/grid/sample.png; loss curve: $out/loss.png"
python=${FIXTURES_PYTHON:-$HOME/fixtures-venv/bin/python}
if [ -x "$python" ]; then
    "$python" fixtures/train/score_samples.py "$out"/samples-seed{0,1,2} --json "$out/quality.json"
else
    echo "score with: ~/fixtures-venv/bin/python fixtures/train/score_samples.py $out/samples-seed{0,1,2}"
fi
