/* gram.h - the validated form of a Gram request, shared by the references (gram_ref.c) and
 * the optimised drivers (gram.c), and the packed-panel kernels behind them (syrk_*.c). */
#ifndef GC_GRAM_H
#define GC_GRAM_H

#include "internal.h"

/* A tensor of G's shape (N x M x M, N = 1 for rank-2/3 inputs) as data + strides. */
typedef struct gc_gram_gview {
    void *data;
    int64_t s[3]; /* batch (0 when absent), row, column */
} gc_gram_gview;

/* The input read as N items of M rows of K = kh * kw elements:
 *   F[b][i][k] = in[b*in_s[0] + i*in_s[1] + (k / kw)*in_s[2] + (k % kw)*in_s[3]]
 * (rank 2: kh = 1; rank 3: N = 1, in_s[0] = 0). */
typedef struct gc_gram_problem {
    gc_dtype dtype;
    int in_rank;
    int64_t n, m, kh, kw, k;
    int64_t in_s[4];
    const void *in;
    double alpha;  /* norm * scale */
    int center;
    int bf16;      /* GC_PRECISION_BF16: forward operands rounded to bfloat16 */
    int g_rank;
    int64_t g_dims[GC_MAX_RANK];
} gc_gram_problem;

/* Validate desc and input, fill *p (op names the caller in messages). */
gc_status gc_gram_prepare(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                          const char *op, gc_gram_problem *p);
/* Check that t is a G-shaped (what = "output", ...) tensor of p's dtype, writable (no
 * broadcast strides) if `writable`; fill *v. */
gc_status gc_gram_check_g(gc_context *ctx, const gc_gram_problem *p, const gc_tensor *t,
                          const char *op, const char *what, int writable, gc_gram_gview *v);
/* Check that t has the input's shape and dtype and is writable (a gradient). */
gc_status gc_gram_check_like_input(gc_context *ctx, const gc_tensor *input, const gc_tensor *t,
                                   const char *op, const char *what);

/* Optimised drivers (gram.c). */
gc_status gc_gram_forward_run(gc_context *ctx, const gc_gram_problem *p, const gc_gram_gview *g);
/* grad (strides gs, input-shaped) = (accumulate ? grad : 0) + beta * (S) Fc with
 * S = dG + dG^T (dG from `dg`), the row-mean subtraction being identically zero (see gram.c). */
gc_status gc_gram_backward_run(gc_context *ctx, const gc_gram_problem *p, const gc_gram_gview *dg,
                               double beta, int accumulate, const gc_tensor *grad);

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
} gc_gram_kernels;

/* The k-major sets (the Gram backward, the convolution drivers, and the Gram forward where
 * gc_gram_fwd_kernels_for has nothing else). */
gc_gram_kernels gc_gram_kernels_for(gc_isa isa, gc_dtype dt);
/* The Gram forward's set (gram.c, tile_gram.c): the quad set for float32 on AVX-512, else
 * gc_gram_kernels_for. */
gc_gram_kernels gc_gram_fwd_kernels_for(gc_isa isa, gc_dtype dt);
/* Columns per forward chunk for a kernel set and M padded to panels (gram.c). */
int64_t gc_gram_chunk_cols(const gc_gram_kernels *kern, int64_t mpad);
/* The bf16 forward kernel set (AVX512-BF16): 0 and *k untouched where the CPU, the build or
 * the context's ISA cannot run it. */
int gc_gram_bf16_kernels(gc_context *ctx, gc_gram_kernels *k);
/* x rounded to bfloat16 (nearest even), returned as a float: the reference's emulation. */
float gc_bf16_round(float x);
/* 1 if the context's ISA is AVX-512 and the CPU (and build) have AVX512-BF16. */
int gc_bf16_available(gc_context *ctx);

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
void gc_syrk_bf16_pf_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                            double *acc, int64_t ld, gc_syrk_prefetch *pf);
#endif

#endif /* GC_GRAM_H */
