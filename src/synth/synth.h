/* src/synth/ - layer 4, texture and style synthesis: networks (random or VGG-19), their
 * losses (Gram, sliced Wasserstein, spectrum), the one run loop (synth_loop.c), the one-call
 * texture and style entries with the coarse-to-fine pyramid, and the network-free texture
 * score. It calls the ops, io, nn and optim through the public API and includes base/,
 * kernels/ and ops/corr/; tile/ and dist/ build on it. */
/* synth.h - private pieces of the synthesis engine shared by synth_net.c (networks),
 * synth_eval.c (forward / backward of a network with per-layer loss taps) and synth.c (the
 * gc_synth object and its losses; its loop, synth_loop.h, is also the tiled and MPI
 * synthesis's in tile_synth.c / mpi_synth.c). */
#ifndef GC_SYNTH_H
#define GC_SYNTH_H

#include "base/internal.h"

typedef enum gc_synth_net_kind {
    GC_SYNTH_NET_RANDOM = 0,
    GC_SYNTH_NET_VGG19 = 1
} gc_synth_net_kind;

#define GC_SYNTH_VGG_CONVS 16

struct gc_synth_net {
    gc_allocator alloc;                           /* made this struct */
    gc_synth_net_kind kind;
    gc_dtype dtype;
    int64_t in_channels;
    int nlayers;                                  /* taps: one per scale / per conv's ReLU */
    char names[GC_SYNTH_MAX_LAYERS][16];
    int64_t channels[GC_SYNTH_MAX_LAYERS];
    uint32_t default_style;
    int default_content;
    gc_synth_random_desc rdesc;                   /* random only */
    int nconv;                                    /* random: nscales; VGG: 16 */
    gc_tensor weights[GC_SYNTH_MAX_LAYERS];       /* owned; random: F x C x k x k */
    gc_tensor biases[GC_SYNTH_MAX_LAYERS];        /* owned; VGG's, or the random net's centring
                                                     bias -sum(w * center) (no data: none) */
    gc_synth_pool pool;                           /* VGG */
};

/* Is conv i of VGG-19 followed by a 2x2 pooling? (after conv 2, 4, 8, 12, 16; 1-based) */
static inline int gc_synth_vgg_pool_after(int i)
{
    return i == 1 || i == 3 || i == 7 || i == 11 || i == 15;
}

/* A per-layer loss "tap": given layer l's features (C_l x H_l x W_l), add its loss to *loss
 * and, if grad is not NULL, OVERWRITE grad (same shape) with dloss/dfeatures. */
typedef gc_status (*gc_synth_tap_fn)(gc_context *ctx, void *user, int layer,
                                     const gc_tensor *feat, gc_tensor *grad, double *loss);

/* Memory for evaluating a net on images of one size: planned once, reused every iteration. */
typedef struct gc_synth_plan {
    const gc_synth_net *net;
    int64_t H, W;
    int valid;             /* 1: a target plan, forward only (random net: no padding);
                              0: the synthesis plan (random net: circular padding) */
    int deepest;           /* VGG: last conv needed (from the taps asked for at planning) */
    /* random: feat, gfeat (max F x OH x OW), gtmp (C x H x W)
     * VGG: act[i] (conv i's ReLU output), pooled[i] (if pooled after i), input (normalised),
     *      g0 / g1 (two gradient buffers of the largest activation), gtap (the same) */
    gc_tensor act[GC_SYNTH_MAX_LAYERS];
    gc_tensor pooled[GC_SYNTH_MAX_LAYERS];
    gc_tensor input;
    gc_tensor feat, gfeat, gtmp;
    gc_tensor gimg;        /* C x H x W: dloss/dimage */
    gc_tensor g0t, g1t, gtapt, wst;  /* owners of the buffers below */
    void *g0, *g1, *gtap;
    void *ws;              /* conv workspace, the largest any pass needs */
    size_t ws_bytes;
} gc_synth_plan;

/* The checks of a gc_synth_desc against the net (size, layers, weights, iterations, optimiser,
 * pyramid, ...), messages prefixed with `op` (the public call the caller made). */
gc_status gc_synth_desc_check(gc_context *ctx, const gc_synth_net *net, const gc_synth_desc *d,
                              const char *op);
/* Plan for H x W images, evaluating layers up to the deepest bit of `layers`. */
gc_status gc_synth_plan_init(gc_context *ctx, const gc_synth_net *net, int64_t H, int64_t W,
                             int valid, uint32_t layers, gc_synth_plan *plan);
void gc_synth_plan_free(gc_synth_plan *plan);
/* The optimiser gc_synth_run steps (synth.c), for n image elements: shared with the banded
 * and distributed runs so that all three take the same steps. */
gc_status gc_synth_make_optimizer(gc_context *ctx, const gc_synth_desc *d, gc_dtype dtype,
                                  int64_t n, gc_optimizer **out);
/* Output dims of layer l (C_l, H_l, W_l) for this plan. */
void gc_synth_plan_layer_dims(const gc_synth_plan *plan, int layer, int64_t dims[3]);

/* Evaluate: forward through the net, call tap() once for each layer in `layers` (in an order
 * fixed by the net: increasing for the random net and forward-only VGG, decreasing when VGG
 * runs backward), and if grad_image is not NULL, backward to the image (overwritten). *loss is
 * the sum the taps added (set to 0 first). image: C x H x W, any strides. */
