/* One attention head on the AVX-512 kernel, and the same on the AVX2 kernel (see ckernels.h), in
   blocks of HEAD_ROWS queries: S = Q K^T through ck_gemm_rows_by_columns (AVX2: its packed-row
   form, the same sums), a softmax that leaves its rows unnormalised, and O = E V with a 6 x 64
   register tile, each output row scaled by 1 / (its row sum) at the end (the normalisation
   folded into the product instead of a pass over the scores). V is first copied to contiguous
   rows (AVX2: 16-column strips). A block's scores stay in L2 whatever the sequence length. */
#include "ckernels.h"
#include "exp_coefficients.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* Queries per block: 48 (8 AVX-512 tiles of 8 rows, 8 of the 6-row E V tiles; 24-96 measured
   alike). t = 1089 (TiTok-L-64 at 512), one head, one core: the whole score matrix (4.7 MB)
   and V read in place (rows 3 W floats apart, a page each) took 4.3 ms; V copied 2.7 ms,
   and in blocks 2.5 ms. t = 289: 203 -> 194 us. */
enum { HEAD_ROWS = 48 };

/* K packed (48-column panels for the AVX-512 head, 16-column strips for the AVX2 one), then
   a block's scores, the row sums' inverses, for the AVX2 head a block's packed Q rows and the
   kernel's accumulator scratch, and V copied. */
static size_t packed_keys_count(int tk, int d) {
    size_t panels = ck_packed_columns_count(tk, d), strips = ck_packed_strips_count(tk, d);
    return panels > strips ? panels : strips;
}

/* V as contiguous rows [tk][d] (AVX-512) or 16-column strips [tk][16] (AVX2): the E V steps
   read it as one stream instead of rows 3 W floats apart. */
static size_t packed_values_count(int tk, int d) { return (size_t)((d + 15) / 16) * 16 * (size_t)tk; }

/* Floats from one row of scores to the next: whole cache lines, so the scores' stores and the
   softmax's loads and stores never split a line (t = 289: 4-5 % of a head). */
static size_t score_stride(int tk) { return ((size_t)tk + 15) / 16 * 16; }

/* Queries in the largest block of a head with tq queries. */
static int block_rows(int tq) { return tq < HEAD_ROWS ? tq : HEAD_ROWS; }

size_t ck_attention_scratch_count(int tq, int tk, int d) {
    int rows = block_rows(tq);
    /* A block's scores at their padded stride, plus a line to start them on a line boundary. */
    return packed_keys_count(tk, d) + (size_t)rows * score_stride(tk) + 16 + (size_t)rows + ck_packed_rows_count(rows, d) +
           ck_packed_rows_partial_count(rows) + packed_values_count(tk, d);
}

/* Where a head's pieces lie in its scratch (ck_attention_scratch_count's order). */
typedef struct {
    float *keys, *scores, *inv, *queries, *partial, *values;
} HeadScratch;

static HeadScratch head_scratch(float *scratch, int tq, int tk, int d) {
    int rows = block_rows(tq);
    HeadScratch h;
    h.keys = scratch;
    h.scores = (float *)(((uintptr_t)(scratch + packed_keys_count(tk, d)) + 63) & ~(uintptr_t)63);
    h.inv = h.scores + (size_t)rows * score_stride(tk);
    h.queries = h.inv + rows;
    h.partial = h.queries + ck_packed_rows_count(rows, d);
    h.values = h.partial + ck_packed_rows_partial_count(rows);
    return h;
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

/* The sixteen lanes added pairwise, as lanes[l] += lanes[l + w] for w = 8, 4, 2, 1 would. */
static inline __attribute__((always_inline)) TARGET float lane_sum(__m512 v) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    __m128 p = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(p, _mm_shuffle_ps(p, p, 1)));
}

/* Row r of s (width values) becomes exp(scale * x - scale * max x); returns the row sum
   (sixteen lane partial sums added pairwise). The maximum over four running vectors (exact in
   any order; one chain of 4-cycle max latencies was a quarter of the row at t = 289). */
