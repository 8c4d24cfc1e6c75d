#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Widest vector unit usable by the functions below on this CPU, checked once at run time:
/// 2 = AVX-512F, 1 = AVX2 + FMA, 0 = neither (callers keep their portable path). The library is
/// compiled for the baseline x86-64 ISA; only these functions carry target attributes.
int dk_vector_level(void);

/// Lowers the level used from now on to at most `max_level` (never above what the CPU has) and returns
/// it; for tests of each path and for `DITPORT_VECTOR` (`avx512`, `avx2`, `portable`), read once.
int dk_limit_vector_level(int max_level);

/// Pointwise epilogue of a linear layer over a `[rows, cols]` block with row stride `ld`:
/// `y = act(y + bias)`; `bias` is `[cols]` or NULL; `activation` 0 = none, 1 = GELU (tanh form,
/// `x / (1 + e^(-2u))`, u = √(2/π)(x + 0.044715x³)), 2 = SiLU. Requires `dk_vector_level() > 0`.
void dk_bias_activation(float *y, size_t rows, size_t cols, size_t ld, const float *bias, int activation);

/// In-place numerically stable softmax of each of `rows` rows of `length` values (row stride `ld`).
/// Requires `dk_vector_level() > 0`.
void dk_softmax_rows(float *x, size_t rows, size_t length, size_t ld);

/// `y[r, j] = bias[j] + Σ_k x[r, k] · w[j, k]` for `rows` ≤ 4 input rows (`x` row stride `ldx`), output
/// features `j` in `[0, cols)` (`w` row stride `ldw`, `y` row stride `ldy`, `bias` `[cols]` or NULL).
/// Reads each weight row once, for the memory-bound few-row layers (DiT's adaLN modulation at batch 2),
/// where a packing GEMM reads the weights three times. Requires `dk_vector_level() > 0`.
void dk_few_rows_linear(const float *x, size_t rows, size_t k, size_t ldx, const float *w, size_t cols, size_t ldw,
                        const float *bias, float *y, size_t ldy);

/// Output features per panel of a packed weight.
#define DK_PANEL 48

/// Packs a Linear weight `w` `[n, k]` (row stride `ldw`, `n % DK_PANEL == 0`) into `packed`
/// (`n·k` floats): panel p, element (kk, j) at `packed[(p·k + kk)·DK_PANEL + j]` = `w[p·DK_PANEL + j][kk]`.
void dk_pack_weight(const float *w, size_t n, size_t k, size_t ldw, float *packed);

/// Copies rows `[row_begin, row_end)` of a packed weight back to the `[rows, k]` layout in `out`.
void dk_unpack_weight_rows(const float *packed, size_t k, size_t row_begin, size_t row_end, float *out);

/// `c[:, 48·panel_begin ..< 48·panel_end] = act(a · Wᵀ + bias)` for activations `a` `[m, k]` (row
/// stride `lda`) and W packed by `dk_pack_weight`: `c` row stride `ldc` (pointing at output column 0),
/// `bias` the whole `[n]` vector or NULL, `activation` as in `dk_bias_activation`. Workers may compute
/// disjoint panel ranges in parallel. AVX-512 (8×48 tiles) or AVX2 + FMA (6×16 tiles on panel thirds),
/// whichever `dk_vector_level()` allows; requires `dk_vector_level() >= 1`.
void dk_sgemm_packed(size_t m, size_t k, const float *a, size_t lda, const float *packed, size_t panel_begin, size_t panel_end,
                     float *c, size_t ldc, const float *bias, int activation);

/// `c[:, 48·panel_begin ..< min(48·panel_end, n)] = act(α · A · B + bias)` (or `c +=` A·B + bias when
/// `accumulate`, then α must be 1) for A `[m, k]` with element (i, kk) at `a[i·rsa + kk·csa]` (row-major: `csa` = 1)
/// and B `[k, n]`: row-major with row stride `ldb`, or with `b_transposed` the transpose of a row-major `[n, k]`
/// matrix (a Linear weight, attention's keys) with row stride `ldb`. Any m, n, k: each (panel, k block) of B is
/// copied or packed into this thread's L2-resident buffer just before the row blocks of `dk_sgemm_packed`'s
/// micro-kernels pass it (the last panel zero-padded), so every C element sums its k products in the same order
/// for any split, and a transposed B gives the bits `dk_sgemm_packed` gives on the packed weight. `bias` `[n]` or
/// NULL, `activation` as in `dk_bias_activation`. Workers may compute disjoint panel (or row) ranges. Requires
/// `dk_vector_level() >= 1`; returns 0, or -1 (c untouched) when the panel buffer could not be allocated.
int dk_sgemm(size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, int b_transposed,
             size_t panel_begin, size_t panel_end, float *c, size_t ldc, int accumulate, float alpha, const float *bias, int activation);

