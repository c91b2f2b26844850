/* test_synth_quality.c - the texture-quality pieces of the synthesis: the centred random net
 * (its bias equals filtering the image minus the centre, direct and FFT paths), the spectrum
 * constraint's gradient (finite differences, float64) and its target, histogram matching,
 * the coarse-to-fine pyramid (sizes, iteration counts, determinism, refusals) and the start
 * images. */
#include "gc_test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static gc_tensor sq_image(gc_dtype dt, int64_t c, int64_t h, int64_t w, uint64_t seed)
{
    gc_tensor t = {0};
    const int64_t d[3] = {c, h, w};
    GC_CHECK_OK(gc_tensor_create(NULL, &t, dt, 3, d));
    GC_CHECK_OK(gc_synth_noise(&t, seed));
    return t;
}

static gc_synth_net *sq_net(gc_dtype dt, int64_t k_last, const double *center, int zero_mean)
{
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    rd.nscales = 3;
    rd.sizes[0] = 1, rd.sizes[1] = 3, rd.sizes[2] = k_last;
    rd.filters = 4;
    rd.seed = 11;
    rd.zero_mean = zero_mean;
    for (int c = 0; center && c < 3; c++)
        rd.center[c] = center[c];
    gc_synth_net *net = NULL;
    GC_CHECK_OK(gc_synth_net_create_random(NULL, &rd, dt, &net));
    return net;
}

static double sq_max_diff(const gc_tensor *a, const gc_tensor *b)
{
    int64_t n = 0;
    GC_CHECK_OK(gc_tensor_numel(a, &n));
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(((const double *)a->data)[i] - ((const double *)b->data)[i]));
    return m;
}

/* A centred net on x gives the Grams, loss and gradient of the same filters on x - center,
 * on the direct path (k < 15) and the FFT path (k = 15, when the build has FFTW). */
static void test_synth_center_is_shift(void)
{
    const double center[3] = {0.3, 0.55, 0.8};
    for (int pass = 0; pass < 2; pass++) {
        const int64_t k = pass ? 15 : 5;
        gc_synth_net *a = sq_net(GC_DTYPE_F64, k, center, 0), *b = sq_net(GC_DTYPE_F64, k, NULL, 0);
        gc_tensor x = sq_image(GC_DTYPE_F64, 3, 17, 16, 3), xs = {0};
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &x, &xs));
        double *p = xs.data;
        for (int c = 0; c < 3; c++)
            for (int64_t i = 0; i < 17 * 16; i++)
                p[c * 17 * 16 + i] -= center[c];
        gc_tensor ga[GC_SYNTH_MAX_LAYERS], gb[GC_SYNTH_MAX_LAYERS];
        memset(ga, 0, sizeof ga);
        memset(gb, 0, sizeof gb);
        GC_CHECK_OK(gc_synth_net_grams(NULL, a, &x, 7u, ga));
        GC_CHECK_OK(gc_synth_net_grams(NULL, b, &xs, 7u, gb));
        for (int l = 0; l < 3; l++)
            GC_CHECK_MSG(sq_max_diff(&ga[l], &gb[l]) < 1e-12, "k %lld layer %d: %g", (long long)k,
                         l, sq_max_diff(&ga[l], &gb[l]));
        /* the synthesis plan (circular padding; FFT for k = 15) */
        gc_synth_desc d = gc_synth_desc_default();
        d.height = 17, d.width = 16;
        gc_synth *sa = NULL, *sb = NULL;
        GC_CHECK_OK(gc_synth_create(NULL, a, &d, &sa));
        GC_CHECK_OK(gc_synth_create(NULL, b, &d, &sb));
        gc_tensor style = sq_image(GC_DTYPE_F64, 3, 20, 19, 9), styles = {0};
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &style, &styles));
        for (int c = 0; c < 3; c++)
            for (int64_t i = 0; i < 20 * 19; i++)
                ((double *)styles.data)[c * 20 * 19 + i] -= center[c];
        GC_CHECK_OK(gc_synth_add_style_image(NULL, sa, &style, 1.0));
        GC_CHECK_OK(gc_synth_add_style_image(NULL, sb, &styles, 1.0));
        gc_tensor g1 = {0}, g2 = {0};
        GC_CHECK_OK(gc_tensor_create(NULL, &g1, GC_DTYPE_F64, 3, x.dims));
        GC_CHECK_OK(gc_tensor_create(NULL, &g2, GC_DTYPE_F64, 3, x.dims));
        double la = 0.0, lb = 0.0;
        GC_CHECK_OK(gc_synth_loss(NULL, sa, &x, &la, &g1));
        GC_CHECK_OK(gc_synth_loss(NULL, sb, &xs, &lb, &g2));
        GC_CHECK_MSG(fabs(la - lb) <= 1e-10 * fabs(lb) && la > 0.0, "loss %.17g vs %.17g", la, lb);
        GC_CHECK_MSG(sq_max_diff(&g1, &g2) < 1e-10, "gradient differs by %g", sq_max_diff(&g1, &g2));
        for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++) {
            gc_tensor_free(&ga[l]);
            gc_tensor_free(&gb[l]);
        }
        gc_tensor_free(&g1), gc_tensor_free(&g2), gc_tensor_free(&style), gc_tensor_free(&styles);
        gc_tensor_free(&x), gc_tensor_free(&xs);
        gc_synth_free(sa), gc_synth_free(sb);
        gc_synth_net_free(a), gc_synth_net_free(b);
    }
    /* bad centres are refused */
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    gc_synth_net *net = NULL;
    rd.center[1] = NAN;
    GC_CHECK_STATUS(gc_synth_net_create_random(NULL, &rd, GC_DTYPE_F32, &net), GC_ERR_ARG);
    GC_CHECK(net == NULL);
    rd = gc_synth_random_desc_default();
    rd.channels = 1, rd.center[2] = 0.5;
    GC_CHECK_STATUS(gc_synth_net_create_random(NULL, &rd, GC_DTYPE_F32, &net), GC_ERR_ARG);
}

