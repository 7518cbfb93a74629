/* Pointwise activations (see ckernels.h). Built with -ffp-contract=off so every clone rounds
   exactly like the others and like the Swift SIMD8 definitions (VectorExp, VectorActivations):
   a multiply-add is fused only where written as FMA (a single rounding, the same in every clone:
   hardware FMA in the AVX-512 and x86-64-v3 clones, libm's exact fmaf in the default one). */
#include "ckernels.h"
#include "exp_coefficients.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
/* For the loops written with FMA: an AVX2 clone without the FMA feature would call fmaf per element. */
#define CLONES_FMA __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define CLONES
#define CLONES_FMA
#endif

#define FMA __builtin_fmaf

static inline float clampf(float x, float lo, float hi) {
    float m = x < lo ? lo : x;
    return m > hi ? hi : m;
}

/* Cephes-style expf, about 1 ulp on [-87, 88]: n = round(x log2 e) (the rounded product, to
   nearest even by the 1.5 * 2^23 trick), r = x - n ln 2 with ln 2 split in two, exp(r) = 1 + r +
   r^2 P(r), times 2^n built from n's bits. The multiply-adds written as FMA are fused, the rest
   rounded one by one: exactly attention.c's exp16 / exp8 and Swift's VectorExp.exp. */
static inline float expf_poly(float x) {
    const float magic = 12582912.0f;
    float xc = clampf(x, CK_EXP_LOW, CK_EXP_HIGH);
    float shifted = xc * CK_LOG2E + magic;
    float n = shifted - magic;
    float r = FMA(n, -CK_LN2_HI, xc);
    r = FMA(n, -CK_LN2_LO, r);
    float p = CK_EXP_P0;
    p = FMA(p, r, CK_EXP_P1);
    p = FMA(p, r, CK_EXP_P2);
    p = FMA(p, r, CK_EXP_P3);
    p = FMA(p, r, CK_EXP_P4);
    p = FMA(p, r, CK_EXP_P5);
    float y = FMA(p * r, r, r) + 1.0f;
    int32_t sb, mb;
    memcpy(&sb, &shifted, 4);
    memcpy(&mb, &magic, 4);
    int32_t e = (int32_t)((uint32_t)(sb - mb + 127) << 23);
    float scale;
    memcpy(&scale, &e, 4);
    return y * scale;
}

CLONES_FMA void ck_scale_shift_silu(const float *src, float *dst, ptrdiff_t count, float scale, float shift) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float v = FMA(src[i], scale, shift);
        dst[i] = v / (1.0f + expf_poly(-v));
    }
}

static inline float erf_rational(float x) {
    x = clampf(x, -4.0f, 4.0f);
    float x2 = x * x;
    float p = FMA(x2, -2.72614225801306e-10f, 2.77068142495902e-08f);
    p = FMA(x2, p, -2.10102402082508e-06f);
    p = FMA(x2, p, -5.69250639462346e-05f);
    p = FMA(x2, p, -7.34990630326855e-04f);
    p = FMA(x2, p, -2.95459980854025e-03f);
    p = FMA(x2, p, -1.60960333262415e-02f);
    p = x * p;
    float q = FMA(x2, -1.45660718464996e-05f, -2.13374055278905e-04f);
    q = FMA(x2, q, -1.68282697438203e-03f);
    q = FMA(x2, q, -7.37332916720468e-03f);
    q = FMA(x2, q, -1.42647390514189e-02f);
    return p / q;
}

/* v (1 + erf(v / sqrt 2)) / 2 as h + h erf, h = v / 2 (exact), one rounding for the product and sum. */
static inline float gelu_value(float v) {
    float h = 0.5f * v;
    return FMA(h, erf_rational(v * 0.7071067811865476f), h);
}

CLONES_FMA void ck_gelu(float *x, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) x[i] = gelu_value(x[i]);
}

CLONES_FMA void ck_gelu_into(const float *restrict src, float *restrict dst, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) dst[i] = gelu_value(src[i]);
}

