/* corr_fft.c - xcorr2/conv2/xcorr3/conv3 by FFT.
 *
 * Shapes (per spatial dim d; depth is 1 for the 2-D ops): input n, kernel k, output o, zero
 * padding pad in [0, k-1]. With g the kernel as a convolution kernel (xcorr: k reversed;
 * conv: k as stored), out[y] = (in conv g)[y + a] with a = k-1-pad. A cyclic convolution of
 * length L gives that for every y in [0, o) as long as L >= n + pad (nothing wraps onto the
 * outputs) and L >= a + o (the outputs fit), and L >= k: that is L >= n in mode V, so a
 * 1024-wide valid correlation runs on 1024-point transforms. L is rounded up to a product
 * of 2, 3, 5 and 7.
 *
 * A spectrum is [L0][L1][wp] complex (wc = L2/2+1 used, wp >= wc for 64-byte rows). The
 * forward transform is separable: r2c rows (only the rows that hold data; the others are
 * zero), complex transforms down the columns of each depth slice that holds data (batches of
 * `bc` adjacent columns), then along depth. The inverse runs the other way and transforms
 * back only the depth slices and rows the output needs. Per output plane j:
 *   Y_j = sum_i X_i * G_ji  (the q x p pairing sums in the frequency domain; else one term)
 * Work runs either plane-parallel (each thread whole transforms, when there are many planes)
 * or phase-parallel (the rows / column batches of one transform spread over the threads).
 * Which thread does what never changes a result: every row and batch is computed the same
 * way wherever it runs, and the sum over i runs in increasing i. */
#include "corr_fft.h"

#include <math.h>
#include <string.h>

typedef struct fft_src {      /* a real source array: input plane or kernel */
    const char *base;
    int64_t s[3], e[3];       /* strides and extents (depth, rows, columns) */
    int rev;                  /* read reversed in every spatial dim */
} fft_src;

typedef struct fft_job {
    const gc_corr_problem *p;
    gc_dtype dt;
    size_t esz, csz;          /* real and complex element sizes */
    int64_t L[3], wc, wp, S;  /* lengths, complex columns, row pitch, spectrum elements */
    int64_t a[3];             /* first output index in the cyclic result */
    int64_t bc;               /* columns per batch */
    double scale;
    int nthreads, plane_par;
    char *stage;              /* per thread: one real row of L2 (64-byte aligned) */
    size_t stage_bytes;
    char *spec;               /* per worker (nthreads if plane_par, else 1): 2 spectra */
    char *xspec;              /* SUM: the input spectra, P of them */
    size_t spec_bytes;
    void *r2c, *c2r;          /* row plans */
    void *cols[2][2][2];      /* [pass: 0 rows-down, 1 depth][dir: 0 fwd, 1 bwd][full, rem] */
    int64_t ncols[2], cstride[2];
} fft_job;

enum { PH_FWD_ROWS, PH_FWD_COLS, PH_FWD_DEPTH, PH_MUL, PH_INV_DEPTH, PH_INV_COLS, PH_INV_ROWS };

typedef struct fft_phase {
    const fft_job *job;
    int op;
    char *spec;               /* the spectrum transformed / written */
    const char *x, *k;        /* PH_MUL: spec (+)= x * k */
    int accumulate;
    const fft_src *src;       /* PH_FWD_ROWS */
    int64_t j;                /* PH_INV_ROWS: output plane */
} fft_phase;

static int64_t gc_fft_good_size(int64_t n)
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

void gc_corr_fft_sizes(const gc_corr_problem *p, int64_t L[3], int64_t *spectrum)
{
    for (int d = 0; d < 3; d++) {
        const int64_t a = p->k[d] - 1 - p->pad[d];
        int64_t need = p->n[d] + p->pad[d];
        if (a + p->o[d] > need)
            need = a + p->o[d];
        if (p->k[d] > need)
            need = p->k[d];
        L[d] = gc_fft_good_size(need);
    }
    const int64_t wc = L[2] / 2 + 1;
    const int64_t wp = (wc + 7) / 8 * 8; /* 64-byte rows for float32 and float64 complex */
    *spectrum = L[0] * L[1] * wp;
}

static size_t gc_fft_align64(size_t n) { return (n + 63) & ~(size_t)63; }

static char *fft_row(const fft_job *jb, char *spec, int64_t z, int64_t y)
{
    return spec + (size_t)((z * jb->L[1] + y) * jb->wp) * jb->csz;
}

