/* test_fft.c - the FFT method of xcorr2/conv2/xcorr3/conv3 and the boundaries:
 *  - FFT vs the float64 reference within the documented bound (gramconv.h, "Correlation by
 *    FFT"):
 *      |fft - ref| <= GC_FFT_ERROR_C * eps * log2(N) * sum_i rms(x_i) * ||k_ji||_2
 *    over 2-D / 3-D, the three rank pairings, V/F/S, xcorr/conv, odd sizes, strided views,
 *    float32 and float64, several thread counts (bitwise equal across them);
 *  - each boundary against padding by hand (then mode V), on both methods, and against
 *    SciPy goldens (tests/golden/make_boundary_golden.py);
 *  - AUTO refuses FFT for integer data, NaN/Inf and a 1e8 dynamic range, and takes it for
 *    a large kernel on ordinary data; the bound holds on 1e8-range data;
 *  - refusals, the plan cache, and a build without FFTW (method fft: GC_ERR_UNSUPPORTED).
 * Without FFTW the tests with FFT comparisons are reported as skipped (gc_test_skip); their
 * other checks still run. */
#include "gc_test.h"

#include "ops/corr/corr_fft.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const gc_dtype dtypes[2] = {GC_DTYPE_F32, GC_DTYPE_F64};

static double elem(const gc_tensor *t, int64_t e) /* contiguous */
{
    return t->dtype == GC_DTYPE_F32 ? ((const float *)t->data)[e] : ((const double *)t->data)[e];
}

static void set_elem(gc_tensor *t, int64_t e, double v)
{
    if (t->dtype == GC_DTYPE_F32)
        ((float *)t->data)[e] = (float)v;
    else
        ((double *)t->data)[e] = v;
}

static int64_t numel(const gc_tensor *t)
{
    int64_t n = 0;
    gc_tensor_numel(t, &n);
    return n;
}

static void skipped(const char *what)
{
    (void)what;
    gc_test_skip("no FFTW in this build: the FFT comparisons");
}

/* out (fresh, contiguous, poisoned) = op(in, k) with method m (or the reference if ref). */
static gc_status run(gc_context *ctx, const gc_corr_desc *d, const gc_tensor *in,
                     const gc_tensor *k, gc_tensor *out, int ref)
{
    int rank;
    int64_t dims[GC_MAX_RANK];
    memset(out, 0, sizeof *out);
    gc_status st = gc_corr_shape(ctx, d, in, k, &rank, dims);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, out, in->dtype, rank, dims);
    if (st != GC_OK)
        return st;
    gc_test_poison(out);
    return ref ? gc_corr_reference(ctx, d, in, k, out) : gc_corr(ctx, d, in, k, out);
}

/* The documented FFT error bound (gramconv.h, "Correlation by FFT") for the outputs of
 * plane j in tile t: GC_FFT_ERROR_C * eps * log2(N) * sum_i ||x_i on the tile's window||_2 / sqrt(N) *
 * ||k_ji||_2, N the tile's transform size. (Zero fill only: for the other boundaries the
 * callers pass the padded input.) */
static double tile_bound(const gc_corr_problem *p, const int64_t T[3], const int64_t B[3],
                         int64_t j, const int64_t t[3])
{
    const double n = (double)T[0] * (double)T[1] * (double)T[2];
    const double eps = p->dtype == GC_DTYPE_F32 ? FLT_EPSILON : DBL_EPSILON;
    const int64_t i0 = p->pairing == GC_PAIR_SUM ? 0 : j, i1 = p->pairing == GC_PAIR_SUM ? p->nin : j + 1;
    double sum = 0.0;
    for (int64_t i = i0; i < i1; i++) {
        double xx = 0.0, kk = 0.0;
        int64_t lo[3], hi[3];
        for (int d = 0; d < 3; d++) {
            lo[d] = t[d] * B[d] - p->pad[d];
            hi[d] = lo[d] + B[d] + p->k[d] - 1;
            lo[d] = lo[d] < 0 ? 0 : lo[d];
            hi[d] = hi[d] > p->n[d] ? p->n[d] : hi[d];
        }
        for (int64_t z = lo[0]; z < hi[0]; z++)
            for (int64_t y = lo[1]; y < hi[1]; y++)
                for (int64_t x = lo[2]; x < hi[2]; x++) {
                    const double v = gc_load(p->in, p->dtype, i * p->in_s[0] + z * p->in_s[1] +
                                                                   y * p->in_s[2] + x * p->in_s[3]);
                    xx += v * v;
                }
        const int64_t kb = p->pairing == GC_PAIR_SUM ? j * p->k_s[0] + i * p->k_s[1] : j * p->k_s[0];
        for (int64_t z = 0; z < p->k[0]; z++)
            for (int64_t y = 0; y < p->k[1]; y++)
                for (int64_t x = 0; x < p->k[2]; x++) {
                    const double v = gc_load(p->ker, p->dtype, kb + z * p->k_s[2] + y * p->k_s[3] + x * p->k_s[4]);
                    kk += v * v;
                }
        sum += sqrt(xx / n) * sqrt(kk);
    }
    return GC_FFT_ERROR_C * eps * log2(n > 2 ? n : 2) * sum;
}

