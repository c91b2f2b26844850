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

/* Measured constants (see docs/DESIGN.md). */
#define GC_COST_DIRECT_F32_GFLOPS 90.0   /* per thread, AVX-512 / AVX2 kernels, k >= 5 */
#define GC_COST_DIRECT_F64_GFLOPS 45.0
#define GC_COST_DIRECT_SCALAR_GFLOPS 6.0
#define GC_COST_FFT_F32_NS 0.45          /* per N log2 N of one transform */
#define GC_COST_FFT_F64_NS 0.75
#define GC_COST_MUL_NS 0.6               /* per spectrum element of a complex multiply-add */
#define GC_COST_SCAN_NS 0.6              /* per input element of the data checks */
#define GC_COST_FIXED_NS 40000.0         /* plan lookup, workspace, thread start-ups */

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
        rate *= 0.6;
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
    return (c * n * log2(n > 2 ? n : 2) * transforms + GC_COST_MUL_NS * (double)S * products) /
               (double)threads +
           GC_COST_FIXED_NS + GC_COST_SCAN_NS * in_elems;
}

/* Whole-tensor checks of a strided operand: integer-valued, finite. */
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

/* 1 if the FFT bound stays within the direct bound for input plane i (see the top). */
static gc_status gc_plane_range_ok(gc_context *ctx, const gc_corr_problem *p, int64_t i,
                                   double log2n, double nfft, int *ok)
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
    double sumsq = 0.0;
    for (int64_t z = 0; z < p->n[0]; z++) {
        const int64_t bz = (z + p->pad[0]) / b[0];
        for (int64_t y = 0; y < p->n[1]; y++) {
            const int64_t by = (y + p->pad[1]) / b[1];
            const int64_t off = i * p->in_s[0] + z * p->in_s[1] + y * p->in_s[2];
            const int in_grid = bz < nb[0] && by < nb[1];
            double *row = grid + (bz * nb[1] + by) * nb[2];
            for (int64_t x = 0; x < p->n[2]; x++) {
                const double v = gc_load(p->in, p->dtype, off + x * p->in_s[3]);
                const double v2 = v * v;
                sumsq += v2;
                const int64_t bx = (x + p->pad[2]) / b[2];
                if (in_grid && bx < nb[2])
                    row[bx] += v2;
            }
        }
    }
    double emin = INFINITY;
    for (int64_t c = 0; c < cells; c++)
        if (grid[c] < emin)
            emin = grid[c];
    gc_free(ctx, grid);
    const double m = (double)p->k[0] * (double)p->k[1] * (double)p->k[2] *
                     (p->pairing == GC_PAIR_SUM ? (double)p->nin : 1.0);
    *ok = GC_FFT_ERROR_C * log2n * sqrt(sumsq / nfft) <= (m + 2.0) * sqrt(emin);
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
    /* FFT would be faster: is it allowed? */
    int all_int = 1, finite = 1;
    const int64_t ks = p->pairing == GC_PAIR_SUM ? p->k_s[1] : p->k_s[0];
    const int64_t kplanes = p->pairing == GC_PAIR_SUM    ? p->nout * p->nin
                            : p->pairing == GC_PAIR_PLANEWISE ? p->nout
                                                              : 1;
    gc_scan_flags(p->in, p->dtype, p->nin, p->in_s[0], p->n, p->in_s + 1, &all_int, &finite);
    if (finite) {
        if (p->pairing == GC_PAIR_SUM) /* [q][p] planes: walk q x p as q*p planes when packed */
            for (int64_t j = 0; j < p->nout && finite; j++)
                gc_scan_flags((const char *)p->ker + (size_t)(j * p->k_s[0]) * gc_dtype_size(p->dtype),
                              p->dtype, p->nin, p->k_s[1], p->k, p->k_s + 2, &all_int, &finite);
        else
            gc_scan_flags(p->ker, p->dtype, kplanes, ks, p->k, p->k_s + 2, &all_int, &finite);
    }
    if (!finite || all_int)
        return GC_OK;
    int64_t L[3], S;
    gc_corr_fft_sizes(p, L, &S);
    const double nfft = (double)L[0] * (double)L[1] * (double)L[2];
    for (int64_t i = 0; i < p->nin; i++) {
        int ok = 0;
        gc_status st = gc_plane_range_ok(ctx, p, i, log2(nfft > 2 ? nfft : 2), nfft, &ok);
        if (st != GC_OK)
            return st;
        if (!ok)
            return GC_OK;
    }
    *chosen = GC_CORR_METHOD_FFT;
    return GC_OK;
}
