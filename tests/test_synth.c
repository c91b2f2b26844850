/* test_synth.c - the synthesis engine: finite-difference gradients of the whole loss (random
 * multi-scale net and a tiny VGG-19, float64), the loss falling, determinism, presets (Grams)
 * equal to images, blends, argument checks and allocation failures. */
#include "gc_test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static gc_tensor synth_image(gc_dtype dt, int64_t c, int64_t h, int64_t w, uint64_t seed)
{
    gc_tensor t = {0};
    const int64_t d[3] = {c, h, w};
    GC_CHECK_OK(gc_tensor_create(NULL, &t, dt, 3, d));
    GC_CHECK_OK(gc_synth_noise(&t, seed));
    return t;
}

static gc_synth_net *synth_small_random(gc_dtype dt)
{
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    rd.nscales = 3;
    rd.sizes[0] = 1, rd.sizes[1] = 3, rd.sizes[2] = 5;
    rd.filters = 4;
    rd.seed = 7;
    gc_synth_net *net = NULL;
    GC_CHECK_OK(gc_synth_net_create_random(NULL, &rd, dt, &net));
    return net;
}

/* A VGG-19 with `ch` channels in every layer and random weights (bias too). */
static gc_synth_net *synth_tiny_vgg(gc_dtype dt, int64_t ch, gc_synth_pool pool)
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
            bp[k] = 0.1 * bp[k] + 0.05; /* mostly-alive ReLUs */
        cin = ch;
    }
    gc_synth_net *net = NULL;
    GC_CHECK_OK(gc_synth_net_create_vgg19(NULL, w, b, pool, dt, &net));
    for (int i = 0; i < 16; i++) {
        gc_tensor_free(&w[i]);
        gc_tensor_free(&b[i]);
    }
    return net;
}

/* Central differences of gc_synth_loss against its gradient at every element of x. */
static double synth_fd_error(gc_synth *s, gc_tensor *x, int64_t every)
{
    gc_context *ctx = NULL; /* one thread: thousands of tiny evaluations */
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
        const double fd = (fp - fm) / (2 * h);
        worst = fmax(worst, fabs(fd - gd[i]) / (gmax + 1e-300));
    }
    GC_CHECK(gmax > 0.0);
    gc_tensor_free(&g);
    gc_context_free(ctx);
    return worst;
}

static void test_synth_gradient_random(void)
{
    gc_synth_net *net = synth_small_random(GC_DTYPE_F64);
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 9, d.width = 8;
    d.content_layer = 1; /* the 3 x 3 scale: every term of the loss at once */
    d.content_weight = 0.5, d.style_weight = 2.0, d.tv_weight = 0.3;
    gc_synth *s = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
    gc_tensor style = synth_image(GC_DTYPE_F64, 3, 12, 11, 1);
    gc_tensor content = synth_image(GC_DTYPE_F64, 3, 9, 8, 2);
    gc_tensor x = synth_image(GC_DTYPE_F64, 3, 9, 8, 3);
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style, 1.0));
    GC_CHECK_OK(gc_synth_set_content(NULL, s, &content));
    double err = synth_fd_error(s, &x, 1);
    GC_CHECK_MSG(err < 1e-6, "relative gradient error %g", err);
    gc_tensor_free(&style);
    gc_tensor_free(&content);
    gc_tensor_free(&x);
    gc_synth_free(s);
    gc_synth_net_free(net);
}

/* Filters of 15 and more go through the FFT when the build has it: the same gradient check
 * and the same loss as the direct path (a net of the same seed without the FFT cannot be made
 * from outside, so the loss is compared with a float64 finite difference only). */
static void test_synth_gradient_large_filters(void)
{
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    rd.nscales = 2;
    rd.sizes[0] = 3, rd.sizes[1] = 15;
    rd.filters = 3;
    gc_synth_net *net = NULL;
    GC_CHECK_OK(gc_synth_net_create_random(NULL, &rd, GC_DTYPE_F64, &net));
    if (!gc_fft_available())
        printf("  (no FFTW in this build: the 15 x 15 scale runs on the direct path)\n");
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 16, d.width = 17;
    gc_synth *s = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
    gc_tensor style = synth_image(GC_DTYPE_F64, 3, 20, 19, 7);
    gc_tensor x = synth_image(GC_DTYPE_F64, 3, 16, 17, 8);
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style, 1.0));
    double err = synth_fd_error(s, &x, 7);
    GC_CHECK_MSG(err < 1e-6, "relative gradient error %g", err);
    gc_tensor_free(&style);
    gc_tensor_free(&x);
    gc_synth_free(s);
    gc_synth_net_free(net);
}

