/* mpi_check.c - the distributed paths against the single-process ones, run by
 * tests/mpi_test.sh under `mpirun -np P` (P = 2..4, loopback):
 *  - conv2d forward / backward_input with the input and output split by rows over the ranks
 *    (halo exchange by gc_mpi_rows_gather): bitwise equal with the reference algorithm,
 *    within float rounding with the default one; odd sizes, stride, pad, dilation, groups,
 *    batches, padding modes (forward), a rank that owns no output rows;
 *  - gc_mpi_rows_gather of arbitrary row ranges;
 *  - gc_mpi_gram_npy (each rank reading its own slice) against gc_gram_forward, with and
 *    without a memory budget and centring, and a missing file failing on every rank;
 *  - gc_optimizer split over the ranks (gc_optimizer_set_reduce: each rank optimises its
 *    slice of the vector) against the whole vector optimised on one rank: L-BFGS both
 *    flavours, with and without the strong-Wolfe search, Adam with its gradient stop test;
 *    a failing reduction hook aborting on every rank;
 *  - gc_mpi_synth_run (image rows and optimiser state split, Grams allreduced, image gradient
 *    reduce-scattered) against the one-process gc_synth_tiled_run over a few L-BFGS and Adam
 *    iterations, bitwise on a one-rank communicator (MPI_COMM_SELF), and stopped by rank 0's
 *    progress callback where the banded run stops.
 * Every rank computes the whole problem itself to compare with. Prints one summary line on
 * rank 0; exits non-zero on any failure (on every rank). usage: mpi_check TMPDIR */
#include "gramconv_mpi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;
static int rank, size;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        checks++;                                                                              \
        if (!(cond)) {                                                                         \
            failures++;                                                                        \
            fprintf(stderr, "rank %d: %s:%d: ", rank, __FILE__, __LINE__);                     \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, "\n");                                                             \
        }                                                                                      \
    } while (0)