gc_status gc_synth_plan_eval(gc_context *ctx, gc_synth_plan *plan, const gc_tensor *image,
                             uint32_t layers, gc_synth_tap_fn tap, void *user, double *loss,
                             gc_tensor *grad_image);

/* The seeded generator: splitmix64, and a uniform double in [0, 1) from it. */
static inline uint64_t gc_synth_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline double gc_synth_rng_uniform(uint64_t *state)
{
    return (double)(gc_synth_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* The spectrum constraint (synth_spectrum.c): the target power spectrum at the output size and
 * the FFT buffers, made once. */
typedef struct gc_synth_spectrum {
    int64_t C, H, W;
    gc_tensor power;       /* C x H x (W/2+1) float64: target |T|^2 on the r2c half grid */
    gc_tensor real, spec;  /* H x W and H x (W/2+1) complex: one channel's transform */
    void *fwd, *bwd;       /* FFTW plans (cached by fft_plan.c) */
    double var;            /* the samples' (blended) variance: the loss's scale */
} gc_synth_spectrum;
gc_status gc_synth_spectrum_init(gc_context *ctx, gc_synth_spectrum *sp, int64_t C, int64_t H,
                                 int64_t W);
void gc_synth_spectrum_free(gc_synth_spectrum *sp);
/* Blend sample (C x Hs x Ws) into the target with `weight` (total: the weight so far). */
gc_status gc_synth_spectrum_add(gc_context *ctx, gc_synth_spectrum *sp, const gc_tensor *sample,
                                double weight, double total);
/* *loss += the constraint at x (C x H x W, contiguous); grad (same, contiguous) += its gradient. */
gc_status gc_synth_spectrum_loss(gc_synth_spectrum *sp, const gc_tensor *x, double weight,
                                 double *loss, gc_tensor *grad);

/* The sliced Wasserstein loss (synth_swd.c; its definition is at the top of that file). */
#define GC_SYNTH_SWD_BLOCK 4   /* directions projected per pass over the features */
typedef struct gc_synth_swd_scratch {
    int64_t n;
    double *proj, *grad;   /* BLOCK x n: a block of directions' projections and gradients */
    uint64_t *kv, *kv2;    /* n: the radix sort's (key << 32 | index) pairs, two buffers */
} gc_synth_swd_scratch;
typedef struct gc_synth_swd {
    gc_allocator alloc;
    uint32_t style;
    int images;                                /* style images blended into quant */
    int64_t D[GC_SYNTH_MAX_LAYERS];            /* directions: C_l */
    int64_t Q[GC_SYNTH_MAX_LAYERS];            /* quantiles kept per direction */
    double *dirs[GC_SYNTH_MAX_LAYERS];         /* D x C_l unit directions */
    double *quant[GC_SYNTH_MAX_LAYERS];        /* D x Q: the blended target quantiles */
    double *next[GC_SYNTH_MAX_LAYERS];         /* D x Q: a measured image not yet blended */
    double snorm[GC_SYNTH_MAX_LAYERS];         /* mean(quant^2), 1 if 0 */
    gc_synth_swd_scratch scratch;              /* the largest style layer of the plan */
} gc_synth_swd;
/* Directions and the scratch for the style layers of `plan` (the synthesis plan). */
gc_status gc_synth_swd_init(gc_context *ctx, gc_synth_swd *sw, const gc_synth_plan *plan,
                            uint32_t style);
void gc_synth_swd_free(gc_synth_swd *sw);  /* safe on a zeroed or freed one */
/* The quantiles of a style image (valid padding) into sw->next; on failure none are kept. */
gc_status gc_synth_swd_measure(gc_context *ctx, gc_synth_swd *sw, const gc_synth_net *net,
                               const gc_tensor *image);
/* Blend the measured image in with `weight` (total: the weight so far); cannot fail. */
void gc_synth_swd_commit(gc_synth_swd *sw, double weight, double total);
void gc_synth_swd_discard(gc_synth_swd *sw);
/* *loss += weight * Loss_l at layer l's features (C_l x H_l x W_l, contiguous); grad (same) +=
 * its gradient. Allocates nothing. */
gc_status gc_synth_swd_loss(gc_synth_swd *sw, int layer, const gc_tensor *feat, double weight,
                            double *loss, gc_tensor *grad);

/* mean[c] = channel c's mean of image (C x H x W, any strides, C <= 4), summed in float64 in
 * raster order. */
static inline void gc_synth_means(const gc_tensor *image, double *mean)
{
    const int64_t H = image->dims[1], W = image->dims[2];
    for (int64_t c = 0; c < image->dims[0] && c < 4; c++) {
        double sum = 0.0;
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++)
                sum += gc_load(image->data, image->dtype, c * image->strides[0] +
                               y * image->strides[1] + x * image->strides[2]);
        mean[c] = sum / (double)(H * W);
    }
}

/* Scale i's bias, or NULL when it has none. */
static inline const gc_tensor *gc_synth_net_bias(const gc_synth_net *net, int i)
{
    return net->biases[i].data ? &net->biases[i] : NULL;
}

#endif /* GC_SYNTH_H */
