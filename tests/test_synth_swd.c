/* test_synth_swd.c - the sliced Wasserstein style loss (gc_synth_desc.loss): finite-difference
 * gradients (SWD alone and with the Gram, content and TV terms; random net and a tiny VGG-19,
 * float64), zero at the sample on a 1 x 1 net and at any permutation of its pixels, the 1-D
 * barycentre of a blend, the loss falling, bitwise determinism (twice, 1 and 2 threads),
 * refusals, and allocation failures. */
#include "gc_test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static gc_tensor swd_image(gc_dtype dt, int64_t c, int64_t h, int64_t w, uint64_t seed)
{
    gc_tensor t = {0};
    const int64_t d[3] = {c, h, w};
    GC_CHECK_OK(gc_tensor_create(NULL, &t, dt, 3, d));
    GC_CHECK_OK(gc_synth_noise(&t, seed));
    return t;
}

/* A random net with the given filter sizes, 4 filters each, centred on 0.5. */
static gc_synth_net *swd_net(gc_dtype dt, int n, const int64_t *sizes)
{
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    rd.nscales = n;
    for (int i = 0; i < n; i++)
        rd.sizes[i] = sizes[i];
    rd.filters = 4;
    rd.seed = 5;
    rd.zero_mean = 0;
    for (int c = 0; c < 3; c++)
        rd.center[c] = 0.5;
    gc_synth_net *net = NULL;
    GC_CHECK_OK(gc_synth_net_create_random(NULL, &rd, dt, &net));
    return net;
}

/* A VGG-19 with `ch` channels in every layer and random weights (as test_synth.c). */
static gc_synth_net *swd_tiny_vgg(gc_dtype dt, int64_t ch)
{
    gc_tensor w[16], b[16];
    gc_rng rng = {99};
    int64_t cin = 3;
    for (int i = 0; i < 16; i++) {
        const int64_t wd[4] = {ch, cin, 3, 3}, bd[1] = {ch};
        GC_CHECK_OK(gc_tensor_create(NULL, &w[i], GC_DTYPE_F64, 4, wd));
        GC_CHECK_OK(gc_tensor_create(NULL, &b[i], GC_DTYPE_F64, 1, bd));
        gc_test_fill(&w[i], &rng, 0);
        gc_test_fill(&b[i], &rng, 0);
        double *bp = b[i].data;
        for (int64_t k = 0; k < ch; k++)
            bp[k] = 0.1 * bp[k] + 0.05;
        cin = ch;
    }
    gc_synth_net *net = NULL;
    GC_CHECK_OK(gc_synth_net_create_vgg19(NULL, w, b, GC_SYNTH_POOL_AVG, dt, &net));
    for (int i = 0; i < 16; i++) {
        gc_tensor_free(&w[i]);
        gc_tensor_free(&b[i]);
    }
    return net;
}

/* Central differences of gc_synth_loss against its gradient at every `every`-th element. */
static double swd_fd_error(gc_synth *s, gc_tensor *x, int64_t every)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, 1));
    gc_tensor g = {0};
    GC_CHECK_OK(gc_tensor_create(NULL, &g, GC_DTYPE_F64, 3, x->dims));
    double f0 = 0.0;
    GC_CHECK_OK(gc_synth_loss(ctx, s, x, &f0, &g));
    GC_CHECK(f0 > 0.0 && isfinite(f0));
    const int64_t n = x->dims[0] * x->dims[1] * x->dims[2];
    double *xd = x->data, *gd = g.data, worst = 0.0, gmax = 0.0;
    for (int64_t i = 0; i < n; i++)
        gmax = fmax(gmax, fabs(gd[i]));
    for (int64_t i = 0; i < n; i += every) {
        const double h = 1e-6, keep = xd[i];
        double fp = 0.0, fm = 0.0;
        xd[i] = keep + h;
        GC_CHECK_OK(gc_synth_loss(ctx, s, x, &fp, NULL));
        xd[i] = keep - h;
        GC_CHECK_OK(gc_synth_loss(ctx, s, x, &fm, NULL));
        xd[i] = keep;
        worst = fmax(worst, fabs((fp - fm) / (2 * h) - gd[i]) / (gmax + 1e-300));
    }
    GC_CHECK(gmax > 0.0);
    gc_tensor_free(&g);
    gc_context_free(ctx);
    return worst;
}

