/* test_texture_score.c - gc_texture_score_compute: a disjoint piece of a procedural texture
 * (bricks, a random-phase texture) scores far below matched noise, a flat image above it,
 * identical images 0; the same bits on repeat, for 1 and 2 threads and on every ISA; a
 * brightness drift is seen; float32 and float64 agree; sizes that differ, a shrunken spectrum
 * window and drawn subsets work; refusals; every allocation failure handled without a leak. */
#include "gc_test.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define TS_TEST_PI 3.14159265358979323846

/* splitmix64 -> [0, 1) */
static double ts_test_uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
}

enum { TS_BRICKS = 0, TS_RANDOM_PHASE = 1 };

/* A C x H x W float64 texture in [0, 1]:
 *  bricks: 20 x 12 bricks in running bond, light mortar 2 pixels wide, each brick its own
 *          reddish shade, plus grain;
 *  random phase: 48 cosines of one amplitude with random orientations, frequencies spread
 *          log-uniformly over 1/24 .. 1/3 cycles per pixel and random phases, mixed into the
 *          channels with different weights (a fine stochastic texture, like gravel). */
static gc_tensor ts_texture(int kind, int64_t C, int64_t H, int64_t W, uint64_t seed)
{
    gc_tensor t = {0};
    const int64_t d[3] = {C, H, W};
    GC_CHECK_OK(gc_tensor_create(NULL, &t, GC_DTYPE_F64, 3, d));
    double *p = t.data;
    uint64_t s = seed;
    if (kind == TS_BRICKS) {
        double shade[64][4];
        for (int i = 0; i < 64; i++)
            for (int c = 0; c < 4; c++)
                shade[i][c] = 0.25 + 0.3 * ts_test_uniform(&s) + (c == 0 ? 0.2 : 0.0);
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++) {
                const int64_t row = y / 12, xs = x + (row % 2) * 10, col = xs / 20;
                const int mortar = y % 12 < 2 || xs % 20 < 2;
                const int id = (int)((row * 7 + col * 13) % 64);
                for (int64_t c = 0; c < C; c++)
                    p[(c * H + y) * W + x] =
                        (mortar ? 0.85 : shade[id][c]) + 0.08 * (ts_test_uniform(&s) - 0.5);
            }
    } else {
        enum { K = 48 };
        double fx[K], fy[K], ph[K], mix[K][4];
        for (int k = 0; k < K; k++) {
            const double f = exp(log(1.0 / 24) + (log(1.0 / 3) - log(1.0 / 24)) * ts_test_uniform(&s));
            const double th = 2.0 * TS_TEST_PI * ts_test_uniform(&s);
            fx[k] = f * cos(th);
            fy[k] = f * sin(th);
            ph[k] = 2.0 * TS_TEST_PI * ts_test_uniform(&s);
            for (int c = 0; c < 4; c++)
                mix[k][c] = 0.5 + ts_test_uniform(&s);
        }
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++) {
                double v[4] = {0, 0, 0, 0};
                for (int k = 0; k < K; k++) {
                    const double w =
                        cos(2.0 * TS_TEST_PI * (fx[k] * (double)x + fy[k] * (double)y) + ph[k]);
                    for (int64_t c = 0; c < C; c++)
                        v[c] += mix[k][c] * w;
                }
                for (int64_t c = 0; c < C; c++)
                    p[(c * H + y) * W + x] = 0.5 + 0.03 * v[c] + 0.02 * (ts_test_uniform(&s) - 0.5);
            }
    }
    return t;
}

/* A copy (float64, contiguous) of t with `add` added to every value. */
static gc_tensor ts_shifted(const gc_tensor *t, double add)
{
    gc_tensor o = {0};
    GC_CHECK_OK(gc_tensor_create(NULL, &o, GC_DTYPE_F64, 3, t->dims));
    GC_CHECK_OK(gc_tensor_copy(t, &o));
    double *p = o.data;
    for (int64_t i = 0; i < t->dims[0] * t->dims[1] * t->dims[2]; i++)
        p[i] += add;
    return o;
}

static gc_tensor ts_flat(int64_t C, int64_t H, int64_t W, double v)
{
    gc_tensor o = {0};
    const int64_t d[3] = {C, H, W};
    GC_CHECK_OK(gc_tensor_create(NULL, &o, GC_DTYPE_F64, 3, d));
    double *p = o.data;
    for (int64_t i = 0; i < C * H * W; i++)
        p[i] = v;
    return o;
}

