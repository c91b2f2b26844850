/* test_synth_style.c - style transfer in one call (gc_synth_style): its refusals, one level
 * against the same problem run by hand (gc_synth_create, set_content, add_style_image, run,
 * histogram matching), the pyramid's iteration schedule and automatic levels, the same bytes
 * for the same inputs at one and two threads, the content's colours and the sliced
 * Wasserstein loss on style layers. */
#include "gc_test.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static gc_tensor ss_image(gc_dtype dt, int64_t c, int64_t h, int64_t w, uint64_t seed)
{
    gc_tensor t = {0};
    const int64_t d[3] = {c, h, w};
    GC_CHECK_OK(gc_tensor_create(NULL, &t, dt, 3, d));
    GC_CHECK_OK(gc_synth_noise(&t, seed));
    return t;
}

/* A smooth content image (gradients and a disc), so the content term has a layout to keep. */
static gc_tensor ss_content(int64_t h, int64_t w)
{
    gc_tensor t = ss_image(GC_DTYPE_F32, 3, h, w, 1);
    float *p = t.data;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            const double dx = (double)x - 0.5 * (double)w, dy = (double)y - 0.4 * (double)h;
            const int in = dx * dx + dy * dy < 0.09 * (double)(h * w);
            p[y * w + x] = (float)(0.2 + 0.6 * (double)x / (double)w);
            p[h * w + y * w + x] = in ? 0.8f : 0.3f;
            p[2 * h * w + y * w + x] = (float)(0.7 - 0.5 * (double)y / (double)h);
        }
    return t;
}

static gc_synth_net *ss_net(int64_t channels, int64_t k_last)
{
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    rd.nscales = 3;
    rd.sizes[0] = 1, rd.sizes[1] = 3, rd.sizes[2] = k_last;
    rd.filters = 4;
    rd.channels = channels;
    rd.seed = 5;
    for (int c = 0; c < channels; c++)
        rd.center[c] = 0.5;
    gc_synth_net *net = NULL;
    GC_CHECK_OK(gc_synth_net_create_random(NULL, &rd, GC_DTYPE_F32, &net));
    return net;
}

static gc_synth_desc ss_desc(int64_t h, int64_t w, int64_t iters, int pyramid)
{
    gc_synth_desc d = gc_synth_desc_default();
    d.height = h, d.width = w, d.iters = iters, d.pyramid = pyramid;
    d.content_layer = -2;
    d.style_weight = 5.0;
    return d;
}

static size_t ss_bytes(const gc_tensor *t)
{
    return (size_t)(t->dims[0] * t->dims[1] * t->dims[2]) * sizeof(float);
}