static unsigned long long seed = 1;
static double rnd(void)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(seed >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

static void fill(gc_tensor *t)
{
    int64_t n = 0;
    gc_tensor_numel(t, &n);
    for (int64_t i = 0; i < n; i++) {
        if (t->dtype == GC_DTYPE_F32)
            ((float *)t->data)[i] = (float)rnd();
        else
            ((double *)t->data)[i] = rnd();
    }
}

/* max |a - b| over a (a view) against b (a view of one shape); 1e300 on a NaN. */
static double diff(const gc_tensor *a, const gc_tensor *b, double *amax)
{
    gc_tensor ca, cb;
    double worst = 0;
    *amax = 0;
    if (gc_tensor_contiguous(NULL, a, &ca) != GC_OK)
        return 1e300;
    if (gc_tensor_contiguous(NULL, b, &cb) != GC_OK) {
        gc_tensor_free(&ca);
        return 1e300;
    }
    int64_t n = 0;
    gc_tensor_numel(&ca, &n);
    for (int64_t i = 0; i < n; i++) {
        double x = a->dtype == GC_DTYPE_F32 ? ((float *)ca.data)[i] : ((double *)ca.data)[i];
        double y = b->dtype == GC_DTYPE_F32 ? ((float *)cb.data)[i] : ((double *)cb.data)[i];
        double d = fabs(x - y);
        if (isnan(d))
            d = 1e300;
        if (d > worst)
            worst = d;
        if (fabs(x) > *amax)
            *amax = fabs(x);
    }
    gc_tensor_free(&ca);
    gc_tensor_free(&cb);
    return worst;
}

typedef struct conv_case {
    int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups;
    gc_boundary mode;
} conv_case;

static const conv_case cases[] = {
    {1, 3, 13, 11, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL},
    {2, 4, 17, 9, 6, 3, 2, 2, 1, 0, 1, 1, 1, 2, GC_BOUNDARY_FILL},
    {1, 2, 19, 8, 3, 3, 3, 3, 2, 2, 0, 2, 1, 1, GC_BOUNDARY_FILL},
    {0, 3, 11, 7, 2, 5, 3, 1, 1, 4, 1, 1, 2, 1, GC_BOUNDARY_FILL},
    {1, 8, 5, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, GC_BOUNDARY_FILL}, /* H 5: a rank may own 1 row */
    {1, 3, 12, 9, 4, 3, 3, 1, 1, 2, 1, 1, 1, 1, GC_BOUNDARY_REFLECT},
    {1, 2, 9, 6, 3, 3, 3, 1, 1, 1, 2, 1, 1, 1, GC_BOUNDARY_WRAP},
};

static gc_status run_untiled(const gc_conv2d_desc *d, int bwd, const gc_tensor *a,
                             const gc_tensor *w, const gc_tensor *b, gc_tensor *out)
{
    size_t ws = 0;
    gc_status st = gc_conv2d_workspace_size(NULL, d, bwd ? out : a, w,
                                            bwd ? GC_CONV_PASS_BACKWARD_INPUT : GC_CONV_PASS_FORWARD, &ws);
    void *buf = ws ? aligned_alloc(64, (ws + 63) & ~(size_t)63) : NULL;
    if (st == GC_OK)
        st = bwd ? gc_conv2d_backward_input(NULL, d, a, w, out, buf, ws)
                 : gc_conv2d_forward(NULL, d, a, w, b, out, buf, ws);
    free(buf);
    return st;
}

/* rows [lo, hi) of part p of P over n rows; uneven on purpose (the last parts get more) */
static void split(int64_t n, int p, int P, int64_t *lo, int64_t *hi)
{
    *lo = n * p / P;
    *hi = n * (p + 1) / P;
}

static void check_conv(gc_context *ctx, const conv_case *cc, gc_dtype dt, gc_conv_algo algo)
{
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.stride[0] = cc->sh, d.stride[1] = cc->sw, d.pad[0] = cc->ph, d.pad[1] = cc->pw;
    d.dilation[0] = cc->dh, d.dilation[1] = cc->dw, d.groups = cc->groups;
    d.padding_mode = cc->mode;
    d.algo = algo;
    const int b4 = cc->n > 0, o = b4 ? 1 : 0, rk = b4 ? 4 : 3;
    const int64_t id[4] = {cc->n, cc->c, cc->h, cc->w};
    const int64_t wd[4] = {cc->o, cc->c / cc->groups, cc->kh, cc->kw}, bd[1] = {cc->o};
    gc_tensor in, w, bias, out, gout, gin;
    gc_tensor_create(NULL, &in, dt, rk, b4 ? id : id + 1);
    gc_tensor_create(NULL, &w, dt, 4, wd);
    gc_tensor_create(NULL, &bias, dt, 1, bd);
    fill(&in), fill(&w), fill(&bias);
    int orank;
    int64_t od[8];
    gc_conv2d_shape(NULL, &d, &in, &w, &orank, od);
    gc_tensor_create(NULL, &out, dt, orank, od);
    gc_tensor_create(NULL, &gout, dt, orank, od);
    gc_tensor_create(NULL, &gin, dt, rk, in.dims);
    fill(&gout);
    CHECK(run_untiled(&d, 0, &in, &w, &bias, &out) == GC_OK, "untiled forward");
    const int zeros = cc->mode == GC_BOUNDARY_FILL;
    if (zeros)
        CHECK(run_untiled(&d, 1, &gout, &w, NULL, &gin) == GC_OK, "untiled backward");
    const int64_t H = cc->h, OH = od[o + 1];
    int64_t i0, i1, y0, y1;
    split(H, rank, size, &i0, &i1);
    split(OH, size - 1 - rank, size, &y0, &y1); /* output rows split the other way round */
    gc_tensor iv, own_in, ov, own_out, gv, own_gout, own_gin, ref;
    gc_tensor_narrow(&in, o + 1, i0, i1 - i0, &iv);
    gc_tensor_contiguous(NULL, &iv, &own_in);
    gc_tensor_narrow(&out, o + 1, y0, y1 - y0, &ov);
    int64_t dd[4];
    memcpy(dd, ov.dims, sizeof dd);
    gc_tensor_create(NULL, &own_out, dt, rk, dd);
    gc_status st = gc_mpi_conv2d_forward(ctx, MPI_COMM_WORLD, &d, H, &own_in, i0, &w, &bias, y0, &own_out);
    CHECK(st == GC_OK, "forward: %s", gc_context_last_error(ctx));
    double amax, e = diff(&ov, &own_out, &amax);
    const double tol = algo == GC_CONV_ALGO_REFERENCE ? 0.0 : (dt == GC_DTYPE_F32 ? 1e-5 : 1e-12) * (amax + 1);
    CHECK(e <= tol, "forward case h%lld mode %d dtype %d algo %d: diff %g > %g", (long long)cc->h,
          (int)cc->mode, (int)dt, (int)algo, e, tol);
    if (zeros) { /* grad_output owned by output-row split, grad_input by the input-row split */
        gc_tensor_narrow(&gout, o + 1, y0, y1 - y0, &gv);
        gc_tensor_contiguous(NULL, &gv, &own_gout);
        memcpy(dd, iv.dims, sizeof dd);
        gc_tensor_create(NULL, &own_gin, dt, rk, dd);
        st = gc_mpi_conv2d_backward_input(ctx, MPI_COMM_WORLD, &d, H, &own_gout, y0, &w, i0, &own_gin);
        CHECK(st == GC_OK, "backward: %s", gc_context_last_error(ctx));
        gc_tensor_narrow(&gin, o + 1, i0, i1 - i0, &ref);
        e = diff(&ref, &own_gin, &amax);
        const double btol = algo == GC_CONV_ALGO_REFERENCE ? 0.0 : (dt == GC_DTYPE_F32 ? 1e-5 : 1e-12) * (amax + 1);
        CHECK(e <= btol, "backward case h%lld dtype %d algo %d: diff %g > %g", (long long)cc->h,
              (int)dt, (int)algo, e, btol);
        gc_tensor_free(&own_gout);
        gc_tensor_free(&own_gin);
    }
    gc_tensor *all[] = {&in, &w, &bias, &out, &gout, &gin, &own_in, &own_out};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
}

static void check_gather(gc_context *ctx)
{
    const int64_t H = 23, dims[3] = {2, H, 5};
    gc_tensor full;
    gc_tensor_create(NULL, &full, GC_DTYPE_F64, 3, dims);
    fill(&full);
    int64_t o0, o1;
    split(H, rank, size, &o0, &o1);
    gc_tensor ov, own;
    gc_tensor_narrow(&full, 1, o0, o1 - o0, &ov);
    gc_tensor_contiguous(NULL, &ov, &own);
    const int64_t need0 = (rank * 7) % H, need1 = need0 + (H - need0) / 2 + 1;
    const int64_t nd[3] = {2, need1 - need0, 5};
    gc_tensor got, want;
    gc_tensor_create(NULL, &got, GC_DTYPE_F64, 3, nd);
    CHECK(gc_mpi_rows_gather(ctx, MPI_COMM_WORLD, &own, o0, need0, need1, &got) == GC_OK,
          "gather: %s", gc_context_last_error(ctx));
    gc_tensor_narrow(&full, 1, need0, need1 - need0, &want);
    double amax;
    CHECK(diff(&want, &got, &amax) == 0.0, "gather rows [%lld, %lld)", (long long)need0, (long long)need1);
    /* a row nobody owns: every rank fails, none hangs */
    const int64_t bad[3] = {2, 1, 5};
    gc_tensor one;
    gc_tensor_create(NULL, &one, GC_DTYPE_F64, 3, bad);
    CHECK(gc_mpi_rows_gather(ctx, MPI_COMM_WORLD, &own, o0, H, H + 1, &one) == GC_ERR_SHAPE,
          "gather of a missing row must fail");
    gc_tensor_free(&one);
    gc_tensor_free(&got);
    gc_tensor_free(&own);
    gc_tensor_free(&full);
}

static void check_gram(gc_context *ctx, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mpi_gram_%d.npy", dir, size);
    const int64_t shapes[3][4] = {{12, 31, 29, 0}, {3, 5, 9, 7}, {7, 5000, 0, 0}};
    const int ranks[3] = {3, 4, 2};
    for (int si = 0; si < 3; si++)
        for (int variant = 0; variant < 3; variant++) {
            const gc_dtype dt = variant == 1 ? GC_DTYPE_F64 : GC_DTYPE_F32;
            gc_tensor f, g0, g1 = {0};
            gc_tensor_create(NULL, &f, dt, ranks[si], shapes[si]);
            fill(&f);
            if (rank == 0)
                CHECK(gc_npy_write(ctx, path, &f) == GC_OK, "write");
            MPI_Barrier(MPI_COMM_WORLD);
            gc_gram_desc desc = gc_gram_desc_default();
            desc.center = variant == 2;
            int gr;
            int64_t gd[8];
            gc_gram_shape(NULL, &desc, &f, &gr, gd);
            gc_tensor_create(NULL, &g0, dt, gr, gd);
            gc_gram_forward(ctx, &desc, &f, &g0);
            /* no limit; and a budget that leaves room for bands of ~50 columns */
            uint64_t ab = 0;
            gc_gram_accum_bytes(ctx, &desc, dt, gd[gr - 1], &ab);
            const uint64_t gbytes = (uint64_t)(gd[0] * gd[1] * (gr == 3 ? gd[2] : 1)) * gc_dtype_size(dt);
            const uint64_t budgets[2] = {0, ab + gbytes + 512 + 50 * (uint64_t)gd[gr - 1] * gc_dtype_size(dt)};
            for (int b = 0; b < 2; b++) {
                gc_status st = gc_mpi_gram_npy(ctx, MPI_COMM_WORLD, &desc, path, budgets[b], 0, &g1);
                CHECK(st == GC_OK, "gram: %s", gc_context_last_error(ctx));
                if (rank == 0 && st == GC_OK) {
                    double amax, e = diff(&g0, &g1, &amax);
                    const double tol = (dt == GC_DTYPE_F32 ? 1e-5 : 1e-13) * amax;
                    CHECK(e <= tol, "gram shape %d variant %d budget %d: %g > %g", si, variant, b, e, tol);
                } else {
                    CHECK(st != GC_OK || g1.data == NULL, "non-root got an output");
                }
                gc_tensor_free(&g1);
            }
            MPI_Barrier(MPI_COMM_WORLD);
            gc_tensor_free(&f);
            gc_tensor_free(&g0);
        }
    if (rank == 0)
        remove(path);
    gc_gram_desc desc = gc_gram_desc_default();
    gc_tensor g1 = {0};
    snprintf(path, sizeof path, "%s/no_such_file.npy", dir);
    CHECK(gc_mpi_gram_npy(ctx, MPI_COMM_WORLD, &desc, path, 0, 0, &g1) != GC_OK,
          "missing file must fail");
}

/* Timing for docs/SCALING.md (not run by the tests): the best of `reps` runs, measured with
 * MPI_Wtime between barriers, so mpirun's start-up is left out.
 *   mpi_check --bench-gram FILE.npy           gc_mpi_gram_npy of a file
 *   mpi_check --bench-conv C H W              3x3 C->C conv, pad 1, float32, rows split:
 *                                             forward + backward_input (with halo exchange) */
static int bench(int argc, char **argv)
{
    gc_context *ctx = NULL;
    gc_context_create(&ctx);
    gc_context_set_threads(ctx, 1);
    const int reps = 5;
    double best = 1e30, best_halo = 1e30;
    gc_status st = GC_OK;
    if (strcmp(argv[1], "--bench-gram") == 0 && argc > 2) {
        gc_gram_desc desc = gc_gram_desc_default();
        for (int r = 0; r < reps && st == GC_OK; r++) {
            gc_tensor g = {0};
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            st = gc_mpi_gram_npy(ctx, MPI_COMM_WORLD, &desc, argv[2], 0, 0, &g);
            MPI_Barrier(MPI_COMM_WORLD);
            double t = MPI_Wtime() - t0;
            best = t < best ? t : best;
            gc_tensor_free(&g);
        }
        if (rank == 0)
            printf("{\"bench\":\"mpi_gram_npy\",\"file\":\"%s\",\"ranks\":%d,\"s\":%.4f}\n",
                   argv[2], size, best);
    } else if (strcmp(argv[1], "--bench-conv") == 0 && argc > 4) {
        const int64_t C = atoll(argv[2]), H = atoll(argv[3]), W = atoll(argv[4]);
        gc_conv2d_desc d = gc_conv2d_desc_default();
        d.pad[0] = d.pad[1] = 1;
        int64_t i0, i1;
        split(H, rank, size, &i0, &i1);
        const int64_t id[3] = {C, i1 - i0, W}, wd[4] = {C, C, 3, 3};
        gc_tensor in, w, out, gin;
        gc_tensor_create(NULL, &in, GC_DTYPE_F32, 3, id);
        gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, wd);
        gc_tensor_create(NULL, &out, GC_DTYPE_F32, 3, id);
        gc_tensor_create(NULL, &gin, GC_DTYPE_F32, 3, id);
        fill(&in), fill(&w);
        for (int r = 0; r < reps && st == GC_OK; r++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            st = gc_mpi_conv2d_forward(ctx, MPI_COMM_WORLD, &d, H, &in, i0, &w, NULL, i0, &out);
            if (st == GC_OK) /* out as grad_output: same row split */
                st = gc_mpi_conv2d_backward_input(ctx, MPI_COMM_WORLD, &d, H, &out, i0, &w, i0, &gin);
            MPI_Barrier(MPI_COMM_WORLD);
            double t = MPI_Wtime() - t0;
            best = t < best ? t : best;
            /* the exchange alone: the two halos of one layer pass */
            int64_t lo = i0 > 0 ? i0 - 1 : 0, hi = i1 < H ? i1 + 1 : H;
            const int64_t hd[3] = {C, hi - lo, W};
            gc_tensor halo;
            gc_tensor_create(NULL, &halo, GC_DTYPE_F32, 3, hd);
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            gc_mpi_rows_gather(ctx, MPI_COMM_WORLD, &in, i0, lo, hi, &halo);
            MPI_Barrier(MPI_COMM_WORLD);
            t = MPI_Wtime() - t0;
            best_halo = t < best_halo ? t : best_halo;
            gc_tensor_free(&halo);
        }
        if (rank == 0)
            printf("{\"bench\":\"mpi_conv3x3_fwd_bwd\",\"C\":%lld,\"H\":%lld,\"W\":%lld,"
                   "\"ranks\":%d,\"s\":%.4f,\"halo_gather_s\":%.5f}\n", (long long)C, (long long)H,
                   (long long)W, size, best, best_halo);
        gc_tensor_free(&in), gc_tensor_free(&w), gc_tensor_free(&out), gc_tensor_free(&gin);
    } else {
        st = GC_ERR_ARG;
    }
    if (st != GC_OK && rank == 0)
        fprintf(stderr, "mpi_check: bench failed: %s\n", gc_context_last_error(ctx));
    gc_context_free(ctx);
    MPI_Finalize();
    return st == GC_OK ? 0 : 1;
}

