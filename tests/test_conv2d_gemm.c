/* test_conv2d_gemm.c - the stride-1 shift-GEMM path (GC_CONV_ALGO_GEMM, conv2d_gemm.c) and
 * AUTO's choice: forward and backward_input against the float64 reference over pads 0..2 and
 * beyond k-1, dilations, groups, padding modes, kernels larger than the input, odd sizes and
 * channel counts off the register tile, batch 1 and > 1, every ISA, 1 and 3 threads (bitwise
 * equal), strided views (bitwise equal to contiguous), zero allocations, refusals; the
 * bfloat16 forward (GC_PRECISION_BF16) against the reference on bf16-rounded operands. */
#include "gc_test.h"

#include <float.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t N, C, H, W, O, G, KH, KW, sh, sw, ph, pw, dh, dw;
    gc_boundary mode;
    int bias;
} cg_geo;

static gc_conv2d_desc cg_desc(const cg_geo *g, gc_conv_algo algo)
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

/* pass 0 forward (a = input, b = weight, c = bias, out = output), 1 backward_input (a =
 * grad_output, b = weight, out = grad_input). */
static gc_status cg_run(gc_context *ctx, const gc_conv2d_desc *d, int pass, const gc_tensor *a,
                        const gc_tensor *b, const gc_tensor *c, gc_tensor *out)
{
    return pass ? gc_test_conv2d_backward_input(ctx, d, a, b, out)
                : gc_test_conv2d_forward(ctx, d, a, b, c, out);
}

/* backward_weight with scale 0.5 onto gw, gb (the bias gradient only with g->bias-like
 * callers passing gb). */
static gc_status cg_wgrad(gc_context *ctx, const gc_conv2d_desc *d, const gc_tensor *in, const gc_tensor *gout,
                          gc_tensor *gw, gc_tensor *gb)
{
    return gc_test_conv2d_backward_weight(ctx, d, in, gout, 0.5, gw, gb);
}

static double cg_at(const gc_tensor *t, int64_t e)
{
    return t->dtype == GC_DTYPE_F32 ? ((const float *)t->data)[e] : ((const double *)t->data)[e];
}

/* Largest |a - ref| / ((terms + 2) * eps * bound) over contiguous tensors; <= 1 passes. */
static double cg_ratio(const gc_tensor *a, const gc_tensor *ref, const gc_tensor *bound, double terms)
{
    int64_t n;
    gc_tensor_numel(a, &n);
    const double eps = a->dtype == GC_DTYPE_F32 ? FLT_EPSILON : DBL_EPSILON;
    double worst = 0;
    for (int64_t e = 0; e < n; e++) {
        const double va = cg_at(a, e), vb = cg_at(ref, e), vm = cg_at(bound, e);
        if (va == vb)
            continue;
        const double r = fabs(va - vb) / ((terms + 2) * eps * fabs(vm) + 1e-300);
        if (isnan(r) || vm == 0)
            return INFINITY;
        if (r > worst)
            worst = r;
    }
    return worst;
}

static int cg_same(const gc_tensor *a, const gc_tensor *b)
{
    int64_t n;
    gc_tensor_numel(a, &n);
    return memcmp(a->data, b->data, (size_t)n * gc_dtype_size(a->dtype)) == 0;
}

static void cg_abs(gc_tensor *t)
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

/* One geometry, one dtype: GEMM (forced) and AUTO, forward and backward_input, every ISA,
 * 1 and 3 threads, against the reference; threads bitwise equal. */
