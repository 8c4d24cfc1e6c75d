// Linear layers on pre-packed f32 weights with AVX-512 or AVX2 + FMA: C = act(A·Wᵀ + bias).
// Weights W [n, k] (PyTorch Linear layout) are packed once at load into panels of 48 output features,
// each panel stored k-major: packed[p][kk][j] = W[48p + j][kk]. The 8×48 micro-kernel keeps 24 zmm
// accumulators, broadcasts 8 values of A per k straight from its row-major rows and loads 3 vectors of
// the panel. Loop order: panel, then k blocks of up to 1152, then row blocks of 8. The panel block
// (≤ 216 KB) stays in L2 while every row block passes it, each C tile is loaded and stored once per
// k block (once in all for k ≤ 1152), and A streams through in row order, so A needs no packing pass.
// Measured on the DiT-XL shapes (docs/benchmarks.md): packing A cost more than it saved; k-block-outer
// order sent C to L3 between k blocks; k blocks of 128 (panel block in L1) were 2 % slower than 1152.
// Bias and activation are applied to the tile in registers after the last k block.
// The same loop nest and micro-kernels serve `dk_sgemm` (training's GEMMs and attention): B a row-major [k, n]
// matrix or the transpose of one, each (panel, k block) copied or packed into a per-thread L2 buffer just before
// the row blocks pass it, any n (the last panel zero-padded), A with any row and column strides, C accumulated
// or scaled when asked.
// Without AVX-512 (AVX2 + FMA: 16 ymm registers) a 6×16 kernel runs over the three thirds of a panel in
// turn for each row block (the 6-row A tile stays in L1 for all three), from the same packed layout
// (12 ymm accumulators, 6 broadcasts and 2 loads per k).
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

#define MR 8
#define KC 1152

#if defined(__x86_64__)
#include "vector_math.h"

void dk_pack_weight(const float *w, size_t n, size_t k, size_t ldw, float *packed) {
    for (size_t p = 0; p < n / DK_PANEL; p++) {
        float *dst = packed + p * k * DK_PANEL;
        for (size_t j = 0; j < DK_PANEL; j++) {
            const float *src = w + (p * DK_PANEL + j) * ldw;
            for (size_t kk = 0; kk < k; kk++) dst[kk * DK_PANEL + j] = src[kk];
        }
    }
}

void dk_unpack_weight_rows(const float *packed, size_t k, size_t row_begin, size_t row_end, float *out) {
    for (size_t r = row_begin; r < row_end; r++) {
        const float *panel = packed + (r / DK_PANEL) * k * DK_PANEL;
        size_t j = r % DK_PANEL;
        for (size_t kk = 0; kk < k; kk++) out[(r - row_begin) * k + kk] = panel[kk * DK_PANEL + j];
    }
}

/// c[8][16·NV] (row stride ldc) = (first ? 0 : c) + a[8][kc]·b[kc][16·NV]; after the last block, + bias, act.
/// a(i, kk) at a[i·rsa + kk·csa] (row-major: csa = 1; a transposed operand: rsa = 1); b row kk at b + kk·ldb
/// (48 for a packed panel, the row stride of a row-major [k, n] matrix otherwise). NV (3 vectors of 16 columns:
/// a full panel; 2 or 1 for a last panel of ≤ 32 or ≤ 16 columns) is a constant in each instantiation below.
T512 static inline __attribute__((always_inline)) void kernel_nv(size_t kc, const float *a, size_t rsa, size_t csa, const float *b,
                                                                size_t ldb, float *c, size_t ldc, int first, int last, float alpha,
                                                                const float *bias, int activation, const int NV) {
    __m512 c0[MR], c1[MR], c2[MR];
    for (int i = 0; i < MR; i++) {
        if (first) {
            c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); c2[i] = _mm512_setzero_ps();
        } else {
            c0[i] = _mm512_loadu_ps(c + i * ldc);
            c1[i] = NV > 1 ? _mm512_loadu_ps(c + i * ldc + 16) : _mm512_setzero_ps();
            c2[i] = NV > 2 ? _mm512_loadu_ps(c + i * ldc + 32) : _mm512_setzero_ps();
        }
    }
    for (size_t kk = 0; kk < kc; kk++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = NV > 1 ? _mm512_loadu_ps(b + 16) : b0, b2 = NV > 2 ? _mm512_loadu_ps(b + 32) : b0;
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i * rsa]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            if (NV > 1) c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
            if (NV > 2) c2[i] = _mm512_fmadd_ps(ai, b2, c2[i]);
        }
        a += csa;
        b += ldb;
    }
    if (last) {
        __m512 z = _mm512_setzero_ps();
        __m512 bias0 = bias ? _mm512_loadu_ps(bias) : z, bias1 = bias && NV > 1 ? _mm512_loadu_ps(bias + 16) : z;
        __m512 bias2 = bias && NV > 2 ? _mm512_loadu_ps(bias + 32) : z;
        if (alpha != 1.0f) {
            __m512 s = _mm512_set1_ps(alpha);
            for (int i = 0; i < MR; i++) { c0[i] = _mm512_mul_ps(c0[i], s); c1[i] = _mm512_mul_ps(c1[i], s); c2[i] = _mm512_mul_ps(c2[i], s); }
        }
        for (int i = 0; i < MR; i++) {
            c0[i] = act512(_mm512_add_ps(c0[i], bias0), activation);
            c1[i] = act512(_mm512_add_ps(c1[i], bias1), activation);
            c2[i] = act512(_mm512_add_ps(c2[i], bias2), activation);
        }
    }
    for (int i = 0; i < MR; i++) {
        _mm512_storeu_ps(c + i * ldc, c0[i]);
        if (NV > 1) _mm512_storeu_ps(c + i * ldc + 16, c1[i]);
        if (NV > 2) _mm512_storeu_ps(c + i * ldc + 32, c2[i]);
    }
}

