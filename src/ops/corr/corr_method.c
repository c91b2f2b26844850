/* corr_method.c - direct or FFT: the cost model, and the data checks that keep AUTO exact.
 *
 * Cost model (ns; T threads; constants measured on the dev machine, Zen 4, see
 * docs/DESIGN.md "FFT path"):
 *   direct = 2 * m * outputs / (R_direct * T)        m = products per output
 *   fft    = gc_corr_fft_tiling's estimate (tiles x transforms x N log2 N, kernel spectra,
 *            fixed costs) + c_scan * input elements (the checks below, paid by FFT only)
 * AUTO takes FFT only if it is predicted faster, and then only if the data pass all of:
 *   - some value of input or kernel is not an integer (integer data: the direct sums are
 *     exact up to 2^24 / 2^53, the FFT's are not);
 *   - no NaN or Inf in either (the FFT would spread them over a whole tile);
 *   - for every input plane i and FFT tile t (window w_t, transform of N points):
 *       C * log2(N) * ||x_i on w_t||_2 / sqrt(N) <= (m + 2) * min_v ||x_i on v||_2
 *     v running over the kernel-sized windows of the tile's outputs. The left side is the
 *     FFT error bound (gramconv.h, GC_FFT_ERROR_C) over eps * ||k||_2, the right side the
 *     direct method's normwise bound over eps * ||k||_2 at the tile's weakest output; so the
 *     FFT result is never held to a looser bound than the direct one. Both sides come from
 *     one pass over the input: energies of aligned blocks of ceil(k/2) per dim (every
 *     kernel window contains a whole block; the blocks meeting a tile window cover it). */
#include "ops/corr/corr_fft.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Measured constants (see docs/DESIGN.md, "FFT path"; Zen 4, best of interleaved runs). */
#define GC_COST_DIRECT_F32_GFLOPS 85.0   /* per thread, AVX-512 / AVX2 kernels, kw >= 5 */
#define GC_COST_DIRECT_F64_GFLOPS 45.0   /* (thread CPU time, single plane, k = 5..21) */
#define GC_COST_DIRECT_SCALAR_GFLOPS 6.0
#define GC_COST_SCAN_NS 0.5              /* per input element of the data checks */
#define GC_FFT_AUTO_MAX_BYTES (1ull << 30) /* AUTO's cap on the FFT workspace */

static double gc_cost_direct(const gc_context *ctx, const gc_corr_problem *p, int threads)
{
    const double m = (double)p->k[0] * (double)p->k[1] * (double)p->k[2] *
                     (p->pairing == GC_PAIR_SUM ? (double)p->nin : 1.0);
    const double outs = (double)p->nout * (double)p->o[0] * (double)p->o[1] * (double)p->o[2];
    double rate = p->dtype == GC_DTYPE_F32 ? GC_COST_DIRECT_F32_GFLOPS : GC_COST_DIRECT_F64_GFLOPS;
    if (gc_context_isa(ctx) == GC_ISA_SCALAR)
        rate = GC_COST_DIRECT_SCALAR_GFLOPS / (p->dtype == GC_DTYPE_F32 ? 1.0 : 1.5);
    /* narrow kernels fill the SIMD lanes less well */
    if (p->k[2] < 5)
        rate *= 0.75;
    /* (kernels taller than 8 rows stream in bands of rows, so 4 KiB-apart input rows no
     * longer share L1 sets: no penalty for 1024-wide float32 since then) */
    return 2.0 * m * outs / (rate * (double)threads);
}

/* Kernel checks (small): integer-valued, finite. */
static void gc_scan_flags(const void *base, gc_dtype dt, int64_t planes, int64_t ps,
                          const int64_t e[3], const int64_t s[3], int *all_int, int *finite)
{
    for (int64_t i = 0; i < planes; i++)
        for (int64_t z = 0; z < e[0]; z++)
            for (int64_t y = 0; y < e[1]; y++) {
                const int64_t off = i * ps + z * s[0] + y * s[1];
                for (int64_t x = 0; x < e[2]; x++) {
                    const double v = gc_load(base, dt, off + x * s[2]);
                    if (!isfinite(v)) {
                        *finite = 0;
                        return;
                    }
                    if (*all_int && v != floor(v))
                        *all_int = 0;
                }
            }
}

/* Sum of squares of n elements at stride sx (and whether all are integers, while *all_int). */
static double gc_row_sumsq(const void *base, gc_dtype dt, int64_t off, int64_t n, int64_t sx,
                           int *all_int)
{
    double s = 0.0;
    if (dt == GC_DTYPE_F32) {
        const float *p = (const float *)base + off;
        for (int64_t x = 0; x < n; x++) {
            const double v = p[x * sx];
            s += v * v;
        }
        for (int64_t x = 0; *all_int && x < n; x++)
            if (p[x * sx] != floorf(p[x * sx]))
                *all_int = 0;
    } else {
        const double *p = (const double *)base + off;
        for (int64_t x = 0; x < n; x++)
            s += p[x * sx] * p[x * sx];
        for (int64_t x = 0; *all_int && x < n; x++)
            if (p[x * sx] != floor(p[x * sx]))
                *all_int = 0;
    }
    return s;
}