/* Compare out (contiguous) against ref tile by tile within the FFT bound; 0 if all good.
 * *max_bound (if given) gets the largest bound met. */
static int within_fft_bound(const gc_corr_desc *d, const gc_tensor *in, const gc_tensor *k,
                            const gc_tensor *out, const gc_tensor *ref, const char *label,
                            double *worst_ratio, double *max_bound)
{
    gc_corr_problem p;
    if (gc_corr_prepare(NULL, d, in, k, NULL, &p) != GC_OK) {
        GC_CHECK_MSG(0, "%s: prepare failed", label);
        return 1;
    }
    int64_t T[3], B[3];
    double cost;
    gc_corr_fft_tiling(&p, 1, T, B, &cost);
    for (int64_t j = 0; j < p.nout; j++)
        for (int64_t z = 0; z < p.o[0]; z++)
            for (int64_t y = 0; y < p.o[1]; y++)
                for (int64_t x0 = 0; x0 < p.o[2]; x0 += B[2]) {
                    const int64_t t[3] = {z / B[0], y / B[1], x0 / B[2]};
                    const double b = tile_bound(&p, T, B, j, t);
                    if (max_bound && b > *max_bound)
                        *max_bound = b;
                    for (int64_t x = x0; x < x0 + B[2] && x < p.o[2]; x++) {
                        const int64_t e = ((j * p.o[0] + z) * p.o[1] + y) * p.o[2] + x;
                        const double diff = fabs(elem(out, e) - elem(ref, e));
                        if (worst_ratio && b > 0 && diff / b > *worst_ratio)
                            *worst_ratio = diff / b;
                        if (!(diff <= b)) {
                            GC_CHECK_MSG(0, "%s: element %lld: fft %.17g ref %.17g (bound %.3g)",
                                         label, (long long)e, elem(out, e), elem(ref, e), b);
                            return 1;
                        }
                    }
                }
    return 0;
}

/* A tensor of `dims` filled at random, as a view with gaps (strided) if `strided`: the data
 * live in a buffer twice as wide in the last dim, read with stride 2. *owner holds it. */
static void random_tensor(gc_tensor *t, gc_tensor *owner, gc_dtype dt, int rank,
                          const int64_t *dims, int strided, gc_rng *rng)
{
    int64_t big[GC_MAX_RANK];
    memcpy(big, dims, sizeof(int64_t) * (size_t)rank);
    if (strided)
        big[rank - 1] *= 2;
    GC_CHECK_OK(gc_tensor_create(NULL, owner, dt, rank, big));
    gc_test_fill(owner, rng, 0);
    *t = *owner;
    t->owned_ = NULL;
    if (strided) {
        int64_t st[GC_MAX_RANK];
        for (int i = 0; i < rank; i++)
            st[i] = owner->strides[i];
        st[rank - 1] = 2;
        GC_CHECK_OK(gc_tensor_wrap(t, dt, rank, dims, st, owner->data));
    }
}

/* ---- FFT vs reference ------------------------------------------------------------------ */