/* Every refusal leaves out as it was. */
static void test_synth_style_refusals(void)
{
    gc_synth_net *net = ss_net(3, 5), *grey = ss_net(1, 5);
    gc_tensor content = ss_content(24, 28), style[2] = {ss_image(GC_DTYPE_F32, 3, 30, 32, 2),
                                                        ss_image(GC_DTYPE_F32, 3, 20, 22, 3)};
    gc_tensor out = ss_image(GC_DTYPE_F32, 3, 24, 28, 4), keep = ss_image(GC_DTYPE_F32, 3, 24, 28, 4);
    gc_tensor small = ss_image(GC_DTYPE_F32, 3, 24, 20, 4);
    gc_synth_style_desc sd = gc_synth_style_desc_default();
    GC_CHECK(sd.styles == NULL && sd.nstyles == 0 && sd.colors == GC_SYNTH_COLORS_OWN);
    sd.styles = style, sd.nstyles = 2;
    gc_synth_desc d = ss_desc(24, 28, 3, 1);
    GC_CHECK_STATUS(gc_synth_style(NULL, NULL, &content, &sd, &d, &out, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_synth_style(NULL, net, NULL, &sd, &d, &out, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, NULL, &d, &out, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, NULL, &out, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, NULL, NULL), GC_ERR_NULL);
    sd.nstyles = 0;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_ARG);
    sd.nstyles = 2;
    sd.colors = (gc_synth_colors)7;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_ARG);
    sd.colors = GC_SYNTH_COLORS_OWN;
    const double w0[2] = {1.0, 0.0}, wnan[2] = {NAN, 1.0};
    sd.weights = w0;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_ARG);
    sd.weights = wnan;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_ARG);
    sd.weights = NULL;
    d.pyramid = 9;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_ARG);
    d.pyramid = -1;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_ARG);
    d.pyramid = 3; /* the second style image: 22 >> 2 = 5, 20 >> 2 = 5: fits k = 5 */
    d.iters = 0;
    GC_CHECK_OK(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL));
    GC_CHECK_OK(gc_tensor_copy(&keep, &out));
    d.pyramid = 4; /* 20 >> 3 = 2 < 5 */
    d.iters = 3;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_SHAPE);
    d.pyramid = 1;
    d.content_layer = -1;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_ARG);
    d.content_layer = 5; /* the net has 3 layers */
    GC_CHECK(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL) != GC_OK);
    d.content_layer = -2;
    d.match_histogram = 2;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &out, NULL), GC_ERR_ARG);
    d.match_histogram = 0;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &small, NULL), GC_ERR_SHAPE);
    d.width = 20; /* out fits, the content does not */
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &small, NULL), GC_ERR_SHAPE);
    d.width = 28;
    GC_CHECK_STATUS(gc_synth_style(NULL, net, &content, &sd, &d, &content, NULL), GC_ERR_ALIAS);
    {   /* float64 images for a float32 net; a grey net asked for the content's colours */
        gc_tensor c64 = ss_image(GC_DTYPE_F64, 3, 24, 28, 1);
        GC_CHECK_STATUS(gc_synth_style(NULL, net, &c64, &sd, &d, &out, NULL), GC_ERR_DTYPE);
        gc_tensor gc1 = ss_image(GC_DTYPE_F32, 1, 24, 28, 1), gs = ss_image(GC_DTYPE_F32, 1, 30, 30, 2);
        gc_tensor go = ss_image(GC_DTYPE_F32, 1, 24, 28, 3);
        gc_synth_style_desc gd = sd;
        gd.styles = &gs, gd.nstyles = 1, gd.colors = GC_SYNTH_COLORS_CONTENT;
        GC_CHECK_STATUS(gc_synth_style(NULL, grey, &gc1, &gd, &d, &go, NULL), GC_ERR_SHAPE);
        gd.colors = GC_SYNTH_COLORS_OWN;
        GC_CHECK_STATUS(gc_synth_style(NULL, net, &gc1, &gd, &d, &go, NULL), GC_ERR_SHAPE);
        gc_tensor_free(&c64), gc_tensor_free(&gc1), gc_tensor_free(&gs), gc_tensor_free(&go);
    }
    GC_CHECK(memcmp(out.data, keep.data, ss_bytes(&out)) == 0);
    for (int i = 0; i < 2; i++)
        gc_tensor_free(&style[i]);
    gc_tensor_free(&content), gc_tensor_free(&out), gc_tensor_free(&keep), gc_tensor_free(&small);
    gc_synth_net_free(net), gc_synth_net_free(grey);
}

/* One level is the problem run by hand, to the byte; auto at a small size is one level. */
static void test_synth_style_one_level(void)
{
    gc_synth_net *net = ss_net(3, 5);
    gc_tensor content = ss_content(24, 28), style[2] = {ss_image(GC_DTYPE_F32, 3, 30, 32, 2),
                                                        ss_image(GC_DTYPE_F32, 3, 26, 22, 3)};
    const double w[2] = {1.0, 3.0};
    for (int hist = 0; hist < 2; hist++) {
        gc_synth_desc d = ss_desc(24, 28, 8, 1);
        d.match_histogram = hist;
        gc_tensor a = {0}, b = {0};
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &content, &a));
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &content, &b));
        gc_synth *s = NULL;
        GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
        GC_CHECK_OK(gc_synth_set_content(NULL, s, &content));
        for (int i = 0; i < 2; i++)
            GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style[i], w[i]));
        gc_synth_stats sa, sb;
        GC_CHECK_OK(gc_synth_run(NULL, s, &a, &sa));
        if (hist) /* the most-weighted style image: the second */
            GC_CHECK_OK(gc_synth_match_histogram(NULL, &a, &style[1]));
        gc_synth_free(s);
        gc_synth_style_desc sd = gc_synth_style_desc_default();
        sd.styles = style, sd.weights = w, sd.nstyles = 2;
        GC_CHECK_OK(gc_synth_style(NULL, net, &content, &sd, &d, &b, &sb));
        GC_CHECK_MSG(memcmp(a.data, b.data, ss_bytes(&a)) == 0, "histogram %d: one level differs "
                     "from the run by hand", hist);
        GC_CHECK(sa.iters == sb.iters && sa.final_loss == sb.final_loss &&
                 sb.final_loss < sb.initial_loss);
        d.pyramid = 0; /* auto: 24 x 28 keeps one level */
        GC_CHECK_OK(gc_tensor_copy(&content, &b));
        GC_CHECK_OK(gc_synth_style(NULL, net, &content, &sd, &d, &b, NULL));
        GC_CHECK(memcmp(a.data, b.data, ss_bytes(&a)) == 0);
        gc_tensor_free(&a), gc_tensor_free(&b);
    }
    for (int i = 0; i < 2; i++)
        gc_tensor_free(&style[i]);
    gc_tensor_free(&content);
    gc_synth_net_free(net);
}