static double swd_loss_at(gc_synth *s, const gc_tensor *x)
{
    double f = -1.0;
    GC_CHECK_OK(gc_synth_loss(NULL, s, x, &f, NULL));
    return f;
}

static void test_swd_gradient_random(void)
{
    const int64_t sizes[3] = {1, 3, 5};
    gc_synth_net *net = swd_net(GC_DTYPE_F64, 3, sizes);
    gc_tensor style = swd_image(GC_DTYPE_F64, 3, 12, 11, 1);
    gc_tensor style2 = swd_image(GC_DTYPE_F64, 3, 14, 10, 9);
    gc_tensor content = swd_image(GC_DTYPE_F64, 3, 9, 8, 2);
    gc_tensor x = swd_image(GC_DTYPE_F64, 3, 9, 8, 3);
    for (int loss = GC_SYNTH_LOSS_KIND_SWD; loss <= GC_SYNTH_LOSS_KIND_BOTH; loss++) {
        gc_synth_desc d = gc_synth_desc_default();
        d.height = 9, d.width = 8;
        d.loss = (gc_synth_loss_kind)loss;
        d.style_weight = 2.0;
        if (loss == GC_SYNTH_LOSS_KIND_BOTH) { /* every term at once; a blend of two styles */
            d.content_layer = 1;
            d.content_weight = 0.5, d.tv_weight = 0.3;
        }
        gc_synth *s = NULL;
        GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
        GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style, 1.0));
        if (loss == GC_SYNTH_LOSS_KIND_BOTH) {
            GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style2, 0.5));
            GC_CHECK_OK(gc_synth_set_content(NULL, s, &content));
        }
        const double err = swd_fd_error(s, &x, 1);
        GC_CHECK_MSG(err < 1e-6, "loss %d: relative gradient error %g", loss, err);
        gc_synth_free(s);
    }
    /* BOTH is the sum of GRAM and SWD */
    double f[3];
    for (int loss = 0; loss < 3; loss++) {
        gc_synth_desc d = gc_synth_desc_default();
        d.height = 9, d.width = 8;
        d.loss = (gc_synth_loss_kind)loss;
        gc_synth *s = NULL;
        GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
        GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style, 1.0));
        f[loss] = swd_loss_at(s, &x);
        gc_synth_free(s);
    }
    GC_CHECK(f[0] > 0.0 && f[1] > 0.0);
    GC_CHECK_MSG(fabs(f[2] - f[0] - f[1]) <= 1e-12 * f[2], "%.17g != %.17g + %.17g", f[2], f[0],
                 f[1]);
    gc_tensor_free(&style);
    gc_tensor_free(&style2);
    gc_tensor_free(&content);
    gc_tensor_free(&x);
    gc_synth_net_free(net);
}

/* More sample positions than quantiles kept (75 x 75 > 4096: interpolated targets). */
static void test_swd_gradient_many_quantiles(void)
{
    const int64_t sizes[2] = {1, 3};
    gc_synth_net *net = swd_net(GC_DTYPE_F64, 2, sizes);
    gc_tensor style = swd_image(GC_DTYPE_F64, 3, 75, 75, 4);
    gc_tensor x = swd_image(GC_DTYPE_F64, 3, 7, 9, 5);
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 7, d.width = 9;
    d.loss = GC_SYNTH_LOSS_KIND_SWD;
    gc_synth *s = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style, 1.0));
    const double err = swd_fd_error(s, &x, 1);
    GC_CHECK_MSG(err < 1e-6, "relative gradient error %g", err);
    gc_synth_free(s);
    gc_tensor_free(&style);
    gc_tensor_free(&x);
    gc_synth_net_free(net);
}

