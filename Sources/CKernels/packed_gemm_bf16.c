// Linear layers in bfloat16 with f32 accumulation on AVX512_BF16 (vdpbf16ps): C = act(bf16(A)·bf16(W)ᵀ + bias).
// W [n, k] (PyTorch Linear layout) is rounded to bf16 once at load (round to nearest even, NaN → 0xFFFF, as
// torch's CPU cast) and packed into panels of 48 output features in k pairs: packed[p][q][j][e] =
// bf16(W[48p + j][2q + e]), zero beyond n and k, so one 64-byte load holds 16 columns × 2 k values — the
// operand layout of vdpbf16ps, which adds a[2q]·b[2q] + a[2q+1]·b[2q+1] into each f32 lane.
// Each call first converts its rows of A to bf16 (the same rounding, done with integer vector ops so it is
// bit-for-bit torch's cast incl. subnormals and NaN, where vcvtne2ps2bf16 would flush subnormals), row-major
// in k pairs, into a per-thread buffer: one pass over A, ~1 % of the GEMM time at DiT-XL shapes.
// The 8×48 micro-kernel then mirrors dk_sgemm_packed: 24 zmm accumulators, 8 pair broadcasts and 3 panel
// loads per k pair (= 2 k); loop order panel, k blocks of KCP pairs (panel block 216 KB, in L2), row
// blocks of 8. Tails: rows and columns by masked loads/stores of C, odd k by the zero padding.
// Convolutions use the same micro-kernel the other way round (dk_bf16gemm_weight_left): C[out, pixels] =
// W[out, depth] · cols[depth, pixels], the weight rounded once at load into rows of k pairs (the kernel's
// broadcast operand, dk_pack_rows_bf16) and each 48-pixel panel of the activation columns rounded while it is
// packed into the kernel's panel layout, just before its GEMM (so it is still in L2 when the kernel reads it).
#include "CKernels.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MR 8
#define KCP 1152  // k pairs per k block

/// Torch's f32 → bf16 (c10::BFloat16 round_to_nearest_even / vectorised cvtfp32_bf16): NaN → 0xFFFF.
static inline uint16_t bf16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if (x != x) return 0xFFFF;
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static void f32_to_bf16_scalar(const float *x, size_t count, uint16_t *out) {
    for (size_t i = 0; i < count; i++) out[i] = bf16_bits(x[i]);
}

size_t dk_packed_bf16_count(size_t n, size_t k) { return (n + DK_PANEL - 1) / DK_PANEL * DK_PANEL * ((k + 1) / 2) * 2; }

void dk_pack_weight_bf16(const float *w, size_t n, size_t k, size_t ldw, uint16_t *packed) {
    size_t kp = (k + 1) / 2, panels = (n + DK_PANEL - 1) / DK_PANEL;
    memset(packed, 0, dk_packed_bf16_count(n, k) * sizeof(uint16_t));
    for (size_t p = 0; p < panels; p++) {
        uint16_t *dst = packed + p * kp * DK_PANEL * 2;
        for (size_t j = 0; j < DK_PANEL && p * DK_PANEL + j < n; j++) {
            const float *src = w + (p * DK_PANEL + j) * ldw;
            for (size_t kk = 0; kk < k; kk++) dst[((kk / 2) * DK_PANEL + j) * 2 + kk % 2] = bf16_bits(src[kk]);
        }
    }
}

void dk_unpack_weight_bf16_rows(const uint16_t *packed, size_t k, size_t row_begin, size_t row_end, float *out) {
    size_t kp = (k + 1) / 2;
    for (size_t r = row_begin; r < row_end; r++) {
        const uint16_t *panel = packed + (r / DK_PANEL) * kp * DK_PANEL * 2;
        size_t j = r % DK_PANEL;
        for (size_t kk = 0; kk < k; kk++) {
            uint32_t bits = (uint32_t)panel[((kk / 2) * DK_PANEL + j) * 2 + kk % 2] << 16;
            memcpy(out + (r - row_begin) * k + kk, &bits, 4);
        }
    }
}