static void cg_check(const cg_geo *g, gc_dtype dt, unsigned seed)
{
    gc_rng rng = {seed};
    gc_tensor in, w, b, gout, ref, ginref, ain, aw, ab, agout, bout, bgin, out, out1, gin, gin1;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, dt, 4, (int64_t[]){g->N, g->C, g->H, g->W}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, dt, 4, (int64_t[]){g->O, g->C / g->G, g->KH, g->KW}));
    GC_CHECK_OK(gc_tensor_create(NULL, &b, dt, 1, (int64_t[]){g->O}));
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&w, &rng, 0);
    gc_test_fill(&b, &rng, 0);
    const gc_conv2d_desc dref = cg_desc(g, GC_CONV_ALGO_REFERENCE);
    int r;
    int64_t od[GC_MAX_RANK];
    GC_CHECK_OK(gc_conv2d_shape(NULL, &dref, &in, &w, &r, od));
    GC_CHECK_OK(gc_tensor_create(NULL, &gout, dt, 4, od));
    gc_test_fill(&gout, &rng, 0);
    const gc_tensor *bp = g->bias ? &b : NULL;
    gc_tensor *outs[] = {&ref, &bout, &out, &out1}, *gins[] = {&ginref, &bgin, &gin, &gin1};
    for (int i = 0; i < 4; i++) {
        GC_CHECK_OK(gc_tensor_create(NULL, outs[i], dt, 4, od));
        GC_CHECK_OK(gc_tensor_create(NULL, gins[i], dt, 4, in.dims));
    }
    GC_CHECK_OK(cg_run(NULL, &dref, 0, &in, &w, bp, &ref));
    GC_CHECK_OK(cg_run(NULL, &dref, 1, &gout, &w, NULL, &ginref));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &in, &ain));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &w, &aw));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &b, &ab));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gout, &agout));
    cg_abs(&ain), cg_abs(&aw), cg_abs(&ab), cg_abs(&agout);
    GC_CHECK_OK(cg_run(NULL, &dref, 0, &ain, &aw, g->bias ? &ab : NULL, &bout));
    GC_CHECK_OK(cg_run(NULL, &dref, 1, &agout, &aw, NULL, &bgin));
    const double tf = (double)(g->C / g->G * g->KH * g->KW + 1), ti = (double)(g->O / g->G * g->KH * g->KW + 1);
    /* backward_weight: gw0 + 0.5 * dW (and the bias) vs the reference; bound from |.| */
    gc_tensor gw0, gb0, gwref, gbref, bgw, bgb, gw, gb, gw1, gb1;
    GC_CHECK_OK(gc_tensor_create(NULL, &gw0, dt, 4, w.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &gb0, dt, 1, b.dims));
    gc_test_fill(&gw0, &rng, 0);
    gc_test_fill(&gb0, &rng, 0);
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gw0, &gwref));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gb0, &gbref));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gw0, &bgw));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gb0, &bgb));
    cg_abs(&bgw), cg_abs(&bgb);
    GC_CHECK_OK(cg_wgrad(NULL, &dref, &in, &gout, &gwref, &gbref));
    GC_CHECK_OK(cg_wgrad(NULL, &dref, &ain, &agout, &bgw, &bgb));
    GC_CHECK_OK(gc_tensor_create(NULL, &gw, dt, 4, w.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &gw1, dt, 4, w.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &gb, dt, 1, b.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &gb1, dt, 1, b.dims));
    const double tw = (double)(g->N * od[2] * od[3] + 1);
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++)
        for (int ai = 0; ai < 2; ai++) {
            const gc_conv2d_desc d = cg_desc(g, ai ? GC_CONV_ALGO_AUTO : GC_CONV_ALGO_GEMM);
            GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
            double rf = 0, ri = 0, rw = 0;
            int same = 1;
            for (int th = 0; th < 2; th++) {
                GC_CHECK_OK(gc_context_set_threads(ctx, th ? 3 : 1));
                gc_tensor *o = th ? &out : &out1, *gi = th ? &gin : &gin1;
                gc_test_poison(o);
                gc_test_poison(gi);
                GC_CHECK_MSG(cg_run(ctx, &d, 0, &in, &w, bp, o) == GC_OK, "%s", gc_context_last_error(ctx));
                GC_CHECK_MSG(cg_run(ctx, &d, 1, &gout, &w, NULL, gi) == GC_OK, "%s", gc_context_last_error(ctx));
                rf = fmax(rf, cg_ratio(o, &ref, &bout, tf));
                ri = fmax(ri, cg_ratio(gi, &ginref, &bgin, ti));
                gc_tensor *gwt = th ? &gw : &gw1, *gbt = th ? &gb : &gb1;
                GC_CHECK_OK(gc_tensor_copy(&gw0, gwt));
                GC_CHECK_OK(gc_tensor_copy(&gb0, gbt));
                GC_CHECK_MSG(cg_wgrad(ctx, &d, &in, &gout, gwt, gbt) == GC_OK, "%s", gc_context_last_error(ctx));
                rw = fmax(rw, fmax(cg_ratio(gwt, &gwref, &bgw, tw), cg_ratio(gbt, &gbref, &bgb, tw)));
            }
            same = cg_same(&out, &out1) && cg_same(&gin, &gin1) && cg_same(&gw, &gw1) && cg_same(&gb, &gb1);
            GC_CHECK_MSG(rf <= 1 && ri <= 1 && rw <= 1 && same,
                         "N%lld C%lld %lldx%lld O%lld G%lld k%lldx%lld p%lld,%lld d%lld,%lld mode %d %s isa %s %s: "
                         "error/bound fwd %g bwd_in %g bwd_w %g, threads 1 = 3: %d",
                         (long long)g->N, (long long)g->C, (long long)g->H, (long long)g->W, (long long)g->O,
                         (long long)g->G, (long long)g->KH, (long long)g->KW, (long long)g->ph, (long long)g->pw,
                         (long long)g->dh, (long long)g->dw, (int)g->mode, gc_dtype_name(dt),
                         gc_isa_name((gc_isa)isa), ai ? "auto" : "gemm", rf, ri, rw, same);
        }
    gc_context_free(ctx);
    gc_tensor *all[] = {&in, &w, &b, &gout, &ref, &ginref, &ain, &aw, &ab, &agout, &bout, &bgin, &out, &out1, &gin, &gin1,
                        &gw0, &gb0, &gwref, &gbref, &bgw, &bgb, &gw, &gb, &gw1, &gb1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
}