static void test_swd_gradient_vgg(void)
{
    gc_synth_net *net = swd_tiny_vgg(GC_DTYPE_F64, 3);
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 17, d.width = 16;
    d.loss = GC_SYNTH_LOSS_KIND_SWD;
    gc_synth *s = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
    gc_tensor style = swd_image(GC_DTYPE_F64, 3, 20, 18, 4);
    gc_tensor x = swd_image(GC_DTYPE_F64, 3, 17, 16, 6);
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style, 1.0));
    const double err = swd_fd_error(s, &x, 5);
    GC_CHECK_MSG(err < 1e-5, "relative gradient error %g", err);
    gc_tensor_free(&style);
    gc_tensor_free(&x);
    gc_synth_free(s);
    gc_synth_net_free(net);
}

/* With 1 x 1 filters the synthesis and target features of an image are the same (no
 * padding either way), and with N <= 4096 every sorted value is kept: the loss is 0 at the
 * sample and at any permutation of its pixels (the same features in another order), and
 * stays 0 when the sample is blended with itself. A blend of two samples A and B (1:1) is
 * the midpoint of their quantile functions: A and B are equally far from it. */
static void test_swd_zero_at_sample(void)
{
    const int64_t size1[1] = {1};
    gc_synth_net *net = swd_net(GC_DTYPE_F64, 1, size1);
    const int64_t H = 16, W = 12, n = H * W;
    gc_tensor a = swd_image(GC_DTYPE_F64, 3, H, W, 21), b = swd_image(GC_DTYPE_F64, 3, H, W, 22);
    gc_tensor perm = swd_image(GC_DTYPE_F64, 3, H, W, 0);
    double *pa = a.data, *pp = perm.data;
    for (int64_t i = 0; i < n; i++) { /* pixel i goes to (i * 7 + 3) mod n (7 prime to 192) */
        const int64_t j = (i * 7 + 3) % n;
        for (int c = 0; c < 3; c++)
            pp[c * n + j] = pa[c * n + i];
    }
    for (int loss = GC_SYNTH_LOSS_KIND_SWD; loss <= GC_SYNTH_LOSS_KIND_BOTH; loss++) {
        gc_synth_desc d = gc_synth_desc_default();
        d.height = H, d.width = W;
        d.loss = (gc_synth_loss_kind)loss;
        gc_synth *s = NULL;
        GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
        GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &a, 1.0));
        double f = swd_loss_at(s, &a);
        GC_CHECK_MSG(f >= 0.0 && f < 1e-12, "loss %d at the sample: %g", loss, f);
        f = swd_loss_at(s, &perm);
        GC_CHECK_MSG(f >= 0.0 && f < 1e-12, "loss %d at the permuted sample: %g", loss, f);
        GC_CHECK(swd_loss_at(s, &b) > 1e-3);
        GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &a, 3.0));
        f = swd_loss_at(s, &a);
        GC_CHECK_MSG(f >= 0.0 && f < 1e-12, "loss %d at the sample blended with itself: %g", loss, f);
        gc_synth_free(s);
    }
    gc_synth_desc d = gc_synth_desc_default();
    d.height = H, d.width = W;
    d.loss = GC_SYNTH_LOSS_KIND_SWD;
    gc_synth *s = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &a, 1.0));
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &b, 1.0));
    const double fa = swd_loss_at(s, &a), fb = swd_loss_at(s, &b);
    GC_CHECK(fa > 1e-4);
    GC_CHECK_MSG(fabs(fa - fb) <= 1e-12 * fa, "%.17g vs %.17g", fa, fb);
    gc_synth_free(s);
    gc_tensor_free(&a);
    gc_tensor_free(&b);
    gc_tensor_free(&perm);
    gc_synth_net_free(net);
}

