/* Hand-vectorised float32 kernels for x86-64 CPUs with AVX-512 (or, for the matrix product,
   AVX2 and FMA), compiled for that instruction set per function and used only after
   ck_avx512_usable() or ck_avx2_fma_usable() says the CPU and OS support it.
   Every pointer is checked by the Swift caller; sizes are element counts. */
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Rows of the broadcast operand per micro-tile, and columns of the vector operand per panel. */
enum { CK_TILE_ROWS = 8, CK_PANEL_COLS = 48 };

/* 1 when this CPU and OS run AVX-512F code (CPUID and XGETBV), else 0. */
int ck_avx512_usable(void);

/* 1 when this CPU and OS run AVX2, FMA and F16C code (CPUID and XGETBV), else 0. */
int ck_avx2_fma_usable(void);

/* A spin-wait hint (PAUSE on x86-64) for threads polling a flag. */
void ck_cpu_relax(void);

/* Work ranges of a parallel loop over items 0..<count shared by `parts` participants: `ranges`
   (parts words) starts as one contiguous range per participant. ck_work_ranges_claim gives
   participant `self` the next item of its own range, or once that is empty the first of the back
   half taken from another's remaining range (which becomes its own), or -1 when no item is left.
   Every item is given out exactly once; safe to call from all participants at once. */
void ck_work_ranges_init(uint64_t *ranges, int parts, int count);
int ck_work_ranges_claim(uint64_t *ranges, int parts, int self);

/* Floats needed by ck_pack_columns for an m x k operand. */
size_t ck_packed_columns_count(int m, int k);

/* Packs rows 0..<m of x [m][ldx] (k used columns) as column panels for ck_gemm_rows_by_columns:
   dst[p][kk][j] = x[(p * CK_PANEL_COLS + j) * ldx + kk], zero past row m. */
void ck_pack_columns(int m, int k, const float *x, ptrdiff_t ldx, float *dst);

/* out[r][j] = sum_kk a[r][kk] * b[kk][j] for rows r of `a` in [row0, row1) and columns j in [0, n):
   `a` is row-major with row stride lda (unit stride along k), `b` has row stride ldb and each
   panel of CK_PANEL_COLS columns starts panel_stride floats after the previous one (ldb =
   CK_PANEL_COLS and panel_stride = k * CK_PANEL_COLS for ck_pack_columns' layout; panel_stride
   = CK_PANEL_COLS for a plain row-major b).
   With transposed_out 0 the result goes to c[r * ldc + j], else to c[j * ldc + r]; it is added
   to what c holds when accumulate is 1, else stored. `bias` (n floats, or NULL) is added per
   column as if c had been seeded with it: bias + sum, or (c + bias) + sum when accumulating.
   Each element is summed in k order in blocks of 1024, so results do not depend on m, n, the
   row range or the column position. */
void ck_gemm_rows_by_columns(int row0, int row1, int n, int k,
                             const float *a, ptrdiff_t lda,
                             const float *b, ptrdiff_t ldb, ptrdiff_t panel_stride,
                             float *c, ptrdiff_t ldc, int transposed_out, int accumulate,
                             const float *bias);

/* ck_gemm_rows_by_columns for CPUs with AVX2 and FMA (6 x 16 micro-tiles): the same contract
   and the same fused multiply-adds in the same order, so the same bits. */
void ck_gemm_rows_by_columns_avx2(int row0, int row1, int n, int k,
                                  const float *a, ptrdiff_t lda,
                                  const float *b, ptrdiff_t ldb, ptrdiff_t panel_stride,
                                  float *c, ptrdiff_t ldc, int transposed_out, int accumulate,
                                  const float *bias);

/* Rows per packed tile of ck_pack_row_tiles (the AVX2 kernel's micro-tile height). */
enum { CK_PACKED_TILE_ROWS = 6 };

/* Floats ck_pack_row_tiles writes for an m x k operand (whole tiles of CK_PACKED_TILE_ROWS rows). */
size_t ck_packed_rows_count(int m, int k);

/* Floats of accumulator scratch ck_gemm_packed_rows_avx2 needs for m rows (one per concurrent call). */
size_t ck_packed_rows_partial_count(int m);

/* Packs row tiles [tile0, tile1) of a [m][lda] (k used columns) for ck_gemm_packed_rows_avx2:
   dst[t][kk][r] = a[(t * CK_PACKED_TILE_ROWS + r) * lda + kk], zero past row m. Tiles are
   independent, so threads may pack disjoint tile ranges of one destination. */
void ck_pack_row_tiles(int tile0, int tile1, int m, int k, const float *a, ptrdiff_t lda, float *dst);

