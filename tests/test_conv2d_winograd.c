/* test_conv2d_winograd.c - the Winograd F(4x4, 3x3) and F(2x2, 5x5) forward and
 * backward_input paths (GC_CONV_ALGO_WINOGRAD) against the float64 reference: odd sizes (H, W
 * not multiples of the tile, down to 1 x 1 outputs), pads 0..4, padding modes, groups, batch 1 and > 1, channels 1..67, strided views, float32
 * and float64, every ISA; thread-count independence; the error bound at a realistic channel
 * count; no allocation inside the compute call; refusals. */
#include "gc_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* max |a - b| and max |b| over all elements (any strides, equal shapes, rank 3 or 4). */
static void wino_diff(const gc_tensor *a, const gc_tensor *b, double *maxdiff, double *maxref)
{
    *maxdiff = 0, *maxref = 0;
    int64_t d[4] = {1, 1, 1, 1}, sa[4] = {0}, sb[4] = {0};
    const int off = 4 - a->rank;
    for (int i = 0; i < a->rank; i++)
        d[off + i] = a->dims[i], sa[off + i] = a->strides[i], sb[off + i] = b->strides[i];
    for (int64_t n = 0; n < d[0]; n++)
        for (int64_t c = 0; c < d[1]; c++)
            for (int64_t y = 0; y < d[2]; y++)
                for (int64_t x = 0; x < d[3]; x++) {
                    const int64_t ea = n * sa[0] + c * sa[1] + y * sa[2] + x * sa[3];
                    const int64_t eb = n * sb[0] + c * sb[1] + y * sb[2] + x * sb[3];
                    const double va = a->dtype == GC_DTYPE_F32 ? ((float *)a->data)[ea] : ((double *)a->data)[ea];
                    const double vb = b->dtype == GC_DTYPE_F32 ? ((float *)b->data)[eb] : ((double *)b->data)[eb];
                    const double e = fabs(va - vb);
                    if (!(e <= *maxdiff)) /* NaN propagates */
                        *maxdiff = e;
                    if (fabs(vb) > *maxref)
                        *maxref = fabs(vb);
                }
}

typedef struct {
    int64_t N, C, H, W, O, G, ph, pw;
    gc_boundary mode;
    int batched, bias, strided;
    int64_t k; /* kernel size: 3 (0 reads as 3) or 5 */
} wgeo;

/* Tolerance on max |y - ref| / max |ref| for a geometry's checks. */
static double wino_tol(gc_dtype dt)
{
    return dt == GC_DTYPE_F32 ? 2e-5 : 1e-13;
}

/* One geometry: WINOGRAD (every ISA, 2 threads) vs REFERENCE; strided = input and output
 * are transposed views (H and W strides swapped). */
