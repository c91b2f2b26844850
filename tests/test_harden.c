/* test_harden.c - bad-input rows of docs/RELIABILITY.md not covered by the op's own tests:
 * NaN/Inf through every op against its float64 reference (same NaN and Inf positions, IEEE,
 * no crash), an output overlapping each input of every op (refused, nothing written),
 * non-contiguous conv2d views (strided input/weight/output, nothing outside the view
 * written), zero-size conv2d dims, a write that fails midway (file size limit: no file left,
 * an existing file unchanged), and thread counts 0 / 1024 / 1025 / INT_MAX / GC_NUM_THREADS
 * garbage. */
#include "gc_test.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static double at(const gc_tensor *t, int64_t e)
{
    return t->dtype == GC_DTYPE_F32 ? (double)((const float *)t->data)[e] : ((const double *)t->data)[e];
}

static void put(gc_tensor *t, int64_t e, double v)
{
    if (t->dtype == GC_DTYPE_F32)
        ((float *)t->data)[e] = (float)v;
    else
        ((double *)t->data)[e] = v;
}

static int64_t numel(const gc_tensor *t)
{
    int64_t n = 0;
    GC_CHECK_OK(gc_tensor_numel(t, &n));
    return n;
}

/* Two contiguous tensors agree the IEEE way: NaN where the reference has NaN, the same
 * infinity where it has one, else within tol * (1 + |ref|). Counts NaNs into *nans. */
/* 1: where the reference is NaN or Inf, any NaN or Inf will do (sums that meet Inf - Inf in a
 * different order, e.g. the centred Gram's row means, may give NaN for one and Inf for the other) */
static int loose;
static int ieee_agree(const char *what, const gc_tensor *a, const gc_tensor *ref, double tol, int64_t *nans)
{
    const int64_t n = numel(ref);
    if (numel(a) != n) {
        fprintf(stderr, "  %s: sizes differ\n", what);
        return 0;
    }
    for (int64_t e = 0; e < n; e++) {
        const double x = at(a, e), r = at(ref, e);
        int ok;
        if (isnan(r))
            ok = loose ? !isfinite(x) : isnan(x), (*nans)++;
        else if (isinf(r))
            ok = loose ? !isfinite(x) : x == r;
        else
            ok = isfinite(x) && fabs(x - r) <= tol * (1.0 + fabs(r));
        if (!ok) {
            fprintf(stderr, "  %s: element %lld is %g, reference %g\n", what, (long long)e, x, r);
            return 0;
        }
    }
    return 1;
}

static void fill(gc_tensor *t, unsigned seed)
{
    gc_rng rng = {seed};
    gc_test_fill(t, &rng, 0);
}

/* A few NaN and +-Inf at fixed fractions of a contiguous tensor. */
static void spike(gc_tensor *t)
{
    const int64_t n = numel(t);
    put(t, n / 7, NAN);
    put(t, n / 2 + 1, INFINITY);
    put(t, (3 * n) / 4, -INFINITY);
}

static double tol_of(gc_dtype dt) { return dt == GC_DTYPE_F32 ? 2e-5 : 1e-12; }

/* ---- NaN / Inf ------------------------------------------------------------------------- */

static void test_nan_inf_corr(void)
{
    const gc_dtype dts[] = {GC_DTYPE_F32, GC_DTYPE_F64};
    int64_t total_nans = 0;
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++)
        for (int di = 0; di < 2; di++)
            for (int sd = 2; sd <= 3; sd++)
                for (int kind = 0; kind < 2; kind++)
                    for (int mode = 0; mode < 3; mode++) {
                        gc_context *ctx;
                        GC_CHECK_OK(gc_context_create(&ctx));
                        GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
                        GC_CHECK_OK(gc_context_set_threads(ctx, 2));
                        const gc_corr_desc d = {.kind = (gc_corr_kind)kind, .spatial_dims = sd,
                                                .mode = (gc_mode)mode};
                        gc_tensor in, k, out, ref;
                        if (sd == 2) {
                            GC_CHECK_OK(gc_tensor_create(NULL, &in, dts[di], 3, (int64_t[]){3, 14, 29}));
                            GC_CHECK_OK(gc_tensor_create(NULL, &k, dts[di], 4, (int64_t[]){2, 3, 3, 4}));
                        } else {
                            GC_CHECK_OK(gc_tensor_create(NULL, &in, dts[di], 4, (int64_t[]){2, 5, 7, 9}));
                            GC_CHECK_OK(gc_tensor_create(NULL, &k, dts[di], 5, (int64_t[]){2, 2, 2, 3, 2}));
                        }
                        fill(&in, 3);
                        fill(&k, 4);
                        spike(&in);
                        int r;
                        int64_t od[GC_MAX_RANK];
                        GC_CHECK_OK(gc_corr_shape(ctx, &d, &in, &k, &r, od));
                        GC_CHECK_OK(gc_tensor_create(NULL, &out, dts[di], r, od));
                        GC_CHECK_OK(gc_tensor_create(NULL, &ref, dts[di], r, od));
                        GC_CHECK_OK(gc_corr(ctx, &d, &in, &k, &out));
                        GC_CHECK_OK(gc_corr_reference(ctx, &d, &in, &k, &ref));
                        int64_t nans = 0;
                        char what[96];
                        snprintf(what, sizeof what, "corr %s %s %dD kind %d mode %d", gc_isa_name((gc_isa)isa),
                                 gc_dtype_name(dts[di]), sd, kind, mode);
                        GC_CHECK_MSG(ieee_agree(what, &out, &ref, tol_of(dts[di]), &nans), "%s", what);
                        GC_CHECK(nans > 0); /* the NaN (and Inf - Inf) did reach the output */
                        total_nans += nans;
                        gc_tensor_free(&in);
                        gc_tensor_free(&k);
                        gc_tensor_free(&out);
                        gc_tensor_free(&ref);
                        gc_context_free(ctx);
                    }
    GC_CHECK(total_nans > 0);
}

