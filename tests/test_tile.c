/* test_tile.c - tiled / streamed execution: the streaming Gram accumulator against
 * gc_gram_forward (bitwise where gc_gram_forward sums in one part: one thread; within float
 * rounding when it splits K over two threads), band splits that straddle chunks, centring's
 * two passes, partial sums added over "parts" as MPI would, the .npy streamed Gram under a
 * budget, tiled conv2d forward/backward_input against the untiled calls over odd sizes,
 * stride, pad, dilation, groups, padding modes and budgets down to one row per band (bitwise
 * with the reference algorithm), band calls fed only the rows they need (the MPI split), the
 * banded synthesis against the whole-image one and the loop they share, and the refusals. */
#include "gc_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int same_bits(const gc_tensor *a, const gc_tensor *b)
{
    int64_t n = 0;
    if (gc_tensor_numel(a, &n) != GC_OK || !gc_tensor_is_contiguous(a) ||
        !gc_tensor_is_contiguous(b) || a->dtype != b->dtype)
        return 0;
    return memcmp(a->data, b->data, (size_t)n * gc_dtype_size(a->dtype)) == 0;
}

static double max_abs(const gc_tensor *t)
{
    int64_t n = 0;
    gc_tensor_numel(t, &n);
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = t->dtype == GC_DTYPE_F32 ? ((float *)t->data)[i] : ((double *)t->data)[i];
        if (fabs(v) > m)
            m = fabs(v);
    }
    return m;
}

static gc_context *ctx_threads(int t)
{
    gc_context *ctx = NULL;
    gc_context_create(&ctx);
    gc_context_set_threads(ctx, t);
    return ctx;
}

/* Stream F (C x H x W, contiguous) through an accumulator in bands of rows given by `cuts`
 * (band heights, cycled), both passes when centring; G into out. */
static gc_status stream_rows(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *f,
                             const int64_t *cuts, int ncuts, gc_tensor *out)
{
    gc_gram_accum *acc = NULL;
    const int64_t c = f->dims[0], h = f->dims[1], w = f->dims[2];
    gc_status st = gc_gram_accum_create(ctx, desc, f->dtype, c, h * w, &acc);
    const int passes = desc->center ? 2 : 1;
    for (int pass = 0; pass < passes && st == GC_OK; pass++) {
        int ci = 0;
        for (int64_t y = 0; y < h && st == GC_OK; ci++) {
            int64_t b = cuts[ci % ncuts];
            if (b > h - y)
                b = h - y;
            gc_tensor band;
            st = gc_tensor_narrow(f, 1, y, b, &band);
            if (st == GC_OK)
                st = gc_gram_accum_add(ctx, acc, &band);
            y += b;
        }
        if (st == GC_OK && pass == 0 && passes == 2)
            st = gc_gram_accum_end_means(ctx, acc);
    }
    if (st == GC_OK)
        st = gc_gram_accum_finish(ctx, acc, out);
    gc_gram_accum_free(acc);
    return st;
}

/* Tiled == untiled bitwise on one thread, for every dtype, norm, centring and band split. */
static void test_tile_gram_bitwise(void)
{
    gc_context *ctx = ctx_threads(1);
    gc_rng rng = {11};
    const int64_t shapes[][3] = {{3, 5, 7}, {17, 40, 61}, {70, 9, 250}, {1, 3, 1}, {33, 64, 64}};
    const int64_t cuts_a[] = {1}, cuts_b[] = {7, 2, 13}, cuts_c[] = {1000};
    const int64_t *cuts[] = {cuts_a, cuts_b, cuts_c};
    const int ncuts[] = {1, 3, 1};
    for (int dt = 0; dt < 2; dt++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            const gc_dtype dtype = dt ? GC_DTYPE_F64 : GC_DTYPE_F32;
            gc_tensor f, g0, g1;
            const int64_t *d = shapes[si];
            const int64_t gd[2] = {d[0], d[0]};
            GC_CHECK_OK(gc_tensor_create(ctx, &f, dtype, 3, d));
            gc_test_fill(&f, &rng, 0);
            GC_CHECK_OK(gc_tensor_create(ctx, &g0, dtype, 2, gd));
            GC_CHECK_OK(gc_tensor_create(ctx, &g1, dtype, 2, gd));
            for (int variant = 0; variant < 4; variant++) {
                gc_gram_desc desc = gc_gram_desc_default();
                desc.norm = (gc_gram_norm)(variant % 3);
                desc.center = variant == 3 || (variant == 1 && si % 2);
                desc.scale = variant == 2 ? 0.37 : 1.0;
                GC_CHECK_OK(gc_gram_forward(ctx, &desc, &f, &g0));
                for (int c = 0; c < 3; c++) {
                    gc_test_poison(&g1);
                    GC_CHECK_OK(stream_rows(ctx, &desc, &f, cuts[c], ncuts[c], &g1));
                    GC_CHECK_MSG(same_bits(&g0, &g1), "dtype %d shape %zu variant %d cuts %d: "
                                 "max diff %g", dt, si, variant, c, gc_test_max_abs_diff(&g0, &g1));
                }
            }
            gc_tensor_free(&f);
            gc_tensor_free(&g0);
            gc_tensor_free(&g1);
        }
    gc_context_free(ctx);
}

/* Two threads: the accumulator splits column tiles (same bits as one thread); gc_gram_forward
 * may split K (then within float rounding). Strided M x K bands (a transposed view). */
