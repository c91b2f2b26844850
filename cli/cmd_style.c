/* cmd_style.c - style transfer from the command line:
 *   gramconv style CONTENT STYLE[,STYLE2...] -o OUT.png [--style-blend-weights w1,w2]
 *            [--content-weight a] [--style-weight b] [--tv-weight c]
 *            [--init content|random|image:PATH] [--original-colors] [--image-size N]
 *            [--style-scale s] [--optimizer ..] [--seed S] [--pyramid N|auto]
 *            [--loss gram|swd|both] [--histogram on|off] [...]
 * The content image is resized to --image-size on its longer side; each style image to
 * style-scale times that (neural-style's convention). The run is the library's
 * gc_synth_style (pyramid, histogram matching and the content's colours included). */
#include "synth_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX_STYLES 8
#define ST_NOISE_MIX 0x6a09e667f3bcc909ull

static const cli_opt st_opts[] = {
    {"output", 'o', 1},        {"style-blend-weights", 0, 1}, {"content-weight", 0, 1},
    {"style-weight", 0, 1},    {"tv-weight", 0, 1},           {"init", 0, 1},
    {"original-colors", 0, 0}, {"image-size", 0, 1},          {"style-scale", 0, 1},
    {"optimizer", 0, 1},       {"seed", 0, 1},                {"iters", 0, 1},
    {"net", 0, 1},             {"layers", 0, 1},              {"content-layer", 0, 1},
    {"filters", 0, 1},         {"pool", 0, 1},                {"save-every", 0, 1},
    {"quiet", 'q', 0},         {"stats-json", 0, 1},          {"threads", 't', 1},
    {"max-pixels", 0, 1},      {"lr", 0, 1},                  {"histogram", 0, 1},
    {"pyramid", 0, 1},         {"loss", 0, 1},
};
enum {
    ST_OUTPUT, ST_BLEND, ST_CW, ST_SW, ST_TV, ST_INIT, ST_ORIG, ST_SIZE, ST_SCALE, ST_OPT,
    ST_SEED, ST_ITERS, ST_NET, ST_LAYERS, ST_CLAYER, ST_FILTERS, ST_POOL, ST_SAVE, ST_QUIET,
    ST_STATS, ST_THREADS, ST_MAXPIX, ST_LR, ST_HIST, ST_PYRAMID, ST_LOSS, ST_NOPTS
};

typedef enum { ST_INIT_CONTENT, ST_INIT_RANDOM, ST_INIT_IMAGE } st_init;

typedef struct st_opts_t {
    const char *content, *output, *stats, *init_path, *content_layer;
    char styles_buf[4096];
    char *styles[ST_MAX_STYLES];
    int nstyles;
    double blend[ST_MAX_STYLES];
    double cw, sw, tv, scale, lr;
    st_init init;
    int original_colors, quiet, threads, histogram;
    int pyramid;                    /* --pyramid: levels (0: auto; default 1, one scale) */
    gc_synth_loss_kind loss;        /* --loss gram|swd|both */
    int64_t image_size, iters, save_every, max_pixels;
    uint64_t seed;
    gc_synth_optimizer optimizer;
    cli_synth_netopts net;
    int help;
} st_opts_t;

static int st_nonneg(const char *s, const char *what, double *out, cli_err *err)
{
    int rc = cli_parse_finite_double(s, what, out, err);
    if (rc == CLI_OK && *out < 0.0)
        return cli_seterr(err, CLI_USAGE, "%s must be >= 0", what);
    return rc;
}

