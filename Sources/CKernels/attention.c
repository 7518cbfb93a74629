/* One attention head on the AVX-512 kernel (see ckernels.h): S = Q K^T through
   ck_gemm_rows_by_columns, a softmax that leaves its rows unnormalised, and O = E V with a
   6 x 64 register tile reading V in place, each output row scaled by 1 / (its row sum) at the
   end (the normalisation folded into the product instead of a pass over the scores). */
#include "ckernels.h"
#include "exp_coefficients.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

size_t ck_attention_scratch_count(int tq, int tk, int d) {
    return ck_packed_columns_count(tk, d) + (size_t)tq * (size_t)tk + (size_t)tq;
}

#if defined(__x86_64__)

#define TARGET __attribute__((target("avx512f,fma,avx2")))

/* expf for the scores: pointwise.c's Cephes polynomial with fused multiply-adds, n = round(x
   log2 e) by roundscale and y 2^n by scalef (about 1 ulp on [-87, 88]; inputs clamped there). */
static inline __attribute__((always_inline)) TARGET __m512 exp16(__m512 x) {
    __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(CK_EXP_LOW)), _mm512_set1_ps(CK_EXP_HIGH));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(CK_LOG2E)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CK_LN2_HI), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CK_LN2_LO), r);
    __m512 p = _mm512_set1_ps(CK_EXP_P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_P5));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(y, n);
}

/* Row r of s (width values) becomes exp(scale * x - scale * max x); returns the row sum
   (sixteen lane partial sums added pairwise). */
static TARGET float exp_row(float *x, int width, float scale) {
    const __m512 sc = _mm512_set1_ps(scale);
    __m512 top = _mm512_set1_ps(-__builtin_inff());
    int j = 0;
    for (; j + 16 <= width; j += 16) top = _mm512_max_ps(top, _mm512_loadu_ps(x + j));
    if (j < width) {
        __mmask16 mk = (__mmask16)((1u << (width - j)) - 1u);
        top = _mm512_mask_max_ps(top, mk, top, _mm512_maskz_loadu_ps(mk, x + j));
    }
    /* scale > 0, so the largest scaled value is the scaled largest value (rounding is monotonic). */
    const __m512 m = _mm512_mul_ps(_mm512_set1_ps(_mm512_reduce_max_ps(top)), sc);
    __m512 sum = _mm512_setzero_ps();
    for (j = 0; j + 16 <= width; j += 16) {
        __m512 e = exp16(_mm512_fmsub_ps(_mm512_loadu_ps(x + j), sc, m));
        _mm512_storeu_ps(x + j, e);
        sum = _mm512_add_ps(sum, e);
    }
    if (j < width) {
        __mmask16 mk = (__mmask16)((1u << (width - j)) - 1u);
        __m512 e = exp16(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(mk, x + j), sc, m));
        _mm512_mask_storeu_ps(x + j, mk, e);
        sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(mk, e));
    }
    float lanes[16] __attribute__((aligned(64)));
    _mm512_store_ps(lanes, sum);
    for (int w = 8; w > 0; w /= 2)
        for (int l = 0; l < w; l++) lanes[l] = lanes[l] + lanes[l + w];
    return lanes[0];
}

