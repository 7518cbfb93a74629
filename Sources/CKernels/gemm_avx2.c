/* The same float32 product as gemm_avx512.c for CPUs with AVX2 and FMA but no AVX-512
   (Zen 2/3, Intel client cores): 6 rows x 16 columns per micro-tile (12 ymm accumulators),
   each 48-column panel run as three 16-column strips. Every element is summed with the same
   fused multiply-adds in the same order as the AVX-512 kernel (k in order, blocks of KBLOCK,
   bias and accumulation applied in the store the same way), so both give identical bits. */
#include "ckernels.h"

#include <stdint.h>
#include <string.h>

#include "gemm_blocking.h"

/* ---- Packed layouts for the packed-row path (plain C: the same on every architecture) ---- */

#define TILE_ROWS CK_PACKED_TILE_ROWS

/* Sub-blocks start at multiples of SUBK, so KBLOCK must be one of its multiples (a harness may
   define another divisor to sweep it; 256 measured best of 128-512 on Zen 3). */
#ifndef SUBK
#define SUBK (KBLOCK % 256 == 0 ? 256 : KBLOCK)
#endif

size_t ck_packed_rows_count(int m, int k) {
    return (size_t)((m + TILE_ROWS - 1) / TILE_ROWS) * TILE_ROWS * (size_t)(k > 0 ? k : 1);
}

size_t ck_packed_rows_partial_count(int m) {
    return (size_t)((m + TILE_ROWS - 1) / TILE_ROWS) * TILE_ROWS * 16;
}

/* Where tile t's value for k index s starts in the packed rows: sub-block by sub-block, each
   holding every tile's [kc][6] block in turn (one sequential stream per sub-block). */
static inline size_t packed_offset(int t, int s, int tiles, int k) {
    int sub = s / SUBK * SUBK, kc = k - sub < SUBK ? k - sub : SUBK;
    return (size_t)sub * TILE_ROWS * tiles + ((size_t)t * kc + (s - sub)) * TILE_ROWS;
}

/* Row r of tile t spread over the tile's sub-blocks: `in` (k floats), or zeros when NULL. */
static inline void spread_row(float *dst, int t, int tiles, int k, int r, const float *in) {
    for (int sub = 0; sub < k; sub += SUBK) {
        int kc = k - sub < SUBK ? k - sub : SUBK;
        float *out = dst + packed_offset(t, sub, tiles, k);
        if (in)
            for (int kk = 0; kk < kc; kk++) out[(size_t)kk * TILE_ROWS + r] = in[sub + kk];
        else
            for (int kk = 0; kk < kc; kk++) out[(size_t)kk * TILE_ROWS + r] = 0.0f;
    }
}

void ck_pack_row_tiles(int tile0, int tile1, int m, int k, const float *a, ptrdiff_t lda, float *dst) {
    int tiles = (m + TILE_ROWS - 1) / TILE_ROWS;
    for (int t = tile0; t < tile1; t++) {
        int mr = m - t * TILE_ROWS < TILE_ROWS ? m - t * TILE_ROWS : TILE_ROWS;
        /* Row by row (each row read in order; 30-40 % faster than six rows at a time). */
        for (int r = 0; r < TILE_ROWS; r++)
            spread_row(dst, t, tiles, k, r, r < mr ? a + (size_t)(t * TILE_ROWS + r) * lda : NULL);
    }
}

void ck_pack_row_tile_columns(int t, int m, int k, int c0, int c1, const float *rows, ptrdiff_t ldrows, float *dst) {
    int tiles = (m + TILE_ROWS - 1) / TILE_ROWS;
    if (t < 0 || t >= tiles || c0 < 0 || c1 > k || c0 >= c1) return;
    int mr = m - t * TILE_ROWS < TILE_ROWS ? m - t * TILE_ROWS : TILE_ROWS;
    /* Sub-block by sub-block: inside one, the tile's columns are consecutive [kk][6] groups. */
    for (int sub = c0 / SUBK * SUBK; sub < c1; sub += SUBK) {
        int lo = c0 > sub ? c0 : sub, hi = c1 < sub + SUBK ? c1 : sub + SUBK;
        float *out = dst + packed_offset(t, lo, tiles, k);
        for (int kk = lo; kk < hi; kk++, out += TILE_ROWS)
            for (int r = 0; r < TILE_ROWS; r++) out[r] = r < mr ? rows[(size_t)r * ldrows + (kk - c0)] : 0.0f;
    }
}

