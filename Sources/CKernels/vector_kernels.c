// AVX-512 and AVX2/FMA versions of the runtime's pointwise kernels (GELU-tanh, SiLU, bias add, softmax).
// The portable Swift versions (Sources/Kernels/VectorMath.swift) compile to SSE2 because the package
// sets no -target-cpu; these are selected at run time by dk_vector_level(). Same formulas as the Swift
// ones: Cephes expf polynomial (≤ 2 ulp), GELU as x / (1 + e^(-2u)), softmax exp(x - max) / Σ.
#include "CKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

static int level = -1;

static int hardware_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

int dk_vector_level(void) {
    if (level < 0) {
        int found = hardware_level();
        const char *asked = getenv("DITPORT_VECTOR");
        if (asked && strcmp(asked, "avx2") == 0 && found > 1) found = 1;
        if (asked && strcmp(asked, "portable") == 0) found = 0;
        level = found;
    }
    return level;
}

int dk_limit_vector_level(int max_level) {
    int found = hardware_level();
    level = max_level < found ? (max_level < 0 ? 0 : max_level) : found;
    return level;
}

#include "vector_math.h"

T512 static void bias_activation512(float *y, size_t rows, size_t cols, size_t ld, const float *bias, int activation) {
    for (size_t r = 0; r < rows; r++) {
        float *row = y + r * ld;
        for (size_t j = 0; j < cols; j += 16) {
            __mmask16 m = tail_mask512(cols - j);
            __m512 v = _mm512_maskz_loadu_ps(m, row + j);
            if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + j));
            _mm512_mask_storeu_ps(row + j, m, act512(v, activation));
        }
    }
}

T512 static void softmax512(float *x, size_t rows, size_t length, size_t ld) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * ld;
        __m512 mx = _mm512_set1_ps(-__builtin_inff());
        for (size_t j = 0; j < length; j += 16) {
            __mmask16 m = tail_mask512(length - j);
            mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(_mm512_set1_ps(-__builtin_inff()), m, row + j));
        }
        __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        __m512 sum = _mm512_setzero_ps();
        for (size_t j = 0; j < length; j += 16) {
            __mmask16 m = tail_mask512(length - j);
            __m512 e = _mm512_maskz_mov_ps(m, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), vmax)));
            _mm512_mask_storeu_ps(row + j, m, e);
            sum = _mm512_add_ps(sum, e);
        }
        __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
        for (size_t j = 0; j < length; j += 16) {
            __mmask16 m = tail_mask512(length - j);
            _mm512_mask_storeu_ps(row + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), inv));
        }
    }
}

// ---------------------------------------------------------------- AVX2 + FMA (8 lanes, masked tails)
T256 static void bias_activation256(float *y, size_t rows, size_t cols, size_t ld, const float *bias, int activation) {
    for (size_t r = 0; r < rows; r++) {
        float *row = y + r * ld;
        size_t j = 0;
        for (; j + 8 <= cols; j += 8) {
            __m256 v = _mm256_loadu_ps(row + j);
            if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j));
            _mm256_storeu_ps(row + j, act256(v, activation));
        }
        if (j < cols) {
            __m256i m = tail_mask256(cols - j);
            __m256 v = _mm256_maskload_ps(row + j, m);
            if (bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + j, m));
            _mm256_maskstore_ps(row + j, m, act256(v, activation));
        }
    }
}

T256 static float hmax256(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

T256 static float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// Full vectors use plain loads and stores; only the tail is masked (vmaskmovps stores are microcoded on
// AMD cores: masking every vector made the AVX2 softmax and few-row linear 1.3–2.6× slower there).
T256 static void softmax256(float *x, size_t rows, size_t length, size_t ld) {
    const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
    size_t full = length / 8 * 8;
    __m256i m = tail_mask256(length - full);
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * ld;
        __m256 mx = ninf;
        for (size_t j = 0; j < full; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(row + j));
        if (full < length) mx = _mm256_max_ps(mx, _mm256_blendv_ps(ninf, _mm256_maskload_ps(row + full, m), _mm256_castsi256_ps(m)));
        __m256 vmax = _mm256_set1_ps(hmax256(mx));
        __m256 sum = _mm256_setzero_ps();
        for (size_t j = 0; j < full; j += 8) {
            __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(row + j), vmax));
            _mm256_storeu_ps(row + j, e);
            sum = _mm256_add_ps(sum, e);
        }
        if (full < length) {
            __m256 e = _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_maskload_ps(row + full, m), vmax)), _mm256_castsi256_ps(m));
            _mm256_maskstore_ps(row + full, m, e);
            sum = _mm256_add_ps(sum, e);
        }
        __m256 inv = _mm256_set1_ps(1.0f / hsum256(sum));
        for (size_t j = 0; j < full; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
        if (full < length) _mm256_maskstore_ps(row + full, m, _mm256_mul_ps(_mm256_maskload_ps(row + full, m), inv));
    }
}