static void test_tile_gram_threads(void)
{
    gc_context *c1 = ctx_threads(1), *c2 = ctx_threads(2);
    gc_rng rng = {12};
    const int64_t shapes[][2] = {{64, 5000}, {300, 700}, {9, 4099}};
    for (int dt = 0; dt < 2; dt++)
        for (int si = 0; si < 3; si++) {
            const gc_dtype dtype = dt ? GC_DTYPE_F64 : GC_DTYPE_F32;
            const int64_t m = shapes[si][0], k = shapes[si][1];
            const int64_t bd[2] = {k, m}, gd[2] = {m, m};
            gc_tensor base, f, g2, t1, t2;
            GC_CHECK_OK(gc_tensor_create(c1, &base, dtype, 2, bd));
            gc_test_fill(&base, &rng, 0);
            GC_CHECK_OK(gc_tensor_transpose(&base, 0, 1, &f)); /* M x K, k stride M */
            GC_CHECK_OK(gc_tensor_create(c1, &g2, dtype, 2, gd));
            GC_CHECK_OK(gc_tensor_create(c1, &t1, dtype, 2, gd));
            GC_CHECK_OK(gc_tensor_create(c1, &t2, dtype, 2, gd));
            gc_gram_desc desc = gc_gram_desc_default();
            GC_CHECK_OK(gc_gram_forward(c2, &desc, &f, &g2));
            gc_context *cs[2] = {c1, c2};
            gc_tensor *ts[2] = {&t1, &t2};
            for (int t = 0; t < 2; t++) {
                gc_gram_accum *acc = NULL;
                GC_CHECK_OK(gc_gram_accum_create(cs[t], &desc, dtype, m, k, &acc));
                for (int64_t k0 = 0; k0 < k; k0 += 333) {
                    gc_tensor band;
                    GC_CHECK_OK(gc_tensor_narrow(&f, 1, k0, k - k0 < 333 ? k - k0 : 333, &band));
                    GC_CHECK_OK(gc_gram_accum_add(cs[t], acc, &band));
                }
                GC_CHECK_OK(gc_gram_accum_finish(cs[t], acc, ts[t]));
                gc_gram_accum_free(acc);
            }
            GC_CHECK(same_bits(&t1, &t2));
            const double tol = (dt ? 1e-13 : 2e-6) * max_abs(&g2);
            GC_CHECK_MSG(gc_test_max_abs_diff(&g2, &t2) <= tol, "m %lld k %lld: %g > %g",
                         (long long)m, (long long)k, gc_test_max_abs_diff(&g2, &t2), tol);
            gc_tensor_free(&base);
            gc_tensor_free(&g2);
            gc_tensor_free(&t1);
            gc_tensor_free(&t2);
        }
    gc_context_free(c1);
    gc_context_free(c2);
}

/* Parts: K split in 3 uneven slices, each into its own accumulator; the partial vectors are
 * summed elementwise (what MPI_Allreduce does) and finished by one. Centring included. */
static void test_tile_gram_parts(void)
{
    gc_context *ctx = ctx_threads(1);
    gc_rng rng = {13};
    const int64_t m = 21, k = 2000, cut[4] = {0, 700, 701, 2000};
    for (int center = 0; center < 2; center++) {
        const int64_t fd[2] = {m, k}, gd[2] = {m, m};
        gc_tensor f, g0, g1;
        GC_CHECK_OK(gc_tensor_create(ctx, &f, GC_DTYPE_F32, 2, fd));
        gc_test_fill(&f, &rng, 0);
        for (int64_t i = 0; i < m * k; i++)
            ((float *)f.data)[i] += 3.0f; /* a mean for the centring to remove */
        GC_CHECK_OK(gc_tensor_create(ctx, &g0, GC_DTYPE_F32, 2, gd));
        GC_CHECK_OK(gc_tensor_create(ctx, &g1, GC_DTYPE_F32, 2, gd));
        gc_gram_desc desc = gc_gram_desc_default();
        desc.center = center;
        GC_CHECK_OK(gc_gram_forward(ctx, &desc, &f, &g0));
        gc_gram_accum *acc[3] = {NULL, NULL, NULL};
        for (int p = 0; p < 3; p++)
            GC_CHECK_OK(gc_gram_accum_create(ctx, &desc, GC_DTYPE_F32, m, k, &acc[p]));
        for (int pass = 0; pass < 1 + center && acc[0] && acc[1] && acc[2]; pass++) {
            double *sum[3];
            int64_t cnt[3];
            for (int p = 0; p < 3; p++) {
                gc_tensor band;
                GC_CHECK_OK(gc_tensor_narrow(&f, 1, cut[p], cut[p + 1] - cut[p], &band));
                GC_CHECK_OK(gc_gram_accum_add(ctx, acc[p], &band));
                GC_CHECK_OK(gc_gram_accum_partial(ctx, acc[p], &sum[p], &cnt[p]));
            }
            GC_CHECK(cnt[0] == cnt[1] && cnt[1] == cnt[2]);
            GC_CHECK(sum[0][cnt[0] - 1] == 700.0 && sum[1][cnt[0] - 1] == 1.0);
            for (int64_t i = 0; i < cnt[0]; i++) { /* the "allreduce" */
                const double s = sum[0][i] + sum[1][i] + sum[2][i];
                sum[0][i] = sum[1][i] = sum[2][i] = s;
            }
            if (center && pass == 0)
                for (int p = 0; p < 3; p++)
                    GC_CHECK_OK(gc_gram_accum_end_means(ctx, acc[p]));
        }
        gc_test_poison(&g1);
        GC_CHECK_OK(gc_gram_accum_finish(ctx, acc[2], &g1));
        const double tol = 1e-5 * max_abs(&g0);
        GC_CHECK_MSG(gc_test_max_abs_diff(&g0, &g1) <= tol, "center %d: %g > %g", center,
                     gc_test_max_abs_diff(&g0, &g1), tol);
        for (int p = 0; p < 3; p++)
            gc_gram_accum_free(acc[p]);
        gc_tensor_free(&f);
        gc_tensor_free(&g0);
        gc_tensor_free(&g1);
    }
    gc_context_free(ctx);
}