/* Packs row tiles [tile0, tile1) of rows made one at a time by `make` (row i of the operand into
   `row`, k floats): each row made once, then spread over its tile's sub-blocks. */
typedef void (*row_maker)(int i, float *row, const void *context);

static void pack_made_row_tiles(int tile0, int tile1, int m, int k, float *row, float *dst, row_maker make,
                                const void *context) {
    int tiles = (m + TILE_ROWS - 1) / TILE_ROWS;
    for (int t = tile0; t < tile1; t++) {
        int mr = m - t * TILE_ROWS < TILE_ROWS ? m - t * TILE_ROWS : TILE_ROWS;
        for (int r = 0; r < TILE_ROWS; r++) {
            if (r < mr) make(t * TILE_ROWS + r, row, context);
            spread_row(dst, t, tiles, k, r, r < mr ? row : NULL);
        }
    }
}

struct source_rows { const float *a; ptrdiff_t lda; int k; const float *weight, *bias; float eps; };

static void gelu_row(int i, float *row, const void *context) {
    const struct source_rows *s = context;
    ck_gelu_into(s->a + (size_t)i * s->lda, row, s->k);
}

static void layer_norm_row(int i, float *row, const void *context) {
    const struct source_rows *s = context;
    ck_layer_norm_rows(s->a + (size_t)i * s->lda, s->lda, row, s->k, 1, s->k, s->weight, s->bias, s->eps);
}

void ck_pack_row_tiles_gelu(int tile0, int tile1, int m, int k, const float *a, ptrdiff_t lda, float *row, float *dst) {
    struct source_rows s = {a, lda, k, NULL, NULL, 0};
    pack_made_row_tiles(tile0, tile1, m, k, row, dst, gelu_row, &s);
}

void ck_pack_row_tiles_layer_norm(int tile0, int tile1, int m, int k, const float *a, ptrdiff_t lda,
                                  const float *weight, const float *bias, float eps, float *row, float *dst) {
    struct source_rows s = {a, lda, k, weight, bias, eps};
    pack_made_row_tiles(tile0, tile1, m, k, row, dst, layer_norm_row, &s);
}

size_t ck_packed_strips_count(int n, int k) {
    return (size_t)((n + 15) / 16) * 16 * (size_t)(k > 0 ? k : 1);
}

void ck_pack_strips(int n, int k, const float *w, ptrdiff_t ldw, float *dst) {
    for (int j0 = 0; j0 < n; j0 += 16) {
        float *out = dst + (size_t)j0 * k;
        int cols = n - j0 < 16 ? n - j0 : 16;
        /* Row by row: each source row is read once, in order (reading a column of 16 rows at a
           time touched 16 lines that share one L1 set whenever ldw is a multiple of 1024). */
        for (int j = 0; j < 16; j++) {
            const float *row = w + (size_t)(j0 + j) * ldw;
            if (j < cols)
                for (int kk = 0; kk < k; kk++) out[(size_t)kk * 16 + j] = row[kk];
            else
                for (int kk = 0; kk < k; kk++) out[(size_t)kk * 16 + j] = 0.0f;
        }
    }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int ck_avx2_fma_usable(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    /* OSXSAVE, AVX, FMA, F16C (16-bit weights widened in the kernel) */
    if (!(c & (1u << 27)) || !(c & (1u << 28)) || !(c & (1u << 12)) || !(c & (1u << 29))) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0x6) != 0x6) return 0; /* XMM and YMM state enabled by the OS */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 5)) ? 1 : 0; /* AVX2 */
}

