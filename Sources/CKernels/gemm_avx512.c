/* Float32 matrix product with an AVX-512 register-tiled micro-kernel (8 rows x 48 columns:
   24 accumulators; 6 rows x 64 columns for a plain 64-column operand). The row operand is read
   in place and broadcast; the column operand is read 16 floats at a time, from panels packed by
   ck_pack_columns or a plain row-major matrix. See ckernels.h for the contract. */
#include "ckernels.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "gemm_blocking.h"

#if defined(__x86_64__)
#include <cpuid.h>

int ck_avx512_usable(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0; /* OSXSAVE */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    /* XMM, YMM, opmask, ZMM_Hi256 and Hi16_ZMM state enabled by the OS. */
    if ((lo & 0xe6) != 0xe6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 16)) ? 1 : 0; /* AVX512F */
}
#else
int ck_avx512_usable(void) { return 0; }
#endif

void ck_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

size_t ck_gemm_rows_by_half_strips_scratch_count(void) { return (size_t)CK_PANEL_COLS * KBLOCK; }

size_t ck_packed_columns_count(int m, int k) {
    size_t panels = ((size_t)m + CK_PANEL_COLS - 1) / CK_PANEL_COLS;
    return panels * (size_t)k * CK_PANEL_COLS;
}

/* Columns j0 + j (j < width) of one panel, k values kk in [k0, k1), one at a time. */
static void pack_scalar(const float *x, ptrdiff_t ldx, int j0, int width, int k0, int k1, float *panel) {
    for (int j = 0; j < width; j++) {
        const float *src = x + (size_t)(j0 + j) * ldx;
        for (int kk = k0; kk < k1; kk++) panel[(size_t)kk * CK_PANEL_COLS + j] = src[kk];
    }
}

void ck_pack_columns(int m, int k, const float *x, ptrdiff_t ldx, float *dst) {
    int panels = (m + CK_PANEL_COLS - 1) / CK_PANEL_COLS;
    for (int p = 0; p < panels; p++) {
        float *panel = dst + (size_t)p * k * CK_PANEL_COLS;
        int j0 = p * CK_PANEL_COLS, width = m - j0 < CK_PANEL_COLS ? m - j0 : CK_PANEL_COLS;
        if (width < CK_PANEL_COLS) memset(panel, 0, sizeof(float) * (size_t)k * CK_PANEL_COLS);
#if defined(__x86_64__)
        /* 4 x 4 blocks transposed in SSE registers (3-4x the scalar copy: 289 x 64 keys 11.7 -> 3.6 us),
           16 k at a time so the 4-row groups' reads stay within one line of each row of x. */
        int wide = width & ~3, deep = k & ~3;
        for (int k0 = 0; k0 < deep; k0 += 16) {
            int k1 = k0 + 16 < deep ? k0 + 16 : deep;
            for (int j = 0; j < wide; j += 4) {
                const float *s0 = x + (size_t)(j0 + j) * ldx, *s1 = s0 + ldx, *s2 = s1 + ldx, *s3 = s2 + ldx;
                for (int kk = k0; kk < k1; kk += 4) {
                    __m128 r0 = _mm_loadu_ps(s0 + kk), r1 = _mm_loadu_ps(s1 + kk);
                    __m128 r2 = _mm_loadu_ps(s2 + kk), r3 = _mm_loadu_ps(s3 + kk);
                    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
                    float *d = panel + (size_t)kk * CK_PANEL_COLS + j;
                    _mm_storeu_ps(d, r0);
                    _mm_storeu_ps(d + CK_PANEL_COLS, r1);
                    _mm_storeu_ps(d + 2 * CK_PANEL_COLS, r2);
                    _mm_storeu_ps(d + 3 * CK_PANEL_COLS, r3);
                }
            }
        }
        pack_scalar(x, ldx, j0, wide, deep, k, panel);     /* the last k % 4 values of the whole groups */
        pack_scalar(x, ldx, j0 + wide, width - wide, 0, k, panel + wide); /* the last width % 4 columns */
#else
        pack_scalar(x, ldx, j0, width, 0, k, panel);
#endif
    }
}

#if defined(__x86_64__)

#define TARGET __attribute__((target("avx512f,fma,avx2")))

