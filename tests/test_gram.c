/* test_gram.c - Gram matrices: known answers, optimised vs reference on every ISA path and
 * thread count (odd sizes, tile and chunk edges, strided views, batches), exact symmetry,
 * batched == looped, the seed's bmm formula on numpy goldens, finite-difference gradients
 * (non-symmetric dG, every norm, centring on/off), the fused style loss against its unfused
 * composition and against finite differences, float32 accuracy at large H*W, and every
 * refusal.
 *
 * Tolerances. Forward: G[i][j] = alpha sum_k Fc_ik Fc_jk; a float sum of K products, centred
 * operands each carrying a rounding of the mean (|mu| eps), and the blocked float64 tile sums
 * are bounded by (K + 8) eps alpha sum_k (|F_ik| + |mu_i|)(|F_jk| + |mu_j|), the usual
 * (n+1) eps sum|terms| with slack; the test computes that sum with the real means. With
 * integer data, no centring and norm NONE every partial sum is an integer below 2^24, so
 * the results must match the reference exactly. Backward: dF[i][k] = beta sum_j S_ij Fc_jk
 * with S_ij = dG_ij + dG_ji rounded once: bound (M + 8) eps beta sum_j (|dG_ij| + |dG_ji|)
 * (|F_jk| + |mu_j|) (+ eps |mu_j| per operand, inside the same slack). */
#include "gc_test.h"

#include "ops/gram/gram.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const gc_dtype dtypes[2] = {GC_DTYPE_F32, GC_DTYPE_F64};
static const gc_gram_norm norms[3] = {GC_GRAM_NORM_NONE, GC_GRAM_NORM_HW, GC_GRAM_NORM_CHW};

static double get(const gc_tensor *t, int64_t off)
{
    return t->dtype == GC_DTYPE_F32 ? ((float *)t->data)[off] : ((double *)t->data)[off];
}
static void set(gc_tensor *t, int64_t off, double v)
{
    if (t->dtype == GC_DTYPE_F32)
        ((float *)t->data)[off] = (float)v;
    else
        ((double *)t->data)[off] = v;
}

/* F[b][i][k] of an input of rank 2/3/4, as the library reads it. */
typedef struct view3 {
    int64_t n, m, kh, kw, k;
    int64_t s[4];
} view3;
static view3 as3(const gc_tensor *t)
{
    view3 v = {0};
    const int64_t *d = t->dims, *s = t->strides;
    if (t->rank == 2)
        v = (view3){1, d[0], 1, d[1], d[1], {0, s[0], 0, s[1]}};
    else if (t->rank == 3)
        v = (view3){1, d[0], d[1], d[2], d[1] * d[2], {0, s[0], s[1], s[2]}};
    else
        v = (view3){d[0], d[1], d[2], d[3], d[2] * d[3], {s[0], s[1], s[2], s[3]}};
    return v;
}
static int64_t off3(const view3 *v, int64_t b, int64_t i, int64_t k)
{
    return b * v->s[0] + i * v->s[1] + (k / v->kw) * v->s[2] + (k % v->kw) * v->s[3];
}
/* G-shaped tensors: offset of (b, i, j). */
static int64_t goff(const gc_tensor *g, int64_t b, int64_t i, int64_t j)
{
    if (g->rank == 3)
        return b * g->strides[0] + i * g->strides[1] + j * g->strides[2];
    return i * g->strides[0] + j * g->strides[1];
}

/* An input of `rank`/`dims` in one of several layouts; `base` owns the memory, `*view` is
 * what the op gets. layout 0: contiguous; 1: the last two dims transposed (non-unit k
 * stride); 2: narrowed out of a bigger tensor in rows and the last dim; 3: the first two
 * dims transposed (rank >= 3) or a column-major matrix (rank 2). */
static void make_input(gc_tensor *base, gc_tensor *view, gc_dtype dt, int rank, const int64_t *dims,
                       int layout, gc_rng *rng, int integers)
{
    int64_t bd[GC_MAX_RANK];
    memcpy(bd, dims, sizeof(int64_t) * (size_t)rank);
    const int r0 = rank - 2, r1 = rank - 1;
    if (layout == 1 || (layout == 3 && rank == 2)) {
        bd[r0] = dims[r1], bd[r1] = dims[r0];
    } else if (layout == 2) {
        bd[rank == 2 ? 0 : rank - 3] += 3;
        bd[r1] += 5;
    } else if (layout == 3) {
        bd[0] = dims[1], bd[1] = dims[0];
    }
    GC_CHECK_OK(gc_tensor_create(NULL, base, dt, rank, bd));
    gc_test_fill(base, rng, integers);
    if (layout == 0) {
        *view = *base;
        view->owned_ = NULL;
    } else if (layout == 1 || (layout == 3 && rank == 2)) {
        GC_CHECK_OK(gc_tensor_transpose(base, r0, r1, view));
    } else if (layout == 2) {
        gc_tensor tmp;
        const int rd = rank == 2 ? 0 : rank - 3;
        GC_CHECK_OK(gc_tensor_narrow(base, rd, 2, dims[rd], &tmp));
        GC_CHECK_OK(gc_tensor_narrow(&tmp, r1, 1, dims[r1], view));
    } else {
        GC_CHECK_OK(gc_tensor_transpose(base, 0, 1, view));
    }
}

static void make_g(gc_context *ctx, const gc_gram_desc *d, const gc_tensor *in, gc_tensor *g)
{
    int rank;
    int64_t dims[GC_MAX_RANK];
    GC_CHECK_OK(gc_gram_shape(ctx, d, in, &rank, dims));
    GC_CHECK_OK(gc_tensor_create(NULL, g, in->dtype, rank, dims));
    gc_test_poison(g);
}

static double norm_of(const gc_gram_desc *d, const view3 *v)
{
    double n = d->norm == GC_GRAM_NORM_HW ? 1.0 / (double)v->k
               : d->norm == GC_GRAM_NORM_CHW ? 1.0 / ((double)v->m * (double)v->k) : 1.0;
    return n * d->scale;
}

static void row_means(const gc_tensor *in, const view3 *v, int center, double *mu)
{
    for (int64_t b = 0; b < v->n; b++)
        for (int64_t i = 0; i < v->m; i++) {
            double s = 0;
            for (int64_t k = 0; center && k < v->k; k++)
                s += get(in, off3(v, b, i, k));
            mu[b * v->m + i] = center ? s / (double)v->k : 0.0;
        }
}

/* Forward: optimised on every ISA, `threads`, vs the reference; exact symmetry. */
static int check_forward(const gc_gram_desc *d, const gc_tensor *in, int exact, int threads,
                         const char *label)
{
    int bad = 0;
    const view3 v = as3(in);
    const double eps = in->dtype == GC_DTYPE_F32 ? FLT_EPSILON : DBL_EPSILON;
    const double alpha = fabs(norm_of(d, &v));
    double *mu = malloc(sizeof(double) * (size_t)(v.n * v.m));
    double *bound = malloc(sizeof(double) * (size_t)(v.n * v.m * v.m));
    row_means(in, &v, d->center, mu);
    for (int64_t b = 0; b < v.n; b++)
        for (int64_t i = 0; i < v.m; i++)
            for (int64_t j = 0; j < v.m; j++) {
                double s = 0;
                for (int64_t k = 0; k < v.k; k++)
                    s += (fabs(get(in, off3(&v, b, i, k))) + fabs(mu[b * v.m + i])) *
                         (fabs(get(in, off3(&v, b, j, k))) + fabs(mu[b * v.m + j]));
                bound[(b * v.m + i) * v.m + j] = (double)(v.k + 8) * eps * alpha * s;
            }
    gc_tensor ref;
    make_g(NULL, d, in, &ref);
    GC_CHECK_OK(gc_gram_forward_reference(NULL, d, in, &ref));
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, threads));
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect() && !bad; isa++) {
        GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
        gc_tensor g;
        make_g(ctx, d, in, &g);
        gc_status st = gc_gram_forward(ctx, d, in, &g);
        GC_CHECK_MSG(st == GC_OK, "%s isa %s: %s", label, gc_isa_name((gc_isa)isa),
                     gc_context_last_error(ctx));
        for (int64_t b = 0; st == GC_OK && b < v.n && !bad; b++)
            for (int64_t i = 0; i < v.m && !bad; i++)
                for (int64_t j = 0; j < v.m && !bad; j++) {
                    const double o = get(&g, goff(&g, b, i, j)), r = get(&ref, goff(&ref, b, i, j));
                    const double tol = exact ? 0.0 : bound[(b * v.m + i) * v.m + j];
                    if (!(fabs(o - r) <= tol)) {
                        GC_CHECK_MSG(0, "%s isa %s threads %d: G[%lld][%lld][%lld] = %.17g, want %.17g (tol %.3g)",
                                     label, gc_isa_name((gc_isa)isa), threads, (long long)b,
                                     (long long)i, (long long)j, o, r, tol);
                        bad++;
                    }
                    const size_t es = gc_dtype_size(g.dtype);
                    if (memcmp((char *)g.data + goff(&g, b, i, j) * (int64_t)es,
                               (char *)g.data + goff(&g, b, j, i) * (int64_t)es, es) != 0) {
                        GC_CHECK_MSG(0, "%s isa %s: G not exactly symmetric at (%lld, %lld)", label,
                                     gc_isa_name((gc_isa)isa), (long long)i, (long long)j);
                        bad++;
                    }
                }
        gc_tensor_free(&g);
    }
    gc_context_free(ctx);
    gc_tensor_free(&ref);
    free(bound);
    free(mu);
    return bad;
}