static void test_tile_gram_refusals(void)
{
    gc_context *ctx = ctx_threads(1);
    gc_gram_desc desc = gc_gram_desc_default();
    gc_gram_accum *acc = NULL;
    GC_CHECK_STATUS(gc_gram_accum_create(ctx, &desc, GC_DTYPE_F32, 0, 10, &acc), GC_ERR_EMPTY);
    GC_CHECK(acc == NULL);
    GC_CHECK_STATUS(gc_gram_accum_create(ctx, &desc, GC_DTYPE_F32, 4, 0, &acc), GC_ERR_EMPTY);
    GC_CHECK_STATUS(gc_gram_accum_create(ctx, NULL, GC_DTYPE_F32, 4, 10, &acc), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_accum_create(ctx, &desc, (gc_dtype)9, 4, 10, &acc), GC_ERR_DTYPE);
    desc.norm = (gc_gram_norm)7;
    GC_CHECK_STATUS(gc_gram_accum_create(ctx, &desc, GC_DTYPE_F32, 4, 10, &acc), GC_ERR_ARG);
    desc = gc_gram_desc_default();
    GC_CHECK_OK(gc_gram_accum_create(ctx, &desc, GC_DTYPE_F32, 4, 10, &acc));
    float buf[4 * 11] = {0};
    double dbuf[4 * 6] = {0};
    gc_tensor b6, b5d, b3r, g, gw;
    const int64_t d6[2] = {4, 6}, d3[2] = {3, 6}, gd[2] = {4, 4}, gbad[2] = {4, 3};
    gc_tensor_wrap(&b6, GC_DTYPE_F32, 2, d6, NULL, buf);
    gc_tensor_wrap(&b5d, GC_DTYPE_F64, 2, d6, NULL, dbuf);
    gc_tensor_wrap(&b3r, GC_DTYPE_F32, 2, d3, NULL, buf);
    float gbuf[16];
    gc_tensor_wrap(&g, GC_DTYPE_F32, 2, gd, NULL, gbuf);
    gc_tensor_wrap(&gw, GC_DTYPE_F32, 2, gbad, NULL, gbuf);
    GC_CHECK_STATUS(gc_gram_accum_add(ctx, acc, &b5d), GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_gram_accum_add(ctx, acc, &b3r), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_gram_accum_add(ctx, NULL, &b6), GC_ERR_NULL);
    GC_CHECK_OK(gc_gram_accum_add(ctx, acc, &b6));
    GC_CHECK_STATUS(gc_gram_accum_add(ctx, acc, &b6), GC_ERR_SHAPE); /* 12 > 10 columns */
    GC_CHECK_STATUS(gc_gram_accum_finish(ctx, acc, &g), GC_ERR_SHAPE); /* 6 of 10 */
    GC_CHECK_STATUS(gc_gram_accum_end_means(ctx, acc), GC_ERR_ARG);     /* no centring */
    gc_tensor b4;
    GC_CHECK_OK(gc_tensor_narrow(&b6, 1, 0, 4, &b4));
    GC_CHECK_OK(gc_gram_accum_add(ctx, acc, &b4));
    GC_CHECK_STATUS(gc_gram_accum_finish(ctx, acc, &gw), GC_ERR_SHAPE);
    GC_CHECK_OK(gc_gram_accum_finish(ctx, acc, &g));
    gc_gram_accum_free(acc);
    gc_gram_accum_free(NULL);
    desc.center = 1;
    GC_CHECK_OK(gc_gram_accum_create(ctx, &desc, GC_DTYPE_F32, 4, 6, &acc));
    GC_CHECK(gc_gram_accum_pass(acc) == GC_GRAM_PASS_MEANS);
    GC_CHECK_STATUS(gc_gram_accum_finish(ctx, acc, &g), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_gram_accum_end_means(ctx, acc), GC_ERR_SHAPE); /* 0 of 6 */
    gc_gram_accum_free(acc);
    uint64_t bytes = 0;
    GC_CHECK_OK(gc_gram_accum_bytes(ctx, &desc, GC_DTYPE_F32, 512, &bytes));
    GC_CHECK(bytes > 512ull * 512 * 8 && bytes < 16ull << 20);
    gc_context_free(ctx);
}

/* .npy streamed under budgets: bitwise equal to gc_gram_forward on one thread (rank 2, 3, 4;
 * float32 and float64; centring), GC_ERR_LIMIT when the budget cannot hold one column, and
 * the piece reader's refusals. */
static void test_tile_gram_npy(void)
{
    gc_context *ctx = ctx_threads(1);
    gc_rng rng = {14};
    char dir[64];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/gc_tile_XXXXXX", base && *base && strlen(base) < 40 ? base : "/tmp");
    GC_CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/f.npy", dir);
    const int64_t shapes[3][4] = {{13, 900, 0, 0}, {5, 31, 29, 0}, {3, 6, 20, 17}};
    const int ranks[3] = {2, 3, 4};
    for (int si = 0; si < 3; si++)
        for (int dt = 0; dt < 2; dt++) {
            const gc_dtype dtype = dt ? GC_DTYPE_F64 : GC_DTYPE_F32;
            gc_tensor f, g0, g1;
            GC_CHECK_OK(gc_tensor_create(ctx, &f, dtype, ranks[si], shapes[si]));
            gc_test_fill(&f, &rng, 0);
            GC_CHECK_OK(gc_npy_write(ctx, path, &f));
            gc_gram_desc desc = gc_gram_desc_default();
            desc.center = si == 1;
            int gr;
            int64_t gd[GC_MAX_RANK];
            GC_CHECK_OK(gc_gram_shape(ctx, &desc, &f, &gr, gd));
            GC_CHECK_OK(gc_tensor_create(ctx, &g0, dtype, gr, gd));
            GC_CHECK_OK(gc_gram_forward(ctx, &desc, &f, &g0));
            /* the smallest that works: accumulator + output + one column; bands of a few
             * hundred columns; everything at once */
            uint64_t ab;
            gc_gram_accum_bytes(ctx, &desc, dtype, gd[gr - 1], &ab);
            const uint64_t bmin = ab + 200 + (uint64_t)(gd[0] * gd[1] * (gr == 3 ? gd[2] : 1)) *
                                                 gc_dtype_size(dtype) + (uint64_t)gd[gr - 1] * 8;
            const uint64_t budgets[3] = {1ull << 30, bmin + 300 * (uint64_t)gd[gr - 1] * 8, bmin};
            for (int b = 0; b < 3; b++) {
                const uint64_t budget = budgets[b];
                memset(&g1, 0, sizeof g1);
                GC_CHECK_OK(gc_gram_forward_npy(ctx, &desc, path, budget, &g1));
                GC_CHECK_MSG(same_bits(&g0, &g1), "rank %d dtype %d budget %llu", ranks[si], dt,
                             (unsigned long long)budget);
                gc_tensor_free(&g1);
            }
            GC_CHECK_STATUS(gc_gram_forward_npy(ctx, &desc, path, 1000, &g1), GC_ERR_LIMIT);
            GC_CHECK(strstr(gc_context_last_error(ctx), "too small") != NULL);
            gc_tensor_free(&f);
            gc_tensor_free(&g0);
        }
    gc_npy_file *nf = NULL;
    GC_CHECK_OK(gc_npy_open(ctx, path, &nf));
    float x[4];
    GC_CHECK_STATUS(gc_npy_file_read(ctx, nf, 3 * 6 * 20 * 17 - 2, 4, x), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_npy_file_read(ctx, nf, -1, 1, x), GC_ERR_ARG);
    gc_npy_close(nf);
    gc_npy_close(NULL);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.npy", dir);
    GC_CHECK_STATUS(gc_npy_open(ctx, missing, &nf), GC_ERR_IO);
    GC_CHECK(nf == NULL);
    /* Fortran order is refused for piecewise reads */
    static const char hdr[] = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }";
    unsigned char fbuf[128] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    size_t hl = 128 - 10 - 16;
    fbuf[8] = (unsigned char)hl;
    memset(fbuf + 10, ' ', hl);
    memcpy(fbuf + 10, hdr, sizeof hdr - 1);
    fbuf[10 + hl - 1] = '\n';
    snprintf(path, sizeof path, "%s/fortran.npy", dir);
    FILE *fp = fopen(path, "wb");
    GC_CHECK(fp != NULL);
    if (fp) {
        fwrite(fbuf, 1, 128, fp);
        fclose(fp);
    }
    GC_CHECK_STATUS(gc_npy_open(ctx, path, &nf), GC_ERR_UNSUPPORTED);
    unlink(path);
    snprintf(path, sizeof path, "%s/f.npy", dir);
    unlink(path);
    rmdir(dir);
    gc_context_free(ctx);
}

