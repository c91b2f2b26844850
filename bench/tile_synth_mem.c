/* tile_synth_mem.c - peak memory of texture synthesis with and without bands (docs/SCALING.md).
 *   tile_synth_mem untiled SIZE ITERS          gc_synth_run on a SIZE x SIZE float32 image
 *   tile_synth_mem tiled SIZE ITERS BUDGET     gc_synth_tiled_run, band buffers <= BUDGET bytes
 * Random net (gc_synth_random_desc_default: sizes 3..23, 32 filters each), style from a noise
 * image, L-BFGS, 1 thread; prints the loss and the seconds; measure with /usr/bin/time -v.
 * Build: cc -O2 -Iinclude bench/tile_synth_mem.c build/libgramconv.a -lpthread -lm */
#include "gramconv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 4)
        return fprintf(stderr, "usage: tile_synth_mem untiled|tiled SIZE ITERS [BUDGET]\n"), 2;
    const int tiled = strcmp(argv[1], "tiled") == 0;
    const int64_t n = atoll(argv[2]), iters = atoll(argv[3]);
    const uint64_t budget = argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
    gc_context *ctx = NULL;
    gc_context_create(&ctx);
    gc_context_set_threads(ctx, 1);
    gc_synth_random_desc rd = gc_synth_random_desc_default();
    gc_synth_net *net = NULL;
    gc_status st = gc_synth_net_create_random(ctx, &rd, GC_DTYPE_F32, &net);
    const int64_t sd[3] = {3, 128, 128}, xd[3] = {3, n, n};
    gc_tensor style = {0}, x = {0};
    gc_tensor grams[GC_SYNTH_MAX_LAYERS];
    memset(grams, 0, sizeof grams);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &style, GC_DTYPE_F32, 3, sd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &x, GC_DTYPE_F32, 3, xd);
    unsigned long long s = 1;
    for (int64_t i = 0; st == GC_OK && i < 3 * 128 * 128; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        ((float *)style.data)[i] = (float)((s >> 40) & 0xffff) / 65536.0f;
    }
    for (int64_t i = 0; st == GC_OK && i < 3 * n * n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        ((float *)x.data)[i] = (float)((s >> 40) & 0xffff) / 65536.0f;
    }
    if (st == GC_OK)
        st = gc_synth_net_grams(ctx, net, &style, gc_synth_net_default_style_layers(net), grams);
    gc_synth_desc desc = gc_synth_desc_default();
    desc.height = desc.width = n;
    desc.iters = iters;
    gc_synth_stats stats = {0};
    if (st == GC_OK && tiled) {
        gc_synth_tiled *t = NULL;
        st = gc_synth_tiled_create(ctx, net, &desc, grams, budget, &t);
        if (st == GC_OK) {
            printf("band rows %lld\n", (long long)gc_synth_tiled_band_rows(t));
            st = gc_synth_tiled_run(ctx, t, &x, &stats);
        }
        gc_synth_tiled_free(t);
    } else if (st == GC_OK) {
        gc_synth *sy = NULL;
        st = gc_synth_create(ctx, net, &desc, &sy);
        if (st == GC_OK)
            st = gc_synth_add_style_grams(ctx, sy, grams, 1.0);
        if (st == GC_OK)
            st = gc_synth_run(ctx, sy, &x, &stats);
        gc_synth_free(sy);
    }
    if (st != GC_OK)
        fprintf(stderr, "tile_synth_mem: %s\n", gc_context_last_error(ctx));
    else
        printf("%s %lldx%lld: loss %.6g -> %.6g in %lld iterations, %.2f s\n", argv[1],
               (long long)n, (long long)n, stats.initial_loss, stats.final_loss,
               (long long)stats.iters, stats.seconds);
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&grams[l]);
    gc_tensor_free(&style);
    gc_tensor_free(&x);
    gc_synth_net_free(net);
    gc_context_free(ctx);
    return st == GC_OK ? 0 : 1;
}
