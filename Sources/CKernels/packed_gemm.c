// Linear layers on pre-packed f32 weights with AVX-512: C = act(A·Wᵀ + bias).
// Weights W [n, k] (PyTorch Linear layout) are packed once at load into panels of 48 output features,
// each panel stored k-major: packed[p][kk][j] = W[48p + j][kk]. The 8×48 micro-kernel keeps 24 zmm
// accumulators, broadcasts 8 values of A per k and loads 3 vectors of the panel; k is blocked by 128
// so a panel block (24 KB) stays in L1 while all row blocks of A (packed per k block, in L2) pass it.
// Bias and activation are applied to the tile in registers after the last k block.
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

#define MR 8
#define KC 128

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

/// c[8][48] (row stride ldc) = (first ? 0 : c) + a[kc][8]·b[kc][48]; after the last block, + bias, act.
T512 static void kernel(size_t kc, const float *a, const float *b, float *c, size_t ldc, int first, int last,
                        const float *bias, int activation) {
    __m512 c0[MR], c1[MR], c2[MR];
    for (int i = 0; i < MR; i++) {
        if (first) {
            c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); c2[i] = _mm512_setzero_ps();
        } else {
            c0[i] = _mm512_loadu_ps(c + i * ldc); c1[i] = _mm512_loadu_ps(c + i * ldc + 16); c2[i] = _mm512_loadu_ps(c + i * ldc + 32);
        }
    }
    for (size_t kk = 0; kk < kc; kk++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), b2 = _mm512_load_ps(b + 32);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
            c2[i] = _mm512_fmadd_ps(ai, b2, c2[i]);
        }
        a += MR;
        b += DK_PANEL;
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

void dk_pack_activations(size_t m, size_t k, const float *a, size_t lda, size_t block_begin, size_t block_end, float *ap) {
    size_t m_pad = (m + MR - 1) / MR * MR;
    for (size_t pc = 0; pc < k; pc += KC) {
        size_t kc = k - pc < KC ? k - pc : KC;
        for (size_t ir = block_begin * MR; ir < block_end * MR && ir < m_pad; ir += MR) {
            float *dst = ap + pc * m_pad + ir * kc;  // block pc holds m_pad × kc values
            for (int i = 0; i < MR; i++) {
                if (ir + i < m) {
                    const float *src = a + (ir + i) * lda + pc;
                    for (size_t kk = 0; kk < kc; kk++) dst[kk * MR + i] = src[kk];
                } else {
                    for (size_t kk = 0; kk < kc; kk++) dst[kk * MR + i] = 0;
                }
            }
        }
    }
}

void dk_sgemm_packed(size_t m, size_t k, const float *ap, const float *packed, size_t panel_begin, size_t panel_end,
                     float *c, size_t ldc, const float *bias, int activation) {
    if (m == 0 || panel_begin >= panel_end) return;
    size_t m_pad = (m + MR - 1) / MR * MR;
    float tile[MR * DK_PANEL] __attribute__((aligned(64)));  // [8, 48] f32, for the row tail
    for (size_t pc = 0; pc < k; pc += KC) {
        size_t kc = k - pc < KC ? k - pc : KC;
        int first = pc == 0, last = pc + kc == k;
        const float *block = ap + pc * m_pad;
        for (size_t p = panel_begin; p < panel_end; p++) {
            const float *bp = packed + p * k * DK_PANEL + pc * DK_PANEL;
            const float *bias_p = bias ? bias + p * DK_PANEL : NULL;
            float *cp = c + p * DK_PANEL;
            size_t ir = 0;
            for (; ir + MR <= m; ir += MR) kernel(kc, block + ir * kc, bp, cp + ir * ldc, ldc, first, last, bias_p, activation);
            if (ir < m) {
                size_t rows = m - ir;
                if (!first) for (size_t i = 0; i < rows; i++) memcpy(tile + i * DK_PANEL, cp + (ir + i) * ldc, DK_PANEL * sizeof(float));
                kernel(kc, block + ir * kc, bp, tile, DK_PANEL, first, last, bias_p, activation);
                for (size_t i = 0; i < rows; i++) memcpy(cp + (ir + i) * ldc, tile + i * DK_PANEL, DK_PANEL * sizeof(float));
            }
        }
    }
}

#else
void dk_pack_weight(const float *w, size_t n, size_t k, size_t ldw, float *packed) { (void)w; (void)n; (void)k; (void)ldw; (void)packed; }
void dk_unpack_weight_rows(const float *packed, size_t k, size_t row_begin, size_t row_end, float *out) {
    (void)packed; (void)k; (void)row_begin; (void)row_end; (void)out;
}
void dk_pack_activations(size_t m, size_t k, const float *a, size_t lda, size_t block_begin, size_t block_end, float *ap) {
    (void)m; (void)k; (void)a; (void)lda; (void)block_begin; (void)block_end; (void)ap;
}
void dk_sgemm_packed(size_t m, size_t k, const float *ap, const float *packed, size_t panel_begin, size_t panel_end,
                     float *c, size_t ldc, const float *bias, int activation) {
    (void)m; (void)k; (void)ap; (void)packed; (void)panel_begin; (void)panel_end; (void)c; (void)ldc; (void)bias; (void)activation;
}
#endif