/* ---- conv2d ------------------------------------------------------------------------------- */

typedef struct conv_case {
    int64_t n, c, h, w, o, kh, kw;
    int64_t sh, sw, ph, pw, dh, dw, groups;
    gc_boundary mode;
    int same;
} conv_case;

static const conv_case conv_cases[] = {
    {1, 3, 13, 11, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL, 0},
    {2, 4, 17, 9, 6, 3, 2, 2, 1, 0, 1, 1, 1, 2, GC_BOUNDARY_FILL, 0},
    {1, 2, 19, 8, 3, 3, 3, 3, 2, 2, 0, 2, 1, 1, GC_BOUNDARY_FILL, 0},
    {1, 3, 11, 7, 2, 5, 3, 1, 1, 4, 1, 1, 2, 1, GC_BOUNDARY_FILL, 0},   /* pad beyond k-1 */
    {1, 2, 10, 10, 3, 4, 4, 1, 1, 0, 0, 1, 1, 1, GC_BOUNDARY_FILL, 1},  /* same, even k */
    {1, 3, 12, 9, 4, 3, 3, 1, 1, 2, 1, 1, 1, 1, GC_BOUNDARY_REFLECT, 0},
    {0, 2, 9, 6, 3, 3, 3, 2, 2, 1, 2, 1, 1, 1, GC_BOUNDARY_WRAP, 0}, /* n 0: unbatched */
    {1, 2, 8, 5, 2, 2, 3, 1, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_REPLICATE, 0},
    {1, 2, 8, 5, 2, 7, 1, 1, 1, 0, 0, 1, 1, 1, GC_BOUNDARY_FILL, 0},    /* kernel = almost H */
};

static void conv_make(const conv_case *cc, gc_dtype dt, gc_conv2d_desc *desc, gc_tensor *in,
                      gc_tensor *w, gc_tensor *bias, gc_tensor *out, gc_rng *rng)
{
    *desc = gc_conv2d_desc_default();
    desc->stride[0] = cc->sh, desc->stride[1] = cc->sw;
    desc->pad[0] = cc->ph, desc->pad[1] = cc->pw;
    desc->dilation[0] = cc->dh, desc->dilation[1] = cc->dw;
    desc->groups = cc->groups;
    desc->padding_mode = cc->mode;
    desc->same_padding = cc->same;
    const int batched = cc->n > 0;
    const int64_t id[4] = {cc->n, cc->c, cc->h, cc->w};
    const int64_t wd[4] = {cc->o, cc->c / cc->groups, cc->kh, cc->kw};
    const int64_t bd[1] = {cc->o};
    gc_tensor_create(NULL, in, dt, batched ? 4 : 3, batched ? id : id + 1);
    gc_tensor_create(NULL, w, dt, 4, wd);
    gc_tensor_create(NULL, bias, dt, 1, bd);
    gc_test_fill(in, rng, 0);
    gc_test_fill(w, rng, 0);
    gc_test_fill(bias, rng, 0);
    int orank;
    int64_t od[GC_MAX_RANK];
    GC_CHECK_OK(gc_conv2d_shape(NULL, desc, in, w, &orank, od));
    gc_tensor_create(NULL, out, dt, orank, od);
}

static gc_status conv_untiled(gc_context *ctx, const gc_conv2d_desc *desc, int backward,
                              const gc_tensor *a, const gc_tensor *w, const gc_tensor *bias,
                              gc_tensor *out)
{
    size_t ws = 0;
    const gc_tensor *in = backward ? out : a;
    gc_status st = gc_conv2d_workspace_size(ctx, desc, in, w,
                                            backward ? GC_CONV_PASS_BACKWARD_INPUT : GC_CONV_PASS_FORWARD, &ws);
    void *buf = ws ? aligned_alloc(64, (ws + 63) & ~(size_t)63) : NULL;
    if (st == GC_OK)
        st = backward ? gc_conv2d_backward_input(ctx, desc, a, w, out, buf, ws)
                      : gc_conv2d_forward(ctx, desc, a, w, bias, out, buf, ws);
    free(buf);
    return st;
}

/* Tiled forward and backward_input == untiled, for budgets from everything-in-one-band down
 * to one row per band; bitwise with the reference algorithm (zero padding). */
