/* Winograd F(4x4, 3x3) tile transforms (see ckernels.h): the arithmetic of B^T d B and A^T m A
   in the same order as the Swift reference in Kernels/WinogradTransforms.swift, vectorised over
   tiles by the compiler for each clone. */
#include "ckernels.h"

#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

/* B^T applied to six values a0..a5: six results, stored through the six lvalues. */
#define BT6(a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5) do { \
        float p_ = (a4) - 4 * (a2), q_ = (a3) - 4 * (a1), s_ = (a4) - (a2), d_ = 2 * ((a3) - (a1)); \
        o0 = 4 * (a0) - 5 * (a2) + (a4); o1 = p_ + q_; o2 = p_ - q_; o3 = s_ + d_; o4 = s_ - d_; \
        o5 = 4 * (a1) - 5 * (a3) + (a5); } while (0)

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/* BT6 on 16 lanes, the same operations in the same order as the scalar macro. */
#define BT6V(a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5) do { \
        const __m512 four_ = _mm512_set1_ps(4.0f), five_ = _mm512_set1_ps(5.0f), two_ = _mm512_set1_ps(2.0f); \
        __m512 p_ = _mm512_sub_ps(a4, _mm512_mul_ps(four_, a2)), q_ = _mm512_sub_ps(a3, _mm512_mul_ps(four_, a1)); \
        __m512 s_ = _mm512_sub_ps(a4, a2), d_ = _mm512_mul_ps(two_, _mm512_sub_ps(a3, a1)); \
        o0 = _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(four_, a0), _mm512_mul_ps(five_, a2)), a4); \
        o1 = _mm512_add_ps(p_, q_); o2 = _mm512_sub_ps(p_, q_); o3 = _mm512_add_ps(s_, d_); o4 = _mm512_sub_ps(s_, d_); \
        o5 = _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(four_, a1), _mm512_mul_ps(five_, a3)), a5); } while (0)

/* The column pass for tiles [0, blocks * 16): sixteen tiles per step, their six columns
   de-interleaved from 64 + 2 consecutive floats of the row with permutes (stride-4 lanes). */
static AVX512 void input_columns_avx512(const float *scratch, int n, int blocks, float *v, ptrdiff_t point_stride) {
    /* Lanes 0-7 of stride-4 column j from (x, y) and from (z, w): elements j, j + 4, ..., j + 28. */
    const __m512i pick[4] = {
        _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28),
        _mm512_setr_epi32(1, 5, 9, 13, 17, 21, 25, 29, 1, 5, 9, 13, 17, 21, 25, 29),
        _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 2, 6, 10, 14, 18, 22, 26, 30),
        _mm512_setr_epi32(3, 7, 11, 15, 19, 23, 27, 31, 3, 7, 11, 15, 19, 23, 27, 31)};
    const __m512i halves = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    for (int i = 0; i < 6; i++) {
        const float *row = scratch + i * n;
        float *o0 = v + (ptrdiff_t)(i * 6) * point_stride, *o1 = o0 + point_stride, *o2 = o1 + point_stride;
        float *o3 = o2 + point_stride, *o4 = o3 + point_stride, *o5 = o4 + point_stride;
        for (int b = 0; b < blocks; b++) {
            const float *c = row + 64 * b;
            __m512 x = _mm512_loadu_ps(c), y = _mm512_loadu_ps(c + 16), z = _mm512_loadu_ps(c + 32), w = _mm512_loadu_ps(c + 48);
            __m512 col[4];
            for (int j = 0; j < 4; j++) {
                __m512 lo = _mm512_permutex2var_ps(x, pick[j], y), hi = _mm512_permutex2var_ps(z, pick[j], w);
                col[j] = _mm512_permutex2var_ps(lo, halves, hi);
            }
            /* Columns 4 and 5 of tile l are columns 0 and 1 of tile l + 1 (the next tile's first
               two floats, c[64] and c[65], exist: a row holds 4 * tiles + 2 floats). */
            __m512 c4 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(c[64])),
                                                                 _mm512_castps_si512(col[0]), 1));
            __m512 c5 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(c[65])),
                                                                 _mm512_castps_si512(col[1]), 1));
            __m512 r0, r1, r2, r3, r4, r5;
            BT6V(col[0], col[1], col[2], col[3], c4, c5, r0, r1, r2, r3, r4, r5);
            int l = 16 * b;
            _mm512_storeu_ps(o0 + l, r0); _mm512_storeu_ps(o1 + l, r1); _mm512_storeu_ps(o2 + l, r2);
            _mm512_storeu_ps(o3 + l, r3); _mm512_storeu_ps(o4 + l, r4); _mm512_storeu_ps(o5 + l, r5);
        }
    }
}