/* ---- the optimiser split over the ranks ---------------------------------------------- */

/* A coupled objective on x (n elements): f = sum a_i (x_i - b_i)^2 + c (sum x_i)^2 +
 * 0.01 sum x_i^4 with a_i, b_i from the global index. A part [lo, hi) gets its slice and
 * writes its slice of the gradient; the sums over x are the parts' partials added in rank
 * order (MPI_Allgather), so every rank has the same loss. */
typedef struct opt_problem {
    int64_t lo, hi;
    int split;          /* 1: the parts are the ranks; 0: the whole vector here */
    int fail_at;        /* the reduction hook fails at this call (0: never) */
    int calls;
} opt_problem;

static double ordered_sum(double v, int split)
{
    if (!split)
        return v;
    double all[64];
    MPI_Allgather(&v, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, MPI_COMM_WORLD);
    double s = 0.0;
    for (int r = 0; r < size; r++)
        s += all[r];
    return s;
}

static gc_status opt_objective(void *user, const gc_tensor *x, gc_tensor *grad, double *loss)
{
    const opt_problem *p = user;
    const double *xv = x->data;
    double *g = grad->data;
    double sx = 0.0, f = 0.0;
    for (int64_t i = p->lo; i < p->hi; i++)
        sx += xv[i - p->lo];
    sx = ordered_sum(sx, p->split);
    for (int64_t i = p->lo; i < p->hi; i++) {
        const double a = 1.0 + (double)(i % 7), b = 0.3 * (double)(i % 5) - 0.5, v = xv[i - p->lo];
        f += a * (v - b) * (v - b) + 0.01 * v * v * v * v;
        g[i - p->lo] = 2.0 * a * (v - b) + 2.0 * 0.05 * sx + 0.04 * v * v * v;
    }
    *loss = ordered_sum(f, p->split) + 0.05 * sx * sx;
    return GC_OK;
}

