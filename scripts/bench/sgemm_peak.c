/* OpenBLAS sgemm throughput on fixed shapes, the machine's practical float32 peak, and the
   fused multiply-add throughput of the widest vectors it runs (12 independent FMA chains per
   thread, all threads at once): its arithmetic ceiling. Both measured in the same run as the
   models. Usage: sgemm_peak THREADS. Prints one JSON object. */
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void openblas_set_num_threads(int num_threads);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best GFLOP/s of C[m,n] = A[m,k] B[k,n] over `reps` calls after one warm-up call. */
static double rate(int m, int n, int k, int reps) {
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
    float *c = malloc(sizeof(float) * (size_t)m * n);
    for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    for (size_t i = 0; i < (size_t)k * n; i++) b[i] = (float)((i * 104729) % 1000) * 1e-3f - 0.5f;
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
        double t = now() - t0;
        if (r > 0 && t < best) best = t;
    }
    free(a); free(b); free(c);
    return 2.0 * m * n * k / best / 1e9;
}

#if defined(__x86_64__)
#define FMA_ROUNDS 50000000L
/* FLOPs per loop iteration: 12 FMAs of 16 (zmm) or 8 (ymm) lanes, 2 FLOPs each. */
static void *fma_loop(void *wide) {
    long n = FMA_ROUNDS;
    if (wide) {
        __asm__ volatile(
            "vxorps %%xmm0, %%xmm0, %%xmm0\n"
            "1:\n"
            "vfmadd231ps %%zmm0, %%zmm0, %%zmm2\n vfmadd231ps %%zmm0, %%zmm0, %%zmm3\n"
            "vfmadd231ps %%zmm0, %%zmm0, %%zmm4\n vfmadd231ps %%zmm0, %%zmm0, %%zmm5\n"
            "vfmadd231ps %%zmm0, %%zmm0, %%zmm6\n vfmadd231ps %%zmm0, %%zmm0, %%zmm7\n"
            "vfmadd231ps %%zmm0, %%zmm0, %%zmm8\n vfmadd231ps %%zmm0, %%zmm0, %%zmm9\n"
            "vfmadd231ps %%zmm0, %%zmm0, %%zmm10\n vfmadd231ps %%zmm0, %%zmm0, %%zmm11\n"
            "vfmadd231ps %%zmm0, %%zmm0, %%zmm12\n vfmadd231ps %%zmm0, %%zmm0, %%zmm13\n"
            "dec %0\n jnz 1b\n vzeroupper\n"
            : "+r"(n)::"xmm0", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
              "xmm12", "xmm13", "cc");
    } else {
        __asm__ volatile(
            "vxorps %%xmm0, %%xmm0, %%xmm0\n"
            "1:\n"
            "vfmadd231ps %%ymm0, %%ymm0, %%ymm2\n vfmadd231ps %%ymm0, %%ymm0, %%ymm3\n"
            "vfmadd231ps %%ymm0, %%ymm0, %%ymm4\n vfmadd231ps %%ymm0, %%ymm0, %%ymm5\n"
            "vfmadd231ps %%ymm0, %%ymm0, %%ymm6\n vfmadd231ps %%ymm0, %%ymm0, %%ymm7\n"
            "vfmadd231ps %%ymm0, %%ymm0, %%ymm8\n vfmadd231ps %%ymm0, %%ymm0, %%ymm9\n"
            "vfmadd231ps %%ymm0, %%ymm0, %%ymm10\n vfmadd231ps %%ymm0, %%ymm0, %%ymm11\n"
            "vfmadd231ps %%ymm0, %%ymm0, %%ymm12\n vfmadd231ps %%ymm0, %%ymm0, %%ymm13\n"
            "dec %0\n jnz 1b\n vzeroupper\n"
            : "+r"(n)::"xmm0", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
              "xmm12", "xmm13", "cc");
    }
    return NULL;
}

/* FMA GFLOP/s of `threads` threads together (best of 3); 0 without FMA. */
static double fma_peak(int threads, int *lanes) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("fma")) { *lanes = 0; return 0; }
    int wide = __builtin_cpu_supports("avx512f");
    *lanes = wide ? 16 : 8;
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        pthread_t t[64];
        int n = threads < 64 ? threads : 64;
        double t0 = now();
        for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, fma_loop, wide ? (void *)1 : NULL);
        for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    return (double)(threads < 64 ? threads : 64) * FMA_ROUNDS * 12 * *lanes * 2 / best / 1e9;
}
#else
static double fma_peak(int threads, int *lanes) { (void)threads; *lanes = 0; return 0; }
#endif

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    openblas_set_num_threads(threads);
    double square = rate(2048, 2048, 2048, 5);
    double vitl = rate(289, 4096, 1024, 20); /* ViT-L MLP: 289 tokens x 1024 -> 4096 */
    int lanes = 0;
    double fma = fma_peak(threads, &lanes);
    printf("{\"threads\": %d, \"sgemm_2048_gflops\": %.1f, \"sgemm_289x4096x1024_gflops\": %.1f, "
           "\"fma_peak_gflops\": %.1f, \"fma_lanes\": %d, \"core\": \"%s\"}\n", threads, square, vitl, fma, lanes,
           openblas_get_corename());
    return 0;
}