/* A contiguous float32 row of n elements into its blocks of b columns (the first block cut
 * short by the padding: block bx covers columns [bx*b - pad, (bx+1)*b - pad)): sums of
 * squares added to row[bx] and *total; integer-valued while *all_int. The common case of
 * gc_plane_scan in one loop per row, two independent sums per block (a call per block of
 * ceil(k/2) elements cost ~0.5 ns per element, 8-10 % of an FFT call). */
static void gc_row_blocks_f32(const float *r, int64_t n, int64_t b, int64_t pad, double *row,
                              double *total, int *all_int)
{
    double t = 0.0;
    for (int64_t x = 0, bx = pad / b; x < n; bx++) {
        int64_t x1 = (bx + 1) * b - pad;
        if (x1 > n)
            x1 = n;
        double s0 = 0.0, s1 = 0.0;
        int64_t j = x;
#if defined(__SSE2__)
        /* 4 floats per step as two double pairs (SSE2 is x86-64's baseline) */
        __m128d v0 = _mm_setzero_pd(), v1 = _mm_setzero_pd();
        for (; j + 4 <= x1; j += 4) {
            const __m128 f = _mm_loadu_ps(r + j);
            const __m128d lo = _mm_cvtps_pd(f), hi = _mm_cvtps_pd(_mm_movehl_ps(f, f));
            v0 = _mm_add_pd(v0, _mm_mul_pd(lo, lo));
            v1 = _mm_add_pd(v1, _mm_mul_pd(hi, hi));
        }
        v0 = _mm_add_pd(v0, v1);
        s0 = _mm_cvtsd_f64(v0);
        s1 = _mm_cvtsd_f64(_mm_unpackhi_pd(v0, v0));
#endif
        for (; j + 2 <= x1; j += 2) {
            s0 += (double)r[j] * (double)r[j];
            s1 += (double)r[j + 1] * (double)r[j + 1];
        }
        if (j < x1)
            s0 += (double)r[j] * (double)r[j];
        row[bx] += s0 + s1;
        t += s0 + s1;
        x = x1;
    }
    *total += t;
    for (int64_t x = 0; *all_int && x < n; x++)
        if (r[x] != floorf(r[x]))
            *all_int = 0;
}

/* One pass over input plane i: sum of squares (not finite iff a value is NaN/Inf, or so
 * large that its square overflows: either way, direct), integer-valued or not, and then the
 * tile test at the top. *ok = 0 if some tile fails it. */
static gc_status gc_plane_scan(gc_context *ctx, const gc_corr_problem *p, int64_t i,
                               const int64_t T[3], const int64_t B[3], int *finite, int *all_int,
                               int *ok)
{
    int64_t b[3], nb[3], nfull[3], cells = 1;
    for (int d = 0; d < 3; d++) {
        const int64_t len = p->o[d] + p->k[d] - 1; /* the padded domain */
        b[d] = (p->k[d] + 1) / 2;
        nfull[d] = len / b[d];
        nb[d] = (len + b[d] - 1) / b[d];
        cells *= nb[d];
    }
    double *grid;
    gc_status st = gc_alloc(ctx, cells, sizeof(double), (void **)&grid);
    if (st != GC_OK)
        return st;
    memset(grid, 0, (size_t)cells * sizeof(double));
    double total = 0.0;
    const int64_t sx = p->in_s[3];
    for (int64_t z = 0; z < p->n[0]; z++) {
        const int64_t bz = (z + p->pad[0]) / b[0];
        for (int64_t y = 0; y < p->n[1]; y++) {
            const int64_t by = (y + p->pad[1]) / b[1];
            const int64_t off = i * p->in_s[0] + z * p->in_s[1] + y * p->in_s[2];
            double *row = grid + (bz * nb[1] + by) * nb[2];
            if (p->dtype == GC_DTYPE_F32 && sx == 1) {
                gc_row_blocks_f32((const float *)p->in + off, p->n[2], b[2], p->pad[2], row,
                                  &total, all_int);
                continue;
            }
            /* block bx covers input columns [bx*b - pad, (bx+1)*b - pad) */
            for (int64_t x = 0, bx = p->pad[2] / b[2]; x < p->n[2]; bx++) {
                int64_t x1 = (bx + 1) * b[2] - p->pad[2];
                if (x1 > p->n[2])
                    x1 = p->n[2];
                const double s = gc_row_sumsq(p->in, p->dtype, off + x * sx, x1 - x, sx, all_int);
                row[bx] += s;
                total += s;
                x = x1;
            }
        }
    }
    *finite = isfinite(total);
    *ok = 1;
    const double nfft = (double)T[0] * (double)T[1] * (double)T[2];
    const double lhs_c = GC_FFT_ERROR_C * log2(nfft > 2 ? nfft : 2) / sqrt(nfft);
    const double m = (double)p->k[0] * (double)p->k[1] * (double)p->k[2] *
                     (p->pairing == GC_PAIR_SUM ? (double)p->nin : 1.0);
    int64_t nt[3];
    for (int d = 0; d < 3; d++)
        nt[d] = (p->o[d] + B[d] - 1) / B[d];
    for (int64_t t0 = 0; *finite && *ok && t0 < nt[0]; t0++)
        for (int64_t t1 = 0; *ok && t1 < nt[1]; t1++)
            for (int64_t t2 = 0; *ok && t2 < nt[2]; t2++) {
                const int64_t t[3] = {t0, t1, t2};
                int64_t lo[3], hi[3];
                for (int d = 0; d < 3; d++) { /* blocks meeting the window */
                    const int64_t w0 = t[d] * B[d], w1 = w0 + B[d] + p->k[d] - 1;
                    lo[d] = w0 / b[d];
                    hi[d] = (w1 + b[d] - 1) / b[d];
                    if (hi[d] > nb[d])
                        hi[d] = nb[d];
                }
                double e = 0.0, mn = INFINITY;
                for (int64_t c0 = lo[0]; c0 < hi[0]; c0++)
                    for (int64_t c1 = lo[1]; c1 < hi[1]; c1++)
                        for (int64_t c2 = lo[2]; c2 < hi[2]; c2++) {
                            const double v = grid[(c0 * nb[1] + c1) * nb[2] + c2];
                            e += v;
                            if (c0 < nfull[0] && c1 < nfull[1] && c2 < nfull[2] && v < mn)
                                mn = v;
                        }
                if (!(lhs_c * sqrt(e) <= (m + 2.0) * sqrt(mn)))
                    *ok = 0;
            }
    gc_free(ctx, grid);
    return GC_OK;
}

