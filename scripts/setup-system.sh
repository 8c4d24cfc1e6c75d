#!/usr/bin/env bash
# Installs the system libraries this package builds against, if missing (Debian/Ubuntu):
#   pkg-config, zlib (CRC-32), libhdf5 (HDF5 files), OpenBLAS (GEMM for the model runtime),
#   libjpeg-turbo and libpng (image datasets, dit-extract), Open MPI (mpirun and libmpi: distributed
#   training and FID sampling, the MPI tests).
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

packages=(pkg-config zlib1g-dev libhdf5-dev libopenblas-dev libjpeg62-turbo-dev libpng-dev openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
fi