/* zero_mean: every filter sums to 0 (the old network); otherwise the drawn means stay, and
 * the draws are the same numbers (so a zero-mean filter is the free one minus its mean). */
static void test_synth_zero_mean_filters(void)
{
    gc_synth_net *z = sq_net(GC_DTYPE_F64, 5, NULL, 1), *f = sq_net(GC_DTYPE_F64, 5, NULL, 0);
    gc_tensor gz[GC_SYNTH_MAX_LAYERS], gf[GC_SYNTH_MAX_LAYERS];
    memset(gz, 0, sizeof gz);
    memset(gf, 0, sizeof gf);
    /* a flat image: zero-mean filters see nothing (Gram 0), free ones see its level */
    gc_tensor flat = {0};
    const int64_t d[3] = {3, 9, 9};
    GC_CHECK_OK(gc_tensor_create(NULL, &flat, GC_DTYPE_F64, 3, d));
    for (int64_t i = 0; i < 3 * 81; i++)
        ((double *)flat.data)[i] = 0.7;
    GC_CHECK_OK(gc_synth_net_grams(NULL, z, &flat, 4u, gz));
    GC_CHECK_OK(gc_synth_net_grams(NULL, f, &flat, 4u, gf));
    double sz = 0.0, sf = 0.0;
    for (int64_t i = 0; i < 16; i++) {
        sz += fabs(((double *)gz[2].data)[i]);
        sf += fabs(((double *)gf[2].data)[i]);
    }
    GC_CHECK_MSG(sz < 1e-20, "zero-mean filters see a flat image: %g", sz);
    GC_CHECK_MSG(sf > 1e-3, "free filters miss a flat image's level: %g", sf);
    gc_tensor_free(&gz[2]), gc_tensor_free(&gf[2]), gc_tensor_free(&flat);
    gc_synth_net_free(z), gc_synth_net_free(f);
}