static void test_fft_vs_reference(void)
{
    if (!gc_fft_available()) {
        skipped("fft_vs_reference");
        return;
    }
    gc_rng rng = {77};
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    double worst = 0.0;
    int fails = 0;
    /* sd, pairing (0 single, 1 plane-wise, 2 sum), spatial input and kernel sizes */
    static const struct {
        int sd, pairing;
        int64_t n[3], k[3];
    } cases[] = {
        {2, 0, {0, 17, 23}, {0, 5, 4}},  {2, 0, {0, 9, 31}, {0, 9, 2}},
        {2, 0, {0, 1, 19}, {0, 1, 7}},   {2, 1, {0, 13, 11}, {0, 3, 6}},
        {2, 2, {0, 15, 14}, {0, 4, 3}},  {2, 0, {0, 6, 5}, {0, 9, 8}},
        {3, 0, {7, 9, 11}, {3, 2, 4}},   {3, 1, {5, 6, 7}, {2, 3, 3}},
        {3, 2, {6, 5, 9}, {3, 2, 2}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0] && fails < 5; c++)
        for (int di = 0; di < 2; di++)
            for (int mode = 0; mode < 3; mode++)
                for (int kind = 0; kind < 2; kind++) {
                    const int sd = cases[c].sd, pr = cases[c].pairing;
                    int64_t id[GC_MAX_RANK], kd[GC_MAX_RANK];
                    int ri = 0, rk = 0;
                    if (pr > 0)
                        id[ri++] = 3;
                    if (pr == 2)
                        kd[rk++] = 2;
                    if (pr > 0)
                        kd[rk++] = 3;
                    for (int d = 3 - sd; d < 3; d++) {
                        id[ri++] = cases[c].n[d];
                        kd[rk++] = cases[c].k[d];
                    }
                    int too_big = 0;
                    for (int d = 3 - sd; d < 3; d++)
                        too_big |= cases[c].k[d] > cases[c].n[d];
                    if (too_big && mode == GC_MODE_VALID)
                        continue;
                    gc_tensor in, ino, k, ko, out, ref;
                    const int strided = (int)((c + (size_t)mode) % 2);
                    random_tensor(&in, &ino, dtypes[di], ri, id, strided, &rng);
                    random_tensor(&k, &ko, dtypes[di], rk, kd, !strided, &rng);
                    gc_corr_desc d = {.kind = (gc_corr_kind)kind, .spatial_dims = sd,
                                      .mode = (gc_mode)mode, .method = GC_CORR_METHOD_FFT};
                    char label[128];
                    snprintf(label, sizeof label, "case %zu %s mode %d kind %d%s", c,
                             gc_dtype_name(dtypes[di]), mode, kind, strided ? " strided" : "");
                    GC_CHECK_OK(run(NULL, &d, &in, &k, &ref, 1));
                    for (int threads = 1; threads <= 3; threads++) {
                        GC_CHECK_OK(gc_context_set_threads(ctx, threads));
                        gc_status st = run(ctx, &d, &in, &k, &out, 0);
                        GC_CHECK_MSG(st == GC_OK, "%s: %s", label, gc_context_last_error(ctx));
                        if (st == GC_OK) {
                            fails += within_fft_bound(&d, &in, &k, &out, &ref, label, &worst, NULL);
                            if (threads == 1) {
                                gc_tensor_free(&ref);
                                ref = out; /* later thread counts: bitwise equal */
                                memset(&out, 0, sizeof out);
                                /* (bound checked above; the reference is no longer needed) */
                            } else {
                                GC_CHECK_MSG(gc_test_max_abs_diff(&out, &ref) == 0.0,
                                             "%s: %d threads differ from 1", label, threads);
                            }
                        }
                        gc_tensor_free(&out);
                    }
                    gc_tensor_free(&ref);
                    gc_tensor_free(&ino);
                    gc_tensor_free(&ko);
                }
    if (getenv("GC_TEST_VERBOSE"))
        printf("     worst |fft - ref| / bound: %.3g\n", worst);
    gc_context_free(ctx);
}

/* ---- the error bound on a 1e8 dynamic range --------------------------------------------- */

/* Left half ~1, right half ~1e-8 (and a few ~1e-8 kernel taps): the bound (global rms) still
 * holds element-wise; AUTO refuses FFT here. */
static void fill_dynamic(gc_tensor *t, gc_rng *rng)
{
    const int64_t w = t->dims[t->rank - 1], n = numel(t);
    for (int64_t e = 0; e < n; e++)
        set_elem(t, e, gc_rng_next(rng) * ((e % w) < w / 2 ? 1.0 : 1e-8));
}