/// A full 48-column panel, and the narrower last panels (≤ 32, ≤ 16 columns: 2 or 1 vectors instead of 3).
T512 static void kernel(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, float *c, size_t ldc,
                        int first, int last, float alpha, const float *bias, int activation) {
    kernel_nv(kc, a, rsa, csa, b, ldb, c, ldc, first, last, alpha, bias, activation, 3);
}
T512 static void kernel32(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, float *c, size_t ldc,
                          int first, int last, float alpha, const float *bias, int activation) {
    kernel_nv(kc, a, rsa, csa, b, ldb, c, ldc, first, last, alpha, bias, activation, 2);
}
T512 static void kernel16(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, float *c, size_t ldc,
                          int first, int last, float alpha, const float *bias, int activation) {
    kernel_nv(kc, a, rsa, csa, b, ldb, c, ldc, first, last, alpha, bias, activation, 1);
}

#define MR2 6

/// c[6][16] (row stride ldc) = (first ? 0 : c) + a[6][kc]·b[kc][16], operands addressed as in `kernel`;
/// after the last block, + bias, act. 12 accumulators + 2 panel vectors + 1 broadcast = 15 of 16 ymm.
T256 static void kernel256(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, float *c, size_t ldc,
                           int first, int last, float alpha, const float *bias, int activation) {
    __m256 c0[MR2], c1[MR2];
    for (int i = 0; i < MR2; i++) {
        if (first) {
            c0[i] = _mm256_setzero_ps(); c1[i] = _mm256_setzero_ps();
        } else {
            c0[i] = _mm256_loadu_ps(c + i * ldc); c1[i] = _mm256_loadu_ps(c + i * ldc + 8);
        }
    }
#pragma clang loop unroll_count(4)  // measured: 3 % faster on one thread, 1.6 % on two
    for (size_t kk = 0; kk < kc; kk++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR2; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i * rsa);
            c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
        }
        a += csa;
        b += ldb;
    }
    if (last) {
        __m256 z = _mm256_setzero_ps();
        __m256 bias0 = bias ? _mm256_loadu_ps(bias) : z, bias1 = bias ? _mm256_loadu_ps(bias + 8) : z;
        if (alpha != 1.0f) {
            __m256 s = _mm256_set1_ps(alpha);
            for (int i = 0; i < MR2; i++) { c0[i] = _mm256_mul_ps(c0[i], s); c1[i] = _mm256_mul_ps(c1[i], s); }
        }
        for (int i = 0; i < MR2; i++) {
            c0[i] = act256(_mm256_add_ps(c0[i], bias0), activation);
            c1[i] = act256(_mm256_add_ps(c1[i], bias1), activation);
        }
    }
    for (int i = 0; i < MR2; i++) {
        _mm256_storeu_ps(c + i * ldc, c0[i]); _mm256_storeu_ps(c + i * ldc + 8, c1[i]);
    }
}

/// A micro-kernel: c[mr][width] (row stride ldc) = (first ? 0 : c) + a[mr][kc]·b[kc][width], a(i, kk) at
/// a[i·rsa + kk·csa], b row kk at b + kk·ldb; after the last k block, α·c + bias, act.
typedef void (*micro_kernel)(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, float *c, size_t ldc,
                             int first, int last, float alpha, const float *bias, int activation);

