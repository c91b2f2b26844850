/* kernels/syrk.h - the contract of the Gram's packed-panel kernels (SYRK, GEMM, pack and
 * store; kernels/{scalar,avx2,avx512}/syrk_*.c), shared by the Gram driver (ops/gram) and the
 * convolution paths that run on them (ops/conv2d). Private. */
#ifndef GC_KERNELS_SYRK_H
#define GC_KERNELS_SYRK_H

#include "base/internal.h"

/* ---- packed-panel kernels ---------------------------------------------------------------
 * Panels: a chunk of kc columns of L rows of Fc (rows past M are zero), in one of three
 * layouts:
 *   k-major (gc_gram_kernels_for's sets): panel[k*L + r], one SIMD vector of L rows per k;
 *   quads (the float32 AVX-512 forward): panel[(k/4)*4L + r*4 + k%4], one vector of L = 4
 *     rows x 4 k per quad (k from kc up to the next multiple of 4 zero);
 *   octets (the bf16 forward): panel[(k/8)*8L + r*8 + k%8], the same with 8 bf16 per row.
 * A SYRK tile is v consecutive panels (rows) against NR columns of one panel, for r < v*L,
 * c < NR:
 *   acc[c*ld + r] += (double) sum_{k<kc} A(r, k) * B(c, k)
 * with A(r, k) the element of row r%L of panel r/L (panel stride ps elements) and B(c, k)
 * that of row c of panel b, the sum over k taken in the kernel's dtype, fresh per call
 * (blocked summation), in increasing k per SIMD lane (quads: each lane sums every fourth k,
 * octets: every fourth pair of k; the four lanes of a row are added at the end). v is
 * 1..vmax.
 *
 * A GEMM tile for the backward pass: for r < GR, c < GW:
 *   tile[r*GW + c] = sum_{j<m} s[j*lds + r] * b[j*GW + c]     (j increasing)
 * with s the symmetric M x M matrix (row j, columns r) and b a panel of GW columns of Fc. */
/* vmax of the k-major sets (the convolution drivers tile with it too) */
#define GC_SYRK_VMAX 3
/* Or'ed into v for kernel sets with `set`: acc[c*ld + r] = the sums (the first chunk: the
 * accumulator needs no zeroing). No sum is -0.0 (they start from +0.0), so this stores the
 * same bits as adding to zero. */
#define GC_SYRK_SET 8

typedef void (*gc_syrk_fn)(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                           double *acc, int64_t ld);
typedef void (*gc_gemm_fn)(int64_t m, const void *s, int64_t lds, const void *b, void *tile);
/* Cache lines to fetch while a SYRK tile computes (the forward fetches the next chunk of F
 * under the current one): line `line` onwards of rows `row`, row + ld, ... (bytes; lpr lines
 * per row, as integers: the addresses may lie past the tensor, prefetches never fault). A
 * kernel taking one issues up to n of them spread over its k loop, then leaves the cursor
 * (row, line, n) at the first one not issued. Changes no result. */
typedef struct gc_syrk_prefetch {
    uintptr_t row;
    int64_t ld, lpr, line, n;
} gc_syrk_prefetch;
typedef void (*gc_syrk_pf_fn)(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                              double *acc, int64_t ld, gc_syrk_prefetch *pf);
/* Pack into one panel of the kernel set's layout: element (r, k) = src[r*lds + k] - mu[r]
 * for r < rows, 0 for rows <= r < L, k < kc (mu may be NULL: no centring). Contiguous k.
 * NULL in a kernel set (k-major sets only): the driver's portable packer (the reference) is
 * used. */
typedef void (*gc_pack_fn)(int64_t kc, int64_t rows, const void *src, int64_t lds,
                           const double *mu, void *dst);

/* The forward's float32 output of a group of <= 16 columns of the float64 accumulator:
 *   g[j*ldg + i] = g[i*ldg + j] = (float)(acc[j*lda + i] * alpha),  j0 <= j < j1, j <= i < m */
typedef void (*gc_store_fn)(const double *acc, int64_t lda, int64_t j0, int64_t j1, int64_t m,
                            double alpha, float *g, int64_t ldg);