#define AVX2 __attribute__((target("avx2")))

/* BT6 on 8 lanes, the same operations in the same order as the scalar macro. */
#define BT6Y(a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5) do { \
        const __m256 four_ = _mm256_set1_ps(4.0f), five_ = _mm256_set1_ps(5.0f), two_ = _mm256_set1_ps(2.0f); \
        __m256 p_ = _mm256_sub_ps(a4, _mm256_mul_ps(four_, a2)), q_ = _mm256_sub_ps(a3, _mm256_mul_ps(four_, a1)); \
        __m256 s_ = _mm256_sub_ps(a4, a2), d_ = _mm256_mul_ps(two_, _mm256_sub_ps(a3, a1)); \
        o0 = _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(four_, a0), _mm256_mul_ps(five_, a2)), a4); \
        o1 = _mm256_add_ps(p_, q_); o2 = _mm256_sub_ps(p_, q_); o3 = _mm256_add_ps(s_, d_); o4 = _mm256_sub_ps(s_, d_); \
        o5 = _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(four_, a1), _mm256_mul_ps(five_, a3)), a5); } while (0)

/* The column pass for tiles [first, first + blocks * 8): eight tiles per step, their columns
   de-interleaved from 32 + 2 consecutive floats by a 4 x 4 transpose within each 128-bit half
   (tiles in the order 0 2 4 6 1 3 5 7) and one lane permute back to tile order. */
static AVX2 void input_columns_avx2(const float *scratch, int n, int first, int blocks, float *v, ptrdiff_t point_stride) {
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7), next = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
    for (int i = 0; i < 6; i++) {
        const float *row = scratch + i * n;
        float *o0 = v + (ptrdiff_t)(i * 6) * point_stride, *o1 = o0 + point_stride, *o2 = o1 + point_stride;
        float *o3 = o2 + point_stride, *o4 = o3 + point_stride, *o5 = o4 + point_stride;
        for (int b = 0; b < blocks; b++) {
            int l = first + 8 * b;
            const float *c = row + 4 * l;
            __m256 x = _mm256_loadu_ps(c), y = _mm256_loadu_ps(c + 8), z = _mm256_loadu_ps(c + 16), w = _mm256_loadu_ps(c + 24);
            __m256 t0 = _mm256_unpacklo_ps(x, y), t1 = _mm256_unpackhi_ps(x, y);
            __m256 t2 = _mm256_unpacklo_ps(z, w), t3 = _mm256_unpackhi_ps(z, w);
            __m256 c0 = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(t0, t2, 0x44), order);
            __m256 c1 = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(t0, t2, 0xEE), order);
            __m256 c2 = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(t1, t3, 0x44), order);
            __m256 c3 = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(t1, t3, 0xEE), order);
            /* Columns 4 and 5 of tile l are columns 0 and 1 of tile l + 1; the last lane's come
               from c[32] and c[33] (a row holds 4 * tiles + 2 floats). */
            __m256 c4 = _mm256_blend_ps(_mm256_permutevar8x32_ps(c0, next), _mm256_set1_ps(c[32]), 0x80);
            __m256 c5 = _mm256_blend_ps(_mm256_permutevar8x32_ps(c1, next), _mm256_set1_ps(c[33]), 0x80);
            __m256 r0, r1, r2, r3, r4, r5;
            BT6Y(c0, c1, c2, c3, c4, c5, r0, r1, r2, r3, r4, r5);
            _mm256_storeu_ps(o0 + l, r0); _mm256_storeu_ps(o1 + l, r1); _mm256_storeu_ps(o2 + l, r2);
            _mm256_storeu_ps(o3 + l, r3); _mm256_storeu_ps(o4 + l, r4); _mm256_storeu_ps(o5 + l, r5);
        }
    }
}

static int avx2_columns(void) {
    static int state = -1; /* threads racing to fill it all store the same value */
    int known = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (known < 0) {
        known = ck_avx2_fma_usable();
        __atomic_store_n(&state, known, __ATOMIC_RELAXED);
    }
    return known;
}

static int avx512_columns(void) {
    static int state = -1; /* threads racing to fill it all store the same value */
    int known = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (known < 0) {
        known = ck_avx512_usable();
        __atomic_store_n(&state, known, __ATOMIC_RELAXED);
    }
    return known;
}
#endif

