// Inner loops of the Pillow-exact resampling (Sources/Datasets/PillowResample.swift holds the algorithm
// and the weights): fixed-point sums from 1 << 21, shifted by 22, clipped to 0...255. Each loop is compiled
// twice, generic and with AVX2 (32-bit vector multiplies), and picked at run time.
//
// The horizontal pass runs on tiles of TILE_ROWS rows: the tile's input columns are transposed so that one
// input column of the tile (TILE_ROWS pixels as RGBX, 4-byte moves) is contiguous, and each output column
// is then the same weighted sum of whole tile columns as a vertical pass — vectorised over the tile's 64
// values instead of one pixel's 3. The integer sums are the same as Pillow's (integer addition is exact and no partial sum
// leaves int32: |sum| <= 2^21 + 255 * 1.25 * 2^22 < 2^31), so the bytes are too.
#include <stdlib.h>
#include <string.h>
#include "image_codecs.h"

// AVX2 when the CPU has it, unless DITPORT_VECTOR=portable asks for the generic code (as for the Kernels'
// vector unit), so the test suite checks both paths on one machine.
static int avx2_allowed(void) {
    const char *unit = getenv("DITPORT_VECTOR");
    if (unit && strcmp(unit, "portable") == 0) return 0;
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

#define TILE_ROWS 16
#define TILE_VALUES (TILE_ROWS * 4)

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
    if (use_avx2 < 0) use_avx2 = avx2_allowed();
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

// One output column of a tile: out[v] = clip8((1 << 21) + sum_j column[j][v] * w[j]) for the 64 values
// (16 rows of RGBX; the X lane is never read back) — acc stays in registers: the length is a constant.
static inline __attribute__((always_inline)) void tile_column(const uint8_t *columns, const int32_t *weights, long count,
                                                            uint8_t *out) {
    int32_t acc[TILE_VALUES];
    for (int i = 0; i < TILE_VALUES; i++) acc[i] = 1 << (PRECISION_BITS - 1);
    for (long j = 0; j < count; j++) {
        const uint8_t *line = columns + j * TILE_VALUES;
        const int32_t w = weights[j];
        for (int i = 0; i < TILE_VALUES; i++) acc[i] += (int32_t)line[i] * w;
    }
    for (int i = 0; i < TILE_VALUES; i++) out[i] = clip8(acc[i]);
}

static inline __attribute__((always_inline)) void horizontal_body(const uint8_t *in, long in_stride, long rows, const long *first,
                                                                const long *count, const int32_t *weights, long ksize,
                                                                long column_begin, long column_end, uint8_t *out, long out_stride,
                                                                uint8_t *tile) {
    long x0 = first[column_begin], x1 = first[column_begin] + count[column_begin];
    for (long x = column_begin; x < column_end; x++) {
        if (first[x] < x0) x0 = first[x];
        if (first[x] + count[x] > x1) x1 = first[x] + count[x];
    }
    const long span = x1 - x0;
    uint8_t column[TILE_VALUES];
    for (long r0 = 0; r0 < rows; r0 += TILE_ROWS) {
        long n = rows - r0 < TILE_ROWS ? rows - r0 : TILE_ROWS;
        if (n < TILE_ROWS) memset(tile, 0, (size_t)span * TILE_VALUES);
        // tile[x - x0][r] = RGBX of in[r0 + r][x]: 4-byte moves, column by column (each tile column is one
        // cache line written whole; the 16 input rows are read as 16 sequential streams). The last pixel of
        // a row moves 3 bytes: its 4th would be read past the row (past the buffer, on the last row).
        const uint8_t *lines[TILE_ROWS];
        for (long r = 0; r < TILE_ROWS; r++) lines[r] = in + (r0 + (r < n ? r : 0)) * in_stride + x0 * 3;
        uint8_t *t = tile;
        for (long x = 0; x + 1 < span; x++, t += TILE_VALUES) {
            for (long r = 0; r < n; r++) memcpy(t + r * 4, lines[r] + x * 3, 4);
        }
        for (long r = 0; r < n; r++) {
            t[r * 4] = lines[r][(span - 1) * 3];
            t[r * 4 + 1] = lines[r][(span - 1) * 3 + 1];
            t[r * 4 + 2] = lines[r][(span - 1) * 3 + 2];
        }
        for (long x = column_begin; x < column_end; x++) {
            tile_column(tile + (first[x] - x0) * TILE_VALUES, weights + x * ksize, count[x], column);
            uint8_t *o = out + r0 * out_stride + (x - column_begin) * 3;
            if (x + 1 < column_end) {
                // 4-byte stores: the 4th byte lands on pixel x + 1 of the same row, written next.
                for (long r = 0; r < n; r++, o += out_stride) memcpy(o, column + r * 4, 4);
            } else {
                for (long r = 0; r < n; r++, o += out_stride) {
                    o[0] = column[r * 4];
                    o[1] = column[r * 4 + 1];
                    o[2] = column[r * 4 + 2];
                }
            }
        }
    }
}

static void horizontal_generic(const uint8_t *in, long is, long rows, const long *f, const long *c, const int32_t *w, long k,
                               long b, long e, uint8_t *out, long os, uint8_t *tile) {
    horizontal_body(in, is, rows, f, c, w, k, b, e, out, os, tile);
}

__attribute__((target("avx2"))) static void horizontal_avx2(const uint8_t *in, long is, long rows, const long *f, const long *c,
                                                            const int32_t *w, long k, long b, long e, uint8_t *out, long os,
                                                            uint8_t *tile) {
    horizontal_body(in, is, rows, f, c, w, k, b, e, out, os, tile);
}

long ditport_resample_horizontal_tile_bytes(const long *first, const long *count, long column_begin, long column_end) {
    long x0 = first[column_begin], x1 = first[column_begin] + count[column_begin];
    for (long x = column_begin; x < column_end; x++) {
        if (first[x] < x0) x0 = first[x];
        if (first[x] + count[x] > x1) x1 = first[x] + count[x];
    }
    return (x1 - x0) * TILE_VALUES;
}

void ditport_resample_horizontal(const uint8_t *in, long in_stride, long rows, const long *first, const long *count,
                                 const int32_t *weights, long ksize, long column_begin, long column_end, uint8_t *out,
                                 long out_stride, uint8_t *tile) {
    static int use_avx2 = -1;
    if (use_avx2 < 0) use_avx2 = avx2_allowed();
    if (use_avx2) horizontal_avx2(in, in_stride, rows, first, count, weights, ksize, column_begin, column_end, out, out_stride, tile);
    else horizontal_generic(in, in_stride, rows, first, count, weights, ksize, column_begin, column_end, out, out_stride, tile);
}