/* A few iterations lower the SWD loss. */
static void test_swd_loss_falls(void)
{
    const int64_t sizes[3] = {1, 3, 5};
    gc_synth_net *net = swd_net(GC_DTYPE_F32, 3, sizes);
    gc_tensor sample = swd_image(GC_DTYPE_F32, 3, 20, 20, 31);
    float *p = sample.data;
    for (int64_t i = 0; i < 3 * 400; i++) /* stripes: something to match */
        p[i] = (float)(0.5 * p[i] + ((i % 20) / 4 % 2 ? 0.5 : 0.0));
    gc_tensor x = swd_image(GC_DTYPE_F32, 3, 16, 16, 32);
    gc_synth_desc d = gc_synth_desc_default();
    d.height = d.width = 16;
    d.iters = 30;
    d.loss = GC_SYNTH_LOSS_KIND_SWD;
    gc_synth *s = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &sample, 1.0));
    gc_synth_stats st;
    GC_CHECK_OK(gc_synth_run(NULL, s, &x, &st));
    GC_CHECK(st.iters == 30);
    GC_CHECK_MSG(st.final_loss < 0.2 * st.initial_loss, "%g -> %g", st.initial_loss,
                 st.final_loss);
    gc_synth_free(s);
    gc_tensor_free(&sample);
    gc_tensor_free(&x);
    gc_synth_net_free(net);
}

/* The loss and gradient are the same bytes twice and on 1 and 2 threads; the whole
 * synthesis the same bytes twice. */
static void test_swd_deterministic(void)
{
    const int64_t sizes[3] = {1, 3, 5};
    gc_synth_net *net = swd_net(GC_DTYPE_F32, 3, sizes);
    gc_tensor sample = swd_image(GC_DTYPE_F32, 3, 18, 17, 41);
    gc_tensor x = swd_image(GC_DTYPE_F32, 3, 12, 14, 42);
    gc_tensor g[3];
    double f[3];
    for (int r = 0; r < 3; r++) {
        gc_context *ctx = NULL;
        GC_CHECK_OK(gc_context_create(&ctx));
        GC_CHECK_OK(gc_context_set_threads(ctx, r == 2 ? 2 : 1));
        gc_synth_desc d = gc_synth_desc_default();
        d.height = 12, d.width = 14;
        d.loss = GC_SYNTH_LOSS_KIND_SWD;
        gc_synth *s = NULL;
        GC_CHECK_OK(gc_synth_create(ctx, net, &d, &s));
        GC_CHECK_OK(gc_synth_add_style_image(ctx, s, &sample, 1.0));
        g[r] = swd_image(GC_DTYPE_F32, 3, 12, 14, 0);
        GC_CHECK_OK(gc_synth_loss(ctx, s, &x, &f[r], &g[r]));
        gc_synth_free(s);
        gc_context_free(ctx);
    }
    const size_t bytes = 3 * 12 * 14 * sizeof(float);
    for (int r = 1; r < 3; r++) {
        GC_CHECK_MSG(memcmp(&f[0], &f[r], sizeof f[0]) == 0, "run %d: %.17g vs %.17g", r, f[0],
                     f[r]);
        GC_CHECK_MSG(memcmp(g[0].data, g[r].data, bytes) == 0, "run %d: the gradients differ", r);
    }
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, 2));
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 12, d.width = 14;
    d.iters = 5;
    d.loss = GC_SYNTH_LOSS_KIND_BOTH;
    gc_tensor a = swd_image(GC_DTYPE_F32, 3, 12, 14, 0), b = swd_image(GC_DTYPE_F32, 3, 12, 14, 0);
    GC_CHECK_OK(gc_synth_texture(ctx, net, &sample, &d, 7, &a, NULL));
    GC_CHECK_OK(gc_synth_texture(ctx, net, &sample, &d, 7, &b, NULL));
    GC_CHECK(memcmp(a.data, b.data, bytes) == 0);
    d.loss = GC_SYNTH_LOSS_KIND_GRAM;
    GC_CHECK_OK(gc_synth_texture(ctx, net, &sample, &d, 7, &b, NULL));
    GC_CHECK(memcmp(a.data, b.data, bytes) != 0);
    gc_context_free(ctx);
    for (int r = 0; r < 3; r++)
        gc_tensor_free(&g[r]);
    gc_tensor_free(&a);
    gc_tensor_free(&b);
    gc_tensor_free(&sample);
    gc_tensor_free(&x);
    gc_synth_net_free(net);
}