size_t dk_packed_bf16_rows_count(size_t m, size_t k) { return (m + MR - 1) / MR * MR * ((k + 1) / 2) * 2; }

void dk_pack_rows_bf16(const float *w, size_t m, size_t k, size_t ldw, uint16_t *packed) {
    size_t ld = (k + 1) / 2 * 2;
    memset(packed, 0, dk_packed_bf16_rows_count(m, k) * sizeof(uint16_t));
    for (size_t r = 0; r < m; r++) f32_to_bf16_scalar(w + r * ldw, k, packed + r * ld);
}

#if defined(__x86_64__)
#include "vector_math.h"

#define TBF16 __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))

static int disabled = 0;
static int hardware = -1;

int dk_bf16_level(void) {
    if (hardware < 0) {
        __builtin_cpu_init();
        hardware = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
        const char *asked = getenv("DITPORT_BF16");
        if (asked && strcmp(asked, "off") == 0) disabled = 1;
    }
    return hardware && !disabled && dk_vector_level() >= 2;
}

int dk_limit_bf16_level(int max_level) {
    (void)dk_bf16_level();
    disabled = max_level < 1;
    return dk_bf16_level();
}

/// 16 floats rounded to bf16 (torch's rounding), integer ops only: the bf16 bits in the upper half of each lane.
TBF16 static inline __m512i round32(__m512 x) {
    __m512i u = _mm512_castps_si512(x);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb);
    return _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), _mm512_set1_epi32((int)0xFFFF0000u));
}

/// 16 floats → 16 bf16 bit patterns (torch's rounding).
TBF16 static inline __m256i round16(__m512 x) { return _mm512_cvtepi32_epi16(_mm512_srli_epi32(round32(x), 16)); }

/// Rows [0, rows) of `a` (row stride lda, k values) → bf16, row r at out + r·ldo (ldo ≥ k u16, zero beyond k).
TBF16 static void convert_rows(size_t rows, size_t k, const float *a, size_t lda, uint16_t *out, size_t ldo) {
    for (size_t r = 0; r < rows; r++) {
        const float *src = a + r * lda;
        uint16_t *dst = out + r * ldo;
        for (size_t j = 0; j < ldo; j += 32) {
            __m512 lo = _mm512_maskz_loadu_ps(tail_mask512(j < k ? k - j : 0), src + j);
            __m512 hi = _mm512_maskz_loadu_ps(tail_mask512(j + 16 < k ? k - j - 16 : 0), src + j + 16);
            size_t left = ldo - j;
            _mm256_mask_storeu_epi16(dst + j, tail_mask512(left), round16(lo));
            _mm256_mask_storeu_epi16(dst + j + 16, tail_mask512(left > 16 ? left - 16 : 0), round16(hi));
        }
    }
}