static void test_nan_inf_gram(void)
{
    loose = 1;
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++)
        for (int di = 0; di < 2; di++)
            for (int center = 0; center < 2; center++) {
                const gc_dtype dt = di ? GC_DTYPE_F64 : GC_DTYPE_F32;
                gc_context *ctx;
                GC_CHECK_OK(gc_context_create(&ctx));
                GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
                GC_CHECK_OK(gc_context_set_threads(ctx, 2));
                gc_gram_desc d = gc_gram_desc_default();
                d.center = center;
                const int64_t dims[4] = {2, 19, 9, 13};
                gc_tensor in, g, gref, gout, gin, ginref, target, ws;
                GC_CHECK_OK(gc_tensor_create(NULL, &in, dt, 4, dims));
                fill(&in, 7);
                spike(&in);
                int r;
                int64_t gd[GC_MAX_RANK];
                GC_CHECK_OK(gc_gram_shape(ctx, &d, &in, &r, gd));
                gc_tensor *gs[] = {&g, &gref, &gout, &target, &ws};
                for (int i = 0; i < 5; i++)
                    GC_CHECK_OK(gc_tensor_create(NULL, gs[i], dt, r, gd));
                GC_CHECK_OK(gc_tensor_create(NULL, &gin, dt, 4, dims));
                GC_CHECK_OK(gc_tensor_create(NULL, &ginref, dt, 4, dims));
                fill(&gout, 8);
                fill(&target, 9);
                char what[96];
                int64_t nans = 0;
                snprintf(what, sizeof what, "gram %s %s center %d", gc_isa_name((gc_isa)isa), gc_dtype_name(dt), center);
                GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, &g));
                GC_CHECK_OK(gc_gram_forward_reference(ctx, &d, &in, &gref));
                GC_CHECK_MSG(ieee_agree(what, &g, &gref, tol_of(dt), &nans), "%s forward", what);
                GC_CHECK(nans > 0);
                /* a finite input with a NaN in the incoming gradient, then the spiked input */
                for (int pass = 0; pass < 2; pass++) {
                    gc_tensor fin;
                    GC_CHECK_OK(gc_tensor_create(NULL, &fin, dt, 4, dims));
                    fill(&fin, 10);
                    const gc_tensor *x = pass ? &in : &fin;
                    if (!pass)
                        put(&gout, 5, NAN);
                    nans = 0;
                    GC_CHECK_OK(gc_gram_backward(ctx, &d, x, &gout, &gin));
                    GC_CHECK_OK(gc_gram_backward_reference(ctx, &d, x, &gout, &ginref));
                    GC_CHECK_MSG(ieee_agree(what, &gin, &ginref, tol_of(dt), &nans), "%s backward %d", what, pass);
                    GC_CHECK(nans > 0);
                    if (!pass)
                        fill(&gout, 8);
                    gc_tensor_free(&fin);
                }
                double loss = 0;
                GC_CHECK_OK(gc_gram_style_loss(ctx, &d, &in, &target, 1.0, &loss, &gin, &ws));
                GC_CHECK(!isfinite(loss));
                gc_tensor_free(&in);
                for (int i = 0; i < 5; i++)
                    gc_tensor_free(gs[i]);
                gc_tensor_free(&gin);
                gc_tensor_free(&ginref);
                gc_context_free(ctx);
            }
    loose = 0;
}

/* Run one conv2d pass with a workspace from malloc. */
static gc_status conv_pass(gc_context *ctx, const gc_conv2d_desc *d, gc_conv_pass pass, const gc_tensor *in,
                           const gc_tensor *w, const gc_tensor *b, gc_tensor *out)
{
    size_t bytes = 0;
    const gc_tensor *qin = pass == GC_CONV_PASS_BACKWARD_INPUT ? out : in;
    const gc_tensor *qw = pass == GC_CONV_PASS_BACKWARD_WEIGHT ? out : w;
    gc_status st = gc_conv2d_workspace_size(ctx, d, qin, qw, pass, &bytes);
    void *ws = NULL;
    if (st == GC_OK && bytes && posix_memalign(&ws, 64, bytes))
        return GC_ERR_NOMEM;
    if (st == GC_OK) {
        if (pass == GC_CONV_PASS_FORWARD)
            st = gc_conv2d_forward(ctx, d, in, w, b, out, ws, bytes);
        else if (pass == GC_CONV_PASS_BACKWARD_INPUT)
            st = gc_conv2d_backward_input(ctx, d, in, w, out, ws, bytes); /* in: grad_output */
        else
            st = gc_conv2d_backward_weight(ctx, d, in, w, 1.0, out, NULL, ws, bytes); /* w: grad_output */
    }
    free(ws);
    return st;
}