// ---------------------------------------------------------------- few-row linear (weight streaming)
T512 static void few_rows512(const float *x, size_t rows, size_t k, size_t ldx, const float *w, size_t cols, size_t ldw,
                             const float *bias, float *y, size_t ldy) {
    for (size_t j = 0; j < cols; j++) {
        const float *wr = w + j * ldw;
        // Two accumulators per row: one FMA chain of k/16 steps was latency-bound.
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        __m512 odd[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        size_t i = 0;
        for (; i + 32 <= k; i += 32) {
            __m512 w0 = _mm512_loadu_ps(wr + i), w1 = _mm512_loadu_ps(wr + i + 16);
            for (size_t r = 0; r < rows; r++) {
                acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(x + r * ldx + i), w0, acc[r]);
                odd[r] = _mm512_fmadd_ps(_mm512_loadu_ps(x + r * ldx + i + 16), w1, odd[r]);
            }
        }
        for (size_t r = 0; r < rows; r++) acc[r] = _mm512_add_ps(acc[r], odd[r]);
        for (; i < k; i += 16) {
            __mmask16 m = tail_mask512(k - i);
            __m512 wv = _mm512_maskz_loadu_ps(m, wr + i);
            for (size_t r = 0; r < rows; r++) acc[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + r * ldx + i), wv, acc[r]);
        }
        for (size_t r = 0; r < rows; r++) y[r * ldy + j] = _mm512_reduce_add_ps(acc[r]) + (bias ? bias[j] : 0.0f);
    }
}

T256 static void few_rows256(const float *x, size_t rows, size_t k, size_t ldx, const float *w, size_t cols, size_t ldw,
                             const float *bias, float *y, size_t ldy) {
    for (size_t j = 0; j < cols; j++) {
        const float *wr = w + j * ldw;
        // Two accumulators per row: one FMA chain of k/8 steps was latency-bound (0.054 s per DiT-XL step).
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        __m256 odd[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        size_t i = 0;
        for (; i + 16 <= k; i += 16) {
            __m256 w0 = _mm256_loadu_ps(wr + i), w1 = _mm256_loadu_ps(wr + i + 8);
            for (size_t r = 0; r < rows; r++) {
                acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * ldx + i), w0, acc[r]);
                odd[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * ldx + i + 8), w1, odd[r]);
            }
        }
        for (size_t r = 0; r < rows; r++) acc[r] = _mm256_add_ps(acc[r], odd[r]);
        for (; i + 8 <= k; i += 8) {
            __m256 wv = _mm256_loadu_ps(wr + i);
            for (size_t r = 0; r < rows; r++) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * ldx + i), wv, acc[r]);
        }
        if (i < k) {
            __m256i m = tail_mask256(k - i);
            __m256 wv = _mm256_maskload_ps(wr + i, m);
            for (size_t r = 0; r < rows; r++) acc[r] = _mm256_fmadd_ps(_mm256_maskload_ps(x + r * ldx + i, m), wv, acc[r]);
        }
        for (size_t r = 0; r < rows; r++) y[r * ldy + j] = hsum256(acc[r]) + (bias ? bias[j] : 0.0f);
    }
}

void dk_few_rows_linear(const float *x, size_t rows, size_t k, size_t ldx, const float *w, size_t cols, size_t ldw,
                        const float *bias, float *y, size_t ldy) {
    if (dk_vector_level() >= 2) few_rows512(x, rows, k, ldx, w, cols, ldw, bias, y, ldy);
    else few_rows256(x, rows, k, ldx, w, cols, ldw, bias, y, ldy);
}

void dk_bias_activation(float *y, size_t rows, size_t cols, size_t ld, const float *bias, int activation) {
    if (dk_vector_level() >= 2) bias_activation512(y, rows, cols, ld, bias, activation);
    else bias_activation256(y, rows, cols, ld, bias, activation);
}

void dk_softmax_rows(float *x, size_t rows, size_t length, size_t ld) {
    if (dk_vector_level() >= 2) softmax512(x, rows, length, ld);
    else softmax256(x, rows, length, ld);
}

#else
int dk_vector_level(void) { return 0; }
int dk_limit_vector_level(int max_level) { (void)max_level; return 0; }
void dk_bias_activation(float *y, size_t rows, size_t cols, size_t ld, const float *bias, int activation) {
    (void)y; (void)rows; (void)cols; (void)ld; (void)bias; (void)activation;
}
void dk_softmax_rows(float *x, size_t rows, size_t length, size_t ld) { (void)x; (void)rows; (void)length; (void)ld; }
void dk_few_rows_linear(const float *x, size_t rows, size_t k, size_t ldx, const float *w, size_t cols, size_t ldw,
                        const float *bias, float *y, size_t ldy) {
    (void)x; (void)rows; (void)k; (void)ldx; (void)w; (void)cols; (void)ldw; (void)bias; (void)y; (void)ldy;
}
#endif
