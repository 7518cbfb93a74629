/* The k blocking shared by the AVX-512 and AVX2 matrix kernels: each element is summed over k
   in blocks of KBLOCK (accumulators stored, then added to in the next block), so both kernels
   must use the same value to give the same bits. 1024: measured best on ViT-L shapes
   (scripts/bench/kernels.c); a harness may define another to sweep it. */
#ifndef CK_GEMM_BLOCKING_H
#define CK_GEMM_BLOCKING_H

#ifndef KBLOCK
#define KBLOCK 1024
#endif

#endif
