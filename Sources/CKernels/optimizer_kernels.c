// Element-wise optimizer and EMA updates over flat f32 buffers (Training's TorchAdamW,
// MindSporeAdamWeightDecay and EMA). Each element is computed on its own with IEEE operations only
// (add, mul, div, sqrt, fma — all correctly rounded), so the AVX-512 path and the portable one give the
// same bits, and any split of the buffer over workers gives the same result.
// Contraction is off: where a formula rounds a product before adding (MindSpore, MindONE's EMA), the
// compiler must not fuse it; where torch fuses (lerp_, addcmul_, add_ with alpha), fmaf says so.
#pragma STDC FP_CONTRACT OFF
#include "CKernels.h"
#include <math.h>

#if defined(__x86_64__)
#include "vector_math.h"
#define HAVE_AVX512 (dk_vector_level() >= 2)
#else
#define HAVE_AVX512 0
#endif

// ---------------------------------------------------------------- torch.optim.AdamW

static void adamw_torch_portable(float *p, const float *g, float *m, float *v, size_t n, const struct dk_adamw_torch_constants *c) {
    for (size_t i = 0; i < n; i++) {
        float pi = p[i];
        if (c->apply_decay) pi = pi * c->decay;
        float gi = g[i];
        float mi = fmaf(c->w1, gi - m[i], m[i]);
        float w2g = c->w2 * gi;
        float vi = fmaf(w2g, gi, v[i] * c->b2);
        float denom = sqrtf(vi) / c->s2 + c->eps;
        float step = c->neg_step * mi;
        p[i] = pi + step / denom;
        m[i] = mi;
        v[i] = vi;
    }
}

#if defined(__x86_64__)
T512 static void adamw_torch_512(float *p, const float *g, float *m, float *v, size_t n, const struct dk_adamw_torch_constants *c) {
    const __m512 decay = _mm512_set1_ps(c->decay), w1 = _mm512_set1_ps(c->w1), b2 = _mm512_set1_ps(c->b2), w2 = _mm512_set1_ps(c->w2);
    const __m512 s2 = _mm512_set1_ps(c->s2), eps = _mm512_set1_ps(c->eps), neg_step = _mm512_set1_ps(c->neg_step);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = tail_mask512(n - i);
        __m512 pi = _mm512_maskz_loadu_ps(k, p + i), gi = _mm512_maskz_loadu_ps(k, g + i);
        __m512 mo = _mm512_maskz_loadu_ps(k, m + i), vo = _mm512_maskz_loadu_ps(k, v + i);
        if (c->apply_decay) pi = _mm512_mul_ps(pi, decay);
        __m512 mi = _mm512_fmadd_ps(w1, _mm512_sub_ps(gi, mo), mo);
        __m512 vi = _mm512_fmadd_ps(_mm512_mul_ps(w2, gi), gi, _mm512_mul_ps(vo, b2));
        __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), s2), eps);
        pi = _mm512_add_ps(pi, _mm512_div_ps(_mm512_mul_ps(neg_step, mi), denom));
        _mm512_mask_storeu_ps(p + i, k, pi);
        _mm512_mask_storeu_ps(m + i, k, mi);
        _mm512_mask_storeu_ps(v + i, k, vi);
    }
}
#endif

void dk_adamw_torch(float *p, const float *g, float *m, float *v, size_t n, const struct dk_adamw_torch_constants *c) {
#if defined(__x86_64__)
    if (HAVE_AVX512) { adamw_torch_512(p, g, m, v, n, c); return; }
#endif
    adamw_torch_portable(p, g, m, v, n, c);
}

// ---------------------------------------------------------------- MindSpore nn.AdamWeightDecay

static void adamw_mindspore_portable(float *p, const float *g, float *m, float *v, size_t n, const struct dk_adamw_mindspore_constants *c) {
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float bm = c->b1 * m[i], wg = c->w1 * gi;
        float mi = bm + wg;
        float gg = gi * gi, bv = c->b2 * v[i];
        float wgg = c->w2 * gg;
        float vi = bv + wgg;
        float root = sqrtf(vi);
        float u = mi / (c->eps + root);
        if (c->apply_decay) {
            float dp = c->weight_decay * p[i];
            u = dp + u;
        }
        float lu = c->lr * u;
        p[i] = p[i] - lu;
        m[i] = mi;
        v[i] = vi;
    }
}

#if defined(__x86_64__)
T512 static void adamw_mindspore_512(float *p, const float *g, float *m, float *v, size_t n, const struct dk_adamw_mindspore_constants *c) {
    const __m512 b1 = _mm512_set1_ps(c->b1), w1 = _mm512_set1_ps(c->w1), b2 = _mm512_set1_ps(c->b2), w2 = _mm512_set1_ps(c->w2);
    const __m512 eps = _mm512_set1_ps(c->eps), lr = _mm512_set1_ps(c->lr), wd = _mm512_set1_ps(c->weight_decay);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = tail_mask512(n - i);
        __m512 pi = _mm512_maskz_loadu_ps(k, p + i), gi = _mm512_maskz_loadu_ps(k, g + i);
        __m512 mo = _mm512_maskz_loadu_ps(k, m + i), vo = _mm512_maskz_loadu_ps(k, v + i);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, mo), _mm512_mul_ps(w1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, vo), _mm512_mul_ps(w2, _mm512_mul_ps(gi, gi)));
        __m512 u = _mm512_div_ps(mi, _mm512_add_ps(eps, _mm512_sqrt_ps(vi)));
        if (c->apply_decay) u = _mm512_add_ps(_mm512_mul_ps(wd, pi), u);
        pi = _mm512_sub_ps(pi, _mm512_mul_ps(lr, u));
        _mm512_mask_storeu_ps(p + i, k, pi);
        _mm512_mask_storeu_ps(m + i, k, mi);
        _mm512_mask_storeu_ps(v + i, k, vi);
    }
}
#endif

void dk_adamw_mindspore(float *p, const float *g, float *m, float *v, size_t n, const struct dk_adamw_mindspore_constants *c) {
#if defined(__x86_64__)
    if (HAVE_AVX512) { adamw_mindspore_512(p, g, m, v, n, c); return; }
#endif
    adamw_mindspore_portable(p, g, m, v, n, c);
}

// ---------------------------------------------------------------- EMA

#if defined(__x86_64__)
T512 static void ema_512(float *ema, const float *p, size_t n, float decay, float weight, int fused) {
    const __m512 d = _mm512_set1_ps(decay), w = _mm512_set1_ps(weight);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = tail_mask512(n - i);
        __m512 e = _mm512_maskz_loadu_ps(k, ema + i), pi = _mm512_maskz_loadu_ps(k, p + i);
        __m512 ed = _mm512_mul_ps(e, d);
        e = fused ? _mm512_fmadd_ps(pi, w, ed) : _mm512_add_ps(ed, _mm512_mul_ps(pi, w));
        _mm512_mask_storeu_ps(ema + i, k, e);
    }
}
#endif

void dk_ema_update(float *ema, const float *p, size_t n, float decay, float weight, int fused) {
#if defined(__x86_64__)
    if (HAVE_AVX512) { ema_512(ema, p, n, decay, weight, fused); return; }
#endif
    for (size_t i = 0; i < n; i++) {
        float ed = ema[i] * decay;
        if (fused) {
            ema[i] = fmaf(p[i], weight, ed);
        } else {
            float pw = p[i] * weight;
            ema[i] = ed + pw;
        }
    }
}