static void wino_check(const wgeo *g, gc_dtype dt, unsigned seed)
{
    gc_rng rng = {seed};
    gc_tensor inbuf, in, wbuf, w, b, out, outbuf, ref;
    const int64_t idims[4] = {g->N, g->C, g->strided ? g->W : g->H, g->strided ? g->H : g->W};
    const int rk = g->batched ? 4 : 3;
    GC_CHECK_OK(gc_tensor_create(NULL, &inbuf, dt, rk, idims + 4 - rk));
    if (g->strided)
        GC_CHECK_OK(gc_tensor_transpose(&inbuf, rk - 2, rk - 1, &in));
    else
        in = inbuf;
    /* weights: contiguous, a view with output and input channels swapped, or with the taps
     * transposed (the weight gather's packed and element-wise paths, forward and backward) */
    const int wview = (int)(seed % 3);
    const int64_t K = g->k ? g->k : 3;
    if (wview == 1) {
        GC_CHECK_OK(gc_tensor_create(NULL, &wbuf, dt, 4, (int64_t[]){g->C / g->G, g->O, K, K}));
        GC_CHECK_OK(gc_tensor_transpose(&wbuf, 0, 1, &w));
    } else {
        GC_CHECK_OK(gc_tensor_create(NULL, &wbuf, dt, 4, (int64_t[]){g->O, g->C / g->G, K, K}));
        if (wview == 2)
            GC_CHECK_OK(gc_tensor_transpose(&wbuf, 2, 3, &w));
        else
            w = wbuf;
    }
    GC_CHECK_OK(gc_tensor_create(NULL, &b, dt, 1, (int64_t[]){g->O}));
    gc_test_fill(&inbuf, &rng, 0);
    gc_test_fill(&wbuf, &rng, 0);
    gc_test_fill(&b, &rng, 0);
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = g->ph, d.pad[1] = g->pw;
    d.groups = g->G;
    d.padding_mode = g->mode;
    d.algo = GC_CONV_ALGO_REFERENCE;
    int r;
    int64_t od[GC_MAX_RANK];
    GC_CHECK_OK(gc_conv2d_shape(NULL, &d, &in, &w, &r, od));
    int64_t obd[4] = {od[0], od[1], od[2], od[3]};
    if (g->strided) {
        obd[r - 2] = od[r - 1], obd[r - 1] = od[r - 2];
    }
    GC_CHECK_OK(gc_tensor_create(NULL, &outbuf, dt, r, obd));
    if (g->strided)
        GC_CHECK_OK(gc_tensor_transpose(&outbuf, r - 2, r - 1, &out));
    else
        out = outbuf;
    GC_CHECK_OK(gc_tensor_create(NULL, &ref, dt, r, od));
    const gc_tensor *bp = g->bias ? &b : NULL;
    GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &in, &w, bp, &ref));
    /* backward_input: grad_output of the output's shape (strided like it), grad_input like in */
    gc_tensor gout, goutbuf, gin, ginbuf, ginref;
    GC_CHECK_OK(gc_tensor_create(NULL, &goutbuf, dt, r, obd));
    if (g->strided)
        GC_CHECK_OK(gc_tensor_transpose(&goutbuf, r - 2, r - 1, &gout));
    else
        gout = goutbuf;
    gc_test_fill(&goutbuf, &rng, 0);
    GC_CHECK_OK(gc_tensor_create(NULL, &ginbuf, dt, rk, idims + 4 - rk));
    if (g->strided)
        GC_CHECK_OK(gc_tensor_transpose(&ginbuf, rk - 2, rk - 1, &gin));
    else
        gin = ginbuf;
    GC_CHECK_OK(gc_tensor_create(NULL, &ginref, dt, rk, in.dims));
    GC_CHECK_OK(gc_test_conv2d_backward_input(NULL, &d, &gout, &w, &ginref));
    d.algo = GC_CONV_ALGO_WINOGRAD;
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, 2));
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++) {
        GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
        gc_test_poison(&outbuf);
        GC_CHECK_MSG(gc_test_conv2d_forward(ctx, &d, &in, &w, bp, &out) == GC_OK, "%s", gc_context_last_error(ctx));
        double diff, mref;
        wino_diff(&out, &ref, &diff, &mref);
        GC_CHECK_MSG(diff <= wino_tol(dt) * fmax(mref, 1.0), /* inputs in [-1, 1): terms ~1 */
                     "k%lld N%lld C%lld %lldx%lld O%lld G%lld p%lld,%lld mode %d strided %d %s isa %s: "
                     "max|y-ref| %g, max|ref| %g", (long long)K,
                     (long long)g->N, (long long)g->C, (long long)g->H, (long long)g->W, (long long)g->O,
                     (long long)g->G, (long long)g->ph, (long long)g->pw, (int)g->mode, g->strided,
                     gc_dtype_name(dt), gc_isa_name((gc_isa)isa), diff, mref);
        gc_test_poison(&ginbuf);
        GC_CHECK_MSG(gc_test_conv2d_backward_input(ctx, &d, &gout, &w, &gin) == GC_OK, "%s", gc_context_last_error(ctx));
        wino_diff(&gin, &ginref, &diff, &mref);
        GC_CHECK_MSG(diff <= wino_tol(dt) * fmax(mref, 1.0),
                     "backward_input k%lld N%lld C%lld %lldx%lld O%lld G%lld p%lld,%lld mode %d strided %d %s isa %s: "
                     "max|y-ref| %g, max|ref| %g", (long long)K,
                     (long long)g->N, (long long)g->C, (long long)g->H, (long long)g->W, (long long)g->O,
                     (long long)g->G, (long long)g->ph, (long long)g->pw, (int)g->mode, g->strided,
                     gc_dtype_name(dt), gc_isa_name((gc_isa)isa), diff, mref);
    }
    gc_context_free(ctx);
    gc_tensor_free(&goutbuf);
    gc_tensor_free(&ginbuf);
    gc_tensor_free(&ginref);
    gc_tensor_free(&inbuf);
    gc_tensor_free(&wbuf);
    gc_tensor_free(&b);
    gc_tensor_free(&outbuf);
    gc_tensor_free(&ref);
}