static TARGET float exp_row(float *x, int width, float scale) {
    const __m512 sc = _mm512_set1_ps(scale), lowest = _mm512_set1_ps(-__builtin_inff());
    __m512 t0 = lowest, t1 = lowest, t2 = lowest, t3 = lowest;
    int j = 0;
    for (; j + 64 <= width; j += 64) {
        t0 = _mm512_max_ps(t0, _mm512_loadu_ps(x + j));
        t1 = _mm512_max_ps(t1, _mm512_loadu_ps(x + j + 16));
        t2 = _mm512_max_ps(t2, _mm512_loadu_ps(x + j + 32));
        t3 = _mm512_max_ps(t3, _mm512_loadu_ps(x + j + 48));
    }
    for (; j + 16 <= width; j += 16) t0 = _mm512_max_ps(t0, _mm512_loadu_ps(x + j));
    if (j < width) {
        __mmask16 mk = (__mmask16)((1u << (width - j)) - 1u);
        t1 = _mm512_mask_max_ps(t1, mk, t1, _mm512_maskz_loadu_ps(mk, x + j));
    }
    __m512 top = _mm512_max_ps(_mm512_max_ps(t0, t1), _mm512_max_ps(t2, t3));
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
    return lane_sum(sum);
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
    const size_t lds = score_stride(tk);
    HeadScratch h = head_scratch(scratch, tq, tk, d);
    float *s = h.scores, *inv = h.inv;
    ck_pack_columns(tk, d, k, ld, h.keys);
    /* V's rows copied 16 floats at a time (a memcpy call per 256-byte row cost as much again). */
    const __mmask16 rowTail = (__mmask16)((1u << (d % 16)) - 1u);
    for (int kk = 0; kk < tk; kk++) {
        const float *src = v + (size_t)kk * ld;
        float *dst = h.values + (size_t)kk * d;
        int c = 0;
        for (; c + 16 <= d; c += 16) _mm512_storeu_ps(dst + c, _mm512_loadu_ps(src + c));
        if (c < d) _mm512_mask_storeu_ps(dst + c, rowTail, _mm512_maskz_loadu_ps(rowTail, src + c));
    }
    for (int b0 = 0; b0 < tq; b0 += HEAD_ROWS) {
        int rows = tq - b0 < HEAD_ROWS ? tq - b0 : HEAD_ROWS;
        ck_gemm_rows_by_columns(0, rows, tk, d, q + (size_t)b0 * ld, ld, h.keys, CK_PANEL_COLS, (ptrdiff_t)d * CK_PANEL_COLS,
                                s, (ptrdiff_t)lds, 0, 0, NULL);
        for (int r = 0; r < rows; r++) inv[r] = 1.0f / exp_row(s + (size_t)r * lds, tk, scale);
        for (int c0 = 0; c0 < d; c0 += 64) {
            int cols = d - c0 < 64 ? d - c0 : 64;
            int nv = (cols + 15) / 16, tail = cols - 16 * (nv - 1);
            __mmask16 lastMask = (__mmask16)((1u << tail) - 1u);
            for (int r0 = 0; r0 < rows; r0 += 6) {
                int mr = rows - r0 < 6 ? rows - r0 : 6;
                pv_dispatch(mr, nv, tk, s + (size_t)r0 * lds, (ptrdiff_t)lds, h.values + c0, d, lastMask, inv + r0,
                            out + (size_t)(b0 + r0) * ldo + c0, ldo);
            }
        }
    }
}

/* The same head for CPUs with AVX2 and FMA (ck_attention_head_avx2): every operation above on
   8-lane vectors, arranged so each value is computed exactly as above (the scores through
   ck_gemm_packed_rows_avx2, which sums as ck_gemm_rows_by_columns_avx2 does). */
#define TARGET2 __attribute__((target("avx2,fma")))

/* exp16's arithmetic on 8 lanes; y 2^n with 2^n built from its exponent bits, exact because
   the clamp keeps n in [-126, 127] (scalef gives the same correctly rounded product). */
static inline __attribute__((always_inline)) TARGET2 __m256 exp8(__m256 x) {
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(CK_EXP_LOW)), _mm256_set1_ps(CK_EXP_HIGH));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(CK_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CK_LN2_HI), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CK_LN2_LO), r);
    __m256 p = _mm256_set1_ps(CK_EXP_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_P5));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

/* Lanes [0, count) of a vector (count clamped to 0..8). */
static inline TARGET2 __m256i first_lanes(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* lane_sum of the sixteen lanes lo (0-7) and hi (8-15): the same pairwise additions. */
static inline __attribute__((always_inline)) TARGET2 float lane_sum8(__m256 lo, __m256 hi) {
    __m256 h = _mm256_add_ps(lo, hi);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    __m128 p = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(p, _mm_shuffle_ps(p, p, 1)));
}

