#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

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

#endif