/* Columns [c0, c1) of row tile t of an m x k operand, written where ck_pack_row_tiles puts them:
   rows[r * ldrows + (kk - c0)] for the tile's rows r (zero for rows past m). Tiles and column
   ranges are independent, so threads may fill disjoint pieces of one destination; with every
   tile and column range filled, dst equals ck_pack_row_tiles' output. */
void ck_pack_row_tile_columns(int t, int m, int k, int c0, int c1, const float *rows, ptrdiff_t ldrows, float *dst);

/* ck_pack_row_tiles of GELU(a) (ck_gelu's arithmetic: the same packed bits as ck_gelu on the rows,
   then ck_pack_row_tiles), `a` left as it is; `row` is scratch for k floats (one per caller). */
void ck_pack_row_tiles_gelu(int tile0, int tile1, int m, int k, const float *a, ptrdiff_t lda, float *row, float *dst);

/* ck_pack_row_tiles of LayerNorm(a) (ck_layer_norm_rows' arithmetic over the k columns, with
   weight, bias and eps), `a` left as it is; `row` is scratch for k floats (one per caller). */
void ck_pack_row_tiles_layer_norm(int tile0, int tile1, int m, int k, const float *a, ptrdiff_t lda,
                                  const float *weight, const float *bias, float eps, float *row, float *dst);

/* ck_gemm_rows_by_columns (plain output) on the AVX-512 kernel with b given as 16-column strips
   (ck_pack_strips' layout: strip s at b + s * strip_stride, its k rows 16 floats apart, zero past
   column n), three strips read as one 48-column panel: the same fused multiply-adds in the same
   order, so the bits of ck_gemm_rows_by_columns on ck_pack_columns' panels of the same weight.
   Lets the AVX-512 kernel multiply a strips16 weight straight from a mapped file. `follow`: how
   many columns of b after column n (n then a multiple of 16) the caller is likely to multiply
   next; their first block is asked for (a cache hint, nothing read) while the last one runs. */
void ck_gemm_rows_by_strips(int row0, int row1, int n, int k, const float *a, ptrdiff_t lda,
                            const float *b, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc, int accumulate,
                            const float *bias, int follow);

/* ck_gemm_rows_by_strips over 16-bit strips (f16, or bf16 when `bf16` is set; n a multiple of 16
   or zero-padded strips): each 1024-deep block of a panel's three strips is widened (exactly) into
   `panel` (64-byte aligned, CK_PANEL_COLS x 1024 floats: ck_gemm_rows_by_half_strips_scratch_count)
   once per call and multiplied from there, so the result has the bits of ck_gemm_rows_by_columns
   on the widened weight's panels. `follow` as for ck_gemm_rows_by_strips. */
void ck_gemm_rows_by_half_strips(int row0, int row1, int n, int k, const float *a, ptrdiff_t lda,
                                 const uint16_t *b, int bf16, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc,
                                 int accumulate, const float *bias, float *panel, int follow);
/* Floats of the `panel` scratch ck_gemm_rows_by_half_strips needs. */
size_t ck_gemm_rows_by_half_strips_scratch_count(void);

/* Floats ck_pack_strips writes for n x k (whole strips of 16). */
size_t ck_packed_strips_count(int n, int k);

/* Packs rows 0..<n of w [n][ldw] (k used columns; a Linear weight [out, in]) as 16-column strips
   for ck_gemm_packed_rows_avx2: dst[s][kk][j] = w[(16 s + j) * ldw + kk], zero past row n. */
void ck_pack_strips(int n, int k, const float *w, ptrdiff_t ldw, float *dst);

/* ck_gemm_rows_by_columns_avx2 (plain output) with `a` packed by ck_pack_row_tiles as a matrix of
   packed_tiles tiles, of which the m rows from tile tile0 on are multiplied (c's row 0 is the
   tile's first row; nothing is done if they are not all inside): the same fused multiply-adds
   in the same order and the same stores, so the same bits. The
   columns of `b` come as strips of 16: strip s starts strip_stride floats after strip s - 1,
   its rows ldb apart (ck_pack_strips' layout: ldb 16, strip_stride 16 k; a plain row-major b:
   ldb its row stride, strip_stride 16). k runs in sub-blocks that keep a strip in L1 across the
   row tiles; accumulators wait in `partial` (ck_packed_rows_partial_count(m) floats). */
void ck_gemm_packed_rows_avx2(int m, int n, int k, const float *apacked, int tile0, int packed_tiles,
                              const float *b, ptrdiff_t ldb, ptrdiff_t strip_stride,
                              float *c, ptrdiff_t ldc, int accumulate, const float *bias, float *partial);

