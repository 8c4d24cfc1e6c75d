#!/usr/bin/env bash
# The test command: installs missing system libraries, builds, runs every test (XCTest), and ends with
# one plain summary line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup-system.sh
# Debug configuration (so @testable imports work) compiled with -O (Swift) and -O2 (C): the tests exercise the optimised code
# users run, and the numeric tests (100-image sampling runs, tiny-model parity) take seconds instead of
# tens of minutes. Preconditions and bounds checks stay on.
swift build --build-tests -Xswiftc -O -Xcc -O2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1 || true)
executed=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
if [ -z "$summary" ]; then
    echo "no XCTest summary found" >&2
    exit 1
fi
passed=$((executed - failed))
# The model-level suites (and the image resampling, DatasetsTests) once more on each narrower vector unit this CPU can be limited to (AVX2, then
# the portable SIMD code), so an AVX-512 CI machine also checks the paths AVX2-only and other CPUs take.
# Skipped when arguments select tests.
if [ $# -eq 0 ]; then
    for unit in avx2 portable; do
        DITPORT_VECTOR=$unit swift test --skip-build --disable-swift-testing --filter "ModelsTests|ParityTests|DigitsTests|TrainingTests|DatasetsTests" 2>&1 \
            | tee "$log" | grep -E "error|Executed .* tests" | tail -n 3 || true
        summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1 || true)
        [ -n "$summary" ] || { echo "no XCTest summary found (DITPORT_VECTOR=$unit)" >&2; exit 1; }
        n=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
        f=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
        echo "DITPORT_VECTOR=$unit: $((n - f)) passed, $f failed"
        passed=$((passed + n - f)); failed=$((failed + f))
        [ "$f" -eq 0 ] || status=1
    done
fi
echo "$passed passed, $failed failed"
exit "$status"