static void test_fft_dynamic_range(void)
{
    gc_rng rng = {3};
    for (int di = 0; di < 2; di++) {
        gc_tensor in, k, out, ref;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 2, (int64_t[]){48, 64}));
        GC_CHECK_OK(gc_tensor_create(NULL, &k, dtypes[di], 2, (int64_t[]){9, 9}));
        fill_dynamic(&in, &rng);
        gc_test_fill(&k, &rng, 0);
        for (int mode = 0; mode < 3; mode++) {
            gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = (gc_mode)mode,
                              .method = GC_CORR_METHOD_AUTO};
            gc_corr_method m = GC_CORR_METHOD_FFT;
            GC_CHECK_OK(gc_corr_select_method(NULL, &d, &in, &k, &m));
            GC_CHECK_MSG(m == GC_CORR_METHOD_DIRECT, "auto took FFT on 1e8-range data, mode %d", mode);
            if (!gc_fft_available()) {
                skipped("fft_dynamic_range");
                continue;
            }
            d.method = GC_CORR_METHOD_FFT;
            GC_CHECK_OK(run(NULL, &d, &in, &k, &out, 0));
            GC_CHECK_OK(run(NULL, &d, &in, &k, &ref, 1));
            double bmax = 0.0;
            within_fft_bound(&d, &in, &k, &out, &ref, "1e8 dynamic range", NULL, &bmax);
            /* and the bound is what makes auto refuse: on the small half it exceeds the
             * direct method's (m+2) eps |x||k| budget by orders of magnitude */
            const double eps = dtypes[di] == GC_DTYPE_F32 ? FLT_EPSILON : DBL_EPSILON;
            GC_CHECK(bmax > 1e3 * 83.0 * eps * 81.0 * 1e-8);
            gc_tensor_free(&out);
            gc_tensor_free(&ref);
        }
        gc_tensor_free(&in);
        gc_tensor_free(&k);
    }
}

/* ---- AUTO: exactness first ------------------------------------------------------------------ */

static void test_fft_auto_choice(void)
{
    gc_rng rng = {11};
    gc_tensor in, k;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 2, (int64_t[]){512, 512}));
    GC_CHECK_OK(gc_tensor_create(NULL, &k, GC_DTYPE_F32, 2, (int64_t[]){41, 41}));
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&k, &rng, 0);
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, 1));
    gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_VALID};
    gc_corr_method m = GC_CORR_METHOD_DIRECT;
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in, &k, &m));
    /* ordinary data, 41x41 kernel: FFT (when there is one) */
    GC_CHECK(m == (gc_fft_available() ? GC_CORR_METHOD_FFT : GC_CORR_METHOD_DIRECT));
    /* ... unless its workspace would pass the context's allocation limit */
    GC_CHECK_OK(gc_context_set_max_alloc(ctx, 64 << 10));
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in, &k, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    GC_CHECK_OK(gc_context_set_max_alloc(ctx, 0));
    d.mode = GC_MODE_SAME;
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in, &k, &m));
    GC_CHECK(m == (gc_fft_available() ? GC_CORR_METHOD_FFT : GC_CORR_METHOD_DIRECT));
    /* full mode, zero fill: the corner outputs see one input element: direct */
    d.mode = GC_MODE_FULL;
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in, &k, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    d.mode = GC_MODE_VALID;
    /* a small kernel: direct is faster */
    gc_tensor k3 = k;
    GC_CHECK_OK(gc_tensor_narrow(&k, 0, 0, 3, &k3));
    gc_tensor k33;
    GC_CHECK_OK(gc_tensor_narrow(&k3, 1, 0, 3, &k33));
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in, &k33, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    /* integer-valued data: direct (exact); one non-integer anywhere lifts that */
    gc_tensor ii, ki;
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &in, &ii));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &k, &ki));
    for (int64_t e = 0; e < numel(&ii); e++)
        set_elem(&ii, e, floor(elem(&ii, e) * 100.0));
    for (int64_t e = 0; e < numel(&ki); e++)
        set_elem(&ki, e, floor(elem(&ki, e) * 4.0));
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &ii, &ki, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    /* ... and gc_corr with auto gives the exact integers */
    gc_tensor out;
    GC_CHECK_OK(run(ctx, &d, &ii, &ki, &out, 0));
    int exact = 1;
    for (int64_t e = 0; e < numel(&out); e += 997)
        exact &= elem(&out, e) == floor(elem(&out, e));
    GC_CHECK(exact);
    gc_tensor_free(&out);
    set_elem(&ki, 7, 0.5);
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &ii, &ki, &m));
    GC_CHECK(m == (gc_fft_available() ? GC_CORR_METHOD_FFT : GC_CORR_METHOD_DIRECT));
    /* NaN or Inf in the input or the kernel: direct, and the NaN stays local */
    gc_tensor in2;
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &in, &in2));
    set_elem(&in2, 100 * 512 + 100, NAN);
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in2, &k, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    GC_CHECK_OK(run(ctx, &d, &in2, &k, &out, 0));
    GC_CHECK(isnan(elem(&out, 90 * 472 + 90)) && isfinite(elem(&out, 0)) &&
             isfinite(elem(&out, 471 * 472 + 471)));
    gc_tensor_free(&out);
    set_elem(&in2, 100 * 512 + 100, INFINITY);
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in2, &k, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    gc_tensor k2;
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &k, &k2));
    set_elem(&k2, 40, -INFINITY);
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in, &k2, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    /* 1e8 dynamic range at this size too */
    fill_dynamic(&in2, &rng);
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in2, &k, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    /* forcing works either way */
    d.method = GC_CORR_METHOD_DIRECT;
    GC_CHECK_OK(gc_corr_select_method(ctx, &d, &in, &k, &m));
    GC_CHECK(m == GC_CORR_METHOD_DIRECT);
    d.method = GC_CORR_METHOD_FFT;
    if (gc_fft_available()) {
        GC_CHECK_OK(gc_corr_select_method(ctx, &d, &ii, &k33, &m));
        GC_CHECK(m == GC_CORR_METHOD_FFT);
    } else {
        GC_CHECK_STATUS(gc_corr_select_method(ctx, &d, &in, &k, &m), GC_ERR_UNSUPPORTED);
        GC_CHECK_STATUS(run(ctx, &d, &in, &k33, &out, 0), GC_ERR_UNSUPPORTED);
        GC_CHECK(strstr(gc_context_last_error(ctx), "FFTW") != NULL);
        gc_tensor_free(&out);
    }
    gc_tensor_free(&k2);
    gc_tensor_free(&in2);
    gc_tensor_free(&ii);
    gc_tensor_free(&ki);
    gc_tensor_free(&in);
    gc_tensor_free(&k);
    gc_context_free(ctx);
}