static void test_wino_sweep(void)
{
    const wgeo fixed[] = {
        /* N  C  H  W   O  G ph pw mode               batched bias strided */
        {1, 1, 3, 3, 1, 1, 0, 0, GC_BOUNDARY_FILL, 0, 0, 0, 3},     /* 1 x 1 output */
        {1, 1, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 1, 1, 0, 3},     /* 1 x 1 input, pad 1 */
        {1, 2, 2, 3, 3, 1, 2, 1, GC_BOUNDARY_FILL, 0, 1, 0, 3},     /* pad beyond the input */
        {2, 3, 9, 10, 5, 1, 1, 1, GC_BOUNDARY_FILL, 1, 1, 0, 3},
        {1, 67, 7, 13, 9, 1, 1, 0, GC_BOUNDARY_FILL, 1, 0, 0, 3},   /* odd channels */
        {1, 5, 11, 6, 67, 1, 2, 2, GC_BOUNDARY_FILL, 1, 1, 0, 3},   /* O past two GW blocks */
        {3, 4, 5, 9, 6, 2, 1, 2, GC_BOUNDARY_REFLECT, 1, 1, 0, 3},   /* groups, reflect */
        {2, 6, 7, 8, 9, 3, 2, 1, GC_BOUNDARY_REPLICATE, 1, 1, 1, 3}, /* strided views */
        {1, 8, 6, 5, 8, 4, 2, 2, GC_BOUNDARY_WRAP, 0, 1, 1, 3},
        {1, 16, 37, 41, 20, 1, 1, 1, GC_BOUNDARY_FILL, 1, 1, 0, 3}, /* more than one GEMM chunk */
        {1, 24, 13, 17, 40, 1, 1, 1, GC_BOUNDARY_FILL, 1, 1, 0, 3}, /* 40 channels: the AVX-512 */
        {2, 9, 6, 7, 96, 1, 0, 2, GC_BOUNDARY_FILL, 1, 0, 0, 3},    /* GEMM tile (else AVX2's) */
        /* 5 x 5: F(2x2, 5x5) */
        {1, 1, 5, 5, 1, 1, 0, 0, GC_BOUNDARY_FILL, 0, 0, 0, 5},     /* 1 x 1 output */
        {1, 2, 1, 1, 3, 1, 2, 2, GC_BOUNDARY_FILL, 1, 1, 0, 5},     /* 1 x 1 input, pad 2 */
        {2, 3, 9, 10, 5, 1, 4, 3, GC_BOUNDARY_FILL, 1, 1, 0, 5},    /* pads up to k - 1 */
        {1, 67, 8, 13, 9, 1, 2, 1, GC_BOUNDARY_FILL, 1, 0, 0, 5},   /* odd channels, chunks */
        {1, 5, 11, 6, 67, 1, 2, 2, GC_BOUNDARY_FILL, 1, 1, 0, 5},   /* O past two GW blocks */
        {3, 4, 7, 9, 6, 2, 1, 2, GC_BOUNDARY_REFLECT, 1, 1, 0, 5},   /* groups, reflect */
        {2, 6, 7, 8, 9, 3, 2, 1, GC_BOUNDARY_REPLICATE, 1, 1, 1, 5}, /* strided views */
        {1, 8, 6, 5, 8, 4, 2, 2, GC_BOUNDARY_WRAP, 0, 1, 1, 5},
        {1, 16, 37, 41, 20, 1, 2, 2, GC_BOUNDARY_FILL, 1, 1, 0, 5}, /* 399 tiles */
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        for (int dt = 0; dt < 2; dt++)
            wino_check(&fixed[i], dt ? GC_DTYPE_F64 : GC_DTYPE_F32, 100u + (unsigned)i);
    /* random small geometries */
    gc_rng rng = {4242};
    for (int it = 0; it < 24; it++) {
        wgeo g;
        memset(&g, 0, sizeof g);
        g.G = 1 + (int64_t)((gc_rng_next(&rng) + 1) * 1.5); /* 1..3 */
        g.C = g.G * (1 + (int64_t)((gc_rng_next(&rng) + 1) * 4));
        g.O = g.G * (1 + (int64_t)((gc_rng_next(&rng) + 1) * 5));
        g.ph = (int64_t)((gc_rng_next(&rng) + 1) * 1.5);
        g.pw = (int64_t)((gc_rng_next(&rng) + 1) * 1.5);
        g.H = 3 - 2 * (g.ph > 0) + (int64_t)((gc_rng_next(&rng) + 1) * 6);
        g.W = 3 - 2 * (g.pw > 0) + (int64_t)((gc_rng_next(&rng) + 1) * 6);
        g.N = 1 + it % 2;
        g.batched = it % 3 != 0 || g.N > 1;
        g.bias = it % 4 != 1;
        g.strided = it % 5 == 2;
        static const gc_boundary modes[4] = {GC_BOUNDARY_FILL, GC_BOUNDARY_REFLECT,
                                             GC_BOUNDARY_REPLICATE, GC_BOUNDARY_WRAP};
        g.mode = modes[it % 4];
        if (g.mode == GC_BOUNDARY_REFLECT && (g.ph >= g.H || g.pw >= g.W))
            g.mode = GC_BOUNDARY_FILL;
        if (g.mode == GC_BOUNDARY_WRAP && (g.ph > g.H || g.pw > g.W))
            g.mode = GC_BOUNDARY_FILL;
        wino_check(&g, it % 2 ? GC_DTYPE_F64 : GC_DTYPE_F32, 900u + (unsigned)it);
        /* the same channels and modes with a 5 x 5 kernel: pads 0..4, output at least 1 */
        g.k = 5;
        g.ph = (int64_t)((gc_rng_next(&rng) + 1) * 2.5);
        g.pw = (int64_t)((gc_rng_next(&rng) + 1) * 2.5);
        g.H = (5 - 2 * g.ph > 1 ? 5 - 2 * g.ph : 1) + (int64_t)((gc_rng_next(&rng) + 1) * 6);
        g.W = (5 - 2 * g.pw > 1 ? 5 - 2 * g.pw : 1) + (int64_t)((gc_rng_next(&rng) + 1) * 6);
        if (g.mode == GC_BOUNDARY_REFLECT && (g.ph >= g.H || g.pw >= g.W))
            g.mode = GC_BOUNDARY_FILL;
        if (g.mode == GC_BOUNDARY_WRAP && (g.ph > g.H || g.pw > g.W))
            g.mode = GC_BOUNDARY_FILL;
        wino_check(&g, it % 2 ? GC_DTYPE_F32 : GC_DTYPE_F64, 1900u + (unsigned)it);
    }
}

/* max |y - ref| / max |ref| at C = 512 input channels (the error grows with C), float32,
 * uniform inputs, 3 x 3 and 5 x 5 kernels: at most 1e-4 (the documented bound). 81 tiles of
 * 4 x 4 (3 x 3): more than one band (the weights transformed once for all bands, not per GW
 * block); 324 tiles of 2 x 2 (5 x 5). */
static void test_wino_error_bound(void)
{
    for (int64_t k = 3; k <= 5; k += 2) {
        gc_rng rng = {31337};
        gc_tensor in, w, out, ref;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){1, 512, 36, 36}));
        GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){8, 512, k, k}));
        GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 4, (int64_t[]){1, 8, 36, 36}));
        GC_CHECK_OK(gc_tensor_create(NULL, &ref, GC_DTYPE_F32, 4, (int64_t[]){1, 8, 36, 36}));
        gc_test_fill(&in, &rng, 0);
        gc_test_fill(&w, &rng, 0);
        gc_conv2d_desc d = gc_conv2d_desc_default();
        d.pad[0] = d.pad[1] = k / 2;
        d.algo = GC_CONV_ALGO_REFERENCE;
        GC_CHECK_OK(gc_test_conv2d_forward(NULL, &d, &in, &w, NULL, &ref));
        d.algo = GC_CONV_ALGO_WINOGRAD;
        gc_context *ctx;
        GC_CHECK_OK(gc_context_create(&ctx));
        for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++) {
            GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
            GC_CHECK_OK(gc_test_conv2d_forward(ctx, &d, &in, &w, NULL, &out));
            double diff, mref;
            wino_diff(&out, &ref, &diff, &mref);
            GC_CHECK_MSG(diff <= 1e-4 * mref && mref > 10, "%lldx%lld isa %s: max|y-ref| / max|ref| = %g (max|ref| %g)",
                         (long long)k, (long long)k, gc_isa_name((gc_isa)isa), diff / mref, mref);
            if (getenv("GC_WINO_VERBOSE"))
                fprintf(stderr, "  winograd %lldx%lld C=512 isa %s: max rel error %.3g\n", (long long)k,
                        (long long)k, gc_isa_name((gc_isa)isa), diff / mref);
        }
        gc_context_free(ctx);
        gc_tensor *all[] = {&in, &w, &out, &ref};
        for (size_t i = 0; i < 4; i++)
            gc_tensor_free(all[i]);
    }
}

