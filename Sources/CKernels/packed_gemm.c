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
// The same loop nest and micro-kernels serve `dk_sgemm_strided` (training's backward GEMMs): B read in place
// from a row-major [k, n] matrix in 48-column strips (row stride ldb instead of 48), A with any row and column
// strides (a transposed A for the weight gradient Gᵀ·X), and C accumulated when asked.
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

/// c[8][48] (row stride ldc) = (first ? 0 : c) + a[8][kc]·b[kc][48]; after the last block, + bias, act.
/// a(i, kk) at a[i·rsa + kk·csa] (row-major: csa = 1; a transposed operand: rsa = 1); b row kk at b + kk·ldb
/// (48 for a packed panel, the row stride of a row-major [k, n] matrix otherwise).
T512 static void kernel(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, float *c, size_t ldc,
                        int first, int last, const float *bias, int activation) {
    __m512 c0[MR], c1[MR], c2[MR];
    for (int i = 0; i < MR; i++) {
        if (first) {
            c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); c2[i] = _mm512_setzero_ps();
        } else {
            c0[i] = _mm512_loadu_ps(c + i * ldc); c1[i] = _mm512_loadu_ps(c + i * ldc + 16); c2[i] = _mm512_loadu_ps(c + i * ldc + 32);
        }
    }
    for (size_t kk = 0; kk < kc; kk++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), b2 = _mm512_loadu_ps(b + 32);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i * rsa]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
            c2[i] = _mm512_fmadd_ps(ai, b2, c2[i]);
        }
        a += csa;
        b += ldb;
    }
    if (last) {
        __m512 z = _mm512_setzero_ps();
        __m512 bias0 = bias ? _mm512_loadu_ps(bias) : z, bias1 = bias ? _mm512_loadu_ps(bias + 16) : z, bias2 = bias ? _mm512_loadu_ps(bias + 32) : z;
        for (int i = 0; i < MR; i++) {
            c0[i] = act512(_mm512_add_ps(c0[i], bias0), activation);
            c1[i] = act512(_mm512_add_ps(c1[i], bias1), activation);
            c2[i] = act512(_mm512_add_ps(c2[i], bias2), activation);
        }
    }
    for (int i = 0; i < MR; i++) {
        _mm512_storeu_ps(c + i * ldc, c0[i]); _mm512_storeu_ps(c + i * ldc + 16, c1[i]); _mm512_storeu_ps(c + i * ldc + 32, c2[i]);
    }
}

#define MR2 6

