/* test_conv2d.c - SpatialConvolution: the seed's 88, fast paths vs the float64 reference over
 * strides, pads, dilations, groups, padding modes, batch 1 and >1 and every ISA; equality with
 * xcorr2 3D x 4D + bias; finite differences for the reference backward passes; PyTorch
 * goldens; batch = looped; refusals. */
#include "gc_test.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t N, C, H, W, O, G, KH, KW, sh, sw, ph, pw, dh, dw;
    gc_boundary mode;
    int batched, bias;
} geo;

static gc_conv2d_desc desc_of(const geo *g, gc_conv_algo algo)
{
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.stride[0] = g->sh, d.stride[1] = g->sw;
    d.pad[0] = g->ph, d.pad[1] = g->pw;
    d.dilation[0] = g->dh, d.dilation[1] = g->dw;
    d.groups = g->G;
    d.padding_mode = g->mode;
    d.algo = algo;
    return d;
}

static void make_in(const geo *g, gc_dtype dt, gc_tensor *t)
{
    if (g->batched)
        GC_CHECK_OK(gc_tensor_create(NULL, t, dt, 4, (int64_t[]){g->N, g->C, g->H, g->W}));
    else
        GC_CHECK_OK(gc_tensor_create(NULL, t, dt, 3, (int64_t[]){g->C, g->H, g->W}));
}

/* Workspace-aware calls: query, allocate, run, free (gc_test.h; used by every conv2d test
 * file). */
gc_status gc_test_conv2d_forward(gc_context *ctx, const gc_conv2d_desc *d, const gc_tensor *in, const gc_tensor *w,
                     const gc_tensor *b, gc_tensor *out)
{
    size_t bytes = 0;
    gc_status st = gc_conv2d_workspace_size(ctx, d, in, w, GC_CONV_PASS_FORWARD, &bytes);
    void *ws = NULL;
    if (st == GC_OK && bytes && posix_memalign(&ws, 64, bytes))
        return GC_ERR_NOMEM;
    if (st == GC_OK)
        st = gc_conv2d_forward(ctx, d, in, w, b, out, ws, bytes);
    free(ws);
    return st;
}

gc_status gc_test_conv2d_backward_input(gc_context *ctx, const gc_conv2d_desc *d, const gc_tensor *gout, const gc_tensor *w,
                        gc_tensor *gin)
{
    size_t bytes = 0;
    gc_status st = gc_conv2d_workspace_size(ctx, d, gin, w, GC_CONV_PASS_BACKWARD_INPUT, &bytes);
    void *ws = NULL;
    if (st == GC_OK && bytes && posix_memalign(&ws, 64, bytes))
        return GC_ERR_NOMEM;
    if (st == GC_OK)
        st = gc_conv2d_backward_input(ctx, d, gout, w, gin, ws, bytes);
    free(ws);
    return st;
}

gc_status gc_test_conv2d_backward_weight(gc_context *ctx, const gc_conv2d_desc *d, const gc_tensor *in, const gc_tensor *gout,
                       double scale, gc_tensor *gw, gc_tensor *gb)
{
    size_t bytes = 0;
    gc_status st = gc_conv2d_workspace_size(ctx, d, in, gw, GC_CONV_PASS_BACKWARD_WEIGHT, &bytes);
    void *ws = NULL;
    if (st == GC_OK && bytes && posix_memalign(&ws, 64, bytes))
        return GC_ERR_NOMEM;
    if (st == GC_OK)
        st = gc_conv2d_backward_weight(ctx, d, in, gout, scale, gw, gb, ws, bytes);
    free(ws);
    return st;
}