static void test_nan_inf_conv2d(void)
{
    const gc_conv_algo algos[] = {GC_CONV_ALGO_AUTO, GC_CONV_ALGO_DIRECT, GC_CONV_ALGO_IM2COL};
    const gc_boundary pads[] = {GC_BOUNDARY_FILL, GC_BOUNDARY_REFLECT};
    for (int di = 0; di < 2; di++)
        for (int ai = 0; ai < 3; ai++)
            for (int pi = 0; pi < 2; pi++) {
                const gc_dtype dt = di ? GC_DTYPE_F64 : GC_DTYPE_F32;
                gc_conv2d_desc d = gc_conv2d_desc_default();
                d.pad[0] = d.pad[1] = 1;
                d.padding_mode = pads[pi];
                gc_conv2d_desc r = d;
                r.algo = GC_CONV_ALGO_REFERENCE;
                d.algo = algos[ai];
                gc_tensor in, w, out, ref, gout, gin, ginref, gw, gwref;
                GC_CHECK_OK(gc_tensor_create(NULL, &in, dt, 4, (int64_t[]){2, 3, 11, 12}));
                GC_CHECK_OK(gc_tensor_create(NULL, &w, dt, 4, (int64_t[]){4, 3, 3, 3}));
                fill(&in, 11);
                fill(&w, 12);
                /* away from the border: every product of a spike is inside the image (see
                 * test_nan_at_border for the padding) */
                put(&in, (1 * 3 + 1) * 132 + 5 * 12 + 6, NAN);
                put(&in, (0 * 3 + 2) * 132 + 3 * 12 + 3, INFINITY);
                put(&in, (1 * 3 + 0) * 132 + 7 * 12 + 9, -INFINITY);
                int rank;
                int64_t od[GC_MAX_RANK];
                GC_CHECK_OK(gc_conv2d_shape(NULL, &d, &in, &w, &rank, od));
                gc_tensor *os[] = {&out, &ref, &gout};
                for (int i = 0; i < 3; i++)
                    GC_CHECK_OK(gc_tensor_create(NULL, os[i], dt, rank, od));
                fill(&gout, 13);
                put(&gout, (0 * 4 + 1) * 132 + 4 * 12 + 4, NAN);
                put(&gout, (1 * 4 + 3) * 132 + 8 * 12 + 2, INFINITY);
                GC_CHECK_OK(gc_tensor_create(NULL, &gin, dt, 4, in.dims));
                GC_CHECK_OK(gc_tensor_create(NULL, &ginref, dt, 4, in.dims));
                GC_CHECK_OK(gc_tensor_create(NULL, &gw, dt, 4, w.dims));
                GC_CHECK_OK(gc_tensor_create(NULL, &gwref, dt, 4, w.dims));
                char what[96];
                snprintf(what, sizeof what, "conv2d %s algo %d pad mode %d", gc_dtype_name(dt), (int)algos[ai],
                         (int)pads[pi]);
                int64_t nans = 0;
                GC_CHECK_OK(conv_pass(NULL, &d, GC_CONV_PASS_FORWARD, &in, &w, NULL, &out));
                GC_CHECK_OK(conv_pass(NULL, &r, GC_CONV_PASS_FORWARD, &in, &w, NULL, &ref));
                GC_CHECK_MSG(ieee_agree(what, &out, &ref, tol_of(dt), &nans), "%s forward", what);
                GC_CHECK(nans > 0);
                nans = 0;
                GC_CHECK_OK(conv_pass(NULL, &d, GC_CONV_PASS_BACKWARD_INPUT, &gout, &w, NULL, &gin));
                GC_CHECK_OK(conv_pass(NULL, &r, GC_CONV_PASS_BACKWARD_INPUT, &gout, &w, NULL, &ginref));
                GC_CHECK_MSG(ieee_agree(what, &gin, &ginref, tol_of(dt), &nans), "%s backward_input", what);
                GC_CHECK(nans > 0);
                nans = 0;
                GC_CHECK_OK(conv_pass(NULL, &d, GC_CONV_PASS_BACKWARD_WEIGHT, &in, &gout, NULL, &gw));
                GC_CHECK_OK(conv_pass(NULL, &r, GC_CONV_PASS_BACKWARD_WEIGHT, &in, &gout, NULL, &gwref));
                GC_CHECK_MSG(ieee_agree(what, &gw, &gwref, tol_of(dt), &nans), "%s backward_weight", what);
                GC_CHECK(nans > 0);
                gc_tensor *all[] = {&in, &w, &out, &ref, &gout, &gin, &ginref, &gw, &gwref};
                for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                    gc_tensor_free(all[i]);
            }
}

/* A NaN / Inf meeting the zero padding. The fast paths multiply the padding's explicit zeros
 * (as Torch7's unfolded input does): a NaN of grad_output at the corner makes that output
 * channel's whole grad_weight NaN (0 x NaN), an Inf weight tap makes the border outputs
 * that see it through the padding NaN (0 x Inf). Every other element still agrees with the
 * float64 reference (which skips the padded terms, so it can be finite there). */
static void test_nan_at_border(void)
{
    const gc_conv_algo algos[] = {GC_CONV_ALGO_AUTO, GC_CONV_ALGO_DIRECT, GC_CONV_ALGO_IM2COL};
    for (int ai = 0; ai < 3; ai++) {
        gc_conv2d_desc d = gc_conv2d_desc_default();
        d.pad[0] = d.pad[1] = 1;
        gc_conv2d_desc r = d;
        r.algo = GC_CONV_ALGO_REFERENCE;
        d.algo = algos[ai];
        gc_tensor in, w, out, ref, gout, gw, gwref;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){2, 3, 7, 8}));
        GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){4, 3, 3, 3}));
        GC_CHECK_OK(gc_tensor_create(NULL, &gout, GC_DTYPE_F32, 4, (int64_t[]){2, 4, 7, 8}));
        GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 4, (int64_t[]){2, 4, 7, 8}));
        GC_CHECK_OK(gc_tensor_create(NULL, &ref, GC_DTYPE_F32, 4, (int64_t[]){2, 4, 7, 8}));
        GC_CHECK_OK(gc_tensor_create(NULL, &gw, GC_DTYPE_F32, 4, w.dims));
        GC_CHECK_OK(gc_tensor_create(NULL, &gwref, GC_DTYPE_F32, 4, w.dims));
        fill(&in, 31);
        fill(&w, 32);
        fill(&gout, 33);
        put(&gout, (1 * 4 + 2) * 56, NAN); /* n 1, o 2, y 0, x 0 */
        GC_CHECK_OK(conv_pass(NULL, &d, GC_CONV_PASS_BACKWARD_WEIGHT, &in, &gout, NULL, &gw));
        GC_CHECK_OK(conv_pass(NULL, &r, GC_CONV_PASS_BACKWARD_WEIGHT, &in, &gout, NULL, &gwref));
        int bad = 0, nan = 0;
        for (int64_t e = 0; e < 108; e++) {
            const double x = at(&gw, e), y = at(&gwref, e);
            if (e / 27 == 2)
                nan += isnan(x);
            else
                bad += !(fabs(x - y) <= 2e-5 * (1 + fabs(y)));
        }
        GC_CHECK_MSG(nan == 27 && bad == 0, "algo %d: %d of 27 NaN, %d others differ", (int)algos[ai], nan, bad);
        /* forward with an Inf tap */
        put(&w, 1 * 27 + 0 * 9 + 0 * 3 + 0, INFINITY); /* o 1, c 0, top-left tap */
        GC_CHECK_OK(conv_pass(NULL, &d, GC_CONV_PASS_FORWARD, &in, &w, NULL, &out));
        GC_CHECK_OK(conv_pass(NULL, &r, GC_CONV_PASS_FORWARD, &in, &w, NULL, &ref));
        int n_inf = 0, n_nan = 0;
        bad = 0;
        for (int64_t e = 0; e < numel(&out); e++) {
            const double x = at(&out, e), y = at(&ref, e);
            const int64_t o = (e / 56) % 4, yy = (e % 56) / 8, xx = e % 8;
            if (o != 1)
                bad += !(fabs(x - y) <= 2e-5 * (1 + fabs(y)));
            else if (yy == 0 || xx == 0) /* the tap looks into the padding */
                n_nan += isnan(x);
            else
                n_inf += isinf(x) && x == y;
        }
        printf("     algo %d: border %d NaN, inner %d Inf\n", (int)algos[ai], n_nan, n_inf);
        GC_CHECK_MSG(bad == 0, "algo %d: %d outputs of other channels differ", (int)algos[ai], bad);
        GC_CHECK(n_inf == 2 * 6 * 7);
        GC_CHECK(n_nan == 2 * (7 + 8 - 1));
        gc_tensor *all[] = {&in, &w, &out, &ref, &gout, &gw, &gwref};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            gc_tensor_free(all[i]);
    }
}