static void test_synth_gradient_vgg(void)
{
    for (int pool = 0; pool < 2; pool++) {
        gc_synth_net *net = synth_tiny_vgg(GC_DTYPE_F64, 3, (gc_synth_pool)pool);
        GC_CHECK(gc_synth_net_layer_count(net) == 16);
        GC_CHECK(gc_synth_net_layer_find(net, "relu4_2") == 9);
        GC_CHECK(gc_synth_net_default_content_layer(net) == 9);
        gc_synth_desc d = gc_synth_desc_default();
        d.height = 17, d.width = 16;
        d.content_layer = -2;
        d.tv_weight = 0.1;
        gc_synth *s = NULL;
        GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
        gc_tensor style = synth_image(GC_DTYPE_F64, 3, 20, 18, 4);
        gc_tensor content = synth_image(GC_DTYPE_F64, 3, 17, 16, 5);
        gc_tensor x = synth_image(GC_DTYPE_F64, 3, 17, 16, 6);
        GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style, 1.0));
        GC_CHECK_OK(gc_synth_set_content(NULL, s, &content));
        double err = synth_fd_error(s, &x, 5);
        GC_CHECK_MSG(err < 1e-5, "pool %d: relative gradient error %g", pool, err);
        gc_tensor_free(&style);
        gc_tensor_free(&content);
        gc_tensor_free(&x);
        gc_synth_free(s);
        gc_synth_net_free(net);
    }
}

/* A sample with structure: stripes and blobs (something a texture net can match). */
static gc_tensor synth_sample(gc_dtype dt, int64_t h, int64_t w)
{
    gc_tensor t = synth_image(dt, 3, h, w, 11);
    for (int64_t c = 0; c < 3; c++)
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) {
                const int64_t o = (c * h + y) * w + x;
                double v = 0.5 + 0.4 * sin(0.9 * (double)x + 0.4 * (double)y + (double)c) +
                           0.1 * (dt == GC_DTYPE_F32 ? ((float *)t.data)[o] : ((double *)t.data)[o]);
                if (dt == GC_DTYPE_F32)
                    ((float *)t.data)[o] = (float)v;
                else
                    ((double *)t.data)[o] = v;
            }
    return t;
}

static int synth_count_progress(const gc_synth_progress *p, void *user)
{
    int64_t *calls = user;
    (*calls)++;
    return p->iter < 0; /* never stop */
}

static void test_synth_loss_falls(void)
{
    for (int opt = 0; opt < 2; opt++) {
        gc_synth_net *net = synth_small_random(GC_DTYPE_F32);
        gc_tensor sample = synth_sample(GC_DTYPE_F32, 24, 24);
        gc_tensor out = synth_image(GC_DTYPE_F32, 3, 20, 20, 0);
        gc_synth_desc d = gc_synth_desc_default();
        d.height = d.width = 20;
        d.iters = 40;
        d.optimizer = (gc_synth_optimizer)opt;
        d.learning_rate = opt ? 0.05 : 1.0;
        int64_t calls = 0;
        d.progress = synth_count_progress;
        d.progress_user = &calls;
        gc_synth_stats stats;
        GC_CHECK_OK(gc_synth_texture(NULL, net, &sample, &d, 5, &out, &stats));
        GC_CHECK(stats.iters == 40 && calls == 40 && stats.evals == 41);
        GC_CHECK_MSG(stats.final_loss < stats.initial_loss / (opt ? 10.0 : 100.0),
                     "optimizer %d: loss %g -> %g", opt, stats.initial_loss, stats.final_loss);
        gc_tensor_free(&sample);
        gc_tensor_free(&out);
        gc_synth_net_free(net);
    }
}

static int synth_stop_at_3(const gc_synth_progress *p, void *user)
{
    (void)user;
    return p->iter >= 3;
}

