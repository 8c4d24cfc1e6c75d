#!/usr/bin/env bash
# Opt-in zip64 check (about 9 GB of disk): torch.save writes a > 4 GiB .pt (both zip64 paths: a record
# over 4 GiB and records starting past 4 GiB); `ckpt convert` reads it with the Swift reader and writes
# it again with the Swift writer; the two files must be byte-identical.
#   scripts/verify-zip64.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: scripts/verify-zip64.sh DIR}"
python="${PYTHON:-$HOME/fixtures-venv/bin/python}"
"$python" fixtures/generate/make_torch_writer_large.py "$dir"
swift build -c release --product ckpt
mkdir -p "$dir/swift"
/usr/bin/time -f "ckpt convert: %e s, peak RSS %M KB" .build/release/ckpt convert --quiet "$dir/large.pt" "$dir/swift/large.pt"
cmp "$dir/large.pt" "$dir/swift/large.pt" && echo "byte-identical: $(stat -c %s "$dir/large.pt") bytes"