/* ---- an output overlapping an input --------------------------------------------------- */

/* One float arena holds every operand; an "alias" output is a view over an input's memory
 * shifted by one element (a partial overlap, not just the same pointer). */
enum { ARENA = 1 << 16 };
static float arena[ARENA];
static float arena_copy[ARENA];

static void at_arena(gc_tensor *t, int64_t off, int rank, const int64_t *dims)
{
    GC_CHECK_OK(gc_tensor_wrap(t, GC_DTYPE_F32, rank, dims, NULL, arena + off));
}

/* The call is refused with GC_ERR_ALIAS and wrote nothing. */
#define CHECK_ALIAS(call)                                                                      \
    do {                                                                                       \
        memcpy(arena_copy, arena, sizeof arena);                                               \
        GC_CHECK_STATUS(call, GC_ERR_ALIAS);                                                   \
        GC_CHECK(memcmp(arena_copy, arena, sizeof arena) == 0);                                \
    } while (0)

static void test_alias_every_op(void)
{
    gc_rng rng = {99};
    for (int i = 0; i < ARENA; i++)
        arena[i] = (float)gc_rng_next(&rng);
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    int64_t off = 0;
    /* correlation: 3 x 10 x 10 input, 4 x 3 x 3 x 3 kernel, 4 x 8 x 8 output */
    {
        gc_tensor in, k, out, bad;
        const int64_t od[3] = {4, 8, 8};
        at_arena(&in, off, 3, (int64_t[]){3, 10, 10}), off += 300;
        at_arena(&k, off, 4, (int64_t[]){4, 3, 3, 3}), off += 108;
        at_arena(&out, off, 3, od), off += 256;
        const gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_VALID};
        GC_CHECK_OK(gc_corr(ctx, &d, &in, &k, &out));
        const gc_tensor *srcs[] = {&in, &k};
        for (int s = 0; s < 2; s++) {
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 3, od, NULL, (float *)srcs[s]->data + 1));
            CHECK_ALIAS(gc_corr(ctx, &d, &in, &k, &bad));
            CHECK_ALIAS(gc_corr_reference(ctx, &d, &in, &k, &bad));
            CHECK_ALIAS(gc_xcorr2(ctx, &in, &k, GC_MODE_VALID, &bad));
            CHECK_ALIAS(gc_conv2(ctx, &in, &k, GC_MODE_VALID, &bad));
        }
    }
    /* Gram: input 6 x 20 -> G 6 x 6 */
    {
        gc_gram_desc d = gc_gram_desc_default();
        const int64_t gd[2] = {6, 6}, fd[2] = {6, 20};
        gc_tensor in, g, gout, gin, target, ws, bad;
        at_arena(&in, off, 2, fd), off += 120;
        at_arena(&g, off, 2, gd), off += 36;
        at_arena(&gout, off, 2, gd), off += 36;
        at_arena(&gin, off, 2, fd), off += 120;
        at_arena(&target, off, 2, gd), off += 36;
        at_arena(&ws, off, 2, gd), off += 36;
        double loss;
        GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, &g));
        GC_CHECK_OK(gc_gram_backward(ctx, &d, &in, &gout, &gin));
        GC_CHECK_OK(gc_gram_style_loss(ctx, &d, &in, &target, 1.0, &loss, &gin, &ws));
        GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 2, gd, NULL, (float *)in.data + 1));
        CHECK_ALIAS(gc_gram_forward(ctx, &d, &in, &bad));
        CHECK_ALIAS(gc_gram_forward_reference(ctx, &d, &in, &bad));
        const gc_tensor *srcs[] = {&in, &gout};
        for (int s = 0; s < 2; s++) {
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 2, fd, NULL, (float *)srcs[s]->data + 1));
            CHECK_ALIAS(gc_gram_backward(ctx, &d, &in, &gout, &bad));
            CHECK_ALIAS(gc_gram_backward_accumulate(ctx, &d, &in, &gout, 1.0, &bad));
            CHECK_ALIAS(gc_gram_backward_reference(ctx, &d, &in, &gout, &bad));
        }
        /* style loss: the workspace over the input or target; grad_input over any of them */
        const gc_tensor *ws_srcs[] = {&in, &target};
        for (int s = 0; s < 2; s++) {
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 2, gd, NULL, (float *)ws_srcs[s]->data + 1));
            CHECK_ALIAS(gc_gram_style_loss(ctx, &d, &in, &target, 1.0, &loss, &gin, &bad));
            CHECK_ALIAS(gc_gram_style_loss(ctx, &d, &in, &target, 1.0, &loss, NULL, &bad));
        }
        const gc_tensor *gi_srcs[] = {&in, &target, &ws};
        for (int s = 0; s < 3; s++) {
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 2, fd, NULL, (float *)gi_srcs[s]->data + 1));
            CHECK_ALIAS(gc_gram_style_loss(ctx, &d, &in, &target, 1.0, &loss, &bad, &ws));
        }
    }
    /* conv2d: input 1 x 3 x 8 x 8, weight 4 x 3 x 3 x 3, bias 4, output 1 x 4 x 6 x 6 */
    {
        gc_conv2d_desc d = gc_conv2d_desc_default();
        d.algo = GC_CONV_ALGO_DIRECT;
        const int64_t xd[4] = {1, 3, 8, 8}, wd[4] = {4, 3, 3, 3}, bd[1] = {4}, yd[4] = {1, 4, 6, 6};
        gc_tensor in, w, b, out, gout, gin, gw, gb, bad;
        at_arena(&in, off, 4, xd), off += 192;
        at_arena(&w, off, 4, wd), off += 108;
        at_arena(&b, off, 1, bd), off += 4;
        at_arena(&out, off, 4, yd), off += 144;
        at_arena(&gout, off, 4, yd), off += 144;
        at_arena(&gin, off, 4, xd), off += 192;
        at_arena(&gw, off, 4, wd), off += 108;
        at_arena(&gb, off, 1, bd), off += 4;
        GC_CHECK(off < ARENA);
        size_t ws_bytes = 0;
        GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &ws_bytes));
        size_t more = 0;
        GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_BACKWARD_INPUT, &more));
        ws_bytes = more > ws_bytes ? more : ws_bytes;
        GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_BACKWARD_WEIGHT, &more));
        ws_bytes = more > ws_bytes ? more : ws_bytes;
        void *ws = NULL;
        GC_CHECK(posix_memalign(&ws, 64, ws_bytes ? ws_bytes : 64) == 0);
        GC_CHECK_OK(gc_conv2d_forward(ctx, &d, &in, &w, &b, &out, ws, ws_bytes));
        GC_CHECK_OK(gc_conv2d_backward_input(ctx, &d, &gout, &w, &gin, ws, ws_bytes));
        GC_CHECK_OK(gc_conv2d_backward_weight(ctx, &d, &in, &gout, 1.0, &gw, &gb, ws, ws_bytes));
        const gc_tensor *fwd_srcs[] = {&in, &w, &b};
        for (int s = 0; s < 3; s++) {
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 4, yd, NULL, (float *)fwd_srcs[s]->data + 1));
            CHECK_ALIAS(gc_conv2d_forward(ctx, &d, &in, &w, &b, &bad, ws, ws_bytes));
        }
        const gc_tensor *bi_srcs[] = {&gout, &w};
        for (int s = 0; s < 2; s++) {
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 4, xd, NULL, (float *)bi_srcs[s]->data + 1));
            CHECK_ALIAS(gc_conv2d_backward_input(ctx, &d, &gout, &w, &bad, ws, ws_bytes));
        }
        const gc_tensor *bw_srcs[] = {&in, &gout, &gb};
        for (int s = 0; s < 3; s++) {
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 4, wd, NULL, (float *)bw_srcs[s]->data + 1));
            CHECK_ALIAS(gc_conv2d_backward_weight(ctx, &d, &in, &gout, 1.0, &bad, &gb, ws, ws_bytes));
        }
        const gc_tensor *bb_srcs[] = {&in, &gout, &gw};
        for (int s = 0; s < 3; s++) {
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 1, bd, NULL, (float *)bb_srcs[s]->data + 1));
            CHECK_ALIAS(gc_conv2d_backward_weight(ctx, &d, &in, &gout, 1.0, &gw, &bad, ws, ws_bytes));
        }
        /* every algorithm refuses the same way */
        const gc_conv_algo algos[] = {GC_CONV_ALGO_AUTO, GC_CONV_ALGO_IM2COL, GC_CONV_ALGO_REFERENCE};
        for (int a = 0; a < 3; a++) {
            gc_conv2d_desc da = d;
            da.algo = algos[a];
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 4, yd, NULL, (float *)in.data + 1));
            CHECK_ALIAS(gc_conv2d_forward(ctx, &da, &in, &w, &b, &bad, NULL, 0));
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 4, xd, NULL, (float *)gout.data + 1));
            CHECK_ALIAS(gc_conv2d_backward_input(ctx, &da, &gout, &w, &bad, NULL, 0));
            GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 4, wd, NULL, (float *)in.data + 1));
            CHECK_ALIAS(gc_conv2d_backward_weight(ctx, &da, &in, &gout, 1.0, &bad, NULL, NULL, 0));
        }
        free(ws);
    }
    /* tensor copy */
    {
        gc_tensor src, bad;
        at_arena(&src, off, 1, (int64_t[]){10});
        GC_CHECK_OK(gc_tensor_wrap(&bad, GC_DTYPE_F32, 1, (int64_t[]){10}, NULL, arena + off + 9));
        CHECK_ALIAS(gc_tensor_copy(&src, &bad));
    }
    gc_context_free(ctx);
}

