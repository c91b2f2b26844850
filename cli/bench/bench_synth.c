/* bench_synth.c - `gramconv bench synth [--size W,H] [--threads N] [--layers ..] [--filters F]
 * [--optimizer lbfgs|adam] [--repeat R] [--iters N]`: milliseconds per synthesis iteration of
 * the random net, as one JSON line (cli_bench_report). */
#include "synth_cli.h"

#include <stdio.h>
#include <string.h>

static const cli_opt bs_opts[] = {
    {"size", 0, 1}, {"threads", 't', 1}, {"layers", 0, 1}, {"filters", 0, 1},
    {"optimizer", 0, 1}, {"repeat", 0, 1}, {"iters", 0, 1},
};
enum { BS_SIZE, BS_THREADS, BS_LAYERS, BS_FILTERS, BS_OPTIMIZER, BS_REPEAT, BS_ITERS, BS_NOPTS };

typedef struct bs_arg {
    gc_context *ctx;
    gc_synth *s;
    gc_tensor *x, *start;
    int64_t iters;
} bs_arg;

static gc_status bs_body(void *p)
{
    bs_arg *a = p;
    gc_status st = gc_tensor_copy(a->start, a->x);
    return st == GC_OK ? gc_synth_run(a->ctx, a->s, a->x, NULL) : st;
}

/* Time per iteration (one loss + gradient evaluation and one optimiser step) of the random
 * net, as the difference between runs of `iters` + 1 and 1 iterations (which cancels the
 * start-up evaluation and copies). */
int cli_bench_synth(const cli_command *cmd, int argc, char **argv)
{
    cli_args a;
    cli_err err;
    int rc = cli_parse_args(argc, argv, bs_opts, BS_NOPTS, 1, &a, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (a.help)
        return cli_print_usage(cmd);
    int64_t w = 256, h = 256, repeat = 3, iters = 4, v = 0;
    int threads = 0;
    cli_synth_netopts no;
    memset(&no, 0, sizeof no);
    no.layers = a.value[BS_LAYERS];
    gc_synth_optimizer opt = GC_SYNTH_OPTIMIZER_LBFGS;
    if ((a.value[BS_SIZE] && (rc = cli_parse_size_wh(a.value[BS_SIZE], &w, &h, &err)) != CLI_OK) ||
        (a.value[BS_THREADS] && (rc = cli_parse_threads(a.value[BS_THREADS], &threads, &err)) != CLI_OK) ||
        (a.value[BS_FILTERS] && (rc = cli_parse_int64(a.value[BS_FILTERS], 1, 4096, "--filters", &v, &err)) != CLI_OK) ||
        (a.value[BS_OPTIMIZER] && (rc = cli_parse_optimizer(a.value[BS_OPTIMIZER], &opt, &err)) != CLI_OK) ||
        (a.value[BS_REPEAT] && (rc = cli_parse_int64(a.value[BS_REPEAT], 1, 1000, "--repeat", &repeat, &err)) != CLI_OK) ||
        (a.value[BS_ITERS] && (rc = cli_parse_int64(a.value[BS_ITERS], 1, 100000, "--iters", &iters, &err)) != CLI_OK))
        return cli_error(rc, "bench synth: %s", err.msg);
    no.filters = v;
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(threads, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    gc_synth_net *net = NULL;
    gc_synth *s1 = NULL, *sn = NULL;
    gc_tensor x = {0}, start = {0};
    uint32_t mask = 0;
    gc_status st = GC_OK;
    no.center[0] = no.center[1] = no.center[2] = 0.5; /* the cost does not depend on it */
    rc = cli_synth_make_net(ctx, &no, GC_DTYPE_F32, &net, &mask);
    gc_synth_desc d = gc_synth_desc_default();
    d.width = w, d.height = h, d.optimizer = opt;
    d.learning_rate = opt == GC_SYNTH_OPTIMIZER_ADAM ? 0.02 : 1.0;
    /* texture's default iteration: with the spectrum constraint where the build has FFTW */
    d.spectrum_weight = gc_fft_available() ? CLI_TEXTURE_SPECTRUM_DEFAULT : 0.0;
    const int64_t dims[3] = {3, h, w};
    if (rc == CLI_OK) {
        d.iters = 1;
        if ((st = gc_synth_create(ctx, net, &d, &s1)) == GC_OK) {
            d.iters = iters + 1;
            st = gc_synth_create(ctx, net, &d, &sn);
        }
        if (st == GC_OK && (st = gc_tensor_create(ctx, &x, GC_DTYPE_F32, 3, dims)) == GC_OK &&
            (st = gc_tensor_create(ctx, &start, GC_DTYPE_F32, 3, dims)) == GC_OK &&
            (st = gc_synth_noise(&x, 1)) == GC_OK && (st = gc_synth_add_style_image(ctx, s1, &x, 1.0)) == GC_OK &&
            (st = gc_synth_add_style_image(ctx, sn, &x, 1.0)) == GC_OK)
            st = gc_synth_noise(&start, 2);
        if (st != GC_OK)
            rc = cli_lib_error(ctx, st, "bench synth");
    }
    double m1 = 0, mn = 0;
    int r1 = 0, rn = 0;
    if (rc == CLI_OK) {
        bs_arg b1 = {ctx, s1, &x, &start, 1}, bn = {ctx, sn, &x, &start, iters + 1};
        if ((st = cli_bench_time(bs_body, &b1, (int)repeat, &m1, &r1)) == GC_OK)
            st = cli_bench_time(bs_body, &bn, (int)repeat, &mn, &rn);
        if (st != GC_OK)
            rc = cli_lib_error(ctx, st, "bench synth");
    }
    if (rc == CLI_OK) {
        const double per = (mn - m1) / (double)iters;
        gc_synth_random_desc rd;
        gc_synth_net_random_desc(net, &rd);
        char extra[768], shape[64];
        int n = snprintf(extra, sizeof extra, "\"net\":\"random\",\"scales\":[");
        double flops = 0.0;
        for (int i = 0; i < rd.nscales; i++) {
            n += snprintf(extra + n, sizeof extra - (size_t)n, "%s%lld", i ? "," : "", (long long)rd.sizes[i]);
            const double k2 = (double)(rd.sizes[i] * rd.sizes[i]), hw = (double)(w * h), f = (double)rd.filters;
            /* conv forward + backward_input, Gram forward + backward */
            flops += 2.0 * (2.0 * 3.0 * k2 * f * hw) + 2.0 * f * f * hw + 2.0 * 2.0 * f * f * hw;
        }
        snprintf(extra + n, sizeof extra - (size_t)n,
                 "],\"filters\":%lld,\"size\":[%lld,%lld],\"optimizer\":\"%s\",\"iters\":%lld,"
                 "\"spectrum\":%g,\"s_per_iter\":%.6g",
                 (long long)rd.filters, (long long)w, (long long)h,
                 opt == GC_SYNTH_OPTIMIZER_ADAM ? "adam" : "lbfgs", (long long)iters, d.spectrum_weight,
                 per / 1e3);
        snprintf(shape, sizeof shape, "3x%lldx%lld", (long long)h, (long long)w);
        cli_bench_report_ex(ctx, "synth", shape, "iteration", extra, "f32", per, flops, rn);
    }
    gc_synth_free(s1);
    gc_synth_free(sn);
    gc_synth_net_free(net);
    gc_tensor_free(&x);
    gc_tensor_free(&start);
    gc_context_free(ctx);
    return rc == CLI_OK ? cli_flush_stdout(CLI_OK) : rc;
}