static gc_status opt_reduce(void *user, gc_reduce_op op, double *v, int n)
{
    opt_problem *p = user;
    if (++p->calls == p->fail_at)
        return GC_ERR_IO; /* on every rank at the same call: the runs stay in step */
    double all[64 * 4];
    MPI_Allgather(v, n, MPI_DOUBLE, all, n, MPI_DOUBLE, MPI_COMM_WORLD);
    for (int i = 0; i < n; i++) {
        double a = all[i];
        for (int r = 1; r < size; r++) {
            const double b = all[r * n + i];
            a = op == GC_REDUCE_OP_SUM ? a + b : (b > a || isnan(b) ? b : a);
        }
        v[i] = a;
    }
    return GC_OK;
}

static gc_status make_opt(gc_context *ctx, int kind, int64_t n, gc_optimizer **o)
{
    if (kind == 4) {
        gc_adam_desc d = gc_adam_desc_default(GC_OPTIM_FLAVOR_PYTORCH);
        d.learning_rate = 0.05, d.max_iter = 40, d.tol_grad = 1e-3;
        return gc_optimizer_create_adam(ctx, &d, GC_DTYPE_F64, n, o);
    }
    gc_lbfgs_desc d = gc_lbfgs_desc_default(kind & 1 ? GC_OPTIM_FLAVOR_PYTORCH : GC_OPTIM_FLAVOR_TORCH7);
    d.max_iter = 25, d.history = 5;
    d.line_search = kind & 2 ? GC_LINE_SEARCH_STRONG_WOLFE : GC_LINE_SEARCH_NONE;
    d.learning_rate = kind & 2 ? 1.0 : 0.2;
    return gc_optimizer_create_lbfgs(ctx, &d, GC_DTYPE_F64, n, o);
}

