/* cmd_bench.c - `gramconv bench [OP] [--input DIMS --kernel DIMS] ...`: time an op on random
 * data and print one JSON object per case.
 *
 * Bench targets are rows of bench_targets[]; a new op (gram, conv...) adds a function with the
 * bench_fn signature, usually built on cli_bench_time / cli_bench_report. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const cli_opt bench_opts[] = {
    {"input", 0, 1},   {"kernel", 0, 1}, {"mode", 'm', 1},  {"dtype", 0, 1},
    {"threads", 't', 1}, {"isa", 0, 1},  {"repeat", 0, 1},
};
enum { OPT_INPUT, OPT_KERNEL, OPT_MODE, OPT_DTYPE, OPT_THREADS, OPT_ISA, OPT_REPEAT, NOPTS };

typedef int (*bench_fn)(gc_context *ctx, const cli_bench_opts *o);
static int bench_corr(gc_context *ctx, const cli_bench_opts *o);

static const struct {
    const char *name;
    bench_fn run;
} bench_targets[] = {
    {"xcorr2", bench_corr},
    {"conv2", bench_corr},
    {"xcorr3", bench_corr},
    {"conv3", bench_corr},
};
enum { NTARGETS = sizeof bench_targets / sizeof bench_targets[0] };

static int bench_target(const char *name)
{
    for (int i = 0; name && i < (int)NTARGETS; i++)
        if (strcmp(bench_targets[i].name, name) == 0)
            return i;
    return -1;
}

int cli_bench_parse(int argc, char *const *argv, cli_bench_opts *out, cli_err *err)
{
    cli_args a;
    char q[64];
    memset(out, 0, sizeof *out);
    out->op = "xcorr2";
    out->mode = GC_MODE_VALID;
    out->dtype = GC_DTYPE_F32;
    out->isa = GC_ISA_AUTO;
    int rc = cli_parse_args(argc, argv, bench_opts, NOPTS, 1, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        out->help = 1;
        return CLI_OK;
    }
    if (a.npos == 1)
        out->op = a.pos[0];
    if (bench_target(out->op) < 0) {
        char list[128] = "";
        for (int i = 0; i < (int)NTARGETS; i++) {
            strcat(list, i ? ", " : "");
            strcat(list, bench_targets[i].name);
        }
        return cli_seterr(err, CLI_USAGE, "cannot bench '%s' (one of: %s)",
                          cli_quote(out->op, q, sizeof q), list);
    }
    if (a.value[OPT_MODE]) {
        if ((rc = cli_parse_mode(a.value[OPT_MODE], &out->mode, err)) != CLI_OK)
            return rc;
        out->mode_given = 1;
    }
    if (a.value[OPT_DTYPE] && (rc = cli_parse_dtype(a.value[OPT_DTYPE], &out->dtype, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_THREADS] &&
        (rc = cli_parse_threads(a.value[OPT_THREADS], &out->threads, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_ISA] && (rc = cli_parse_isa(a.value[OPT_ISA], &out->isa, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_REPEAT]) {
        int64_t r = 0;
        if ((rc = cli_parse_int64(a.value[OPT_REPEAT], 1, 1000000, "--repeat", &r, err)) != CLI_OK)
            return rc;
        out->repeat = (int)r;
    }
    if (!a.value[OPT_INPUT] != !a.value[OPT_KERNEL])
        return cli_seterr(err, CLI_USAGE, "--input and --kernel go together (give both, or "
                                          "neither for the default suite)");
    if (a.value[OPT_INPUT]) {
        if ((rc = cli_parse_dims(a.value[OPT_INPUT], "--input", out->in_dims, GC_MAX_RANK,
                                 &out->in_rank, err)) != CLI_OK)
            return rc;
        if ((rc = cli_parse_dims(a.value[OPT_KERNEL], "--kernel", out->k_dims, GC_MAX_RANK,
                                 &out->k_rank, err)) != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

/* ---- timing and reporting -------------------------------------------------------------- */

static double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

