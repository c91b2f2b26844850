/* corr_fft.c - xcorr2/conv2/xcorr3/conv3 by FFT, tiled (overlap-save).
 *
 * Shapes per spatial dim d (depth is 1 for the 2-D ops): input n, kernel k, output o, zero
 * padding pad in [0, k-1]; out[y] reads the input at y - pad .. y - pad + k - 1.
 * The output is cut into tiles of B (the last one shorter). Tile t is a valid-mode
 * correlation of the input window w = [t*B - pad, t*B - pad + B + k - 1) (zeros outside
 * the input) with the kernel. With g the kernel as a convolution kernel (xcorr: k reversed
 * in every spatial dim; conv: k as stored), a cyclic convolution of length T >= B + k - 1
 * gives out[t*B + y] = (w conv g)[y + k - 1] for y in [0, B): nothing wraps onto those
 * points. So per tile: one real-to-complex transform of the window (per input plane), a
 * product with the kernel spectrum (summed over input planes for the q x p pairing: the sum
 * runs in the frequency domain), one complex-to-real transform back (per output plane),
 * crop and scale by 1/T^d. The kernel spectra at the tile size are made once per call.
 *
 * T is chosen per dim among 2^a, 3*2^a, 5*2^a and the whole-output size by a cost model
 * (gc_corr_fft_tiling): small tiles waste the k-1 overlap, big ones pay log T and leave
 * the caches. Tiles keep the FFT error local too (a tile's error scales with its own
 * window, see gramconv.h, "Correlation by FFT").
 *
 * Threads: units of work are (tile) for the q x p pairing, (output plane, tile) otherwise,
 * spread over the threads with per-thread buffers; a unit is computed the same way whichever
 * thread runs it, so results do not depend on the thread count. */
#include "ops/corr/corr_fft.h"

#include <math.h>
#include <string.h>

/* Fitted first on wall-clock times under heavy load, then all scaled by 0.5 to the thread CPU
 * times of the quiet machine (1024 x 1024 float32 V, k = 13..21: 5.6-6.6 ms measured, the
 * model says 5.7-6.2), the scale of the direct rates in corr_method.c. */
#define GC_FFT_F32_NS 0.125  /* per N log2 N of one real transform, one thread (measured) */
#define GC_FFT_F64_NS 0.2
#define GC_FFT_COPY_NS 0.3   /* per point: fill, multiply, store */
#define GC_FFT_TILE_NS 1500.0 /* per tile and plane: calls, edges */
#define GC_FFT_FIXED_NS 10000.0
#define GC_FFT_L2_BYTES (1 << 20)

typedef struct fft_job {
    const gc_corr_problem *p;
    int sd;                   /* transform rank: 3 if any depth, else 2 */
    gc_dtype dt;
    size_t esz, csz;
    int64_t T[3], B[3], nt[3], ntiles;
    int64_t nreal, ncplx;     /* elements of a real tile buffer / of a spectrum */
    size_t real_bytes, spec_bytes;
    double scale;
    void *r2c, *c2r;
    char *kspec;              /* kernel spectra: [nk] */
    char *work;               /* per thread: real buffer + nx spectra */
    size_t per_thread;
    int64_t nx;               /* input spectra per thread (P for the sum pairing, else 1) */
} fft_job;

static size_t fft_align64(size_t n) { return (n + 63) & ~(size_t)63; }

static int64_t fft_good(int64_t n)
{
    for (int64_t m = n > 1 ? n : 1;; m++) {
        int64_t r = m;
        while (r % 2 == 0)
            r /= 2;
        while (r % 3 == 0)
            r /= 3;
        while (r % 5 == 0)
            r /= 5;
        while (r % 7 == 0)
            r /= 7;
        if (r == 1)
            return m;
    }
}