/* exp_row on 8-lane vectors: the sixteen partial sums kept as two vectors (lanes 0-7 and 8-15
   of the AVX-512 accumulator), so the row sum is added in the same order. */
static TARGET2 float exp_row8(float *x, int width, float scale) {
    const __m256 sc = _mm256_set1_ps(scale), lowest = _mm256_set1_ps(-__builtin_inff());
    __m256 t0 = lowest, t1 = lowest, t2 = lowest, t3 = lowest;
    int j = 0;
    for (; j + 32 <= width; j += 32) {
        t0 = _mm256_max_ps(t0, _mm256_loadu_ps(x + j));
        t1 = _mm256_max_ps(t1, _mm256_loadu_ps(x + j + 8));
        t2 = _mm256_max_ps(t2, _mm256_loadu_ps(x + j + 16));
        t3 = _mm256_max_ps(t3, _mm256_loadu_ps(x + j + 24));
    }
    for (; j + 8 <= width; j += 8) t0 = _mm256_max_ps(t0, _mm256_loadu_ps(x + j));
    if (j < width) {
        __m256i mk = first_lanes(width - j);
        t1 = _mm256_max_ps(t1, _mm256_blendv_ps(lowest, _mm256_maskload_ps(x + j, mk), _mm256_castsi256_ps(mk)));
    }
    __m256 top = _mm256_max_ps(_mm256_max_ps(t0, t1), _mm256_max_ps(t2, t3));
    __m128 top4 = _mm_max_ps(_mm256_castps256_ps128(top), _mm256_extractf128_ps(top, 1));
    top4 = _mm_max_ps(top4, _mm_movehl_ps(top4, top4));
    const __m256 m = _mm256_mul_ps(_mm256_set1_ps(_mm_cvtss_f32(_mm_max_ss(top4, _mm_shuffle_ps(top4, top4, 1)))), sc);
    __m256 sum[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (j = 0; j + 8 <= width; j += 8) {
        __m256 e = exp8(_mm256_fmsub_ps(_mm256_loadu_ps(x + j), sc, m));
        _mm256_storeu_ps(x + j, e);
        sum[(j >> 3) & 1] = _mm256_add_ps(sum[(j >> 3) & 1], e);
    }
    if (j < width) {
        __m256i mk = first_lanes(width - j);
        __m256 e = exp8(_mm256_fmsub_ps(_mm256_maskload_ps(x + j, mk), sc, m));
        _mm256_maskstore_ps(x + j, mk, e);
        sum[(j >> 3) & 1] = _mm256_add_ps(sum[(j >> 3) & 1], _mm256_and_ps(e, _mm256_castsi256_ps(mk)));
    }
    return lane_sum8(sum[0], sum[1]);
}

/* pv_tile on 8-lane vectors: MR (1..6) rows by NV (1..2) vectors, the last `tail` wide. */
static inline __attribute__((always_inline)) TARGET2 void pv_tile8(
    const int MR, const int NV, int tk, const float *e, ptrdiff_t lde, const float *v, ptrdiff_t ldv,
    int tail, const float *inv, float *out, ptrdiff_t ldo) {
    __m256 acc[6][2];
    for (int r = 0; r < MR; r++)
        for (int c = 0; c < NV; c++) acc[r][c] = _mm256_setzero_ps();
    const __m256i last = first_lanes(tail);
    const int full = tail == 8;
    for (int kk = 0; kk < tk; kk++) {
        __m256 bv[2];
        for (int c = 0; c < NV; c++)
            bv[c] = (c == NV - 1 && !full) ? _mm256_maskload_ps(v + 8 * c, last) : _mm256_loadu_ps(v + 8 * c);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_broadcast_ss(e + r * lde + kk);
            for (int c = 0; c < NV; c++) acc[r][c] = _mm256_fmadd_ps(av, bv[c], acc[r][c]);
        }
        v += ldv;
    }
    for (int r = 0; r < MR; r++) {
        __m256 s = _mm256_set1_ps(inv[r]);
        for (int c = 0; c < NV; c++) {
            __m256 x = _mm256_mul_ps(acc[r][c], s);
            if (c == NV - 1 && !full) _mm256_maskstore_ps(out + r * ldo + 8 * c, last, x);
            else _mm256_storeu_ps(out + r * ldo + 8 * c, x);
        }
    }
}

#define PV8_CASE(MR, NV) \
    case (MR - 1) * 2 + (NV - 1): pv_tile8(MR, NV, tk, e, lde, v, ldv, tail, inv, out, ldo); break;