/* ---- non-contiguous conv2d views -------------------------------------------------------- */

static void test_conv2d_views(void)
{
    /* input N x C x H x W as a transposed (W, H swapped) and narrowed (C of 5) view; weight
     * narrowed along its output channels; output and gradients narrowed out of bigger buffers
     * whose other elements must stay untouched (sentinel). */
    const double sentinel = 1234.5;
    const gc_conv_algo algos[] = {GC_CONV_ALGO_AUTO, GC_CONV_ALGO_DIRECT, GC_CONV_ALGO_IM2COL};
    for (int ai = 0; ai < 3; ai++)
        for (int di = 0; di < 2; di++) {
            const gc_dtype dt = di ? GC_DTYPE_F64 : GC_DTYPE_F32;
            gc_conv2d_desc d = gc_conv2d_desc_default();
            d.pad[0] = 1, d.pad[1] = 2;
            d.algo = algos[ai];
            gc_conv2d_desc r = d;
            r.algo = GC_CONV_ALGO_REFERENCE;
            gc_tensor in_base, in_t, in, w_base, w, y_base, y, yref, gout_base, gout, gin_base, gin, ginref,
                gw_base, gw, gwref;
            /* memory N x C5 x W x H, viewed as N x 3 x H x W */
            GC_CHECK_OK(gc_tensor_create(NULL, &in_base, dt, 4, (int64_t[]){2, 5, 11, 9}));
            fill(&in_base, 21);
            GC_CHECK_OK(gc_tensor_transpose(&in_base, 2, 3, &in_t));
            GC_CHECK_OK(gc_tensor_narrow(&in_t, 1, 1, 3, &in));
            GC_CHECK(!gc_tensor_is_contiguous(&in));
            GC_CHECK_OK(gc_tensor_create(NULL, &w_base, dt, 4, (int64_t[]){7, 3, 3, 3}));
            fill(&w_base, 22);
            GC_CHECK_OK(gc_tensor_narrow(&w_base, 0, 2, 4, &w));
            int rank;
            int64_t od[GC_MAX_RANK];
            GC_CHECK_OK(gc_conv2d_shape(NULL, &d, &in, &w, &rank, od));
            /* outputs: last dim narrowed out of one 3 wider */
            const int64_t ybig[4] = {od[0], od[1], od[2], od[3] + 3};
            GC_CHECK_OK(gc_tensor_create(NULL, &y_base, dt, 4, ybig));
            GC_CHECK_OK(gc_tensor_narrow(&y_base, 3, 1, od[3], &y));
            GC_CHECK_OK(gc_tensor_create(NULL, &yref, dt, 4, od));
            GC_CHECK_OK(gc_tensor_create(NULL, &gout_base, dt, 4, ybig));
            fill(&gout_base, 23);
            GC_CHECK_OK(gc_tensor_narrow(&gout_base, 3, 2, od[3], &gout));
            const int64_t xbig[4] = {2, 3, 9, 11 + 2};
            GC_CHECK_OK(gc_tensor_create(NULL, &gin_base, dt, 4, xbig));
            GC_CHECK_OK(gc_tensor_narrow(&gin_base, 3, 2, 11, &gin));
            GC_CHECK_OK(gc_tensor_create(NULL, &ginref, dt, 4, (int64_t[]){2, 3, 9, 11}));
            GC_CHECK_OK(gc_tensor_create(NULL, &gw_base, dt, 4, (int64_t[]){6, 3, 3, 3}));
            GC_CHECK_OK(gc_tensor_narrow(&gw_base, 0, 1, 4, &gw));
            GC_CHECK_OK(gc_tensor_create(NULL, &gwref, dt, 4, (int64_t[]){4, 3, 3, 3}));
            gc_tensor *bases[] = {&y_base, &gin_base, &gw_base};
            for (int i = 0; i < 3; i++)
                for (int64_t e = 0; e < numel(bases[i]); e++)
                    put(bases[i], e, sentinel);
            char what[64];
            snprintf(what, sizeof what, "conv2d views algo %d %s", (int)algos[ai], gc_dtype_name(dt));
            int64_t nans = 0;
            GC_CHECK_OK(conv_pass(NULL, &d, GC_CONV_PASS_FORWARD, &in, &w, NULL, &y));
            GC_CHECK_OK(conv_pass(NULL, &r, GC_CONV_PASS_FORWARD, &in, &w, NULL, &yref));
            gc_tensor yc;
            GC_CHECK_OK(gc_tensor_contiguous(NULL, &y, &yc));
            GC_CHECK_MSG(ieee_agree(what, &yc, &yref, tol_of(dt), &nans), "%s forward", what);
            gc_tensor_free(&yc);
            GC_CHECK_OK(conv_pass(NULL, &d, GC_CONV_PASS_BACKWARD_INPUT, &gout, &w, NULL, &gin));
            GC_CHECK_OK(conv_pass(NULL, &r, GC_CONV_PASS_BACKWARD_INPUT, &gout, &w, NULL, &ginref));
            GC_CHECK_OK(gc_tensor_contiguous(NULL, &gin, &yc));
            GC_CHECK_MSG(ieee_agree(what, &yc, &ginref, tol_of(dt), &nans), "%s backward_input", what);
            gc_tensor_free(&yc);
            /* grad_weight accumulates: both start at zero (the reference's is zero-filled) */
            for (int64_t o = 0; o < 4; o++)
                for (int64_t e = 0; e < 27; e++)
                    put(&gw_base, (o + 1) * 27 + e, 0.0);
            GC_CHECK_OK(conv_pass(NULL, &d, GC_CONV_PASS_BACKWARD_WEIGHT, &in, &gout, NULL, &gw));
            GC_CHECK_OK(conv_pass(NULL, &r, GC_CONV_PASS_BACKWARD_WEIGHT, &in, &gout, NULL, &gwref));
            GC_CHECK_OK(gc_tensor_contiguous(NULL, &gw, &yc));
            GC_CHECK_MSG(ieee_agree(what, &yc, &gwref, tol_of(dt), &nans), "%s backward_weight", what);
            gc_tensor_free(&yc);
            GC_CHECK(nans == 0);
            /* nothing outside the views was written */
            int outside = 0;
            for (int64_t e = 0; e < numel(&y_base); e++) {
                const int64_t x = e % ybig[3];
                outside += (x < 1 || x >= 1 + od[3]) && at(&y_base, e) != sentinel;
            }
            for (int64_t e = 0; e < numel(&gin_base); e++) {
                const int64_t x = e % xbig[3];
                outside += (x < 2 || x >= 13) && at(&gin_base, e) != sentinel;
            }
            for (int64_t e = 0; e < 27; e++)
                outside += at(&gw_base, e) != sentinel || at(&gw_base, 5 * 27 + e) != sentinel;
            GC_CHECK_MSG(outside == 0, "%s: %d elements outside the output views written", what, outside);
            gc_tensor *all[] = {&in_base, &w_base, &y_base, &yref, &gout_base, &gin_base, &ginref, &gw_base, &gwref};
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                gc_tensor_free(all[i]);
        }
}