static void test_synth_deterministic(void)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, 2));
    gc_synth_net *net = synth_small_random(GC_DTYPE_F32);
    gc_tensor sample = synth_sample(GC_DTYPE_F32, 16, 16);
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 12, d.width = 14;
    d.iters = 10;
    gc_tensor a = synth_image(GC_DTYPE_F32, 3, 12, 14, 0), b = synth_image(GC_DTYPE_F32, 3, 12, 14, 0),
              c = synth_image(GC_DTYPE_F32, 3, 12, 14, 0);
    GC_CHECK_OK(gc_synth_texture(ctx, net, &sample, &d, 42, &a, NULL));
    GC_CHECK_OK(gc_synth_texture(ctx, net, &sample, &d, 42, &b, NULL));
    GC_CHECK_OK(gc_synth_texture(ctx, net, &sample, &d, 43, &c, NULL));
    const size_t bytes = 3 * 12 * 14 * sizeof(float);
    GC_CHECK(memcmp(a.data, b.data, bytes) == 0);
    GC_CHECK(memcmp(a.data, c.data, bytes) != 0);
    /* the same seed makes the same network */
    gc_synth_net *net2 = synth_small_random(GC_DTYPE_F32);
    GC_CHECK_OK(gc_synth_texture(ctx, net2, &sample, &d, 42, &b, NULL));
    GC_CHECK(memcmp(a.data, b.data, bytes) == 0);
    /* stopping early through the callback */
    gc_synth_stats st;
    d.progress = synth_stop_at_3;
    GC_CHECK_OK(gc_synth_texture(ctx, net, &sample, &d, 42, &b, &st));
    GC_CHECK(st.iters == 3);
    gc_tensor_free(&a);
    gc_tensor_free(&b);
    gc_tensor_free(&c);
    gc_tensor_free(&sample);
    gc_synth_net_free(net);
    gc_synth_net_free(net2);
    gc_context_free(ctx);
}

/* Grams given directly (a preset) equal the style image; blending an image with itself is
 * the image; a blend of two is between them. */
static void test_synth_presets_and_blends(void)
{
    gc_synth_net *net = synth_small_random(GC_DTYPE_F64);
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 10, d.width = 10;
    gc_tensor s1 = synth_image(GC_DTYPE_F64, 3, 12, 12, 21), s2 = synth_sample(GC_DTYPE_F64, 12, 13);
    gc_tensor x = synth_image(GC_DTYPE_F64, 3, 10, 10, 22);
    gc_tensor grams[GC_SYNTH_MAX_LAYERS];
    memset(grams, 0, sizeof grams);
    GC_CHECK_OK(gc_synth_net_grams(NULL, net, &s1, 7u, grams));
    GC_CHECK(grams[0].rank == 2 && grams[0].dims[0] == 4 && grams[2].dims[1] == 4);
    gc_synth *a = NULL, *b = NULL, *c = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &a));
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &b));
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &c));
    GC_CHECK_OK(gc_synth_add_style_image(NULL, a, &s1, 1.0));
    GC_CHECK_OK(gc_synth_add_style_grams(NULL, b, grams, 2.0));
    GC_CHECK_OK(gc_synth_add_style_image(NULL, b, &s1, 5.0));
    double la = 0, lb = 0, lc1 = 0, lc2 = 0;
    GC_CHECK_OK(gc_synth_loss(NULL, a, &x, &la, NULL));
    GC_CHECK_OK(gc_synth_loss(NULL, b, &x, &lb, NULL));
    GC_CHECK_MSG(fabs(la - lb) <= 1e-12 * la, "%g vs %g", la, lb);
    /* a blend of s1 (weight 1) and s2 (weight 3) is the weighted mean of their Grams */
    gc_tensor g2[GC_SYNTH_MAX_LAYERS];
    memset(g2, 0, sizeof g2);
    GC_CHECK_OK(gc_synth_net_grams(NULL, net, &s2, 7u, g2));
    for (int l = 0; l < 3; l++) {
        double *p1 = grams[l].data, *p2 = g2[l].data;
        for (int64_t i = 0; i < 16; i++)
            p2[i] = 0.25 * p1[i] + 0.75 * p2[i];
    }
    GC_CHECK_OK(gc_synth_add_style_image(NULL, c, &s1, 1.0));
    GC_CHECK_OK(gc_synth_add_style_image(NULL, c, &s2, 3.0));
    GC_CHECK_OK(gc_synth_loss(NULL, c, &x, &lc1, NULL));
    gc_synth_free(c);
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &c));
    GC_CHECK_OK(gc_synth_add_style_grams(NULL, c, g2, 1.0));
    GC_CHECK_OK(gc_synth_loss(NULL, c, &x, &lc2, NULL));
    GC_CHECK_MSG(fabs(lc1 - lc2) <= 1e-12 * lc1 && fabs(lc1 - la) > 1e-3 * la, "%g %g %g", lc1,
                 lc2, la);
    gc_tensor x2 = {0};
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&g2[l]);
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&grams[l]);
    gc_tensor_free(&s1);
    gc_tensor_free(&s2);
    gc_tensor_free(&x);
    gc_tensor_free(&x2);
    gc_synth_free(a);
    gc_synth_free(b);
    gc_synth_free(c);
    gc_synth_net_free(net);
}

