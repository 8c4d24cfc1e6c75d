// Inner loops of the Pillow-exact resampling (Sources/Datasets/PillowResample.swift holds the algorithm
// and the weights): fixed-point sums from 1 << 21, shifted by 22, clipped to 0...255. Each loop is compiled
// twice, generic and with AVX2 (32-bit vector multiplies), and picked at run time.
#include "image_codecs.h"

#define PRECISION_BITS 22

static inline __attribute__((always_inline)) uint8_t clip8(int32_t v) {
    v >>= PRECISION_BITS;
    return v < 0 ? 0 : (v > 255 ? 255 : (uint8_t)v);
}

static inline __attribute__((always_inline)) void vertical_body(const uint8_t *in, long row_length, const int32_t *weights,
                                                              long count, uint8_t *out, int32_t *acc) {
    for (long i = 0; i < row_length; i++) acc[i] = 1 << (PRECISION_BITS - 1);
    for (long j = 0; j < count; j++) {
        const uint8_t *line = in + j * row_length;
        const int32_t w = weights[j];
        for (long i = 0; i < row_length; i++) acc[i] += (int32_t)line[i] * w;
    }
    for (long i = 0; i < row_length; i++) out[i] = clip8(acc[i]);
}

static void vertical_generic(const uint8_t *in, long n, const int32_t *w, long c, uint8_t *out, int32_t *acc) {
    vertical_body(in, n, w, c, out, acc);
}

__attribute__((target("avx2"))) static void vertical_avx2(const uint8_t *in, long n, const int32_t *w, long c, uint8_t *out, int32_t *acc) {
    vertical_body(in, n, w, c, out, acc);
}

void ditport_resample_vertical_row(const uint8_t *in, long row_length, const int32_t *weights, long count, uint8_t *out, int32_t *acc) {
    static int use_avx2 = -1;
    if (use_avx2 < 0) use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (use_avx2) vertical_avx2(in, row_length, weights, count, out, acc);
    else vertical_generic(in, row_length, weights, count, out, acc);
}

void ditport_resample_horizontal_row(const uint8_t *line, const long *first, const long *count, const int32_t *weights,
                                     long ksize, long column_begin, long column_end, uint8_t *out) {
    for (long x = column_begin; x < column_end; x++) {
        const int32_t *k = weights + x * ksize;
        const uint8_t *p = line + first[x] * 3;
        int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
        for (long j = 0; j < count[x]; j++, p += 3) {
            s0 += (int32_t)p[0] * k[j];
            s1 += (int32_t)p[1] * k[j];
            s2 += (int32_t)p[2] * k[j];
        }
        out[0] = clip8(s0);
        out[1] = clip8(s1);
        out[2] = clip8(s2);
        out += 3;
    }
}