#define TARGET2 __attribute__((target("avx2,fma,f16c")))
#define ROWS2 6
_Static_assert(ROWS2 == CK_PACKED_TILE_ROWS, "the packed-row layout holds tiles of the kernel's height");

/* Lanes [0, count) set: the mask of a vector's first `count` columns (1..8). */
static inline TARGET2 __m256i lanes(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Stores an MR x (8 NV) tile of sums to c (row stride ldc), full vectors with plain loads and
   stores, the last one masked unless `full`: (c + bias) + sum, c + sum, bias + sum or sum, i.e.
   what seeding c with the bias and then adding gives. Both AVX2 paths end a k block here. */
static inline __attribute__((always_inline)) TARGET2 void store_tile(
    const int MR, const int NV, int full, __m256i mask, __m256 acc[ROWS2][2], float *c, ptrdiff_t ldc, int accumulate,
    const float *bias) {
#define LOAD8(p, v) ((v) == NV - 1 && !full ? _mm256_maskload_ps((p), mask) : _mm256_loadu_ps(p))
    __m256 bv[2];
    if (bias)
        for (int v = 0; v < NV; v++) bv[v] = LOAD8(bias + 8 * v, v);
    for (int r = 0; r < MR; r++) {
        float *row = c + r * ldc;
        for (int v = 0; v < NV; v++) {
            __m256 x = acc[r][v];
            if (accumulate && bias) x = _mm256_add_ps(_mm256_add_ps(LOAD8(row + 8 * v, v), bv[v]), x);
            else if (accumulate) x = _mm256_add_ps(LOAD8(row + 8 * v, v), x);
            else if (bias) x = _mm256_add_ps(bv[v], x);
            if (v == NV - 1 && !full) _mm256_maskstore_ps(row + 8 * v, mask, x);
            else _mm256_storeu_ps(row + 8 * v, x);
        }
    }
#undef LOAD8
}

/* One micro-tile: MR rows (1..6) by NV vectors of 8 columns (1..2), the last `tail` wide (1..8). */
static inline __attribute__((always_inline)) TARGET2 void tile2(
    const int MR, const int NV, int kc, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
    int tail, float *c, ptrdiff_t ldc, int transposed, int accumulate, const float *bias) {
    __m256 acc[ROWS2][2];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
    const __m256i last = lanes(tail);
    const int full = tail == 8;
    const float *ar[ROWS2];
    for (int r = 0; r < MR; r++) ar[r] = a + r * lda;
    for (int kk = 0; kk < kc; kk++) {
        __m256 bv[2];
        for (int v = 0; v < NV; v++)
            bv[v] = (v == NV - 1 && !full) ? _mm256_maskload_ps(b + 8 * v, last) : _mm256_loadu_ps(b + 8 * v);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_broadcast_ss(ar[r] + kk);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
        b += ldb;
    }
    if (!transposed) {
        store_tile(MR, NV, full, last, acc, c, ldc, accumulate, bias);
    } else {
        float t[ROWS2][16] __attribute__((aligned(32)));
        for (int r = 0; r < MR; r++)
            for (int v = 0; v < NV; v++) _mm256_store_ps(&t[r][8 * v], acc[r][v]);
        int cols = 8 * (NV - 1) + tail;
        for (int j = 0; j < cols; j++) {
            float *dst = c + j * ldc;
            float bj = bias ? bias[j] : 0.0f;
            if (accumulate && bias) { for (int r = 0; r < MR; r++) dst[r] = (dst[r] + bj) + t[r][j]; }
            else if (accumulate) { for (int r = 0; r < MR; r++) dst[r] += t[r][j]; }
            else if (bias) { for (int r = 0; r < MR; r++) dst[r] = bj + t[r][j]; }
            else { for (int r = 0; r < MR; r++) dst[r] = t[r][j]; }
        }
    }
}

#define TILE2_CASE(MR, NV) \
    case (MR - 1) * 2 + (NV - 1): tile2(MR, NV, kc, a, lda, b, ldb, tail, c, ldc, transposed, accumulate, bias); break;

static TARGET2 void tile2_dispatch(int mr, int nv, int kc, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                                   int tail, float *c, ptrdiff_t ldc, int transposed, int accumulate, const float *bias) {
    switch ((mr - 1) * 2 + (nv - 1)) {
        TILE2_CASE(1, 1) TILE2_CASE(1, 2)
        TILE2_CASE(2, 1) TILE2_CASE(2, 2)
        TILE2_CASE(3, 1) TILE2_CASE(3, 2)
        TILE2_CASE(4, 1) TILE2_CASE(4, 2)
        TILE2_CASE(5, 1) TILE2_CASE(5, 2)
        TILE2_CASE(6, 1) TILE2_CASE(6, 2)
        default: break;
    }
}

TARGET2 void ck_gemm_rows_by_columns_avx2(int row0, int row1, int n, int k,
                                          const float *a, ptrdiff_t lda,
                                          const float *b, ptrdiff_t ldb, ptrdiff_t panel_stride,
                                          float *c, ptrdiff_t ldc, int transposed_out, int accumulate,
                                          const float *bias) {
    if (row1 <= row0 || n <= 0) return;
    int panels = (n + CK_PANEL_COLS - 1) / CK_PANEL_COLS;
    for (int k0 = 0; k0 < k || (k == 0 && k0 == 0); k0 += KBLOCK) {
        int kc = k - k0 < KBLOCK ? k - k0 : KBLOCK;
        int acc = accumulate || k0 > 0;
        const float *blockBias = k0 == 0 ? bias : NULL; /* added once, with the first block */
        /* Panels outer (the kc x 48 block stays in L2), then 6-row tiles (their kc floats per row
           stay in L1 across the panel's three 16-column strips). */
        for (int p = 0; p < panels; p++) {
            int p0 = p * CK_PANEL_COLS;
            int cols = n - p0 < CK_PANEL_COLS ? n - p0 : CK_PANEL_COLS;
            const float *bblock = b + (size_t)p * panel_stride + (size_t)k0 * ldb;
            for (int r0 = row0; r0 < row1; r0 += ROWS2) {
                int mr = row1 - r0 < ROWS2 ? row1 - r0 : ROWS2;
                const float *ablock = a + (size_t)r0 * lda + k0;
                for (int s0 = 0; s0 < cols; s0 += 16) {
                    int width = cols - s0 < 16 ? cols - s0 : 16;
                    int nv = (width + 7) / 8, tail = width - 8 * (nv - 1);
                    int j0 = p0 + s0;
                    float *cblock = transposed_out ? c + (size_t)j0 * ldc + r0 : c + (size_t)r0 * ldc + j0;
                    tile2_dispatch(mr, nv, kc, ablock, lda, bblock + s0, ldb, tail, cblock, ldc, transposed_out, acc,
                                   blockBias ? blockBias + j0 : NULL);
                }
            }
        }
        if (k == 0) break;
    }
}

/* ---- Packed-row path: the same sums, blocked for AVX2 cores' 32 KiB L1 ----
   Rows are packed six at a time as [k][6] (one contiguous stream for the broadcasts instead of
   six rows 4 KiB apart that share an L1 set), the columns come as 16-wide strips (weights packed
   by ck_pack_strips: each strip one contiguous [k][16] stream), and each 1024-long block of k
   runs in sub-blocks of SUBK so a strip's SUBK x 16 floats stay in L1 while every row tile
   passes over them. Between sub-blocks a tile's accumulators wait in `partial` exactly as
   they were (a float store and load is exact), so every element is the same chain of fused
   multiply-adds as in ck_gemm_rows_by_columns_avx2 and the block-end store is the same code. */

/* One MR x (8 NV) tile over kc steps of k: accumulators start from zero (`first`) or from
   `partial`; they end in `partial`, or (`last`) go to c through store_tile, as tile2's do. */
static inline __attribute__((always_inline)) TARGET2 void packed_tile(
    const int MR, const int NV, const int FULL, int kc, const float *ap, const float *b, ptrdiff_t ldb, int tail,
    float *partial, int first, int last, float *c, ptrdiff_t ldc, int accumulate, const float *bias) {
    __m256 acc[ROWS2][2];
    const __m256i mask = lanes(tail);
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(partial + r * 16 + 8 * v);
    for (int kk = 0; kk < kc; kk++) {
        __m256 bv[2];
        for (int v = 0; v < NV; v++)
            bv[v] = (v == NV - 1 && !FULL) ? _mm256_maskload_ps(b + 8 * v, mask) : _mm256_loadu_ps(b + 8 * v);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_broadcast_ss(ap + r);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
        ap += ROWS2;
        b += ldb;
    }
    if (!last) {
        for (int r = 0; r < MR; r++)
            for (int v = 0; v < NV; v++) _mm256_storeu_ps(partial + r * 16 + 8 * v, acc[r][v]);
        return;
    }
    store_tile(MR, NV, FULL, mask, acc, c, ldc, accumulate, bias);
}

#define PACKED_CASE(MR, NV, FULL)                                                                                 \
    case ((MR - 1) * 2 + (NV - 1)) * 2 + FULL:                                                                     \
        packed_tile(MR, NV, FULL, kc, ap, b, ldb, tail, partial, first, last, c, ldc, accumulate, bias); break;
#define PACKED_ROWS(MR) PACKED_CASE(MR, 1, 0) PACKED_CASE(MR, 1, 1) PACKED_CASE(MR, 2, 0) PACKED_CASE(MR, 2, 1)

static inline __attribute__((always_inline)) TARGET2 void packed_tile_dispatch(int mr, int nv, int tail, int kc, const float *ap, const float *b, ptrdiff_t ldb,
                                         float *partial, int first, int last, float *c, ptrdiff_t ldc, int accumulate,
                                         const float *bias) {
    switch (((mr - 1) * 2 + (nv - 1)) * 2 + (tail == 8)) {
        PACKED_ROWS(1) PACKED_ROWS(2) PACKED_ROWS(3) PACKED_ROWS(4) PACKED_ROWS(5) PACKED_ROWS(6)
        default: break;
    }
}

/* 16 columns of a 16-bit strip, kc deep, widened to float32 (exact: every f16 and bf16 value is
   a float32 value) into `wide` ([kc][16]). */
static inline __attribute__((always_inline)) TARGET2 void widen_strip(const uint16_t *src, int bf16, int kc, float *wide) {
    for (int i = 0; i < kc * 16; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(src + i));
        __m256 v = bf16 ? _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)) : _mm256_cvtph_ps(h);
        _mm256_store_ps(wide + i, v);
    }
}