/* Columns: each tile's six values of each row-transformed row -> d B, lanes = tiles (stride-4
   reads, which compilers leave scalar: blocks of 16 tiles go through explicit permutes where
   AVX-512 runs, then blocks of 8 where AVX2 runs; the same arithmetic, so the same bits). */
static inline void input_columns(const float *restrict scratch, int n, int tiles, float *restrict v, ptrdiff_t point_stride) {
    int first = 0;
#if defined(__x86_64__)
    if (avx512_columns()) {
        input_columns_avx512(scratch, n, tiles / 16, v, point_stride);
        first = tiles / 16 * 16;
    }
    if (tiles - first >= 8 && avx2_columns()) {
        input_columns_avx2(scratch, n, first, (tiles - first) / 8, v, point_stride);
        first += (tiles - first) / 8 * 8;
    }
#endif
    for (int i = 0; i < 6; i++) {
        const float *row = scratch + i * n;
        float *o0 = v + (ptrdiff_t)(i * 6) * point_stride, *o1 = o0 + point_stride, *o2 = o1 + point_stride;
        float *o3 = o2 + point_stride, *o4 = o3 + point_stride, *o5 = o4 + point_stride;
        for (int l = first; l < tiles; l++) {
            const float *c = row + 4 * l;
            BT6(c[0], c[1], c[2], c[3], c[4], c[5], o0[l], o1[l], o2[l], o3[l], o4[l], o5[l]);
        }
    }
}

/* Rows: B^T down six input rows r0..r5, `count` columns, into the rows of t (row stride ldt).
   Every pointer restrict (the callers' rows never overlap the scratch they write), so the
   compiler vectorises without the 36 run-time overlap checks it otherwise emits per call. */
static inline __attribute__((always_inline)) void input_rows(
    const float *restrict r0, const float *restrict r1, const float *restrict r2, const float *restrict r3,
    const float *restrict r4, const float *restrict r5, float *restrict t, int ldt, int count) {
    float *restrict t0 = t, *restrict t1 = t + ldt, *restrict t2 = t + 2 * ldt, *restrict t3 = t + 3 * ldt;
    float *restrict t4 = t + 4 * ldt, *restrict t5 = t + 5 * ldt;
    for (int x = 0; x < count; x++)
        BT6(r0[x], r1[x], r2[x], r3[x], r4[x], r5[x], t0[x], t1[x], t2[x], t3[x], t4[x], t5[x]);
}

CLONES void ck_winograd_input_tiles(const float *restrict rows, float *restrict scratch, int tiles, float *restrict v,
                                    ptrdiff_t point_stride) {
    const int n = 4 * tiles + 2;
    /* Rows: t = B^T d down the six rows, every column at once. */
    input_rows(rows, rows + n, rows + 2 * n, rows + 3 * n, rows + 4 * n, rows + 5 * n, scratch, n, n);
    input_columns(scratch, n, tiles, v, point_stride);
}

CLONES void ck_winograd_input_tiles_in_place(const float *const *src, int x0, int width, float *restrict scratch, int tiles,
                                             float *restrict v, ptrdiff_t point_stride) {
    const int n = 4 * tiles + 2;
    /* Columns j with x0 + j outside [0, width) are zero padding: B^T of zeros is +0, as the
       copied rows would give. */
    int jlo = x0 < 0 ? -x0 : 0, jhi = width - x0 < n ? width - x0 : n;
    if (jhi < jlo) jhi = jlo;
    for (int i = 0; i < 6; i++) {
        float *t = scratch + i * n;
        for (int j = 0; j < jlo; j++) t[j] = 0;
        for (int j = jhi; j < n; j++) t[j] = 0;
    }
    if (jlo < jhi) {
        const float *r[6];
        int zeros = 0;
        for (int i = 0; i < 6; i++) zeros |= src[i] == NULL;
        float *zero = scratch + 6 * n;
        if (zeros) for (int j = 0; j < n; j++) zero[j] = 0;
        /* Pointers at column x0 + jlo (never before a row's start). */
        for (int i = 0; i < 6; i++) r[i] = src[i] ? src[i] + (x0 + jlo) : zero;
        input_rows(r[0], r[1], r[2], r[3], r[4], r[5], scratch + jlo, n, jhi - jlo);
    }
    input_columns(scratch, n, tiles, v, point_stride);
}