/// c[6][16] (row stride ldc) = (first ? 0 : c) + a[6][kc]·b[kc][16], operands addressed as in `kernel`;
/// after the last block, + bias, act. 12 accumulators + 2 panel vectors + 1 broadcast = 15 of 16 ymm.
T256 static void kernel256(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, float *c, size_t ldc,
                           int first, int last, const float *bias, int activation) {
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
/// a[i·rsa + kk·csa], b row kk at b + kk·ldb; after the last k block, + bias, act.
typedef void (*micro_kernel)(size_t kc, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, float *c, size_t ldc,
                             int first, int last, const float *bias, int activation);

/// The B operand of the loop nest: panel p, row kk at `base + p·panel_stride + kk·ldb` (48 columns wide).
struct panels { const float *base; size_t panel_stride, ldb; };

/// The loop nest both units share: panels, k blocks of ≤ KC, row blocks of `mr` rows, each calling `kernel` on
/// the `parts` column slices (48 / parts wide) of the panel in turn; the last < mr rows go through a
/// zero-padded copy of A and a C tile buffer. `accumulate`: C starts from what it holds (β = 1).
static void sgemm_with(micro_kernel kernel, size_t mr, size_t parts, size_t m, size_t k, const float *a, size_t rsa, size_t csa,
                       struct panels b, size_t panel_begin, size_t panel_end, float *c, size_t ldc, int accumulate,
                       const float *bias, int activation) {
    float tail_a[MR * KC] __attribute__((aligned(64)));      // [mr, kc] f32 (≤ 36 KB): the last < mr rows of A, zero-padded
    float tile[MR * DK_PANEL] __attribute__((aligned(64)));  // [mr, width] f32: their C tile
    size_t width = DK_PANEL / parts, full = m / mr * mr, rows = m - full;
    for (size_t p = panel_begin; p < panel_end; p++) {
        const float *bias_p = bias ? bias + p * DK_PANEL : NULL;
        float *cp = c + p * DK_PANEL;
        for (size_t pc = 0; pc < k; pc += KC) {
            size_t kc = k - pc < KC ? k - pc : KC;
            int first = pc == 0 && !accumulate, last = pc + kc == k;
            const float *bp = b.base + p * b.panel_stride + pc * b.ldb;
            for (size_t ir = 0; ir < full; ir += mr)
                for (size_t t = 0; t < parts; t++)
                    kernel(kc, a + ir * rsa + pc * csa, rsa, csa, bp + t * width, b.ldb, cp + ir * ldc + t * width, ldc, first, last,
                           bias_p ? bias_p + t * width : NULL, activation);
            if (rows == 0) continue;
            memset(tail_a, 0, mr * kc * sizeof(float));
            for (size_t i = 0; i < rows; i++) {
                const float *src = a + (full + i) * rsa + pc * csa;
                if (csa == 1) memcpy(tail_a + i * kc, src, kc * sizeof(float));
                else for (size_t kk = 0; kk < kc; kk++) tail_a[i * kc + kk] = src[kk * csa];
            }
            for (size_t t = 0; t < parts; t++) {
                float *ct = cp + full * ldc + t * width;
                if (!first) for (size_t i = 0; i < rows; i++) memcpy(tile + i * width, ct + i * ldc, width * sizeof(float));
                kernel(kc, tail_a, kc, 1, bp + t * width, b.ldb, tile, width, first, last, bias_p ? bias_p + t * width : NULL, activation);
                for (size_t i = 0; i < rows; i++) memcpy(ct + i * ldc, tile + i * width, width * sizeof(float));
            }
        }
    }
}

static void sgemm_dispatch(size_t m, size_t k, const float *a, size_t rsa, size_t csa, struct panels b, size_t panel_begin,
                           size_t panel_end, float *c, size_t ldc, int accumulate, const float *bias, int activation) {
    if (m == 0 || panel_begin >= panel_end) return;
    if (dk_vector_level() >= 2) sgemm_with(kernel, MR, 1, m, k, a, rsa, csa, b, panel_begin, panel_end, c, ldc, accumulate, bias, activation);
    else sgemm_with(kernel256, MR2, 3, m, k, a, rsa, csa, b, panel_begin, panel_end, c, ldc, accumulate, bias, activation);
}

void dk_sgemm_packed(size_t m, size_t k, const float *a, size_t lda, const float *packed, size_t panel_begin, size_t panel_end,
                     float *c, size_t ldc, const float *bias, int activation) {
    struct panels b = {packed, k * DK_PANEL, DK_PANEL};
    sgemm_dispatch(m, k, a, lda, 1, b, panel_begin, panel_end, c, ldc, 0, bias, activation);
}

/// This thread's panel buffer for `dk_sgemm_unpacked`, grown on demand and kept for the thread's life (one per worker).
static __thread float *panel_buffer;     // [k, 48] f32
static __thread size_t panel_capacity;  // floats

int dk_sgemm_unpacked(size_t m, size_t k, const float *a, size_t lda, const float *w, size_t ldw, size_t panel_begin, size_t panel_end,
                      float *c, size_t ldc, const float *bias, int activation) {
    if (m == 0 || panel_begin >= panel_end) return 0;
    if (panel_capacity < k * DK_PANEL) {
        free(panel_buffer);
        panel_capacity = 0;
        panel_buffer = aligned_alloc(64, (k * DK_PANEL * sizeof(float) + 63) / 64 * 64);
        if (!panel_buffer) return -1;
        panel_capacity = k * DK_PANEL;
    }
    for (size_t p = panel_begin; p < panel_end; p++) {
        dk_pack_weight(w + p * DK_PANEL * ldw, DK_PANEL, k, ldw, panel_buffer);
        struct panels b = {panel_buffer - p * k * DK_PANEL, k * DK_PANEL, DK_PANEL};  // panel p at panel_buffer
        sgemm_dispatch(m, k, a, lda, 1, b, p, p + 1, c, ldc, 0, bias, activation);
    }
    return 0;
}

void dk_sgemm_strided(size_t m, size_t k, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, size_t panel_begin,
                      size_t panel_end, float *c, size_t ldc, int accumulate) {
    struct panels panels = {b, DK_PANEL, ldb};
    sgemm_dispatch(m, k, a, rsa, csa, panels, panel_begin, panel_end, c, ldc, accumulate, NULL, 0);
}

#else
void dk_pack_weight(const float *w, size_t n, size_t k, size_t ldw, float *packed) { (void)w; (void)n; (void)k; (void)ldw; (void)packed; }
void dk_unpack_weight_rows(const float *packed, size_t k, size_t row_begin, size_t row_end, float *out) {
    (void)packed; (void)k; (void)row_begin; (void)row_end; (void)out;
}
int dk_sgemm_unpacked(size_t m, size_t k, const float *a, size_t lda, const float *w, size_t ldw, size_t panel_begin, size_t panel_end,
                      float *c, size_t ldc, const float *bias, int activation) {
    (void)m; (void)k; (void)a; (void)lda; (void)w; (void)ldw; (void)panel_begin; (void)panel_end; (void)c; (void)ldc; (void)bias; (void)activation;
    return -1;
}
void dk_sgemm_strided(size_t m, size_t k, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, size_t panel_begin,
                      size_t panel_end, float *c, size_t ldc, int accumulate) {
    (void)m; (void)k; (void)a; (void)rsa; (void)csa; (void)b; (void)ldb; (void)panel_begin; (void)panel_end; (void)c; (void)ldc; (void)accumulate;
}
void dk_sgemm_packed(size_t m, size_t k, const float *a, size_t lda, const float *packed, size_t panel_begin, size_t panel_end,
                     float *c, size_t ldc, const float *bias, int activation) {
    (void)m; (void)k; (void)a; (void)lda; (void)packed; (void)panel_begin; (void)panel_end; (void)c; (void)ldc; (void)bias; (void)activation;
}
#endif