/// c[rows][cols] (rows ≤ 8, cols ≤ 16·NV, row stride ldc) = (first ? 0 : c) + a[8][2kc]·b[2kc][48] in k pairs:
/// `a` 8 rows of kc bf16 pairs (row stride lda pairs), `b` kc × 48 × 2 bf16 (only the first 16·NV columns read);
/// after the last k block, α·c (when α ≠ 1) + bias, act. NV (1, 2 or 3 vectors of 16 columns) is a constant in
/// each instantiation below, so a panel's last 16 or 32 columns cost one or two thirds of a full one.
TBF16 static inline __attribute__((always_inline)) void kernel_nv(size_t kc, const uint32_t *a, size_t lda, const uint16_t *b, float *c,
                                                                 size_t ldc, int first, int last, float alpha, const float *bias,
                                                                 int activation, size_t rows, size_t cols, const int NV) {
    __mmask16 m0 = tail_mask512(cols), m1 = tail_mask512(cols > 16 ? cols - 16 : 0), m2 = tail_mask512(cols > 32 ? cols - 32 : 0);
    __m512 c0[MR], c1[MR], c2[MR];
#pragma clang loop unroll(full)
    for (size_t i = 0; i < MR; i++) {
        if (first || i >= rows) {
            c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); c2[i] = _mm512_setzero_ps();
        } else {
            c0[i] = _mm512_maskz_loadu_ps(m0, c + i * ldc);
            c1[i] = NV > 1 ? _mm512_maskz_loadu_ps(m1, c + i * ldc + 16) : _mm512_setzero_ps();
            c2[i] = NV > 2 ? _mm512_maskz_loadu_ps(m2, c + i * ldc + 32) : _mm512_setzero_ps();
        }
    }
    for (size_t q = 0; q < kc; q++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
        __m512bh b1 = NV > 1 ? (__m512bh)_mm512_loadu_si512(b + 32) : b0, b2 = NV > 2 ? (__m512bh)_mm512_loadu_si512(b + 64) : b0;
#pragma clang loop unroll(full)
        for (size_t i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i * lda]);
            c0[i] = _mm512_dpbf16_ps(c0[i], ai, b0);
            if (NV > 1) c1[i] = _mm512_dpbf16_ps(c1[i], ai, b1);
            if (NV > 2) c2[i] = _mm512_dpbf16_ps(c2[i], ai, b2);
        }
        a += 1;
        b += DK_PANEL * 2;
    }
    if (last) {
        if (alpha != 1.0f) {
            __m512 s = _mm512_set1_ps(alpha);
#pragma clang loop unroll(full)
            for (size_t i = 0; i < MR; i++) { c0[i] = _mm512_mul_ps(c0[i], s); c1[i] = _mm512_mul_ps(c1[i], s); c2[i] = _mm512_mul_ps(c2[i], s); }
        }
        __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
        __m512 bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
        __m512 bias2 = bias ? _mm512_maskz_loadu_ps(m2, bias + 32) : _mm512_setzero_ps();
#pragma clang loop unroll(full)
        for (size_t i = 0; i < MR; i++) {
            c0[i] = act512(_mm512_add_ps(c0[i], bias0), activation);
            c1[i] = act512(_mm512_add_ps(c1[i], bias1), activation);
            c2[i] = act512(_mm512_add_ps(c2[i], bias2), activation);
        }
    }
#pragma clang loop unroll(full)
    for (size_t i = 0; i < MR; i++) {
        if (i >= rows) continue;
        _mm512_mask_storeu_ps(c + i * ldc, m0, c0[i]);
        if (NV > 1) _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c1[i]);
        if (NV > 2) _mm512_mask_storeu_ps(c + i * ldc + 32, m2, c2[i]);
    }
}

/// The micro-kernel for a panel of `cols` columns: 3, 2 or 1 vectors of 16.
TBF16 static void kernel(size_t kc, const uint32_t *a, size_t lda, const uint16_t *b, float *c, size_t ldc, int first, int last,
                         float alpha, const float *bias, int activation, size_t rows, size_t cols) {
    if (cols > 32) kernel_nv(kc, a, lda, b, c, ldc, first, last, alpha, bias, activation, rows, cols, 3);
    else if (cols > 16) kernel_nv(kc, a, lda, b, c, ldc, first, last, alpha, bias, activation, rows, cols, 2);
    else kernel_nv(kc, a, lda, b, c, ldc, first, last, alpha, bias, activation, rows, cols, 1);
}

/// A per-thread buffer of at least `bytes` (64-byte aligned), grown on demand and kept for the thread's next
/// calls; NULL when it cannot be allocated (then `*capacity` is 0, so the next call tries again).
static void *grown(void **buffer, size_t *capacity, size_t bytes) {
    if (bytes > *capacity) {
        free(*buffer);
        *buffer = aligned_alloc(64, (bytes + 63) / 64 * 64);
        *capacity = *buffer ? bytes : 0;
    }
    return *buffer;
}

/// This thread's A buffer (bf16 rows in k pairs).
static _Thread_local void *a_buffer = NULL;
static _Thread_local size_t a_capacity = 0;

static uint32_t *a_scratch(size_t pairs) { return grown(&a_buffer, &a_capacity, pairs * 4); }