static void test_synth_refusals(void)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_synth_net *net = NULL;
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    GC_CHECK_STATUS(gc_synth_net_create_random(ctx, NULL, GC_DTYPE_F32, &net), GC_ERR_NULL);
    rd.sizes[1] = 4;
    GC_CHECK_STATUS(gc_synth_net_create_random(ctx, &rd, GC_DTYPE_F32, &net), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "odd") != NULL);
    GC_CHECK(net == NULL);
    rd = gc_synth_random_desc_default();
    rd.sizes[1] = 3;
    GC_CHECK_STATUS(gc_synth_net_create_random(ctx, &rd, GC_DTYPE_F32, &net), GC_ERR_ARG);
    rd = gc_synth_random_desc_default();
    rd.filters = 0;
    GC_CHECK_STATUS(gc_synth_net_create_random(ctx, &rd, GC_DTYPE_F32, &net), GC_ERR_ARG);
    rd.filters = 2;
    GC_CHECK_STATUS(gc_synth_net_create_random(ctx, &rd, (gc_dtype)7, &net), GC_ERR_DTYPE);
    rd.nscales = 2; /* 3 and 5 */
    GC_CHECK_OK(gc_synth_net_create_random(ctx, &rd, GC_DTYPE_F32, &net));
    GC_CHECK(strcmp(gc_synth_net_layer_name(net, 1), "k5") == 0);
    GC_CHECK(gc_synth_net_layer_name(net, 2) == NULL && gc_synth_net_layer_find(net, "k7") == -1);

    gc_synth *s = NULL;
    gc_synth_desc d = gc_synth_desc_default();
    d.height = d.width = 8;
    GC_CHECK_STATUS(gc_synth_create(ctx, NULL, &d, &s), GC_ERR_NULL);
    d.style_layers = 4u; /* layer 2: not in this net */
    GC_CHECK_STATUS(gc_synth_create(ctx, net, &d, &s), GC_ERR_ARG);
    d.style_layers = 0;
    d.tv_weight = -1;
    GC_CHECK_STATUS(gc_synth_create(ctx, net, &d, &s), GC_ERR_ARG);
    d.tv_weight = NAN;
    GC_CHECK_STATUS(gc_synth_create(ctx, net, &d, &s), GC_ERR_ARG);
    d.tv_weight = 0;
    d.width = 0;
    GC_CHECK_STATUS(gc_synth_create(ctx, net, &d, &s), GC_ERR_SHAPE);
    d.width = 8;
    d.learning_rate = 0;
    GC_CHECK_STATUS(gc_synth_create(ctx, net, &d, &s), GC_ERR_ARG);
    d.learning_rate = 1;
    d.height = 1; /* circular padding of 5 x 5 filters needs 2 rows */
    GC_CHECK_STATUS(gc_synth_create(ctx, net, &d, &s), GC_ERR_SHAPE);
    GC_CHECK(s == NULL);
    d.height = 8;
    GC_CHECK_OK(gc_synth_create(ctx, net, &d, &s));
    gc_tensor x = synth_image(GC_DTYPE_F32, 3, 8, 8, 1), tiny = synth_image(GC_DTYPE_F32, 3, 4, 9, 1);
    gc_tensor x64 = synth_image(GC_DTYPE_F64, 3, 8, 8, 1), gray = synth_image(GC_DTYPE_F32, 1, 8, 8, 1);
    double loss = 0;
    GC_CHECK_STATUS(gc_synth_loss(ctx, s, &x, &loss, NULL), GC_ERR_ARG); /* no target yet */
    GC_CHECK(strstr(gc_context_last_error(ctx), "style") != NULL);
    GC_CHECK_STATUS(gc_synth_add_style_image(ctx, s, &tiny, 1.0), GC_ERR_SHAPE); /* 4 < 5 */
    GC_CHECK_STATUS(gc_synth_add_style_image(ctx, s, &x64, 1.0), GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_synth_add_style_image(ctx, s, &gray, 1.0), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_synth_add_style_image(ctx, s, &x, 0.0), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_synth_add_style_image(ctx, s, NULL, 1.0), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_synth_set_content(ctx, s, &x), GC_ERR_ARG); /* no content layer */
    GC_CHECK_OK(gc_synth_add_style_image(ctx, s, &x, 1.0));
    GC_CHECK_STATUS(gc_synth_loss(ctx, s, &tiny, &loss, NULL), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_synth_loss(ctx, s, &x, &loss, &x), GC_ERR_ALIAS);
    GC_CHECK_STATUS(gc_synth_loss(ctx, s, &x, &loss, &tiny), GC_ERR_SHAPE);
    GC_CHECK_OK(gc_synth_loss(ctx, s, &x, &loss, NULL));
    GC_CHECK(loss >= 0.0 && isfinite(loss));
    GC_CHECK_STATUS(gc_synth_run(ctx, s, &tiny, NULL), GC_ERR_SHAPE);
    gc_tensor_free(&x);
    gc_tensor_free(&tiny);
    gc_tensor_free(&x64);
    gc_tensor_free(&gray);
    gc_synth_free(s);
    gc_synth_free(NULL);
    gc_synth_net_free(net);
    gc_synth_net_free(NULL);
    gc_context_free(ctx);
}