/* A^T applied to six values: four results. */
#define AT6(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3) do { \
        float a_ = (m1) + (m2), b_ = (m1) - (m2), e_ = (m3) + (m4), f_ = (m3) - (m4); \
        y0 = (m0) + a_ + e_; y1 = b_ + 2 * f_; y2 = a_ + 4 * e_; y3 = b_ + 8 * f_ + (m5); } while (0)

/* The 16 outputs of tile l, computed with scalars only (so loops over l vectorise). */
#define OUTPUT_TILE(m, ps, l) \
    float w00, w01, w02, w03, w04, w05, w10, w11, w12, w13, w14, w15; \
    float w20, w21, w22, w23, w24, w25, w30, w31, w32, w33, w34, w35; \
    AT6(m[0 * ps + l], m[6 * ps + l], m[12 * ps + l], m[18 * ps + l], m[24 * ps + l], m[30 * ps + l], w00, w10, w20, w30); \
    AT6(m[1 * ps + l], m[7 * ps + l], m[13 * ps + l], m[19 * ps + l], m[25 * ps + l], m[31 * ps + l], w01, w11, w21, w31); \
    AT6(m[2 * ps + l], m[8 * ps + l], m[14 * ps + l], m[20 * ps + l], m[26 * ps + l], m[32 * ps + l], w02, w12, w22, w32); \
    AT6(m[3 * ps + l], m[9 * ps + l], m[15 * ps + l], m[21 * ps + l], m[27 * ps + l], m[33 * ps + l], w03, w13, w23, w33); \
    AT6(m[4 * ps + l], m[10 * ps + l], m[16 * ps + l], m[22 * ps + l], m[28 * ps + l], m[34 * ps + l], w04, w14, w24, w34); \
    AT6(m[5 * ps + l], m[11 * ps + l], m[17 * ps + l], m[23 * ps + l], m[29 * ps + l], m[35 * ps + l], w05, w15, w25, w35); \
    float y00, y01, y02, y03, y10, y11, y12, y13, y20, y21, y22, y23, y30, y31, y32, y33; \
    AT6(w00, w01, w02, w03, w04, w05, y00, y01, y02, y03); \
    AT6(w10, w11, w12, w13, w14, w15, y10, y11, y12, y13); \
    AT6(w20, w21, w22, w23, w24, w25, y20, y21, y22, y23); \
    AT6(w30, w31, w32, w33, w34, w35, y30, y31, y32, y33)

/* Tiles per block of the interior path: its transposing buffer stays in L1. */
#define OUT_BLOCK 64

CLONES void ck_winograd_output_tiles(const float *restrict m, ptrdiff_t point_stride, int tiles, int rows_here, int cols,
                                     float bias, const float *residual, float *out, ptrdiff_t ldo) {
    const ptrdiff_t ps = point_stride;
    int whole = rows_here == 4 ? (cols / 4 < tiles ? cols / 4 : tiles) : 0;
    /* Interior: 16 outputs per tile into y[k][l] (lanes = tiles), then rows of out written in order. */
    float y[16][OUT_BLOCK];
    for (int l0 = 0; l0 < whole; l0 += OUT_BLOCK) {
        int nl = whole - l0 < OUT_BLOCK ? whole - l0 : OUT_BLOCK;
        const float *mb = m + l0;
        for (int l = 0; l < nl; l++) {
            OUTPUT_TILE(mb, ps, l);
            y[0][l] = y00; y[1][l] = y01; y[2][l] = y02; y[3][l] = y03;
            y[4][l] = y10; y[5][l] = y11; y[6][l] = y12; y[7][l] = y13;
            y[8][l] = y20; y[9][l] = y21; y[10][l] = y22; y[11][l] = y23;
            y[12][l] = y30; y[13][l] = y31; y[14][l] = y32; y[15][l] = y33;
        }
        for (int i = 0; i < 4; i++) {
            float *restrict o = out + i * ldo + 4 * l0;
            const float *ya = y[4 * i], *yb = y[4 * i + 1], *yc = y[4 * i + 2], *yd = y[4 * i + 3];
            if (residual == out) {
                /* In place: out + (y + bias) rounds exactly like (y + bias) + residual. */
                for (int l = 0; l < nl; l++) {
                    o[4 * l] += ya[l] + bias;
                    o[4 * l + 1] += yb[l] + bias;
                    o[4 * l + 2] += yc[l] + bias;
                    o[4 * l + 3] += yd[l] + bias;
                }
            } else if (residual) {
                const float *restrict q = residual + i * ldo + 4 * l0;
                for (int l = 0; l < nl; l++) {
                    o[4 * l] = ya[l] + bias + q[4 * l];
                    o[4 * l + 1] = yb[l] + bias + q[4 * l + 1];
                    o[4 * l + 2] = yc[l] + bias + q[4 * l + 2];
                    o[4 * l + 3] = yd[l] + bias + q[4 * l + 3];
                }
            } else {
                for (int l = 0; l < nl; l++) {
                    o[4 * l] = ya[l] + bias;
                    o[4 * l + 1] = yb[l] + bias;
                    o[4 * l + 2] = yc[l] + bias;
                    o[4 * l + 3] = yd[l] + bias;
                }
            }
        }
    }
    /* Edge tiles (bottom rows or right columns cut off), one by one. */
    for (int l = whole; l < tiles; l++) {
        OUTPUT_TILE(m, ps, l);
        float e[16] = {y00, y01, y02, y03, y10, y11, y12, y13, y20, y21, y22, y23, y30, y31, y32, y33};
        for (int i = 0; i < rows_here; i++)
            for (int j = 0; j < 4 && 4 * l + j < cols; j++) {
                ptrdiff_t o = i * ldo + 4 * l + j;
                out[o] = residual ? e[i * 4 + j] + bias + residual[o] : e[i * 4 + j] + bias;
            }
    }
}