/// c[m][cols] (row stride ldc; cols ≤ 48) = (accumulate ? c : 0) + a·b (+ bias, act) for `a` [⌈m/8⌉·8][kp] bf16 pairs
/// (rows beyond m zero) and one packed panel `b` [kp][48][2]: k blocks of KCP pairs, row blocks of 8.
TBF16 static void panel_gemm(size_t m, size_t cols, size_t kp, const uint32_t *a, const uint16_t *b, float *c, size_t ldc,
                             int accumulate, float alpha, const float *bias, int activation) {
    for (size_t pc = 0; pc < kp; pc += KCP) {
        size_t kc = kp - pc < KCP ? kp - pc : KCP;
        int first = pc == 0 && !accumulate, last = pc + kc == kp;
        for (size_t ir = 0; ir < m; ir += MR)
            kernel(kc, a + ir * kp + pc, kp, b + pc * DK_PANEL * 2, c + ir * ldc, ldc, first, last, alpha, bias, activation,
                   m - ir < MR ? m - ir : MR, cols);
    }
}

TBF16 static void bf16gemm(size_t m, size_t n, size_t k, const float *a, size_t lda, const uint16_t *packed, size_t panel_begin,
                           size_t panel_end, float *c, size_t ldc, const float *bias, int activation, uint32_t *abuf) {
    size_t kp = (k + 1) / 2, blocks = (m + MR - 1) / MR;
    convert_rows(m, k, a, lda, (uint16_t *)abuf, 2 * kp);
    memset(abuf + m * kp, 0, (blocks * MR - m) * kp * 4);  // [blocks·8 − m, kp] pairs: the zero rows of the last block
    for (size_t p = panel_begin; p < panel_end; p++)
        panel_gemm(m, n - p * DK_PANEL < DK_PANEL ? n - p * DK_PANEL : DK_PANEL, kp, abuf, packed + p * kp * DK_PANEL * 2,
                   c + p * DK_PANEL, ldc, 0, 1.0f, bias ? bias + p * DK_PANEL : NULL, activation);
}

/// Columns [0, cols) (cols ≤ 48) of `b` [k][ldb] f32 → one panel [⌈k/2⌉][48][2] bf16 (torch's rounding), zero
/// beyond cols and k: per k pair, rows 2q and 2q + 1 interleaved as (even, odd) pairs, 16 columns per store.
TBF16 static void pack_panel(size_t k, size_t cols, const float *b, size_t ldb, uint16_t *panel) {
    __mmask16 m0 = tail_mask512(cols), m1 = tail_mask512(cols > 16 ? cols - 16 : 0), m2 = tail_mask512(cols > 32 ? cols - 32 : 0);
    __mmask16 masks[3] = {m0, m1, m2};
    __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
    for (size_t q = 0; q < (k + 1) / 2; q++) {
        const float *even = b + 2 * q * ldb, *odd = even + ldb;
        int has_odd = 2 * q + 1 < k;
        uint16_t *dst = panel + q * DK_PANEL * 2;
        for (int s = 0; s < 3; s++) {
            __m512i lo = _mm512_srli_epi32(round32(_mm512_maskz_loadu_ps(masks[s], even + 16 * s)), 16);
            __m512i hi = has_odd ? _mm512_and_si512(round32(_mm512_maskz_loadu_ps(masks[s], odd + 16 * s)), high) : _mm512_setzero_si512();
            _mm512_storeu_si512(dst + 32 * s, _mm512_or_si512(lo, hi));
        }
    }
}

/// This thread's panel buffer for k values ([⌈k/2⌉][48][2] bf16), or NULL when it cannot be allocated.
static _Thread_local void *panel_buffer = NULL;
static _Thread_local size_t panel_capacity = 0;

static uint16_t *panel_scratch(size_t k) { return grown(&panel_buffer, &panel_capacity, (k + 1) / 2 * DK_PANEL * 2 * sizeof(uint16_t)); }