static int st_parse(int argc, char *const *argv, st_opts_t *o, cli_err *err)
{
    cli_args a;
    char q[64];
    memset(o, 0, sizeof *o);
    o->cw = 1.0, o->sw = 5.0, o->tv = 0.0, o->scale = 1.0;
    o->image_size = 256;
    o->iters = 200;
    o->init = ST_INIT_CONTENT;
    o->pyramid = 1;
    o->loss = GC_SYNTH_LOSS_KIND_GRAM;
    int rc = cli_parse_args(argc, argv, st_opts, ST_NOPTS, 2, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        o->help = 1;
        return CLI_OK;
    }
    int64_t v = 0, pv = 0;
    if ((a.value[ST_CW] && (rc = st_nonneg(a.value[ST_CW], "--content-weight", &o->cw, err)) != CLI_OK) ||
        (a.value[ST_SW] && (rc = st_nonneg(a.value[ST_SW], "--style-weight", &o->sw, err)) != CLI_OK) ||
        (a.value[ST_TV] && (rc = st_nonneg(a.value[ST_TV], "--tv-weight", &o->tv, err)) != CLI_OK) ||
        (a.value[ST_SCALE] && (rc = st_nonneg(a.value[ST_SCALE], "--style-scale", &o->scale, err)) != CLI_OK) ||
        (a.value[ST_LR] && (rc = st_nonneg(a.value[ST_LR], "--lr", &o->lr, err)) != CLI_OK) ||
        (a.value[ST_SIZE] && (rc = cli_parse_int64(a.value[ST_SIZE], 1, 65535, "--image-size", &o->image_size, err)) != CLI_OK) ||
        (a.value[ST_ITERS] && (rc = cli_parse_int64(a.value[ST_ITERS], 0, 1000000, "--iters", &o->iters, err)) != CLI_OK) ||
        (a.value[ST_SAVE] && (rc = cli_parse_int64(a.value[ST_SAVE], 1, 1000000, "--save-every", &o->save_every, err)) != CLI_OK) ||
        (a.value[ST_MAXPIX] && (rc = cli_parse_int64(a.value[ST_MAXPIX], 1, INT64_MAX, "--max-pixels", &o->max_pixels, err)) != CLI_OK) ||
        (a.value[ST_SEED] && (rc = cli_parse_u64(a.value[ST_SEED], "--seed", &o->seed, err)) != CLI_OK) ||
        (a.value[ST_OPT] && (rc = cli_parse_optimizer(a.value[ST_OPT], &o->optimizer, err)) != CLI_OK) ||
        (a.value[ST_THREADS] && (rc = cli_parse_threads(a.value[ST_THREADS], &o->threads, err)) != CLI_OK) ||
        (a.value[ST_POOL] && (rc = cli_parse_pool(a.value[ST_POOL], &o->net.pool, err)) != CLI_OK) ||
        (a.value[ST_FILTERS] && (rc = cli_parse_int64(a.value[ST_FILTERS], 1, 4096, "--filters", &v, err)) != CLI_OK))
        return rc;
    if (a.value[ST_SCALE] && !(o->scale > 0.0))
        return cli_seterr(err, CLI_USAGE, "--style-scale must be > 0");
    if (a.value[ST_LR] && !(o->lr > 0.0))
        return cli_seterr(err, CLI_USAGE, "--lr must be > 0");
    if (a.value[ST_HIST]) {
        if (strcmp(a.value[ST_HIST], "on") == 0)
            o->histogram = 1;
        else if (strcmp(a.value[ST_HIST], "off") != 0)
            return cli_seterr(err, CLI_USAGE, "--histogram must be on or off");
    }
    if (a.value[ST_PYRAMID]) {
        if (strcmp(a.value[ST_PYRAMID], "auto") == 0)
            o->pyramid = 0;
        else if ((rc = cli_parse_int64(a.value[ST_PYRAMID], 1, 8, "--pyramid", &pv, err)) != CLI_OK)
            return rc;
        else
            o->pyramid = (int)pv;
    }
    if (a.value[ST_LOSS]) {
        if (strcmp(a.value[ST_LOSS], "gram") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_GRAM;
        else if (strcmp(a.value[ST_LOSS], "swd") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_SWD;
        else if (strcmp(a.value[ST_LOSS], "both") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_BOTH;
        else
            return cli_seterr(err, CLI_USAGE, "--loss must be gram, swd or both");
    }
    o->net.filters = v;
    o->net.seed = o->seed;
    o->net.net = a.value[ST_NET];
    o->net.layers = a.value[ST_LAYERS];
    o->content_layer = a.value[ST_CLAYER];
    o->original_colors = a.count[ST_ORIG] > 0;
    o->quiet = a.count[ST_QUIET] > 0;
    o->stats = a.value[ST_STATS];
    if (o->stats && !*o->stats)
        return cli_seterr(err, CLI_USAGE, "--stats-json: the file name is empty");
    if (a.value[ST_INIT]) {
        const char *s = a.value[ST_INIT];
        if (strcmp(s, "content") == 0)
            o->init = ST_INIT_CONTENT;
        else if (strcmp(s, "random") == 0)
            o->init = ST_INIT_RANDOM;
        else if (strncmp(s, "image:", 6) == 0 && s[6]) {
            o->init = ST_INIT_IMAGE;
            o->init_path = s + 6;
        } else
            return cli_seterr(err, CLI_USAGE, "--init must be content, random or image:PATH, not '%s'",
                              cli_quote(s, q, sizeof q));
    }
    if (a.npos < 2)
        return cli_seterr(err, CLI_USAGE, "%s (usage: CONTENT STYLE[,STYLE2...] -o OUT.png)",
                          a.npos == 0 ? "the content and style images are missing"
                                      : "the style image is missing");
    if (!*a.pos[0] || !*a.pos[1])
        return cli_seterr(err, CLI_USAGE, "an input file name is empty");
    o->content = a.pos[0];
    if (strlen(a.pos[1]) >= sizeof o->styles_buf)
        return cli_seterr(err, CLI_USAGE, "the style list is too long");
    strcpy(o->styles_buf, a.pos[1]);
    if ((rc = cli_split_list(o->styles_buf, "STYLE", o->styles, ST_MAX_STYLES, &o->nstyles, err)) != CLI_OK)
        return rc;
    int nb = 0;
    if (a.value[ST_BLEND]) {
        if ((rc = cli_parse_weight_list(a.value[ST_BLEND], "--style-blend-weights", o->blend, ST_MAX_STYLES, &nb, err)) != CLI_OK)
            return rc;
        if (nb != o->nstyles)
            return cli_seterr(err, CLI_USAGE, "--style-blend-weights has %d values for %d style images",
                              nb, o->nstyles);
    }
    for (int i = nb; i < o->nstyles; i++)
        o->blend[i] = 1.0;
    o->output = a.value[ST_OUTPUT];
    if (!o->output)
        return cli_seterr(err, CLI_USAGE, "the output file is missing (-o OUT.png)");
    if (!*o->output)
        return cli_seterr(err, CLI_USAGE, "the output file name (-o) is empty");
    return cli_synth_check_out_ext(o->output, err);
}

/* The run's files: inputs, then the outputs' staging files (*wout, *wstats) and snapshots. */
static int st_files(const st_opts_t *o, const char **wout, const char **wstats)
{
    int rc = cli_file_input(o->content);
    for (int i = 0; i < o->nstyles && rc == CLI_OK; i++)
        rc = cli_file_input(o->styles[i]);
    if (rc == CLI_OK && o->init == ST_INIT_IMAGE)
        rc = cli_file_input(o->init_path);
    if (rc == CLI_OK)
        rc = cli_synth_run_files(&o->net, o->output, o->stats, o->save_every, o->iters, wout,
                                 wstats);
    return rc;
}

/* The synthesis descriptor from the options: the content's size, style layers `mask`, the
 * content layer by name, progress to pr. */
static int st_fill_desc(const st_opts_t *o, const gc_synth_net *net, uint32_t mask,
                        const gc_tensor *content, cli_synth_progress *pr, gc_synth_desc *d)
{
    char q[64];
    int rc = CLI_OK;
    d->height = content->dims[1];
    d->width = content->dims[2];
    d->style_layers = mask;
    d->content_layer = -2;
    if (o->content_layer) {
        d->content_layer = gc_synth_net_layer_find(net, o->content_layer);
        if (d->content_layer < 0)
            rc = cli_error(CLI_USAGE, "style: --content-layer: the network has no layer '%s'",
                           cli_quote(o->content_layer, q, sizeof q));
    }
    d->content_weight = o->cw;
    d->style_weight = o->sw;
    d->tv_weight = o->tv;
    d->iters = o->iters;
    d->optimizer = o->optimizer;
    d->learning_rate = o->lr > 0.0 ? o->lr : (o->optimizer == GC_SYNTH_OPTIMIZER_ADAM ? 0.02 : 1.0);
    d->progress = cli_synth_progress_fn;
    d->progress_user = pr;
    d->pyramid = o->pyramid;
    d->match_histogram = o->histogram;
    d->loss = o->loss;
    return rc;
}

int cli_cmd_style(const cli_command *cmd, int argc, char **argv)
{
    st_opts_t o;
    cli_err err;
    int rc = st_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    const char *wout = o.output, *wstats = o.stats; /* the staging files (cli_file_output) */
    if ((rc = st_files(&o, &wout, &wstats)) != CLI_OK)
        return rc;
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(o.threads, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    if (o.max_pixels)
        gc_context_set_max_pixels(ctx, o.max_pixels);
    gc_synth_net *net = NULL;
    gc_tensor raw = {0}, content = {0}, out = {0};
    gc_tensor styles[ST_MAX_STYLES];
    memset(styles, 0, sizeof styles);
    uint32_t mask = 0;
    gc_status st = GC_OK;
    char q[64];
    if ((rc = cli_synth_read_image(ctx, o.content, "the content image", &raw)) == CLI_OK) {
        rc = cli_synth_resize_long_side(ctx, &raw, o.image_size, &content);
        gc_tensor_free(&raw);
    }
    o.net.center_on = &content; /* the random net is centred on the content's mean */
    if (rc == CLI_OK)
        rc = cli_synth_make_net(ctx, &o.net, GC_DTYPE_F32, &net, &mask);
    gc_synth_desc d = gc_synth_desc_default();
    cli_synth_progress pr = {ctx, o.quiet, cli_synth_is_tty(), o.save_every, o.output, 0, 0};
    if (rc == CLI_OK)
        rc = st_fill_desc(&o, net, mask, &content, &pr, &d);
    const int64_t side = (int64_t)(o.scale * (double)o.image_size + 0.5) > 0
                             ? (int64_t)(o.scale * (double)o.image_size + 0.5) : 1;
    for (int i = 0; rc == CLI_OK && i < o.nstyles; i++) {
        if ((rc = cli_synth_read_image(ctx, o.styles[i], "the style image", &raw)) != CLI_OK)
            break;
        rc = cli_synth_resize_long_side(ctx, &raw, side, &styles[i]);
        gc_tensor_free(&raw);
    }
    gc_synth_stats stats;
    memset(&stats, 0, sizeof stats);
    if (rc == CLI_OK) {
        if ((st = gc_tensor_create(ctx, &out, GC_DTYPE_F32, 3, content.dims)) != GC_OK)
            rc = cli_lib_error(ctx, st, "style");
        else if (o.init == ST_INIT_CONTENT)
            st = gc_tensor_copy(&content, &out);
        else if (o.init == ST_INIT_RANDOM)
            st = gc_synth_noise(&out, o.seed ^ ST_NOISE_MIX);
        else if ((rc = cli_synth_read_image(ctx, o.init_path, "the --init image", &raw)) == CLI_OK) {
            gc_tensor sized = {0};
            if ((rc = cli_synth_resize_to(ctx, &raw, d.height, d.width, &sized)) == CLI_OK)
                st = gc_tensor_copy(&sized, &out);
            gc_tensor_free(&sized);
            gc_tensor_free(&raw);
        }
    }
    if (rc == CLI_OK && st == GC_OK) {
        gc_synth_style_desc sd = gc_synth_style_desc_default();
        sd.styles = styles;
        sd.weights = o.blend;
        sd.nstyles = o.nstyles;
        sd.colors = o.original_colors ? GC_SYNTH_COLORS_CONTENT : GC_SYNTH_COLORS_OWN;
        st = gc_synth_style(ctx, net, &content, &sd, &d, &out, &stats);
        cli_synth_progress_end(&pr);
        if (pr.failed)
            rc = CLI_FAIL;
    }
    if (rc == CLI_OK && st != GC_OK)
        rc = cli_lib_error(ctx, st, "style");
    if (rc == CLI_OK && (st = gc_image_write(ctx, wout, &out, NULL)) != GC_OK) {
        snprintf(err.msg, sizeof err.msg, "cannot write '%s'", cli_quote(o.output, q, sizeof q));
        rc = cli_lib_error(ctx, st, err.msg);
    }
    if (rc == CLI_OK && o.stats)
        rc = cli_synth_stats_json(wstats, ctx, &stats, net, d.width, d.height, o.seed,
                                  o.optimizer, "style");
    if (rc == CLI_OK && !o.quiet)
        printf("wrote %s (%lld x %lld): loss %.6g -> %.6g in %lld iterations, %.1f s\n", o.output,
               (long long)d.width, (long long)d.height, stats.initial_loss, stats.final_loss,
               (long long)stats.iters, stats.seconds);
    gc_synth_net_free(net);
    for (int i = 0; i < ST_MAX_STYLES; i++)
        gc_tensor_free(&styles[i]);
    gc_tensor_free(&content);
    gc_tensor_free(&out);
    gc_context_free(ctx);
    return rc == CLI_OK ? cli_flush_stdout(CLI_OK) : rc;
}

const char cli_usage_style[] =
    "usage: gramconv style CONTENT STYLE[,STYLE2...] -o OUT.png [--style-blend-weights w1,w2]\n"
    "                [--content-weight a] [--style-weight b] [--tv-weight c]\n"
    "                [--init content|random|image:PATH] [--original-colors] [--image-size N]\n"
    "                [--style-scale s] [--optimizer lbfgs|adam] [--seed S] [--iters N]\n"
    "                [--net random|WEIGHTS.safetensors] [--layers L] [--content-layer NAME]\n"
    "                [--save-every K] [--quiet] [--stats-json FILE] [--histogram on|off]\n"
    "                [--pyramid N|auto] [--loss gram|swd|both]\n"
    "\n"
    "Style transfer (Gatys et al.): an image with CONTENT's layout (its features at the content\n"
    "layer) and the styles' textures (the Gram matrices of the style layers, a weighted mean of\n"
    "the style images'). The loss is content_weight * the content error + style_weight * the\n"
    "style error + tv_weight * total variation, each term relative to its target's size.\n"
    "\n"
    "options:\n"
    "  -o, --output F            the output image, .png or .jpg (required)\n"
    "  --style-blend-weights W   one weight > 0 per style image (default equal)\n"
    "  --content-weight a        default 1\n"
    "  --style-weight b          default 5\n"
    "  --tv-weight c             default 0\n"
    "  --init I                  content (default), random (seeded noise) or image:PATH\n"
    "  --original-colors         keep the content's colours (only the luminance is styled);\n"
    "                            without it the colours are what the synthesis makes of both\n"
    "                            (--histogram on: the style's)\n"
    "  --histogram on|off        match the result's colour histograms to the (most-weighted)\n"
    "                            style image's after each level (default off)\n"
    "  --pyramid N|auto          coarse to fine over N levels: level l synthesises the image\n"
    "                            at 1/2^l of its size against the content and style images\n"
    "                            reduced as much, starting from the level before enlarged;\n"
    "                            the coarsest runs --iters iterations, each finer one half as\n"
    "                            many (at least 10). auto: as many levels as keep the coarsest\n"
    "                            side >= 128 (texture's rule). Default 1 (one scale)\n"
    "  --loss L                  the style term: gram (default), swd (sliced Wasserstein of\n"
    "                            the features, Heitz et al. 2021) or both (their sum)\n"
    "  --image-size N            the content's longer side, in pixels (default 256)\n"
    "  --style-scale s           style images' longer side = s * image-size (default 1)\n"
    "  --optimizer O, --lr X     lbfgs (default, step 1) or adam (step 0.02)\n"
    "  --iters N                 iterations (default 200)\n"
    "  --seed S                  the random network's and the noise's seed (default 0)\n"
    "  --net N                   random (default: no download) or VGG-19 weights (safetensors,\n"
    "                            torchvision names; style relu1_1..relu5_1, content relu4_2)\n"
    "  --layers L                random: filter sizes; VGG-19: style layer names\n"
    "  --content-layer NAME      e.g. relu4_2 or k5 (default: the net's)\n"
    "  --filters N, --pool P     random filters per size; VGG-19 pooling max|avg\n"
    "  --save-every K, -q/--quiet, --stats-json FILE, -t/--threads N, --max-pixels N: as texture\n"
    "  -h, --help                this text\n";