/* Estimated ns for tiles of T (B = min(o, T-k+1) outputs each) on `threads` threads. */
static double fft_cost(const gc_corr_problem *p, const int64_t T[3], int threads)
{
    double tiles = 1.0, nt = 1.0;
    for (int d = 0; d < 3; d++) {
        const int64_t b = T[d] - p->k[d] + 1;
        if (b < 1)
            return INFINITY;
        tiles *= (double)((p->o[d] + b - 1) / b);
        nt *= (double)T[d];
    }
    const double P = (double)p->nin, Q = (double)p->nout;
    const double fwd = p->pairing == GC_PAIR_SUM ? P : Q, inv = Q;
    const double nk = p->pairing == GC_PAIR_SUM ? P * Q : Q;
    const double prods = p->pairing == GC_PAIR_SUM ? P * Q : Q;
    double c = (p->dtype == GC_DTYPE_F32 ? GC_FFT_F32_NS : GC_FFT_F64_NS) * nt * log2(nt > 2 ? nt : 2);
    if (nt * (double)gc_dtype_size(p->dtype) * 2.0 > GC_FFT_L2_BYTES)
        c *= 1.5; /* a tile that leaves L2 */
    const double per_tile = c * (fwd + inv) + GC_FFT_COPY_NS * nt * (fwd + inv + prods / 2.0) +
                            GC_FFT_TILE_NS * (fwd + inv);
    const double kernels = nk * (c + GC_FFT_COPY_NS * nt);
    double units = p->pairing == GC_PAIR_SUM ? tiles : tiles * Q;
    double par = units < (double)threads ? units : (double)threads;
    return tiles * per_tile / par + kernels / (nk < threads ? nk : threads) + GC_FFT_FIXED_NS;
}

void gc_corr_fft_tiling(const gc_corr_problem *p, int threads, int64_t T[3], int64_t B[3],
                        double *cost)
{
    /* candidates per dim: 2^a, 3*2^a, 5*2^a in [k, 1024], and the whole output */
    int64_t cand[3][40];
    int nc[3];
    for (int d = 0; d < 3; d++) {
        nc[d] = 0;
        const int64_t whole = fft_good(p->o[d] + p->k[d] - 1);
        cand[d][nc[d]++] = whole;
        for (int64_t base = 1; base <= 5; base += 2)
            for (int64_t t = base; t <= 1024 && t < whole; t *= 2)
                if (t >= p->k[d] + (p->k[d] > 1 ? 1 : 0) && nc[d] < 40)
                    cand[d][nc[d]++] = t;
    }
    (void)threads;
    double best = INFINITY;
    int64_t bt[3] = {cand[0][0], cand[1][0], cand[2][0]};
    for (int a = 0; a < nc[0]; a++)
        for (int b = 0; b < nc[1]; b++)
            for (int c = 0; c < nc[2]; c++) {
                const int64_t t[3] = {cand[0][a], cand[1][b], cand[2][c]};
                const double e = fft_cost(p, t, 1); /* tiles never depend on threads */
                if (e < best) {
                    best = e;
                    memcpy(bt, t, sizeof bt);
                }
            }
    for (int d = 0; d < 3; d++) {
        T[d] = bt[d];
        B[d] = T[d] - p->k[d] + 1;
        if (B[d] > p->o[d])
            B[d] = p->o[d];
    }
    *cost = fft_cost(p, T, threads);
}

/* Fill the real buffer [T0][T1][T2] with the input window of tile (t0,t1,t2), plane i. */
static void fft_fill_window(const fft_job *jb, char *buf, int64_t i, const int64_t t[3])
{
    const gc_corr_problem *p = jb->p;
    int64_t w0[3], we[3]; /* window origin (input coords) and length */
    for (int d = 0; d < 3; d++) {
        w0[d] = t[d] * jb->B[d] - p->pad[d];
        we[d] = jb->B[d] + p->k[d] - 1;
    }
    memset(buf, 0, jb->real_bytes);
    const int64_t x_lo = w0[2] < 0 ? -w0[2] : 0;
    int64_t x_hi = p->n[2] - w0[2];
    if (x_hi > we[2])
        x_hi = we[2];
    for (int64_t z = 0; z < we[0]; z++) {
        const int64_t iz = w0[0] + z;
        if (iz < 0 || iz >= p->n[0])
            continue;
        for (int64_t y = 0; y < we[1]; y++) {
            const int64_t iy = w0[1] + y;
            if (iy < 0 || iy >= p->n[1])
                continue;
            const int64_t src = i * p->in_s[0] + iz * p->in_s[1] + iy * p->in_s[2] +
                                (w0[2] + x_lo) * p->in_s[3];
            const int64_t dst = (z * jb->T[1] + y) * jb->T[2];
            const int64_t sx = p->in_s[3];
            if (jb->dt == GC_DTYPE_F32) {
                const float *s = (const float *)p->in + src;
                float *o = (float *)buf + dst;
                for (int64_t x = x_lo; x < x_hi; x++)
                    o[x] = s[(x - x_lo) * sx];
            } else {
                const double *s = (const double *)p->in + src;
                double *o = (double *)buf + dst;
                for (int64_t x = x_lo; x < x_hi; x++)
                    o[x] = s[(x - x_lo) * sx];
            }
        }
    }
}