int dk_bf16gemm_weight_left(size_t m, size_t n, size_t k, const uint16_t *w_rows, const float *b, size_t ldb, float *c, size_t ldc,
                            int accumulate) {
    if (m == 0 || n == 0) return 0;
    size_t kp = (k + 1) / 2;
    uint16_t *panel = panel_scratch(k);  // [⌈k/2⌉, 48, 2] bf16
    if (!panel) return -1;
    for (size_t p = 0; p * DK_PANEL < n; p++) {
        size_t cols = n - p * DK_PANEL < DK_PANEL ? n - p * DK_PANEL : DK_PANEL;
        pack_panel(k, cols, b + p * DK_PANEL, ldb, panel);
        panel_gemm(m, cols, kp, (const uint32_t *)w_rows, panel, c + p * DK_PANEL, ldc, accumulate, 1.0f, NULL, 0);
    }
    return 0;
}

/// Columns [0, cols) (cols ≤ 48) of B = Wᵀ for W [n][ldw] row-major (rows 0 ..< cols of `w` here) → one panel
/// [⌈k/2⌉][48][2] bf16 (torch's rounding), zero beyond cols and k: each row of W rounded into `row` (2⌈k/2⌉
/// bf16, zero-padded), then its k pairs stored down column j of the panel.
TBF16 static void pack_panel_transposed(size_t k, size_t cols, const float *w, size_t ldw, uint16_t *panel, uint16_t *row) {
    size_t kp = (k + 1) / 2;
    if (cols < DK_PANEL) memset(panel, 0, kp * DK_PANEL * 2 * sizeof(uint16_t));
    uint32_t *dst = (uint32_t *)panel;
    for (size_t j = 0; j < cols; j++) {
        convert_rows(1, k, w + j * ldw, ldw, row, 2 * kp);
        const uint32_t *pairs = (const uint32_t *)row;
        for (size_t q = 0; q < kp; q++) dst[q * DK_PANEL + j] = pairs[q];
    }
}

/// A [m, k] with element (i, kk) at a[i + kk·csa] (row stride 1: the transpose of a row-major [k, m] matrix with
/// row stride csa) → rows of bf16 k pairs `out` [m, kp]: per k pair q, 16 values of source rows 2q and 2q + 1
/// at a time rounded, interleaved and scattered down pair column q.
TBF16 static void convert_transposed(size_t m, size_t k, const float *a, size_t csa, uint32_t *out, size_t kp) {
    __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
    __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32((int)kp));
    for (size_t q = 0; q < kp; q++) {
        const float *even = a + 2 * q * csa, *odd = even + csa;
        int has_odd = 2 * q + 1 < k;
        for (size_t i = 0; i < m; i += 16) {
            __mmask16 mask = tail_mask512(m - i < 16 ? m - i : 16);
            __m512i lo = _mm512_srli_epi32(round32(_mm512_maskz_loadu_ps(mask, even + i)), 16);
            __m512i hi = has_odd ? _mm512_and_si512(round32(_mm512_maskz_loadu_ps(mask, odd + i)), high) : _mm512_setzero_si512();
            _mm512_mask_i32scatter_epi32(out + i * kp + q, mask, index, _mm512_or_si512(lo, hi), 4);
        }
    }
}

/// This thread's row buffer for one row of a transposed B (2⌈k/2⌉ bf16).
static _Thread_local void *row_buffer = NULL;
static _Thread_local size_t row_capacity = 0;

static uint16_t *row_scratch(size_t k) { return grown(&row_buffer, &row_capacity, (k + 1) / 2 * 2 * sizeof(uint16_t)); }

