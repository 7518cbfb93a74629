/* The Cephes expf constants shared by the scalar (pointwise.c) and AVX-512 and AVX2
   (attention.c) exponentials: x = n ln 2 + r with ln 2 split in two, exp(r) = 1 + r + r^2 P(r). */
#ifndef CK_EXP_COEFFICIENTS_H
#define CK_EXP_COEFFICIENTS_H

#define CK_EXP_LOW (-87.3f)
#define CK_EXP_HIGH 88.3f
#define CK_LOG2E 1.44269504f
#define CK_LN2_HI 0.693359375f
#define CK_LN2_LO (-2.12194440e-4f)
#define CK_EXP_P0 1.98756915e-4f
#define CK_EXP_P1 1.39819995e-3f
#define CK_EXP_P2 8.3334519e-3f
#define CK_EXP_P3 4.16657959e-2f
#define CK_EXP_P4 1.66666655e-1f
#define CK_EXP_P5 5.00000012e-1f

#endif
