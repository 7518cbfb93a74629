/* Single-thread timings of the CKernels hot loops on the shapes TiTok runs, for
   docs/BENCHMARKS.md. Build and run from the repository root (x86-64 with AVX2; the AVX-512
   parts where the CPU has it):

     clang -O3 -ffp-contract=off -fno-math-errno -I Sources/CKernels/include scripts/bench/kernels.c \
         Sources/CKernels/attention.c Sources/CKernels/gemm_avx512.c Sources/CKernels/gemm_avx2.c \
         Sources/CKernels/pointwise.c Sources/CKernels/winograd.c -o /tmp/kernels -lopenblas -lm && /tmp/kernels

   (OPENBLAS_CORETYPE=Haswell in the environment compares with OpenBLAS's AVX2 kernels.)
   Prints GFLOP/s of the packed Linear product (ViT-L shapes, 289 rows) on the AVX-512 kernel,
   the AVX2 kernel on 48-column panels, the AVX2 kernel on packed rows and 16-column strips (the
   path Dense.linear takes on AVX2 CPUs, row packing included) and single-threaded OpenBLAS
   sgemm on the unpacked weight (best of several repetitions), one chunk's 36 Winograd
   products on the AVX2 kernel with plain and packed filter rows (best of 6), one attention
   head on each kernel (t = 289 and 385, d = 64) as separate operations and as
   ck_attention_head (mean of 200 calls), and ns per tile and channel of the
   Winograd input and output transforms with the 36 point matrices padded or 4 KiB apart (mean
   of 300 calls), and the output transform over a whole 128x256x256 output with and without the
   next channel's rows asked for first (best of 5). */
#include "ckernels.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* 64-byte aligned, as the library allocates its packed weights, activations and scratch (an
   operand 16 bytes off a cache line measured up to 2-3x slower products). */
static float *aligned(size_t count) { return aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64); }

static float *filled(size_t count, unsigned seed) {
    float *p = aligned(count);
    for (size_t i = 0; i < count; i++) p[i] = (float)((i * 7919u + seed * 104729u) % 1000u) * 1e-3f - 0.5f;
    return p;
}

typedef void (*gemm_kernel)(int, int, int, int, const float *, ptrdiff_t, const float *, ptrdiff_t, ptrdiff_t, float *,
                            ptrdiff_t, int, int, const float *);


static void linear(int m, int n, int k) {
    float *x = filled((size_t)m * k, 1), *w = filled((size_t)n * k, 2), *y = aligned((size_t)m * n);
    float *panels = aligned(ck_packed_columns_count(n, k)), *bias = filled(n, 3);
    float *strips = aligned(ck_packed_strips_count(n, k)), *rows = aligned(ck_packed_rows_count(m, k));
    float *partial = aligned(ck_packed_rows_partial_count(m));
    ck_pack_columns(n, k, w, k, panels);
    ck_pack_strips(n, k, w, k, strips);
    const char *names[4] = {"avx512", "avx2", "avx2 packed rows", "openblas"};
    gemm_kernel kernels[2] = {ck_gemm_rows_by_columns, ck_gemm_rows_by_columns_avx2};
    printf("linear %4dx%4dx%4d (bias), GFLOP/s:", m, n, k);
    for (int e = ck_avx512_usable() ? 0 : 1; e < 4; e++) {
        double best = 1e9;
        for (int r = 0; r < 6; r++) {
            double t0 = now();
            if (e < 2) kernels[e](0, m, n, k, x, k, panels, CK_PANEL_COLS, (ptrdiff_t)k * CK_PANEL_COLS, y, n, 0, 0, bias);
            else if (e == 2) {
                /* As Dense.linear runs it on AVX2: the rows packed per call, then the product on strips. */
                ck_pack_row_tiles(0, (m + CK_PACKED_TILE_ROWS - 1) / CK_PACKED_TILE_ROWS, m, k, x, k, rows);
                ck_gemm_packed_rows_avx2(m, n, k, rows, 0, (m + CK_PACKED_TILE_ROWS - 1) / CK_PACKED_TILE_ROWS, strips, 16,
                                         (ptrdiff_t)16 * k, y, n, 0, bias, partial);
            } else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, x, k, w, k, 0, y, n);
            double t = now() - t0;
            if (t < best) best = t;
        }
        printf("  %s %5.1f", names[e], 2.0 * m * n * k / best / 1e9);
    }
    printf("\n");
    free(x); free(w); free(y); free(panels); free(bias); free(strips); free(rows); free(partial);
}