/* The packed-row product over float32 columns (`b`, row stride ldb) or, when `b16` is set, over
   16-bit strips ([k][16] each, strip_stride elements apart) widened one sub-block at a time into
   an L1-sized buffer (`wide`, SUBK x 16 floats): the same fused multiply-adds on the same values
   either way. */
static inline __attribute__((always_inline)) TARGET2 void packed_rows_product(
    int m, int n, int k, const float *apacked, int tile0, int packed_tiles, const float *b, ptrdiff_t ldb,
    const uint16_t *b16, int bf16, float *wide, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc, int accumulate,
    const float *bias, float *partial) {
    if (m <= 0 || n <= 0) return;
    int tiles = (m + ROWS2 - 1) / ROWS2;
    if (tile0 < 0 || tile0 + tiles > packed_tiles) return; /* rows outside the packed matrix: caller error */
    int strips = (n + 15) / 16;
    for (int st = 0; st < strips; st++) {
        int j0 = st * 16, width = n - j0 < 16 ? n - j0 : 16;
        int nv = (width + 7) / 8, tail = width - 8 * (nv - 1);
        for (int k0 = 0; k0 < k || (k == 0 && k0 == 0); k0 += KBLOCK) {
            int kb = k - k0 < KBLOCK ? k - k0 : KBLOCK;
            int acc = accumulate || k0 > 0;
            const float *blockBias = k0 == 0 ? bias : NULL; /* added once, with the first block */
            for (int s = k0; s < k0 + kb || (kb == 0 && s == k0); s += SUBK) {
                int kc = k0 + kb - s < SUBK ? k0 + kb - s : SUBK;
                int first = s == k0, last = s + kc == k0 + kb;
                const float *bsub;
                ptrdiff_t ld;
                if (b16) {
                    widen_strip(b16 + (size_t)st * strip_stride + (size_t)s * 16, bf16, kc, wide);
                    bsub = wide;
                    ld = 16;
                } else {
                    bsub = b + (size_t)st * strip_stride + (size_t)s * ldb;
                    ld = ldb;
                }
                for (int t = 0; t < tiles; t++) {
                    int r0 = t * ROWS2, mr = m - r0 < ROWS2 ? m - r0 : ROWS2;
                    packed_tile_dispatch(mr, nv, tail, kc, apacked + packed_offset(tile0 + t, s, packed_tiles, k),
                                         bsub, ld, partial + (size_t)t * ROWS2 * 16, first, last,
                                         c + (size_t)r0 * ldc + j0, ldc, acc, blockBias ? blockBias + j0 : NULL);
                }
                if (kb == 0) break;
            }
            if (k == 0) break;
        }
    }
}

