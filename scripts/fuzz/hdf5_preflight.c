// libFuzzer target for the HDF5 reader's libhdf5 pre-pass walk alone (Sources/CHDF5/preflight.h), in
// process, without Swift or ASan: fast enough to collect libhdf5's loops and faults on a shared machine
// (docs/fuzzing.md, "HDF5 pre-pass timeouts"). Build and run from the package root:
//   clang -O1 -g -fsanitize=fuzzer -I Sources/CHDF5 -I/usr/include/hdf5/serial scripts/fuzz/hdf5_preflight.c \
//       -o /tmp/hdf5-preflight-fuzz -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5
//   /tmp/hdf5-preflight-fuzz CORPUS SEEDS -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
//       -timeout=2 -max_len=65536 -max_total_time=480 -artifact_prefix=ARTIFACTS/
// Artifacts are then replayed through the normal, forked reader: .build/debug/fuzz-hdf5 ARTIFACTS/*
#include "shim.h"
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof(path), "/dev/shm/ditport-sec3-fuzz-%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    shim_preflight_output out;
    shim_preflight_in_process(path, (size_t)256 << 20, &out);
    shim_preflight_output_free(&out);
    return 0;
}