/* Lines that a tile asks the L2 cache for while it runs: `count` lines from number `first`, line q
   at base + (q / parts) * row + (q % parts) * part bytes, one at every k step with (k & every) == 0
   (every: 2^n - 1). */
typedef struct {
    const char *base;
    ptrdiff_t row, part;
    int parts, first, count, every;
} Prefetch;

/* One micro-tile: MR rows (1..8) by NV vectors of 16 columns (1..3), over kc values of k.
   Constant MR and NV after inlining, so the accumulators live in registers. Vector v of a row
   of b is at b + 16 v (a panel or a plain matrix), or at b + v * vstride when VSTRIDED (three
   16-column strips read as one panel); the fused multiply-adds are the same either way. The last
   vector is loaded under lastMask when MASKED (a panel's ragged tail; a masked load in the loop
   cost 4 % on whole panels). Every 8th k step asks for one line of `pf` (T1), so the next block
   of b is in L2 when its first tile starts instead of arriving from memory at the pace of one
   tile's demand (150 -> 165 GFLOP/s on ViT-L shapes with weights from DRAM, one Emerald Rapids
   core), or every 2nd k step one line of the next tile's rows of a (see rows_product); a
   prefetch loads nothing into registers, so the bits are the same. */
static inline __attribute__((always_inline)) TARGET void tile(
    const int MR, const int NV, const int VSTRIDED, const int MASKED, int kc, const float *a, ptrdiff_t lda,
    const float *b, ptrdiff_t ldb, ptrdiff_t vstride, __mmask16 lastMask, float *c, ptrdiff_t ldc, int transposed,
    int accumulate, const float *bias, const Prefetch *pf) {
    __m512 acc[8][4];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    const float *ar[8];
    for (int r = 0; r < MR; r++) ar[r] = a + r * lda;
    const ptrdiff_t vs = VSTRIDED ? vstride : 16;
    const char *pfBase = pf->base;
    const ptrdiff_t pfRow = pf->row, pfPart = pf->part;
    const int pfParts = pf->parts, pfEnd = pf->first + pf->count, pfEvery = pf->every;
    int q = pf->first;
    for (int kk = 0; kk < kc; kk++) {
        __m512 bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = (MASKED && v == NV - 1) ? _mm512_maskz_loadu_ps(lastMask, b + vs * v) : _mm512_loadu_ps(b + vs * v);
        if ((kk & pfEvery) == 0 && q < pfEnd) {
            _mm_prefetch(pfBase + (q / pfParts) * pfRow + (q % pfParts) * pfPart, _MM_HINT_T1);
            q++;
        }
        for (int r = 0; r < MR; r++) {
            __m512 av = _mm512_set1_ps(ar[r][kk]);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
        b += ldb;
    }
    if (!transposed) {
        __m512 bv[4];
        if (bias)
            for (int v = 0; v < NV; v++)
                bv[v] = _mm512_maskz_loadu_ps((v == NV - 1) ? lastMask : (__mmask16)0xffff, bias + 16 * v);
        for (int r = 0; r < MR; r++) {
            float *row = c + r * ldc;
            for (int v = 0; v < NV; v++) {
                __mmask16 mk = (v == NV - 1) ? lastMask : (__mmask16)0xffff;
                __m512 x = acc[r][v];
                /* (c + bias) + sum or bias + sum: what seeding c with the bias and then adding gives. */
                if (accumulate && bias) x = _mm512_add_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(mk, row + 16 * v), bv[v]), x);
                else if (accumulate) x = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, row + 16 * v), x);
                else if (bias) x = _mm512_add_ps(bv[v], x);
                _mm512_mask_storeu_ps(row + 16 * v, mk, x);
            }
        }
    } else {
        float t[8][64] __attribute__((aligned(64)));
        for (int r = 0; r < MR; r++)
            for (int v = 0; v < NV; v++) _mm512_store_ps(&t[r][16 * v], acc[r][v]);
        int cols = 16 * (NV - 1) + __builtin_popcount((unsigned)lastMask);
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

/* One switch case per tile shape (TILE_CASE defined before each dispatcher): cases 0-23 the
   masked tiles of every height and width, 24-31 whole 48-column tiles of every height. */
#define EVERY_TILE_CASE \
    TILE_CASE(1, 1, 1) TILE_CASE(1, 2, 1) TILE_CASE(1, 3, 1) TILE_CASE(2, 1, 1) TILE_CASE(2, 2, 1) TILE_CASE(2, 3, 1) \
    TILE_CASE(3, 1, 1) TILE_CASE(3, 2, 1) TILE_CASE(3, 3, 1) TILE_CASE(4, 1, 1) TILE_CASE(4, 2, 1) TILE_CASE(4, 3, 1) \
    TILE_CASE(5, 1, 1) TILE_CASE(5, 2, 1) TILE_CASE(5, 3, 1) TILE_CASE(6, 1, 1) TILE_CASE(6, 2, 1) TILE_CASE(6, 3, 1) \
    TILE_CASE(7, 1, 1) TILE_CASE(7, 2, 1) TILE_CASE(7, 3, 1) TILE_CASE(8, 1, 1) TILE_CASE(8, 2, 1) TILE_CASE(8, 3, 1) \
    TILE_CASE(1, 3, 0) TILE_CASE(2, 3, 0) TILE_CASE(3, 3, 0) TILE_CASE(4, 3, 0) TILE_CASE(5, 3, 0) TILE_CASE(6, 3, 0) \
    TILE_CASE(7, 3, 0) TILE_CASE(8, 3, 0)

#define CASE_NUMBER(MR, NV, MASKED) ((MASKED) ? ((MR) - 1) * 3 + ((NV) - 1) : 24 + (MR) - 1)

/* The case of a tile of mr rows and nv vectors, the last one under lastMask (masked unless it is
   a whole 48-column tile). */
static inline int tile_case(int mr, int nv, __mmask16 lastMask) {
    return CASE_NUMBER(mr, nv, !(nv == 3 && lastMask == (__mmask16)0xffff));
}

#define TILE_CASE(MR, NV, MASKED) \
    case CASE_NUMBER(MR, NV, MASKED): \
        tile(MR, NV, 0, MASKED, kc, a, lda, b, ldb, 0, lastMask, c, ldc, transposed, accumulate, bias, pf); \
        break;

static TARGET void tile_dispatch(int mr, int nv, int kc, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                                 __mmask16 lastMask, float *c, ptrdiff_t ldc, int transposed, int accumulate,
                                 const float *bias, const Prefetch *pf) {
    switch (tile_case(mr, nv, lastMask)) {
        EVERY_TILE_CASE
        default: break;
    }
}

/* Tiles of up to 6 rows by four whole vectors (24 accumulators, as 8 x 3): the products whose
   column operand is exactly 64 plain columns (the Winograd products of a 16x16 or 32x32 image:
   64 tiles), which 48-column panels would run as a whole panel and a one-vector one. */
static TARGET void tile_dispatch64(int mr, int kc, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c,
                                   ptrdiff_t ldc, int transposed, int accumulate, const float *bias, const Prefetch *pf) {
    const __mmask16 all = (__mmask16)0xffff;
    switch (mr) {
        case 1: tile(1, 4, 0, 0, kc, a, lda, b, ldb, 0, all, c, ldc, transposed, accumulate, bias, pf); break;
        case 2: tile(2, 4, 0, 0, kc, a, lda, b, ldb, 0, all, c, ldc, transposed, accumulate, bias, pf); break;
        case 3: tile(3, 4, 0, 0, kc, a, lda, b, ldb, 0, all, c, ldc, transposed, accumulate, bias, pf); break;
        case 4: tile(4, 4, 0, 0, kc, a, lda, b, ldb, 0, all, c, ldc, transposed, accumulate, bias, pf); break;
        case 5: tile(5, 4, 0, 0, kc, a, lda, b, ldb, 0, all, c, ldc, transposed, accumulate, bias, pf); break;
        case 6: tile(6, 4, 0, 0, kc, a, lda, b, ldb, 0, all, c, ldc, transposed, accumulate, bias, pf); break;
        default: break;
    }
}

#undef TILE_CASE
#define TILE_CASE(MR, NV, MASKED) \
    case CASE_NUMBER(MR, NV, MASKED): \
        tile(MR, NV, 1, MASKED, kc, a, lda, b, 16, vstride, lastMask, c, ldc, 0, accumulate, bias, pf); \
        break;

/* tile_dispatch for b as 16-column strips (rows 16 floats apart, vectors vstride apart). */
static TARGET void tile_dispatch_strips(int mr, int nv, int kc, const float *a, ptrdiff_t lda, const float *b,
                                        ptrdiff_t vstride, __mmask16 lastMask, float *c, ptrdiff_t ldc, int accumulate,
                                        const float *bias, const Prefetch *pf) {
    switch (tile_case(mr, nv, lastMask)) {
        EVERY_TILE_CASE
        default: break;
    }
}

/* Where a product's column operand comes from. */
enum { B_PANELS, B_STRIPS, B_HALF_STRIPS };

/* The lines of the column operand's block of nv vectors from column j (a multiple of 48 for
   panels, of 16 for strips) and k0..<k0 + kc, laid out as KIND says (see rows_product); `first`
   0 and `count` every line of the block. */
static inline __attribute__((always_inline)) Prefetch block_lines(const int KIND, int j, int k0, int kc, int nv,
                                                                  const float *b, const uint16_t *b16, ptrdiff_t ldb,
                                                                  ptrdiff_t stride) {
    Prefetch f = {NULL, 64, 64, nv, 0, 0, 7};
    int rows = kc;
    if (KIND == B_PANELS) {
        f.base = (const char *)(b + (size_t)(j / CK_PANEL_COLS) * stride + (size_t)k0 * ldb); /* rows ldb floats apart */
        f.row = ldb * (ptrdiff_t)sizeof(float);
    } else if (KIND == B_STRIPS) {
        f.base = (const char *)(b + (size_t)(j / 16) * stride + (size_t)k0 * 16); /* nv strips of 64-byte rows */
        f.part = stride * (ptrdiff_t)sizeof(float);
    } else {
        f.base = (const char *)(b16 + (size_t)(j / 16) * stride + (size_t)k0 * 16); /* 32-byte rows: two per line */
        f.part = stride * (ptrdiff_t)sizeof(uint16_t);
        rows = (kc + 1) / 2;
    }
    f.count = rows * nv;
    return f;
}

/* Rows of the next tile when `left` rows remain: 8, except that the last 9 or 10 run as 5 + 4 or
   5 + 5 rather than 8 + 1 or 8 + 2. Every TiTok sequence has 8 n + 1 tokens (the class token),
   and a 1-row tile waits on its three accumulators' FMA latency (4 cycles a k step for 3 FMAs,
   against 12 cycles for a whole tile's 24): 8 + 1 rows take 16 cycles a k step, 5 + 4 rows
   13.5. Each element's sum is the same whatever the tile height, so are the bits. */
static inline int tile_height(int left) {
    if (left == 9 || left == 10) return 5;
    return left < CK_TILE_ROWS ? left : CK_TILE_ROWS;
}

/* Rows of the next 6 x 64 tile when `left` rows remain: 6, the last 7 or 8 as 4 + 3 or 4 + 4. */
static inline int tile_height64(int left) { return left > 8 ? 6 : (left > 6 ? 4 : left); }

/* rows_block_product for a plain column operand of exactly 64 columns: tiles of 6 rows by 64
   columns (tile_dispatch64, heights from tile_height64), each asking for the next
   tile's rows of a as it runs. The same fused multiply-adds per element, so the same bits. One
   core, the 16 products [512 x 512] x [512 x 64] of a 16x16 F(2x2) conv: 142 -> 168 GFLOP/s. */
static inline __attribute__((always_inline)) TARGET void rows_product64(int row0, int row1, int k, const float *a,
                                                                      ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c,
                                                                      ptrdiff_t ldc, int transposed_out, int accumulate,
                                                                      const float *bias) {
    for (int k0 = 0; k0 < k || (k == 0 && k0 == 0); k0 += KBLOCK) {
        int kc = k - k0 < KBLOCK ? k - k0 : KBLOCK;
        int acc = accumulate || k0 > 0;
        const float *blockBias = k0 == 0 ? bias : NULL; /* added once, with the first block */
        const float *bblock = b + (size_t)k0 * ldb;
        int lineCount = (kc + 15) / 16;
        for (int r0 = row0, mr; r0 < row1; r0 += mr) {
            mr = tile_height64(row1 - r0);
            const float *ablock = a + (size_t)r0 * lda + k0;
            float *cblock = transposed_out ? c + r0 : c + (size_t)r0 * ldc;
            Prefetch rowsAhead = {NULL, 64, 64, 1, 0, 0, 1};
            if (r0 + mr < row1) {
                rowsAhead.base = (const char *)(ablock + (size_t)mr * lda);
                rowsAhead.row = lda * (ptrdiff_t)sizeof(float);
                rowsAhead.parts = lineCount;
                rowsAhead.count = tile_height64(row1 - r0 - mr) * lineCount;
            }
            tile_dispatch64(mr, kc, ablock, lda, bblock, ldb, cblock, ldc, transposed_out, acc, blockBias, &rowsAhead);
        }
        if (k == 0) break;
    }
}

/* The loops of the three products below: k in KBLOCK blocks, then 48-column panels, then 8-row
   tiles (panels outer: one panel's kc x 48 block, up to 192 KiB, stays in L2 while the rows
   stream by). KIND (a constant after inlining) says where a panel's block is read: packed panels
   or a plain matrix (`b`, rows ldb apart, panels `stride` apart); three 16-column strips of `b`
   (`stride` apart, rows 16 floats apart); or three 16-bit strips of `b16`, widened (exactly) into
   `panel` in ck_pack_columns' layout once per block. The fused multiply-adds are the same in
   every case, so are the bits. The last block's tiles ask for the first block of the `follow`
   columns after column n (strips only; 0 for none). */
static inline __attribute__((always_inline)) TARGET void rows_block_product(
    const int KIND, int row0, int row1, int n, int k, const float *a, ptrdiff_t lda, const float *b, const uint16_t *b16,
    int bf16, ptrdiff_t ldb, ptrdiff_t stride, float *c, ptrdiff_t ldc, int transposed_out, int accumulate,
    const float *bias, float *panel, int follow) {
    if (row1 <= row0 || n <= 0) return;
    if (KIND == B_PANELS && n == 64 && stride == CK_PANEL_COLS && ldb >= 64) { /* plain b (packed panels have ldb 48) */
        rows_product64(row0, row1, k, a, lda, b, ldb, c, ldc, transposed_out, accumulate, bias);
        return;
    }
    int panels = (n + CK_PANEL_COLS - 1) / CK_PANEL_COLS;
    for (int k0 = 0; k0 < k || (k == 0 && k0 == 0); k0 += KBLOCK) {
        int kc = k - k0 < KBLOCK ? k - k0 : KBLOCK;
        int acc = accumulate || k0 > 0;
        const float *blockBias = k0 == 0 ? bias : NULL; /* added once, with the first block */
        for (int p = 0; p < panels; p++) {
            int j0 = p * CK_PANEL_COLS;
            int cols = n - j0 < CK_PANEL_COLS ? n - j0 : CK_PANEL_COLS;
            int nv = (cols + 15) / 16;
            int tail = cols - 16 * (nv - 1);
            __mmask16 lastMask = (__mmask16)((1u << tail) - 1u);
            const float *bblock;
            if (KIND == B_PANELS) {
                bblock = b + (size_t)p * stride + (size_t)k0 * ldb;
            } else if (KIND == B_STRIPS) {
                bblock = b + (size_t)(3 * p) * stride + (size_t)k0 * 16;
            } else {
                for (int v = 0; v < nv; v++) {
                    const uint16_t *src = b16 + (size_t)(3 * p + v) * stride + (size_t)k0 * 16;
                    for (int kk = 0; kk < kc; kk++) {
                        __m256i h = _mm256_loadu_si256((const __m256i *)(src + (size_t)kk * 16));
                        __m512 w = bf16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)) : _mm512_cvtph_ps(h);
                        _mm512_store_ps(panel + (size_t)kk * CK_PANEL_COLS + 16 * v, w);
                    }
                }
                bblock = panel;
            }
            /* The next block (the next panel, the first panel of the next k block, or the first
               block of the following columns), its lines shared out over this panel's tiles, at
               most one per 8 k steps of a tile. */
            Prefetch next = {NULL, 64, 64, 1, 0, 0, 7};
            if (p + 1 < panels) {
                int nextCols = n - j0 - CK_PANEL_COLS < CK_PANEL_COLS ? n - j0 - CK_PANEL_COLS : CK_PANEL_COLS;
                next = block_lines(KIND, j0 + CK_PANEL_COLS, k0, kc, (nextCols + 15) / 16, b, b16, ldb, stride);
            } else if (k0 + KBLOCK < k) {
                int nextKc = k - k0 - KBLOCK < KBLOCK ? k - k0 - KBLOCK : KBLOCK;
                next = block_lines(KIND, 0, k0 + KBLOCK, nextKc, n < CK_PANEL_COLS ? (n + 15) / 16 : 3, b, b16, ldb, stride);
            } else if (KIND != B_PANELS && follow > 0) {
                int firstKc = k < KBLOCK ? k : KBLOCK, cols = follow < CK_PANEL_COLS ? follow : CK_PANEL_COLS;
                next = block_lines(KIND, (n + 15) / 16 * 16, 0, firstKc, (cols + 15) / 16, b, b16, ldb, stride);
            }
            int tiles = (row1 - row0 + CK_TILE_ROWS - 1) / CK_TILE_ROWS, lines = next.count;
            int perTile = (lines + tiles - 1) / tiles, slots = (kc + 7) / 8;
            if (perTile > slots) perTile = slots;
            for (int r0 = row0, t = 0, mr; r0 < row1; r0 += mr, t++) {
                mr = tile_height(row1 - r0);
                const float *ablock = a + (size_t)r0 * lda + k0;
                float *cblock = transposed_out ? c + (size_t)j0 * ldc + r0 : c + (size_t)r0 * ldc + j0;
                const float *tileBias = blockBias ? blockBias + j0 : NULL;
                next.first = t * perTile;
                next.count = lines - next.first < perTile ? (lines - next.first > 0 ? lines - next.first : 0) : perTile;
                /* The next tile's rows of a instead, so they are in L2 when it starts: where b has
                   nothing left to ask for, and in the first panel of a product on panels, whose
                   tiles read a there for the first time (the Winograd products: the transformed
                   filters come from L3 or memory, the 48-64 tiles of b from L2). One core, 48
                   tiles, 128-512 channels: +6-11 %; eight 512-channel F(2x2) convs at 16x16
                   (64 tiles: two panels), one after another: -13 % (1 thread), -23 % (2). */
                int rowsFirst = KIND == B_PANELS && p == 0;
                Prefetch rowsAhead = {NULL, 64, 64, 1, 0, 0, 1};
                if ((lines == 0 || rowsFirst) && r0 + mr < row1) {
                    int lineCount = (kc + 15) / 16, nextRows = row1 - r0 - mr;
                    rowsAhead.base = (const char *)(ablock + (size_t)mr * lda);
                    rowsAhead.row = lda * (ptrdiff_t)sizeof(float);
                    rowsAhead.parts = lineCount;
                    rowsAhead.count = tile_height(nextRows) * lineCount;
                }
                const Prefetch *pf = lines == 0 || rowsFirst ? &rowsAhead : &next;
                if (KIND == B_STRIPS)
                    tile_dispatch_strips(mr, nv, kc, ablock, lda, bblock, stride, lastMask, cblock, ldc, acc, tileBias, pf);
                else
                    tile_dispatch(mr, nv, kc, ablock, lda, bblock, KIND == B_PANELS ? ldb : CK_PANEL_COLS, lastMask,
                                  cblock, ldc, transposed_out, acc, tileBias, pf);
            }
        }
        if (k == 0) break;
    }
}