/* ---- boundaries ----------------------------------------------------------------------------- */

/* The padding rule written out again, independently of the library. */
static int64_t hand_index(gc_boundary b, int64_t i, int64_t n)
{
    while (i < 0 || i >= n) {
        switch (b) {
        case GC_BOUNDARY_WRAP:
            i = i < 0 ? i + n : i - n;
            break;
        case GC_BOUNDARY_SYMM:
            i = i < 0 ? -1 - i : 2 * n - 1 - i;
            break;
        case GC_BOUNDARY_REFLECT:
            if (n == 1)
                return 0;
            i = i < 0 ? -i : 2 * n - 2 - i;
            break;
        case GC_BOUNDARY_REPLICATE:
            i = i < 0 ? 0 : n - 1;
            break;
        default:
            return -1;
        }
    }
    return i;
}

/* Pad a contiguous (planes x) D x H x W / H x W tensor by hand for mode/kind/kernel. */
static void hand_pad(const gc_tensor *in, const gc_corr_desc *d, const int64_t *ksp, gc_tensor *out)
{
    const int sd = d->spatial_dims, lead = in->rank - sd;
    int64_t dims[GC_MAX_RANK], before[3] = {0, 0, 0}, n[3] = {1, 1, 1};
    for (int i = 0; i < in->rank; i++)
        dims[i] = in->dims[i];
    for (int s = 0; s < sd; s++) {
        const int64_t k = ksp[s], ni = in->dims[lead + s];
        n[3 - sd + s] = ni;
        before[3 - sd + s] = d->mode == GC_MODE_FULL ? k - 1
                             : d->kind == GC_CORR_KIND_CONV ? k / 2 : (k - 1) / 2;
        dims[lead + s] = (d->mode == GC_MODE_FULL ? ni + k - 1 : ni) + k - 1;
    }
    GC_CHECK_OK(gc_tensor_create(NULL, out, in->dtype, in->rank, dims));
    const int64_t planes = lead ? in->dims[0] : 1;
    int64_t pn[3] = {1, 1, 1};
    for (int s = 0; s < sd; s++)
        pn[3 - sd + s] = dims[lead + s];
    int64_t e = 0;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t z = 0; z < pn[0]; z++)
            for (int64_t y = 0; y < pn[1]; y++)
                for (int64_t x = 0; x < pn[2]; x++, e++) {
                    const int64_t iz = hand_index(d->boundary, z - before[0], n[0]);
                    const int64_t iy = hand_index(d->boundary, y - before[1], n[1]);
                    const int64_t ix = hand_index(d->boundary, x - before[2], n[2]);
                    set_elem(out, e, iz < 0 || iy < 0 || ix < 0
                                         ? d->fill_value
                                         : elem(in, ((p * n[0] + iz) * n[1] + iy) * n[2] + ix));
                }
}