gc_status gc_corr_choose(gc_context *ctx, const gc_corr_problem *p, gc_corr_method requested,
                         gc_corr_method *chosen)
{
    *chosen = GC_CORR_METHOD_DIRECT;
    if (requested == GC_CORR_METHOD_DIRECT)
        return GC_OK;
    if (requested == GC_CORR_METHOD_FFT) {
        if (!gc_fft_available())
            return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                           "method fft needs FFTW3, which this build of gramconv does not have "
                           "(use auto or direct, or install " GC_PKG_FFTW
                           " (scripts/install-deps.sh) and rebuild)");
        *chosen = GC_CORR_METHOD_FFT;
        return GC_OK;
    }
    if (!gc_fft_available())
        return GC_OK;
    const int threads = gc_context_threads(ctx);
    {
        int64_t T[3], B[3];
        double fft;
        gc_corr_fft_tiling(p, threads, T, B, &fft);
        const double in_elems = (double)p->nin * (double)p->n[0] * (double)p->n[1] * (double)p->n[2];
        if (fft + GC_COST_SCAN_NS * in_elems >= gc_cost_direct(ctx, p, threads))
            return GC_OK;
        /* and never trade a working direct call for an FFT workspace that is large (many
         * kernel spectra of the q x p pairing) or over the context's allocation limit */
        const double ws = gc_corr_fft_workspace(p, threads);
        if (ws > (double)GC_FFT_AUTO_MAX_BYTES || ws > (double)gc_ctx_max_alloc(ctx))
            return GC_OK;
    }
    /* FFT would be faster: is it allowed? The kernel first (small), then one pass per input
     * plane. */
    int k_int = 1, finite = 1;
    if (p->pairing == GC_PAIR_SUM)
        for (int64_t j = 0; j < p->nout && finite; j++)
            gc_scan_flags((const char *)p->ker + (size_t)(j * p->k_s[0]) * gc_dtype_size(p->dtype),
                          p->dtype, p->nin, p->k_s[1], p->k, p->k_s + 2, &k_int, &finite);
    else
        gc_scan_flags(p->ker, p->dtype, p->pairing == GC_PAIR_PLANEWISE ? p->nout : 1,
                      p->k_s[0], p->k, p->k_s + 2, &k_int, &finite);
    if (!finite)
        return GC_OK;
    int64_t T[3], B[3];
    double cost;
    gc_corr_fft_tiling(p, threads, T, B, &cost);
    int in_int = k_int, range_ok = 1;
    for (int64_t i = 0; i < p->nin; i++) {
        int fin = 1, ok = 1;
        gc_status st = gc_plane_scan(ctx, p, i, T, B, &fin, &in_int, &ok);
        if (st != GC_OK)
            return st;
        if (!fin)
            return GC_OK; /* NaN / Inf */
        range_ok &= ok; /* (keep scanning: a later NaN still decides) */
    }
    if (in_int || !range_ok)
        return GC_OK;
    *chosen = GC_CORR_METHOD_FFT;
    return GC_OK;
}