/* ck_gemm_packed_rows_avx2 over weights stored as 16-bit strips (`ck_pack_strips`' layout with
   f16, or bf16 when `bf16` is set, elements; n a multiple of 16, strips strip_stride elements
   apart): each strip's 256-deep sub-blocks are widened to float32 (exactly) once per call, then
   multiplied as ck_gemm_packed_rows_avx2 multiplies float32 strips, so the result has the bits
   of that kernel on the widened weight. */
void ck_gemm_packed_rows_half_strips_avx2(int m, int n, int k, const float *apacked, int tile0, int packed_tiles,
                                          const uint16_t *b, int bf16, ptrdiff_t strip_stride, float *c, ptrdiff_t ldc,
                                          int accumulate, const float *bias, float *partial);

/* Floats of scratch ck_attention_head needs for tq queries, tk keys and head width d. */
size_t ck_attention_scratch_count(int tq, int tk, int d);

/* One head of softmax(scale Q K^T) V on the AVX-512 kernel, single-threaded: q [tq][d], k and
   v [tk][d], all with row stride ld (unit stride along d); out [tq][d] with row stride ldo.
   The scores are summed as ck_gemm_rows_by_columns does; each row becomes exp(scale x -
   scale max x) (ck_softmax_rows' polynomial, with fused multiply-adds) left unnormalised, and
   the output row E V is multiplied by 1 / (the row's sum of sixteen pairwise-added lane sums).
   scale must be positive; `scratch` holds ck_attention_scratch_count(tq, tk, d) floats. */
void ck_attention_head(const float *q, const float *k, const float *v, ptrdiff_t ld, int tq, int tk, int d,
                       float scale, float *out, ptrdiff_t ldo, float *scratch);

/* ck_attention_head for CPUs with AVX2 and FMA: the same contract and the same bits. */
void ck_attention_head_avx2(const float *q, const float *k, const float *v, ptrdiff_t ld, int tq, int tk, int d,
                            float scale, float *out, ptrdiff_t ldo, float *scratch);

/* Pointwise activations, compiled for AVX-512, AVX2 and baseline x86-64 and picked by the
   loader for this CPU (target_clones); the same float operations in the same order on every
   path, so results do not depend on which one runs. */

/* dst[i] = silu(src[i] * scale + shift), silu(v) = v / (1 + exp(-v)); src may equal dst. */
void ck_scale_shift_silu(const float *src, float *dst, ptrdiff_t count, float scale, float shift);

/* The float sum of x[0..<count) (squares 0) or of (x[i] - center)^2 (squares 1), as 64
   interleaved partial sums (element i into sum i % 64) added pairwise at the end: the same bits
   on every instruction set, and independent chains of additions for the vector units. */
float ck_block_sum(const float *x, ptrdiff_t count, int squares, float center);

/* x[i] = x[i] (1 + erf(x[i] / sqrt 2)) / 2 in place (erf: rational approximation on [-4, 4]). */
void ck_gelu(float *x, ptrdiff_t count);

/* dst[i] = GELU(src[i]) with ck_gelu's arithmetic (the same bits); src and dst do not overlap. */
void ck_gelu_into(const float *src, float *dst, ptrdiff_t count);

/* x[i] = tanh(x[i]) in place: an odd polynomial below 0.625 in magnitude, 1 - 2 / (exp(2|x|) + 1)
   above (exp as in ck_scale_shift_silu, |x| clamped at 9 where tanh is 1 in float). */
void ck_tanh(float *x, ptrdiff_t count);

/* Each of `rows` rows of p (stride ld, `width` values) becomes softmax(scale * row) in place:
   max-subtracted, exp as in ck_scale_shift_silu, sums in eight interleaved partial sums. */
void ck_softmax_rows(float *p, int rows, int width, ptrdiff_t ld, float scale);

/* LayerNorm of `rows` rows of x (stride ldx, `width` values) into y (stride ldy; y may be x):
   y = (x - mean) / sqrt(var + eps) * weight + bias, mean and variance summed in double in
   eight interleaved partial sums. */
void ck_layer_norm_rows(const float *x, ptrdiff_t ldx, float *y, ptrdiff_t ldy, int rows, int width,
                        const float *weight, const float *bias, float eps);

/* Winograd F(4x4, 3x3) transforms (same clones and rounding rules as the activations).
   Input: six rows of n = 4 * tiles + 2 floats (stride n) covering `tiles` tiles side by side;
   `scratch` holds 6 n floats. Writes V[p][tile] = (B^T d B)[p] at v[p * point_stride + tile]
   for the 36 points p. */