static void test_fft_boundaries_by_hand(void)
{
    gc_rng rng = {21};
    static const struct {
        int sd, pairing;
        int64_t n[3], k[3];
    } cases[] = {
        {2, 0, {0, 7, 9}, {0, 3, 4}},   {2, 1, {0, 5, 6}, {0, 4, 3}},
        {2, 2, {0, 6, 5}, {0, 2, 5}},   {2, 0, {0, 3, 4}, {0, 7, 9}}, /* pads > the input */
        {3, 0, {4, 5, 6}, {3, 2, 3}},   {3, 2, {3, 4, 5}, {2, 3, 2}},
    };
    int fails = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0] && fails < 5; c++)
        for (int di = 0; di < 2; di++)
            for (int b = 0; b <= GC_BOUNDARY_REPLICATE; b++)
                for (int mode = 1; mode < 3; mode++)
                    for (int kind = 0; kind < 2; kind++) {
                        const int sd = cases[c].sd, pr = cases[c].pairing;
                        int64_t id[GC_MAX_RANK], kd[GC_MAX_RANK], ksp[3];
                        int ri = 0, rk = 0;
                        if (pr > 0)
                            id[ri++] = 2;
                        if (pr == 2)
                            kd[rk++] = 3;
                        if (pr > 0)
                            kd[rk++] = 2;
                        for (int dd = 3 - sd; dd < 3; dd++) {
                            id[ri++] = cases[c].n[dd];
                            ksp[dd - (3 - sd)] = kd[rk++] = cases[c].k[dd];
                        }
                        gc_tensor in, k, padded, want, got;
                        GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], ri, id));
                        GC_CHECK_OK(gc_tensor_create(NULL, &k, dtypes[di], rk, kd));
                        gc_test_fill(&in, &rng, 0);
                        gc_test_fill(&k, &rng, 0);
                        gc_corr_desc d = {.kind = (gc_corr_kind)kind, .spatial_dims = sd,
                                          .mode = (gc_mode)mode, .boundary = (gc_boundary)b,
                                          .fill_value = b == GC_BOUNDARY_FILL ? -1.75 : 0.0};
                        hand_pad(&in, &d, ksp, &padded);
                        gc_corr_desc dv = d;
                        dv.mode = GC_MODE_VALID;
                        dv.boundary = GC_BOUNDARY_FILL;
                        dv.fill_value = 0.0;
                        GC_CHECK_OK(run(NULL, &dv, &padded, &k, &want, 1));
                        const double eps = dtypes[di] == GC_DTYPE_F32 ? FLT_EPSILON : DBL_EPSILON;
                        char label[128];
                        snprintf(label, sizeof label, "boundary %d case %zu %s mode %d kind %d", b,
                                 c, gc_dtype_name(dtypes[di]), mode, kind);
                        /* the reference (its own index rule), direct, FFT */
                        for (int how = 0; how < 3; how++) {
                            if (how == 2 && !gc_fft_available()) {
                                skipped("fft_boundaries_by_hand");
                                continue;
                            }
                            d.method = how == 2 ? GC_CORR_METHOD_FFT : GC_CORR_METHOD_DIRECT;
                            gc_context *ctx;
                            GC_CHECK_OK(gc_context_create(&ctx));
                            gc_status st = run(ctx, &d, &in, &k, &got, how == 0);
                            GC_CHECK_MSG(st == GC_OK, "%s: %s", label, gc_context_last_error(ctx));
                            gc_context_free(ctx);
                            if (st != GC_OK)
                                continue;
                            /* tolerance: generous direct bound (values are O(1), sums of
                             * at most 60 products); FFT: its bound on the padded input */
                            double tol = 64.0 * 4.0 * 60.0 * eps;
                            if (how == 2) {
                                double bmax = 0.0;
                                within_fft_bound(&dv, &padded, &k, &want, &want, label, NULL, &bmax);
                                tol += bmax * 4.0;
                            }
                            const double diff = gc_test_max_abs_diff(&got, &want);
                            GC_CHECK_MSG(diff <= tol, "%s how %d: off by %.3g (tol %.3g)", label,
                                         how, diff, tol);
                            fails += !(diff <= tol);
                            gc_tensor_free(&got);
                        }
                        gc_tensor_free(&want);
                        gc_tensor_free(&padded);
                        gc_tensor_free(&in);
                        gc_tensor_free(&k);
                    }
}

/* Mode V ignores the boundary: bitwise the same result for every boundary. */
static void test_fft_boundary_valid_ignored(void)
{
    gc_rng rng = {5};
    gc_tensor in, k, a, b;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F64, 2, (int64_t[]){9, 12}));
    GC_CHECK_OK(gc_tensor_create(NULL, &k, GC_DTYPE_F64, 2, (int64_t[]){3, 4}));
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&k, &rng, 0);
    gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_VALID};
    GC_CHECK_OK(run(NULL, &d, &in, &k, &a, 0));
    for (int bnd = 0; bnd <= GC_BOUNDARY_REPLICATE; bnd++) {
        d.boundary = (gc_boundary)bnd;
        d.fill_value = 3.0;
        GC_CHECK_OK(run(NULL, &d, &in, &k, &b, 0));
        GC_CHECK(gc_test_max_abs_diff(&a, &b) == 0.0);
        gc_tensor_free(&b);
    }
    gc_tensor_free(&a);
    gc_tensor_free(&in);
    gc_tensor_free(&k);
}

