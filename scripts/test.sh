#!/usr/bin/env bash
# The test command: installs missing system libraries, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup-system.sh
swift build --build-tests
swift test --skip-build "$@"