/* ---- zero-size dims in conv2d ------------------------------------------------------------ */

static void test_conv2d_empty(void)
{
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    const gc_conv2d_desc d = gc_conv2d_desc_default();
    const int64_t ins[][4] = {{0, 3, 8, 8}, {1, 0, 8, 8}, {1, 3, 0, 8}, {1, 3, 8, 0}};
    const int64_t ws[][4] = {{4, 3, 3, 3}, {4, 0, 3, 3}, {4, 3, 3, 3}, {4, 3, 3, 3}};
    for (int i = 0; i < 4; i++) {
        gc_tensor in, w, out;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, ins[i]));
        GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, ws[i]));
        int r;
        int64_t od[GC_MAX_RANK];
        GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_EMPTY);
        GC_CHECK(strstr(gc_context_last_error(ctx), "empty") != NULL);
        GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 4, (int64_t[]){1, 4, 6, 6}));
        GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &out, NULL, 0), GC_ERR_EMPTY);
        size_t bytes = 1;
        GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_EMPTY);
        gc_tensor_free(&in);
        gc_tensor_free(&w);
        gc_tensor_free(&out);
    }
    /* no output channels */
    gc_tensor in, w;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){1, 3, 8, 8}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){0, 3, 3, 3}));
    int r;
    int64_t od[GC_MAX_RANK];
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_EMPTY);
    gc_tensor_free(&in);
    gc_tensor_free(&w);
    gc_context_free(ctx);
}

/* ---- size products at the limits ---------------------------------------------------------- */

/* Padding, stride and dilation at INT64_MAX (refused before any arithmetic) and at 2^31 - 1
 * (accepted: every size sum and product is checked before it is formed, so UBSan, which
 * halts on a signed overflow in the sanitizer build, sees none). A 1x1 input padded by 2^31 - 1
 * with stride 2^31 - 1 gives a 3x3 output whose centre is the product and the rest zero. */