/// Where the B operand's 48-column panels come from.
enum b_layout {
    B_PACKED,      ///< `dk_pack_weight` panels: panel p row kk at base[(p·k + kk)·48], used in place
    B_ROW_MAJOR,   ///< B [k, n] row-major (row stride ld): each (panel, k block) copied into the thread's buffer
    B_TRANSPOSED,  ///< B = Wᵀ for W [n, k] row-major (row stride ld): each (panel, k block) packed into the buffer
};
struct b_operand { const float *base; size_t ld; enum b_layout layout; };

/// This thread's panel buffer: one (panel, k block) of B, [KC, 48] f32 (216 KB, stays in L2), allocated once per thread.
static __thread float *panel_buffer;

/// Panel p, k rows [pc, pc + kc) of B as a [kc, 48] block with row stride 48: in place when packed, else copied
/// (row-major B) or packed (transposed B) into this thread's buffer, columns ≥ `cols` zeroed.
static const float *panel_block(struct b_operand b, size_t k, size_t p, size_t pc, size_t kc, size_t cols) {
    if (b.layout == B_PACKED) return b.base + (p * k + pc) * DK_PANEL;
    float *dst = panel_buffer;
    if (b.layout == B_ROW_MAJOR) {
        for (size_t kk = 0; kk < kc; kk++) {
            memcpy(dst + kk * DK_PANEL, b.base + (pc + kk) * b.ld + p * DK_PANEL, cols * sizeof(float));
            if (cols < DK_PANEL) memset(dst + kk * DK_PANEL + cols, 0, (DK_PANEL - cols) * sizeof(float));
        }
        return dst;
    }
    if (cols < DK_PANEL) memset(dst, 0, kc * DK_PANEL * sizeof(float));
    const float *src = b.base + p * DK_PANEL * b.ld + pc;
    for (size_t j = 0; j < cols; j++)
        for (size_t kk = 0; kk < kc; kk++) dst[kk * DK_PANEL + j] = src[j * b.ld + kk];
    return dst;
}

/// The loop nest both units share: panels, k blocks of ≤ KC, row blocks of `mr` rows, each calling `kernel` on
/// the `parts` column slices (48 / parts wide) of the panel in turn. The last < mr rows go through a zero-padded
/// copy of A, and the last < 48 columns (n % 48, never for packed B) through a zero-padded panel; both write C
/// through a tile buffer. `accumulate`: C starts from what it holds (β = 1; then α must be 1). Returns 0, or -1
/// (C untouched) when the panel buffer cannot be allocated. `narrow32` / `narrow16` (one slice, `parts` 1): the
/// kernels for a last panel of ≤ 32 / ≤ 16 columns, or NULL.
static int sgemm_with(micro_kernel kernel, micro_kernel narrow32, micro_kernel narrow16, size_t mr, size_t parts, size_t m, size_t n,
                      size_t k, const float *a, size_t rsa,
                      size_t csa, struct b_operand b, size_t panel_begin, size_t panel_end, float *c, size_t ldc, int accumulate,
                      float alpha, const float *bias, int activation) {
    float tail_a[MR * KC] __attribute__((aligned(64)));      // [mr, kc] f32 (≤ 36 KB): the last < mr rows of A, zero-padded
    float tile[MR * DK_PANEL] __attribute__((aligned(64)));  // [mr, 48] f32: a C tile written through a buffer
    float bias_tail[DK_PANEL];                                // [48] f32: the last panel's bias, zero-padded
    size_t width = DK_PANEL / parts;
    if (b.layout != B_PACKED && !panel_buffer && !(panel_buffer = aligned_alloc(64, KC * DK_PANEL * sizeof(float)))) return -1;
    for (size_t p = panel_begin; p < panel_end; p++) {
        size_t cols = n - p * DK_PANEL < DK_PANEL ? n - p * DK_PANEL : DK_PANEL;
        const float *bias_p = bias ? bias + p * DK_PANEL : NULL;
        if (bias && cols < DK_PANEL) {
            memset(bias_tail, 0, sizeof bias_tail);
            memcpy(bias_tail, bias_p, cols * sizeof(float));
            bias_p = bias_tail;
        }
        float *cp = c + p * DK_PANEL;
        micro_kernel panel_kernel = cols <= 16 && narrow16 ? narrow16 : cols <= 32 && narrow32 ? narrow32 : kernel;
        for (size_t pc = 0; pc < k; pc += KC) {
            size_t kc = k - pc < KC ? k - pc : KC;
            int first = pc == 0 && !accumulate, last = pc + kc == k;
            const float *bp = panel_block(b, k, p, pc, kc, cols);
            for (size_t ir = 0; ir < m; ir += mr) {
                size_t r = m - ir < mr ? m - ir : mr;
                const float *ap = a + ir * rsa + pc * csa;
                size_t ars = rsa, acs = csa;
                if (r < mr) {
                    memset(tail_a, 0, mr * kc * sizeof(float));
                    for (size_t i = 0; i < r; i++) {
                        const float *src = a + (ir + i) * rsa + pc * csa;
                        if (csa == 1) memcpy(tail_a + i * kc, src, kc * sizeof(float));
                        else for (size_t kk = 0; kk < kc; kk++) tail_a[i * kc + kk] = src[kk * csa];
                    }
                    ap = tail_a; ars = kc; acs = 1;
                }
                int direct = r == mr && cols == DK_PANEL;
                float *ct = direct ? cp + ir * ldc : tile;
                size_t ldt = direct ? ldc : DK_PANEL;
                if (!direct && !first) for (size_t i = 0; i < r; i++) memcpy(tile + i * DK_PANEL, cp + (ir + i) * ldc, cols * sizeof(float));
                for (size_t t = 0; t < parts; t++)
                    panel_kernel(kc, ap, ars, acs, bp + t * width, DK_PANEL, ct + t * width, ldt, first, last, alpha,
                           bias_p ? bias_p + t * width : NULL, activation);
                if (!direct) for (size_t i = 0; i < r; i++) memcpy(cp + (ir + i) * ldc, tile + i * DK_PANEL, cols * sizeof(float));
            }
        }
    }
    return 0;
}