static void test_tile_conv_equal(void)
{
    gc_context *ctx = ctx_threads(2);
    gc_rng rng = {21};
    for (size_t ci = 0; ci < sizeof conv_cases / sizeof conv_cases[0]; ci++)
        for (int dt = 0; dt < 2; dt++)
            for (int algo = 0; algo < 2; algo++) {
                const conv_case *cc = &conv_cases[ci];
                const gc_dtype dtype = dt ? GC_DTYPE_F64 : GC_DTYPE_F32;
                gc_conv2d_desc desc;
                gc_tensor in, w, bias, out0, out1, gi0, gi1;
                conv_make(cc, dtype, &desc, &in, &w, &bias, &out0, &rng);
                desc.algo = algo ? GC_CONV_ALGO_REFERENCE : GC_CONV_ALGO_AUTO;
                gc_tensor_create(NULL, &out1, dtype, out0.rank, out0.dims);
                gc_tensor_create(NULL, &gi0, dtype, in.rank, in.dims);
                gc_tensor_create(NULL, &gi1, dtype, in.rank, in.dims);
                gc_status ust = conv_untiled(ctx, &desc, 0, &in, &w, &bias, &out0);
                GC_CHECK_MSG(ust == GC_OK, "case %zu: %s", ci, gc_context_last_error(ctx));
                gc_tensor gout;
                gc_tensor_create(NULL, &gout, dtype, out0.rank, out0.dims);
                gc_test_fill(&gout, &rng, 0);
                const int bwd_ok = cc->mode == GC_BOUNDARY_FILL;
                if (bwd_ok)
                    GC_CHECK_OK(conv_untiled(ctx, &desc, 1, &gout, &w, NULL, &gi0));
                const double ftol = (dt ? 1e-12 : 1e-5) * (max_abs(&out0) + 1);
                const double btol = (dt ? 1e-12 : 1e-5) * (max_abs(&gi0) + 1);
                /* the smallest power-of-two budget that works (bands of a row or two), twice
                 * that, everything at once; and one that cannot hold a row */
                uint64_t bmin = 1024;
                while (bmin < (1ull << 30) &&
                       gc_conv2d_forward_tiled(ctx, &desc, &in, &w, &bias, &out1, bmin) == GC_ERR_LIMIT)
                    bmin *= 2;
                uint64_t bminb = 1024;
                while (bwd_ok && bminb < (1ull << 30) &&
                       gc_conv2d_backward_input_tiled(ctx, &desc, &gout, &w, &gi1, bminb) == GC_ERR_LIMIT)
                    bminb *= 2;
                const uint64_t budgets[4] = {1ull << 30, 2 * bmin, bmin, 1};
                const uint64_t bbudgets[4] = {1ull << 30, 2 * bminb, bminb, 1};
                for (int b = 0; b < 4; b++) {
                    gc_test_poison(&out1);
                    gc_status st = gc_conv2d_forward_tiled(ctx, &desc, &in, &w, &bias, &out1, budgets[b]);
                    if (b == 3) {
                        GC_CHECK_STATUS(st, GC_ERR_LIMIT);
                        continue;
                    }
                    GC_CHECK_OK(st);
                    if (algo && cc->mode == GC_BOUNDARY_FILL)
                        GC_CHECK_MSG(same_bits(&out0, &out1), "case %zu dtype %d budget %d", ci, dt, b);
                    GC_CHECK_MSG(gc_test_max_abs_diff(&out0, &out1) <= ftol, "fwd case %zu dtype %d "
                                 "algo %d budget %d: %g", ci, dt, algo, b,
                                 gc_test_max_abs_diff(&out0, &out1));
                    if (!bwd_ok) {
                        GC_CHECK_STATUS(gc_conv2d_backward_input_tiled(ctx, &desc, &gout, &w, &gi1,
                                                                       budgets[b]),
                                        (cc->ph || cc->pw) ? GC_ERR_UNSUPPORTED : GC_OK);
                        continue;
                    }
                    gc_test_poison(&gi1);
                    GC_CHECK_OK(gc_conv2d_backward_input_tiled(ctx, &desc, &gout, &w, &gi1, bbudgets[b]));
                    if (algo)
                        GC_CHECK_MSG(same_bits(&gi0, &gi1), "bwd case %zu dtype %d budget %d", ci, dt, b);
                    GC_CHECK_MSG(gc_test_max_abs_diff(&gi0, &gi1) <= btol, "bwd case %zu dtype %d "
                                 "algo %d budget %d: %g", ci, dt, algo, b,
                                 gc_test_max_abs_diff(&gi0, &gi1));
                }
                gc_tensor *all[] = {&in, &w, &bias, &out0, &out1, &gi0, &gi1, &gout};
                for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                    gc_tensor_free(all[i]);
            }
    gc_context_free(ctx);
}

/* The MPI split on one process: rows cut into P parts; each part gets only the input rows
 * gc_conv2d_rows_needed names (a copy, as after a halo exchange) and the grad_output rows
 * gc_conv2d_rows_feeding names; the bands put together equal the untiled result. */