/* Backward (and accumulate): optimised on every ISA vs the reference. */
static int check_backward(const gc_gram_desc *d, const gc_tensor *in, int threads, gc_rng *rng,
                          const char *label)
{
    int bad = 0;
    const view3 v = as3(in);
    const double eps = in->dtype == GC_DTYPE_F32 ? FLT_EPSILON : DBL_EPSILON;
    const double alpha = fabs(norm_of(d, &v));
    gc_tensor dg, ref, gin0;
    make_g(NULL, d, in, &dg);
    gc_test_fill(&dg, rng, 0);
    GC_CHECK_OK(gc_tensor_create(NULL, &ref, in->dtype, in->rank, in->dims));
    GC_CHECK_OK(gc_tensor_create(NULL, &gin0, in->dtype, in->rank, in->dims));
    gc_test_fill(&gin0, rng, 0);
    GC_CHECK_OK(gc_gram_backward_reference(NULL, d, in, &dg, &ref));
    double *mu = malloc(sizeof(double) * (size_t)(v.n * v.m));
    row_means(in, &v, d->center, mu);
    const view3 vg = as3(&ref); /* ref, out: contiguous, input-shaped */
    double *bound = malloc(sizeof(double) * (size_t)(v.n * v.m * v.k));
    for (int64_t b = 0; b < v.n; b++)
        for (int64_t i = 0; i < v.m; i++)
            for (int64_t k = 0; k < v.k; k++) {
                double s = 0;
                for (int64_t j = 0; j < v.m; j++)
                    s += (fabs(get(&dg, goff(&dg, b, i, j))) + fabs(get(&dg, goff(&dg, b, j, i)))) *
                         (fabs(get(in, off3(&v, b, j, k))) + fabs(mu[b * v.m + j]));
                bound[(b * v.m + i) * v.k + k] = (double)(v.m + v.k / 64 + 8) * eps * alpha * s;
            }
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, threads));
    const double acc_alpha = -0.75;
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect() && !bad; isa++) {
        GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
        for (int accumulate = 0; accumulate < 2 && !bad; accumulate++) {
            gc_tensor out;
            GC_CHECK_OK(gc_tensor_create(NULL, &out, in->dtype, in->rank, in->dims));
            gc_status st;
            if (accumulate) {
                GC_CHECK_OK(gc_tensor_copy(&gin0, &out));
                st = gc_gram_backward_accumulate(ctx, d, in, &dg, acc_alpha, &out);
            } else {
                gc_test_poison(&out);
                st = gc_gram_backward(ctx, d, in, &dg, &out);
            }
            GC_CHECK_MSG(st == GC_OK, "%s isa %s: %s", label, gc_isa_name((gc_isa)isa),
                         gc_context_last_error(ctx));
            for (int64_t b = 0; st == GC_OK && b < v.n && !bad; b++)
                for (int64_t i = 0; i < v.m && !bad; i++)
                    for (int64_t k = 0; k < v.k && !bad; k++) {
                        const int64_t e = off3(&vg, b, i, k);
                        double want = get(&ref, e), tol = bound[(b * v.m + i) * v.k + k];
                        if (accumulate) {
                            want = get(&gin0, e) + acc_alpha * want;
                            tol = fabs(acc_alpha) * tol + 2 * eps * fabs(want) +
                                  eps * fabs(get(&gin0, e));
                        }
                        const double o = get(&out, e);
                        if (!(fabs(o - want) <= tol)) {
                            GC_CHECK_MSG(0, "%s isa %s acc %d: dF[%lld][%lld][%lld] = %.17g, want %.17g (tol %.3g)",
                                         label, gc_isa_name((gc_isa)isa), accumulate, (long long)b,
                                         (long long)i, (long long)k, o, want, tol);
                            bad++;
                        }
                    }
            gc_tensor_free(&out);
        }
    }
    gc_context_free(ctx);
    free(bound);
    free(mu);
    gc_tensor_free(&dg);
    gc_tensor_free(&ref);
    gc_tensor_free(&gin0);
    return bad;
}

/* ---- known answers ------------------------------------------------------------------ */

static void test_known_answers(void)
{
    /* F = [[1,2,3],[4,5,6]]: F F^T = [[14,32],[32,77]]; centred rows [-1,0,1] twice: all 2 */
    const double fv[] = {1, 2, 3, 4, 5, 6};
    const double want[3][4] = {{14, 32, 32, 77}, {14. / 3, 32. / 3, 32. / 3, 77. / 3},
                               {14. / 6, 32. / 6, 32. / 6, 77. / 6}};
    for (int di = 0; di < 2; di++)
        for (int ref = 0; ref < 2; ref++)
            for (int ni = 0; ni < 3; ni++)
                for (int c = 0; c < 2; c++) {
                    gc_tensor f, g;
                    GC_CHECK_OK(gc_tensor_create(NULL, &f, dtypes[di], 2, (int64_t[]){2, 3}));
                    for (int e = 0; e < 6; e++)
                        set(&f, e, fv[e]);
                    gc_gram_desc d = gc_gram_desc_default();
                    d.norm = norms[ni];
                    d.center = c;
                    make_g(NULL, &d, &f, &g);
                    GC_CHECK(g.rank == 2 && g.dims[0] == 2 && g.dims[1] == 2);
                    GC_CHECK_OK(ref ? gc_gram_forward_reference(NULL, &d, &f, &g)
                                    : gc_gram_forward(NULL, &d, &f, &g));
                    for (int e = 0; e < 4; e++) {
                        double w = c ? 2.0 * (ni == 0 ? 1 : ni == 1 ? 1. / 3 : 1. / 6) : want[ni][e];
                        if (dtypes[di] == GC_DTYPE_F32)
                            w = (float)w;
                        GC_CHECK_MSG(fabs(get(&g, e) - w) <= 4 * DBL_EPSILON * fabs(w) ||
                                         (dtypes[di] == GC_DTYPE_F32 && get(&g, e) == w),
                                     "norm %d center %d ref %d: %g vs %g", ni, c, ref, get(&g, e), w);
                    }
                    gc_tensor_free(&g);
                    gc_tensor_free(&f);
                }
    gc_gram_desc d = gc_gram_desc_default();
    GC_CHECK(d.norm == GC_GRAM_NORM_HW && d.scale == 1.0 && d.center == 0 &&
             d.precision == GC_PRECISION_DEFAULT);
    /* shapes */
    gc_tensor t;
    int rank;
    int64_t dims[GC_MAX_RANK];
    GC_CHECK_OK(gc_tensor_create(NULL, &t, GC_DTYPE_F32, 4, (int64_t[]){3, 5, 2, 7}));
    GC_CHECK_OK(gc_gram_shape(NULL, &d, &t, &rank, dims));
    GC_CHECK(rank == 3 && dims[0] == 3 && dims[1] == 5 && dims[2] == 5 && dims[3] == 0);
    gc_tensor_free(&t);
    GC_CHECK_OK(gc_tensor_create(NULL, &t, GC_DTYPE_F64, 3, (int64_t[]){6, 2, 7}));
    GC_CHECK_OK(gc_gram_shape(NULL, &d, &t, &rank, dims));
    GC_CHECK(rank == 2 && dims[0] == 6 && dims[1] == 6);
    gc_tensor_free(&t);
}

/* ---- optimised vs reference sweeps -------------------------------------------------- */

static void test_forward_sweep(void)
{
    /* M around the panels (4, 8, 16) and tiles (24 and 48 rows); K around the quads (4),
     * the packs' 16-column blocks, KC = 256 and the 1024 the forward takes for M <= 96 */
    const int64_t ms[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 33, 47, 48, 49, 65};
    const int64_t ks[] = {1, 2, 3, 5, 16, 17, 255, 256, 257, 530, 1023, 1025};
    gc_rng rng = {7};
    int fails = 0;
    int combo = 0;
    for (size_t a = 0; a < sizeof ms / sizeof ms[0] && fails < 3; a++)
        for (size_t c = 0; c < sizeof ks / sizeof ks[0] && fails < 3; c++, combo++) {
            const int64_t m = ms[a], k = ks[c];
            const gc_dtype dt = dtypes[combo & 1];
            const int integers = (combo % 3) == 0;
            gc_gram_desc d = gc_gram_desc_default();
            d.norm = integers ? GC_GRAM_NORM_NONE : norms[combo % 3];
            d.center = !integers && (combo % 4) >= 2;
            d.scale = integers ? 1.0 : 0.5 + (double)(combo % 5);
            const int layout = (combo / 2) % 4;
            const int threads = 1 + (combo % 3);
            gc_tensor base, in;
            make_input(&base, &in, dt, 2, (int64_t[]){m, k}, layout, &rng, integers);
            char label[128];
            snprintf(label, sizeof label, "M=%lld K=%lld %s layout %d norm %d center %d",
                     (long long)m, (long long)k, gc_dtype_name(dt), layout, (int)d.norm, d.center);
            fails += check_forward(&d, &in, integers, threads, label);
            gc_tensor_free(&base);
        }
}

