/* cmd_texture.h - what the texture command (cmd_texture.c) and the Gram presets
 * (cmd_gram_preset.c: reading presets, `gram-preset save`) share: the parsed options and
 * the preset loaders. */
#ifndef GC_CLI_CMD_TEXTURE_H
#define GC_CLI_CMD_TEXTURE_H

#include "synth_cli.h"

#define TX_MAX_PRESETS 8

typedef struct tx_opts_t {
    const char *sample, *output, *stats;
    char presets_buf[4096];
    char *presets[TX_MAX_PRESETS];
    int npresets;
    double blend[TX_MAX_PRESETS];
    int nblend;
    int64_t width, height;          /* 0: from the sample (presets: 256) */
    int64_t iters;
    uint64_t seed;
    gc_synth_optimizer optimizer;
    double lr, tv;                  /* lr 0: the optimiser's default */
    cli_synth_netopts net;
    int64_t save_every;
    int quiet, threads;
    int64_t max_pixels;
    uint64_t max_memory;            /* 0: no budget (--max-memory: the banded synthesis) */
    double spectrum;                /* --spectrum: the spectrum constraint's weight */
    int spectrum_set;
    int pyramid;                    /* --pyramid: levels of coarse-to-fine synthesis */
    int histogram;                  /* --histogram on|off: colours matched to the sample's */
    gc_synth_init init;             /* --init mean|noise */
    gc_synth_loss_kind loss;        /* --loss gram|swd|both */
    int help;
} tx_opts_t;

/* Load presets: the net from the first; every one must name the same net and layers. */
int cli_tx_load_presets(gc_context *ctx, const tx_opts_t *o, gc_safetensors **sts,
                        gc_synth_net **net, uint32_t *mask);
/* The Gram matrices "gram.<layer>" of the layers in mask from preset st into grams[layer]. */
int cli_tx_preset_grams(gc_context *ctx, const gc_safetensors *st, const gc_synth_net *net,
                        uint32_t mask, const char *path, gc_tensor *grams);

#endif