static void test_swd_refusals(void)
{
    const int64_t sizes[2] = {1, 3};
    gc_synth_net *net = swd_net(GC_DTYPE_F64, 2, sizes);
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_synth_desc d = gc_synth_desc_default();
    d.height = d.width = 8;
    gc_synth *s = NULL;
    d.loss = (gc_synth_loss_kind)3;
    GC_CHECK_STATUS(gc_synth_create(ctx, net, &d, &s), GC_ERR_ARG);
    GC_CHECK(s == NULL);
    GC_CHECK(strstr(gc_context_last_error(ctx), "loss") != NULL);
    d.loss = (gc_synth_loss_kind)-1;
    GC_CHECK_STATUS(gc_synth_create(ctx, net, &d, &s), GC_ERR_ARG);
    gc_tensor style = swd_image(GC_DTYPE_F64, 3, 10, 10, 1), x = swd_image(GC_DTYPE_F64, 3, 8, 8, 2);
    gc_tensor grams[GC_SYNTH_MAX_LAYERS];
    memset(grams, 0, sizeof grams);
    GC_CHECK_OK(gc_synth_net_grams(NULL, net, &style, 3u, grams));
    for (int loss = GC_SYNTH_LOSS_KIND_SWD; loss <= GC_SYNTH_LOSS_KIND_BOTH; loss++) {
        d.loss = (gc_synth_loss_kind)loss;
        double f = 0.0;
        /* Grams alone */
        GC_CHECK_OK(gc_synth_create(ctx, net, &d, &s));
        GC_CHECK_OK(gc_synth_add_style_grams(ctx, s, grams, 1.0));
        GC_CHECK_STATUS(gc_synth_loss(ctx, s, &x, &f, NULL), GC_ERR_ARG);
        GC_CHECK(strstr(gc_context_last_error(ctx), "sliced Wasserstein") != NULL);
        GC_CHECK_STATUS(gc_synth_run(ctx, s, &x, NULL), GC_ERR_ARG);
        gc_synth_free(s);
        /* an image and Grams: the Grams have no distributions to blend */
        GC_CHECK_OK(gc_synth_create(ctx, net, &d, &s));
        GC_CHECK_OK(gc_synth_add_style_image(ctx, s, &style, 1.0));
        GC_CHECK_OK(gc_synth_loss(ctx, s, &x, &f, NULL));
        GC_CHECK_OK(gc_synth_add_style_grams(ctx, s, grams, 1.0));
        GC_CHECK_STATUS(gc_synth_loss(ctx, s, &x, &f, NULL), GC_ERR_ARG);
        gc_synth_free(s);
        /* no style at all */
        GC_CHECK_OK(gc_synth_create(ctx, net, &d, &s));
        GC_CHECK_STATUS(gc_synth_loss(ctx, s, &x, &f, NULL), GC_ERR_ARG);
        gc_synth_free(s);
        /* not in bands */
        gc_synth_tiled *t = NULL;
        GC_CHECK_STATUS(gc_synth_tiled_create(ctx, net, &d, grams, 0, &t), GC_ERR_UNSUPPORTED);
        GC_CHECK(t == NULL);
    }
    /* the Gram loss still runs from Grams alone */
    d.loss = GC_SYNTH_LOSS_KIND_GRAM;
    GC_CHECK_OK(gc_synth_create(ctx, net, &d, &s));
    GC_CHECK_OK(gc_synth_add_style_grams(ctx, s, grams, 1.0));
    double f = 0.0;
    GC_CHECK_OK(gc_synth_loss(ctx, s, &x, &f, NULL));
    gc_synth_free(s);
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&grams[l]);
    gc_tensor_free(&style);
    gc_tensor_free(&x);
    gc_context_free(ctx);
    gc_synth_net_free(net);
}