static void test_forward_ranks_batches(void)
{
    gc_rng rng = {11};
    const int64_t shapes[][4] = {{1, 5, 3, 4},  {3, 17, 5, 7}, {2, 33, 16, 17}, {4, 8, 1, 1},
                                 {1, 1, 1, 1},  {5, 2, 3, 3},  {2, 49, 9, 31}};
    int fails = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0] && fails < 3; s++)
        for (int layout = 0; layout < 4 && fails < 3; layout++)
            for (int rank = 3; rank <= 4; rank++) {
                const gc_dtype dt = dtypes[(s + (size_t)layout) & 1];
                const int64_t *dims = rank == 4 ? shapes[s] : shapes[s] + 1;
                gc_gram_desc d = gc_gram_desc_default();
                d.center = layout & 1;
                d.norm = norms[(s + (size_t)rank) % 3];
                gc_tensor base, in;
                make_input(&base, &in, dt, rank, dims, layout, &rng, 0);
                char label[128];
                snprintf(label, sizeof label, "rank %d shape %lldx%lldx%lld(x%lld) %s layout %d", rank,
                         (long long)dims[0], (long long)dims[1], (long long)dims[2],
                         (long long)(rank == 4 ? dims[3] : 0), gc_dtype_name(dt), layout);
                for (int threads = 1; threads <= 3; threads += 2)
                    fails += check_forward(&d, &in, 0, threads, label);
                gc_tensor_free(&base);
            }
}

static void test_backward_sweep(void)
{
    gc_rng rng = {13};
    const int64_t shapes[][4] = {{1, 5, 3, 4},  {3, 17, 5, 7}, {2, 33, 4, 13}, {1, 9, 1, 1},
                                 {2, 1, 2, 3},  {1, 50, 7, 9}, {1, 16, 7, 7}};
    int fails = 0, combo = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0] && fails < 3; s++)
        for (int layout = 0; layout < 4 && fails < 3; layout++)
            for (int rank = 2; rank <= 4; rank++, combo++) {
                const gc_dtype dt = dtypes[combo & 1];
                int64_t dims[4];
                if (rank == 4)
                    memcpy(dims, shapes[s], sizeof dims);
                else if (rank == 3)
                    memcpy(dims, shapes[s] + 1, 3 * sizeof(int64_t));
                else
                    dims[0] = shapes[s][1], dims[1] = shapes[s][2] * shapes[s][3];
                gc_gram_desc d = gc_gram_desc_default();
                d.center = (combo / 2) & 1;
                d.norm = norms[combo % 3];
                d.scale = combo % 2 ? 1.0 : -2.5;
                gc_tensor base, in;
                make_input(&base, &in, dt, rank, dims, layout, &rng, 0);
                char label[128];
                snprintf(label, sizeof label, "backward rank %d M=%lld %s layout %d center %d", rank,
                         (long long)(rank == 4 ? dims[1] : dims[0]), gc_dtype_name(dt), layout,
                         d.center);
                fails += check_backward(&d, &in, 1 + combo % 3, &rng, label);
                gc_tensor_free(&base);
            }
}

/* Strided outputs and gradients (transposed G, narrowed dF). */
static void test_strided_outputs(void)
{
    gc_rng rng = {17};
    for (int di = 0; di < 2; di++) {
        gc_tensor in, gbase, g, ref, dbase, dfv, dfref, dg;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 4, (int64_t[]){2, 19, 5, 6}));
        gc_test_fill(&in, &rng, 0);
        gc_gram_desc d = gc_gram_desc_default();
        d.center = 1;
        GC_CHECK_OK(gc_tensor_create(NULL, &gbase, dtypes[di], 3, (int64_t[]){19, 2, 23}));
        gc_tensor tmp;
        GC_CHECK_OK(gc_tensor_narrow(&gbase, 2, 3, 19, &tmp));
        GC_CHECK_OK(gc_tensor_transpose(&tmp, 0, 1, &g)); /* 2 x 19 x 19, odd strides */
        make_g(NULL, &d, &in, &ref);
        GC_CHECK_OK(gc_gram_forward_reference(NULL, &d, &in, &ref));
        GC_CHECK_OK(gc_gram_forward(NULL, &d, &in, &g));
        GC_CHECK(gc_test_max_abs_diff(&g, &ref) <= 1e-5);
        /* backward into a narrowed, transposed gradient */
        make_g(NULL, &d, &in, &dg);
        gc_test_fill(&dg, &rng, 0);
        GC_CHECK_OK(gc_tensor_create(NULL, &dbase, dtypes[di], 4, (int64_t[]){2, 19, 9, 5}));
        GC_CHECK_OK(gc_tensor_narrow(&dbase, 2, 1, 6, &tmp));
        GC_CHECK_OK(gc_tensor_transpose(&tmp, 2, 3, &dfv)); /* 2 x 19 x 5 x 6 */
        GC_CHECK_OK(gc_tensor_create(NULL, &dfref, dtypes[di], 4, (int64_t[]){2, 19, 5, 6}));
        GC_CHECK_OK(gc_gram_backward_reference(NULL, &d, &in, &dg, &dfref));
        GC_CHECK_OK(gc_gram_backward(NULL, &d, &in, &dg, &dfv));
        GC_CHECK(gc_test_max_abs_diff(&dfv, &dfref) <= 1e-5);
        /* the fused loss with a transposed workspace, a narrowed target and the strided
         * gradient: bitwise the contiguous call (same values, same sum orders) */
        {
            gc_tensor tbase, tv, wbase, wv, wc, gc1, gc2;
            GC_CHECK_OK(gc_tensor_create(NULL, &tbase, dtypes[di], 3, (int64_t[]){2, 21, 19}));
            gc_test_fill(&tbase, &rng, 0);
            GC_CHECK_OK(gc_tensor_narrow(&tbase, 1, 1, 19, &tv));
            GC_CHECK_OK(gc_tensor_create(NULL, &wbase, dtypes[di], 3, (int64_t[]){19, 19, 2}));
            gc_tensor tmp2;
            GC_CHECK_OK(gc_tensor_transpose(&wbase, 0, 2, &tmp2)); /* 2 x 19 x 19 */
            wv = tmp2;
            make_g(NULL, &d, &in, &wc);
            GC_CHECK_OK(gc_tensor_create(NULL, &gc1, dtypes[di], 4, (int64_t[]){2, 19, 5, 6}));
            GC_CHECK_OK(gc_tensor_create(NULL, &gc2, dtypes[di], 4, (int64_t[]){2, 19, 5, 6}));
            gc_tensor tcont;
            GC_CHECK_OK(gc_tensor_contiguous(NULL, &tv, &tcont));
            double l1 = NAN, l2 = NAN;
            GC_CHECK_OK(gc_gram_style_loss(NULL, &d, &in, &tcont, 0.5, &l1, &gc1, &wc));
            GC_CHECK_OK(gc_gram_style_loss(NULL, &d, &in, &tv, 0.5, &l2, &dfv, &wv));
            GC_CHECK_OK(gc_tensor_copy(&dfv, &gc2));
            GC_CHECK(l1 == l2 && isfinite(l1));
            GC_CHECK(gc_test_max_abs_diff(&gc1, &gc2) == 0.0);
            GC_CHECK(gc_test_max_abs_diff(&wc, &wv) == 0.0);
            gc_tensor_free(&tbase);
            gc_tensor_free(&wbase);
            gc_tensor_free(&wc);
            gc_tensor_free(&gc1);
            gc_tensor_free(&gc2);
            gc_tensor_free(&tcont);
        }
        gc_tensor_free(&in);
        gc_tensor_free(&gbase);
        gc_tensor_free(&ref);
        gc_tensor_free(&dg);
        gc_tensor_free(&dbase);
        gc_tensor_free(&dfref);
    }
}

/* Bigger shapes through the SIMD tiles and the thread splits (100 x 4100: K split into
 * 2 and 3 parts with a reduction pass; the others: column split), vs the float64 reference
 * with the error bound above. */
static void test_forward_large(void)
{
    gc_rng rng = {19};
    const int64_t shapes[][2] = {{64, 4096}, {130, 700}, {200, 300}, {100, 4100}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int di = 0; di < 2; di++) {
            gc_tensor in;
            GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 2, shapes[s]));
            gc_test_fill(&in, &rng, 0);
            gc_gram_desc d = gc_gram_desc_default();
            d.center = (int)s & 1;
            char label[64];
            snprintf(label, sizeof label, "large %lldx%lld %s", (long long)shapes[s][0],
                     (long long)shapes[s][1], gc_dtype_name(dtypes[di]));
            check_forward(&d, &in, 0, 2, label);
            if (s == 3)
                check_forward(&d, &in, 0, 3, label);
            gc_tensor_free(&in);
        }
}

/* ---- structure: threads, batches --------------------------------------------------- */