static void test_tile_conv_split(void)
{
    gc_context *ctx = ctx_threads(1);
    gc_rng rng = {22};
    const size_t cases[] = {0, 1, 2, 3, 4};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int parts = 2; parts <= 4; parts++) {
            const conv_case *cc = &conv_cases[cases[k]];
            gc_conv2d_desc desc;
            gc_tensor in, w, bias, out0, out1, gi0, gi1, gout;
            conv_make(cc, GC_DTYPE_F64, &desc, &in, &w, &bias, &out0, &rng);
            desc.algo = GC_CONV_ALGO_REFERENCE;
            const int o = in.rank == 4 ? 1 : 0;
            const int64_t H = in.dims[o + 1], OH = out0.dims[o + 1];
            gc_tensor_create(NULL, &out1, GC_DTYPE_F64, out0.rank, out0.dims);
            gc_tensor_create(NULL, &gout, GC_DTYPE_F64, out0.rank, out0.dims);
            gc_tensor_create(NULL, &gi0, GC_DTYPE_F64, in.rank, in.dims);
            gc_tensor_create(NULL, &gi1, GC_DTYPE_F64, in.rank, in.dims);
            gc_test_fill(&gout, &rng, 0);
            GC_CHECK_OK(conv_untiled(ctx, &desc, 0, &in, &w, &bias, &out0));
            GC_CHECK_OK(conv_untiled(ctx, &desc, 1, &gout, &w, NULL, &gi0));
            gc_test_poison(&out1);
            gc_test_poison(&gi1);
            for (int p = 0; p < parts; p++) {
                const int64_t oy0 = OH * p / parts, oy1 = OH * (p + 1) / parts;
                const int64_t y0 = H * p / parts, y1 = H * (p + 1) / parts;
                int64_t a, b;
                if (oy1 > oy0) {
                    GC_CHECK_OK(gc_conv2d_rows_needed(ctx, &desc, H, cc->kh, oy0, oy1, &a, &b));
                    gc_tensor rows, copy, ob;
                    GC_CHECK_OK(gc_tensor_narrow(&in, o + 1, a, b - a, &rows));
                    GC_CHECK_OK(gc_tensor_contiguous(NULL, &rows, &copy));
                    GC_CHECK_OK(gc_tensor_narrow(&out1, o + 1, oy0, oy1 - oy0, &ob));
                    GC_CHECK_OK(gc_conv2d_forward_band(ctx, &desc, H, &copy, a, &w, &bias, oy0, &ob));
                    if (a > 0) { /* one row short: refused */
                        gc_tensor short_rows;
                        GC_CHECK_OK(gc_tensor_narrow(&in, o + 1, a + 1, b - a - 1, &short_rows));
                        GC_CHECK_STATUS(gc_conv2d_forward_band(ctx, &desc, H, &short_rows, a + 1,
                                                               &w, &bias, oy0, &ob), GC_ERR_SHAPE);
                    }
                    gc_tensor_free(&copy);
                }
                if (y1 > y0) {
                    GC_CHECK_OK(gc_conv2d_rows_feeding(ctx, &desc, H, cc->kh, y0, y1, &a, &b));
                    gc_tensor gib, grows, gcopy;
                    GC_CHECK_OK(gc_tensor_narrow(&gi1, o + 1, y0, y1 - y0, &gib));
                    if (b > a) {
                        GC_CHECK_OK(gc_tensor_narrow(&gout, o + 1, a, b - a, &grows));
                        GC_CHECK_OK(gc_tensor_contiguous(NULL, &grows, &gcopy));
                        GC_CHECK_OK(gc_conv2d_backward_input_band(ctx, &desc, H, &gcopy, a, &w, y0, &gib));
                        gc_tensor_free(&gcopy);
                    } else {
                        GC_CHECK_OK(gc_conv2d_backward_input_band(ctx, &desc, H, &gout, 0, &w, y0, &gib));
                    }
                }
            }
            GC_CHECK_MSG(same_bits(&out0, &out1), "split fwd case %zu parts %d", cases[k], parts);
            GC_CHECK_MSG(same_bits(&gi0, &gi1), "split bwd case %zu parts %d: %g", cases[k], parts,
                         gc_test_max_abs_diff(&gi0, &gi1));
            gc_tensor *all[] = {&in, &w, &bias, &out0, &out1, &gi0, &gi1, &gout};
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                gc_tensor_free(all[i]);
        }
    gc_context_free(ctx);
}

static void test_tile_conv_rows(void)
{
    gc_conv2d_desc d = gc_conv2d_desc_default();
    int64_t a = -1, b = -1;
    d.pad[0] = 1;
    GC_CHECK_OK(gc_conv2d_rows_needed(NULL, &d, 10, 3, 0, 10, &a, &b));
    GC_CHECK(a == 0 && b == 10);
    GC_CHECK_OK(gc_conv2d_rows_needed(NULL, &d, 10, 3, 4, 6, &a, &b));
    GC_CHECK(a == 3 && b == 7); /* 2 rows + a halo of (3-1) */
    d.stride[0] = 2, d.dilation[0] = 2, d.pad[0] = 0;
    /* H 20, k 3, d 2: OH = (20-4-1)/2+1 = 8; rows 2..3 read 4..8 */
    GC_CHECK_OK(gc_conv2d_rows_needed(NULL, &d, 20, 3, 2, 4, &a, &b));
    GC_CHECK(a == 4 && b == 11);
    GC_CHECK_OK(gc_conv2d_rows_feeding(NULL, &d, 20, 3, 5, 6, &a, &b));
    GC_CHECK(a == 1 && b == 3); /* row 5 is read by oy 1 (2+1*2... 2..6) and oy 2 (4..8) */
    GC_CHECK_OK(gc_conv2d_rows_feeding(NULL, &d, 20, 3, 19, 20, &a, &b));
    GC_CHECK(a == b); /* the last row is read by no output */
    GC_CHECK_STATUS(gc_conv2d_rows_needed(NULL, &d, 20, 3, 2, 9, &a, &b), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_conv2d_rows_needed(NULL, &d, 2, 3, 0, 1, &a, &b), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_conv2d_rows_feeding(NULL, NULL, 20, 3, 0, 1, &a, &b), GC_ERR_NULL);
}

/* Synthesis in bands == gc_synth (random net, style + TV): loss and gradient for budgets from
 * one band down to bands of a row or two, then a few L-BFGS iterations from the same start;
 * refusals. */