/* One chunk's 36 Winograd products, [K, C] filters x [C, tiles]: the AVX2 kernel on plain filter
   rows, and on filters packed as row tiles run 48 rows at a time (WinogradConv3x3 on AVX2). */
static void winograd_products(int K, int C, int tiles) {
    const int tileRows = CK_PACKED_TILE_ROWS, packedTiles = (K + tileRows - 1) / tileRows;
    const size_t per = ck_packed_rows_count(K, C);
    float *u = filled((size_t)36 * K * C, 1), *v = filled((size_t)36 * C * tiles, 2), *m = aligned((size_t)36 * K * tiles);
    float *up = aligned(36 * per), *partial = aligned(ck_packed_rows_partial_count(48));
    for (int p = 0; p < 36; p++) ck_pack_row_tiles(0, packedTiles, K, C, u + (size_t)p * K * C, C, up + p * per);
    double best[2] = {1e9, 1e9};
    for (int r = 0; r < 6; r++)
        for (int e = 0; e < 2; e++) {
            double t0 = now();
            for (int p = 0; p < 36; p++) {
                const float *vp = v + (size_t)p * C * tiles;
                float *mp = m + (size_t)p * K * tiles;
                if (e == 0) ck_gemm_rows_by_columns_avx2(0, K, tiles, C, u + (size_t)p * K * C, C, vp, tiles, CK_PANEL_COLS, mp,
                                                         tiles, 0, 0, NULL);
                else
                    for (int r0 = 0; r0 < K; r0 += 48)
                        ck_gemm_packed_rows_avx2(K - r0 < 48 ? K - r0 : 48, tiles, C, up + p * per, r0 / tileRows, packedTiles,
                                                 vp, tiles, 16, mp + (size_t)r0 * tiles, tiles, 0, NULL, partial);
            }
            double t = now() - t0;
            if (t < best[e]) best[e] = t;
        }
    double flops = 36 * 2.0 * K * C * tiles;
    printf("winograd products %dx%d filters x %d tiles (36 points), GFLOP/s: avx2 %5.1f  avx2 packed rows %5.1f\n", K, C,
           tiles, flops / best[0] / 1e9, flops / best[1] / 1e9);
    free(u); free(v); free(m); free(up); free(partial);
}

static void attention(int t, int w) {
    const int d = 64, ld = 3 * w, reps = 200;
    float *qkv = filled((size_t)t * ld, 4), *o = aligned((size_t)t * w), *scores = aligned((size_t)t * t);
    float *kp = aligned(ck_packed_columns_count(t, d));
    float *scratch = aligned(ck_attention_scratch_count(t, t, d));
    gemm_kernel kernels[2] = {ck_gemm_rows_by_columns, ck_gemm_rows_by_columns_avx2};
    void (*heads[2])(const float *, const float *, const float *, ptrdiff_t, int, int, int, float, float *, ptrdiff_t,
                     float *) = {ck_attention_head, ck_attention_head_avx2};
    for (int e = ck_avx512_usable() ? 0 : 1; e < 2; e++) {
        double separate = 0, fused = 0;
        for (int r = 0; r < reps; r++) {
            int h = r % (w / d);
            const float *q = qkv + h * d, *k = qkv + w + h * d, *v = qkv + 2 * w + h * d;
            double t0 = now();
            ck_pack_columns(t, d, k, ld, kp);
            kernels[e](0, t, t, d, q, ld, kp, CK_PANEL_COLS, (ptrdiff_t)d * CK_PANEL_COLS, scores, t, 0, 0, NULL);
            ck_softmax_rows(scores, t, t, t, 0.125f);
            kernels[e](0, t, d, t, scores, t, v, ld, CK_PANEL_COLS, o + h * d, w, 0, 0, NULL);
            double t1 = now();
            heads[e](q, k, v, ld, t, t, d, 0.125f, o + h * d, w, scratch);
            double t2 = now();
            separate += t1 - t0;
            fused += t2 - t1;
        }
        printf("attention head t=%d d=64 (%s): separate ops %.0f us, fused head %.0f us (%.1f GFLOP/s)\n", t,
               e == 0 ? "avx512" : "avx2", separate / reps * 1e6, fused / reps * 1e6, 4.0 * t * t * d / (fused / reps) / 1e9);
    }
    free(qkv); free(o); free(scores); free(kp); free(scratch);
}

/* The Winograd tile transforms over C channels of one row segment, the 36 points' matrices
   `pad` floats more than C x tiles apart (the library pads by 16: a multiple of 4 KiB apart,
   the 36 streams share one L1 set). */