static void test_threads_and_batches(void)
{
    gc_rng rng = {23};
    for (int di = 0; di < 2; di++) {
        gc_tensor in, g1, item, gi;
        const int64_t N = 3, C = 37, H = 11, W = 29;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 4, (int64_t[]){N, C, H, W}));
        gc_test_fill(&in, &rng, 0);
        gc_gram_desc d = gc_gram_desc_default();
        d.center = di;
        gc_context *ctx;
        GC_CHECK_OK(gc_context_create(&ctx));
        for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++) {
            GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
            /* batched == looped, bitwise, one thread */
            GC_CHECK_OK(gc_context_set_threads(ctx, 1));
            make_g(ctx, &d, &in, &g1);
            GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, &g1));
            for (int64_t b = 0; b < N; b++) {
                GC_CHECK_OK(gc_tensor_narrow(&in, 0, b, 1, &item));
                gc_tensor item3;
                GC_CHECK_OK(gc_tensor_view(&item, 3, (int64_t[]){C, H, W}, &item3));
                make_g(ctx, &d, &item3, &gi);
                GC_CHECK_OK(gc_gram_forward(ctx, &d, &item3, &gi));
                const size_t bytes = (size_t)(C * C) * gc_dtype_size(dtypes[di]);
                GC_CHECK_MSG(memcmp((char *)g1.data + (size_t)b * bytes, gi.data, bytes) == 0,
                             "batched != looped, item %lld isa %s", (long long)b,
                             gc_isa_name((gc_isa)isa));
                gc_tensor_free(&gi);
            }
            /* same thread count twice: bitwise; other counts: within rounding */
            for (int t = 1; t <= 4; t++) {
                GC_CHECK_OK(gc_context_set_threads(ctx, t));
                for (int64_t nb = 1; nb <= N; nb += N - 1) {
                    gc_tensor sub, ga, gb;
                    GC_CHECK_OK(gc_tensor_narrow(&in, 0, 0, nb, &sub));
                    make_g(ctx, &d, &sub, &ga);
                    make_g(ctx, &d, &sub, &gb);
                    GC_CHECK_OK(gc_gram_forward(ctx, &d, &sub, &ga));
                    GC_CHECK_OK(gc_gram_forward(ctx, &d, &sub, &gb));
                    int64_t n;
                    gc_tensor_numel(&ga, &n);
                    GC_CHECK(memcmp(ga.data, gb.data, (size_t)n * gc_dtype_size(dtypes[di])) == 0);
                    double worst = 0;
                    for (int64_t e = 0; e < n; e++) {
                        const double x = get(&ga, e), y = get(&g1, e);
                        worst = fmax(worst, fabs(x - y) / (fabs(y) + 1e-3));
                    }
                    GC_CHECK_MSG(worst <= (di ? 1e-12 : 1e-4), "threads %d: rel diff %g", t, worst);
                    gc_tensor_free(&ga);
                    gc_tensor_free(&gb);
                }
            }
            gc_tensor_free(&g1);
        }
        gc_context_free(ctx);
        gc_tensor_free(&in);
    }
}

/* Backward: the task split along K (whole items up to 8 MiB of packed input, else ~512 KiB
 * tasks; balanced over the threads, possibly empty tasks) changes no sum: dF is bitwise the
 * same for 1, 2, 3 and 5 threads, batched or not, accumulate included; and it matches the
 * reference. Shapes: fewer panels than threads, a few panels, > 8 MiB (float64, many tasks). */
static void test_backward_thread_split(void)
{
    gc_rng rng = {29};
    const struct { gc_dtype dt; int64_t n, c, h, w; } cases[] = {
        {GC_DTYPE_F32, 1, 9, 1, 40}, {GC_DTYPE_F32, 3, 20, 13, 19},
        {GC_DTYPE_F32, 1, 70, 5, 101}, {GC_DTYPE_F64, 1, 16, 70, 1000}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int64_t dims[4] = {cases[ci].n, cases[ci].c, cases[ci].h, cases[ci].w};
        gc_tensor in, dg, g1, gt;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, cases[ci].dt, 4, dims));
        gc_test_fill(&in, &rng, 0);
        const gc_gram_desc d = gc_gram_desc_default();
        make_g(NULL, &d, &in, &dg);
        gc_test_fill(&dg, &rng, 0);
        GC_CHECK_OK(gc_tensor_create(NULL, &g1, cases[ci].dt, 4, dims));
        GC_CHECK_OK(gc_tensor_create(NULL, &gt, cases[ci].dt, 4, dims));
        int64_t ne;
        gc_tensor_numel(&in, &ne);
        const size_t bytes = (size_t)ne * gc_dtype_size(cases[ci].dt);
        const int threads[4] = {1, 2, 3, 5};
        for (int acc = 0; acc < 2; acc++)
            for (int ti = 0; ti < 4; ti++) {
                gc_context *ctx;
                GC_CHECK_OK(gc_context_create(&ctx));
                GC_CHECK_OK(gc_context_set_threads(ctx, threads[ti]));
                gc_tensor *o = ti ? &gt : &g1;
                for (int64_t e = 0; e < ne; e++)
                    set(o, e, 0.25 * (double)(e % 7));
                if (acc)
                    GC_CHECK_OK(gc_gram_backward_accumulate(ctx, &d, &in, &dg, -0.5, o));
                else
                    GC_CHECK_OK(gc_gram_backward(ctx, &d, &in, &dg, o));
                if (ti)
                    GC_CHECK_MSG(memcmp(g1.data, gt.data, bytes) == 0,
                                 "case %zu accumulate %d: %d threads differ from 1", ci, acc,
                                 threads[ti]);
                gc_context_free(ctx);
            }
        if (ci < 3) /* and against the reference on these splits, every ISA */
            for (int t = 2; t <= 3; t++)
                GC_CHECK(check_backward(&d, &in, t, &rng, "thread split") == 0);
        gc_tensor_free(&in);
        gc_tensor_free(&dg);
        gc_tensor_free(&g1);
        gc_tensor_free(&gt);
    }
}

/* ---- the seed's formula on numpy goldens ------------------------------------------- */

/* gram_seed_in.npy: N x C x H x W float32; gram_seed_out.npy: numpy float64 of
 * torch.bmm(F.view(N, C, H*W), F.view(N, C, H*W).transpose(1, 2)) / H / W on the same
 * values; gram_seed_cov.npy: the centred form with norm C*H*W and scale 3. */
static void test_seed_golden(void)
{
    gc_tensor in = {0}, want = {0}, cov = {0};
    GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden("gram_seed_in.npy"), &in));
    GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden("gram_seed_out.npy"), &want));
    GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden("gram_seed_cov.npy"), &cov));
    if (in.rank != 4 || want.rank != 3 || cov.rank != 3) {
        GC_CHECK_MSG(0, "golden files missing or malformed");
        goto done;
    }
    for (int di = 0; di < 2; di++) {
        gc_tensor x;
        GC_CHECK_OK(gc_tensor_create(NULL, &x, dtypes[di], 4, in.dims));
        GC_CHECK_OK(gc_tensor_copy(&in, &x));
        for (int which = 0; which < 2; which++) {
            gc_gram_desc d = gc_gram_desc_default();
            if (which) {
                d.norm = GC_GRAM_NORM_CHW;
                d.center = 1;
                d.scale = 3.0;
            }
            const gc_tensor *w = which ? &cov : &want;
            gc_context *ctx;
            GC_CHECK_OK(gc_context_create(&ctx));
            for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++) {
                GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
                gc_tensor g;
                make_g(ctx, &d, &x, &g);
                GC_CHECK_OK(gc_gram_forward(ctx, &d, &x, &g));
                int64_t n;
                gc_tensor_numel(&g, &n);
                double worst = 0;
                for (int64_t e = 0; e < n; e++)
                    worst = fmax(worst, fabs(get(&g, e) - get(w, e)));
                /* |G| <= ~1 here; K = 63 terms: (K + 8) eps */
                GC_CHECK_MSG(worst <= 71 * (di ? DBL_EPSILON * 4 : FLT_EPSILON),
                             "seed golden %d %s isa %s: max diff %g", which,
                             gc_dtype_name(dtypes[di]), gc_isa_name((gc_isa)isa), worst);
                gc_tensor_free(&g);
            }
            gc_context_free(ctx);
        }
        gc_tensor_free(&x);
    }
done:
    gc_tensor_free(&in);
    gc_tensor_free(&want);
    gc_tensor_free(&cov);
}

/* ---- finite differences ------------------------------------------------------------ */

/* L(F) = sum dG .* G(F) (dG not symmetric); dL/dF by central differences in float64. */
static double lin_loss(const gc_gram_desc *d, const gc_tensor *in, const gc_tensor *dg, gc_tensor *g)
{
    GC_CHECK_OK(gc_gram_forward(NULL, d, in, g));
    int64_t n;
    gc_tensor_numel(g, &n);
    double s = 0;
    for (int64_t e = 0; e < n; e++)
        s += get(dg, e) * get(g, e);
    return s;
}