void ck_winograd_input_tiles(const float *rows, float *scratch, int tiles, float *v, ptrdiff_t point_stride);

/* ck_winograd_input_tiles reading the six input rows in place: src[i] is input row i (width
   floats) or NULL for a zero-padding row; the tiles cover columns x0 .. x0 + 4 * tiles + 1, those
   outside [0, width) read as zero. `scratch` holds 7 n floats (n = 4 * tiles + 2). Same results. */
void ck_winograd_input_tiles_in_place(const float *const *src, int x0, int width, float *scratch, int tiles, float *v,
                                      ptrdiff_t point_stride);

/* Asks the caches for `rows` rows of `count` floats (`ld` apart) starting at p: issued one
   channel ahead by the Winograd transforms, whose reads and writes of a tile row jump a whole
   channel plane between calls, too far for the hardware prefetchers (writing a 128-channel
   256x256 output measured up to 2x faster with the next channel's rows asked for). Loads nothing. */
void ck_prefetch_rows(const float *p, int rows, int count, ptrdiff_t ld);

/* Output channels up to which ck_conv3x3_few_outputs_isa runs. */
#define CK_FEW_OUTPUTS 4

/* A 3x3, stride 1, zero-padded ("same") convolution for K <= CK_FEW_OUTPUTS output channels, rows
   y0..y1-1 of one image: out[k][y][x] = (sum + bias[k]) + residual[k][y][x], the sum taken over
   c, then dy, then dx of w[k][c][dy][dx] * in[c][y+dy-1][x+dx-1] with one fused multiply-add per
   tap. in [C][H][W], w [K][C][3][3], out and residual [K][H][W] (residual and bias may be NULL;
   residual may be out; out must not overlap in). `isa` picks the path: 2 AVX-512 (rows of 64
   columns in registers), 1 AVX2+FMA (16 columns), 0 scalar; a path the CPU lacks falls back to
   the next one down, and every path gives the same bits. Returns the path run, or -1 (nothing
   written) for a bad shape. */
int ck_conv3x3_few_outputs_isa(int isa, const float *in, int C, int H, int W, const float *w, int K, const float *bias,
                               const float *residual, float *out, int y0, int y1);

/* Nearest 2x upsampling of one row: out[i] = src[(first + i) / 2] for i < count (first >= 0). */
void ck_upsample_row_2x(const float *src, int first, int count, float *out);

/* Output: for `tiles` tiles side by side, reads the 36 products m[p * point_stride + tile] and
   writes Y = A^T M A + bias (+ residual) to out[i * ldo + 4 * tile + j] for i < rows_here
   and 4 * tile + j < cols (cols <= 4 * tiles); residual has the layout of out or is NULL. */
void ck_winograd_output_tiles(const float *m, ptrdiff_t point_stride, int tiles, int rows_here, int cols,
                              float bias, const float *residual, float *out, ptrdiff_t ldo);

/* Winograd F(2x2, 3x3) (interpolation points 0, 1, -1, infinity), for small images with many
   channels: 16 products per 2x2 output tile. Input: four rows of n = 2 * tiles + 2 floats
   (stride n) covering `tiles` tiles side by side; writes V[p][tile] = (B^T d B)[p] at
   v[p * point_stride + tile] for the 16 points p (row-major 4x4). */
void ck_winograd23_input_tiles(const float *rows, int tiles, float *v, ptrdiff_t point_stride);

/* Output of F(2x2, 3x3): reads the 16 products m[p * point_stride + tile] and writes
   Y = A^T M A + bias (+ residual) to out[i * ldo + 2 * tile + j] for i < rows_here and
   2 * tile + j < cols (cols <= 2 * tiles); residual has the layout of out or is NULL (it may
   be out itself). */
void ck_winograd23_output_tiles(const float *m, ptrdiff_t point_stride, int tiles, int rows_here, int cols,
                                float bias, const float *residual, float *out, ptrdiff_t ldo);

/* Filter transforms U = G g G^T of `count` consecutive 3x3 filters (g: [count][9], row-major
   taps), point p of filter j written to u[p * stride + j]: F(4x4, 3x3) (36 points) and F(2x2, 3x3)
   (16). Computed in double and rounded to float, bit for bit as the Swift definitions in
   WinogradTransforms.swift; vectorised across filters. */
void ck_winograd43_filters(const float *g, int count, float *u, ptrdiff_t stride);
void ck_winograd23_filters(const float *g, int count, float *u, ptrdiff_t stride);

#ifdef __cplusplus
}
#endif
#endif