gc_status cli_bench_time(cli_bench_body body, void *arg, int repeat, double *median_ms,
                         int *repeats_done)
{
    enum { MAX_AUTO = 100000 };
    const double budget_ms = 300.0;
    *median_ms = 0.0;
    *repeats_done = 0;
    gc_status st = body(arg); /* warm-up: page faults, caches, thread start-up */
    if (st != GC_OK)
        return st;
    size_t cap = repeat > 0 ? (size_t)repeat : 64;
    double *t = malloc(cap * sizeof *t);
    if (!t)
        return GC_ERR_NOMEM;
    int n = 0;
    const double begin = bench_now_ms();
    for (;;) {
        if (repeat > 0 ? n >= repeat
                       : (n >= 5 && bench_now_ms() - begin >= budget_ms) || n >= MAX_AUTO)
            break;
        if ((size_t)n == cap) {
            double *bigger = realloc(t, 2 * cap * sizeof *t);
            if (!bigger) {
                free(t);
                return GC_ERR_NOMEM;
            }
            t = bigger;
            cap *= 2;
        }
        double t0 = bench_now_ms();
        if ((st = body(arg)) != GC_OK) {
            free(t);
            return st;
        }
        t[n++] = bench_now_ms() - t0;
    }
    qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
    *median_ms = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    *repeats_done = n;
    free(t);
    return GC_OK;
}

void cli_bench_report(const gc_context *ctx, const char *op, const char *shape, const char *mode,
                      gc_dtype dtype, double median_ms, double flops, int repeats)
{
    double gflops = median_ms > 0.0 ? flops / (median_ms * 1e6) : 0.0;
    printf("{\"op\":\"%s\",\"shape\":\"%s\",\"mode\":\"%s\",\"dtype\":\"%s\",\"threads\":%d,"
           "\"isa\":\"%s\",\"ms\":%.6g,\"gflops\":%.6g,\"repeats\":%d}\n",
           op, shape, mode, cli_dtype_short(dtype), gc_context_threads(ctx),
           gc_isa_name(gc_context_isa(ctx)), median_ms, gflops, repeats);
    fflush(stdout);
}

void cli_bench_fill(gc_tensor *t, uint64_t *seed)
{
    int64_t n = 0;
    if (gc_tensor_numel(t, &n) != GC_OK)
        return;
    uint64_t s = *seed ? *seed : 0x9e3779b97f4a7c15ull;
    for (int64_t i = 0; i < n; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        double u = (double)((s * 0x2545f4914f6cdd1dull) >> 11) * (1.0 / 9007199254740992.0);
        double v = 2.0 * u - 1.0;
        if (t->dtype == GC_DTYPE_F32)
            ((float *)t->data)[i] = (float)v;
        else
            ((double *)t->data)[i] = v;
    }
    *seed = s;
}

/* ---- correlation ----------------------------------------------------------------------- */

typedef struct corr_case {
    int in_rank, k_rank;
    int64_t in_dims[GC_MAX_RANK], k_dims[GC_MAX_RANK];
    gc_mode mode;
} corr_case;

typedef struct corr_body_arg {
    gc_context *ctx;
    const gc_corr_desc *desc;
    const gc_tensor *in, *k;
    gc_tensor *out;
} corr_body_arg;

static gc_status corr_body(void *p)
{
    corr_body_arg *a = p;
    return gc_corr(a->ctx, a->desc, a->in, a->k, a->out);
}

static int bench_corr_case(gc_context *ctx, const char *op, const corr_case *c, gc_dtype dtype,
                           int repeat)
{
    gc_corr_desc desc;
    if (cli_corr_desc_for(op, &desc) != CLI_OK)
        return cli_error(CLI_FAIL, "bench: unknown op '%s'", op);
    desc.mode = c->mode;
    gc_tensor in = {0}, k = {0}, out = {0};
    int orank = 0;
    int64_t odims[GC_MAX_RANK] = {0};
    gc_status st = gc_tensor_create(ctx, &in, dtype, c->in_rank, c->in_dims);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &k, dtype, c->k_rank, c->k_dims);
    if (st == GC_OK)
        st = gc_corr_shape(ctx, &desc, &in, &k, &orank, odims);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &out, dtype, orank, odims);
    int rc = CLI_OK;
    const char *prefix = "bench";
    if (st != GC_OK) {
        rc = cli_lib_error(ctx, st, prefix);
    } else {
        uint64_t seed = 12345;
        cli_bench_fill(&in, &seed);
        cli_bench_fill(&k, &seed);
        corr_body_arg arg = {ctx, &desc, &in, &k, &out};
        double ms = 0.0;
        int reps = 0;
        st = cli_bench_time(corr_body, &arg, repeat, &ms, &reps);
        if (st != GC_OK) {
            rc = cli_lib_error(ctx, st, prefix);
        } else {
            /* flops: 2 * output elements * kernel spatial size * terms summed per output */
            int sd = desc.spatial_dims;
            double outn = 1.0, ksp = 1.0;
            for (int i = 0; i < orank; i++)
                outn *= (double)odims[i];
            for (int i = c->k_rank - sd; i < c->k_rank; i++)
                ksp *= (double)c->k_dims[i];
            double terms = c->k_rank == sd + 2 ? (double)c->in_dims[0] : 1.0;
            char shape[256], is[96], ks[96];
            snprintf(shape, sizeof shape, "input=%s,kernel=%s",
                     cli_dims_str(c->in_rank, c->in_dims, is, sizeof is),
                     cli_dims_str(c->k_rank, c->k_dims, ks, sizeof ks));
            cli_bench_report(ctx, op, shape, cli_mode_letter(c->mode), dtype, ms,
                             2.0 * outn * ksp * terms, reps);
        }
    }
    gc_tensor_free(&out);
    gc_tensor_free(&k);
    gc_tensor_free(&in);
    return rc;
}