static void test_gemm_sweep(void)
{
    const cg_geo geos[] = {
        /* N  C   H   W   O  G KH KW sh sw ph pw dh dw mode bias */
        {1, 1, 5, 5, 1, 1, 3, 3, 1, 1, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1},
        {2, 3, 9, 17, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1},
        {1, 11, 14, 14, 13, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1},  /* O off the tile */
        {2, 17, 7, 28, 19, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 0},
        {1, 4, 8, 19, 6, 2, 3, 2, 1, 1, 2, 0, 1, 1, GC_BOUNDARY_FILL, 0},     /* groups, 3x2 */
        {2, 2, 7, 7, 3, 1, 3, 3, 1, 1, 4, 5, 1, 1, GC_BOUNDARY_FILL, 1},      /* pad beyond k-1 */
        {1, 3, 6, 9, 5, 1, 3, 3, 1, 1, 2, 0, 1, 1, GC_BOUNDARY_FILL, 1},      /* pl != pr */
        {1, 2, 3, 4, 2, 1, 5, 6, 1, 1, 2, 3, 1, 1, GC_BOUNDARY_FILL, 0},      /* kernel > input */
        {1, 2, 12, 9, 10, 1, 3, 2, 1, 1, 2, 1, 2, 3, GC_BOUNDARY_FILL, 1},    /* dilation */
        {1, 6, 9, 10, 9, 3, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1},
        {2, 9, 11, 13, 10, 1, 1, 1, 1, 1, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1},   /* 1x1, zero copy */
        {1, 5, 6, 7, 9, 1, 1, 1, 1, 1, 1, 2, 1, 1, GC_BOUNDARY_FILL, 1},      /* 1x1 padded */
        {1, 7, 13, 11, 9, 1, 5, 5, 1, 1, 2, 2, 1, 1, GC_BOUNDARY_FILL, 1},    /* 5x5 */
        {1, 4, 10, 12, 9, 1, 3, 3, 1, 1, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1},    /* 3x3 zero copy */
        {2, 2, 7, 9, 3, 1, 3, 3, 1, 1, 2, 1, 1, 1, GC_BOUNDARY_REFLECT, 1},
        {1, 3, 6, 5, 2, 1, 4, 3, 1, 1, 2, 2, 1, 1, GC_BOUNDARY_REPLICATE, 1},
        {1, 2, 6, 8, 10, 2, 3, 5, 1, 1, 1, 2, 1, 1, GC_BOUNDARY_WRAP, 1},
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1},
        {1, 3, 66, 70, 9, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1},    /* wgrad chunks */
        {1, 3, 11, 10, 4, 1, 3, 3, 2, 3, 1, 2, 1, 1, GC_BOUNDARY_FILL, 1},    /* stride: auto only */
    };
    unsigned seed = 11;
    for (size_t i = 0; i < sizeof geos / sizeof geos[0]; i++)
        for (int di = 0; di < 2; di++) {
            if (geos[i].sh > 1) { /* GEMM refuses strides; AUTO must still be right */
                gc_conv2d_desc d = cg_desc(&geos[i], GC_CONV_ALGO_GEMM);
                gc_tensor in, w;
                GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 3, (int64_t[]){3, 11, 10}));
                GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){4, 3, 3, 3}));
                size_t bytes;
                GC_CHECK_STATUS(gc_conv2d_workspace_size(NULL, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes),
                                GC_ERR_UNSUPPORTED);
                gc_tensor_free(&in), gc_tensor_free(&w);
                continue;
            }
            cg_check(&geos[i], di ? GC_DTYPE_F64 : GC_DTYPE_F32, seed++);
        }
}