TARGET2 void ck_gemm_packed_rows_avx2(int m, int n, int k, const float *apacked, int tile0, int packed_tiles,
                                      const float *b, ptrdiff_t ldb, ptrdiff_t strip_stride,
                                      float *c, ptrdiff_t ldc, int accumulate, const float *bias, float *partial) {
    packed_rows_product(m, n, k, apacked, tile0, packed_tiles, b, ldb, NULL, 0, NULL, strip_stride, c, ldc, accumulate,
                        bias, partial);
}

TARGET2 void ck_gemm_packed_rows_half_strips_avx2(int m, int n, int k, const float *apacked, int tile0, int packed_tiles,
                                                  const uint16_t *b, int bf16, ptrdiff_t strip_stride, float *c,
                                                  ptrdiff_t ldc, int accumulate, const float *bias, float *partial) {
    if (n % 16 != 0) return; /* stored strips are whole: caller error */
    float wide[SUBK * 16] __attribute__((aligned(64)));
    packed_rows_product(m, n, k, apacked, tile0, packed_tiles, NULL, 16, b, bf16 ? 1 : 0, wide, strip_stride, c, ldc,
                        accumulate, bias, partial);
}

#else
int ck_avx2_fma_usable(void) { return 0; }

void ck_gemm_rows_by_columns_avx2(int row0, int row1, int n, int k, const float *a, ptrdiff_t lda, const float *b,
                                  ptrdiff_t ldb, ptrdiff_t panel_stride, float *c, ptrdiff_t ldc, int transposed_out,
                                  int accumulate, const float *bias) {
    (void)bias; (void)row0; (void)row1; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)panel_stride;
    (void)c; (void)ldc; (void)transposed_out; (void)accumulate;
}

void ck_gemm_packed_rows_avx2(int m, int n, int k, const float *apacked, int tile0, int packed_tiles, const float *b,
                              ptrdiff_t ldb, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc, int accumulate,
                              const float *bias, float *partial) {
    (void)m; (void)n; (void)k; (void)apacked; (void)tile0; (void)packed_tiles; (void)b; (void)ldb; (void)strip_stride;
    (void)c; (void)ldc; (void)accumulate; (void)bias; (void)partial;
}

void ck_gemm_packed_rows_half_strips_avx2(int m, int n, int k, const float *apacked, int tile0, int packed_tiles,
                                          const uint16_t *b, int bf16, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc,
                                          int accumulate, const float *bias, float *partial) {
    (void)m; (void)n; (void)k; (void)apacked; (void)tile0; (void)packed_tiles; (void)b; (void)bf16; (void)strip_stride;
    (void)c; (void)ldc; (void)accumulate; (void)bias; (void)partial;
}
#endif