/* Largest |a-b| / (|ref_abs| * (terms + 2) * eps); <= 1 passes. ref_abs bounds sum|terms|. */
static double ratio(const gc_tensor *a, const gc_tensor *b, const gc_tensor *bound, double terms)
{
    int64_t n;
    gc_tensor_numel(a, &n);
    const double eps = a->dtype == GC_DTYPE_F32 ? FLT_EPSILON : DBL_EPSILON;
    double worst = 0;
    for (int64_t e = 0; e < n; e++) {
        double va = a->dtype == GC_DTYPE_F32 ? ((float *)a->data)[e] : ((double *)a->data)[e];
        double vb = b->dtype == GC_DTYPE_F32 ? ((float *)b->data)[e] : ((double *)b->data)[e];
        double vm = bound->dtype == GC_DTYPE_F32 ? ((float *)bound->data)[e] : ((double *)bound->data)[e];
        double r = fabs(va - vb) / ((terms + 2) * eps * fabs(vm) + 1e-300);
        if (isnan(r) || (va != vb && vm == 0))
            return INFINITY;
        if (va != vb && r > worst)
            worst = r;
    }
    return worst;
}

static void absify(gc_tensor *t)
{
    int64_t n;
    gc_tensor_numel(t, &n);
    for (int64_t e = 0; e < n; e++) {
        if (t->dtype == GC_DTYPE_F32)
            ((float *)t->data)[e] = fabsf(((float *)t->data)[e]);
        else
            ((double *)t->data)[e] = fabs(((double *)t->data)[e]);
    }
}

/* One geometry: forward, backward_input, backward_weight on AUTO (every ISA) vs REFERENCE,
 * and forward / backward_input forced to IM2COL. */
