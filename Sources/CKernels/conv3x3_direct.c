/* A direct 3x3 "same" convolution for a few output channels (the pixel decoder's final conv,
   128 -> 3): vectorised along each output row, every output channel's accumulators kept in
   registers over all input channels and taps. See ckernels.h for the contract. */
#include "ckernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,fma")))
#define AVX2 __attribute__((target("avx2,fma")))

/* Columns [x0, x0 + 64) of output row y for NK (1..4) channels, 16-lane vectors. */
static inline __attribute__((always_inline)) AVX512 void row_block_avx512(
    const int NK, const float *in, int C, int H, int W, const float *w, const float *bias, const float *residual,
    float *out, int y, int x0) {
    __m512 acc[4][4];
    for (int k = 0; k < NK; k++)
        for (int v = 0; v < 4; v++) acc[k][v] = _mm512_setzero_ps();
    /* Lanes of each tap column dx and vector v that lie inside the row (zero padding outside). */
    __mmask16 mask[3][4];
    for (int dx = 0; dx < 3; dx++)
        for (int v = 0; v < 4; v++) {
            int first = x0 + 16 * v + dx - 1; /* column of lane 0 */
            unsigned bits = 0;
            for (int l = 0; l < 16; l++) bits |= (unsigned)(first + l >= 0 && first + l < W && x0 + 16 * v + l < W) << l;
            mask[dx][v] = (__mmask16)bits;
        }
    for (int c = 0; c < C; c++)
        for (int dy = 0; dy < 3; dy++) {
            int yy = y + dy - 1;
            if (yy < 0 || yy >= H) continue;
            const float *row = in + ((size_t)c * H + yy) * W;
            for (int dx = 0; dx < 3; dx++) {
                __m512 xv[4];
                for (int v = 0; v < 4; v++) xv[v] = _mm512_maskz_loadu_ps(mask[dx][v], row + x0 + 16 * v + dx - 1);
                for (int k = 0; k < NK; k++) {
                    __m512 wk = _mm512_set1_ps(w[(((size_t)k * C + c) * 3 + dy) * 3 + dx]);
                    for (int v = 0; v < 4; v++) acc[k][v] = _mm512_fmadd_ps(wk, xv[v], acc[k][v]);
                }
            }
        }
    for (int k = 0; k < NK; k++)
        for (int v = 0; v < 4; v++) {
            int x = x0 + 16 * v;
            if (x >= W) break;
            __mmask16 store = W - x >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (W - x)) - 1u);
            size_t at = ((size_t)k * H + y) * W + x;
            __m512 r = _mm512_add_ps(acc[k][v], _mm512_set1_ps(bias ? bias[k] : 0.0f));
            if (residual) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(store, residual + at));
            _mm512_mask_storeu_ps(out + at, store, r);
        }
}

/* Columns [x0, x0 + 16) of output row y for NK (1..4) channels, 8-lane vectors. */
static inline __attribute__((always_inline)) AVX2 void row_block_avx2(
    const int NK, const float *in, int C, int H, int W, const float *w, const float *bias, const float *residual,
    float *out, int y, int x0) {
    __m256 acc[4][2];
    for (int k = 0; k < NK; k++)
        for (int v = 0; v < 2; v++) acc[k][v] = _mm256_setzero_ps();
    __m256i mask[3][2];
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int dx = 0; dx < 3; dx++)
        for (int v = 0; v < 2; v++) {
            int first = x0 + 8 * v + dx - 1;
            /* Lane l reads column first + l, inside the row, for an output column inside it. */
            __m256i col = _mm256_add_epi32(_mm256_set1_epi32(first), lanes);
            __m256i out_col = _mm256_add_epi32(_mm256_set1_epi32(x0 + 8 * v), lanes);
            __m256i ok = _mm256_and_si256(_mm256_cmpgt_epi32(col, _mm256_set1_epi32(-1)),
                                          _mm256_cmpgt_epi32(_mm256_set1_epi32(W), col));
            mask[dx][v] = _mm256_and_si256(ok, _mm256_cmpgt_epi32(_mm256_set1_epi32(W), out_col));
        }
    for (int c = 0; c < C; c++)
        for (int dy = 0; dy < 3; dy++) {
            int yy = y + dy - 1;
            if (yy < 0 || yy >= H) continue;
            const float *row = in + ((size_t)c * H + yy) * W;
            for (int dx = 0; dx < 3; dx++) {
                __m256 xv[2];
                for (int v = 0; v < 2; v++) xv[v] = _mm256_maskload_ps(row + x0 + 8 * v + dx - 1, mask[dx][v]);
                for (int k = 0; k < NK; k++) {
                    __m256 wk = _mm256_set1_ps(w[(((size_t)k * C + c) * 3 + dy) * 3 + dx]);
                    for (int v = 0; v < 2; v++) acc[k][v] = _mm256_fmadd_ps(wk, xv[v], acc[k][v]);
                }
            }
        }
    for (int k = 0; k < NK; k++)
        for (int v = 0; v < 2; v++) {
            int x = x0 + 8 * v;
            if (x >= W) break;
            float lane[8];
            _mm256_storeu_ps(lane, acc[k][v]);
            size_t at = ((size_t)k * H + y) * W + x;
            int n = W - x < 8 ? W - x : 8;
            for (int l = 0; l < n; l++) {
                float r = lane[l] + (bias ? bias[k] : 0.0f);
                out[at + l] = residual ? r + residual[at + l] : r;
            }
        }
}