CLONES_FMA void ck_softmax_rows(float *p, int rows, int width, ptrdiff_t ld, float scale) {
    for (int r = 0; r < rows; r++) {
        float *x = p + (ptrdiff_t)r * ld;
        for (int j = 0; j < width; j++) x[j] *= scale;
        float top[8];
        for (int l = 0; l < 8; l++) top[l] = -__builtin_inff();
        int j = 0;
        for (; j + 8 <= width; j += 8)
            for (int l = 0; l < 8; l++) top[l] = x[j + l] > top[l] ? x[j + l] : top[l];
        for (; j < width; j++) top[0] = x[j] > top[0] ? x[j] : top[0];
        float m = top[0];
        for (int l = 1; l < 8; l++) m = top[l] > m ? top[l] : m;
        for (j = 0; j < width; j++) x[j] = expf_poly(x[j] - m);
        float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (j = 0; j + 8 <= width; j += 8)
            for (int l = 0; l < 8; l++) part[l] += x[j + l];
        for (; j < width; j++) part[j & 7] += x[j];
        float sum = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
        float inv = 1.0f / sum;
        for (j = 0; j < width; j++) x[j] *= inv;
    }
}

CLONES void ck_layer_norm_rows(const float *x, ptrdiff_t ldx, float *y, ptrdiff_t ldy, int rows, int width,
                               const float *weight, const float *bias, float eps) {
    for (int r = 0; r < rows; r++) {
        const float *src = x + (ptrdiff_t)r * ldx;
        float *dst = y + (ptrdiff_t)r * ldy;
        double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int j = 0;
        for (; j + 8 <= width; j += 8)
            for (int l = 0; l < 8; l++) part[l] += (double)src[j + l];
        for (; j < width; j++) part[j & 7] += (double)src[j];
        double mean = (((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]))) / width;
        double sq[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (j = 0; j + 8 <= width; j += 8)
            for (int l = 0; l < 8; l++) {
                double d = (double)src[j + l] - mean;
                sq[l] += d * d;
            }
        for (; j < width; j++) {
            double d = (double)src[j] - mean;
            sq[j & 7] += d * d;
        }
        double var = (((sq[0] + sq[1]) + (sq[2] + sq[3])) + ((sq[4] + sq[5]) + (sq[6] + sq[7]))) / width;
        float rstd = (float)(1.0 / __builtin_sqrt(var + (double)eps));
        float m = (float)mean;
        for (j = 0; j < width; j++) dst[j] = (src[j] - m) * rstd * weight[j] + bias[j];
    }
}

CLONES_FMA void ck_tanh(float *x, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float v = x[i];
        float a = v < 0 ? -v : v;
        /* |v| < 0.625: odd polynomial (Cephes tanhf); else 1 - 2 / (exp(2|v|) + 1). */
        float z = a * a;
        float p = -5.70498872745e-3f;
        p = p * z + 2.06390887954e-2f;
        p = p * z + -5.37397155531e-2f;
        p = p * z + 1.33314422036e-1f;
        p = p * z + -3.33332819422e-1f;
        float small = p * z * a + a;
        float e = expf_poly(2.0f * clampf(a, 0.0f, 9.0f));
        float large = 1.0f - 2.0f / (e + 1.0f);
        float t = a < 0.625f ? small : large;
        x[i] = __builtin_copysignf(t, v);
    }
}

CLONES float ck_block_sum(const float *x, ptrdiff_t count, int squares, float center) {
    float acc[64] = {0};
    ptrdiff_t i = 0;
    if (squares) {
        for (; i + 64 <= count; i += 64)
            for (int l = 0; l < 64; l++) acc[l] += (x[i + l] - center) * (x[i + l] - center);
        for (int l = 0; i + l < count; l++) acc[l] += (x[i + l] - center) * (x[i + l] - center);
    } else {
        for (; i + 64 <= count; i += 64)
            for (int l = 0; l < 64; l++) acc[l] += x[i + l];
        for (int l = 0; i + l < count; l++) acc[l] += x[i + l];
    }
    for (int w = 32; w > 0; w /= 2)
        for (int l = 0; l < w; l++) acc[l] += acc[l + w];
    return acc[0];
}