static void check_geometry(const geo *g, gc_dtype dt, unsigned seed)
{
    gc_rng rng = {seed};
    gc_tensor in, w, b, out, ref, gout, gin, ginref, gw, gwref, gb, gbref;
    make_in(g, dt, &in);
    GC_CHECK_OK(gc_tensor_create(NULL, &w, dt, 4, (int64_t[]){g->O, g->C / g->G, g->KH, g->KW}));
    GC_CHECK_OK(gc_tensor_create(NULL, &b, dt, 1, (int64_t[]){g->O}));
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&w, &rng, 0);
    gc_test_fill(&b, &rng, 0);
    gc_conv2d_desc dauto = desc_of(g, GC_CONV_ALGO_AUTO), dref = desc_of(g, GC_CONV_ALGO_REFERENCE);
    int r;
    int64_t od[GC_MAX_RANK];
    gc_status st = gc_conv2d_shape(NULL, &dauto, &in, &w, &r, od);
    GC_CHECK_OK(st);
    if (st != GC_OK) {
        gc_tensor_free(&in); gc_tensor_free(&w); gc_tensor_free(&b);
        return;
    }
    GC_CHECK_OK(gc_tensor_create(NULL, &out, dt, r, od));
    GC_CHECK_OK(gc_tensor_create(NULL, &ref, dt, r, od));
    GC_CHECK_OK(gc_tensor_create(NULL, &gout, dt, r, od));
    gc_test_fill(&gout, &rng, 0);
    make_in(g, dt, &gin);
    make_in(g, dt, &ginref);
    GC_CHECK_OK(gc_tensor_create(NULL, &gw, dt, 4, w.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &gwref, dt, 4, w.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &gb, dt, 1, b.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &gbref, dt, 1, b.dims));
    const gc_tensor *bp = g->bias ? &b : NULL;
    GC_CHECK_OK(gc_test_conv2d_forward(NULL, &dref, &in, &w, bp, &ref));
    GC_CHECK_OK(gc_test_conv2d_backward_input(NULL, &dref, &gout, &w, &ginref));
    /* accumulate onto existing values with a scale, as accGradParameters does */
    gc_test_fill(&gwref, &rng, 1);
    gc_test_fill(&gbref, &rng, 1);
    GC_CHECK_OK(gc_tensor_copy(&gwref, &gw));
    GC_CHECK_OK(gc_tensor_copy(&gbref, &gb));
    const gc_tensor gw0 = gw; (void)gw0;
    gc_tensor gwstart, gbstart;
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gwref, &gwstart));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gbref, &gbstart));
    GC_CHECK_OK(gc_test_conv2d_backward_weight(NULL, &dref, &in, &gout, 0.5, &gwref, &gbref));
    /* bounds: the references on absolute values */
    gc_tensor ain, aw, ab, agout, bound_out, bound_gin, bound_gw, bound_gb;
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &in, &ain));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &w, &aw));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &b, &ab));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gout, &agout));
    absify(&ain); absify(&aw); absify(&ab); absify(&agout);
    GC_CHECK_OK(gc_tensor_create(NULL, &bound_out, dt, r, od));
    make_in(g, dt, &bound_gin);
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gwstart, &bound_gw));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gbstart, &bound_gb));
    absify(&bound_gw); absify(&bound_gb);
    GC_CHECK_OK(gc_test_conv2d_forward(NULL, &dref, &ain, &aw, g->bias ? &ab : NULL, &bound_out));
    GC_CHECK_OK(gc_test_conv2d_backward_input(NULL, &dref, &agout, &aw, &bound_gin));
    GC_CHECK_OK(gc_test_conv2d_backward_weight(NULL, &dref, &ain, &agout, 0.5, &bound_gw, &bound_gb));
    const double terms_f = (double)(g->C / g->G * g->KH * g->KW + 1);
    const double terms_w = (double)(g->N * od[r - 1] * od[r - 2] + 1);
    const double terms_i = (double)(g->O / g->G * g->KH * g->KW + 1);

    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, 2));
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++) {
        GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
        gc_test_poison(&out);
        gc_test_poison(&gin);
        GC_CHECK_OK(gc_tensor_copy(&gwstart, &gw));
        GC_CHECK_OK(gc_tensor_copy(&gbstart, &gb));
        GC_CHECK_MSG(gc_test_conv2d_forward(ctx, &dauto, &in, &w, bp, &out) == GC_OK, "%s", gc_context_last_error(ctx));
        GC_CHECK_MSG(gc_test_conv2d_backward_input(ctx, &dauto, &gout, &w, &gin) == GC_OK, "%s", gc_context_last_error(ctx));
        GC_CHECK_OK(gc_test_conv2d_backward_weight(ctx, &dauto, &in, &gout, 0.5, &gw, &gb));
        double rf = ratio(&out, &ref, &bound_out, terms_f);
        double ri = ratio(&gin, &ginref, &bound_gin, terms_i);
        /* the im2col path forced (AUTO takes it only for stride or dilation > 1) */
        gc_conv2d_desc dim2 = desc_of(g, GC_CONV_ALGO_IM2COL);
        gc_test_poison(&out);
        gc_test_poison(&gin);
        GC_CHECK_MSG(gc_test_conv2d_forward(ctx, &dim2, &in, &w, bp, &out) == GC_OK, "%s", gc_context_last_error(ctx));
        GC_CHECK_MSG(gc_test_conv2d_backward_input(ctx, &dim2, &gout, &w, &gin) == GC_OK, "%s", gc_context_last_error(ctx));
        rf = fmax(rf, ratio(&out, &ref, &bound_out, terms_f));
        ri = fmax(ri, ratio(&gin, &ginref, &bound_gin, terms_i));
        const double rw = ratio(&gw, &gwref, &bound_gw, terms_w);
        const double rb = ratio(&gb, &gbref, &bound_gb, terms_w);
        GC_CHECK_MSG(rf <= 1 && ri <= 1 && rw <= 1 && rb <= 1,
                     "N%lld C%lld %lldx%lld O%lld G%lld k%lldx%lld s%lld,%lld p%lld,%lld d%lld,%lld mode %d %s isa %s: "
                     "error/bound fwd %g bwd_in %g bwd_w %g bwd_b %g",
                     (long long)g->N, (long long)g->C, (long long)g->H, (long long)g->W, (long long)g->O,
                     (long long)g->G, (long long)g->KH, (long long)g->KW, (long long)g->sh, (long long)g->sw,
                     (long long)g->ph, (long long)g->pw, (long long)g->dh, (long long)g->dw, (int)g->mode,
                     gc_dtype_name(dt), gc_isa_name((gc_isa)isa), rf, ri, rw, rb);
    }
    gc_context_free(ctx);
    gc_tensor *all[] = {&in, &w, &b, &out, &ref, &gout, &gin, &ginref, &gw, &gwref, &gb, &gbref, &gwstart,
                        &gbstart, &ain, &aw, &ab, &agout, &bound_out, &bound_gin, &bound_gw, &bound_gb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
}