/* Strided views (row pitch, channel stride, transposed columns) for input, output,
 * grad_output and grad_input give bitwise the contiguous results: every element is summed
 * in the same order whatever the tiling. */
static void test_gemm_strided_views(void)
{
    for (int ki = 0; ki < 2; ki++) {
        const int64_t C = 5, O = 10, H = 9, W = 12, K = ki ? 1 : 3, P = ki ? 0 : 1;
        gc_conv2d_desc d = gc_conv2d_desc_default();
        d.pad[0] = d.pad[1] = P;
        d.algo = GC_CONV_ALGO_GEMM;
        gc_rng rng = {77 + (unsigned)ki};
        gc_tensor in, w, b, gout, out, gin, big_in, big_out, big_gout, big_gin, v_in, v_out, v_gout, v_gin, t_in, tt;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 3, (int64_t[]){C, H, W}));
        GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){O, C, K, K}));
        GC_CHECK_OK(gc_tensor_create(NULL, &b, GC_DTYPE_F32, 1, (int64_t[]){O}));
        const int64_t OH = H + 2 * P - K + 1, OW = W + 2 * P - K + 1;
        GC_CHECK_OK(gc_tensor_create(NULL, &gout, GC_DTYPE_F32, 3, (int64_t[]){O, OH, OW}));
        GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 3, (int64_t[]){O, OH, OW}));
        GC_CHECK_OK(gc_tensor_create(NULL, &gin, GC_DTYPE_F32, 3, (int64_t[]){C, H, W}));
        gc_test_fill(&in, &rng, 0), gc_test_fill(&w, &rng, 0), gc_test_fill(&b, &rng, 0), gc_test_fill(&gout, &rng, 0);
        GC_CHECK_OK(cg_run(NULL, &d, 0, &in, &w, &b, &out));
        GC_CHECK_OK(cg_run(NULL, &d, 1, &gout, &w, NULL, &gin));
        /* views: channels 1.. of C+2, rows 2.. of H+3, columns 3.. of W+5 */
        GC_CHECK_OK(gc_tensor_create(NULL, &big_in, GC_DTYPE_F32, 3, (int64_t[]){C + 2, H + 3, W + 5}));
        GC_CHECK_OK(gc_tensor_create(NULL, &big_gin, GC_DTYPE_F32, 3, (int64_t[]){C + 2, H + 3, W + 5}));
        GC_CHECK_OK(gc_tensor_create(NULL, &big_out, GC_DTYPE_F32, 3, (int64_t[]){O + 1, OH + 1, OW + 3}));
        GC_CHECK_OK(gc_tensor_create(NULL, &big_gout, GC_DTYPE_F32, 3, (int64_t[]){O + 1, OH + 1, OW + 3}));
        gc_tensor *bigs[] = {&big_in, &big_gin, &big_out, &big_gout}, *vs[] = {&v_in, &v_gin, &v_out, &v_gout};
        const int64_t st[4][3] = {{1, 2, 3}, {1, 2, 3}, {1, 1, 2}, {1, 1, 2}};
        const int64_t len[4][3] = {{C, H, W}, {C, H, W}, {O, OH, OW}, {O, OH, OW}};
        for (int i = 0; i < 4; i++) {
            gc_tensor a, bb;
            GC_CHECK_OK(gc_tensor_narrow(bigs[i], 0, st[i][0], len[i][0], &a));
            GC_CHECK_OK(gc_tensor_narrow(&a, 1, st[i][1], len[i][1], &bb));
            GC_CHECK_OK(gc_tensor_narrow(&bb, 2, st[i][2], len[i][2], vs[i]));
        }
        GC_CHECK_OK(gc_tensor_copy(&in, &v_in));
        GC_CHECK_OK(gc_tensor_copy(&gout, &v_gout));
        gc_test_poison(&big_out);
        gc_test_poison(&big_gin);
        GC_CHECK_OK(cg_run(NULL, &d, 0, &v_in, &w, &b, &v_out));
        GC_CHECK_OK(cg_run(NULL, &d, 1, &v_gout, &w, NULL, &v_gin));
        gc_tensor c_out, c_gin;
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &v_out, &c_out));
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &v_gin, &c_gin));
        GC_CHECK(cg_same(&c_out, &out));
        GC_CHECK(cg_same(&c_gin, &gin));
        /* the poison around the views is untouched */
        int64_t n;
        gc_tensor_numel(&big_out, &n);
        int64_t nan_out = 0;
        for (int64_t e = 0; e < n; e++)
            nan_out += isnan(((float *)big_out.data)[e]);
        GC_CHECK(nan_out == n - O * OH * OW);
        /* columns with a non-unit stride: a transposed W x H tensor read as H x W */
        GC_CHECK_OK(gc_tensor_create(NULL, &tt, GC_DTYPE_F32, 3, (int64_t[]){C, W, H}));
        GC_CHECK_OK(gc_tensor_transpose(&tt, 1, 2, &t_in));
        GC_CHECK_OK(gc_tensor_copy(&in, &t_in));
        gc_test_poison(&c_out);
        GC_CHECK_OK(cg_run(NULL, &d, 0, &t_in, &w, &b, &c_out));
        GC_CHECK(cg_same(&c_out, &out));
        gc_tensor *all[] = {&in, &w, &b, &gout, &out, &gin, &big_in, &big_out, &big_gout, &big_gin, &c_out, &c_gin, &tt};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            gc_tensor_free(all[i]);
    }
}