static void test_gradient_fd(void)
{
    gc_rng rng = {29};
    const int64_t dims[4] = {2, 3, 2, 3};
    for (int ni = 0; ni < 3; ni++)
        for (int c = 0; c < 2; c++) {
            gc_gram_desc d = gc_gram_desc_default();
            d.norm = norms[ni];
            d.center = c;
            d.scale = 1.7;
            gc_tensor in, g, dg, grad, gref, acc;
            GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F64, 4, dims));
            gc_test_fill(&in, &rng, 0);
            make_g(NULL, &d, &in, &g);
            make_g(NULL, &d, &in, &dg);
            gc_test_fill(&dg, &rng, 0);
            GC_CHECK_OK(gc_tensor_create(NULL, &grad, GC_DTYPE_F64, 4, dims));
            GC_CHECK_OK(gc_tensor_create(NULL, &gref, GC_DTYPE_F64, 4, dims));
            GC_CHECK_OK(gc_tensor_create(NULL, &acc, GC_DTYPE_F64, 4, dims));
            GC_CHECK_OK(gc_gram_backward(NULL, &d, &in, &dg, &grad));
            GC_CHECK_OK(gc_gram_backward_reference(NULL, &d, &in, &dg, &gref));
            gc_test_fill(&acc, &rng, 0);
            gc_tensor acc0;
            GC_CHECK_OK(gc_tensor_contiguous(NULL, &acc, &acc0));
            GC_CHECK_OK(gc_gram_backward_accumulate(NULL, &d, &in, &dg, 0.5, &acc));
            int64_t n;
            gc_tensor_numel(&in, &n);
            const double h = 1e-5;
            for (int64_t e = 0; e < n; e++) {
                const double x = get(&in, e);
                set(&in, e, x + h);
                const double lp = lin_loss(&d, &in, &dg, &g);
                set(&in, e, x - h);
                const double lm = lin_loss(&d, &in, &dg, &g);
                set(&in, e, x);
                const double fd = (lp - lm) / (2 * h);
                /* central differences of a quadratic: exact up to rounding ~ eps |L| / h */
                const double tol = 1e-7 * (1 + fabs(fd));
                GC_CHECK_MSG(fabs(get(&grad, e) - fd) <= tol, "norm %d center %d e %lld: %.12g vs fd %.12g",
                             ni, c, (long long)e, get(&grad, e), fd);
                GC_CHECK(fabs(get(&gref, e) - fd) <= tol);
                GC_CHECK(fabs(get(&acc, e) - (get(&acc0, e) + 0.5 * fd)) <= tol);
            }
            gc_tensor_free(&in);
            gc_tensor_free(&g);
            gc_tensor_free(&dg);
            gc_tensor_free(&grad);
            gc_tensor_free(&gref);
            gc_tensor_free(&acc);
            gc_tensor_free(&acc0);
        }
}

static void test_style_loss_fd(void)
{
    gc_rng rng = {31};
    const int64_t dims[3] = {4, 3, 2};
    for (int ni = 0; ni < 3; ni++)
        for (int c = 0; c < 2; c++) {
            gc_gram_desc d = gc_gram_desc_default();
            d.norm = norms[ni];
            d.center = c;
            d.scale = 0.8;
            const double weight = 2.5;
            gc_tensor in, t, ws, grad;
            GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F64, 3, dims));
            gc_test_fill(&in, &rng, 0);
            make_g(NULL, &d, &in, &t);
            gc_test_fill(&t, &rng, 0);
            make_g(NULL, &d, &in, &ws);
            GC_CHECK_OK(gc_tensor_create(NULL, &grad, GC_DTYPE_F64, 3, dims));
            double loss = NAN, loss2 = NAN;
            GC_CHECK_OK(gc_gram_style_loss(NULL, &d, &in, &t, weight, &loss, &grad, &ws));
            GC_CHECK_OK(gc_gram_style_loss(NULL, &d, &in, &t, weight, &loss2, NULL, &ws));
            GC_CHECK(loss == loss2 && isfinite(loss));
            int64_t n;
            gc_tensor_numel(&in, &n);
            const double h = 1e-5;
            for (int64_t e = 0; e < n; e++) {
                const double x = get(&in, e);
                double lp, lm;
                set(&in, e, x + h);
                GC_CHECK_OK(gc_gram_style_loss(NULL, &d, &in, &t, weight, &lp, NULL, &ws));
                set(&in, e, x - h);
                GC_CHECK_OK(gc_gram_style_loss(NULL, &d, &in, &t, weight, &lm, NULL, &ws));
                set(&in, e, x);
                const double fd = (lp - lm) / (2 * h);
                /* quartic in F: the h^2 term is ~ h^2 |L'''| plus rounding eps |L| / h */
                const double tol = 1e-6 * (1 + fabs(fd));
                GC_CHECK_MSG(fabs(get(&grad, e) - fd) <= tol, "norm %d center %d e %lld: %.12g vs fd %.12g",
                             ni, c, (long long)e, get(&grad, e), fd);
            }
            gc_tensor_free(&in);
            gc_tensor_free(&t);
            gc_tensor_free(&ws);
            gc_tensor_free(&grad);
        }
}

/* Fused == unfused: G by gc_gram_forward, W = G - T, loss = weight mean(W^2), grad =
 * backward with dG = 2 weight / numel * W. The loss is bitwise the same (same G, same sum
 * order); the gradient within the backward bound. */
static void test_style_loss_unfused(void)
{
    gc_rng rng = {37};
    for (int di = 0; di < 2; di++)
        for (int c = 0; c < 2; c++) {
            const int64_t dims[4] = {2, 21, 6, 9};
            gc_gram_desc d = gc_gram_desc_default();
            d.center = c;
            d.norm = c ? GC_GRAM_NORM_CHW : GC_GRAM_NORM_HW;
            const double weight = 1e3;
            gc_tensor in, t, ws, grad, g, dg, grad2;
            GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 4, dims));
            gc_test_fill(&in, &rng, 0);
            make_g(NULL, &d, &in, &t);
            gc_test_fill(&t, &rng, 0);
            make_g(NULL, &d, &in, &ws);
            make_g(NULL, &d, &in, &g);
            make_g(NULL, &d, &in, &dg);
            GC_CHECK_OK(gc_tensor_create(NULL, &grad, dtypes[di], 4, dims));
            GC_CHECK_OK(gc_tensor_create(NULL, &grad2, dtypes[di], 4, dims));
            double loss = NAN;
            GC_CHECK_OK(gc_gram_style_loss(NULL, &d, &in, &t, weight, &loss, &grad, &ws));
            GC_CHECK_OK(gc_gram_forward(NULL, &d, &in, &g));
            int64_t n;
            gc_tensor_numel(&g, &n);
            double s = 0;
            for (int64_t e = 0; e < n; e++) {
                const double w = get(&g, e) - get(&t, e);
                set(&dg, e, w);
                const double wr = get(&dg, e); /* rounded to the dtype, as the workspace */
                GC_CHECK(get(&ws, e) == wr);
                s += wr * wr;
                set(&dg, e, 2.0 * weight / (double)n * wr);
            }
            GC_CHECK_MSG(loss == weight * s / (double)n, "loss %.17g vs %.17g", loss,
                         weight * s / (double)n);
            GC_CHECK_OK(gc_gram_backward(NULL, &d, &in, &dg, &grad2));
            int64_t ni;
            gc_tensor_numel(&in, &ni);
            double worst = 0, scale = 0;
            for (int64_t e = 0; e < ni; e++) {
                worst = fmax(worst, fabs(get(&grad, e) - get(&grad2, e)));
                scale = fmax(scale, fabs(get(&grad2, e)));
            }
            GC_CHECK_MSG(worst <= 64 * (di ? DBL_EPSILON : FLT_EPSILON) * scale,
                         "fused vs unfused gradient: %g (scale %g)", worst, scale);
            gc_tensor_free(&in);
            gc_tensor_free(&t);
            gc_tensor_free(&ws);
            gc_tensor_free(&grad);
            gc_tensor_free(&grad2);
            gc_tensor_free(&g);
            gc_tensor_free(&dg);
        }
}

/* ---- float32 accuracy at large H*W ------------------------------------------------- */

/* C = 8, H*W = 2^21, values uniform in [0, 1) (a non-zero mean: the hard case for plain
 * float32 summation, whose error would grow like K eps). Relative Frobenius error against
 * the float64 path on the same values must stay <= 1e-5 on every ISA and thread count. */
static void test_f32_accuracy_large_k(void)
{
    const int64_t C = 8, K = 1 << 21;
    gc_tensor in, in64, g64;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 3, (int64_t[]){C, 1024, K / 1024}));
    GC_CHECK_OK(gc_tensor_create(NULL, &in64, GC_DTYPE_F64, 3, in.dims));
    float *x = in.data;
    gc_rng rng = {41};
    for (int64_t e = 0; e < C * K; e++)
        x[e] = (float)(0.5 * gc_rng_next(&rng) + 0.5);
    GC_CHECK_OK(gc_tensor_copy(&in, &in64));
    for (int c = 0; c < 2; c++) {
        gc_gram_desc d = gc_gram_desc_default();
        d.center = c;
        make_g(NULL, &d, &in64, &g64);
        GC_CHECK_OK(gc_gram_forward(NULL, &d, &in64, &g64));
        gc_context *ctx;
        GC_CHECK_OK(gc_context_create(&ctx));
        for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++)
            for (int t = 1; t <= 2; t++) {
                GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
                GC_CHECK_OK(gc_context_set_threads(ctx, t));
                gc_tensor g;
                make_g(ctx, &d, &in, &g);
                GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, &g));
                double num = 0, den = 0;
                for (int64_t e = 0; e < C * C; e++) {
                    const double r = ((double *)g64.data)[e], o = ((float *)g.data)[e];
                    num += (o - r) * (o - r);
                    den += r * r;
                }
                const double rel = sqrt(num / den);
                GC_CHECK_MSG(rel <= 1e-5, "center %d isa %s threads %d: relative error %g", c,
                             gc_isa_name((gc_isa)isa), t, rel);
                gc_tensor_free(&g);
            }
        gc_context_free(ctx);
        gc_tensor_free(&g64);
    }
    gc_tensor_free(&in);
    gc_tensor_free(&in64);
}