static void test_fft_scipy_golden(void)
{
    static const char *const ks[] = {"3x3", "4x5", "6x4"};
    static const gc_boundary bnd[6] = {GC_BOUNDARY_FILL, GC_BOUNDARY_FILL, GC_BOUNDARY_WRAP,
                                       GC_BOUNDARY_SYMM, GC_BOUNDARY_REFLECT, GC_BOUNDARY_REPLICATE};
    static const double fills[6] = {0.0, 2.5, 0, 0, 0, 0};
    gc_tensor in64, in32;
    GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden("bnd_in.npy"), &in64));
    GC_CHECK_OK(gc_tensor_create(NULL, &in32, GC_DTYPE_F32, in64.rank, in64.dims));
    GC_CHECK_OK(gc_tensor_copy(&in64, &in32));
    for (int ki = 0; ki < 3; ki++)
        for (int kind = 0; kind < 2; kind++)
            for (int mode = 1; mode < 3; mode++) {
                char name[96];
                snprintf(name, sizeof name, "bnd_k%s.npy", ks[ki]);
                gc_tensor k64, k32, gold;
                GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden(name), &k64));
                GC_CHECK_OK(gc_tensor_create(NULL, &k32, GC_DTYPE_F32, k64.rank, k64.dims));
                GC_CHECK_OK(gc_tensor_copy(&k64, &k32));
                snprintf(name, sizeof name, "bnd_%s_%s_k%s.npy", kind ? "conv" : "xcorr",
                         mode == GC_MODE_FULL ? "full" : "same", ks[ki]);
                GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden(name), &gold));
                GC_CHECK(gold.rank == 3 && gold.dims[0] == 6);
                for (int b = 0; b < 6 && gold.rank == 3; b++) {
                    gc_tensor slab, want;
                    GC_CHECK_OK(gc_tensor_narrow(&gold, 0, b, 1, &slab));
                    GC_CHECK_OK(gc_tensor_view(&slab, 2, gold.dims + 1, &want));
                    for (int di = 0; di < 2; di++)
                        for (int method = 1; method <= 2; method++) {
                            if (method == 2 && !gc_fft_available())
                                continue;
                            gc_corr_desc d = {.kind = (gc_corr_kind)kind, .spatial_dims = 2,
                                              .mode = (gc_mode)mode,
                                              .method = (gc_corr_method)method,
                                              .boundary = bnd[b], .fill_value = fills[b]};
                            gc_tensor got;
                            GC_CHECK_OK(run(NULL, &d, di ? &in64 : &in32, di ? &k64 : &k32, &got, 0));
                            const double tol = di ? 1e-12 : 2e-5;
                            const double diff = gc_test_max_abs_diff(&got, &want);
                            GC_CHECK_MSG(diff <= tol, "%s boundary %d %s method %d: off by %.3g",
                                         name, b, di ? "f64" : "f32", method, diff);
                            gc_tensor_free(&got);
                        }
                }
                gc_tensor_free(&gold);
                gc_tensor_free(&k64);
                gc_tensor_free(&k32);
            }
    gc_tensor_free(&in64);
    gc_tensor_free(&in32);
}

/* ---- refusals and the cache --------------------------------------------------------------- */