/* The compute calls allocate nothing (workspace from the caller), on every ISA and with
 * threads; backward_input with a padding mode other than zeros, forced to GEMM, takes IM2COL
 * and matches the reference. */
static void test_gemm_no_alloc_and_fallback(void)
{
    gc_test_counter cnt = {0};
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    const gc_allocator alloc = gc_test_counter_allocator(&cnt);
    GC_CHECK_OK(gc_context_set_allocator(ctx, &alloc));
    GC_CHECK_OK(gc_context_set_threads(ctx, 2));
    gc_tensor in, w, b, out, gin, ref;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){2, 9, 10, 11}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){12, 9, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &b, GC_DTYPE_F32, 1, (int64_t[]){12}));
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 4, (int64_t[]){2, 12, 10, 11}));
    GC_CHECK_OK(gc_tensor_create(NULL, &gin, GC_DTYPE_F32, 4, in.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &ref, GC_DTYPE_F32, 4, in.dims));
    gc_rng rng = {5};
    gc_test_fill(&in, &rng, 1), gc_test_fill(&w, &rng, 1), gc_test_fill(&b, &rng, 1), gc_test_fill(&out, &rng, 1);
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = d.pad[1] = 1;
    d.algo = GC_CONV_ALGO_GEMM;
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++) {
        GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
        for (int pass = 0; pass < 2; pass++) {
            size_t bytes = 0;
            GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &d, &in, &w, pass ? GC_CONV_PASS_BACKWARD_INPUT : GC_CONV_PASS_FORWARD, &bytes));
            void *ws = NULL;
            GC_CHECK(bytes > 0 && posix_memalign(&ws, 64, bytes) == 0);
            const long before = cnt.calls;
            gc_tensor o2;
            GC_CHECK_OK(gc_tensor_contiguous(NULL, &out, &o2));
            GC_CHECK_OK(pass ? gc_conv2d_backward_input(ctx, &d, &out, &w, &gin, ws, bytes)
                             : gc_conv2d_forward(ctx, &d, &in, &w, &b, &o2, ws, bytes));
            GC_CHECK(cnt.calls == before);
            /* too small a workspace is refused */
            GC_CHECK_STATUS(pass ? gc_conv2d_backward_input(ctx, &d, &out, &w, &gin, ws, bytes - 1)
                                 : gc_conv2d_forward(ctx, &d, &in, &w, &b, &o2, ws, bytes - 1),
                            GC_ERR_ARG);
            gc_tensor_free(&o2);
            free(ws);
        }
    }
    /* reflect padding, backward_input forced to GEMM: IM2COL's result */
    d.padding_mode = GC_BOUNDARY_REFLECT;
    gc_conv2d_desc dr = d;
    dr.algo = GC_CONV_ALGO_REFERENCE;
    GC_CHECK_OK(cg_run(NULL, &d, 1, &out, &w, NULL, &gin));
    GC_CHECK_OK(cg_run(NULL, &dr, 1, &out, &w, NULL, &ref));
    GC_CHECK(gc_test_max_abs_diff(&gin, &ref) <= 1e-6 * 9 * 12 * 64);
    gc_tensor *all[] = {&in, &w, &b, &out, &gin, &ref};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
    gc_context_free(ctx);
}