/* Bitwise the same result on 1, 2 and 3 threads: one band of tiles (whole GW blocks of output
 * channels per thread, a U slot each: 2 to 7 blocks over 2 or 3 threads) and several bands
 * (bands in parallel, a V + M slot per thread). */
static void test_wino_threads(void)
{
    const int64_t geo[3][4] = {{40, 50, 45, 37}, {300, 20, 37, 44}, {24, 150, 21, 19}}; /* C, O, H, W */
    for (int k = 0; k < 3; k++) {
        const int64_t C = geo[k][0], O = geo[k][1], H = geo[k][2], W = geo[k][3];
        gc_rng rng = {5};
        gc_tensor in, w, b, o1, o2;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){2, C, H, W}));
        GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){O, C, 3, 3}));
        GC_CHECK_OK(gc_tensor_create(NULL, &b, GC_DTYPE_F32, 1, (int64_t[]){O}));
        GC_CHECK_OK(gc_tensor_create(NULL, &o1, GC_DTYPE_F32, 4, (int64_t[]){2, O, H, W}));
        GC_CHECK_OK(gc_tensor_create(NULL, &o2, GC_DTYPE_F32, 4, (int64_t[]){2, O, H, W}));
        gc_test_fill(&in, &rng, 0);
        gc_test_fill(&w, &rng, 0);
        gc_test_fill(&b, &rng, 0);
        gc_conv2d_desc d = gc_conv2d_desc_default();
        d.pad[0] = d.pad[1] = 1;
        d.algo = GC_CONV_ALGO_WINOGRAD;
        gc_context *ctx;
        GC_CHECK_OK(gc_context_create(&ctx));
        GC_CHECK_OK(gc_context_set_threads(ctx, 1));
        GC_CHECK_OK(gc_test_conv2d_forward(ctx, &d, &in, &w, &b, &o1));
        for (int t = 2; t <= 3; t++) {
            GC_CHECK_OK(gc_context_set_threads(ctx, t));
            gc_test_poison(&o2);
            GC_CHECK_OK(gc_test_conv2d_forward(ctx, &d, &in, &w, &b, &o2));
            GC_CHECK_MSG(memcmp(o1.data, o2.data, (size_t)(2 * O * H * W) * sizeof(float)) == 0,
                         "case %d: %d threads differ from 1", k, t);
        }
        gc_context_free(ctx);
        gc_tensor *all[] = {&in, &w, &b, &o1, &o2};
        for (size_t i = 0; i < 5; i++)
            gc_tensor_free(all[i]);
    }
}