/* ---- refusals ------------------------------------------------------------------------ */

static void test_refusals(void)
{
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_gram_desc d = gc_gram_desc_default();
    gc_tensor in, g, g64, t, ws, grad, bad;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 3, (int64_t[]){4, 3, 5}));
    GC_CHECK_OK(gc_tensor_create(NULL, &g, GC_DTYPE_F32, 2, (int64_t[]){4, 4}));
    GC_CHECK_OK(gc_tensor_create(NULL, &g64, GC_DTYPE_F64, 2, (int64_t[]){4, 4}));
    GC_CHECK_OK(gc_tensor_create(NULL, &t, GC_DTYPE_F32, 2, (int64_t[]){4, 4}));
    GC_CHECK_OK(gc_tensor_create(NULL, &ws, GC_DTYPE_F32, 2, (int64_t[]){4, 4}));
    GC_CHECK_OK(gc_tensor_create(NULL, &grad, GC_DTYPE_F32, 3, (int64_t[]){4, 3, 5}));
    int rank;
    int64_t dims[GC_MAX_RANK];
    double loss;

    /* NULLs */
    GC_CHECK_STATUS(gc_gram_forward(ctx, NULL, &in, &g), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, NULL, &g), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_forward_reference(ctx, &d, &in, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_shape(ctx, &d, &in, NULL, dims), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &in, NULL, &grad), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &in, &g, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_backward_reference(ctx, &d, &in, &g, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, NULL, &grad, &ws), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, NULL, 1.0, &loss, &grad, &ws), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, &loss, &grad, NULL), GC_ERR_NULL);
    /* desc fields */
    d.scale = NAN;
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &g), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "scale") != NULL);
    d.scale = INFINITY;
    GC_CHECK_STATUS(gc_gram_shape(ctx, &d, &in, &rank, dims), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_gram_forward_reference(ctx, &d, &in, &g), GC_ERR_ARG);
    d = gc_gram_desc_default();
    d.norm = (gc_gram_norm)7;
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &g), GC_ERR_ARG);
    d = gc_gram_desc_default();
    d.precision = (gc_precision)9;
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &g), GC_ERR_ARG);
    d.precision = GC_PRECISION_BF16;
    {
        gc_status st = gc_gram_forward(ctx, &d, &in, &g); /* works only with AVX512-BF16 */
        GC_CHECK(st == GC_OK || st == GC_ERR_UNSUPPORTED);
        if (gc_isa_detect() > GC_ISA_SCALAR) {
            GC_CHECK_OK(gc_context_set_isa(ctx, GC_ISA_SCALAR));
            GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &g), GC_ERR_UNSUPPORTED);
            GC_CHECK(strstr(gc_context_last_error(ctx), "bf16") != NULL);
            GC_CHECK_OK(gc_context_set_isa(ctx, GC_ISA_AUTO));
        }
    }
    d = gc_gram_desc_default();
    GC_CHECK_STATUS(gc_gram_backward_accumulate(ctx, &d, &in, &g, NAN, &grad), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, INFINITY, &loss, &grad, &ws), GC_ERR_ARG);
    /* ranks */
    GC_CHECK_OK(gc_tensor_create(NULL, &bad, GC_DTYPE_F32, 1, (int64_t[]){4}));
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &bad, &g), GC_ERR_RANK);
    GC_CHECK_STATUS(gc_gram_shape(ctx, &d, &bad, &rank, dims), GC_ERR_RANK);
    gc_tensor_free(&bad);
    GC_CHECK_OK(gc_tensor_create(NULL, &bad, GC_DTYPE_F32, 5, (int64_t[]){1, 1, 4, 3, 5}));
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &bad, &g), GC_ERR_RANK);
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &bad, &g, &grad), GC_ERR_RANK);
    gc_tensor_free(&bad);
    /* empty dims */
    for (int i = 0; i < 3; i++) {
        int64_t ed[3] = {4, 3, 5};
        ed[i] = 0;
        GC_CHECK_OK(gc_tensor_create(NULL, &bad, GC_DTYPE_F32, 3, ed));
        GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &bad, &g), GC_ERR_EMPTY);
        GC_CHECK_STATUS(gc_gram_shape(ctx, &d, &bad, &rank, dims), GC_ERR_EMPTY);
        gc_tensor_free(&bad);
    }
    /* dtypes */
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &g64), GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_gram_forward_reference(ctx, &d, &in, &g64), GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &in, &g64, &grad), GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &g64, 1.0, &loss, &grad, &ws), GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, &loss, &grad, &g64), GC_ERR_DTYPE);
    GC_CHECK_OK(gc_tensor_create(NULL, &bad, GC_DTYPE_F64, 3, (int64_t[]){4, 3, 5}));
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &in, &g, &bad), GC_ERR_DTYPE);
    d.precision = GC_PRECISION_BF16;
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &bad, &g64), GC_ERR_DTYPE);
    d = gc_gram_desc_default();
    gc_tensor_free(&bad);
    gc_tensor dtbad = in;
    dtbad.dtype = (gc_dtype)9;
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &dtbad, &g), GC_ERR_DTYPE);
    /* shapes */
    GC_CHECK_OK(gc_tensor_create(NULL, &bad, GC_DTYPE_F32, 2, (int64_t[]){4, 3}));
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &bad), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &in, &bad, &grad), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &bad, 1.0, &loss, &grad, &ws), GC_ERR_SHAPE);
    GC_CHECK(strstr(gc_context_last_error(ctx), "target") != NULL);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, &loss, &grad, &bad), GC_ERR_SHAPE);
    gc_tensor_free(&bad);
    GC_CHECK_OK(gc_tensor_create(NULL, &bad, GC_DTYPE_F32, 3, (int64_t[]){1, 4, 4}));
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &bad), GC_ERR_SHAPE); /* rank-3 G for a 3-D input */
    gc_tensor_free(&bad);
    GC_CHECK_OK(gc_tensor_create(NULL, &bad, GC_DTYPE_F32, 3, (int64_t[]){4, 5, 3}));
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &in, &g, &bad), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_gram_backward_reference(ctx, &d, &in, &g, &bad), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, &loss, &bad, &ws), GC_ERR_SHAPE);
    gc_tensor_free(&bad);
    /* aliasing */
    gc_tensor alias;
    GC_CHECK_OK(gc_tensor_wrap(&alias, GC_DTYPE_F32, 2, (int64_t[]){4, 4}, NULL, in.data));
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &alias), GC_ERR_ALIAS);
    GC_CHECK_STATUS(gc_gram_forward_reference(ctx, &d, &in, &alias), GC_ERR_ALIAS);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, &loss, &grad, &alias), GC_ERR_ALIAS);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, &loss, &grad, &t), GC_ERR_ALIAS);
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &in, &g, &in), GC_ERR_ALIAS);
    GC_CHECK_STATUS(gc_gram_backward_accumulate(ctx, &d, &in, &g, 1.0, &in), GC_ERR_ALIAS);
    GC_CHECK_STATUS(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, &loss, &in, &ws), GC_ERR_ALIAS);
    gc_tensor galias;
    GC_CHECK_OK(gc_tensor_wrap(&galias, GC_DTYPE_F32, 3, (int64_t[]){4, 3, 5}, NULL, g.data));
    GC_CHECK_STATUS(gc_gram_backward(ctx, &d, &in, &g, &galias), GC_ERR_ALIAS);
    gc_tensor wsalias;
    GC_CHECK_OK(gc_tensor_wrap(&wsalias, GC_DTYPE_F32, 3, (int64_t[]){4, 3, 5}, NULL, ws.data));
    (void)wsalias; /* 60 floats over a 16-float workspace: overlaps */
    /* broadcast output */
    gc_tensor bc;
    GC_CHECK_OK(gc_tensor_wrap(&bc, GC_DTYPE_F32, 2, (int64_t[]){4, 4}, (int64_t[]){0, 1}, t.data));
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &bc), GC_ERR_LAYOUT);
    /* nothing written by a refused call */
    gc_test_poison(&g);
    GC_CHECK_STATUS(gc_gram_forward(ctx, &d, &in, &alias), GC_ERR_ALIAS);
    GC_CHECK(isnan(((float *)g.data)[0]));
    /* the good calls work */
    GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, &g));
    GC_CHECK_OK(gc_gram_style_loss(ctx, &d, &in, &t, 1.0, &loss, &grad, &ws));
    GC_CHECK_OK(gc_gram_style_loss(ctx, &d, &in, &in, 1.0, &loss, NULL, &ws) == GC_ERR_SHAPE ? GC_OK : GC_ERR_INTERNAL);
    gc_tensor_free(&in);
    gc_tensor_free(&g);
    gc_tensor_free(&g64);
    gc_tensor_free(&t);
    gc_tensor_free(&ws);
    gc_tensor_free(&grad);
    gc_context_free(ctx);
}