static void test_tile_synth(void)
{
    gc_context *ctx = ctx_threads(1);
    for (int dt = 0; dt < 2; dt++) {
        const gc_dtype dtype = dt ? GC_DTYPE_F64 : GC_DTYPE_F32;
        gc_synth_random_desc rd = gc_synth_random_desc_default();
        rd.nscales = 2, rd.sizes[0] = 3, rd.sizes[1] = 5, rd.filters = 6, rd.seed = 7;
        gc_synth_net *net = NULL;
        GC_CHECK_OK(gc_synth_net_create_random(ctx, &rd, dtype, &net));
        if (!net)
            break;
        gc_rng rng = {31 + (unsigned)dt};
        const int64_t sd[3] = {3, 19, 23}, xd[3] = {3, 13, 11};
        gc_tensor style, x, x2, g0, g1;
        gc_tensor grams[GC_SYNTH_MAX_LAYERS];
        memset(grams, 0, sizeof grams);
        gc_tensor_create(ctx, &style, dtype, 3, sd);
        gc_tensor_create(ctx, &x, dtype, 3, xd);
        gc_tensor_create(ctx, &x2, dtype, 3, xd);
        gc_tensor_create(ctx, &g0, dtype, 3, xd);
        gc_tensor_create(ctx, &g1, dtype, 3, xd);
        gc_test_fill(&style, &rng, 0);
        gc_test_fill(&x, &rng, 0);
        GC_CHECK_OK(gc_synth_net_grams(ctx, net, &style, 3u, grams));
        gc_synth_desc desc = gc_synth_desc_default();
        desc.height = xd[1], desc.width = xd[2], desc.iters = 4, desc.tv_weight = 0.1;
        desc.style_layers = 3u;
        gc_synth *s = NULL;
        GC_CHECK_OK(gc_synth_create(ctx, net, &desc, &s));
        GC_CHECK_OK(gc_synth_add_style_grams(ctx, s, grams, 1.0));
        double l0 = 0, l1 = 0;
        GC_CHECK_OK(gc_synth_loss(ctx, s, &x, &l0, &g0));
        const double rtol = dt ? 1e-11 : 2e-4;
        uint64_t bmin = 1024; /* the smallest power of two that works */
        for (gc_synth_tiled *probe = NULL; bmin < (1u << 30); bmin *= 2) {
            if (gc_synth_tiled_create(ctx, net, &desc, grams, bmin, &probe) == GC_OK) {
                gc_synth_tiled_free(probe);
                break;
            }
        }
        uint64_t bfine = bmin / 2; /* then the smallest in steps of 64 bytes: one-row bands */
        for (gc_synth_tiled *probe = NULL; bfine < bmin; bfine += 64) {
            if (gc_synth_tiled_create(ctx, net, &desc, grams, bfine, &probe) == GC_OK) {
                gc_synth_tiled_free(probe);
                break;
            }
        }
        const uint64_t budgets[3] = {0, 2 * bmin, bfine};
        for (int b = 0; b < 3; b++) {
            gc_synth_tiled *t = NULL;
            GC_CHECK_OK(gc_synth_tiled_create(ctx, net, &desc, grams, budgets[b], &t));
            if (!t)
                continue;
            if (b == 2)
                GC_CHECK_MSG(gc_synth_tiled_band_rows(t) <= 3, "band %lld rows",
                             (long long)gc_synth_tiled_band_rows(t));
            gc_test_poison(&g1);
            GC_CHECK_OK(gc_synth_tiled_loss(ctx, t, &x, &l1, &g1));
            GC_CHECK_MSG(fabs(l1 - l0) <= rtol * fabs(l0), "dtype %d budget %d: loss %.17g vs %.17g",
                         dt, b, l1, l0);
            const double gd = gc_test_max_abs_diff(&g0, &g1), gm = max_abs(&g0);
            GC_CHECK_MSG(gd <= rtol * gm * 10, "dtype %d budget %d: grad diff %g of %g", dt, b, gd, gm);
            if (b == 2) { /* a few L-BFGS steps: the same path */
                gc_synth_stats s0, s1;
                GC_CHECK_OK(gc_tensor_copy(&x, &x2));
                GC_CHECK_OK(gc_synth_run(ctx, s, &x2, &s0));
                gc_tensor x3;
                gc_tensor_create(ctx, &x3, dtype, 3, xd);
                GC_CHECK_OK(gc_tensor_copy(&x, &x3));
                GC_CHECK_OK(gc_synth_tiled_run(ctx, t, &x3, &s1));
                GC_CHECK(s0.iters == s1.iters && s1.iters > 0);
                GC_CHECK(s1.final_loss < s1.initial_loss);
                GC_CHECK_MSG(fabs(s0.final_loss - s1.final_loss) <= (dt ? 1e-8 : 1e-2) * s0.initial_loss,
                             "dtype %d: final loss %.17g vs %.17g", dt, s1.final_loss, s0.final_loss);
                GC_CHECK_MSG(gc_test_max_abs_diff(&x2, &x3) <= (dt ? 1e-8 : 1e-2),
                             "dtype %d: images differ by %g", dt, gc_test_max_abs_diff(&x2, &x3));
                gc_tensor_free(&x3);
            }
            gc_synth_tiled_free(t);
        }
        gc_synth_tiled *t = NULL;
        GC_CHECK_STATUS(gc_synth_tiled_create(ctx, net, &desc, grams, 100, &t), GC_ERR_LIMIT);
        GC_CHECK(t == NULL);
        gc_synth_desc dc = desc;
        dc.content_layer = 0;
        GC_CHECK_STATUS(gc_synth_tiled_create(ctx, net, &dc, grams, 0, &t), GC_ERR_UNSUPPORTED);
        GC_CHECK_STATUS(gc_synth_tiled_create(ctx, net, &desc, NULL, 0, &t), GC_ERR_NULL);
        gc_synth_tiled_free(NULL);
        gc_synth_free(s);
        for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
            gc_tensor_free(&grams[l]);
        gc_tensor *all[] = {&style, &x, &x2, &g0, &g1};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            gc_tensor_free(all[i]);
        gc_synth_net_free(net);
    }
    gc_context_free(ctx);
}

/* The loop the banded and whole-image runs share (synth/synth_loop.c): progress once per
 * iteration, 1..k, with the image and a fixed initial loss; a stop from the callback after k
 * iterations leaves the image and losses of a run of k iterations (bitwise); no iteration: one
 * evaluation, the image unchanged. For L-BFGS and Adam. */
typedef struct loop_watch {
    int64_t calls, stop_at, iters, H, W;
    double initial;
    int bad;
} loop_watch;