typedef struct ss_count {
    int64_t calls, last_iter, iters, stop_at;
    int64_t width;      /* of the image the callback saw last */
} ss_count;

static int ss_progress(const gc_synth_progress *p, void *user)
{
    ss_count *c = user;
    c->calls++;
    GC_CHECK(p->iter == c->last_iter + 1);
    c->last_iter = p->iter;
    c->iters = p->iters;
    c->width = p->image->dims[2];
    return c->stop_at && p->iter >= c->stop_at;
}

/* Three levels: 12 + 10 + 10 iterations over 6 x 7, 12 x 14 and 24 x 28, the same bytes at one
 * and two threads, a result other than one level's; auto at 256 x 260 is two levels; a stop
 * at the coarse level still fills out. */
static void test_synth_style_pyramid(void)
{
    gc_synth_net *net = ss_net(3, 5);
    gc_tensor content = ss_content(24, 28), style = ss_image(GC_DTYPE_F32, 3, 40, 44, 2);
    gc_synth_style_desc sd = gc_synth_style_desc_default();
    sd.styles = &style, sd.nstyles = 1;
    gc_synth_desc d = ss_desc(24, 28, 12, 3);
    d.match_histogram = 1;
    ss_count cnt = {0, 0, 0, 0, 0};
    d.progress = ss_progress, d.progress_user = &cnt;
    gc_tensor a = {0}, b = {0}, c = {0};
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &content, &a));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &content, &b));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &content, &c));
    gc_context *one = NULL, *two = NULL;
    GC_CHECK_OK(gc_context_create(&one));
    GC_CHECK_OK(gc_context_set_threads(one, 1));
    GC_CHECK_OK(gc_context_create(&two));
    GC_CHECK_OK(gc_context_set_threads(two, 2));
    gc_synth_stats st;
    GC_CHECK_OK(gc_synth_style(one, net, &content, &sd, &d, &a, &st));
    GC_CHECK_MSG(cnt.calls == 32 && cnt.iters == 32 && cnt.width == 28, "%lld calls of %lld",
                 (long long)cnt.calls, (long long)cnt.iters); /* 12, 6 -> 10, 3 -> 10 */
    GC_CHECK(st.iters == 32 && st.final_loss < st.initial_loss);
    d.progress = NULL;
    GC_CHECK_OK(gc_synth_style(two, net, &content, &sd, &d, &b, NULL));
    GC_CHECK(memcmp(a.data, b.data, ss_bytes(&a)) == 0);
    GC_CHECK_OK(gc_synth_style(two, net, &content, &sd, &d, &c, NULL)); /* again */
    GC_CHECK(memcmp(a.data, c.data, ss_bytes(&a)) == 0);
    GC_CHECK_OK(gc_tensor_copy(&content, &b));
    d.pyramid = 1;
    GC_CHECK_OK(gc_synth_style(two, net, &content, &sd, &d, &b, NULL));
    GC_CHECK(memcmp(a.data, b.data, ss_bytes(&a)) != 0);
    {   /* histogram matching after the last level: the style's values */
        float lo = 2.0f, hi = -1.0f;
        for (int64_t i = 0; i < 3 * 24 * 28; i++) {
            lo = fminf(lo, ((float *)a.data)[i]);
            hi = fmaxf(hi, ((float *)a.data)[i]);
        }
        GC_CHECK(lo >= 0.0f && hi < 1.0f);
    }
    {   /* stopped during the coarsest level: out is the full size, filled */
        ss_count c2 = {0, 0, 0, 3, 0};
        d.pyramid = 3, d.progress = ss_progress, d.progress_user = &c2;
        GC_CHECK_OK(gc_tensor_copy(&content, &b));
        GC_CHECK_OK(gc_synth_style(NULL, net, &content, &sd, &d, &b, &st));
        GC_CHECK(st.iters == 3 && c2.width == 7);
        GC_CHECK(memcmp(b.data, content.data, ss_bytes(&b)) != 0);
        for (int64_t i = 0; i < 3 * 24 * 28; i++)
            GC_CHECK(isfinite(((float *)b.data)[i]));
    }
    {   /* auto at 256 x 260: two levels (128 x 130 is the last with a side >= 128) */
        gc_tensor big = ss_content(256, 260), bo = {0}, bs = ss_image(GC_DTYPE_F32, 3, 64, 64, 5);
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &big, &bo));
        gc_synth_style_desc bd = sd;
        bd.styles = &bs;
        gc_synth_desc db = ss_desc(256, 260, 2, 0);
        ss_count c3 = {0, 0, 0, 0, 0};
        db.progress = ss_progress, db.progress_user = &c3;
        GC_CHECK_OK(gc_synth_style(two, net, &big, &bd, &db, &bo, NULL));
        GC_CHECK_MSG(c3.iters == 3, "auto pyramid ran %lld iterations, not 2 + 1", (long long)c3.iters);
        /* a style image too small for a second level keeps one */
        gc_tensor tiny = ss_image(GC_DTYPE_F32, 3, 19, 40, 6);
        bd.styles = &tiny;
        c3 = (ss_count){0, 0, 0, 0, 0};
        GC_CHECK_OK(gc_synth_style(two, net, &big, &bd, &db, &bo, NULL));
        GC_CHECK_MSG(c3.iters == 2, "auto pyramid ran %lld iterations, not 2", (long long)c3.iters);
        gc_tensor_free(&big), gc_tensor_free(&bo), gc_tensor_free(&bs), gc_tensor_free(&tiny);
    }
    gc_tensor_free(&content), gc_tensor_free(&style);
    gc_tensor_free(&a), gc_tensor_free(&b), gc_tensor_free(&c);
    gc_context_free(one), gc_context_free(two);
    gc_synth_net_free(net);
}