/* The kernel feeding output plane j from input plane i, as a convolution kernel. */
static void fft_fill_kernel(const fft_job *jb, char *buf, int64_t j, int64_t i)
{
    const gc_corr_problem *p = jb->p;
    const int64_t base = p->pairing == GC_PAIR_SUM ? j * p->k_s[0] + i * p->k_s[1]
                         : p->pairing == GC_PAIR_PLANEWISE ? j * p->k_s[0] : 0;
    const int rev = !p->flip;
    memset(buf, 0, jb->real_bytes);
    for (int64_t z = 0; z < p->k[0]; z++)
        for (int64_t y = 0; y < p->k[1]; y++)
            for (int64_t x = 0; x < p->k[2]; x++) {
                const int64_t sz = rev ? p->k[0] - 1 - z : z, sy = rev ? p->k[1] - 1 - y : y,
                              sx = rev ? p->k[2] - 1 - x : x;
                const double v = gc_load(p->ker, p->dtype,
                                         base + sz * p->k_s[2] + sy * p->k_s[3] + sx * p->k_s[4]);
                gc_store(buf, p->dtype, (z * jb->T[1] + y) * jb->T[2] + x, v);
            }
}

/* y (+)= x * k over a spectrum. */
static void fft_mul(const fft_job *jb, char *yv, const char *xv, const char *kv, int acc)
{
    const int64_t n = jb->ncplx;
    if (jb->dt == GC_DTYPE_F32) {
        float *y = (float *)yv;
        const float *x = (const float *)xv, *k = (const float *)kv;
        if (acc)
            for (int64_t c = 0; c < n; c++) {
                const float xr = x[2 * c], xi = x[2 * c + 1], kr = k[2 * c], ki = k[2 * c + 1];
                y[2 * c] += xr * kr - xi * ki;
                y[2 * c + 1] += xr * ki + xi * kr;
            }
        else
            for (int64_t c = 0; c < n; c++) {
                const float xr = x[2 * c], xi = x[2 * c + 1], kr = k[2 * c], ki = k[2 * c + 1];
                y[2 * c] = xr * kr - xi * ki;
                y[2 * c + 1] = xr * ki + xi * kr;
            }
    } else {
        double *y = (double *)yv;
        const double *x = (const double *)xv, *k = (const double *)kv;
        if (acc)
            for (int64_t c = 0; c < n; c++) {
                const double xr = x[2 * c], xi = x[2 * c + 1], kr = k[2 * c], ki = k[2 * c + 1];
                y[2 * c] += xr * kr - xi * ki;
                y[2 * c + 1] += xr * ki + xi * kr;
            }
        else
            for (int64_t c = 0; c < n; c++) {
                const double xr = x[2 * c], xi = x[2 * c + 1], kr = k[2 * c], ki = k[2 * c + 1];
                y[2 * c] = xr * kr - xi * ki;
                y[2 * c + 1] = xr * ki + xi * kr;
            }
    }
}