/* The compute call allocates nothing (the caller's workspace is all it uses); a workspace
 * too small or misaligned is refused; geometries the path cannot take are refused. */
static void test_wino_workspace_refusals(void)
{
    gc_test_counter cnt;
    memset(&cnt, 0, sizeof cnt);
    const gc_allocator a = gc_test_counter_allocator(&cnt);
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_rng rng = {9};
    gc_tensor in, w, out;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 4, (int64_t[]){2, 6, 13, 11}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){7, 6, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F32, 4, (int64_t[]){2, 7, 13, 11}));
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&w, &rng, 0);
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = d.pad[1] = 1;
    d.padding_mode = GC_BOUNDARY_REFLECT;
    d.algo = GC_CONV_ALGO_WINOGRAD;
    size_t bytes = 0;
    GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes));
    GC_CHECK(bytes > 0);
    void *ws = NULL;
    GC_CHECK(posix_memalign(&ws, 64, bytes + 64) == 0);
    GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
    GC_CHECK_OK(gc_context_set_threads(ctx, 2));
    GC_CHECK_OK(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &out, ws, bytes));
    GC_CHECK_MSG(cnt.calls == 0, "the compute call allocated %ld times", cnt.calls);
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &out, ws, bytes - 1), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &out, NULL, bytes), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &out, (char *)ws + 8, bytes), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "aligned") != NULL);
    free(ws);
    /* not 3x3 or 5x5 (7x7, 3x5), stride 2, dilation 2: refused, by the query and the call */
    gc_tensor w5, o2;
    GC_CHECK_OK(gc_tensor_create(NULL, &w5, GC_DTYPE_F32, 4, (int64_t[]){7, 6, 3, 5}));
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w5, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_UNSUPPORTED);
    GC_CHECK(strstr(gc_context_last_error(ctx), "Winograd") != NULL);
    gc_tensor_free(&w5);
    GC_CHECK_OK(gc_tensor_create(NULL, &w5, GC_DTYPE_F32, 4, (int64_t[]){7, 6, 7, 7}));
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w5, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_UNSUPPORTED);
    GC_CHECK(strstr(gc_context_last_error(ctx), "Winograd") != NULL);
    d.stride[0] = 2;
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_UNSUPPORTED);
    GC_CHECK_OK(gc_tensor_create(NULL, &o2, GC_DTYPE_F32, 4, (int64_t[]){2, 7, 7, 11}));
    GC_CHECK_STATUS(gc_conv2d_forward(ctx, &d, &in, &w, NULL, &o2, NULL, 0), GC_ERR_UNSUPPORTED);
    d.stride[0] = 1;
    d.dilation[1] = 2;
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_UNSUPPORTED);
    d.dilation[1] = 1;
    d.algo = (gc_conv_algo)99;
    GC_CHECK_STATUS(gc_conv2d_workspace_size(ctx, &d, &in, &w, GC_CONV_PASS_FORWARD, &bytes), GC_ERR_ARG);
    GC_CHECK_OK(gc_context_set_allocator(ctx, NULL));
    gc_tensor *all[] = {&in, &w, &out, &w5, &o2};
    for (size_t i = 0; i < 5; i++)
        gc_tensor_free(all[i]);
    gc_context_free(ctx);
}

