// CRC-32 (IEEE, bit-reflected, as zlib) by folding 64-byte blocks with PCLMULQDQ, after
// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction" (Gopal et al., Intel
// 2009) and the same scheme in Chromium's zlib (crc32_simd.c). Compiled for the baseline ISA; only
// the functions below are built for pclmul/sse4.1 and they run only after the runtime CPU check.
#include "CCheckpointSupport.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

int ckpt_crc32_pclmul_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

#define CKPT_PCLMUL __attribute__((target("pclmul,sse4.1")))

/// One folding step: x * k (both 64-bit halves) xor data.
CKPT_PCLMUL static inline __m128i fold(__m128i x, __m128i k, __m128i data) {
    __m128i low = _mm_clmulepi64_si128(x, k, 0x00);
    __m128i high = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(high, low), data);
}

CKPT_PCLMUL uint32_t ckpt_crc32_fold(uint32_t crc, const unsigned char *buf, size_t len) {
    // Bit-reflected constants x^(4*128+64) mod P, x^(4*128) mod P, ... and the Barrett pair (paper, end).
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
    const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124LL);
    const __m128i poly = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
    const __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);

    crc = ~crc;
    __m128i x1 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
    __m128i x4 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    buf += 64;
    len -= 64;

    // Four independent lanes, 64 bytes per iteration.
    while (len >= 64) {
        x1 = fold(x1, k1k2, _mm_loadu_si128((const __m128i *)(buf + 0x00)));
        x2 = fold(x2, k1k2, _mm_loadu_si128((const __m128i *)(buf + 0x10)));
        x3 = fold(x3, k1k2, _mm_loadu_si128((const __m128i *)(buf + 0x20)));
        x4 = fold(x4, k1k2, _mm_loadu_si128((const __m128i *)(buf + 0x30)));
        buf += 64;
        len -= 64;
    }

    // Lanes into one 128-bit value, then the remaining 16-byte blocks.
    x1 = fold(x1, k3k4, x2);
    x1 = fold(x1, k3k4, x3);
    x1 = fold(x1, k3k4, x4);
    while (len >= 16) {
        x1 = fold(x1, k3k4, _mm_loadu_si128((const __m128i *)buf));
        buf += 16;
        len -= 16;
    }

    // 128 -> 64 bits.
    x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
    x2 = _mm_srli_si128(x1, 4);
    x1 = _mm_and_si128(x1, mask32);
    x1 = _mm_clmulepi64_si128(x1, k5k0, 0x00);
    x1 = _mm_xor_si128(x1, x2);

    // Barrett reduction to 32 bits.
    x2 = _mm_and_si128(x1, mask32);
    x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
    x2 = _mm_and_si128(x2, mask32);
    x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    return ~(uint32_t)_mm_extract_epi32(x1, 1);
}

#else

int ckpt_crc32_pclmul_available(void) { return 0; }

uint32_t ckpt_crc32_fold(uint32_t crc, const unsigned char *buf, size_t len) {
    (void)buf; (void)len;
    return crc;  // never called: ckpt_crc32_pclmul_available() is 0
}

#endif