static void test_sweep(void)
{
    unsigned seed = 1;
    const geo base[] = {
        /* N  C  H   W  O  G KH KW sh sw ph pw dh dw mode batched bias */
        {1, 1, 5, 5, 1, 1, 3, 3, 1, 1, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        {2, 3, 9, 17, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        {1, 4, 8, 19, 6, 2, 3, 2, 1, 1, 2, 0, 1, 1, GC_BOUNDARY_FILL, 0, 0},
        {2, 2, 7, 7, 3, 1, 3, 3, 1, 1, 4, 5, 1, 1, GC_BOUNDARY_FILL, 1, 1}, /* pad beyond k-1 */
        {1, 2, 3, 4, 2, 1, 5, 6, 1, 1, 2, 3, 1, 1, GC_BOUNDARY_FILL, 1, 0}, /* kernel > input */
        {2, 3, 11, 13, 2, 1, 3, 3, 2, 3, 1, 2, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        {1, 2, 12, 9, 2, 1, 3, 2, 1, 1, 2, 1, 2, 3, GC_BOUNDARY_FILL, 1, 1},
        {1, 6, 9, 10, 9, 3, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        {2, 2, 7, 9, 3, 1, 3, 3, 1, 1, 2, 1, 1, 1, GC_BOUNDARY_REFLECT, 1, 1},
        {1, 3, 6, 5, 2, 1, 4, 3, 1, 2, 2, 2, 1, 1, GC_BOUNDARY_REPLICATE, 1, 1},
        {1, 2, 6, 8, 2, 2, 3, 5, 1, 1, 1, 2, 1, 1, GC_BOUNDARY_WRAP, 0, 1},
        {1, 2, 6, 8, 2, 1, 3, 3, 1, 1, 6, 8, 1, 1, GC_BOUNDARY_WRAP, 1, 1},
        {3, 5, 16, 37, 7, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        {1, 2, 9, 9, 2, 2, 1, 1, 3, 3, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        /* enough channels for the packed-panel paths: O, C not multiples of 16, P past the
         * kernels' chunk (256) and the packed chunk (2048) */
        {2, 19, 23, 29, 21, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        {1, 17, 20, 31, 18, 1, 3, 3, 2, 2, 1, 1, 1, 1, GC_BOUNDARY_REFLECT, 1, 1},
        {2, 20, 15, 17, 34, 2, 3, 2, 3, 2, 2, 0, 2, 1, GC_BOUNDARY_REPLICATE, 1, 1},
        {1, 18, 13, 12, 20, 1, 5, 5, 1, 3, 4, 2, 2, 1, GC_BOUNDARY_WRAP, 0, 1},
        {1, 17, 40, 66, 18, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1, 0},
        {1, 20, 60, 70, 24, 1, 1, 1, 1, 1, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1, 1},
        {3, 9, 11, 10, 40, 1, 2, 3, 3, 1, 5, 0, 1, 4, GC_BOUNDARY_FILL, 1, 1}, /* pad > k-1 */
    };
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        for (int di = 0; di < 2; di++)
            check_geometry(&base[i], di ? GC_DTYPE_F64 : GC_DTYPE_F32, seed++);
}

/* Torch7's nn.SpatialConvolution(1,1,2,2):noBias() on the seed's 2x2 input gives 88. */
static void test_seed_88(void)
{
    double in_v[] = {1, 5, 3, 4}, w_v[] = {5, 6, 7, 8}, out_v[1];
    gc_tensor in, w, out;
    GC_CHECK_OK(gc_tensor_wrap(&in, GC_DTYPE_F64, 4, (int64_t[]){1, 1, 2, 2}, NULL, in_v));
    GC_CHECK_OK(gc_tensor_wrap(&w, GC_DTYPE_F64, 4, (int64_t[]){1, 1, 2, 2}, NULL, w_v));
    GC_CHECK_OK(gc_tensor_wrap(&out, GC_DTYPE_F64, 4, (int64_t[]){1, 1, 1, 1}, NULL, out_v));
    gc_conv2d_desc d = gc_conv2d_desc_default();
    GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &in, &w, NULL, &out));
    GC_CHECK(out_v[0] == 88.0);
}

/* pad 0, stride 1: conv2d == xcorr2 3D x 4D plus bias (integer data: exact). */
static void test_equals_xcorr2(void)
{
    gc_rng rng = {3};
    gc_tensor in, w, b, out, x;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 3, (int64_t[]){5, 12, 21}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){6, 5, 3, 4}));
    GC_CHECK_OK(gc_tensor_create(NULL, &b, GC_DTYPE_F32, 1, (int64_t[]){6}));
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 3, (int64_t[]){6, 10, 18}));
    GC_CHECK_OK(gc_tensor_create(NULL, &x, GC_DTYPE_F32, 3, (int64_t[]){6, 10, 18}));
    gc_test_fill(&in, &rng, 1);
    gc_test_fill(&w, &rng, 1);
    gc_test_fill(&b, &rng, 1);
    gc_conv2d_desc d = gc_conv2d_desc_default();
    GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &in, &w, &b, &out));
    GC_CHECK_OK(gc_xcorr2(NULL, &in, &w, GC_MODE_VALID, &x));
    float *xo = x.data, *bo = b.data;
    for (int64_t e = 0; e < 6 * 10 * 18; e++)
        xo[e] += bo[e / 180];
    GC_CHECK(gc_test_max_abs_diff(&out, &x) == 0.0);
    gc_tensor_free(&in); gc_tensor_free(&w); gc_tensor_free(&b); gc_tensor_free(&out); gc_tensor_free(&x);
}