/* NaN / Inf in F reach exactly the entries of G that read them. */
static void test_nan_inf(void)
{
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++) {
        gc_context *ctx;
        GC_CHECK_OK(gc_context_create(&ctx));
        GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
        gc_tensor in, g;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 2, (int64_t[]){20, 300}));
        gc_rng rng = {43};
        gc_test_fill(&in, &rng, 0);
        ((float *)in.data)[3 * 300 + 280] = NAN;
        gc_gram_desc d = gc_gram_desc_default();
        make_g(ctx, &d, &in, &g);
        GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, &g));
        const float *o = g.data;
        for (int i = 0; i < 20; i++)
            for (int j = 0; j < 20; j++)
                GC_CHECK((i == 3 || j == 3) ? isnan(o[i * 20 + j]) : isfinite(o[i * 20 + j]));
        gc_tensor_free(&g);
        gc_tensor_free(&in);
        gc_context_free(ctx);
    }
}

/* GC_PRECISION_BF16 (where the CPU has AVX512-BF16): against the reference, which rounds
 * the same float32 operands to bf16 and sums in float64, the only difference is the float32
 * summation: the forward bound of check_forward (with |F| in place of |bf16(F)|, within
 * 2^-8 of it, inside the (K + 8) slack). Against the exact float64 Gram: each product is off
 * by at most ~2^-8 relative, so the relative Frobenius error stays below 1e-2. */
static void test_bf16(void)
{
    gc_rng rng = {47};
    /* K = 12, 99, 528, 1 and 2397 (two chunks of the bf16 set's 2048 columns, an odd tail) */
    const int64_t shapes[][4] = {{1, 5, 3, 4}, {2, 37, 9, 11}, {1, 70, 16, 33}, {3, 16, 1, 1},
                                 {1, 29, 47, 51}};
    gc_gram_desc d = gc_gram_desc_default();
    d.precision = GC_PRECISION_BF16;
    {
        gc_tensor in, g;
        GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 2, (int64_t[]){3, 5}));
        make_g(NULL, &d, &in, &g);
        const gc_status st = gc_gram_forward(NULL, &d, &in, &g);
        gc_tensor_free(&in);
        gc_tensor_free(&g);
        if (st == GC_ERR_UNSUPPORTED) {
            printf("     (bf16 not available here: skipped)\n");
            return;
        }
        GC_CHECK_OK(st);
    }
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int c = 0; c < 2; c++)
            for (int layout = 0; layout < 3; layout += 2) {
                d.center = c;
                gc_tensor base, in;
                make_input(&base, &in, GC_DTYPE_F32, 4, shapes[s], layout, &rng, 0);
                const view3 v = as3(&in);
                gc_tensor ref, g, exact;
                make_g(NULL, &d, &in, &ref);
                make_g(NULL, &d, &in, &g);
                GC_CHECK_OK(gc_gram_forward_reference(NULL, &d, &in, &ref));
                for (int t = 1; t <= 2; t++) {
                    gc_context *ctx;
                    GC_CHECK_OK(gc_context_create(&ctx));
                    GC_CHECK_OK(gc_context_set_threads(ctx, t));
                    GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, &g));
                    gc_context_free(ctx);
                    for (int64_t b = 0; b < v.n; b++)
                        for (int64_t i = 0; i < v.m; i++)
                            for (int64_t j = 0; j < v.m; j++) {
                                double sabs = 0;
                                for (int64_t k = 0; k < v.k; k++)
                                    sabs += fabs(get(&in, off3(&v, b, i, k))) * fabs(get(&in, off3(&v, b, j, k)));
                                const double tol = (double)(v.k + 8) * FLT_EPSILON * 2 * sabs / (double)v.k;
                                const double o = get(&g, goff(&g, b, i, j)), r = get(&ref, goff(&ref, b, i, j));
                                GC_CHECK_MSG(fabs(o - r) <= tol || c, "bf16 shape %zu: %g vs %g", s, o, r);
                                GC_CHECK_MSG(fabs(o - r) <= 4 * tol || !c, "bf16 centred shape %zu: %g vs %g", s, o, r);
                                GC_CHECK(o == get(&g, goff(&g, b, j, i)));
                            }
                }
                /* against the exact Gram */
                gc_gram_desc d64 = d;
                d64.precision = GC_PRECISION_DEFAULT;
                make_g(NULL, &d64, &in, &exact);
                GC_CHECK_OK(gc_gram_forward_reference(NULL, &d64, &in, &exact));
                int64_t n;
                gc_tensor_numel(&g, &n);
                double num = 0, den = 0;
                for (int64_t e = 0; e < n; e++) {
                    num += (get(&g, e) - get(&exact, e)) * (get(&g, e) - get(&exact, e));
                    den += get(&exact, e) * get(&exact, e);
                }
                if (den > 0)
                    GC_CHECK_MSG(sqrt(num / den) <= 1e-2, "bf16 relative error %g", sqrt(num / den));
                else
                    GC_CHECK(num == 0); /* K = 1 centred: G = 0 exactly */
                /* backward and the style loss run (backward in float32 whatever the precision) */
                gc_tensor grad, ws;
                GC_CHECK_OK(gc_tensor_create(NULL, &grad, GC_DTYPE_F32, 4, shapes[s]));
                make_g(NULL, &d, &in, &ws);
                double loss = NAN;
                GC_CHECK_OK(gc_gram_style_loss(NULL, &d, &in, &exact, 1.0, &loss, &grad, &ws));
                GC_CHECK(isfinite(loss) && loss >= 0);
                gc_tensor_free(&grad);
                gc_tensor_free(&ws);
                gc_tensor_free(&exact);
                gc_tensor_free(&ref);
                gc_tensor_free(&g);
                gc_tensor_free(&base);
            }
}

/* The forward fetches the next chunk of F under the current one's SYRK tiles (contiguous k
 * only): that must change no bit. Contiguous input (prefetched) vs the same values in a view
 * with k stride 2 (staged, never prefetched), several chunks, M not a multiple of a panel. */
/* The float32 forward's two blockings of the quad set (AVX-512): bands from L1 with short
 * chunks (an L1D of 48 KiB, M >= 128) and bands from L2 with long chunks (32 KiB), both
 * forced here whatever L1D this CPU has: each against the reference on odd M and K around
 * the chunk widths, strided views, and the same bits for 1 and 2 threads. Without AVX-512
 * (or under GC_ISA=avx2|scalar) the quad set does not run and these shapes only hold the
 * other paths to the reference, like every ISA loop of this file (no skip: the rest of the
 * unit run would be reported as skipped with it). */
static void test_forward_l1_bands(void)
{
    const int64_t shapes[][2] = {{128, 257}, {131, 1000}, {200, 513}, {257, 300}};
    gc_rng rng = {41};
    for (int l1 = 0; l1 < 2; l1++) {
        gc_cpu_l1d_override(l1 ? 48 << 10 : 32 << 10);
        const gc_gram_kernels k = gc_gram_fwd_kernels_for(GC_ISA_AVX512, GC_DTYPE_F32);
        if (gc_isa_detect() >= GC_ISA_AVX512)
            GC_CHECK_MSG(gc_gram_l1_bands(&k, 260) == l1 && gc_gram_l1_bands(&k, 124) == 0 &&
                             gc_gram_chunk_cols(&k, 260) == (l1 ? 256 : 1024),
                         "l1 %d: the quad set's blocking choice", l1);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const int64_t m = shapes[s][0], kk = shapes[s][1];
            const int integers = (int)(s % 2), layout = (int)s;
            gc_gram_desc d = gc_gram_desc_default();
            d.norm = integers ? GC_GRAM_NORM_NONE : GC_GRAM_NORM_HW;
            d.center = s == 2;
            gc_tensor base, in;
            make_input(&base, &in, GC_DTYPE_F32, 2, (int64_t[]){m, kk}, layout, &rng, integers);
            char label[96];
            snprintf(label, sizeof label, "l1 %d M=%lld K=%lld layout %d", l1, (long long)m,
                     (long long)kk, layout);
            check_forward(&d, &in, integers, 2, label);
            gc_tensor g1, g2;
            make_g(NULL, &d, &in, &g1);
            make_g(NULL, &d, &in, &g2);
            for (int t = 1; t <= 2; t++) {
                gc_context *ctx;
                GC_CHECK_OK(gc_context_create(&ctx));
                GC_CHECK_OK(gc_context_set_threads(ctx, t));
                GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, t == 1 ? &g1 : &g2));
                gc_context_free(ctx);
            }
            GC_CHECK_MSG(memcmp(g1.data, g2.data, (size_t)(m * m) * sizeof(float)) == 0,
                         "%s: 1 and 2 threads differ", label);
            gc_tensor_free(&g2);
            gc_tensor_free(&g1);
            gc_tensor_free(&base);
        }
    }
    gc_cpu_l1d_override(0);
}