/* Split == whole (the same iterations, evaluations, stop and x within rounding); a failing
 * hook fails the call on every rank. */
static void check_optim_split(gc_context *ctx)
{
    const int64_t n = 203;
    int64_t lo, hi;
    split(n, rank, size, &lo, &hi);
    for (int kind = 0; kind < 5; kind++) {
        const int64_t dw[1] = {n}, dp[1] = {hi - lo};
        gc_tensor xw, xp;
        gc_tensor_create(NULL, &xw, GC_DTYPE_F64, 1, dw);
        gc_tensor_create(NULL, &xp, GC_DTYPE_F64, 1, dp);
        for (int64_t i = 0; i < n; i++)
            ((double *)xw.data)[i] = sin(0.7 * (double)i);
        memcpy(xp.data, (double *)xw.data + lo, (size_t)(hi - lo) * sizeof(double));
        gc_optimizer *ow = NULL, *op = NULL;
        CHECK(make_opt(ctx, kind, n, &ow) == GC_OK && make_opt(ctx, kind, hi - lo, &op) == GC_OK,
              "optimisers");
        opt_problem pw = {0, n, 0, 0, 0}, pp = {lo, hi, 1, 0, 0};
        CHECK(gc_optimizer_set_reduce(ctx, op, opt_reduce, &pp) == GC_OK, "set_reduce");
        gc_optim_result rw, rp;
        gc_status sw = gc_optimizer_run(ctx, ow, &xw, opt_objective, &pw, &rw);
        gc_status sp = gc_optimizer_run(ctx, op, &xp, opt_objective, &pp, &rp);
        CHECK(sw == GC_OK && sp == GC_OK, "kind %d: runs %d %d: %s", kind, sw, sp,
              gc_context_last_error(ctx));
        CHECK(rw.iterations == rp.iterations && rw.evaluations == rp.evaluations &&
                  rw.stop == rp.stop && rw.iterations > 3,
              "kind %d: iterations %lld/%lld evaluations %lld/%lld stop %d/%d", kind,
              (long long)rw.iterations, (long long)rp.iterations, (long long)rw.evaluations,
              (long long)rp.evaluations, (int)rw.stop, (int)rp.stop);
        double worst = 0.0;
        for (int64_t i = lo; i < hi; i++)
            worst = fmax(worst, fabs(((double *)xw.data)[i] - ((double *)xp.data)[i - lo]));
        CHECK(worst <= 1e-10, "kind %d: split x differs from whole by %g", kind, worst);
        CHECK(fabs(rw.loss - rp.loss) <= 1e-10 * fabs(rw.initial_loss), "kind %d: loss %.17g vs %.17g",
              kind, rp.loss, rw.loss);
        double l[2] = {rp.loss, (double)rp.iterations}, l0[2] = {0, 0};
        MPI_Allreduce(l, l0, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        CHECK(l0[0] == rp.loss && l0[1] == (double)rp.iterations, "kind %d: ranks disagree", kind);
        /* a hook failing at its third call: the same error on every rank */
        gc_optimizer_reset(op);
        pp.calls = 0, pp.fail_at = 3;
        sp = gc_optimizer_run(ctx, op, &xp, opt_objective, &pp, &rp);
        CHECK(sp == GC_ERR_IO && strstr(gc_context_last_error(ctx), "reduction"),
              "kind %d: failing hook: %d %s", kind, sp, gc_context_last_error(ctx));
        CHECK(gc_optimizer_set_reduce(ctx, NULL, opt_reduce, NULL) == GC_ERR_NULL, "NULL opt");
        gc_optimizer_free(ow);
        gc_optimizer_free(op);
        gc_tensor_free(&xw);
        gc_tensor_free(&xp);
    }
}

/* Progress of a split run: called on rank 0 only, with the whole image; stops after 2. */
typedef struct synth_watch {
    int calls, bad;
    int64_t H;
} synth_watch;

static int synth_stop_at_2(const gc_synth_progress *p, void *user)
{
    synth_watch *w = user;
    w->calls++;
    if (rank != 0 || p->iter != w->calls || !p->image || p->image->dims[1] != w->H)
        w->bad = 1;
    return p->iter >= 2;
}

/* Distributed synthesis == one process in bands (random net, style + TV, a few L-BFGS steps),
 * with a budget that makes bands of a couple of rows inside each rank's rows. */
static void check_synth(gc_context *ctx)
{
    for (int run = 0; run < 3; run++) {
        const int dt = run == 1, adam = run == 2;
        const gc_dtype dtype = dt ? GC_DTYPE_F64 : GC_DTYPE_F32;
        gc_synth_random_desc rd = gc_synth_random_desc_default();
        rd.nscales = 2, rd.sizes[0] = 3, rd.sizes[1] = 5, rd.filters = 6, rd.seed = 3;
        gc_synth_net *net = NULL;
        CHECK(gc_synth_net_create_random(ctx, &rd, dtype, &net) == GC_OK, "net");
        const int64_t sd[3] = {3, 17, 15}, xd[3] = {3, 14, 12};
        gc_tensor style, x0, x1, x2, grams[GC_SYNTH_MAX_LAYERS];
        memset(grams, 0, sizeof grams);
        gc_tensor_create(NULL, &style, dtype, 3, sd);
        gc_tensor_create(NULL, &x0, dtype, 3, xd);
        gc_tensor_create(NULL, &x1, dtype, 3, xd);
        gc_tensor_create(NULL, &x2, dtype, 3, xd);
        fill(&style), fill(&x0);
        gc_tensor_copy(&x0, &x1);
        gc_tensor_copy(&x0, &x2);
        CHECK(gc_synth_net_grams(ctx, net, &style, 3u, grams) == GC_OK, "grams");
        gc_synth_desc desc = gc_synth_desc_default();
        desc.height = xd[1], desc.width = xd[2], desc.iters = 4, desc.tv_weight = 0.05;
        desc.style_layers = 3u;
        if (adam)
            desc.optimizer = GC_SYNTH_OPTIMIZER_ADAM, desc.learning_rate = 0.02;
        gc_synth_tiled *t = NULL;
        gc_synth_stats s0, s1;
        CHECK(gc_synth_tiled_create(ctx, net, &desc, grams, 0, &t) == GC_OK, "tiled");
        CHECK(gc_synth_tiled_run(ctx, t, &x0, &s0) == GC_OK, "tiled run");
        gc_synth_tiled_free(t);
        gc_status st = gc_mpi_synth_run(ctx, MPI_COMM_WORLD, net, &desc, grams, dt ? 200000 : 100000, &x1, &s1);
        CHECK(st == GC_OK, "mpi synth: %s", gc_context_last_error(ctx));
        double amax, e = diff(&x0, &x1, &amax);
        const double tol = dt ? 1e-9 : 2e-5;
        /* one rank alone (MPI_COMM_SELF): the split machinery with one part, bitwise */
        gc_synth_stats s2;
        st = gc_mpi_synth_run(ctx, MPI_COMM_SELF, net, &desc, grams, 0, &x2, &s2);
        CHECK(st == GC_OK, "mpi synth (self): %s", gc_context_last_error(ctx));
        CHECK(diff(&x0, &x2, &amax) == 0.0 && s2.final_loss == s0.final_loss &&
                  s2.evals == s0.evals, "mpi synth run %d on one rank: not bitwise (%g)", run,
              diff(&x0, &x2, &amax));
        int64_t one = 0;
        gc_tensor_numel(&x0, &one);
        if (rank == 0) /* the same image bytes on every rank */
            memcpy(x2.data, x1.data, (size_t)one * (dt ? 8 : 4));
        MPI_Bcast(x2.data, (int)one, dt ? MPI_DOUBLE : MPI_FLOAT, 0, MPI_COMM_WORLD);
        CHECK(diff(&x1, &x2, &amax) == 0.0, "mpi synth: ranks' results differ");
        CHECK(s1.iters == s0.iters && s1.iters > 0, "iterations %lld vs %lld", (long long)s1.iters,
              (long long)s0.iters);
        CHECK(e <= tol, "mpi synth run %d: image differs by %g", run, e);
        CHECK(fabs(s1.final_loss - s0.final_loss) <= tol * s0.initial_loss,
              "mpi synth run %d: final loss %.17g vs %.17g", run, s1.final_loss, s0.final_loss);
        CHECK(s1.evals == s0.evals, "evaluations %lld vs %lld", (long long)s1.evals,
              (long long)s0.evals);
        /* rank 0's progress stops every rank after 2 iterations, where the banded run
         * stopped by the same callback stops (the loop they share) */
        synth_watch w = {0, 0, xd[1]}, w0 = {0, 0, xd[1]};
        gc_synth_desc dstop = desc;
        dstop.progress = synth_stop_at_2;
        dstop.progress_user = &w0;
        gc_synth_stats s3, s4;
        gc_tensor_copy(&x2, &x0); /* a start the same on every rank */
        gc_tensor_copy(&x2, &x1);
        CHECK(gc_synth_tiled_create(ctx, net, &dstop, grams, 0, &t) == GC_OK, "tiled");
        CHECK(gc_synth_tiled_run(ctx, t, &x0, &s3) == GC_OK && s3.iters == 2 && w0.calls == 2,
              "tiled run stopped: %lld iterations", (long long)s3.iters);
        gc_synth_tiled_free(t);
        dstop.progress_user = &w;
        st = gc_mpi_synth_run(ctx, MPI_COMM_WORLD, net, &dstop, grams, 0, &x1, &s4);
        CHECK(st == GC_OK && s4.iters == 2 && s4.evals == s3.evals && !w.bad &&
                  w.calls == (rank == 0 ? 2 : 0),
              "mpi synth run %d stopped by progress: %lld iterations, %d calls", run,
              (long long)s4.iters, w.calls);
        CHECK(diff(&x0, &x1, &amax) <= tol, "mpi synth run %d stopped: image differs by %g", run,
              diff(&x0, &x1, &amax));
        /* more ranks than rows: refused on every rank */
        desc.height = size - 1;
        if (desc.height >= 1) {
            gc_tensor xs;
            const int64_t sd2[3] = {3, desc.height, xd[2]};
            gc_tensor_create(NULL, &xs, dtype, 3, sd2);
            fill(&xs);
            gc_status sr = gc_mpi_synth_run(ctx, MPI_COMM_WORLD, net, &desc, grams, 0, &xs, NULL);
            CHECK(sr == GC_ERR_ARG && strstr(gc_context_last_error(ctx), "ranks for"),
                  "more ranks than rows: %d %s", sr, gc_context_last_error(ctx));
            gc_tensor_free(&xs);
        }
        for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
            gc_tensor_free(&grams[l]);
        gc_tensor_free(&style), gc_tensor_free(&x0), gc_tensor_free(&x1), gc_tensor_free(&x2);
        gc_synth_net_free(net);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc > 1 && strncmp(argv[1], "--bench", 7) == 0)
        return bench(argc, argv);
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    gc_context *ctx = NULL;
    gc_context_create(&ctx);
    gc_context_set_threads(ctx, 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_conv(ctx, &cases[i], GC_DTYPE_F64, GC_CONV_ALGO_REFERENCE);
        check_conv(ctx, &cases[i], GC_DTYPE_F32, GC_CONV_ALGO_AUTO);
    }
    check_gather(ctx);
    check_gram(ctx, dir);
    check_optim_split(ctx);
    check_synth(ctx);
    gc_context_free(ctx);
    int f = failures, c = checks, tf = 0, tc = 0;
    MPI_Allreduce(&f, &tf, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(&c, &tc, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("mpi_check: %d ranks: %d checks, %d failed\n", size, tc, tf);
    MPI_Finalize();
    return tf ? 1 : 0;
}