/* Finite differences on the float64 reference: <gout, d out/d theta> for every input, weight
 * and bias element, central differences, against the backward passes. */
static void test_finite_differences(void)
{
    const geo gs[] = {
        {2, 4, 5, 6, 4, 2, 3, 2, 2, 1, 1, 2, 1, 2, GC_BOUNDARY_FILL, 1, 1},
        {1, 2, 5, 5, 2, 1, 3, 3, 1, 1, 2, 1, 1, 1, GC_BOUNDARY_REFLECT, 1, 1},
        {1, 2, 4, 5, 3, 1, 2, 3, 1, 2, 1, 2, 1, 1, GC_BOUNDARY_REPLICATE, 0, 1},
        {1, 2, 4, 5, 2, 1, 3, 3, 1, 1, 2, 2, 1, 1, GC_BOUNDARY_WRAP, 1, 1},
    };
    for (size_t gi = 0; gi < sizeof gs / sizeof gs[0]; gi++) {
        const geo *g = &gs[gi];
        gc_rng rng = {100 + gi};
        gc_tensor in, w, b, out, gout, gin, gw, gb;
        make_in(g, GC_DTYPE_F64, &in);
        GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F64, 4, (int64_t[]){g->O, g->C / g->G, g->KH, g->KW}));
        GC_CHECK_OK(gc_tensor_create(NULL, &b, GC_DTYPE_F64, 1, (int64_t[]){g->O}));
        gc_test_fill(&in, &rng, 0);
        gc_test_fill(&w, &rng, 0);
        gc_test_fill(&b, &rng, 0);
        gc_conv2d_desc d = desc_of(g, GC_CONV_ALGO_REFERENCE);
        int r;
        int64_t od[GC_MAX_RANK];
        GC_CHECK_OK(gc_conv2d_shape(NULL, &d, &in, &w, &r, od));
        GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F64, r, od));
        GC_CHECK_OK(gc_tensor_create(NULL, &gout, GC_DTYPE_F64, r, od));
        gc_test_fill(&gout, &rng, 0);
        make_in(g, GC_DTYPE_F64, &gin);
        GC_CHECK_OK(gc_tensor_create(NULL, &gw, GC_DTYPE_F64, 4, w.dims));
        GC_CHECK_OK(gc_tensor_create(NULL, &gb, GC_DTYPE_F64, 1, b.dims));
        GC_CHECK_OK(gc_test_conv2d_backward_input(NULL, &d, &gout, &w, &gin));
        GC_CHECK_OK(gc_test_conv2d_backward_weight(NULL, &d, &in, &gout, 1.0, &gw, &gb));
        int64_t nout;
        gc_tensor_numel(&out, &nout);
        gc_tensor *params[3] = {&in, &w, &b}, *grads[3] = {&gin, &gw, &gb};
        double worst = 0;
        for (int pi = 0; pi < 3; pi++) {
            int64_t n;
            gc_tensor_numel(params[pi], &n);
            for (int64_t e = 0; e < n; e++) {
                double *v = (double *)params[pi]->data + e, save = *v, lp, lm;
                const double h = 1e-6;
                double l[2];
                for (int s = 0; s < 2; s++) {
                    *v = save + (s ? -h : h);
                    GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &in, &w, &b, &out));
                    l[s] = 0;
                    for (int64_t k = 0; k < nout; k++)
                        l[s] += ((double *)out.data)[k] * ((double *)gout.data)[k];
                }
                *v = save;
                lp = l[0], lm = l[1];
                const double fd = (lp - lm) / (2 * h), an = ((double *)grads[pi]->data)[e];
                worst = fmax(worst, fabs(fd - an) / (1 + fabs(an)));
            }
        }
        GC_CHECK_MSG(worst < 1e-7, "geometry %zu: finite-difference error %g", gi, worst);
        gc_tensor *all[] = {&in, &w, &b, &out, &gout, &gin, &gw, &gb};
        for (size_t i = 0; i < 8; i++)
            gc_tensor_free(all[i]);
    }
}