/* ---- F(2x2, 3x3) ----
   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], A^T = [1 1 1 0; 0 1 -1 -1] (the filter
   transform G g G^T is done once, in Double, by Kernels/WinogradTransforms.swift). Used on the
   16x16 level of the pixel decoder (512 channels, 64 tiles): the products dominate, so these
   transforms are plain loops over tiles that the compiler vectorises for each clone. */

/* B^T applied to four values. */
#define BT4(a0, a1, a2, a3, o0, o1, o2, o3) do { \
        o0 = (a0) - (a2); o1 = (a1) + (a2); o2 = (a2) - (a1); o3 = (a1) - (a3); } while (0)

CLONES void ck_winograd23_input_tiles(const float *restrict rows, int tiles, float *restrict v, ptrdiff_t point_stride) {
    const int n = 2 * tiles + 2;
    const float *r0 = rows, *r1 = rows + n, *r2 = rows + 2 * n, *r3 = rows + 3 * n;
    const ptrdiff_t ps = point_stride;
    for (int l = 0; l < tiles; l++) {
        const int x = 2 * l;
        /* Rows first: t[i][j] = (B^T d)[i][j] for the tile's four columns j. */
        float t[4][4];
        for (int j = 0; j < 4; j++) BT4(r0[x + j], r1[x + j], r2[x + j], r3[x + j], t[0][j], t[1][j], t[2][j], t[3][j]);
        /* Then columns: V[i][j] = (t B)[i][j]. */
        for (int i = 0; i < 4; i++) {
            float o0, o1, o2, o3;
            BT4(t[i][0], t[i][1], t[i][2], t[i][3], o0, o1, o2, o3);
            v[(4 * i) * ps + l] = o0;
            v[(4 * i + 1) * ps + l] = o1;
            v[(4 * i + 2) * ps + l] = o2;
            v[(4 * i + 3) * ps + l] = o3;
        }
    }
}

CLONES void ck_winograd23_output_tiles(const float *restrict m, ptrdiff_t point_stride, int tiles, int rows_here, int cols,
                                       float bias, const float *residual, float *out, ptrdiff_t ldo) {
    const ptrdiff_t ps = point_stride;
    for (int l = 0; l < tiles; l++) {
        /* w = A^T M (two rows of four), then y = w A (two by two). */
        float w[2][4];
        for (int j = 0; j < 4; j++) {
            float m0 = m[j * ps + l], m1 = m[(4 + j) * ps + l], m2 = m[(8 + j) * ps + l], m3 = m[(12 + j) * ps + l];
            w[0][j] = m0 + m1 + m2;
            w[1][j] = m1 - m2 - m3;
        }
        float y[2][2];
        for (int i = 0; i < 2; i++) {
            y[i][0] = w[i][0] + w[i][1] + w[i][2];
            y[i][1] = w[i][1] - w[i][2] - w[i][3];
        }
        for (int i = 0; i < rows_here; i++)
            for (int j = 0; j < 2 && 2 * l + j < cols; j++) {
                ptrdiff_t o = i * ldo + 2 * l + j;
                /* (y + bias) + residual, as the F(4x4, 3x3) output rounds it. */
                out[o] = residual ? y[i][j] + bias + residual[o] : y[i][j] + bias;
            }
    }
}

