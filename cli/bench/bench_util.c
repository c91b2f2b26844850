/* bench_util.c - what every `gramconv bench` target shares: the timer (median of repeats),
 * the one-line JSON report, and deterministic input fill. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void cli_bench_report_ex(const gc_context *ctx, const char *op, const char *shape,
                         const char *mode, const char *extra, const char *dtype,
                         double median_ms, double flops, int repeats)
{
    double gflops = median_ms > 0.0 ? flops / (median_ms * 1e6) : 0.0;
    char ms_s[32], gf_s[32]; /* null, never nan/inf, in JSON */
    printf("{\"op\":\"%s\",\"shape\":\"%s\",\"mode\":\"%s\",%s%s\"dtype\":\"%s\",\"threads\":%d,"
           "\"isa\":\"%s\",\"ms\":%s,\"gflops\":%s,\"repeats\":%d}\n",
           op, shape, mode, extra ? extra : "", extra && *extra ? "," : "", dtype,
           gc_context_threads(ctx), gc_isa_name(gc_context_isa(ctx)),
           cli_json_number(median_ms, 6, ms_s, sizeof ms_s), cli_json_number(gflops, 6, gf_s, sizeof gf_s),
           repeats);
    fflush(stdout);
}

void cli_bench_report(const gc_context *ctx, const char *op, const char *shape, const char *mode,
                      gc_dtype dtype, double median_ms, double flops, int repeats)
{
    cli_bench_report_ex(ctx, op, shape, mode, NULL, cli_dtype_short(dtype), median_ms, flops,
                        repeats);
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