static TARGET2 void pv8_dispatch(int mr, int nv, int tk, const float *e, ptrdiff_t lde, const float *v, ptrdiff_t ldv,
                                 int tail, const float *inv, float *out, ptrdiff_t ldo) {
    switch ((mr - 1) * 2 + (nv - 1)) {
        PV8_CASE(1, 1) PV8_CASE(1, 2) PV8_CASE(2, 1) PV8_CASE(2, 2) PV8_CASE(3, 1) PV8_CASE(3, 2)
        PV8_CASE(4, 1) PV8_CASE(4, 2) PV8_CASE(5, 1) PV8_CASE(5, 2) PV8_CASE(6, 1) PV8_CASE(6, 2)
        default: break;
    }
}

TARGET2 void ck_attention_head_avx2(const float *q, const float *k, const float *v, ptrdiff_t ld, int tq, int tk, int d,
                                    float scale, float *out, ptrdiff_t ldo, float *scratch) {
    if (tq <= 0 || tk <= 0 || d <= 0) return;
    const size_t lds = score_stride(tk);
    HeadScratch h = head_scratch(scratch, tq, tk, d);
    float *kp = h.keys, *s = h.scores, *inv = h.inv, *qp = h.queries, *partial = h.partial, *vs = h.values;
    ck_pack_strips(tk, d, k, ld, kp);
    /* V copied as 16-column strips [tk][16]: its rows lie 3 d floats apart in qkv (12 KiB at
       d = 64 and 16 heads: every row in one L1 set), a strip is one contiguous stream. */
    for (int c0 = 0; c0 < d; c0 += 16) {
        int cols = d - c0 < 16 ? d - c0 : 16;
        float *strip = vs + (size_t)c0 * tk;
        for (int kk = 0; kk < tk; kk++) {
            const float *row = v + (size_t)kk * ld + c0;
            int j = 0;
            for (; j < cols; j++) strip[(size_t)kk * 16 + j] = row[j];
            for (; j < 16; j++) strip[(size_t)kk * 16 + j] = 0.0f;
        }
    }
    for (int b0 = 0; b0 < tq; b0 += HEAD_ROWS) {
        int rows = tq - b0 < HEAD_ROWS ? tq - b0 : HEAD_ROWS;
        /* Scores on the packed-row path (Q as row tiles, K as 16-column strips): the sums of
           ck_gemm_rows_by_columns_avx2, without its reads of six Q rows 3 d floats apart. */
        int tiles = (rows + CK_PACKED_TILE_ROWS - 1) / CK_PACKED_TILE_ROWS;
        ck_pack_row_tiles(0, tiles, rows, d, q + (size_t)b0 * ld, ld, qp);
        ck_gemm_packed_rows_avx2(rows, tk, d, qp, 0, tiles, kp, 16, (ptrdiff_t)16 * d, s, (ptrdiff_t)lds, 0, NULL, partial);
        for (int r = 0; r < rows; r++) inv[r] = 1.0f / exp_row8(s + (size_t)r * lds, tk, scale);
        /* Six rows at a time, 16-column strips across d (the E rows stay in L1 across the strips). */
        for (int r0 = 0; r0 < rows; r0 += 6) {
            int mr = rows - r0 < 6 ? rows - r0 : 6;
            for (int c0 = 0; c0 < d; c0 += 16) {
                int cols = d - c0 < 16 ? d - c0 : 16;
                int nv = (cols + 7) / 8, tail = cols - 8 * (nv - 1);
                pv8_dispatch(mr, nv, tk, s + (size_t)r0 * lds, (ptrdiff_t)lds, vs + (size_t)c0 * tk, 16, tail, inv + r0,
                             out + (size_t)(b0 + r0) * ldo + c0, ldo);
            }
        }
    }
}

#else
void ck_attention_head(const float *q, const float *k, const float *v, ptrdiff_t ld, int tq, int tk, int d,
                       float scale, float *out, ptrdiff_t ldo, float *scratch) {
    (void)q; (void)k; (void)v; (void)ld; (void)tq; (void)tk; (void)d; (void)scale; (void)out; (void)ldo; (void)scratch;
}

void ck_attention_head_avx2(const float *q, const float *k, const float *v, ptrdiff_t ld, int tq, int tk, int d,
                            float scale, float *out, ptrdiff_t ldo, float *scratch) {
    (void)q; (void)k; (void)v; (void)ld; (void)tq; (void)tk; (void)d; (void)scale; (void)out; (void)ldo; (void)scratch;
}
#endif