typedef struct swd_failing {
    int64_t left;  /* allocations that succeed before the failure */
    int64_t live;
} swd_failing;

static void *swd_fail_alloc(size_t size, size_t align, void *user)
{
    swd_failing *f = user;
    if (f->left-- == 0)
        return NULL;
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1) != 0)
        return NULL;
    f->live++;
    return p;
}

static void swd_fail_free(void *p, void *user)
{
    swd_failing *f = user;
    f->live--;
    free(p);
}

/* Every allocation failing in turn: create, two style images (the first's quantiles, then a
 * blend), a short run: GC_ERR_NOMEM and nothing leaked, until everything succeeds. */
static void test_swd_alloc_failures(void)
{
    gc_tensor sample = swd_image(GC_DTYPE_F32, 3, 12, 12, 51);
    gc_tensor sample2 = swd_image(GC_DTYPE_F32, 3, 11, 13, 52);
    gc_tensor out = swd_image(GC_DTYPE_F32, 3, 10, 10, 0);
    int ok = 0;
    for (int64_t k = 0; k < 400 && !ok; k++) {
        swd_failing f = {k, 0};
        gc_allocator a = {swd_fail_alloc, swd_fail_free, &f};
        gc_context *ctx = NULL;
        GC_CHECK_OK(gc_context_create(&ctx));
        GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
        GC_CHECK_OK(gc_context_set_threads(ctx, 1));
        gc_synth_random_desc rd = gc_synth_random_desc_default();
        rd.nscales = 2, rd.filters = 3;
        gc_synth_net *net = NULL;
        gc_synth *s = NULL;
        gc_status st = gc_synth_net_create_random(ctx, &rd, GC_DTYPE_F32, &net);
        gc_synth_desc d = gc_synth_desc_default();
        d.height = d.width = 10;
        d.iters = 2;
        d.loss = GC_SYNTH_LOSS_KIND_BOTH;
        if (st == GC_OK)
            st = gc_synth_create(ctx, net, &d, &s);
        if (st == GC_OK)
            st = gc_synth_add_style_image(ctx, s, &sample, 1.0);
        if (st == GC_OK)
            st = gc_synth_add_style_image(ctx, s, &sample2, 1.0);
        if (st == GC_OK)
            st = gc_synth_run(ctx, s, &out, NULL);
        GC_CHECK(st == GC_OK || st == GC_ERR_NOMEM);
        ok = st == GC_OK;
        gc_synth_free(s);
        gc_synth_net_free(net);
        GC_CHECK_MSG(f.live == 0, "failing allocation %lld: %lld blocks leaked", (long long)k,
                     (long long)f.live);
        gc_context_free(ctx);
    }
    GC_CHECK(ok);
    gc_tensor_free(&sample);
    gc_tensor_free(&sample2);
    gc_tensor_free(&out);
}

GC_TEST_TABLE(gc_tests_synth_swd) = {
    {"swd_gradient_random", test_swd_gradient_random},
    {"swd_gradient_many_quantiles", test_swd_gradient_many_quantiles},
    {"swd_gradient_vgg", test_swd_gradient_vgg},
    {"swd_zero_at_sample", test_swd_zero_at_sample},
    {"swd_loss_falls", test_swd_loss_falls},
    {"swd_deterministic", test_swd_deterministic},
    {"swd_refusals", test_swd_refusals},
    {"swd_alloc_failures", test_swd_alloc_failures},
    {NULL, NULL},
};
