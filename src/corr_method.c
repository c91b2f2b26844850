/* corr_method.c - direct or FFT: the cost model, and the data checks that keep AUTO exact.
 *
 * Cost model (times in ns, T threads; constants measured on the dev machine, Zen 4, see
 * docs/DESIGN.md "FFT path"):
 *   direct = 2 * m * outputs / (R_direct * T_eff)     m = products per output
 *   fft    = (c_fft * N log2 N * transforms + c_mul * N * products) / T_eff + c_fixed
 *            + c_scan * input elements                (the checks below, only paid by FFT)
 * with N = L0*L1*L2 the transform size and transforms = 3 per plane (1 + 1 kernel + 1 back)
 * or P + Q*P + Q for the q x p pairing. AUTO takes FFT only if it is predicted faster, and then
 * only if the data pass all of:
 *   - some value of input or kernel is not an integer (integer data: the direct sums are
 *     exact up to 2^24 / 2^53, the FFT's are not);
 *   - no NaN or Inf in either (the FFT would spread them over the whole plane);
 *   - for every input plane i: C * log2(N) * rms(x_i) <= (m + 2) * min_w ||x_i on w||_2,
 *     w running over the kernel-sized windows of the (padded) input. The left side is the
 *     FFT error bound (gramconv.h, GC_FFT_ERROR_C) over eps * ||k||_2, the right side the
 *     direct method's normwise bound over eps * ||k||_2 at its smallest window; so the FFT
 *     result is never less accurate than the bound the direct result is held to. The minimum
 *     over windows is bounded below by the least energy of an aligned block of
 *     ceil(k/2) per dim (every window contains one), in one pass over the input. */
#include "corr_fft.h"

#include <math.h>
#include <string.h>

/* Measured constants (see docs/DESIGN.md, "FFT path"; Zen 4, best of interleaved runs). */
#define GC_COST_DIRECT_F32_GFLOPS 60.0   /* per thread, AVX-512 / AVX2 kernels, kw >= 5 */
#define GC_COST_DIRECT_F64_GFLOPS 30.0
#define GC_COST_DIRECT_SCALAR_GFLOPS 6.0
#define GC_COST_ALIAS_FACTOR 0.22        /* kh > 8 with input rows 2 KiB-aligned apart */
#define GC_COST_FFT_F32_NS 0.14          /* per N log2 N of one transform, one thread */
#define GC_COST_FFT_F64_NS 0.25
#define GC_COST_MUL_NS 0.3               /* per spectrum element of a complex multiply(-add) */
#define GC_COST_SCAN_NS 0.5              /* per input element of the data checks */
#define GC_COST_FIXED_NS 15000.0         /* plan lookup, workspace */
#define GC_COST_PHASE_NS 30000.0         /* thread start-ups per parallel phase (threads > 1) */

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
    /* more than 8 kernel rows whose input rows sit a multiple of 2 KiB apart share L1 sets
     * (1024-wide float32 images): measured 4-6x slower */
    const int64_t row_bytes = p->in_s[2] * (int64_t)gc_dtype_size(p->dtype);
    if (p->k[1] > 8 && row_bytes % 2048 == 0)
        rate *= GC_COST_ALIAS_FACTOR;
    return 2.0 * m * outs / (rate * (double)threads);
}