/* Back-transform spectrum `spec` (destroyed) through `buf` and store tile t of plane j. */
static void fft_store(const fft_job *jb, char *buf, char *spec, int64_t j, const int64_t t[3])
{
    const gc_corr_problem *p = jb->p;
    gc_fft_exec(jb->dt, GC_FFT_C2R_ND, jb->c2r, spec, buf);
    int64_t o0[3], ob[3];
    for (int d = 0; d < 3; d++) {
        o0[d] = t[d] * jb->B[d];
        ob[d] = p->o[d] - o0[d] < jb->B[d] ? p->o[d] - o0[d] : jb->B[d];
    }
    const int64_t a0 = p->k[0] - 1, a1 = p->k[1] - 1, a2 = p->k[2] - 1, sx = p->out_s[3];
    for (int64_t z = 0; z < ob[0]; z++)
        for (int64_t y = 0; y < ob[1]; y++) {
            const int64_t src = ((a0 + z) * jb->T[1] + a1 + y) * jb->T[2] + a2;
            const int64_t dst = j * p->out_s[0] + (o0[0] + z) * p->out_s[1] +
                                (o0[1] + y) * p->out_s[2] + o0[2] * sx;
            if (jb->dt == GC_DTYPE_F32) {
                const float *s = (const float *)buf + src;
                float *o = (float *)p->out + dst;
                const float sc = (float)jb->scale;
                for (int64_t x = 0; x < ob[2]; x++)
                    o[x * sx] = s[x] * sc;
            } else {
                const double *s = (const double *)buf + src;
                double *o = (double *)p->out + dst;
                for (int64_t x = 0; x < ob[2]; x++)
                    o[x * sx] = s[x] * jb->scale;
            }
        }
}

double gc_corr_fft_workspace(const gc_corr_problem *p, int threads)
{
    int64_t T[3], B[3];
    double cost;
    gc_corr_fft_tiling(p, threads, T, B, &cost);
    const double esz = (double)gc_dtype_size(p->dtype);
    const double spec = (double)T[0] * (double)T[1] * (double)(T[2] / 2 + 1) * 2.0 * esz + 64.0;
    const double real = (double)T[0] * (double)T[1] * (double)T[2] * esz + 64.0;
    const double P = (double)p->nin, Q = (double)p->nout;
    const double nk = p->pairing == GC_PAIR_SUM ? P * Q : p->pairing == GC_PAIR_PLANEWISE ? Q : 1.0;
    const double nx = p->pairing == GC_PAIR_SUM ? P + 1.0 : 1.0;
    return nk * spec + (double)threads * (real + nx * spec);
}

static void fft_tile_index(const fft_job *jb, int64_t u, int64_t t[3])
{
    t[2] = u % jb->nt[2];
    t[1] = u / jb->nt[2] % jb->nt[1];
    t[0] = u / jb->nt[2] / jb->nt[1];
}

static void fft_kernel_task(int64_t u, int thread, void *arg)
{
    const fft_job *jb = arg;
    const gc_corr_problem *p = jb->p;
    char *buf = jb->work + (size_t)thread * jb->per_thread;
    const int64_t j = p->pairing == GC_PAIR_SUM ? u / p->nin : u;
    const int64_t i = p->pairing == GC_PAIR_SUM ? u % p->nin : 0;
    fft_fill_kernel(jb, buf, j, i);
    gc_fft_exec(jb->dt, GC_FFT_R2C_ND, jb->r2c, buf, jb->kspec + (size_t)u * jb->spec_bytes);
}

static void fft_unit_task(int64_t u, int thread, void *arg)
{
    const fft_job *jb = arg;
    const gc_corr_problem *p = jb->p;
    char *buf = jb->work + (size_t)thread * jb->per_thread;
    char *xs = buf + jb->real_bytes;
    int64_t t[3];
    if (p->pairing == GC_PAIR_SUM) {
        fft_tile_index(jb, u, t);
        for (int64_t i = 0; i < p->nin; i++) {
            fft_fill_window(jb, buf, i, t);
            gc_fft_exec(jb->dt, GC_FFT_R2C_ND, jb->r2c, buf, xs + (size_t)i * jb->spec_bytes);
        }
        char *y = xs + (size_t)p->nin * jb->spec_bytes;
        for (int64_t j = 0; j < p->nout; j++) {
            for (int64_t i = 0; i < p->nin; i++)
                fft_mul(jb, y, xs + (size_t)i * jb->spec_bytes,
                        jb->kspec + (size_t)(j * p->nin + i) * jb->spec_bytes, i > 0);
            fft_store(jb, buf, y, j, t);
        }
        return;
    }
    const int64_t j = u / jb->ntiles;
    fft_tile_index(jb, u % jb->ntiles, t);
    fft_fill_window(jb, buf, j, t);
    gc_fft_exec(jb->dt, GC_FFT_R2C_ND, jb->r2c, buf, xs);
    fft_mul(jb, xs, xs, jb->kspec + (size_t)(p->pairing == GC_PAIR_PLANEWISE ? j : 0) * jb->spec_bytes, 0);
    fft_store(jb, buf, xs, j, t);
}