static int bench_corr(gc_context *ctx, const cli_bench_opts *o)
{
    if (o->in_rank > 0) {
        corr_case c;
        memset(&c, 0, sizeof c);
        c.in_rank = o->in_rank;
        c.k_rank = o->k_rank;
        memcpy(c.in_dims, o->in_dims, sizeof c.in_dims);
        memcpy(c.k_dims, o->k_dims, sizeof c.k_dims);
        c.mode = o->mode;
        return bench_corr_case(ctx, o->op, &c, o->dtype, o->repeat);
    }
    /* The default suite: single plane with kernels 3, 5, 7 in V and F (or the mode given),
     * then the multi-plane 3D x 4D (or 4D x 5D) case in V (or the mode given). */
    const int three_d = strcmp(o->op, "xcorr3") == 0 || strcmp(o->op, "conv3") == 0;
    static const int ks2[] = {3, 5, 7};
    static const int ks3[] = {3, 5};
    const int *ks = three_d ? ks3 : ks2;
    const int nk = three_d ? 2 : 3;
    const gc_mode both[] = {GC_MODE_VALID, GC_MODE_FULL};
    const int nmodes = o->mode_given ? 1 : 2;
    for (int m = 0; m < nmodes; m++) {
        for (int i = 0; i < nk; i++) {
            corr_case c;
            memset(&c, 0, sizeof c);
            c.mode = o->mode_given ? o->mode : both[m];
            c.in_rank = c.k_rank = three_d ? 3 : 2;
            for (int d = 0; d < c.in_rank; d++) {
                c.in_dims[d] = three_d ? 64 : 1024;
                c.k_dims[d] = ks[i];
            }
            int rc = bench_corr_case(ctx, o->op, &c, o->dtype, o->repeat);
            if (rc != CLI_OK)
                return rc;
        }
    }
    corr_case c;
    memset(&c, 0, sizeof c);
    c.mode = o->mode_given ? o->mode : GC_MODE_VALID;
    if (three_d) {
        const int64_t id[] = {16, 32, 32, 32}, kd[] = {16, 16, 3, 3, 3};
        c.in_rank = 4;
        c.k_rank = 5;
        memcpy(c.in_dims, id, sizeof id);
        memcpy(c.k_dims, kd, sizeof kd);
    } else {
        const int64_t id[] = {64, 56, 56}, kd[] = {64, 64, 3, 3};
        c.in_rank = 3;
        c.k_rank = 4;
        memcpy(c.in_dims, id, sizeof id);
        memcpy(c.k_dims, kd, sizeof kd);
    }
    return bench_corr_case(ctx, o->op, &c, o->dtype, o->repeat);
}

int cli_cmd_bench(const cli_command *cmd, int argc, char **argv)
{
    cli_bench_opts o;
    cli_err err;
    int rc = cli_bench_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(o.threads, o.isa, &ctx)) != CLI_OK)
        return rc;
    rc = bench_targets[bench_target(o.op)].run(ctx, &o);
    gc_context_free(ctx);
    if (rc != CLI_OK)
        return rc;
    return cli_flush_stdout(CLI_OK);
}