/* Bytes of the row operand's block (rows x one k block) that stay in L2 while the panels pass:
   three or more such blocks of rows (a batch of images, or one 512x512 image's 1089-1153
   tokens) run as row blocks, each over every panel, so a is not read from L3 once per panel;
   fewer (one 256x256 image's 289-385 rows) stay one block, as splitting them re-reads every
   weight block for nothing (289 ViT-L rows in two blocks: -1-2 %). One core, weights from
   memory: 8 x 289 ViT-L rows 153-158 -> 161-163 GFLOP/s, 8 x 385 rows of a 512-wide ViT
   142-151 -> 147-154, 1089 ViT-L rows 150-158 -> 153-161, 1153 rows of ViT-B 126-145 -> 128-155. */
enum { ROW_BLOCK_BYTES = 768 * 1024 };

/* rows_block_product over balanced blocks of whole 8-row tiles (see ROW_BLOCK_BYTES); the last
   block asks for the `follow` columns. The sums are those of one block: each element's k blocks
   in order. */
static inline __attribute__((always_inline)) TARGET void rows_product(
    const int KIND, int row0, int row1, int n, int k, const float *a, ptrdiff_t lda, const float *b, const uint16_t *b16,
    int bf16, ptrdiff_t ldb, ptrdiff_t stride, float *c, ptrdiff_t ldc, int transposed_out, int accumulate,
    const float *bias, float *panel, int follow) {
    if (row1 <= row0 || n <= 0) return;
    int kc = k < KBLOCK ? (k > 0 ? k : 1) : KBLOCK;
    int maxRows = ROW_BLOCK_BYTES / (kc * (int)sizeof(float)) / CK_TILE_ROWS * CK_TILE_ROWS;
    if (maxRows < CK_TILE_ROWS) maxRows = CK_TILE_ROWS;
    int rows = row1 - row0, blocks = rows < 3 * maxRows ? 1 : (rows + maxRows - 1) / maxRows;
    int perBlock = (rows + blocks - 1) / blocks;
    perBlock = (perBlock + CK_TILE_ROWS - 1) / CK_TILE_ROWS * CK_TILE_ROWS;
    for (int r0 = row0; r0 < row1; r0 += perBlock) {
        int r1 = row1 - r0 < perBlock ? row1 : r0 + perBlock;
        rows_block_product(KIND, r0, r1, n, k, a, lda, b, b16, bf16, ldb, stride, c, ldc, transposed_out, accumulate, bias,
                           panel, r1 == row1 ? follow : 0);
    }
}