gc_status gc_corr_fft_run(gc_context *ctx, const gc_corr_problem *p)
{
    if (!gc_fft_available())
        return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                       "the FFT method needs FFTW3, which this build of gramconv does not have; "
                       "install " GC_PKG_FFTW " (scripts/install-deps.sh) and rebuild");
    /* a boundary matters only where outputs read outside the input: gc_corr pads those
     * problems first; one that reads only inside (mode V, a 1x1 kernel) comes as it is */
    if (gc_corr_needs_padding(p))
        return gc_fail(ctx, GC_ERR_INTERNAL, "FFT path given an unpadded boundary");
    for (int d = 0; d < 3; d++)
        if (p->pad[d] < 0 || p->pad[d] > p->k[d] - 1 || p->o[d] < 1)
            return gc_fail(ctx, GC_ERR_INTERNAL, "FFT path given padding outside [0, k-1]");
    const int nthreads = gc_context_threads(ctx);
    fft_job jb;
    memset(&jb, 0, sizeof jb);
    jb.p = p;
    jb.dt = p->dtype;
    jb.esz = gc_dtype_size(p->dtype);
    jb.csz = 2 * jb.esz;
    double cost;
    gc_corr_fft_tiling(p, nthreads, jb.T, jb.B, &cost);
    jb.ntiles = 1;
    for (int d = 0; d < 3; d++) {
        jb.nt[d] = (p->o[d] + jb.B[d] - 1) / jb.B[d];
        jb.ntiles *= jb.nt[d];
    }
    jb.sd = jb.T[0] > 1 ? 3 : 2;
    jb.nreal = jb.T[0] * jb.T[1] * jb.T[2];
    jb.ncplx = jb.T[0] * jb.T[1] * (jb.T[2] / 2 + 1);
    jb.scale = 1.0 / (double)jb.nreal;
    jb.real_bytes = fft_align64((size_t)jb.nreal * jb.esz);
    jb.spec_bytes = fft_align64((size_t)jb.ncplx * jb.csz);
    jb.nx = p->pairing == GC_PAIR_SUM ? p->nin + 1 : 1;
    const int64_t nk = p->pairing == GC_PAIR_SUM ? p->nin * p->nout
                       : p->pairing == GC_PAIR_PLANEWISE ? p->nout : 1;
    const int64_t units = p->pairing == GC_PAIR_SUM ? jb.ntiles : jb.ntiles * p->nout;
    int64_t per, total, ks;
    if (!gc_mul_ok((int64_t)jb.spec_bytes, jb.nx, &per) ||
        !gc_add_ok(per, (int64_t)jb.real_bytes, &per) ||
        !gc_mul_ok(per, nthreads, &total) || !gc_mul_ok((int64_t)jb.spec_bytes, nk, &ks) ||
        !gc_add_ok(total, ks, &total))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "FFT workspace size overflows");
    jb.per_thread = (size_t)per;
    void *ws;
    gc_status st = gc_alloc(ctx, total, 1, &ws);
    if (st != GC_OK)
        return st;
    jb.kspec = ws;
    jb.work = jb.kspec + (size_t)ks;
    const int64_t *dims = jb.sd == 3 ? jb.T : jb.T + 1;
    jb.r2c = gc_fft_plan_nd(jb.dt, GC_FFT_R2C_ND, jb.sd, dims, jb.work, jb.kspec);
    jb.c2r = gc_fft_plan_nd(jb.dt, GC_FFT_C2R_ND, jb.sd, dims, jb.kspec, jb.work);
    if (!jb.r2c || !jb.c2r) {
        gc_free(ctx, ws);
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "FFTW could not plan a %lld x %lld x %lld transform",
                       (long long)jb.T[0], (long long)jb.T[1], (long long)jb.T[2]);
    }
    st = gc_parallel_for(ctx, nthreads, nk, fft_kernel_task, &jb);
    if (st == GC_OK)
        st = gc_parallel_for(ctx, nthreads, units, fft_unit_task, &jb);
    gc_free(ctx, ws);
    return st;
}