/* Rows y0..y1 in blocks of STEP columns, BLOCK specialised for the channel count (1..4). */
#define ROWS(NAME, ATTR, BLOCK, STEP) \
    static ATTR void NAME(const float *in, int C, int H, int W, const float *w, int K, const float *bias, \
                          const float *residual, float *out, int y0, int y1) { \
        for (int y = y0; y < y1; y++) \
            for (int x0 = 0; x0 < W; x0 += STEP) { \
                if (K == 1) BLOCK(1, in, C, H, W, w, bias, residual, out, y, x0); \
                else if (K == 2) BLOCK(2, in, C, H, W, w, bias, residual, out, y, x0); \
                else if (K == 3) BLOCK(3, in, C, H, W, w, bias, residual, out, y, x0); \
                else BLOCK(4, in, C, H, W, w, bias, residual, out, y, x0); \
            } \
    }
ROWS(rows_avx512, AVX512, row_block_avx512, 64)
ROWS(rows_avx2, AVX2, row_block_avx2, 16)
#endif

/* The same sums one value at a time (fmaf: one rounding per tap, as the vector paths). */
static void rows_scalar(const float *in, int C, int H, int W, const float *w, int K, const float *bias,
                        const float *residual, float *out, int y0, int y1) {
    for (int k = 0; k < K; k++)
        for (int y = y0; y < y1; y++)
            for (int x = 0; x < W; x++) {
                float acc = 0.0f;
                for (int c = 0; c < C; c++)
                    for (int dy = 0; dy < 3; dy++) {
                        int yy = y + dy - 1;
                        if (yy < 0 || yy >= H) continue;
                        for (int dx = 0; dx < 3; dx++) {
                            int xx = x + dx - 1;
                            if (xx < 0 || xx >= W) continue;
                            acc = fmaf(w[(((size_t)k * C + c) * 3 + dy) * 3 + dx], in[((size_t)c * H + yy) * W + xx], acc);
                        }
                    }
                size_t at = ((size_t)k * H + y) * W + x;
                float r = acc + (bias ? bias[k] : 0.0f);
                out[at] = residual ? r + residual[at] : r;
            }
}

int ck_conv3x3_few_outputs_isa(int isa, const float *in, int C, int H, int W, const float *w, int K, const float *bias,
                               const float *residual, float *out, int y0, int y1) {
    if (K < 1 || K > CK_FEW_OUTPUTS || C < 1 || H < 1 || W < 1 || y0 < 0 || y1 > H) return -1;
#if defined(__x86_64__)
    if (isa == 2 && ck_avx512_usable()) { rows_avx512(in, C, H, W, w, K, bias, residual, out, y0, y1); return 2; }
    if (isa >= 1 && ck_avx2_fma_usable()) { rows_avx2(in, C, H, W, w, K, bias, residual, out, y0, y1); return 1; }
#else
    (void)isa;
#endif
    rows_scalar(in, C, H, W, w, K, bias, residual, out, y0, y1);
    return 0;
}