static void test_forward_prefetch_bits(void)
{
    gc_rng rng = {23};
    const int64_t shapes[][2] = {{40, 5000}, {257, 1100}, {7, 9000}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int di = 0; di < 2; di++) {
            const int64_t m = shapes[s][0], k = shapes[s][1];
            gc_tensor in, wide, view, g1, g2;
            GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 2, shapes[s]));
            gc_test_fill(&in, &rng, 0);
            GC_CHECK_OK(gc_tensor_create(NULL, &wide, dtypes[di], 2, (int64_t[]){m, 2 * k}));
            const size_t es = gc_dtype_size(dtypes[di]);
            for (int64_t i = 0; i < m; i++)
                for (int64_t c = 0; c < k; c++)
                    memcpy((char *)wide.data + (size_t)(i * 2 * k + 2 * c) * es,
                           (char *)in.data + (size_t)(i * k + c) * es, es);
            GC_CHECK_OK(gc_tensor_wrap(&view, dtypes[di], 2, shapes[s], (int64_t[]){2 * k, 2},
                                       wide.data));
            GC_CHECK_OK(gc_tensor_create(NULL, &g1, dtypes[di], 2, (int64_t[]){m, m}));
            GC_CHECK_OK(gc_tensor_create(NULL, &g2, dtypes[di], 2, (int64_t[]){m, m}));
            const gc_gram_desc d = gc_gram_desc_default();
            for (int threads = 1; threads <= 2; threads++) {
                gc_context *ctx;
                GC_CHECK_OK(gc_context_create(&ctx));
                GC_CHECK_OK(gc_context_set_threads(ctx, threads));
                GC_CHECK_OK(gc_gram_forward(ctx, &d, &in, &g1));
                GC_CHECK_OK(gc_gram_forward(ctx, &d, &view, &g2));
                GC_CHECK_MSG(memcmp(g1.data, g2.data, (size_t)(m * m) * es) == 0,
                             "%lldx%lld %s threads %d: contiguous and strided-k Grams differ",
                             (long long)m, (long long)k, gc_dtype_name(dtypes[di]), threads);
                gc_context_free(ctx);
            }
            gc_tensor_free(&g2);
            gc_tensor_free(&g1);
            gc_tensor_free(&wide);
            gc_tensor_free(&in);
        }
}

/* The float32 forward's SYRK and pack kernels of the best ISA against the portable ones
 * (the plain references, same per-lane sum order): every tile height v, added and stored
 * (GC_SYRK_SET) tiles, k counts around the pack's 8-column blocks and the chunk widths, a
 * panel stride wider than the chunk. Small integers: every sum exact, so they must agree
 * exactly (FMA or not). The pack: rows 1..L, centred or not, an odd row stride, exactly. */
static void test_syrk_kernels(void)
{
    /* the AVX2 set wherever the CPU has AVX2 (the AVX-512 forward's quad layout has no
     * k-major twin: the forward sweeps hold it to the reference) */
    const gc_isa isa = gc_isa_detect() >= GC_ISA_AVX2 ? GC_ISA_AVX2 : GC_ISA_SCALAR;
    const gc_gram_kernels opt = gc_gram_fwd_kernels_for(isa, GC_DTYPE_F32);
    const gc_gram_kernels ref = gc_gram_kernels_for(GC_ISA_SCALAR, GC_DTYPE_F32);
    GC_CHECK(opt.L == ref.L && opt.NR == ref.NR && opt.pesz == ref.pesz);
    const int64_t L = ref.L, NR = ref.NR, VM = GC_SYRK_VMAX;
    const int64_t kcs[] = {1, 2, 7, 8, 9, 63, 255, 256, 1023, 1024, 1025};
    gc_rng rng = {31};
    for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++) {
        const int64_t kc = kcs[ki], ps = (kc + 3) * L; /* panels further apart than kc */
        float *a = malloc(sizeof(float) * (size_t)(VM * ps));
        for (int64_t i = 0; i < VM * ps; i++)
            a[i] = (float)((int)(gc_rng_next(&rng) * 17.0) - 8);
        const int64_t ld = VM * L + 5;
        double *acc1 = malloc(sizeof(double) * (size_t)(NR * ld));
        double *acc2 = malloc(sizeof(double) * (size_t)(NR * ld));
        for (int v = 1; v <= VM; v++)
            for (int setm = 0; setm < 2; setm++)
                for (int64_t col = 0; col < L; col += NR) {
                    for (int64_t i = 0; i < NR * ld; i++)
                        acc1[i] = acc2[i] = setm ? -7.0 : (double)(i % 11) - 5.0;
                    const float *b = a + ps + col; /* columns col.. of the second panel */
                    const int vv = v | (setm ? GC_SYRK_SET : 0);
                    if (setm && !opt.set) /* a set without GC_SYRK_SET */
                        continue;
                    opt.syrk(kc, vv, a, ps, b, acc1, ld);
                    if (setm)
                        for (int64_t c = 0; c < NR; c++)
                            for (int64_t r = 0; r < v * L; r++)
                                acc2[c * ld + r] = 0.0;
                    ref.syrk(kc, v, a, ps, b, acc2, ld);
                    int same = memcmp(acc1, acc2, sizeof(double) * (size_t)(NR * ld)) == 0;
                    GC_CHECK_MSG(same, "syrk %s kc %lld v %d set %d col %lld: differs from the "
                                 "portable kernel", gc_isa_name(isa), (long long)kc, v, setm,
                                 (long long)col);
                }
        if (opt.pack) {
            const int64_t lds = kc + 3;
            float *src = malloc(sizeof(float) * (size_t)(L * lds));
            float *d1 = malloc(sizeof(float) * (size_t)(L * kc));
            float *d2 = malloc(sizeof(float) * (size_t)(L * kc));
            for (int64_t i = 0; i < L * lds; i++)
                src[i] = (float)(gc_rng_next(&rng) * 2.0 - 1.0);
            double mu[16];
            for (int r = 0; r < 16; r++)
                mu[r] = gc_rng_next(&rng) - 0.5;
            for (int64_t rows = 1; rows <= L; rows++)
                for (int centred = 0; centred < 2; centred++) {
                    memset(d1, 0xA5, sizeof(float) * (size_t)(L * kc));
                    opt.pack(kc, rows, src, lds, centred ? mu : NULL, d1);
                    for (int64_t k = 0; k < kc; k++)
                        for (int64_t r = 0; r < L; r++)
                            d2[k * L + r] = r < rows ? src[r * lds + k] -
                                                           (centred ? (float)mu[r] : 0.0f)
                                                     : 0.0f;
                    GC_CHECK_MSG(memcmp(d1, d2, sizeof(float) * (size_t)(L * kc)) == 0,
                                 "pack %s kc %lld rows %lld centred %d: differs",
                                 gc_isa_name(isa), (long long)kc, (long long)rows, centred);
                }
            free(d2);
            free(d1);
            free(src);
        }
        free(acc2);
        free(acc1);
        free(a);
    }
}

/* The forward's row bands and chunks: M around the float32 AVX2 set's bands of 56 rows and
 * the 3-panel tiles (band remainders of 4 panels: 2 + 2 tiles), K around its 1024 columns per
 * chunk (a last chunk of 1 column, of 1023), at 1 and 2 threads; integers: exact. */
static void test_forward_bands(void)
{
    const int64_t ms[] = {47, 55, 56, 57, 73, 112, 113, 130};
    const int64_t ks[] = {1023, 1025, 2047, 2049};
    gc_rng rng = {41};
    int fails = 0;
    for (size_t a = 0; a < sizeof ms / sizeof ms[0] && fails < 2; a++)
        for (size_t c = 0; c < sizeof ks / sizeof ks[0] && fails < 2; c++) {
            const int integers = (a + c) % 2 == 0;
            gc_gram_desc d = gc_gram_desc_default();
            d.norm = integers ? GC_GRAM_NORM_NONE : GC_GRAM_NORM_HW;
            d.center = !integers && c == 1;
            gc_tensor base, in;
            make_input(&base, &in, GC_DTYPE_F32, 2, (int64_t[]){ms[a], ks[c]}, (int)(a % 3),
                       &rng, integers);
            char label[96];
            snprintf(label, sizeof label, "bands M=%lld K=%lld", (long long)ms[a],
                     (long long)ks[c]);
            fails += check_forward(&d, &in, integers, 1 + (int)(c % 2), label);
            gc_tensor_free(&base);
        }
}

GC_TEST_TABLE(gc_tests_gram) = {
    {"gram_known_answers", test_known_answers},
    {"gram_forward_sweep", test_forward_sweep},
    {"gram_forward_ranks_batches", test_forward_ranks_batches},
    {"gram_forward_large", test_forward_large},
    {"gram_forward_prefetch_bits", test_forward_prefetch_bits},
    {"gram_forward_l1_bands", test_forward_l1_bands},
    {"gram_syrk_kernels", test_syrk_kernels},
    {"gram_forward_bands", test_forward_bands},
    {"gram_backward_sweep", test_backward_sweep},
    {"gram_strided_outputs", test_strided_outputs},
    {"gram_threads_and_batches", test_threads_and_batches},
    {"gram_backward_thread_split", test_backward_thread_split},
    {"gram_seed_golden", test_seed_golden},
    {"gram_gradient_fd", test_gradient_fd},
    {"gram_style_loss_fd", test_style_loss_fd},
    {"gram_style_loss_unfused", test_style_loss_unfused},
    {"gram_f32_accuracy_large_k", test_f32_accuracy_large_k},
    {"gram_refusals", test_refusals},
    {"gram_nan_inf", test_nan_inf},
    {"gram_bf16", test_bf16},
    {NULL, NULL},
};