int dk_bf16gemm(size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, int b_transposed,
                size_t panel_begin, size_t panel_end, float *c, size_t ldc, int accumulate, float alpha, const float *bias, int activation) {
    if (m == 0 || panel_begin >= panel_end) return 0;
    size_t kp = (k + 1) / 2, blocks = (m + MR - 1) / MR;
    uint32_t *abuf = a_scratch(blocks * MR * kp);  // [⌈m/8⌉·8, ⌈k/2⌉] bf16 pairs
    uint16_t *panel = panel_scratch(k);             // [⌈k/2⌉, 48, 2] bf16
    uint16_t *row = b_transposed ? row_scratch(k) : NULL;  // [2⌈k/2⌉] bf16
    if (!abuf || !panel || (b_transposed && !row)) return -1;
    if (csa == 1) convert_rows(m, k, a, rsa, (uint16_t *)abuf, 2 * kp);
    else if (rsa == 1) convert_transposed(m, k, a, csa, abuf, kp);
    else
        for (size_t i = 0; i < m; i++)
            for (size_t q = 0; q < kp; q++) {
                uint32_t lo = bf16_bits(a[i * rsa + 2 * q * csa]), hi = 2 * q + 1 < k ? bf16_bits(a[i * rsa + (2 * q + 1) * csa]) : 0;
                abuf[i * kp + q] = lo | hi << 16;
            }
    memset(abuf + m * kp, 0, (blocks * MR - m) * kp * 4);  // [blocks·8 − m, kp] pairs: the zero rows of the last block
    for (size_t p = panel_begin; p < panel_end; p++) {
        size_t cols = n - p * DK_PANEL < DK_PANEL ? n - p * DK_PANEL : DK_PANEL;
        if (b_transposed) pack_panel_transposed(k, cols, b + p * DK_PANEL * ldb, ldb, panel, row);
        else pack_panel(k, cols, b + p * DK_PANEL, ldb, panel);
        panel_gemm(m, cols, kp, abuf, panel, c + p * DK_PANEL, ldc, accumulate, alpha, bias ? bias + p * DK_PANEL : NULL, activation);
    }
    return 0;
}

void dk_f32_to_bf16(const float *x, size_t count, uint16_t *out) {
    if (dk_bf16_level() > 0) convert_rows(1, count, x, count, out, count);  // the GEMM's activation path
    else f32_to_bf16_scalar(x, count, out);                                  // the weight packing path
}

int dk_bf16gemm_packed(size_t m, size_t n, size_t k, const float *a, size_t lda, const uint16_t *packed, size_t panel_begin,
                       size_t panel_end, float *c, size_t ldc, const float *bias, int activation) {
    if (m == 0 || panel_begin >= panel_end) return 0;
    uint32_t *abuf = a_scratch((m + MR - 1) / MR * MR * ((k + 1) / 2));  // [⌈m/8⌉·8, ⌈k/2⌉] bf16 pairs
    if (!abuf) return -1;
    bf16gemm(m, n, k, a, lda, packed, panel_begin, panel_end, c, ldc, bias, activation, abuf);
    return 0;
}

#else
void dk_f32_to_bf16(const float *x, size_t count, uint16_t *out) { f32_to_bf16_scalar(x, count, out); }
int dk_bf16gemm_weight_left(size_t m, size_t n, size_t k, const uint16_t *w_rows, const float *b, size_t ldb, float *c, size_t ldc,
                            int accumulate) {
    (void)m; (void)n; (void)k; (void)w_rows; (void)b; (void)ldb; (void)c; (void)ldc; (void)accumulate;
    return -1;
}
int dk_bf16gemm(size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, int b_transposed,
                size_t panel_begin, size_t panel_end, float *c, size_t ldc, int accumulate, float alpha, const float *bias, int activation) {
    (void)m; (void)n; (void)k; (void)a; (void)rsa; (void)csa; (void)b; (void)ldb; (void)b_transposed; (void)panel_begin; (void)panel_end;
    (void)c; (void)ldc; (void)accumulate; (void)alpha; (void)bias; (void)activation;
    return -1;
}
int dk_bf16_level(void) { return 0; }
int dk_limit_bf16_level(int max_level) { (void)max_level; return 0; }
int dk_bf16gemm_packed(size_t m, size_t n, size_t k, const float *a, size_t lda, const uint16_t *packed, size_t panel_begin,
                       size_t panel_end, float *c, size_t ldc, const float *bias, int activation) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)panel_begin; (void)panel_end; (void)c; (void)ldc; (void)bias; (void)activation;
    return -1;
}
#endif