/* The content's colours: out - content is the same on the three channels (the luma change),
 * and the result's luma is the one synthesised. The sliced Wasserstein loss runs on the style
 * layers with the content term and differs from the Gram loss. */
static void test_synth_style_colors_and_loss(void)
{
    gc_synth_net *net = ss_net(3, 5);
    gc_tensor content = ss_content(24, 28), style = ss_image(GC_DTYPE_F32, 3, 40, 44, 2);
    gc_synth_style_desc sd = gc_synth_style_desc_default();
    sd.styles = &style, sd.nstyles = 1;
    gc_synth_desc d = ss_desc(24, 28, 10, 2);
    gc_tensor a = {0}, b = {0};
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &content, &a));
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &content, &b));
    GC_CHECK_OK(gc_synth_style(NULL, net, &content, &sd, &d, &a, NULL));
    sd.colors = GC_SYNTH_COLORS_CONTENT;
    GC_CHECK_OK(gc_synth_style(NULL, net, &content, &sd, &d, &b, NULL));
    const int64_t hw = 24 * 28;
    const float *pa = a.data, *pb = b.data, *pc = content.data;
    double worst = 0.0, moved = 0.0;
    for (int64_t i = 0; i < hw; i++) {
        const double ya = 0.299 * pa[i] + 0.587 * pa[hw + i] + 0.114 * pa[2 * hw + i];
        const double yb = 0.299 * pb[i] + 0.587 * pb[hw + i] + 0.114 * pb[2 * hw + i];
        const double d0 = pb[i] - pc[i];
        for (int k = 1; k < 3; k++)
            worst = fmax(worst, fabs((pb[k * hw + i] - pc[k * hw + i]) - d0));
        worst = fmax(worst, fabs(ya - yb));
        moved = fmax(moved, fabs(d0));
    }
    GC_CHECK_MSG(worst < 1e-5, "content colours: chroma or luma off by %g", worst);
    GC_CHECK(moved > 1e-3);
    sd.colors = GC_SYNTH_COLORS_OWN;
    d.loss = GC_SYNTH_LOSS_KIND_SWD;
    GC_CHECK_OK(gc_tensor_copy(&content, &b));
    gc_synth_stats st;
    GC_CHECK_OK(gc_synth_style(NULL, net, &content, &sd, &d, &b, &st));
    GC_CHECK(st.final_loss < st.initial_loss);
    GC_CHECK(memcmp(a.data, b.data, ss_bytes(&a)) != 0);
    gc_tensor_free(&content), gc_tensor_free(&style), gc_tensor_free(&a), gc_tensor_free(&b);
    gc_synth_net_free(net);
}

GC_TEST_TABLE(gc_tests_synth_style) = {
    {"synth_style_refusals", test_synth_style_refusals},
    {"synth_style_one_level", test_synth_style_one_level},
    {"synth_style_pyramid", test_synth_style_pyramid},
    {"synth_style_colors_and_loss", test_synth_style_colors_and_loss},
    {NULL, NULL},
};