static void test_fft_refusals_and_cache(void)
{
    gc_tensor in, k, out;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 2, (int64_t[]){8, 8}));
    GC_CHECK_OK(gc_tensor_create(NULL, &k, GC_DTYPE_F32, 2, (int64_t[]){3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 2, (int64_t[]){10, 10}));
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_FULL};
    d.method = (gc_corr_method)3;
    GC_CHECK_STATUS(gc_corr(ctx, &d, &in, &k, &out), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "method") != NULL);
    d.method = GC_CORR_METHOD_AUTO;
    d.boundary = (gc_boundary)5;
    GC_CHECK_STATUS(gc_corr(ctx, &d, &in, &k, &out), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "boundary") != NULL);
    d.boundary = (gc_boundary)-1;
    GC_CHECK_STATUS(gc_corr(ctx, &d, &in, &k, &out), GC_ERR_ARG);
    d.boundary = GC_BOUNDARY_FILL;
    d.fill_value = NAN;
    GC_CHECK_STATUS(gc_corr(ctx, &d, &in, &k, &out), GC_ERR_ARG);
    d.fill_value = INFINITY;
    GC_CHECK_STATUS(gc_corr_reference(ctx, &d, &in, &k, &out), GC_ERR_ARG);
    d.fill_value = 0.0;
    gc_corr_method m;
    GC_CHECK_STATUS(gc_corr_select_method(ctx, &d, &in, &k, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_corr_select_method(ctx, NULL, &in, &k, &m), GC_ERR_NULL);
    /* the cache: plans appear, clearing empties it, results do not change */
    d.method = GC_CORR_METHOD_FFT;
    d.boundary = GC_BOUNDARY_WRAP;
    if (gc_fft_available()) {
        gc_tensor again;
        gc_rng rng = {1};
        gc_test_fill(&in, &rng, 0);
        gc_test_fill(&k, &rng, 0);
        GC_CHECK_OK(gc_corr(ctx, &d, &in, &k, &out));
        GC_CHECK(gc_fft_cache_size() > 0);
        gc_fft_cache_clear();
        GC_CHECK(gc_fft_cache_size() == 0);
        GC_CHECK_OK(gc_tensor_create(NULL, &again, GC_DTYPE_F32, 2, (int64_t[]){10, 10}));
        GC_CHECK_OK(gc_corr(ctx, &d, &in, &k, &again));
        GC_CHECK(gc_test_max_abs_diff(&out, &again) == 0.0);
        GC_CHECK(gc_fft_cache_size() > 0);
        gc_tensor_free(&again);
    } else {
        GC_CHECK_STATUS(gc_corr(ctx, &d, &in, &k, &out), GC_ERR_UNSUPPORTED);
        GC_CHECK(gc_fft_cache_size() == 0);
        gc_fft_cache_clear(); /* harmless */
    }
    gc_context_free(ctx);
    gc_tensor_free(&in);
    gc_tensor_free(&k);
    gc_tensor_free(&out);
}

/* Allocation failure inside the FFT path and the boundary padding: a clean status. */
static void *fail_alloc(size_t size, size_t align, void *user)
{
    int *left = user;
    if ((*left)-- <= 0)
        return NULL;
    return gc_default_alloc(size, align, NULL);
}
static void fail_free(void *p, void *user)
{
    (void)user;
    gc_default_free(p, NULL);
}

static void test_fft_alloc_failure(void)
{
    gc_rng rng = {2};
    gc_tensor in, k, out;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F64, 3, (int64_t[]){3, 20, 20}));
    GC_CHECK_OK(gc_tensor_create(NULL, &k, GC_DTYPE_F64, 4, (int64_t[]){2, 3, 5, 5}));
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F64, 3, (int64_t[]){2, 20, 20}));
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&k, &rng, 0);
    for (int method = 1; method <= 2; method++) {
        if (method == 2 && !gc_fft_available())
            continue;
        gc_corr_desc d = {.kind = GC_CORR_KIND_CONV, .spatial_dims = 2, .mode = GC_MODE_SAME,
                          .method = (gc_corr_method)method, .boundary = GC_BOUNDARY_REFLECT};
        int ok_at = -1;
        for (int budget = 0; budget < 8 && ok_at < 0; budget++) {
            int left = budget;
            gc_context *ctx;
            GC_CHECK_OK(gc_context_create(&ctx));
            gc_allocator a = {fail_alloc, fail_free, &left};
            GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
            gc_status st = gc_corr(ctx, &d, &in, &k, &out);
            GC_CHECK(st == GC_OK || st == GC_ERR_NOMEM);
            if (st == GC_OK)
                ok_at = budget;
            gc_context_free(ctx);
        }
        GC_CHECK(ok_at >= 1); /* needed the padded copy at least */
    }
    gc_tensor_free(&in);
    gc_tensor_free(&k);
    gc_tensor_free(&out);
}

GC_TEST_TABLE(gc_tests_fft) = {
    {"fft_vs_reference", test_fft_vs_reference},
    {"fft_dynamic_range", test_fft_dynamic_range},
    {"fft_auto_choice", test_fft_auto_choice},
    {"fft_boundaries_by_hand", test_fft_boundaries_by_hand},
    {"fft_boundary_valid_ignored", test_fft_boundary_valid_ignored},
    {"fft_scipy_golden", test_fft_scipy_golden},
    {"fft_refusals_and_cache", test_fft_refusals_and_cache},
    {"fft_alloc_failure", test_fft_alloc_failure},
    {NULL, NULL},
};