/* An allocator that fails the k-th allocation and counts what is live. */
typedef struct synth_failing {
    int64_t left, live;
} synth_failing;
static void *synth_fail_alloc(size_t size, size_t align, void *user)
{
    synth_failing *f = user;
    if (f->left-- == 0)
        return NULL;
    void *p = NULL;
    if (posix_memalign(&p, align, size) != 0)
        return NULL;
    f->live++;
    return p;
}
static void synth_fail_free(void *p, void *user)
{
    synth_failing *f = user;
    f->live--;
    free(p);
}

static void test_synth_alloc_failures(void)
{
    gc_tensor sample = synth_sample(GC_DTYPE_F32, 12, 12);
    gc_tensor out = synth_image(GC_DTYPE_F32, 3, 10, 10, 0);
    int ok = 0;
    for (int64_t k = 0; k < 400 && !ok; k++) {
        synth_failing f = {k, 0};
        gc_allocator a = {synth_fail_alloc, synth_fail_free, &f};
        gc_context *ctx = NULL;
        GC_CHECK_OK(gc_context_create(&ctx));
        GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
        GC_CHECK_OK(gc_context_set_threads(ctx, 1));
        gc_synth_random_desc rd = gc_synth_random_desc_default();
        rd.nscales = 2, rd.filters = 3;
        gc_synth_net *net = NULL;
        gc_status st = gc_synth_net_create_random(ctx, &rd, GC_DTYPE_F32, &net);
        gc_synth_desc d = gc_synth_desc_default();
        d.height = d.width = 10;
        d.iters = 2;
        if (st == GC_OK)
            st = gc_synth_texture(ctx, net, &sample, &d, 1, &out, NULL);
        GC_CHECK(st == GC_OK || st == GC_ERR_NOMEM);
        ok = st == GC_OK;
        gc_synth_net_free(net);
        GC_CHECK_MSG(f.live == 0, "failing allocation %lld: %lld blocks leaked", (long long)k,
                     (long long)f.live);
        gc_context_free(ctx);
    }
    GC_CHECK(ok);
    gc_tensor_free(&sample);
    gc_tensor_free(&out);
}

GC_TEST_TABLE(gc_tests_synth) = {
    {"synth_gradient_random", test_synth_gradient_random},
    {"synth_gradient_large_filters", test_synth_gradient_large_filters},
    {"synth_gradient_vgg", test_synth_gradient_vgg},
    {"synth_loss_falls", test_synth_loss_falls},
    {"synth_deterministic", test_synth_deterministic},
    {"synth_presets_and_blends", test_synth_presets_and_blends},
    {"synth_refusals", test_synth_refusals},
    {"synth_alloc_failures", test_synth_alloc_failures},
    {NULL, NULL},
};