/* PyTorch goldens (tests/golden/make_golden_conv2d.py). */
static void test_pytorch_golden(void)
{
    struct { const char *name; geo g; } cases[] = {
        {"dil", {2, 3, 9, 11, 4, 1, 3, 2, 1, 1, 2, 1, 2, 3, GC_BOUNDARY_FILL, 1, 1}},
        {"grp", {1, 4, 8, 7, 6, 2, 3, 3, 2, 1, 1, 2, 1, 1, GC_BOUNDARY_FILL, 1, 1}},
        {"reflect", {2, 2, 7, 9, 3, 1, 3, 3, 1, 1, 2, 1, 1, 1, GC_BOUNDARY_REFLECT, 1, 1}},
        {"replicate", {1, 3, 6, 5, 2, 1, 4, 3, 1, 2, 2, 2, 1, 1, GC_BOUNDARY_REPLICATE, 1, 1}},
        {"circular", {1, 2, 6, 8, 2, 2, 3, 5, 1, 1, 1, 2, 1, 1, GC_BOUNDARY_WRAP, 1, 1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *keys[] = {"x", "w", "b", "y", "gy", "gx", "gw", "gb"};
        gc_tensor t[8];
        int ok = 1;
        for (int k = 0; k < 8; k++) {
            char name[64];
            snprintf(name, sizeof name, "conv2d_%s_%s.npy", cases[c].name, keys[k]);
            if (gc_npy_read(NULL, gc_test_golden(name), &t[k]) != GC_OK) {
                GC_CHECK_MSG(0, "cannot read %s", name);
                memset(&t[k], 0, sizeof t[k]);
                ok = 0;
            }
        }
        for (int algo = 0; ok && algo < 2; algo++) {
            gc_conv2d_desc d = desc_of(&cases[c].g, algo ? GC_CONV_ALGO_REFERENCE : GC_CONV_ALGO_AUTO);
            gc_tensor y, gx, gw, gb;
            GC_CHECK_OK(gc_tensor_create(NULL, &y, GC_DTYPE_F64, 4, t[3].dims));
            GC_CHECK_OK(gc_tensor_create(NULL, &gx, GC_DTYPE_F64, 4, t[0].dims));
            GC_CHECK_OK(gc_tensor_create(NULL, &gw, GC_DTYPE_F64, 4, t[1].dims));
            GC_CHECK_OK(gc_tensor_create(NULL, &gb, GC_DTYPE_F64, 1, t[2].dims));
            GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &t[0], &t[1], &t[2], &y));
            GC_CHECK_OK(gc_test_conv2d_backward_input(NULL, &d, &t[4], &t[1], &gx));
            GC_CHECK_OK(gc_test_conv2d_backward_weight(NULL, &d, &t[0], &t[4], 1.0, &gw, &gb));
            GC_CHECK_MSG(gc_test_max_abs_diff(&y, &t[3]) < 1e-12, "%s y", cases[c].name);
            GC_CHECK_MSG(gc_test_max_abs_diff(&gx, &t[5]) < 1e-12, "%s gx", cases[c].name);
            GC_CHECK_MSG(gc_test_max_abs_diff(&gw, &t[6]) < 1e-11, "%s gw", cases[c].name);
            GC_CHECK_MSG(gc_test_max_abs_diff(&gb, &t[7]) < 1e-11, "%s gb", cases[c].name);
            gc_tensor_free(&y); gc_tensor_free(&gx); gc_tensor_free(&gw); gc_tensor_free(&gb);
        }
        for (int k = 0; k < 8; k++)
            gc_tensor_free(&t[k]);
    }
}