static int loop_watch_fn(const gc_synth_progress *p, void *user)
{
    loop_watch *w = user;
    w->calls++;
    if (w->calls == 1)
        w->initial = p->initial_loss;
    if (p->iter != w->calls || p->iters != w->iters || !p->image || p->image->rank != 3 ||
        p->image->dims[1] != w->H || p->image->dims[2] != w->W || !isfinite(p->loss) ||
        p->initial_loss != w->initial)
        w->bad = 1;
    return p->iter >= w->stop_at;
}

static void test_tile_synth_loop(void)
{
    gc_context *ctx = ctx_threads(1);
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    rd.nscales = 2, rd.sizes[0] = 3, rd.sizes[1] = 5, rd.filters = 5, rd.seed = 3;
    gc_synth_net *net = NULL;
    GC_CHECK_OK(gc_synth_net_create_random(ctx, &rd, GC_DTYPE_F32, &net));
    gc_rng rng = {77};
    const int64_t sd[3] = {3, 17, 15}, xd[3] = {3, 12, 10};
    gc_tensor style, x0, a, b, c;
    gc_tensor grams[GC_SYNTH_MAX_LAYERS];
    memset(grams, 0, sizeof grams);
    gc_tensor_create(ctx, &style, GC_DTYPE_F32, 3, sd);
    gc_tensor *imgs[] = {&x0, &a, &b, &c};
    for (int i = 0; i < 4; i++)
        gc_tensor_create(ctx, imgs[i], GC_DTYPE_F32, 3, xd);
    gc_test_fill(&style, &rng, 0);
    gc_test_fill(&x0, &rng, 0);
    if (net)
        GC_CHECK_OK(gc_synth_net_grams(ctx, net, &style, 3u, grams));
    for (int opt = 0; net && opt < 2; opt++) {
        gc_synth_desc d = gc_synth_desc_default();
        d.height = xd[1], d.width = xd[2], d.style_layers = 3u, d.iters = 10;
        d.optimizer = opt ? GC_SYNTH_OPTIMIZER_ADAM : GC_SYNTH_OPTIMIZER_LBFGS;
        d.learning_rate = opt ? 0.05 : 1.0;
        loop_watch w = {0, 3, 10, xd[1], xd[2], 0.0, 0};
        d.progress = loop_watch_fn;
        d.progress_user = &w;
        gc_synth_stats s0, s1, s2;
        /* whole image */
        gc_synth *s = NULL;
        GC_CHECK_OK(gc_synth_create(ctx, net, &d, &s));
        GC_CHECK_OK(gc_synth_add_style_grams(ctx, s, grams, 1.0));
        GC_CHECK_OK(gc_tensor_copy(&x0, &a));
        GC_CHECK_OK(gc_synth_run(ctx, s, &a, &s0));
        GC_CHECK_MSG(s0.iters == 3 && s0.evals == 4 && w.calls == 3 && !w.bad,
                     "optimizer %d: %lld iterations, %lld evaluations, %lld calls", opt,
                     (long long)s0.iters, (long long)s0.evals, (long long)w.calls);
        GC_CHECK(s0.initial_loss == w.initial && s0.final_loss < s0.initial_loss);
        gc_synth_free(s);
        /* in bands: stopped after 3 of 10, against 3 of 3 */
        gc_synth_tiled *t = NULL, *t3 = NULL, *t0 = NULL;
        w.calls = 0;
        GC_CHECK_OK(gc_synth_tiled_create(ctx, net, &d, grams, 0, &t));
        gc_synth_desc d3 = d;
        d3.iters = 3, d3.progress = NULL;
        GC_CHECK_OK(gc_synth_tiled_create(ctx, net, &d3, grams, 0, &t3));
        gc_synth_desc dz = d;
        dz.iters = 0;
        GC_CHECK_OK(gc_synth_tiled_create(ctx, net, &dz, grams, 0, &t0));
        if (t && t3 && t0) {
            GC_CHECK_OK(gc_tensor_copy(&x0, &b));
            GC_CHECK_OK(gc_synth_tiled_run(ctx, t, &b, &s1));
            GC_CHECK(s1.iters == 3 && s1.evals == 4 && w.calls == 3 && !w.bad);
            GC_CHECK_OK(gc_tensor_copy(&x0, &c));
            GC_CHECK_OK(gc_synth_tiled_run(ctx, t3, &c, &s2));
            GC_CHECK(s2.iters == 3 && s2.evals == 4);
            GC_CHECK(same_bits(&b, &c) && !same_bits(&b, &x0));
            GC_CHECK(s1.initial_loss == s2.initial_loss && s1.final_loss == s2.final_loss);
            GC_CHECK_MSG(fabs(s1.final_loss - s0.final_loss) <= 1e-2 * s0.initial_loss,
                         "optimizer %d: banded %.9g, whole %.9g", opt, s1.final_loss,
                         s0.final_loss);
            GC_CHECK_OK(gc_tensor_copy(&x0, &c));
            w.calls = 0;
            GC_CHECK_OK(gc_synth_tiled_run(ctx, t0, &c, &s2));
            GC_CHECK(s2.iters == 0 && s2.evals == 1 && w.calls == 0);
            GC_CHECK(s2.initial_loss == s2.final_loss && s2.final_loss == s1.initial_loss);
            GC_CHECK(same_bits(&c, &x0));
        }
        gc_synth_tiled_free(t);
        gc_synth_tiled_free(t3);
        gc_synth_tiled_free(t0);
    }
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&grams[l]);
    gc_tensor_free(&style);
    for (int i = 0; i < 4; i++)
        gc_tensor_free(imgs[i]);
    gc_synth_net_free(net);
    gc_context_free(ctx);
}

GC_TEST_TABLE(gc_tests_tile) = {
    {"tile_gram_bitwise", test_tile_gram_bitwise},
    {"tile_gram_threads", test_tile_gram_threads},
    {"tile_gram_parts", test_tile_gram_parts},
    {"tile_gram_refusals", test_tile_gram_refusals},
    {"tile_gram_npy", test_tile_gram_npy},
    {"tile_conv_equal", test_tile_conv_equal},
    {"tile_conv_split", test_tile_conv_split},
    {"tile_conv_rows", test_tile_conv_rows},
    {"tile_synth", test_tile_synth},
    {"tile_synth_loop", test_tile_synth_loop},
    {NULL, NULL},
};
