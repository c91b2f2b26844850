/* cputime_gram.c - gc_gram_forward / backward / fused style loss timed by CPU time (best of N),
 * for A/B comparisons on a shared, loaded machine where wall-clock medians swing by 2x.
 * Not built by CMake. Build against a built library and run:
 *   cc -O2 -std=gnu11 -Iinclude bench/cputime_gram.c build/libgramconv.a -lm -lpthread -o /tmp/cg
 *   /tmp/cg N C H W [repeats [threads [fwd|bwd|loss|bf16]]]     e.g. /tmp/cg 1 256 128 128 20 2 bwd
 * One thread: the calling thread's CPU time. T threads: the process's CPU time (all threads,
 * spinning included) divided by T, i.e. the wall time on T otherwise idle cores if the work
 * is balanced (a thread that waits costs no CPU time: the wall-clock best, also printed, is
 * what shows an idle thread, when the machine is quiet enough).
 * Prints GFLOP/s (fwd, and bf16 = the forward on bfloat16 operands: C(C+1)/2*H*W*2 per item;
 * bwd: 2*C*C*H*W; loss: both) and % of T * 116.2 (this Zen 4's measured per-core float32 peak). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gramconv.h"
static double now(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
int main(int argc, char **argv)
{
    if (argc < 5) {
        fputs("usage: cg N C H W [repeats [threads [fwd|bwd|loss|bf16]]]\n", stderr);
        return 2;
    }
    int64_t N = atoi(argv[1]), C = atoi(argv[2]), H = atoi(argv[3]), W = atoi(argv[4]);
    int it = argc > 5 ? atoi(argv[5]) : 20, T = argc > 6 ? atoi(argv[6]) : 1;
    const char *pass = argc > 7 ? argv[7] : "fwd";
    gc_context *ctx;
    gc_context_create(&ctx);
    gc_context_set_threads(ctx, T);
    gc_tensor x, g, dx, t;
    int64_t d[4] = {N, C, H, W}, e[3] = {N, C, C};
    gc_tensor_create(ctx, &x, GC_DTYPE_F32, 4, d);
    gc_tensor_create(ctx, &dx, GC_DTYPE_F32, 4, d);
    gc_tensor_create(ctx, &g, GC_DTYPE_F32, 3, e);
    gc_tensor_create(ctx, &t, GC_DTYPE_F32, 3, e);
    float *p = x.data;
    for (int64_t i = 0; i < N * C * H * W; i++)
        p[i] = (float)((i * 37) % 101) * 0.01f;
    float *q = t.data;
    for (int64_t i = 0; i < N * C * C; i++)
        q[i] = (float)((i * 13) % 17) * 0.1f;
    gc_gram_desc de = gc_gram_desc_default();
    if (!strcmp(pass, "bf16")) /* forward with bfloat16 operands (AVX512-BF16) */
        de.precision = GC_PRECISION_BF16;
    const clockid_t cpu = T > 1 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID;
    double best = 1e9, wbest = 1e9, loss;
    for (int i = 0; i < it; i++) {
        double t0 = now(cpu), w0 = now(CLOCK_MONOTONIC);
        gc_status st;
        if (!strcmp(pass, "bwd"))
            st = gc_gram_backward(ctx, &de, &x, &t, &dx);
        else if (!strcmp(pass, "loss"))
            st = gc_gram_style_loss(ctx, &de, &x, &t, 1.0, &loss, &dx, &g);
        else
            st = gc_gram_forward(ctx, &de, &x, &g);
        if (st != GC_OK) {
            puts("fail");
            return 1;
        }
        double el = (now(cpu) - t0) / T, wl = now(CLOCK_MONOTONIC) - w0;
        if (el < best)
            best = el;
        if (wl < wbest)
            wbest = wl;
    }
    double fwd = (double)N * C * (C + 1) / 2 * H * W * 2, bwd = 2.0 * N * C * C * H * W;
    double fl = !strcmp(pass, "bwd") ? bwd : !strcmp(pass, "loss") ? fwd + bwd : fwd;
    printf("%s %lldx%lldx%lldx%lld T=%d: %.1f GFLOP/s (%.0f%% of %.1f); wall-clock best %.1f\n",
           pass, (long long)N, (long long)C, (long long)H, (long long)W, T, fl / best * 1e-9,
           fl / best * 1e-9 / (116.2 * T) * 100, 116.2 * T, fl / wbest * 1e-9);
    gc_tensor_free(&x);
    gc_tensor_free(&dx);
    gc_tensor_free(&g);
    gc_tensor_free(&t);
    gc_context_free(ctx);
    return 0;
}