/* Central differences of the loss with the spectrum constraint on (float64). */
static void test_synth_spectrum_gradient(void)
{
    if (!gc_fft_available()) {
        gc_test_skip("no FFTW in this build: the spectrum constraint is unavailable");
        gc_synth_net *net = sq_net(GC_DTYPE_F64, 5, NULL, 0);
        gc_synth_desc d = gc_synth_desc_default();
        d.height = d.width = 8;
        d.spectrum_weight = 1.0;
        gc_synth *s = NULL;
        GC_CHECK_STATUS(gc_synth_create(NULL, net, &d, &s), GC_ERR_UNSUPPORTED);
        gc_synth_net_free(net);
        return;
    }
    const double center[3] = {0.5, 0.5, 0.5};
    gc_synth_net *net = sq_net(GC_DTYPE_F64, 5, center, 0);
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 9, d.width = 10;
    d.spectrum_weight = 3.0;
    gc_synth *s = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s));
    gc_tensor style = sq_image(GC_DTYPE_F64, 3, 13, 11, 1), x = sq_image(GC_DTYPE_F64, 3, 9, 10, 2);
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s, &style, 1.0));
    gc_tensor g = {0};
    GC_CHECK_OK(gc_tensor_create(NULL, &g, GC_DTYPE_F64, 3, x.dims));
    double f0 = 0.0;
    GC_CHECK_OK(gc_synth_loss(NULL, s, &x, &f0, &g));
    double *xd = x.data, *gd = g.data, worst = 0.0, gmax = 0.0;
    for (int64_t i = 0; i < 270; i++)
        gmax = fmax(gmax, fabs(gd[i]));
    for (int64_t i = 0; i < 270; i += 7) {
        const double h = 1e-6, keep = xd[i];
        double fp = 0.0, fm = 0.0;
        xd[i] = keep + h;
        GC_CHECK_OK(gc_synth_loss(NULL, s, &x, &fp, NULL));
        xd[i] = keep - h;
        GC_CHECK_OK(gc_synth_loss(NULL, s, &x, &fm, NULL));
        xd[i] = keep;
        worst = fmax(worst, fabs((fp - fm) / (2 * h) - gd[i]) / gmax);
    }
    GC_CHECK_MSG(worst < 1e-6, "relative gradient error %g", worst);
    /* the constraint alone: zero at the sample itself (same size: its own modulus) */
    gc_synth_desc d2 = gc_synth_desc_default();
    d2.height = 13, d2.width = 11;
    d2.spectrum_weight = 1.0, d2.style_weight = 0.0;
    gc_synth *s2 = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d2, &s2));
    GC_CHECK_OK(gc_synth_add_style_image(NULL, s2, &style, 1.0));
    double l2 = 1.0;
    GC_CHECK_OK(gc_synth_loss(NULL, s2, &style, &l2, NULL));
    GC_CHECK_MSG(l2 < 1e-20, "the sample is %g from its own spectrum", l2);
    /* Grams alone carry no spectrum */
    gc_tensor grams[GC_SYNTH_MAX_LAYERS];
    memset(grams, 0, sizeof grams);
    GC_CHECK_OK(gc_synth_net_grams(NULL, net, &style, 7u, grams));
    gc_synth *s3 = NULL;
    GC_CHECK_OK(gc_synth_create(NULL, net, &d, &s3));
    GC_CHECK_OK(gc_synth_add_style_grams(NULL, s3, grams, 1.0));
    double l3 = 0.0;
    GC_CHECK_STATUS(gc_synth_loss(NULL, s3, &x, &l3, NULL), GC_ERR_ARG);
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&grams[l]);
    gc_tensor_free(&g), gc_tensor_free(&style), gc_tensor_free(&x);
    gc_synth_free(s), gc_synth_free(s2), gc_synth_free(s3);
    gc_synth_net_free(net);
}