static void test_refusals(void)
{
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_tensor in, w, w2, b, out, in2;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){1, 4, 5, 5}));
    GC_CHECK_OK(gc_tensor_create(NULL, &in2, GC_DTYPE_F32, 2, (int64_t[]){5, 5}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){6, 4, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w2, GC_DTYPE_F32, 4, (int64_t[]){6, 3, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &b, GC_DTYPE_F32, 1, (int64_t[]){5}));
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 4, (int64_t[]){1, 6, 3, 3}));
    gc_conv2d_desc d = gc_conv2d_desc_default();
    int r;
    int64_t od[GC_MAX_RANK];
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in2, &w, &r, od), GC_ERR_RANK);
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w2, &r, od), GC_ERR_SHAPE); /* channel mismatch */
    GC_CHECK(strstr(gc_context_last_error(ctx), "channels") != NULL);
    d.groups = 3;
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_SHAPE); /* 3 does not divide 4 */
    d.groups = 0;
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_ARG);
    d = gc_conv2d_desc_default();
    d.stride[0] = 0;
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_ARG);
    d = gc_conv2d_desc_default();
    d.dilation[1] = 3; /* dilated kernel 7 > 5: output < 1 */
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_SHAPE);
    d = gc_conv2d_desc_default();
    d.padding_mode = GC_BOUNDARY_REFLECT;
    d.pad[0] = d.pad[1] = 5; /* reflect pad must be < input size */
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_SHAPE);
    d = gc_conv2d_desc_default();
    d.padding_mode = GC_BOUNDARY_SYMM; /* a boundary gc_corr takes, conv2d does not */
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "padding mode 2") != NULL);
    d.padding_mode = (gc_boundary)5;
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_ARG);
    d.padding_mode = (gc_boundary)-1;
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_ARG);
    d = gc_conv2d_desc_default();
    d.same_padding = 1;
    d.stride[0] = 2;
    GC_CHECK_STATUS(gc_conv2d_shape(ctx, &d, &in, &w, &r, od), GC_ERR_ARG);
    d = gc_conv2d_desc_default();
    d.same_padding = 1;
    GC_CHECK_OK(gc_conv2d_shape(ctx, &d, &in, &w, &r, od));
    GC_CHECK(r == 4 && od[2] == 5 && od[3] == 5);
    d = gc_conv2d_desc_default();
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, &b, &out, NULL, 0), GC_ERR_SHAPE); /* bias of 5 */
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, NULL, NULL, 0), GC_ERR_NULL);
    /* too small a workspace */
    size_t bytes;
    GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes));
    if (bytes > 0)
        GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &out, NULL, 0), GC_ERR_ARG);
    GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_BACKWARD_WEIGHT, &bytes));
    GC_CHECK(bytes > 0); /* 4 -> 6 channels: the packed GEMM path */
    GC_CHECK_STATUS(gc_conv2d_backward_weight(ctx, &d, &in, &out, 1.0, &w, NULL, NULL, 0), GC_ERR_ARG);
    d.algo = GC_CONV_ALGO_IM2COL;
    GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes));
    GC_CHECK(bytes > 0);
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &out, NULL, 0), GC_ERR_ARG);
    d = gc_conv2d_desc_default();
    /* output aliasing the input */
    gc_tensor alias;
    GC_CHECK_OK(gc_tensor_wrap(&alias, GC_DTYPE_F32, 4, (int64_t[]){1, 6, 3, 3}, NULL, in.data));
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &alias, NULL, 0), GC_ERR_ALIAS);
    d.algo = GC_CONV_ALGO_DIRECT;
    d.stride[0] = 2;
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_UNSUPPORTED);
    gc_tensor *all[] = {&in, &in2, &w, &w2, &b, &out};
    for (size_t i = 0; i < 6; i++)
        gc_tensor_free(all[i]);
    gc_context_free(ctx);
}