typedef struct gc_gram_kernels {
    gc_syrk_fn syrk;
    gc_pack_fn pack;
    gc_gemm_fn gemm; /* NULL (and GR = GW = 0) in the forward-only quad set */
    int64_t L;   /* panel rows (the vector length) */
    int64_t NR;  /* columns per SYRK tile (divides L) */
    int64_t KC;  /* columns per chunk */
    int64_t GR;  /* GEMM tile rows (divides L) */
    int64_t GW;  /* GEMM tile width */
    int64_t pesz; /* bytes per packed element (the input's, or 2 for bf16) */
    int64_t colb; /* bytes between adjacent columns inside a packed k step (k-major: pesz;
                     the quad and octet sets have NR = L, so it is never used there) */
    gc_syrk_pf_fn syrk_pf; /* syrk plus prefetches (NULL: none) */
    int64_t vmax; /* panels per SYRK tile, at most */
    int set;      /* the SYRK kernel takes GC_SYRK_SET */
    gc_store_fn store; /* the forward's float32 store of a column group (NULL: portable) */
    int64_t band; /* the forward's row bands (rows, a multiple of L): each chunk's tiles run
                     band by band, so only a band of the packed chunk needs to stay in L2
                     and chunks can be long; 0: one band */
    int64_t l1_from; /* M (padded) from which the forward instead runs bands one tile high
                        (vmax panels) with chunks short enough for a band to stay in L1
                        (GC_GRAM_L1_BAND bytes): each tile then reads its rows from L1 and
                        only the column side from L2; 0: never */
} gc_gram_kernels;

/* The L1 budget of one row band when a set's l1_from applies (half the 48 KiB L1D of the
 * cores gc_cpu_fma_outruns_l2 names). */
#define GC_GRAM_L1_BAND (24 << 10)

/* Portable kernels and their plain references (syrk_scalar.c). */
void gc_syrk_f32_scalar(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                        int64_t ld);
void gc_syrk_f64_scalar(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                        int64_t ld);
void gc_gemm_f32_scalar(int64_t m, const void *s, int64_t lds, const void *b, void *tile);
void gc_gemm_f64_scalar(int64_t m, const void *s, int64_t lds, const void *b, void *tile);
#if defined(GC_HAVE_AVX2)
void gc_syrk_f32_avx2(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                      int64_t ld);
void gc_syrk_f64_avx2(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                      int64_t ld);
void gc_gemm_f32_avx2(int64_t m, const void *s, int64_t lds, const void *b, void *tile);
void gc_gemm_f64_avx2(int64_t m, const void *s, int64_t lds, const void *b, void *tile);
void gc_pack_f32_avx2(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                      void *dst);
#endif
#if defined(GC_HAVE_AVX512)
void gc_syrk_f32_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                        int64_t ld);
void gc_syrk_q4_f32_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                           double *acc, int64_t ld);
void gc_syrk_q4_pf_f32_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                              double *acc, int64_t ld, gc_syrk_prefetch *pf);
void gc_gram_store_f32_avx512(const double *acc, int64_t lda, int64_t j0, int64_t j1, int64_t m,
                              double alpha, float *g, int64_t ldg);
void gc_pack_q4_f32_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds,
                           const double *mu, void *dst);
void gc_syrk_f64_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                        int64_t ld);
void gc_pack_f32_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                        void *dst);
void gc_gemm_f32_avx512(int64_t m, const void *s, int64_t lds, const void *b, void *tile);
void gc_gemm_f64_avx512(int64_t m, const void *s, int64_t lds, const void *b, void *tile);
void gc_pack_f64_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                        void *dst);
/* bf16 octet layout: see syrk_avx512.c (a per-function AVX512-BF16 target). */
void gc_pack_bf16_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                         void *dst);
void gc_syrk_bf16_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                         int64_t ld);
void gc_syrk_pf_bf16_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                            double *acc, int64_t ld, gc_syrk_prefetch *pf);
#endif

#endif /* GC_KERNELS_SYRK_H */