static double gc_cost_fft(const gc_corr_problem *p, int threads)
{
    int64_t L[3], S;
    gc_corr_fft_sizes(p, L, &S);
    const double n = (double)L[0] * (double)L[1] * (double)L[2];
    const double P = (double)p->nin, Q = (double)p->nout;
    const double transforms = p->pairing == GC_PAIR_SUM ? P + Q * P + Q : 3.0 * Q;
    const double products = p->pairing == GC_PAIR_SUM ? Q * P : Q;
    const double c = p->dtype == GC_DTYPE_F32 ? GC_COST_FFT_F32_NS : GC_COST_FFT_F64_NS;
    const double in_elems = P * (double)p->n[0] * (double)p->n[1] * (double)p->n[2];
    const double phases = threads > 1 ? 7.0 * (Q < 2.0 * threads ? Q : 1.0) : 0.0;
    return (c * n * log2(n > 2 ? n : 2) * transforms + GC_COST_MUL_NS * (double)S * products) /
               (double)threads +
           GC_COST_FIXED_NS + GC_COST_PHASE_NS * phases + GC_COST_SCAN_NS * in_elems;
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

/* One pass over input plane i: sum of squares (not finite iff a value is NaN/Inf, or so
 * large that its square overflows: either way, direct), integer-valued or not, and the least
 * energy over the aligned blocks of ceil(k/2) per dim of the padded domain (see the top). */
static gc_status gc_plane_scan(gc_context *ctx, const gc_corr_problem *p, int64_t i,
                               double *sumsq, double *emin, int *all_int)
{
    int64_t b[3], nb[3], cells = 1;
    for (int d = 0; d < 3; d++) {
        b[d] = (p->k[d] + 1) / 2;
        nb[d] = (p->o[d] + p->k[d] - 1) / b[d]; /* full blocks of the padded domain */
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
            double *row = bz < nb[0] && by < nb[1] ? grid + (bz * nb[1] + by) * nb[2] : NULL;
            /* block bx covers input columns [bx*b - pad, (bx+1)*b - pad) */
            int64_t x = 0;
            for (int64_t bx = 0; bx < nb[2] && x < p->n[2]; bx++) {
                int64_t x1 = (bx + 1) * b[2] - p->pad[2];
                if (x1 > p->n[2])
                    x1 = p->n[2];
                if (x1 <= x)
                    continue;
                const double s = gc_row_sumsq(p->in, p->dtype, off + x * sx, x1 - x, sx, all_int);
                if (row)
                    row[bx] += s;
                total += s;
                x = x1;
            }
            if (x < p->n[2])
                total += gc_row_sumsq(p->in, p->dtype, off + x * sx, p->n[2] - x, sx, all_int);
        }
    }
    double mn = INFINITY;
    for (int64_t c = 0; c < cells; c++)
        if (grid[c] < mn)
            mn = grid[c];
    gc_free(ctx, grid);
    *sumsq = total;
    *emin = mn;
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
                           "(use auto or direct)");
        *chosen = GC_CORR_METHOD_FFT;
        return GC_OK;
    }
    if (!gc_fft_available())
        return GC_OK;
    const int threads = gc_context_threads(ctx);
    if (gc_cost_fft(p, threads) >= gc_cost_direct(ctx, p, threads))
        return GC_OK;
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
    int64_t L[3], S;
    gc_corr_fft_sizes(p, L, &S);
    const double nfft = (double)L[0] * (double)L[1] * (double)L[2];
    const double log2n = log2(nfft > 2 ? nfft : 2);
    const double m = (double)p->k[0] * (double)p->k[1] * (double)p->k[2] *
                     (p->pairing == GC_PAIR_SUM ? (double)p->nin : 1.0);
    int in_int = k_int, range_ok = 1;
    for (int64_t i = 0; i < p->nin; i++) {
        double sumsq = 0.0, emin = 0.0;
        gc_status st = gc_plane_scan(ctx, p, i, &sumsq, &emin, &in_int);
        if (st != GC_OK)
            return st;
        if (!isfinite(sumsq))
            return GC_OK; /* NaN / Inf */
        if (!(GC_FFT_ERROR_C * log2n * sqrt(sumsq / nfft) <= (m + 2.0) * sqrt(emin)))
            range_ok = 0; /* (keep scanning: a later NaN still decides) */
    }
    if (in_int || !range_ok)
        return GC_OK;
    *chosen = GC_CORR_METHOD_FFT;
    return GC_OK;
}
