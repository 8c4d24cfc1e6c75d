#!/usr/bin/env bash
# Builds and runs one libFuzzer target: scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags]
#   TARGET: torch-zip | torch-legacy | mindspore | safetensors | hdf5 | hdf5-inprocess
#   hdf5-inprocess: the hdf5 target with its libhdf5 pre-pass run in process (no fork per input), under
#   libFuzzer's fork mode so libhdf5 faults and loops are recorded (fuzz-work/hdf5-inprocess/crashes/)
#   without ending the run; replay them with .build/debug/fuzz-hdf5 FILE... (the normal, forked reader).
# Seeds come from the committed fixtures; new corpus entries and crashes go to fuzz-work/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
target="$1"; seconds="${2:-600}"; shift $(( $# >= 2 ? 2 : 1 ))
product="$target"; extra=()
if [ "$target" = hdf5-inprocess ]; then
    product=hdf5
    export DITPORT_FUZZ_HDF5_IN_PROCESS=1
    # A libhdf5 loop should cost 2 s, not 10 (inputs are at most 64 KiB); two workers.
    extra=(-fork=2 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -timeout=2)
fi
scripts/setup-system.sh
swift build -c release --scratch-path .build-fuzz --product "fuzz-$product" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
    -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld  # gold crashes on ASan-instrumented Swift objects
work="fuzz-work/$target"; mkdir -p "$work/corpus" "$work/crashes"
case "$target" in
    torch-zip) seeds="fixtures/torch fixtures/torch-writer fixtures/demo" ;;
    torch-legacy) seeds="fixtures/torch" ;;
    mindspore) seeds="fixtures/mindspore" ;;
    safetensors) seeds="fixtures/safetensors" ;;
    hdf5|hdf5-inprocess) seeds="fixtures/hdf5" ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
esac
seed_dir="$work/seeds"; rm -rf "$seed_dir"; mkdir -p "$seed_dir"
for d in $seeds; do
    [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '*.expected.*' ! -name '*.json' -exec cp {} "$seed_dir/" \;
done
asan_options=detect_leaks=0
# hdf5: an impossible allocation inside libhdf5 returns NULL as with glibc (libhdf5 checks for it and
# fails cleanly) instead of being an ASan report; an unchecked NULL still crashes and is found.
[ "$product" = hdf5 ] && asan_options="$asan_options:allocator_may_return_null=1"
ASAN_OPTIONS="$asan_options" ".build-fuzz/release/fuzz-$product" "$work/corpus" "$seed_dir" \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$work/crashes/" -print_final_stats=1 ${extra[@]+"${extra[@]}"} "$@"