/* Element-wise bf16 rounding of a contiguous float32 tensor of finite values (the
 * reference's operands): nearest, ties to even, subnormals flushed to zero (as the
 * hardware's vcvtneps2bf16). */
static void cg_round_bf16(gc_tensor *t)
{
    int64_t n;
    gc_tensor_numel(t, &n);
    for (int64_t e = 0; e < n; e++) {
        uint32_t u;
        memcpy(&u, (float *)t->data + e, sizeof u);
        if ((u & 0x7f800000u) == 0)
            u &= 0x80000000u;
        else
            u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
        memcpy((float *)t->data + e, &u, sizeof u);
    }
}

/* GC_PRECISION_BF16 forward: the same bf16 products as the reference run on bf16-rounded
 * input and weights (float64 sums), summed in float32 two per step: within the float32
 * summation bound of the exact products (cg_ratio with their |.| sums). Odd channel counts
 * (the pair's high half zero), groups, padding modes, dilation, a strided input view, 1x1 /
 * 3x3 / 5x5 / 2x3 kernels, bias or none, 1 and 3 threads (bitwise equal). Then the refusals:
 * float64, stride 2, a forced non-GEMM algorithm, a CPU or ISA without AVX512-BF16; and the
 * backward passes, which stay float32 (equal to the default precision's). */