/* A batch gives the same as its items one at a time. */
static void test_batch_equals_loop(void)
{
    gc_rng rng = {77};
    gc_tensor in, w, out;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){3, 2, 9, 10}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){4, 2, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 4, (int64_t[]){3, 4, 9, 10}));
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&w, &rng, 0);
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.same_padding = 1;
    GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &in, &w, NULL, &out));
    for (int64_t n = 0; n < 3; n++) {
        gc_tensor in1, out1, ref1;
        GC_CHECK_OK(gc_tensor_wrap(&in1, GC_DTYPE_F32, 3, (int64_t[]){2, 9, 10}, NULL, (float *)in.data + n * 180));
        GC_CHECK_OK(gc_tensor_wrap(&ref1, GC_DTYPE_F32, 3, (int64_t[]){4, 9, 10}, NULL, (float *)out.data + n * 360));
        GC_CHECK_OK(gc_tensor_create(NULL, &out1, GC_DTYPE_F32, 3, (int64_t[]){4, 9, 10}));
        GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &in1, &w, NULL, &out1));
        GC_CHECK(gc_test_max_abs_diff(&out1, &ref1) == 0.0);
        gc_tensor_free(&out1);
    }
    gc_tensor_free(&in); gc_tensor_free(&w); gc_tensor_free(&out);
}

GC_TEST_TABLE(gc_tests_conv2d) = {
    {"conv2d_seed_88", test_seed_88},
    {"conv2d_equals_xcorr2", test_equals_xcorr2},
    {"conv2d_sweep_vs_reference", test_sweep},
    {"conv2d_finite_differences", test_finite_differences},
    {"conv2d_pytorch_golden", test_pytorch_golden},
    {"conv2d_batch_equals_loop", test_batch_equals_loop},
    {"conv2d_refusals", test_refusals},
    {NULL, NULL},
};
