#ifndef CCHECKPOINT_SUPPORT_H
#define CCHECKPOINT_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// 1 when this CPU has PCLMULQDQ and SSE4.1, so `ckpt_crc32_fold` may be called; 0 otherwise
/// (always 0 off x86).
int ckpt_crc32_pclmul_available(void);

/// Continues the zlib-compatible CRC-32 `crc` over `len` bytes at `buf` (any alignment) using
/// carry-less multiplication. Requires `len >= 64`, `len % 16 == 0` and
/// `ckpt_crc32_pclmul_available()`; callers hash any tail with zlib.
uint32_t ckpt_crc32_fold(uint32_t crc, const unsigned char *buf, size_t len);

/// `copy_file_range(fd_in, off_in, fd_out, NULL, len, 0)`: copies up to `len` bytes from `fd_in` at
/// `*off_in` (advanced) to `fd_out` at its file offset (advanced). Returns bytes copied, or -1 with errno.
ssize_t ckpt_copy_file_range(int fd_in, int64_t *off_in, int fd_out, size_t len);

/// `sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE)`: queues write-back of those dirty pages
/// without waiting. Returns 0, or -1 with errno (ENOSYS where unsupported).
int ckpt_start_write_back(int fd, int64_t offset, int64_t count);

#endif