/* Column batches of one depth slice (or of the flattened [L1*wp] for depth). */
static int64_t fft_batches(const fft_job *jb, int64_t ncols)
{
    return (ncols + jb->bc - 1) / jb->bc;
}

static void fft_columns(const fft_job *jb, char *base, int pass, int64_t batch, int dir)
{
    const int64_t c0 = batch * jb->bc;
    const int rem = jb->ncols[pass] - c0 < jb->bc && jb->ncols[pass] > jb->bc;
    char *ptr = base + (size_t)c0 * jb->csz;
    gc_fft_exec(jb->dt, dir ? GC_FFT_C2C_BWD : GC_FFT_C2C_FWD, jb->cols[pass][dir][rem], ptr, ptr);
}

static void fft_phase_task(int64_t t, int thread, void *arg)
{
    const fft_phase *ph = arg;
    const fft_job *jb = ph->job;
    const gc_corr_problem *p = jb->p;
    const int64_t *L = jb->L;
    char *stage = jb->stage + (size_t)thread * jb->stage_bytes;
    switch (ph->op) {
    case PH_FWD_ROWS: { /* row t of [L0][L1]: r2c if it holds data, else zeros */
        const int64_t z = t / L[1], y = t % L[1];
        char *row = fft_row(jb, ph->spec, z, y);
        const fft_src *s = ph->src;
        if (z >= s->e[0] || y >= s->e[1]) {
            memset(row, 0, (size_t)jb->wp * jb->csz);
            return;
        }
        const int64_t sz = s->rev ? s->e[0] - 1 - z : z, sy = s->rev ? s->e[1] - 1 - y : y;
        const int64_t nx = s->e[2];
        const int64_t x0 = s->rev ? (nx - 1) * s->s[2] : 0, dx = s->rev ? -s->s[2] : s->s[2];
        const int64_t off = sz * s->s[0] + sy * s->s[1] + x0;
        if (jb->dt == GC_DTYPE_F32) {
            const float *src = (const float *)s->base + off;
            float *d = (float *)stage;
            for (int64_t x = 0; x < nx; x++)
                d[x] = src[x * dx];
            for (int64_t x = nx; x < L[2]; x++)
                d[x] = 0.0f;
        } else {
            const double *src = (const double *)s->base + off;
            double *d = (double *)stage;
            for (int64_t x = 0; x < nx; x++)
                d[x] = src[x * dx];
            for (int64_t x = nx; x < L[2]; x++)
                d[x] = 0.0;
        }
        gc_fft_exec(jb->dt, GC_FFT_R2C, jb->r2c, stage, row);
        memset(row + (size_t)jb->wc * jb->csz, 0, (size_t)(jb->wp - jb->wc) * jb->csz);
        return;
    }
    case PH_FWD_COLS:
    case PH_INV_COLS: { /* batch t over the data slices (forward) or the output slices */
        const int64_t nb = fft_batches(jb, jb->wc);
        const int64_t zi = t / nb, b = t % nb;
        const int64_t z = ph->op == PH_FWD_COLS ? zi : jb->a[0] + zi;
        fft_columns(jb, fft_row(jb, ph->spec, z, 0), 0, b, ph->op == PH_INV_COLS);
        return;
    }
    case PH_FWD_DEPTH:
    case PH_INV_DEPTH:
        fft_columns(jb, ph->spec, 1, t, ph->op == PH_INV_DEPTH);
        return;
    case PH_MUL: { /* row t of [L0][L1]: spec (+)= x * k, complex */
        const size_t off = (size_t)(t * jb->wp);
        const int64_t n = jb->wc;
        if (jb->dt == GC_DTYPE_F32) {
            float *y = (float *)ph->spec + 2 * off;
            const float *x = (const float *)ph->x + 2 * off, *k = (const float *)ph->k + 2 * off;
            if (ph->accumulate)
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
            double *y = (double *)ph->spec + 2 * off;
            const double *x = (const double *)ph->x + 2 * off, *k = (const double *)ph->k + 2 * off;
            if (ph->accumulate)
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
        return;
    }
    case PH_INV_ROWS: { /* output row t of [o0][o1]: c2r, then the cropped, scaled store */
        const int64_t oz = t / p->o[1], oy = t % p->o[1];
        char *row = fft_row(jb, ph->spec, jb->a[0] + oz, jb->a[1] + oy);
        gc_fft_exec(jb->dt, GC_FFT_C2R, jb->c2r, row, stage);
        const int64_t base = ph->j * p->out_s[0] + oz * p->out_s[1] + oy * p->out_s[2];
        const int64_t sx = p->out_s[3], a2 = jb->a[2];
        if (jb->dt == GC_DTYPE_F32) {
            const float *s = (const float *)stage + a2;
            float *o = (float *)p->out + base;
            const float sc = (float)jb->scale;
            for (int64_t x = 0; x < p->o[2]; x++)
                o[x * sx] = s[x] * sc;
        } else {
            const double *s = (const double *)stage + a2;
            double *o = (double *)p->out + base;
            for (int64_t x = 0; x < p->o[2]; x++)
                o[x * sx] = s[x] * jb->scale;
        }
        return;
    }
    default:
        return;
    }
}

/* Run one phase: on the calling worker (thread >= 0, plane-parallel) or over all threads. */
static gc_status fft_run(gc_context *ctx, const fft_job *jb, fft_phase *ph, int64_t ntasks,
                         int thread)
{
    if (thread >= 0) {
        for (int64_t t = 0; t < ntasks; t++)
            fft_phase_task(t, thread, ph);
        return GC_OK;
    }
    return gc_parallel_for(ctx, jb->nthreads, ntasks, fft_phase_task, ph);
}

static gc_status fft_forward(gc_context *ctx, const fft_job *jb, const fft_src *src, char *spec,
                             int thread)
{
    fft_phase ph = {.job = jb, .op = PH_FWD_ROWS, .spec = spec, .src = src};
    gc_status st = fft_run(ctx, jb, &ph, jb->L[0] * jb->L[1], thread);
    if (st != GC_OK)
        return st;
    ph.op = PH_FWD_COLS;
    if (jb->L[1] > 1 && (st = fft_run(ctx, jb, &ph, src->e[0] * fft_batches(jb, jb->wc), thread)) != GC_OK)
        return st;
    ph.op = PH_FWD_DEPTH;
    if (jb->L[0] > 1)
        st = fft_run(ctx, jb, &ph, fft_batches(jb, jb->L[1] * jb->wp), thread);
    return st;
}

static gc_status fft_inverse(gc_context *ctx, const fft_job *jb, char *spec, int64_t j, int thread)
{
    const gc_corr_problem *p = jb->p;
    fft_phase ph = {.job = jb, .op = PH_INV_DEPTH, .spec = spec, .j = j};
    gc_status st = GC_OK;
    if (jb->L[0] > 1 && (st = fft_run(ctx, jb, &ph, fft_batches(jb, jb->L[1] * jb->wp), thread)) != GC_OK)
        return st;
    ph.op = PH_INV_COLS;
    if (jb->L[1] > 1 && (st = fft_run(ctx, jb, &ph, p->o[0] * fft_batches(jb, jb->wc), thread)) != GC_OK)
        return st;
    ph.op = PH_INV_ROWS;
    return fft_run(ctx, jb, &ph, p->o[0] * p->o[1], thread);
}

static gc_status fft_mul(gc_context *ctx, const fft_job *jb, char *y, const char *x,
                         const char *k, int accumulate, int thread)
{
    fft_phase ph = {.job = jb, .op = PH_MUL, .spec = y, .x = x, .k = k, .accumulate = accumulate};
    return fft_run(ctx, jb, &ph, jb->L[0] * jb->L[1], thread);
}

static fft_src fft_input_src(const fft_job *jb, int64_t i)
{
    const gc_corr_problem *p = jb->p;
    fft_src s = {.base = (const char *)p->in + (size_t)(i * p->in_s[0]) * jb->esz,
                 .s = {p->in_s[1], p->in_s[2], p->in_s[3]},
                 .e = {p->n[0], p->n[1], p->n[2]},
                 .rev = 0};
    return s;
}

/* The kernel feeding output plane j from input plane i, as a convolution kernel. */
static fft_src fft_kernel_src(const fft_job *jb, int64_t j, int64_t i)
{
    const gc_corr_problem *p = jb->p;
    const int64_t off = p->pairing == GC_PAIR_SUM ? j * p->k_s[0] + i * p->k_s[1]
                        : p->pairing == GC_PAIR_PLANEWISE ? j * p->k_s[0] : 0;
    fft_src s = {.base = (const char *)p->ker + (size_t)off * jb->esz,
                 .s = {p->k_s[2], p->k_s[3], p->k_s[4]},
                 .e = {p->k[0], p->k[1], p->k[2]},
                 .rev = !p->flip};
    return s;
}

/* Output plane j, with the worker's spectra (thread >= 0) or worker 0's (phase-parallel). */
static gc_status fft_output_plane(gc_context *ctx, const fft_job *jb, int64_t j, int thread)
{
    const gc_corr_problem *p = jb->p;
    char *y = jb->spec + (size_t)(thread < 0 ? 0 : thread) * 2 * jb->spec_bytes;
    char *k = y + jb->spec_bytes;
    gc_status st;
    if (p->pairing == GC_PAIR_SUM) {
        for (int64_t i = 0; i < p->nin; i++) {
            const fft_src ks = fft_kernel_src(jb, j, i);
            if ((st = fft_forward(ctx, jb, &ks, k, thread)) != GC_OK ||
                (st = fft_mul(ctx, jb, y, jb->xspec + (size_t)i * jb->spec_bytes, k, i > 0,
                              thread)) != GC_OK)
                return st;
        }
    } else {
        const fft_src xs = fft_input_src(jb, j), ks = fft_kernel_src(jb, j, 0);
        if ((st = fft_forward(ctx, jb, &xs, y, thread)) != GC_OK ||
            (st = fft_forward(ctx, jb, &ks, k, thread)) != GC_OK ||
            (st = fft_mul(ctx, jb, y, y, k, 0, thread)) != GC_OK)
            return st;
    }
    return fft_inverse(ctx, jb, y, j, thread);
}

typedef struct fft_unit_arg {
    gc_context *ctx;
    const fft_job *jb;
    int stage; /* 0: input spectra (SUM), 1: output planes */
    gc_status st[64];
} fft_unit_arg;

static void fft_unit_task(int64_t t, int thread, void *arg)
{
    fft_unit_arg *u = arg;
    const fft_job *jb = u->jb;
    gc_status st;
    if (u->stage == 0) {
        const fft_src xs = fft_input_src(jb, t);
        st = fft_forward(u->ctx, jb, &xs, jb->xspec + (size_t)t * jb->spec_bytes, thread);
    } else {
        st = fft_output_plane(u->ctx, jb, t, thread);
    }
    if (st != GC_OK)
        u->st[thread % 64] = st;
}

/* Make (or find) every plan the job uses, here, under the planner mutex: the workers then
 * only execute them. All rows and batches share one alignment (64-byte rows, batches of
 * 128 bytes), so one plan serves each kind. */
static int fft_plan_all(fft_job *jb, char *spec, char *stage)
{
    const gc_dtype dt = jb->dt;
    const int64_t *L = jb->L;
    jb->r2c = gc_fft_plan(dt, GC_FFT_R2C, L[2], 1, 1, stage, spec);
    jb->c2r = gc_fft_plan(dt, GC_FFT_C2R, L[2], 1, 1, spec, stage);
    int ok = jb->r2c && jb->c2r;
    const int64_t n[2] = {L[1], L[0]};
    for (int pass = 0; pass < 2 && ok; pass++)
        for (int dir = 0; dir < 2 && ok; dir++) {
            if (n[pass] <= 1)
                continue;
            const gc_fft_kind kind = dir ? GC_FFT_C2C_BWD : GC_FFT_C2C_FWD;
            const int64_t nc = jb->ncols[pass];
            const int64_t full = nc < jb->bc ? nc : jb->bc, rem = nc % jb->bc;
            ok = (jb->cols[pass][dir][0] =
                      gc_fft_plan(dt, kind, n[pass], full, jb->cstride[pass], spec, spec)) != NULL;
            if (ok && nc > jb->bc && rem) {
                char *ptr = spec + (size_t)(nc - rem) * jb->csz;
                ok = (jb->cols[pass][dir][1] =
                          gc_fft_plan(dt, kind, n[pass], rem, jb->cstride[pass], ptr, ptr)) != NULL;
            }
        }
    return ok;
}

gc_status gc_corr_fft_run(gc_context *ctx, const gc_corr_problem *p)
{
    if (!gc_fft_available())
        return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                       "the FFT method needs FFTW3, which this build of gramconv does not have");
    if (p->boundary != GC_BOUNDARY_FILL || p->fill != 0.0)
        return gc_fail(ctx, GC_ERR_INTERNAL, "FFT path given an unpadded boundary");
    for (int d = 0; d < 3; d++)
        if (p->pad[d] < 0 || p->pad[d] > p->k[d] - 1 || p->o[d] < 1)
            return gc_fail(ctx, GC_ERR_INTERNAL, "FFT path given padding outside [0, k-1]");
    fft_job jb;
    memset(&jb, 0, sizeof jb);
    jb.p = p;
    jb.dt = p->dtype;
    jb.esz = gc_dtype_size(p->dtype);
    jb.csz = 2 * jb.esz;
    gc_corr_fft_sizes(p, jb.L, &jb.S);
    jb.wc = jb.L[2] / 2 + 1;
    jb.wp = (jb.wc + 7) / 8 * 8;
    jb.bc = jb.esz == 4 ? 16 : 8;
    jb.ncols[0] = jb.wc;
    jb.cstride[0] = jb.wp;
    jb.ncols[1] = jb.cstride[1] = jb.L[1] * jb.wp;
    for (int d = 0; d < 3; d++)
        jb.a[d] = p->k[d] - 1 - p->pad[d];
    jb.scale = 1.0 / ((double)jb.L[0] * (double)jb.L[1] * (double)jb.L[2]);
    int nthreads = gc_context_threads(ctx);
    const int64_t units = p->nout;
    /* plane-parallel when every thread gets at least two planes, or planes are small */
    jb.plane_par = nthreads > 1 && (units >= 2 * (int64_t)nthreads ||
                                    (units >= nthreads && jb.S < (1 << 16)));
    jb.nthreads = nthreads;
    const int workers = jb.plane_par ? nthreads : 1;

    int64_t spec_b, stage_b, total, xs = 0;
    if (!gc_mul_ok(jb.S, (int64_t)jb.csz, &spec_b) ||
        !gc_mul_ok(jb.L[2], (int64_t)jb.esz, &stage_b))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "FFT workspace size overflows");
    jb.spec_bytes = gc_fft_align64((size_t)spec_b);
    jb.stage_bytes = gc_fft_align64((size_t)stage_b);
    if (!gc_mul_ok((int64_t)jb.spec_bytes, 2 * (int64_t)workers, &total) ||
        (p->pairing == GC_PAIR_SUM && !gc_mul_ok((int64_t)jb.spec_bytes, p->nin, &xs)) ||
        !gc_add_ok(total, xs, &total) ||
        !gc_add_ok(total, (int64_t)jb.stage_bytes * nthreads, &total))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "FFT workspace size overflows");
    void *ws;
    gc_status st = gc_alloc(ctx, total, 1, &ws);
    if (st != GC_OK)
        return st;
    jb.spec = ws;
    jb.xspec = jb.spec + (size_t)workers * 2 * jb.spec_bytes;
    jb.stage = jb.xspec + (size_t)xs;
    if (!fft_plan_all(&jb, jb.spec, jb.stage)) {
        gc_free(ctx, ws);
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "FFTW could not plan a transform of %lld x %lld x %lld",
                       (long long)jb.L[0], (long long)jb.L[1], (long long)jb.L[2]);
    }

    fft_unit_arg u;
    memset(&u, 0, sizeof u);
    u.ctx = ctx;
    u.jb = &jb;
    if (p->pairing == GC_PAIR_SUM) {
        if (nthreads > 1 && p->nin >= 2 * (int64_t)nthreads) {
            /* input spectra: whole transforms per thread (worker scratch not needed) */
            u.stage = 0;
            st = gc_parallel_for(ctx, nthreads, p->nin, fft_unit_task, &u);
        } else {
            for (int64_t i = 0; i < p->nin && st == GC_OK; i++) {
                const fft_src s = fft_input_src(&jb, i);
                st = fft_forward(ctx, &jb, &s, jb.xspec + (size_t)i * jb.spec_bytes,
                                 nthreads > 1 ? -1 : 0);
            }
        }
        for (int t = 0; t < 64 && st == GC_OK; t++)
            st = u.st[t];
    }
    if (st == GC_OK) {
        u.stage = 1;
        if (jb.plane_par) {
            st = gc_parallel_for(ctx, nthreads, units, fft_unit_task, &u);
            for (int t = 0; t < 64 && st == GC_OK; t++)
                st = u.st[t];
        } else {
            for (int64_t j = 0; j < units && st == GC_OK; j++)
                st = fft_output_plane(ctx, &jb, j, nthreads > 1 ? -1 : 0);
        }
    }
    gc_free(ctx, ws);
    return st;
}
