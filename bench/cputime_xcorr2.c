/* cputime_xcorr2.c - single-thread single-plane xcorr2 (direct method) timed by the thread's
 * CPU time (best of N), for A/B comparisons on a shared, loaded machine. Not built by CMake.
 *   cc -O2 -std=gnu11 -Iinclude bench/cputime_xcorr2.c build/libgramconv.a -lfftw3f -lfftw3 -lm -lpthread -o /tmp/cx
 *   /tmp/cx H W K V|F|S [f32|f64] [repeats] [direct|fft|auto]   e.g. /tmp/cx 1024 1024 7 F f32 20
 * Prints ms and GFLOP/s on 2*oh*ow*k*k. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gramconv.h"
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    const int64_t H = atoll(argv[1]), Wd = atoll(argv[2]), K = atoll(argv[3]);
    const gc_mode mode = argv[4][0] == 'F' ? GC_MODE_FULL : argv[4][0] == 'S' ? GC_MODE_SAME : GC_MODE_VALID;
    const gc_dtype dt = argc > 5 && strcmp(argv[5], "f64") == 0 ? GC_DTYPE_F64 : GC_DTYPE_F32;
    const int it = argc > 6 ? atoi(argv[6]) : 20;
    gc_context *ctx;
    gc_context_create(&ctx);
    gc_context_set_threads(ctx, 1);
    gc_tensor x, k, y;
    gc_tensor_create(ctx, &x, dt, 2, (int64_t[]){H, Wd});
    gc_tensor_create(ctx, &k, dt, 2, (int64_t[]){K, K});
    for (int64_t i = 0; i < H * Wd; i++) {
        if (dt == GC_DTYPE_F32) ((float *)x.data)[i] = (float)((i * 37) % 101) * 0.01f;
        else ((double *)x.data)[i] = (double)((i * 37) % 101) * 0.01;
    }
    for (int64_t i = 0; i < K * K; i++) {
        if (dt == GC_DTYPE_F32) ((float *)k.data)[i] = 0.1f * (float)(i % 7);
        else ((double *)k.data)[i] = 0.1 * (double)(i % 7);
    }
    const int64_t oh = mode == GC_MODE_FULL ? H + K - 1 : mode == GC_MODE_SAME ? H : H - K + 1;
    const int64_t ow = mode == GC_MODE_FULL ? Wd + K - 1 : mode == GC_MODE_SAME ? Wd : Wd - K + 1;
    gc_tensor_create(ctx, &y, dt, 2, (int64_t[]){oh, ow});
    gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = mode,
                      .method = GC_CORR_METHOD_DIRECT, .boundary = GC_BOUNDARY_FILL};
    if (argc > 7)
        d.method = strcmp(argv[7], "fft") == 0 ? GC_CORR_METHOD_FFT
                   : strcmp(argv[7], "auto") == 0 ? GC_CORR_METHOD_AUTO : GC_CORR_METHOD_DIRECT;
    double best = 1e9;
    for (int i = 0; i < it; i++) {
        double t0 = now();
        if (gc_corr(ctx, &d, &x, &k, &y) != GC_OK) {
            printf("fail: %s\n", gc_context_last_error(ctx));
            return 1;
        }
        double t = now() - t0;
        if (t < best) best = t;
    }
    const double fl = 2.0 * (double)oh * (double)ow * (double)K * (double)K;
    printf("%lldx%lld k%lld %s %s %s: %.3f ms %.1f GFLOP/s\n", (long long)H, (long long)Wd,
           (long long)K, argv[4], dt == GC_DTYPE_F32 ? "f32" : "f64", argc > 7 ? argv[7] : "direct",
           best * 1e3, fl / best * 1e-9);
    return 0;
}