static double ts_mean(const gc_tensor *t)
{
    const double *p = t->data;
    const int64_t n = t->dims[0] * t->dims[1] * t->dims[2];
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += p[i];
    return s / (double)n;
}

static gc_texture_score ts_score(gc_context *ctx, const gc_texture_score_desc *d,
                                 const gc_tensor *a, const gc_tensor *b)
{
    gc_texture_score r;
    memset(&r, 0xff, sizeof r);
    gc_status st = gc_texture_score_compute(ctx, d, a, b, &r);
    GC_CHECK_MSG(st == GC_OK, "%s: %s", gc_status_str(st), gc_context_last_error(ctx));
    return r;
}

static int ts_finite(const gc_texture_score *r)
{
    return isfinite(r->swd) && isfinite(r->swd_noise) && isfinite(r->swd_rel) &&
           isfinite(r->spectrum) && isfinite(r->spectrum_noise) && isfinite(r->spectrum_rel);
}

/* A 64 x 128 texture cut into two disjoint 64 x 64 views (strided: a narrow of the width). */
typedef struct ts_pair {
    gc_tensor whole, left, right;
} ts_pair;

static ts_pair ts_pair_make(int kind, uint64_t seed)
{
    ts_pair p;
    p.whole = ts_texture(kind, 3, 64, 128, seed);
    GC_CHECK_OK(gc_tensor_narrow(&p.whole, 2, 0, 64, &p.left));
    GC_CHECK_OK(gc_tensor_narrow(&p.whole, 2, 64, 64, &p.right));
    return p;
}

static void test_texture_score_piece_and_flat(void)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    for (int kind = 0; kind < 2; kind++) {
        ts_pair p = ts_pair_make(kind, 11 + (uint64_t)kind);
        gc_texture_score r = ts_score(ctx, NULL, &p.left, &p.right);
        GC_CHECK(ts_finite(&r));
        GC_CHECK_MSG(r.levels == 3, "kind %d: %d levels", kind, r.levels);
        GC_CHECK_MSG(r.swd_rel < 0.5, "kind %d: a piece scores swd_rel %g", kind, r.swd_rel);
        GC_CHECK_MSG(r.spectrum_rel < 1.0, "kind %d: a piece scores spectrum_rel %g", kind,
                     r.spectrum_rel);
        GC_CHECK(r.swd > 0.0 && r.swd_noise > 0.0 && r.spectrum > 0.0);
        GC_CHECK(r.swd_rel == r.swd / r.swd_noise && r.spectrum_rel == r.spectrum / r.spectrum_noise);
        /* a flat image at the sample's mean: the hardest flat image, no drift to see */
        gc_tensor f = ts_flat(3, 64, 64, ts_mean(&p.whole));
        gc_texture_score rf = ts_score(ctx, NULL, &p.left, &f);
        GC_CHECK_MSG(rf.swd_rel > 1.0, "kind %d: a flat image scores swd_rel %g", kind, rf.swd_rel);
        GC_CHECK_MSG(rf.spectrum_rel > 1.0, "kind %d: a flat image scores spectrum_rel %g", kind,
                     rf.spectrum_rel);
        GC_CHECK(rf.swd_noise == r.swd_noise); /* the noise depends on the sample and size only */
        /* identical images: every neighbourhood is used (58 x 58 <= 4096), so exactly 0 */
        gc_texture_score ri = ts_score(ctx, NULL, &p.left, &p.left);
        GC_CHECK_MSG(ri.swd == 0.0 && ri.spectrum == 0.0, "kind %d: identical images score %g, %g",
                     kind, ri.swd, ri.spectrum);
        /* a brightness drift of 0.1 (it shows at the last level only: the Laplacian levels do
         * not see it): clearly worse than the unshifted piece (3.9x and 6.5x) */
        gc_tensor sh = ts_shifted(&p.right, 0.1);
        gc_texture_score rs = ts_score(ctx, NULL, &p.left, &sh);
        GC_CHECK_MSG(rs.swd > 2.5 * r.swd,
                     "kind %d: shifted copy %g vs %g (rel %g)", kind, rs.swd, r.swd, rs.swd_rel);
        gc_tensor_free(&sh);
        gc_tensor_free(&f);
        gc_tensor_free(&p.whole);
    }
    gc_context_free(ctx);
}