static void test_conv2d_size_limits(void)
{
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_tensor in, w, w3;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){1, 1, 1, 1}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){1, 1, 1, 1}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w3, GC_DTYPE_F32, 4, (int64_t[]){1, 1, 3, 3}));
    ((float *)in.data)[0] = 2.0f;
    ((float *)w.data)[0] = 3.0f;
    for (int i = 0; i < 9; i++)
        ((float *)w3.data)[i] = 1.0f;
    const int64_t big = INT64_MAX, m31 = INT32_MAX;
    for (int field = 0; field < 3; field++) {
        for (int side = 0; side < 2; side++) {
            gc_conv2d_desc d = gc_conv2d_desc_default();
            int64_t *v = field == 0 ? d.pad : field == 1 ? d.stride : d.dilation;
            v[side] = big;
            int r;
            int64_t od[GC_MAX_RANK];
            size_t bytes = 0;
            GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w3, &r, od), GC_ERR_ARG);
            GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w3, GC_CONV_PASS_FORWARD, &bytes),
                            GC_ERR_ARG);
        }
    }
    /* 2^31 - 1: shape and workspace size for every algorithm and pass, never UB */
    const int64_t geo[][6] = {/* pad h, w, stride h, w, dilation h, w */
                              {m31, m31, 1, 1, 1, 1},       {m31, m31, m31, m31, 1, 1},
                              {m31, 0, m31, 1, 1, 1},       {m31, m31, 1, 1, m31, m31},
                              {0, 0, m31, m31, m31, m31},   {m31, m31, m31, m31, m31, m31}};
    for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++)
        for (int algo = GC_CONV_ALGO_AUTO; algo <= GC_CONV_ALGO_GEMM; algo++)
            for (int pass = GC_CONV_PASS_FORWARD; pass <= GC_CONV_PASS_BACKWARD_WEIGHT; pass++)
                for (int k = 0; k < 2; k++) {
                    gc_conv2d_desc d = gc_conv2d_desc_default();
                    d.pad[0] = geo[g][0], d.pad[1] = geo[g][1];
                    d.stride[0] = geo[g][2], d.stride[1] = geo[g][3];
                    d.dilation[0] = geo[g][4], d.dilation[1] = geo[g][5];
                    d.algo = (gc_conv_algo)algo;
                    int r;
                    int64_t od[GC_MAX_RANK];
                    size_t bytes = 0;
                    gc_status s1 = gc_conv2d_shape(ctx, &d, &in, k ? &w3 : &w, &r, od);
                    gc_status s2 = gc_conv2d_workspace_size(ctx, &d, &in, k ? &w3 : &w,
                                                            (gc_conv_pass)pass, &bytes);
                    GC_CHECK(s1 == GC_OK || s1 == GC_ERR_OVERFLOW || s1 == GC_ERR_SHAPE);
                    GC_CHECK(s2 != GC_ERR_INTERNAL && s2 != GC_ERR_NULL);
                }
    /* the exact small case */
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = d.pad[1] = m31;
    d.stride[0] = d.stride[1] = m31;
    int r;
    int64_t od[GC_MAX_RANK];
    GC_CHECK_OK(gc_conv2d_shape(ctx, &d, &in, &w, &r, od));
    GC_CHECK(r == 4 && od[2] == 3 && od[3] == 3);
    gc_tensor out;
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 4, (int64_t[]){1, 1, 3, 3}));
    for (int algo = GC_CONV_ALGO_AUTO; algo <= GC_CONV_ALGO_GEMM; algo++) {
        d.algo = (gc_conv_algo)algo;
        size_t bytes = 0;
        gc_status st = gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes);
        if (st != GC_OK || bytes > ((size_t)1 << 30))
            continue; /* an algorithm may refuse this geometry; none may misbehave */
        void *ws = bytes ? malloc(bytes) : NULL;
        st = gc_conv2d_forward(ctx, &d, &in, &w, NULL, &out, ws, bytes);
        free(ws);
        if (st != GC_OK)
            continue;
        for (int i = 0; i < 9; i++)
            GC_CHECK_MSG(((float *)out.data)[i] == (i == 4 ? 6.0f : 0.0f), "algo %d element %d: %g",
                         algo, i, (double)((float *)out.data)[i]);
    }
    gc_tensor_free(&out);
    gc_tensor_free(&in);
    gc_tensor_free(&w);
    gc_tensor_free(&w3);
    gc_context_free(ctx);
}

/* ---- a write failing midway --------------------------------------------------------------- */

static void test_npy_write_fails_midway(void)
{
    char dir[] = "/tmp/gc_harden_npy.XXXXXX";
    GC_CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/out.npy", dir);
    gc_tensor small, big, back;
    GC_CHECK_OK(gc_tensor_create(NULL, &small, GC_DTYPE_F32, 1, (int64_t[]){3}));
    fill(&small, 1);
    GC_CHECK_OK(gc_npy_write(NULL, path, &small)); /* an existing file: 140 bytes */
    GC_CHECK_OK(gc_tensor_create(NULL, &big, GC_DTYPE_F64, 2, (int64_t[]){100, 100}));
    fill(&big, 2);
    gc_tensor big_t;
    GC_CHECK_OK(gc_tensor_transpose(&big, 0, 1, &big_t)); /* the chunked writer too */
    /* a 4 KiB file size limit: the 80 KB write fails after its first bytes (EFBIG, as a full
     * disk's ENOSPC would); SIGXFSZ ignored so write() returns the error */
    struct rlimit old;
    GC_CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {4096, old.rlim_max};
    if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < 4096)
        lim.rlim_cur = old.rlim_cur;
    GC_CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    const gc_tensor *srcs[] = {&big, &big_t};
    for (int s = 0; s < 2; s++) {
        GC_CHECK_STATUS(gc_npy_write(ctx, path, srcs[s]), GC_ERR_IO);
        GC_CHECK(strstr(gc_context_last_error(ctx), path) != NULL);
        GC_CHECK(strstr(gc_context_last_error(ctx), strerror(EFBIG)) != NULL);
    }
    char fresh[160];
    snprintf(fresh, sizeof fresh, "%s/new.npy", dir);
    GC_CHECK_STATUS(gc_npy_write(ctx, fresh, &big), GC_ERR_IO);
    GC_CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, old_sig);
    struct stat sb;
    GC_CHECK(stat(fresh, &sb) != 0 && errno == ENOENT); /* no partial new file */
    /* the old file is intact and is the only entry left (no temporary) */
    GC_CHECK_OK(gc_npy_read(NULL, path, &back));
    GC_CHECK(gc_test_max_abs_diff(&back, &small) == 0.0);
    gc_tensor_free(&back);
    GC_CHECK(unlink(path) == 0);
    GC_CHECK(rmdir(dir) == 0); /* fails if a temporary file was left */
    gc_tensor_free(&small);
    gc_tensor_free(&big);
    gc_context_free(ctx);
}