/* backward_input with WINOGRAD asked for where it cannot run (padding mode other than zeros,
 * groups, pad > 2) takes the IM2COL path: bitwise the same as IM2COL asked for. */
static void test_wino_backward_falls_back(void)
{
    gc_rng rng = {21};
    gc_tensor gout, w, gin, gin2, wg, goutp;
    GC_CHECK_OK(gc_tensor_create(NULL, &gout, GC_DTYPE_F64, 4, (int64_t[]){1, 6, 7, 6}));
    GC_CHECK_OK(gc_tensor_create(NULL, &goutp, GC_DTYPE_F64, 4, (int64_t[]){1, 6, 11, 10}));
    GC_CHECK_OK(gc_tensor_create(NULL, &w, GC_DTYPE_F64, 4, (int64_t[]){6, 4, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &wg, GC_DTYPE_F64, 4, (int64_t[]){6, 2, 3, 3}));
    GC_CHECK_OK(gc_tensor_create(NULL, &gin, GC_DTYPE_F64, 4, (int64_t[]){1, 4, 7, 6}));
    GC_CHECK_OK(gc_tensor_create(NULL, &gin2, GC_DTYPE_F64, 4, (int64_t[]){1, 4, 7, 6}));
    gc_test_fill(&gout, &rng, 0);
    gc_test_fill(&goutp, &rng, 0);
    gc_test_fill(&w, &rng, 0);
    gc_test_fill(&wg, &rng, 0);
    for (int c = 0; c < 3; c++) {
        gc_conv2d_desc d = gc_conv2d_desc_default();
        d.pad[0] = d.pad[1] = c == 2 ? 3 : 1;
        d.padding_mode = c == 0 ? GC_BOUNDARY_REFLECT : GC_BOUNDARY_FILL;
        d.groups = c == 1 ? 2 : 1;
        const gc_tensor *wt = c == 1 ? &wg : &w, *go = c == 2 ? &goutp : &gout;
        d.algo = GC_CONV_ALGO_WINOGRAD;
        GC_CHECK_OK(gc_test_conv2d_backward_input(NULL, &d, go, wt, &gin));
        d.algo = GC_CONV_ALGO_IM2COL;
        GC_CHECK_OK(gc_test_conv2d_backward_input(NULL, &d, go, wt, &gin2));
        GC_CHECK_MSG(memcmp(gin.data, gin2.data, 4 * 7 * 6 * sizeof(double)) == 0, "case %d", c);
    }
    gc_tensor *all[] = {&gout, &goutp, &w, &wg, &gin, &gin2};
    for (size_t i = 0; i < 6; i++)
        gc_tensor_free(all[i]);
}

GC_TEST_TABLE(gc_tests_conv2d_winograd) = {
    {"conv2d_winograd_sweep_vs_reference", test_wino_sweep},
    {"conv2d_winograd_error_bound", test_wino_error_bound},
    {"conv2d_winograd_threads", test_wino_threads},
    {"conv2d_winograd_workspace_refusals", test_wino_workspace_refusals},
    {"conv2d_winograd_backward_falls_back", test_wino_backward_falls_back},
    {NULL, NULL},
};