static void test_texture_score_deterministic(void)
{
    ts_pair p = ts_pair_make(TS_RANDOM_PHASE, 5);
    gc_texture_score_desc d = gc_texture_score_desc_default();
    d.max_descriptors = 700; /* subsets drawn at every level but the last */
    d.directions = 64;
    d.seed = 42;
    gc_context *c1 = NULL, *c2 = NULL;
    GC_CHECK_OK(gc_context_create(&c1));
    GC_CHECK_OK(gc_context_create(&c2));
    GC_CHECK_OK(gc_context_set_threads(c1, 1));
    GC_CHECK_OK(gc_context_set_threads(c2, 2));
    gc_texture_score a = ts_score(c1, &d, &p.left, &p.right);
    gc_texture_score b = ts_score(c1, &d, &p.left, &p.right);
    gc_texture_score c = ts_score(c2, &d, &p.left, &p.right);
    GC_CHECK(memcmp(&a, &b, sizeof a) == 0);
    GC_CHECK_MSG(memcmp(&a, &c, sizeof a) == 0, "1 thread %.17g, 2 threads %.17g", a.swd, c.swd);
    /* the scalar kernel gives the same bits as the vector ones */
    GC_CHECK_OK(gc_context_set_isa(c2, GC_ISA_SCALAR));
    gc_texture_score s = ts_score(c2, &d, &p.left, &p.right);
    GC_CHECK_MSG(memcmp(&a, &s, sizeof a) == 0, "scalar %.17g, default %.17g", s.swd, a.swd);
    /* another seed: other directions, subsets and noise; close, not equal */
    d.seed = 43;
    gc_texture_score o = ts_score(c1, &d, &p.left, &p.right);
    GC_CHECK(o.swd != a.swd && fabs(o.swd - a.swd) < 0.5 * a.swd);
    /* subsets drawn: identical images no longer score exactly 0, but far below a piece */
    d.seed = 42;
    gc_texture_score i = ts_score(c1, &d, &p.left, &p.left);
    GC_CHECK_MSG(i.swd > 0.0 && i.swd < 0.5 * a.swd, "identical, subsets: %g vs %g", i.swd, a.swd);
    /* the default NULL desc is the default desc */
    gc_texture_score_desc dd = gc_texture_score_desc_default();
    gc_tensor top;
    GC_CHECK_OK(gc_tensor_narrow(&p.left, 1, 0, 24, &top));
    gc_texture_score n1 = ts_score(c1, NULL, &top, &p.right);
    gc_texture_score n2 = ts_score(c1, &dd, &top, &p.right);
    GC_CHECK(memcmp(&n1, &n2, sizeof n1) == 0);
    GC_CHECK(dd.patch == 7 && dd.directions == 256 && dd.max_descriptors == 4096 &&
             dd.min_level_size == 16 && dd.spectrum_window == 64 && dd.max_windows == 64 &&
             dd.seed == 0);
    gc_context_free(c1);
    gc_context_free(c2);
    gc_tensor_free(&p.whole);
}