// ---------------------------------------------------------------- bf16 GEMM (packed_gemm_bf16.c)

/// 1 when the bf16 GEMM below can run: the CPU has AVX512_BF16 (`vdpbf16ps`), AVX512BW and AVX512VL, and
/// `dk_vector_level()` is 2 (so `DITPORT_VECTOR=avx2|portable` turns it off too; `DITPORT_BF16=off` alone);
/// else 0 and callers compute in f32.
int dk_bf16_level(void);

/// Turns the bf16 GEMM off (`max_level` < 1) or back on (if the CPU has it) from now on; returns `dk_bf16_level()`.
int dk_limit_bf16_level(int max_level);

/// `out[i]` = the bfloat16 bits of `x[i]`, rounded to nearest even, every NaN → 0xFFFF: torch's CPU cast
/// (`tensor.bfloat16()`) bit for bit, subnormals included. Runs the GEMM's activation conversion (AVX-512)
/// when `dk_bf16_level()` is 1, else the portable code that packs weights: tests compare both with torch.
void dk_f32_to_bf16(const float *x, size_t count, uint16_t *out);

/// Elements (`uint16_t`) of a weight `[n, k]` packed by `dk_pack_weight_bf16`: ⌈n/48⌉·48 · 2⌈k/2⌉.
size_t dk_packed_bf16_count(size_t n, size_t k);

/// Rounds a Linear weight `w` `[n, k]` (row stride `ldw`, any n and k) to bf16 as `dk_f32_to_bf16` and packs it
/// for `dk_bf16gemm_packed` (`dk_packed_bf16_count(n, k)` elements): panel p, k pair q, column j, element e at
/// `packed[((p·⌈k/2⌉ + q)·48 + j)·2 + e]` = bf16(`w[48p + j][2q + e]`), 0 beyond n and k. Portable C.
void dk_pack_weight_bf16(const float *w, size_t n, size_t k, size_t ldw, uint16_t *packed);

/// Rows `[row_begin, row_end)` of a weight packed by `dk_pack_weight_bf16`, widened to f32 `[rows, k]` in `out`.
void dk_unpack_weight_bf16_rows(const uint16_t *packed, size_t k, size_t row_begin, size_t row_end, float *out);

/// Elements (`uint16_t`) of a weight `[m, k]` packed by `dk_pack_rows_bf16`: ⌈m/8⌉·8 · 2⌈k/2⌉.
size_t dk_packed_bf16_rows_count(size_t m, size_t k);

/// Rounds a weight `w` `[m, k]` (row stride `ldw`) to bf16 as `dk_f32_to_bf16` into rows of k pairs for
/// `dk_bf16gemm_weight_left` (`dk_packed_bf16_rows_count(m, k)` elements): row r, value kk at
/// `packed[r·2⌈k/2⌉ + kk]`, 0 beyond k and in the rows m ..< ⌈m/8⌉·8. Portable C.
void dk_pack_rows_bf16(const float *w, size_t m, size_t k, size_t ldw, uint16_t *packed);

/// `c[m, n] = (accumulate ? c : 0) + bf16(W) · bf16(b)` with f32 accumulation (`vdpbf16ps`) — a convolution's
/// GEMM with the weight on the left: W `[m, k]` packed by `dk_pack_rows_bf16`, `b` `[k, n]` f32 (row stride
/// `ldb`: im2col columns or Winograd-transformed tiles), each 48-column panel of it rounded to bf16 as
/// `dk_f32_to_bf16` while this call packs it into a per-thread buffer; `c` `[m, n]` row stride `ldc`. The same
/// micro-kernel as `dk_bf16gemm_packed`. Requires `dk_bf16_level() == 1`; returns 0, or -1 when the panel
/// buffer could not be allocated (c untouched).
int dk_bf16gemm_weight_left(size_t m, size_t n, size_t k, const uint16_t *w_rows, const float *b, size_t ldb, float *c, size_t ldc,
                            int accumulate);