TARGET void ck_gemm_rows_by_strips(int row0, int row1, int n, int k, const float *a, ptrdiff_t lda,
                                   const float *b, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc, int accumulate,
                                   const float *bias, int follow) {
    rows_product(B_STRIPS, row0, row1, n, k, a, lda, b, NULL, 0, 16, strip_stride, c, ldc, 0, accumulate, bias, NULL,
                 follow);
}

TARGET void ck_gemm_rows_by_half_strips(int row0, int row1, int n, int k, const float *a, ptrdiff_t lda,
                                        const uint16_t *b, int bf16, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc,
                                        int accumulate, const float *bias, float *panel, int follow) {
    rows_product(B_HALF_STRIPS, row0, row1, n, k, a, lda, NULL, b, bf16, CK_PANEL_COLS, strip_stride, c, ldc, 0,
                 accumulate, bias, panel, follow);
}

TARGET void ck_gemm_rows_by_columns(int row0, int row1, int n, int k,
                                    const float *a, ptrdiff_t lda,
                                    const float *b, ptrdiff_t ldb, ptrdiff_t panel_stride,
                                    float *c, ptrdiff_t ldc, int transposed_out, int accumulate,
                                    const float *bias) {
    rows_product(B_PANELS, row0, row1, n, k, a, lda, b, NULL, 0, ldb, panel_stride, c, ldc, transposed_out, accumulate,
                 bias, NULL, 0);
}