static void test_texture_score_dtypes_and_sizes(void)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    ts_pair p = ts_pair_make(TS_BRICKS, 3);
    gc_tensor l32 = {0}, r32 = {0};
    GC_CHECK_OK(gc_tensor_create(NULL, &l32, GC_DTYPE_F32, 3, p.left.dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &r32, GC_DTYPE_F32, 3, p.right.dims));
    GC_CHECK_OK(gc_tensor_copy(&p.left, &l32));
    GC_CHECK_OK(gc_tensor_copy(&p.right, &r32));
    gc_texture_score a = ts_score(ctx, NULL, &p.left, &p.right);
    gc_texture_score b = ts_score(ctx, NULL, &l32, &r32);
    GC_CHECK_MSG(fabs(a.swd - b.swd) <= 1e-4 * a.swd && fabs(a.swd_noise - b.swd_noise) <= 1e-4 * a.swd_noise &&
                     fabs(a.spectrum - b.spectrum) <= 1e-4 * a.spectrum,
                 "float64 %.9g %.9g %.9g, float32 %.9g %.9g %.9g", a.swd, a.swd_noise, a.spectrum,
                 b.swd, b.swd_noise, b.spectrum);
    /* a float32 sample with a float64 candidate is taken as well */
    gc_texture_score m = ts_score(ctx, NULL, &l32, &p.right);
    GC_CHECK(fabs(m.swd - a.swd) <= 1e-4 * a.swd);
    /* sizes that differ: 64 x 64 against 40 x 56 (the window shrinks to 40; 2 levels) */
    gc_tensor rows, small;
    GC_CHECK_OK(gc_tensor_narrow(&p.right, 1, 10, 40, &rows));
    GC_CHECK_OK(gc_tensor_narrow(&rows, 2, 3, 56, &small));
    gc_texture_score s = ts_score(ctx, NULL, &p.left, &small);
    GC_CHECK(ts_finite(&s));
    GC_CHECK_MSG(s.levels == 2, "%d levels", s.levels);
    GC_CHECK_MSG(s.swd_rel < 0.5, "a smaller piece scores %g", s.swd_rel);
    /* one channel; a 4-channel image */
    gc_tensor g1, g4w = ts_texture(TS_RANDOM_PHASE, 4, 48, 96, 9), g4a, g4b;
    GC_CHECK_OK(gc_tensor_narrow(&p.left, 0, 1, 1, &g1));
    gc_texture_score r1 = ts_score(ctx, NULL, &g1, &g1);
    GC_CHECK(r1.swd == 0.0 && r1.levels == 3);
    GC_CHECK_OK(gc_tensor_narrow(&g4w, 2, 0, 48, &g4a));
    GC_CHECK_OK(gc_tensor_narrow(&g4w, 2, 48, 48, &g4b));
    gc_texture_score r4 = ts_score(ctx, NULL, &g4a, &g4b);
    GC_CHECK_MSG(r4.swd_rel < 0.5, "4 channels: %g", r4.swd_rel);
    /* the smallest image: 8 x 8 with patch 7 (one level, window 8) */
    gc_tensor top, tiny;
    GC_CHECK_OK(gc_tensor_narrow(&p.left, 1, 0, 8, &top));
    GC_CHECK_OK(gc_tensor_narrow(&top, 2, 0, 8, &tiny));
    gc_texture_score rt = ts_score(ctx, NULL, &tiny, &p.right);
    GC_CHECK(ts_finite(&rt) && rt.levels == 1);
    gc_tensor_free(&g4w);
    gc_tensor_free(&l32);
    gc_tensor_free(&r32);
    gc_tensor_free(&p.whole);
    gc_context_free(ctx);
}