static void winograd_transforms(int tiles, int pad) {
    const int C = 128, width = 4 * tiles, n = 4 * tiles + 2, reps = 300;
    const ptrdiff_t ps = (ptrdiff_t)C * tiles + pad;
    float *planes = filled((size_t)C * 6 * width, 5), *scratch = aligned((size_t)7 * n);
    float *v = aligned_alloc(64, sizeof(float) * 36 * (size_t)ps), *out = aligned((size_t)C * 4 * width);
    double t0 = now();
    for (int r = 0; r < reps; r++)
        for (int c = 0; c < C; c++) {
            const float *rows[6];
            for (int i = 0; i < 6; i++) rows[i] = planes + ((size_t)c * 6 + i) * width;
            ck_winograd_input_tiles_in_place(rows, -1, width, scratch, tiles, v + (size_t)c * tiles, ps);
        }
    double t1 = now();
    for (int r = 0; r < reps; r++)
        for (int c = 0; c < C; c++)
            ck_winograd_output_tiles(v + (size_t)c * tiles, ps, tiles, 4, width, 0.5f, NULL, out + (size_t)c * 4 * width, width);
    double t2 = now();
    printf("winograd transforms, %d tiles x %d channels, points %s: input %.1f, output %.1f ns per tile and channel\n",
           tiles, C, pad ? "padded" : "4 KiB apart", (t1 - t0) / reps / tiles / C * 1e9, (t2 - t1) / reps / tiles / C * 1e9);
    free(planes); free(scratch); free(v); free(out);
}

/* The output transform as WinogradConv3x3 runs it over a whole 128-channel 256x256 output (33 MB,
   far outside the caches): 48-tile chunks, each channel's 4 rows a plane (256 KiB) from the last,
   without and with the next channel's rows asked for first (ck_prefetch_rows); best of 5 passes. */
static void winograd_output_plane(void) {
    const int K = 128, T = 48, H = 256, W = 256, tilesWide = W / 4, total = tilesWide * (H / 4);
    const ptrdiff_t ps = (ptrdiff_t)K * T + 16;
    float *m = filled((size_t)36 * ps, 6), *out = filled((size_t)K * H * W, 7);
    double best[2] = {1e9, 1e9};
    for (int r = 0; r < 10; r++) {
        int ahead = r % 2;
        double t0 = now();
        for (int first = 0; first < total; first += T) {
            int local = 0;
            for (int t = first; t < first + T && t < total;) {
                int row = t / tilesWide, tx0 = t % tilesWide, tx1 = tx0 + (first + T - t);
                if (tx1 > tilesWide) tx1 = tilesWide;
                for (int k = 0; k < K; k++) {
                    float *o = out + (size_t)k * H * W + (size_t)row * 4 * W + 4 * tx0;
                    if (ahead && k + 1 < K) ck_prefetch_rows(o + (size_t)H * W, 4, 4 * (tx1 - tx0), W);
                    ck_winograd_output_tiles(m + (size_t)k * T + local, ps, tx1 - tx0, 4, 4 * (tx1 - tx0), 0.5f, NULL, o, W);
                }
                local += tx1 - tx0;
                t += tx1 - tx0;
            }
        }
        double dt = now() - t0;
        if (dt < best[ahead]) best[ahead] = dt;
    }
    printf("winograd output transform into a 128x256x256 output: %.2f ms, next channel's rows asked for first %.2f ms\n",
           best[0] * 1e3, best[1] * 1e3);
    free(m); free(out);
}

int main(void) {
    openblas_set_num_threads(1);
    if (!ck_avx2_fma_usable()) {
        printf("this CPU runs neither AVX2+FMA nor AVX-512: the kernels measured here are not used\n");
        return 0;
    }
    linear(289, 3072, 1024);
    linear(289, 1024, 1024);
    linear(289, 4096, 1024);
    linear(289, 1024, 4096);
    winograd_products(512, 512, 96);
    winograd_products(256, 256, 48);
    winograd_products(128, 128, 48);
    attention(289, 1024);
    winograd_output_plane();
    attention(385, 512);
    if (!ck_avx512_usable()) {
        printf("this CPU does not run AVX-512: the Winograd timing needs it\n");
        return 0;
    }
    winograd_transforms(48, 0);
    winograd_transforms(48, 16);
    winograd_transforms(96, 0);
    winograd_transforms(96, 16);
    return 0;
}