#else
void ck_gemm_rows_by_half_strips(int row0, int row1, int n, int k, const float *a, ptrdiff_t lda, const uint16_t *b,
                                 int bf16, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc, int accumulate,
                                 const float *bias, float *panel, int follow) {
    (void)row0; (void)row1; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)bf16; (void)strip_stride; (void)c;
    (void)ldc; (void)accumulate; (void)bias; (void)panel; (void)follow;
}
void ck_gemm_rows_by_strips(int row0, int row1, int n, int k, const float *a, ptrdiff_t lda, const float *b,
                            ptrdiff_t strip_stride, float *c, ptrdiff_t ldc, int accumulate, const float *bias,
                            int follow) {
    (void)row0; (void)row1; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)strip_stride; (void)c; (void)ldc;
    (void)accumulate; (void)bias; (void)follow;
}
void ck_gemm_rows_by_columns(int row0, int row1, int n, int k, const float *a, ptrdiff_t lda, const float *b,
                             ptrdiff_t ldb, ptrdiff_t panel_stride, float *c, ptrdiff_t ldc, int transposed_out,
                             int accumulate, const float *bias) {
    (void)bias; (void)row0; (void)row1; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)panel_stride;
    (void)c; (void)ldc; (void)transposed_out; (void)accumulate;
}
#endif