/// `c[:, 48·panel_begin ..< min(48·panel_end, n)] = act(bf16(a) · bf16(W)ᵀ + bias)` with f32 accumulation
/// (`vdpbf16ps`), for activations `a` `[m, k]` f32 (row stride `lda`, rounded to bf16 as `dk_f32_to_bf16` while
/// this call copies its rows into a per-thread buffer) and W `[n, k]` packed by `dk_pack_weight_bf16`; `c` row
/// stride `ldc` (pointing at output column 0), `bias` the whole `[n]` vector or NULL, `activation` as in
/// `dk_bias_activation`. Workers may compute disjoint panel (or row) ranges in parallel. Requires
/// `dk_bf16_level() == 1`; returns 0, or -1 when the A buffer could not be allocated (c untouched).
int dk_bf16gemm_packed(size_t m, size_t n, size_t k, const float *a, size_t lda, const uint16_t *packed, size_t panel_begin,
                       size_t panel_end, float *c, size_t ldc, const float *bias, int activation);

/// `dk_sgemm` in bf16: `c[:, 48·panel_begin ..< min(48·panel_end, n)] = act(α · bf16(A) · bf16(B) + bias)` (or
/// `c +=` when `accumulate`, then α must be 1) with f32 accumulation (`vdpbf16ps`), the operands and arguments
/// as `dk_sgemm`'s (A any strides, B row-major or transposed). Training's GEMMs in bf16 (torch.autocast): A's rows
/// are rounded (as `dk_f32_to_bf16`) into a per-thread buffer of k pairs as they are copied, each 48-column panel
/// of B as it is packed into a per-thread buffer just before its GEMM — B changes every call, nothing is
/// rounded ahead. Requires `dk_bf16_level() == 1`; returns 0, or -1 when a buffer could not be allocated.
int dk_bf16gemm(size_t m, size_t n, size_t k, const float *a, size_t rsa, size_t csa, const float *b, size_t ldb, int b_transposed,
                size_t panel_begin, size_t panel_end, float *c, size_t ldc, int accumulate, float alpha, const float *bias, int activation);

// ---------------------------------------------------------------- optimizer updates (optimizer_kernels.c)
// Element-wise, IEEE operations only: the AVX-512 path and the portable one give the same bits.

/// Constants of one `torch.optim.AdamW` step (Training's `TorchAdamW` derives them in double, then f32).
struct dk_adamw_torch_constants {
    float decay;       ///< f32(1 − lr·λ), used when `apply_decay`
    int apply_decay;   ///< λ ≠ 0
    float w1;          ///< f32(1 − β1)
    float b2;          ///< f32(β2)
    float w2;          ///< f32(1 − β2)
    float s2;          ///< f32(√(1 − β2^step))
    float neg_step;    ///< f32(−lr / (1 − β1^step))
    float eps;         ///< f32(ε)
};

/// `torch.optim.AdamW` over `n` elements: p ← p·decay (if applied); m ← fma(w1, g − m, m);
/// v ← fma(w2·g, g, v·b2); p ← p + (neg_step·m) / (√v / s2 + eps).
void dk_adamw_torch(float *p, const float *g, float *m, float *v, size_t n, const struct dk_adamw_torch_constants *c);

/// Constants of one MindSpore `nn.AdamWeightDecay` step (f32 as MindSpore computes them).
struct dk_adamw_mindspore_constants {
    float b1, w1, b2, w2;   ///< β1, f32(1 − β1), β2, f32(1 − β2)
    float eps, lr;
    float weight_decay;     ///< λ, used when `apply_decay`
    int apply_decay;
};

/// MindSpore `nn.AdamWeightDecay` over `n` elements, every operation rounded: m ← b1·m + w1·g;
/// v ← b2·v + w2·(g·g); u = m / (eps + √v); u ← λ·p + u (if applied); p ← p − lr·u.
void dk_adamw_mindspore(float *p, const float *g, float *m, float *v, size_t n, const struct dk_adamw_mindspore_constants *c);

/// EMA over `n` elements: `fused` 1: ema ← fma(p, weight, ema·decay) (torch `mul_(d).add_(p, alpha=1−d)`);
/// 0: ema ← ema·decay + p·weight, each product rounded (MindSpore).
void dk_ema_update(float *ema, const float *p, size_t n, float decay, float weight, int fused);

#endif