void ck_prefetch_rows(const float *p, int rows, int count, ptrdiff_t ld) {
    if (count <= 0) return;
    for (int r = 0; r < rows; r++) {
        const char *row = (const char *)(p + r * ld), *end = (const char *)(p + r * ld + count - 1);
        for (const char *q = row; q <= end; q += 64) __builtin_prefetch(q, 0, 3);
        __builtin_prefetch(end, 0, 3); /* the last line when the row starts mid-line */
    }
}

CLONES void ck_upsample_row_2x(const float *restrict src, int first, int count, float *restrict out) {
    int i = 0;
    if (count > 0 && (first & 1)) {
        out[0] = src[first >> 1];
        i = 1;
    }
    const float *s = src + ((first + i) >> 1);
    float *o = out + i;
    int pairs = (count - i) / 2;
    for (int j = 0; j < pairs; j++) {
        o[2 * j] = s[j];
        o[2 * j + 1] = s[j];
    }
    if (i + 2 * pairs < count) o[2 * pairs] = s[pairs];
}

/* The filter transforms U = G g G^T, 16 filters at a time: the filters' nine taps gathered into
   [9][16] lanes, then every step below on 16 lanes of doubles, so the compiler vectorises across
   filters. Each value is computed as WinogradF43.transformFilter / WinogradF23.transformFilter
   (Sources/Kernels/WinogradTransforms.swift) compute it, operation for operation in Double, then
   rounded to float: the same bits (-ffp-contract=off keeps the products and sums apart). */
#define FILTER_LANES 16

/* G x for one column x = (a, b, c) of a filter, written `step` doubles apart: F(4x4, 3x3)'s six
   rows and F(2x2, 3x3)'s four, each value as the Swift definitions compute it. */
static inline __attribute__((always_inline)) void g43_column(double a, double b, double c, double *o, int step) {
    o[0] = a / 4;
    o[step] = -(a + b + c) / 6;
    o[2 * step] = -(a - b + c) / 6;
    o[3 * step] = a / 24 + b / 12 + c / 6;
    o[4 * step] = a / 24 - b / 12 + c / 6;
    o[5 * step] = c;
}

static inline __attribute__((always_inline)) void g23_column(double a, double b, double c, double *o, int step) {
    o[0] = a;
    o[step] = (a + b + c) / 2;
    o[2 * step] = (a - b + c) / 2;
    o[3 * step] = c;
}

/* U = G g G^T of `count` filters, G's `side` (6 or 4) rows applied by `column`: t = G f (the
   taps' columns), then U = t G^T (t's rows), 16 filters per step, rounded to float at the end. */
static inline __attribute__((always_inline)) void transform_filters(const float *restrict g, int count, float *restrict u,
                                                                    ptrdiff_t stride, const int side,
                                                                    void (*column)(double, double, double, double *, int)) {
    for (int j0 = 0; j0 < count; j0 += FILTER_LANES) {
        int n = count - j0 < FILTER_LANES ? count - j0 : FILTER_LANES;
        double taps[9][FILTER_LANES], t[18][FILTER_LANES], out[36][FILTER_LANES];
        for (int i = 0; i < 9; i++)
            for (int l = 0; l < FILTER_LANES; l++) taps[i][l] = l < n ? (double)g[((size_t)j0 + l) * 9 + i] : 0.0;
        /* t[r * 3 + j] = (G f)[r][j]. */
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < FILTER_LANES; l++) column(taps[j][l], taps[3 + j][l], taps[6 + j][l], &t[j][l], 3 * FILTER_LANES);
        /* out[i * side + r] = (t G^T)[i][r]. */
        for (int i = 0; i < side; i++)
            for (int l = 0; l < FILTER_LANES; l++)
                column(t[i * 3][l], t[i * 3 + 1][l], t[i * 3 + 2][l], &out[i * side][l], FILTER_LANES);
        for (int p = 0; p < side * side; p++)
            for (int l = 0; l < n; l++) u[(size_t)p * stride + j0 + l] = (float)out[p][l];
    }
}

CLONES void ck_winograd43_filters(const float *restrict g, int count, float *restrict u, ptrdiff_t stride) {
    transform_filters(g, count, u, stride, 6, g43_column);
}

CLONES void ck_winograd23_filters(const float *restrict g, int count, float *restrict u, ptrdiff_t stride) {
    transform_filters(g, count, u, stride, 4, g23_column);
}