static int sgemm_dispatch(size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, struct b_operand b, size_t panel_begin,
                          size_t panel_end, float *c, size_t ldc, int accumulate, float alpha, const float *bias, int activation) {
    if (m == 0 || panel_begin >= panel_end) return 0;
    if (dk_vector_level() >= 2)
        return sgemm_with(kernel, kernel32, kernel16, MR, 1, m, n, k, a, rsa, csa, b, panel_begin, panel_end, c, ldc, accumulate, alpha, bias,
                          activation);
    return sgemm_with(kernel256, NULL, NULL, MR2, 3, m, n, k, a, rsa, csa, b, panel_begin, panel_end, c, ldc, accumulate, alpha, bias,
                      activation);
}

void dk_sgemm_packed(size_t m, size_t k, const float *a, size_t lda, const float *packed, size_t panel_begin, size_t panel_end,
                     float *c, size_t ldc, const float *bias, int activation) {
    struct b_operand b = {packed, DK_PANEL, B_PACKED};
    (void)sgemm_dispatch(m, panel_end * DK_PANEL, k, a, lda, 1, b, panel_begin, panel_end, c, ldc, 0, 1.0f, bias, activation);
}

int dk_sgemm(size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, int b_transposed,
             size_t panel_begin, size_t panel_end, float *c, size_t ldc, int accumulate, float alpha, const float *bias, int activation) {
    struct b_operand operand = {b, ldb, b_transposed ? B_TRANSPOSED : B_ROW_MAJOR};
    return sgemm_dispatch(m, n, k, a, rsa, csa, operand, panel_begin, panel_end, c, ldc, accumulate, alpha, bias, activation);
}

#else
void dk_pack_weight(const float *w, size_t n, size_t k, size_t ldw, float *packed) { (void)w; (void)n; (void)k; (void)ldw; (void)packed; }
void dk_unpack_weight_rows(const float *packed, size_t k, size_t row_begin, size_t row_end, float *out) {
    (void)packed; (void)k; (void)row_begin; (void)row_end; (void)out;
}
int dk_sgemm(size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, int b_transposed,
             size_t panel_begin, size_t panel_end, float *c, size_t ldc, int accumulate, float alpha, const float *bias, int activation) {
    (void)m; (void)n; (void)k; (void)a; (void)rsa; (void)csa; (void)b; (void)ldb; (void)b_transposed; (void)panel_begin; (void)panel_end;
    (void)c; (void)ldc; (void)accumulate; (void)alpha; (void)bias; (void)activation;
    return -1;
}
void dk_sgemm_packed(size_t m, size_t k, const float *a, size_t lda, const float *packed, size_t panel_begin, size_t panel_end,
                     float *c, size_t ldc, const float *bias, int activation) {
    (void)m; (void)k; (void)a; (void)lda; (void)packed; (void)panel_begin; (void)panel_end; (void)c; (void)ldc; (void)bias; (void)activation;
}
#endif