/* out[r][0..16 NV) = inv[r] * sum_kk e[r][kk] v[kk][..] for MR (1..6) rows, NV (1..4) vectors. */
static inline __attribute__((always_inline)) TARGET void pv_tile(
    const int MR, const int NV, int tk, const float *e, ptrdiff_t lde, const float *v, ptrdiff_t ldv,
    __mmask16 lastMask, const float *inv, float *out, ptrdiff_t ldo) {
    __m512 acc[6][4];
    for (int r = 0; r < MR; r++)
        for (int c = 0; c < NV; c++) acc[r][c] = _mm512_setzero_ps();
    for (int kk = 0; kk < tk; kk++) {
        __m512 bv[4];
        for (int c = 0; c < NV; c++)
            bv[c] = (c == NV - 1) ? _mm512_maskz_loadu_ps(lastMask, v + 16 * c) : _mm512_loadu_ps(v + 16 * c);
        for (int r = 0; r < MR; r++) {
            __m512 av = _mm512_set1_ps(e[r * lde + kk]);
            for (int c = 0; c < NV; c++) acc[r][c] = _mm512_fmadd_ps(av, bv[c], acc[r][c]);
        }
        v += ldv;
    }
    for (int r = 0; r < MR; r++) {
        __m512 s = _mm512_set1_ps(inv[r]);
        for (int c = 0; c < NV; c++)
            _mm512_mask_storeu_ps(out + r * ldo + 16 * c, (c == NV - 1) ? lastMask : (__mmask16)0xffff,
                                  _mm512_mul_ps(acc[r][c], s));
    }
}

#define PV_CASE(MR, NV) \
    case (MR - 1) * 4 + (NV - 1): pv_tile(MR, NV, tk, e, lde, v, ldv, lastMask, inv, out, ldo); break;

static TARGET void pv_dispatch(int mr, int nv, int tk, const float *e, ptrdiff_t lde, const float *v, ptrdiff_t ldv,
                               __mmask16 lastMask, const float *inv, float *out, ptrdiff_t ldo) {
    switch ((mr - 1) * 4 + (nv - 1)) {
        PV_CASE(1, 1) PV_CASE(1, 2) PV_CASE(1, 3) PV_CASE(1, 4)
        PV_CASE(2, 1) PV_CASE(2, 2) PV_CASE(2, 3) PV_CASE(2, 4)
        PV_CASE(3, 1) PV_CASE(3, 2) PV_CASE(3, 3) PV_CASE(3, 4)
        PV_CASE(4, 1) PV_CASE(4, 2) PV_CASE(4, 3) PV_CASE(4, 4)
        PV_CASE(5, 1) PV_CASE(5, 2) PV_CASE(5, 3) PV_CASE(5, 4)
        PV_CASE(6, 1) PV_CASE(6, 2) PV_CASE(6, 3) PV_CASE(6, 4)
        default: break;
    }
}

TARGET void ck_attention_head(const float *q, const float *k, const float *v, ptrdiff_t ld, int tq, int tk, int d,
                              float scale, float *out, ptrdiff_t ldo, float *scratch) {
    if (tq <= 0 || tk <= 0 || d <= 0) return;
    float *kp = scratch;
    float *s = kp + ck_packed_columns_count(tk, d);
    float *inv = s + (size_t)tq * (size_t)tk;
    ck_pack_columns(tk, d, k, ld, kp);
    ck_gemm_rows_by_columns(0, tq, tk, d, q, ld, kp, CK_PANEL_COLS, (ptrdiff_t)d * CK_PANEL_COLS, s, tk, 0, 0, NULL);
    for (int r = 0; r < tq; r++) inv[r] = 1.0f / exp_row(s + (size_t)r * tk, tk, scale);
    for (int c0 = 0; c0 < d; c0 += 64) {
        int cols = d - c0 < 64 ? d - c0 : 64;
        int nv = (cols + 15) / 16, tail = cols - 16 * (nv - 1);
        __mmask16 lastMask = (__mmask16)((1u << tail) - 1u);
        for (int r0 = 0; r0 < tq; r0 += 6) {
            int mr = tq - r0 < 6 ? tq - r0 : 6;
            pv_dispatch(mr, nv, tk, s + (size_t)r0 * tk, tk, v + c0, ld, lastMask, inv + r0, out + (size_t)r0 * ldo + c0, ldo);
        }
    }
}

#else
void ck_attention_head(const float *q, const float *k, const float *v, ptrdiff_t ld, int tq, int tk, int d,
                       float scale, float *out, ptrdiff_t ldo, float *scratch) {
    (void)q; (void)k; (void)v; (void)ld; (void)tq; (void)tk; (void)d; (void)scale; (void)out; (void)ldo; (void)scratch;
}
#endif
