/* synth_vgg_load.c - VGG-19 'features' weights from a safetensors file with torchvision's
 * tensor names (features.N.weight, features.N.bias for the 16 convolutions). */
#include "synth/synth.h"

#include <stdio.h>
#include <string.h>

/* torchvision vgg19().features indices of the 16 convolutions */
static const int gc_vgg19_conv_index[GC_SYNTH_VGG_CONVS] = {0,  2,  5,  7,  10, 12, 14, 16,
                                                            19, 21, 23, 25, 28, 30, 32, 34};

gc_status gc_synth_net_load_vgg19(gc_context *ctx, const char *path, gc_synth_pool pool,
                                  gc_dtype dtype, gc_synth_net **out)
{
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "synth_net_load_vgg19: out is NULL");
    *out = NULL;
    if (!path)
        return gc_fail(ctx, GC_ERR_NULL, "synth_net_load_vgg19: path is NULL");
    gc_safetensors *st = NULL;
    gc_status s = gc_safetensors_read(ctx, path, &st);
    if (s != GC_OK)
        return s;
    gc_tensor w[GC_SYNTH_VGG_CONVS], b[GC_SYNTH_VGG_CONVS];
    memset(w, 0, sizeof w);
    memset(b, 0, sizeof b);
    int64_t cin = 3;
    for (int i = 0; i < GC_SYNTH_VGG_CONVS && s == GC_OK; i++) {
        char name[64];
        const int64_t wd[4] = {-1, cin, 3, 3};
        snprintf(name, sizeof name, "features.%d.weight", gc_vgg19_conv_index[i]);
        s = gc_safetensors_get(ctx, st, name, 4, wd, &w[i]);
        if (s != GC_OK)
            break;
        if (w[i].dims[0] < 1 || w[i].dims[0] > 65536) {
            s = gc_fail(ctx, GC_ERR_SHAPE, "%s has %lld output channels", name, (long long)w[i].dims[0]);
            break;
        }
        const int64_t bd[1] = {w[i].dims[0]};
        snprintf(name, sizeof name, "features.%d.bias", gc_vgg19_conv_index[i]);
        s = gc_safetensors_get(ctx, st, name, 1, bd, &b[i]);
        cin = w[i].dims[0];
    }
    if (s == GC_OK)
        s = gc_synth_net_create_vgg19(ctx, w, b, pool, dtype, out);
    gc_safetensors_free(st);
    return s;
}