static void test_gemm_bf16(void)
{
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    const cg_geo geos[] = {
        /* N  C   H   W   O  G KH KW sh sw ph pw dh dw mode bias */
        {1, 64, 13, 17, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1},
        {2, 7, 9, 11, 9, 1, 5, 5, 1, 1, 2, 2, 1, 1, GC_BOUNDARY_FILL, 0},
        {1, 6, 8, 10, 12, 3, 3, 3, 1, 1, 1, 2, 1, 1, GC_BOUNDARY_REFLECT, 1},
        {1, 33, 6, 7, 17, 1, 1, 1, 1, 1, 0, 0, 1, 1, GC_BOUNDARY_FILL, 1},
        {2, 5, 12, 9, 8, 1, 2, 3, 1, 1, 1, 0, 2, 1, GC_BOUNDARY_WRAP, 1},
        {1, 16, 10, 10, 24, 2, 3, 3, 1, 1, 2, 2, 1, 1, GC_BOUNDARY_REPLICATE, 0},
    };
    /* the Gram's bf16 forward answers the same question through the public API: where it
     * runs, the convolution must run too (not skip) */
    int gram_bf16 = 0;
    {
        gc_tensor f, gm;
        GC_CHECK_OK(gc_tensor_create(NULL, &f, GC_DTYPE_F32, 2, (int64_t[]){4, 8}));
        GC_CHECK_OK(gc_tensor_create(NULL, &gm, GC_DTYPE_F32, 2, (int64_t[]){4, 4}));
        gc_rng frng = {3};
        gc_test_fill(&f, &frng, 0);
        gc_gram_desc gd = gc_gram_desc_default();
        gd.precision = GC_PRECISION_BF16;
        GC_CHECK_OK(gc_context_set_isa(ctx, gc_isa_detect()));
        gram_bf16 = gc_gram_forward(ctx, &gd, &f, &gm) == GC_OK;
        gc_tensor_free(&f);
        gc_tensor_free(&gm);
    }
    int ran = 0;
    for (size_t gi = 0; gi < sizeof geos / sizeof geos[0]; gi++) {
        const cg_geo *g = &geos[gi];
        gc_rng rng = {700u + (unsigned)gi};
        gc_tensor inb, in, w, b, rin, rw, ain, aw, ab, ref, bound, out, out1;
        const int strided = gi == 2;
        GC_CHECK_OK(gc_tensor_create(NULL, &inb, GC_DTYPE_F32, 4,
                                     (int64_t[]){g->N, g->C, strided ? g->W : g->H, strided ? g->H : g->W}));
        if (strided)
            GC_CHECK_OK(gc_tensor_transpose(&inb, 2, 3, &in));
        else
            in = inb;
        GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){g->O, g->C / g->G, g->KH, g->KW}));
        GC_CHECK_OK(gc_tensor_create(NULL, &b, GC_DTYPE_F32, 1, (int64_t[]){g->O}));
        gc_test_fill(&inb, &rng, 0);
        gc_test_fill(&w, &rng, 0);
        gc_test_fill(&b, &rng, 0);
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &in, &rin));
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &w, &rw));
        cg_round_bf16(&rin), cg_round_bf16(&rw);
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &rin, &ain));
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &rw, &aw));
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &b, &ab));
        cg_abs(&ain), cg_abs(&aw), cg_abs(&ab);
        const gc_tensor *bp = g->bias ? &b : NULL;
        gc_conv2d_desc d = cg_desc(g, GC_CONV_ALGO_REFERENCE);
        int r;
        int64_t od[GC_MAX_RANK];
        GC_CHECK_OK(gc_conv2d_shape(NULL, &d, &in, &w, &r, od));
        gc_tensor *outs[] = {&ref, &bound, &out, &out1};
        for (int i = 0; i < 4; i++)
            GC_CHECK_OK(gc_tensor_create(NULL, outs[i], GC_DTYPE_F32, 4, od));
        GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &rin, &rw, bp, &ref));
        GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &ain, &aw, g->bias ? &ab : NULL, &bound));
        const double terms = (double)(g->C / g->G * g->KH * g->KW + 1);
        for (int ai = 0; ai < 2; ai++) {
            d = cg_desc(g, ai ? GC_CONV_ALGO_GEMM : GC_CONV_ALGO_AUTO);
            d.precision = GC_PRECISION_BF16;
            GC_CHECK_OK(gc_context_set_isa(ctx, gc_isa_detect()));
            GC_CHECK_OK(gc_context_set_threads(ctx, 1));
            const gc_status st = gc_test_conv2d_forward(ctx, &d, &in, &w, bp, &out1);
            if (st == GC_ERR_UNSUPPORTED) { /* no AVX512-BF16: refused with a message */
                GC_CHECK_MSG(!gram_bf16, "the Gram runs bf16 here but conv2d refused: %s",
                             gc_context_last_error(ctx));
                GC_CHECK(strstr(gc_context_last_error(ctx), "bf16") != NULL);
                continue;
            }
            GC_CHECK_MSG(st == GC_OK, "%s", gc_context_last_error(ctx));
            GC_CHECK_OK(gc_context_set_threads(ctx, 3));
            gc_test_poison(&out);
            GC_CHECK_MSG(gc_test_conv2d_forward(ctx, &d, &in, &w, bp, &out) == GC_OK, "%s",
                         gc_context_last_error(ctx));
            const double rf = cg_ratio(&out, &ref, &bound, terms);
            GC_CHECK_MSG(rf <= 1 && cg_same(&out, &out1),
                         "bf16 geometry %zu (%s): error/bound %g, threads 1 = 3: %d", gi,
                         ai ? "gemm" : "auto", rf, cg_same(&out, &out1));
            ran++;
        }
        gc_tensor *all[] = {&inb, &w, &b, &rin, &rw, &ain, &aw, &ab, &ref, &bound, &out, &out1};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            gc_tensor_free(all[i]);
    }
    GC_CHECK(ran == 0 || gram_bf16);
    if (!ran)
        printf("     (bf16 convolution not available here: results skipped, refusals checked)\n");
    /* refusals, any CPU */
    gc_tensor in, w, o, i64, w64, o64;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){1, 4, 6, 6}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){3, 4, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &o, GC_DTYPE_F32, 4, (int64_t[]){1, 3, 4, 4}));
    GC_CHECK_OK(gc_tensor_create(NULL, &i64, GC_DTYPE_F64, 4, (int64_t[]){1, 4, 6, 6}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w64, GC_DTYPE_F64, 4, (int64_t[]){3, 4, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &o64, GC_DTYPE_F64, 4, (int64_t[]){1, 3, 4, 4}));
    gc_rng rng = {9};
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&w, &rng, 0);
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.precision = GC_PRECISION_BF16;
    size_t bytes = 0;
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &i64, &w64, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &i64, &w64, NULL, &o64, NULL, 0), GC_ERR_DTYPE);
    d.precision = (gc_precision)7;
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_ARG);
    d.precision = GC_PRECISION_BF16;
    d.algo = GC_CONV_ALGO_DIRECT;
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "gemm") != NULL);
    d.algo = GC_CONV_ALGO_AUTO;
    d.stride[0] = 2;
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_UNSUPPORTED);
    d.stride[0] = 1;
    GC_CHECK_OK(gc_context_set_isa(ctx, GC_ISA_SCALAR));
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_UNSUPPORTED);
    GC_CHECK(strstr(gc_context_last_error(ctx), "AVX512-BF16") != NULL);
    /* where it runs: the caller's workspace is all it uses; one byte short is refused */
    GC_CHECK_OK(gc_context_set_isa(ctx, gc_isa_detect()));
    GC_CHECK_OK(gc_context_set_threads(ctx, 2)); /* the workspace depends on the thread count */
    if (gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes) == GC_OK) {
        gc_test_counter cnt = {0};
        const gc_allocator alloc = gc_test_counter_allocator(&cnt);
        void *ws = NULL;
        GC_CHECK(bytes > 0 && posix_memalign(&ws, 64, bytes) == 0);
        GC_CHECK_OK(gc_context_set_allocator(ctx, &alloc));
        GC_CHECK_MSG(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &o, ws, bytes) == GC_OK, "%s",
                     gc_context_last_error(ctx));
        GC_CHECK_MSG(cnt.calls == 0, "the bf16 forward allocated %ld times", cnt.calls);
        GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &o, ws, bytes - 1), GC_ERR_ARG);
        GC_CHECK_OK(gc_context_set_allocator(ctx, NULL));
        free(ws);
    }
    /* backward_input ignores the precision: the float32 result, bitwise */
    gc_tensor g1, g2, go;
    GC_CHECK_OK(gc_tensor_create(NULL, &go, GC_DTYPE_F32, 4, o.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &g1, GC_DTYPE_F32, 4, in.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &g2, GC_DTYPE_F32, 4, in.dims));
    gc_test_fill(&go, &rng, 0);
    GC_CHECK_OK(gc_test_conv2d_backward_input(ctx, &d, &go, &w, &g1));
    d.precision = GC_PRECISION_DEFAULT;
    GC_CHECK_OK(gc_test_conv2d_backward_input(ctx, &d, &go, &w, &g2));
    GC_CHECK(cg_same(&g1, &g2));
    gc_context_free(ctx);
    gc_tensor *all[] = {&in, &w, &o, &i64, &w64, &o64, &g1, &g2, &go};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
}

GC_TEST_TABLE(gc_tests_conv2d_gemm) = {
    {"conv2d_gemm_sweep", test_gemm_sweep},
    {"conv2d_gemm_strided_views", test_gemm_strided_views},
    {"conv2d_gemm_no_alloc_and_fallback", test_gemm_no_alloc_and_fallback},
    {"conv2d_gemm_bf16", test_gemm_bf16},
    {NULL, NULL},
};