static void test_texture_score_refusals(void)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    ts_pair p = ts_pair_make(TS_BRICKS, 4);
    gc_texture_score r;
    gc_texture_score_desc d = gc_texture_score_desc_default();
    /* channel mismatch */
    gc_tensor one;
    GC_CHECK_OK(gc_tensor_narrow(&p.right, 0, 0, 1, &one));
    memset(&r, 0xff, sizeof r);
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &p.left, &one, &r), GC_ERR_SHAPE);
    GC_CHECK_MSG(strstr(gc_context_last_error(ctx), "3 channels") &&
                     strstr(gc_context_last_error(ctx), "candidate 1"),
                 "message: %s", gc_context_last_error(ctx));
    GC_CHECK(r.swd == 0.0 && r.levels == 0); /* zeroed on failure */
    /* NaN and Inf */
    gc_tensor bad = ts_shifted(&p.right, 0.0);
    ((double *)bad.data)[100] = NAN;
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &p.left, &bad, &r), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "non-finite") != NULL);
    ((double *)bad.data)[100] = INFINITY;
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &bad, &p.left, &r), GC_ERR_ARG);
    gc_tensor_free(&bad);
    /* too small: a side under 8, or under the patch */
    gc_tensor small;
    GC_CHECK_OK(gc_tensor_narrow(&p.right, 1, 0, 7, &small));
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &p.left, &small, &r), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &small, &p.left, &r), GC_ERR_SHAPE);
    d.patch = 9;
    GC_CHECK_OK(gc_tensor_narrow(&p.right, 2, 0, 8, &small));
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, &d, &p.left, &small, &r), GC_ERR_SHAPE);
    d = gc_texture_score_desc_default();
    /* rank, channel count, NULLs */
    gc_tensor plane;
    GC_CHECK_OK(gc_tensor_view(&p.whole, 2, (const int64_t[]){3 * 64, 128}, &plane));
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &plane, &plane, &r), GC_ERR_RANK);
    gc_tensor five = ts_flat(5, 16, 16, 0.5);
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &five, &five, &r), GC_ERR_SHAPE);
    gc_tensor_free(&five);
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, NULL, &p.left, &r), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &p.left, NULL, &r), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &p.left, &p.right, NULL), GC_ERR_NULL);
    /* a constant sample has no texture to compare with */
    gc_tensor flat = ts_flat(3, 32, 32, 0.25);
    GC_CHECK_STATUS(gc_texture_score_compute(ctx, NULL, &flat, &p.left, &r), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "constant") != NULL);
    gc_tensor_free(&flat);
    /* descriptor fields out of range */
    struct { int field; int64_t value; } cases[] = {
        {0, 0}, {0, 33}, {1, 0}, {1, 65537}, {2, 0}, {2, ((int64_t)1 << 24) + 1},
        {3, 0}, {4, 6}, {4, 63}, {4, 1026}, {5, 0}, {5, ((int64_t)1 << 20) + 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        d = gc_texture_score_desc_default();
        switch (cases[i].field) {
        case 0: d.patch = (int)cases[i].value; break;
        case 1: d.directions = (int)cases[i].value; break;
        case 2: d.max_descriptors = cases[i].value; break;
        case 3: d.min_level_size = (int)cases[i].value; break;
        case 4: d.spectrum_window = (int)cases[i].value; break;
        default: d.max_windows = cases[i].value; break;
        }
        gc_status st = gc_texture_score_compute(ctx, &d, &p.left, &p.right, &r);
        GC_CHECK_MSG(st == GC_ERR_ARG, "case %zu: %s", i, gc_status_str(st));
    }
    /* NULL context: defaults, no message kept */
    GC_CHECK_STATUS(gc_texture_score_compute(NULL, NULL, &p.left, &one, &r), GC_ERR_SHAPE);
    gc_tensor_free(&p.whole);
    gc_context_free(ctx);
}

static void test_texture_score_alloc_failures(void)
{
    ts_pair p = ts_pair_make(TS_RANDOM_PHASE, 8);
    gc_tensor cand;
    GC_CHECK_OK(gc_tensor_narrow(&p.right, 1, 0, 48, &cand));
    gc_texture_score_desc d = gc_texture_score_desc_default();
    d.directions = 20;
    d.max_descriptors = 300;
    gc_texture_score want = {0};
    int ok = 0;
    for (long k = 1; k < 200 && !ok; k++) {
        gc_test_counter f = {0, k, 0, 0};
        gc_allocator a = gc_test_counter_allocator(&f);
        gc_context *ctx = NULL;
        GC_CHECK_OK(gc_context_create(&ctx));
        GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
        GC_CHECK_OK(gc_context_set_threads(ctx, 2));
        gc_texture_score r;
        gc_status st = gc_texture_score_compute(ctx, &d, &p.left, &cand, &r);
        GC_CHECK_MSG(st == GC_OK || st == GC_ERR_NOMEM, "failing allocation %ld: %s", k,
                     gc_status_str(st));
        GC_CHECK_MSG(f.live == 0, "failing allocation %ld: %ld blocks leaked", k, f.live);
        if (st == GC_OK) {
            ok = 1;
            GC_CHECK(f.calls < k); /* every allocation succeeded */
            want = ts_score(NULL, &d, &p.left, &cand);
            GC_CHECK(memcmp(&want, &r, sizeof r) == 0);
        }
        gc_context_free(ctx);
    }
    GC_CHECK(ok);
    gc_tensor_free(&p.whole);
}

GC_TEST_TABLE(gc_tests_texture_score) = {
    {"texture_score_piece_and_flat", test_texture_score_piece_and_flat},
    {"texture_score_deterministic", test_texture_score_deterministic},
    {"texture_score_dtypes_and_sizes", test_texture_score_dtypes_and_sizes},
    {"texture_score_refusals", test_texture_score_refusals},
    {"texture_score_alloc_failures", test_texture_score_alloc_failures},
    {NULL, NULL},
};
