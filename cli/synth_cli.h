/* synth_cli.h - pieces shared by the synthesis commands (texture, style, gram-preset, bench
 * synth): option values, building the network, reading images, progress, stats files. */
#ifndef GC_SYNTH_CLI_H
#define GC_SYNTH_CLI_H

#include "cli.h"

#include <stdint.h>

/* How to build the network: --net random|WEIGHTS.safetensors, --layers, --filters, --pool,
 * and the seed (random net). */
typedef struct cli_synth_netopts {
    const char *net;       /* "random" (default) or a safetensors path */
    const char *layers;    /* random: filter sizes "3,5,7"; VGG: layer names; NULL: default */
    int64_t filters;       /* random: filters per size; 0: default */
    gc_synth_pool pool;
    uint64_t seed;
    double center[4];      /* random: subtracted before the filters */
    const gc_tensor *center_on; /* random: if set, center = this image's channel means */
    int zero_mean;         /* random: zero-mean filters (presets made before centring) */
} cli_synth_netopts;

/* Refuse (report, CLI_FAIL) a safetensors network holding a NaN or infinite value, naming the
 * tensor. */
int cli_synth_check_weights(gc_context *ctx, const char *path);
int cli_synth_run_files(const cli_synth_netopts *net, const char *output, const char *stats,
                        int64_t save_every, int64_t iters, const char **wout, const char **wstats);
/* Make the net; *style gets the layers --layers picks (VGG; 0 for the random net, whose
 * --layers chooses its sizes, all of which are used). Reports on failure. */
int cli_synth_make_net(gc_context *ctx, const cli_synth_netopts *o, gc_dtype dtype,
                       gc_synth_net **net, uint32_t *style);
/* A comma-separated list of layer names of `net` -> a mask. */
int cli_synth_layer_mask(const gc_synth_net *net, const char *list, const char *what,
                         uint32_t *mask, cli_err *err);

/* Value parsers (pure). */
int cli_parse_u64(const char *s, const char *what, uint64_t *out, cli_err *err);
int cli_parse_optimizer(const char *s, gc_synth_optimizer *out, cli_err *err);
int cli_parse_pool(const char *s, gc_synth_pool *out, cli_err *err);
/* 1..maxn finite numbers > 0 separated by commas. */
int cli_parse_weight_list(const char *s, const char *what, double *w, int maxn, int *n,
                          cli_err *err);
/* Split a comma-separated list of paths in place into at most maxn non-empty items. */
int cli_split_list(char *s, const char *what, char **items, int maxn, int *n, cli_err *err);
/* --size W,H (width first). */
int cli_parse_size_wh(const char *s, int64_t *w, int64_t *h, cli_err *err);
/* The output name must end in .png, .jpg or .jpeg (any case). */
int cli_synth_check_out_ext(const char *path, cli_err *err);

/* Read an image as RGB float32 under the context's pixel limit; reports on failure. */
int cli_synth_read_image(gc_context *ctx, const char *path, const char *what, gc_tensor *out);
/* Resize `in` so that its longer side is `side` (area when shrinking, bilinear when growing)
 * into a new tensor; a copy when the size is already right. */
int cli_synth_resize_long_side(gc_context *ctx, const gc_tensor *in, int64_t side, gc_tensor *out);
int cli_synth_resize_to(gc_context *ctx, const gc_tensor *in, int64_t h, int64_t w, gc_tensor *out);

/* Progress reporting and --save-every, through gc_synth_desc.progress. A non-finite loss stops
 * the run (reported, failed set). */
typedef struct cli_synth_progress {
    gc_context *ctx;
    int quiet, tty;
    int64_t save_every;    /* 0: never */
    const char *out_path;  /* for OUT_<iter>.png */
    int failed;            /* a --save-every write failed (reported; the run stops) */
    int bar_open;          /* a bar line is on the terminal */
} cli_synth_progress;
int cli_synth_progress_fn(const gc_synth_progress *p, void *user);
/* 1 if stderr is a terminal (progress as a bar), else 0 (plain lines). */
int cli_synth_is_tty(void);
/* End the bar line, if any. */
void cli_synth_progress_end(cli_synth_progress *pr);

/* Write text to path by io_file.h's rule (a temporary file and rename, or in place for a
 * device or FIFO); reports on failure. */
int cli_write_text_file(const char *path, const char *text);
/* {"iters":..,"evals":..,"initial_loss":..,"final_loss":..,"seconds":..,"threads":..,
 *  "size":[W,H],"net":..,(random:)"scales":[..],"filters":F,"seed":S,"optimizer":..} */
int cli_synth_stats_json(const char *path, const gc_context *ctx, const gc_synth_stats *st,
                         const gc_synth_net *net, int64_t w, int64_t h, uint64_t seed,
                         gc_synth_optimizer opt, const char *command);

/* The texture command's default spectrum-constraint weight (docs/SYNTH.md has the table it was
 * chosen by); `bench synth` times the same loss. */
#define CLI_TEXTURE_SPECTRUM_DEFAULT 1.0

#endif /* GC_SYNTH_CLI_H */