/* ---- thread counts -------------------------------------------------------------------------- */

static void test_thread_counts(void)
{
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    const int cores = online < 1 ? 1 : online > 1024 ? 1024 : (int)online;
    const char *saved = getenv("GC_NUM_THREADS");
    char *saved_copy = saved ? strdup(saved) : NULL;
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    /* the library: 0 = default, 1..1024 kept, anything else refused and the old value kept */
    unsetenv("GC_NUM_THREADS");
    GC_CHECK_OK(gc_context_set_threads(ctx, 0));
    GC_CHECK(gc_context_threads(ctx) == cores);
    GC_CHECK(gc_context_threads(NULL) == cores);
    GC_CHECK_OK(gc_context_set_threads(ctx, 1024));
    GC_CHECK(gc_context_threads(ctx) == 1024);
    const int refused[] = {1025, INT_MAX, -1, INT_MIN};
    for (int i = 0; i < 4; i++) {
        GC_CHECK_STATUS(gc_context_set_threads(ctx, refused[i]), GC_ERR_ARG);
        GC_CHECK(strstr(gc_context_last_error(ctx), "1024") != NULL);
        GC_CHECK(gc_context_threads(ctx) == 1024);
    }
    GC_CHECK_STATUS(gc_context_set_threads(NULL, 2), GC_ERR_NULL);
    /* the environment: a number in 1..1024 is used, anything else falls back to the cores */
    static const struct { const char *value; int want; } env[] = {
        {"7", 7}, {"1024", 1024}, {"1", 1}, {"", -1}, {"abc", -1}, {"0", -1}, {"-3", -1},
        {"1025", -1}, {"4x", -1}, {"4 ", -1}, {"2.5", -1}, {"0x10", -1},
        {"99999999999999999999999", -1}, {"-99999999999999999999999", -1},
    };
    GC_CHECK_OK(gc_context_set_threads(ctx, 0));
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        GC_CHECK(setenv("GC_NUM_THREADS", env[i].value, 1) == 0);
        const int want = env[i].want > 0 ? env[i].want : cores;
        GC_CHECK_MSG(gc_context_threads(ctx) == want, "GC_NUM_THREADS='%s': %d threads, expected %d",
                     env[i].value, gc_context_threads(ctx), want);
        GC_CHECK(gc_context_threads(NULL) == want);
    }
    /* an explicit count wins over the environment */
    GC_CHECK(setenv("GC_NUM_THREADS", "7", 1) == 0);
    GC_CHECK_OK(gc_context_set_threads(ctx, 3));
    GC_CHECK(gc_context_threads(ctx) == 3);
    /* ops under 1024 threads (capped by their task counts) and under garbage give the
     * one-thread result */
    gc_tensor in, k, out1, outn;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 3, (int64_t[]){2, 30, 17}));
    GC_CHECK_OK(gc_tensor_create(NULL, &k, GC_DTYPE_F32, 4, (int64_t[]){3, 2, 3, 3}));
    fill(&in, 5);
    fill(&k, 6);
    GC_CHECK_OK(gc_tensor_create(NULL, &out1, GC_DTYPE_F32, 3, (int64_t[]){3, 28, 15}));
    GC_CHECK_OK(gc_tensor_create(NULL, &outn, GC_DTYPE_F32, 3, (int64_t[]){3, 28, 15}));
    GC_CHECK_OK(gc_context_set_threads(ctx, 1));
    GC_CHECK_OK(gc_xcorr2(ctx, &in, &k, GC_MODE_VALID, &out1));
    GC_CHECK_OK(gc_context_set_threads(ctx, 1024));
    GC_CHECK_OK(gc_xcorr2(ctx, &in, &k, GC_MODE_VALID, &outn));
    GC_CHECK(gc_test_max_abs_diff(&out1, &outn) == 0.0);
    gc_gram_desc gd = gc_gram_desc_default();
    gc_tensor g1, gn;
    GC_CHECK_OK(gc_tensor_create(NULL, &g1, GC_DTYPE_F32, 2, (int64_t[]){2, 2}));
    GC_CHECK_OK(gc_tensor_create(NULL, &gn, GC_DTYPE_F32, 2, (int64_t[]){2, 2}));
    gc_tensor flat;
    GC_CHECK_OK(gc_tensor_view(&in, 2, (int64_t[]){2, 510}, &flat));
    GC_CHECK_OK(gc_gram_forward(ctx, &gd, &flat, &gn));
    GC_CHECK_OK(gc_context_set_threads(ctx, 1));
    GC_CHECK_OK(gc_gram_forward(ctx, &gd, &flat, &g1));
    GC_CHECK(gc_test_max_abs_diff(&g1, &gn) == 0.0);
    GC_CHECK(setenv("GC_NUM_THREADS", "garbage", 1) == 0);
    GC_CHECK_OK(gc_xcorr2(NULL, &in, &k, GC_MODE_VALID, &outn));
    GC_CHECK(gc_test_max_abs_diff(&out1, &outn) == 0.0);
    if (saved_copy)
        setenv("GC_NUM_THREADS", saved_copy, 1);
    else
        unsetenv("GC_NUM_THREADS");
    free(saved_copy);
    gc_tensor *all[] = {&in, &k, &out1, &outn, &g1, &gn};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
    gc_context_free(ctx);
}

GC_TEST_TABLE(gc_tests_harden) = {
    {"harden_nan_inf_corr", test_nan_inf_corr},
    {"harden_nan_inf_gram", test_nan_inf_gram},
    {"harden_nan_inf_conv2d", test_nan_inf_conv2d},
    {"harden_nan_at_border", test_nan_at_border},
    {"harden_alias_every_op", test_alias_every_op},
    {"harden_conv2d_views", test_conv2d_views},
    {"harden_conv2d_empty", test_conv2d_empty},
    {"harden_conv2d_size_limits", test_conv2d_size_limits},
    {"harden_npy_write_fails_midway", test_npy_write_fails_midway},
    {"harden_thread_counts", test_thread_counts},
    {NULL, NULL},
};