/* Matching: the result has the reference's quantiles and the image's ranks. */
static void test_synth_match_histogram(void)
{
    gc_tensor img = sq_image(GC_DTYPE_F32, 2, 7, 9, 5), ref = sq_image(GC_DTYPE_F64, 2, 5, 5, 6);
    float *p = img.data;
    p[3] = p[4]; /* a tie, broken by position */
    gc_tensor before = {0};
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &img, &before));
    GC_CHECK_OK(gc_synth_match_histogram(NULL, &img, &ref));
    const float *a = before.data, *b = img.data;
    for (int c = 0; c < 2; c++)
        for (int64_t i = 0; i < 63; i++)
            for (int64_t j = 0; j < 63; j++) {
                const float ai = a[c * 63 + i], aj = a[c * 63 + j];
                if (ai < aj || (ai == aj && i < j))
                    GC_CHECK(b[c * 63 + i] <= b[c * 63 + j]);
            }
    /* the extremes are the reference's (quantiles clamp at the ends) */
    for (int c = 0; c < 2; c++) {
        double rmin = 1e9, rmax = -1e9, bmin = 1e9, bmax = -1e9;
        for (int64_t i = 0; i < 25; i++) {
            rmin = fmin(rmin, ((double *)ref.data)[c * 25 + i]);
            rmax = fmax(rmax, ((double *)ref.data)[c * 25 + i]);
        }
        for (int64_t i = 0; i < 63; i++) {
            bmin = fmin(bmin, b[c * 63 + i]);
            bmax = fmax(bmax, b[c * 63 + i]);
        }
        GC_CHECK(fabs(bmin - rmin) < 1e-6 && fabs(bmax - rmax) < 1e-6);
    }
    /* matching to itself changes nothing */
    gc_tensor again = {0};
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &img, &again));
    GC_CHECK_OK(gc_synth_match_histogram(NULL, &img, &again));
    GC_CHECK(memcmp(img.data, again.data, 2 * 63 * sizeof(float)) == 0);
    gc_tensor bad = sq_image(GC_DTYPE_F32, 3, 5, 5, 1);
    GC_CHECK_STATUS(gc_synth_match_histogram(NULL, &img, &bad), GC_ERR_SHAPE);
    gc_tensor_free(&img), gc_tensor_free(&ref), gc_tensor_free(&before), gc_tensor_free(&again);
    gc_tensor_free(&bad);
}

typedef struct sq_count {
    int64_t calls, last_iter, iters;
} sq_count;

static int sq_progress(const gc_synth_progress *p, void *user)
{
    sq_count *c = user;
    c->calls++;
    GC_CHECK(p->iter == c->last_iter + 1);
    c->last_iter = p->iter;
    c->iters = p->iters;
    return 0;
}

/* Two and three levels: the iteration schedule, the same bytes on repeat, a different result
 * from one level, and the refusal of levels that shrink the sample below the filters. */
static void test_synth_pyramid(void)
{
    gc_synth_net *net = sq_net(GC_DTYPE_F32, 5, (const double[]){0.5, 0.5, 0.5}, 0);
    gc_tensor sample = sq_image(GC_DTYPE_F32, 3, 40, 44, 3);
    gc_tensor a = sq_image(GC_DTYPE_F32, 3, 24, 28, 0), b = sq_image(GC_DTYPE_F32, 3, 24, 28, 0);
    gc_synth_desc d = gc_synth_desc_default();
    d.height = 24, d.width = 28, d.iters = 12, d.pyramid = 3;
    sq_count cnt = {0, 0, 0};
    d.progress = sq_progress, d.progress_user = &cnt;
    gc_synth_stats st;
    GC_CHECK_OK(gc_synth_texture(NULL, net, &sample, &d, 4, &a, &st));
    GC_CHECK_MSG(cnt.calls == 12 + 10 + 10 && cnt.iters == 32, "%lld calls of %lld",
                 (long long)cnt.calls, (long long)cnt.iters); /* 12, 6 -> 10, 3 -> 10 */
    GC_CHECK(st.iters == 32 && st.final_loss < st.initial_loss);
    d.progress = NULL;
    GC_CHECK_OK(gc_synth_texture(NULL, net, &sample, &d, 4, &b, NULL));
    GC_CHECK(memcmp(a.data, b.data, 3 * 24 * 28 * sizeof(float)) == 0);
    d.pyramid = 1;
    GC_CHECK_OK(gc_synth_texture(NULL, net, &sample, &d, 4, &b, NULL));
    GC_CHECK(memcmp(a.data, b.data, 3 * 24 * 28 * sizeof(float)) != 0);
    d.pyramid = 0; /* auto: 24 x 28 keeps one level, the same bytes as pyramid 1 */
    GC_CHECK_OK(gc_synth_texture(NULL, net, &sample, &d, 4, &a, NULL));
    GC_CHECK(memcmp(a.data, b.data, 3 * 24 * 28 * sizeof(float)) == 0);
    {   /* auto at 256 x 260: two levels (128 x 130 is the last with a side >= 128) */
        gc_tensor big = sq_image(GC_DTYPE_F32, 3, 256, 260, 0);
        gc_synth_desc db = d;
        db.height = 256, db.width = 260, db.iters = 2, db.pyramid = 0;
        sq_count c2 = {0, 0, 0};
        db.progress = sq_progress, db.progress_user = &c2;
        GC_CHECK_OK(gc_synth_texture(NULL, net, &sample, &db, 4, &big, NULL));
        GC_CHECK_MSG(c2.iters == 3, "auto pyramid ran %lld iterations, not 2 + 1", (long long)c2.iters);
        gc_tensor_free(&big);
    }
    d.pyramid = 4; /* 24 >> 3 = 3 < 5 */
    GC_CHECK_STATUS(gc_synth_texture(NULL, net, &sample, &d, 4, &b, NULL), GC_ERR_SHAPE);
    d.pyramid = 9;
    GC_CHECK_STATUS(gc_synth_texture(NULL, net, &sample, &d, 4, &b, NULL), GC_ERR_ARG);
    /* with histogram matching the result takes the sample's values */
    d.pyramid = 2, d.match_histogram = 1;
    GC_CHECK_OK(gc_synth_texture(NULL, net, &sample, &d, 4, &b, NULL));
    float lo = 2.0f, hi = -1.0f;
    for (int64_t i = 0; i < 3 * 24 * 28; i++) {
        lo = fminf(lo, ((float *)b.data)[i]);
        hi = fmaxf(hi, ((float *)b.data)[i]);
    }
    GC_CHECK(lo >= 0.0f && hi < 1.0f);
    gc_tensor_free(&sample), gc_tensor_free(&a), gc_tensor_free(&b);
    gc_synth_net_free(net);
}

/* The start images: the same seed, the same bytes; the mean start sits within 0.1 of the mean. */
static void test_synth_start(void)
{
    gc_tensor a = sq_image(GC_DTYPE_F32, 3, 6, 7, 0), b = sq_image(GC_DTYPE_F32, 3, 6, 7, 0);
    const double mean[3] = {0.1, 0.5, 0.9};
    GC_CHECK_OK(gc_synth_start(&a, GC_SYNTH_INIT_MEAN, mean, 77));
    GC_CHECK_OK(gc_synth_start(&b, GC_SYNTH_INIT_MEAN, mean, 77));
    GC_CHECK(memcmp(a.data, b.data, 3 * 42 * sizeof(float)) == 0);
    for (int c = 0; c < 3; c++)
        for (int64_t i = 0; i < 42; i++)
            GC_CHECK(fabs(((float *)a.data)[c * 42 + i] - mean[c]) <= 0.1 + 1e-6);
    GC_CHECK_OK(gc_synth_start(&b, GC_SYNTH_INIT_NOISE, NULL, 77));
    gc_tensor c = sq_image(GC_DTYPE_F32, 3, 6, 7, 77);
    GC_CHECK(memcmp(b.data, c.data, 3 * 42 * sizeof(float)) == 0);
    gc_tensor_free(&a), gc_tensor_free(&b), gc_tensor_free(&c);
}

GC_TEST_TABLE(gc_tests_synth_quality) = {
    {"synth_center_is_shift", test_synth_center_is_shift},
    {"synth_zero_mean_filters", test_synth_zero_mean_filters},
    {"synth_spectrum_gradient", test_synth_spectrum_gradient},
    {"synth_match_histogram", test_synth_match_histogram},
    {"synth_pyramid", test_synth_pyramid},
    {"synth_start", test_synth_start},
    {NULL, NULL},
};
