/* cmd_texture.c - texture synthesis from the command line:
 *   gramconv texture SAMPLE.(png|jpg) -o OUT.png [--size W,H] [--iters N] [--seed S]
 *            [--optimizer lbfgs|adam] [--net random|WEIGHTS.safetensors] [--layers ...]
 *            [--save-every K] [--quiet] [--stats-json FILE]
 *   gramconv texture --preset P.safetensors[,P2...] [--blend-weights w1,w2] -o OUT.png ...
 *   gramconv gram-preset save STYLE_IMAGE [--net ..] -o PRESET.safetensors
 * A preset is a safetensors file with one C x C tensor "gram.<layer>" per style layer and
 * metadata naming the network (net, scales, filters, channels, seed / weights, pool). */
#include "cmd_tile.h"
#include "synth_cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TX_MAX_PRESETS 8
/* The noise start's seed is the network's seed mixed with a constant: two streams. */
#define TX_NOISE_MIX 0x6a09e667f3bcc909ull

static const cli_opt tx_opts[] = {
    {"output", 'o', 1},    {"size", 0, 1},       {"iters", 0, 1},      {"seed", 0, 1},
    {"optimizer", 0, 1},   {"net", 0, 1},        {"layers", 0, 1},     {"filters", 0, 1},
    {"pool", 0, 1},        {"save-every", 0, 1}, {"quiet", 'q', 0},    {"stats-json", 0, 1},
    {"preset", 0, 1},      {"blend-weights", 0, 1}, {"threads", 't', 1}, {"max-pixels", 0, 1},
    {"lr", 0, 1},          {"tv-weight", 0, 1},  {"max-memory", 0, 1},   {"spectrum", 0, 1},
    {"pyramid", 0, 1},     {"histogram", 0, 1},  {"init", 0, 1},       {"loss", 0, 1},
};
enum {
    TX_OUTPUT, TX_SIZE, TX_ITERS, TX_SEED, TX_OPTIMIZER, TX_NET, TX_LAYERS, TX_FILTERS, TX_POOL,
    TX_SAVE_EVERY, TX_QUIET, TX_STATS, TX_PRESET, TX_BLEND, TX_THREADS, TX_MAX_PIXELS, TX_LR,
    TX_TV, TX_MAX_MEMORY, TX_SPECTRUM, TX_PYRAMID, TX_HISTOGRAM, TX_INIT, TX_LOSS, TX_NOPTS
};

/* Defaults of the quality options (docs/SYNTH.md has the table they were chosen by). */
#define TX_HISTOGRAM_DEFAULT 1

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

static int tx_parse(int argc, char *const *argv, tx_opts_t *o, cli_err *err)
{
    cli_args a;
    memset(o, 0, sizeof *o);
    o->iters = 200;
    o->optimizer = GC_SYNTH_OPTIMIZER_LBFGS;
    o->spectrum = CLI_TEXTURE_SPECTRUM_DEFAULT;
    o->pyramid = 0; /* auto: gc_synth_texture picks the levels from the sizes */
    o->histogram = TX_HISTOGRAM_DEFAULT;
    o->init = GC_SYNTH_INIT_NOISE;
    int rc = cli_parse_args(argc, argv, tx_opts, TX_NOPTS, 1, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        o->help = 1;
        return CLI_OK;
    }
    int64_t v = 0;
    if (a.value[TX_SIZE] && (rc = cli_parse_size_wh(a.value[TX_SIZE], &o->width, &o->height, err)) != CLI_OK)
        return rc;
    if (a.value[TX_ITERS]) {
        if ((rc = cli_parse_int64(a.value[TX_ITERS], 0, 1000000, "--iters", &o->iters, err)) != CLI_OK)
            return rc;
    }
    if (a.value[TX_SEED] && (rc = cli_parse_u64(a.value[TX_SEED], "--seed", &o->seed, err)) != CLI_OK)
        return rc;
    o->net.seed = o->seed;
    if (a.value[TX_OPTIMIZER] && (rc = cli_parse_optimizer(a.value[TX_OPTIMIZER], &o->optimizer, err)) != CLI_OK)
        return rc;
    o->net.net = a.value[TX_NET];
    o->net.layers = a.value[TX_LAYERS];
    if (a.value[TX_FILTERS]) {
        if ((rc = cli_parse_int64(a.value[TX_FILTERS], 1, 4096, "--filters", &v, err)) != CLI_OK)
            return rc;
        o->net.filters = v;
    }
    if (a.value[TX_POOL] && (rc = cli_parse_pool(a.value[TX_POOL], &o->net.pool, err)) != CLI_OK)
        return rc;
    if (a.value[TX_SAVE_EVERY] &&
        (rc = cli_parse_int64(a.value[TX_SAVE_EVERY], 1, 1000000, "--save-every", &o->save_every, err)) != CLI_OK)
        return rc;
    o->quiet = a.count[TX_QUIET] > 0;
    o->stats = a.value[TX_STATS];
    if (o->stats && !*o->stats)
        return cli_seterr(err, CLI_USAGE, "--stats-json: the file name is empty");
    if (a.value[TX_THREADS] && (rc = cli_parse_threads(a.value[TX_THREADS], &o->threads, err)) != CLI_OK)
        return rc;
    if (a.value[TX_MAX_PIXELS] &&
        (rc = cli_parse_int64(a.value[TX_MAX_PIXELS], 1, INT64_MAX, "--max-pixels", &o->max_pixels, err)) != CLI_OK)
        return rc;
    if (a.value[TX_MAX_MEMORY] &&
        (rc = cli_parse_bytes(a.value[TX_MAX_MEMORY], "--max-memory", &o->max_memory, err)) != CLI_OK)
        return rc;
    if (a.value[TX_LR]) {
        if ((rc = cli_parse_finite_double(a.value[TX_LR], "--lr", &o->lr, err)) != CLI_OK)
            return rc;
        if (!(o->lr > 0.0))
            return cli_seterr(err, CLI_USAGE, "--lr must be > 0");
    }
    if (a.value[TX_TV]) {
        if ((rc = cli_parse_finite_double(a.value[TX_TV], "--tv-weight", &o->tv, err)) != CLI_OK)
            return rc;
        if (o->tv < 0.0)
            return cli_seterr(err, CLI_USAGE, "--tv-weight must be >= 0");
    }
    if (a.value[TX_SPECTRUM]) {
        if ((rc = cli_parse_finite_double(a.value[TX_SPECTRUM], "--spectrum", &o->spectrum, err)) != CLI_OK)
            return rc;
        if (o->spectrum < 0.0)
            return cli_seterr(err, CLI_USAGE, "--spectrum must be >= 0 (0: off)");
        o->spectrum_set = 1;
    }
    if (a.value[TX_PYRAMID] && strcmp(a.value[TX_PYRAMID], "auto") != 0) {
        if ((rc = cli_parse_int64(a.value[TX_PYRAMID], 1, 8, "--pyramid", &v, err)) != CLI_OK)
            return rc;
        o->pyramid = (int)v;
    }
    if (a.value[TX_HISTOGRAM]) {
        if (strcmp(a.value[TX_HISTOGRAM], "on") == 0)
            o->histogram = 1;
        else if (strcmp(a.value[TX_HISTOGRAM], "off") == 0)
            o->histogram = 0;
        else
            return cli_seterr(err, CLI_USAGE, "--histogram must be on or off");
    }
    if (a.value[TX_INIT]) {
        if (strcmp(a.value[TX_INIT], "mean") == 0)
            o->init = GC_SYNTH_INIT_MEAN;
        else if (strcmp(a.value[TX_INIT], "noise") == 0)
            o->init = GC_SYNTH_INIT_NOISE;
        else
            return cli_seterr(err, CLI_USAGE, "--init must be mean or noise");
    }
    if (a.value[TX_LOSS]) {
        if (strcmp(a.value[TX_LOSS], "gram") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_GRAM;
        else if (strcmp(a.value[TX_LOSS], "swd") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_SWD;
        else if (strcmp(a.value[TX_LOSS], "both") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_BOTH;
        else
            return cli_seterr(err, CLI_USAGE, "--loss must be gram, swd or both");
    }
    if (a.value[TX_PRESET]) {
        if (strlen(a.value[TX_PRESET]) >= sizeof o->presets_buf)
            return cli_seterr(err, CLI_USAGE, "--preset: the list is too long");
        strcpy(o->presets_buf, a.value[TX_PRESET]);
        if ((rc = cli_split_list(o->presets_buf, "--preset", o->presets, TX_MAX_PRESETS, &o->npresets, err)) != CLI_OK)
            return rc;
        if (o->net.net || o->net.layers || o->net.filters || a.value[TX_POOL])
            return cli_seterr(err, CLI_USAGE, "--net, --layers, --filters and --pool do not apply "
                                              "with --preset (the preset names its network)");
        if (o->pyramid > 1 || o->spectrum_set)
            return cli_seterr(err, CLI_USAGE, "--pyramid and --spectrum need a sample image, "
                                              "not --preset (Grams hold neither)");
        if (o->loss != GC_SYNTH_LOSS_KIND_GRAM)
            return cli_seterr(err, CLI_USAGE, "--loss swd and both need a sample image, not "
                                              "--preset (Grams hold no feature distributions)");
        o->spectrum = 0.0;
        o->pyramid = 1;
        if (a.npos > 0)
            return cli_seterr(err, CLI_USAGE, "give a SAMPLE image or --preset, not both");
    } else if (a.npos < 1) {
        return cli_seterr(err, CLI_USAGE, "the sample image is missing (usage: SAMPLE.png -o OUT.png)");
    }
    if (a.value[TX_BLEND]) {
        if (!o->npresets)
            return cli_seterr(err, CLI_USAGE, "--blend-weights goes with --preset P1,P2,...");
        if ((rc = cli_parse_weight_list(a.value[TX_BLEND], "--blend-weights", o->blend, TX_MAX_PRESETS, &o->nblend, err)) != CLI_OK)
            return rc;
        if (o->nblend != o->npresets)
            return cli_seterr(err, CLI_USAGE, "--blend-weights has %d values for %d presets", o->nblend, o->npresets);
    }
    for (int i = o->nblend; i < o->npresets; i++)
        o->blend[i] = 1.0;
    o->sample = a.npos ? a.pos[0] : NULL;
    if (o->sample && !*o->sample)
        return cli_seterr(err, CLI_USAGE, "the sample file name is empty");
    o->output = a.value[TX_OUTPUT];
    if (!o->output)
        return cli_seterr(err, CLI_USAGE, "the output file is missing (-o OUT.png)");
    if (!*o->output)
        return cli_seterr(err, CLI_USAGE, "the output file name (-o) is empty");
    return cli_synth_check_out_ext(o->output, err);
}

/* ---- presets ---------------------------------------------------------------------------- */

static const char *const tx_meta_keys[] = {"net", "scales", "filters", "channels", "seed", "weights",
                                           "pool", "center"};
enum { TX_NMETA = sizeof tx_meta_keys / sizeof tx_meta_keys[0] };

/* "r,g,b": three finite numbers (a preset's "center"). */
static int tx_parse_center(const char *s, double *center)
{
    const char *p = s;
    for (int c = 0; c < 3; c++) {
        char *end = NULL;
        errno = 0;
        const double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || *end != (c < 2 ? ',' : '\0'))
            return CLI_FAIL;
        center[c] = v;
        p = end + 1;
    }
    return CLI_OK;
}

/* "r,g,b" of a random net's centre, 17 significant digits (read back exactly). */
static void tx_format_center(const gc_synth_net *net, char *buf, size_t n)
{
    gc_synth_random_desc rd;
    if (gc_synth_net_random_desc(net, &rd) != GC_OK)
        rd.center[0] = rd.center[1] = rd.center[2] = 0.0;
    snprintf(buf, n, "%.17g,%.17g,%.17g", rd.center[0], rd.center[1], rd.center[2]);
}

/* The network a preset names. */
static int tx_preset_net(gc_context *ctx, const gc_safetensors *st, const char *path,
                         gc_synth_net **net)
{
    char q[64];
    const char *fmt = gc_safetensors_metadata_get(st, "format");
    const char *kind = gc_safetensors_metadata_get(st, "net");
    if (!fmt || strcmp(fmt, "gramconv-gram-preset") != 0 || !kind)
        return cli_error(CLI_FAIL, "'%s' is not a gramconv Gram preset (no format/net metadata)",
                         cli_quote(path, q, sizeof q));
    cli_synth_netopts no;
    memset(&no, 0, sizeof no);
    cli_err err;
    uint32_t unused = 0;
    if (strcmp(kind, "random") == 0) {
        const char *scales = gc_safetensors_metadata_get(st, "scales");
        const char *filters = gc_safetensors_metadata_get(st, "filters");
        const char *seed = gc_safetensors_metadata_get(st, "seed");
        int64_t f = 0;
        if (!scales || !filters || !seed ||
            cli_parse_int64(filters, 1, 4096, "filters", &f, &err) != CLI_OK ||
            cli_parse_u64(seed, "seed", &no.seed, &err) != CLI_OK)
            return cli_error(CLI_FAIL, "preset '%s': bad or missing scales/filters/seed metadata",
                             cli_quote(path, q, sizeof q));
        no.net = "random";
        no.layers = scales;
        no.filters = f;
        /* presets made before the centred net have no "center": zero-mean filters, no centre */
        const char *center = gc_safetensors_metadata_get(st, "center");
        if (!center) {
            no.zero_mean = 1;
        } else {
            if (tx_parse_center(center, no.center) != CLI_OK)
                return cli_error(CLI_FAIL, "preset '%s': bad center metadata",
                                 cli_quote(path, q, sizeof q));
        }
        return cli_synth_make_net(ctx, &no, GC_DTYPE_F32, net, &unused);
    }
    if (strcmp(kind, "vgg19") == 0) {
        const char *w = gc_safetensors_metadata_get(st, "weights");
        const char *pool = gc_safetensors_metadata_get(st, "pool");
        if (!w || !pool || cli_parse_pool(pool, &no.pool, &err) != CLI_OK)
            return cli_error(CLI_FAIL, "preset '%s': bad or missing weights/pool metadata",
                             cli_quote(path, q, sizeof q));
        no.net = w;
        return cli_synth_make_net(ctx, &no, GC_DTYPE_F32, net, &unused);
    }
    return cli_error(CLI_FAIL, "preset '%s': unknown network '%s'", cli_quote(path, q, sizeof q), kind);
}

/* The layers a preset holds Grams for ("gram.<layer>" tensors). */
static int tx_preset_layers(const gc_safetensors *st, const gc_synth_net *net, const char *path,
                            uint32_t *mask)
{
    char q[64], q2[64];
    *mask = 0;
    for (int64_t i = 0; i < gc_safetensors_count(st); i++) {
        const char *name = gc_safetensors_name(st, i);
        if (strncmp(name, "gram.", 5) != 0)
            continue;
        int l = gc_synth_net_layer_find(net, name + 5);
        if (l < 0)
            return cli_error(CLI_FAIL, "preset '%s': its network has no layer '%s'",
                             cli_quote(path, q, sizeof q), cli_quote(name + 5, q2, sizeof q2));
        *mask |= 1u << l;
    }
    if (!*mask)
        return cli_error(CLI_FAIL, "preset '%s' holds no Gram matrices", cli_quote(path, q, sizeof q));
    return CLI_OK;
}

static int tx_preset_grams(gc_context *ctx, const gc_safetensors *st, const gc_synth_net *net,
                           uint32_t mask, const char *path, gc_tensor *grams)
{
    char q[64], name[64];
    for (int l = 0; l < gc_synth_net_layer_count(net); l++) {
        if (!(mask >> l & 1))
            continue;
        const int64_t c = gc_synth_net_layer_channels(net, l);
        const int64_t dims[2] = {c, c};
        snprintf(name, sizeof name, "gram.%s", gc_synth_net_layer_name(net, l));
        gc_status s = gc_safetensors_get(ctx, st, name, 2, dims, &grams[l]);
        if (s != GC_OK) {
            char prefix[128];
            snprintf(prefix, sizeof prefix, "preset '%s'", cli_quote(path, q, sizeof q));
            return cli_lib_error(ctx, s, prefix);
        }
    }
    return CLI_OK;
}

/* Load presets: the net from the first; every one must name the same net and layers. */
static int tx_load_presets(gc_context *ctx, const tx_opts_t *o, gc_safetensors **sts,
                           gc_synth_net **net, uint32_t *mask)
{
    char q[64];
    for (int i = 0; i < o->npresets; i++) {
        gc_status s = gc_safetensors_read(ctx, o->presets[i], &sts[i]);
        if (s != GC_OK) {
            char prefix[128];
            snprintf(prefix, sizeof prefix, "cannot read the preset '%s'", cli_quote(o->presets[i], q, sizeof q));
            return cli_lib_error(ctx, s, prefix);
        }
    }
    int rc = tx_preset_net(ctx, sts[0], o->presets[0], net);
    if (rc == CLI_OK)
        rc = tx_preset_layers(sts[0], *net, o->presets[0], mask);
    for (int i = 1; i < o->npresets && rc == CLI_OK; i++) {
        for (int k = 0; k < TX_NMETA; k++) {
            const char *a = gc_safetensors_metadata_get(sts[0], tx_meta_keys[k]);
            const char *b = gc_safetensors_metadata_get(sts[i], tx_meta_keys[k]);
            if ((a || b) && (!a || !b || strcmp(a, b) != 0))
                return cli_error(CLI_FAIL, "presets '%s' and '%s' were made with different networks "
                                           "(%s differs)", o->presets[0], o->presets[i], tx_meta_keys[k]);
        }
        uint32_t m = 0;
        if ((rc = tx_preset_layers(sts[i], *net, o->presets[i], &m)) == CLI_OK && m != *mask)
            return cli_error(CLI_FAIL, "presets '%s' and '%s' hold Grams of different layers",
                             o->presets[0], o->presets[i]);
    }
    return rc;
}

/* ---- texture in bands (--max-memory) or over MPI ranks ------------------------------------ */

/* Element (i, j) of a float32/float64 matrix, any strides. */
static double tx_get(const gc_tensor *t, int64_t i, int64_t j)
{
    const int64_t off = i * t->strides[0] + j * t->strides[1];
    return t->dtype == GC_DTYPE_F64 ? ((const double *)t->data)[off] : (double)((const float *)t->data)[off];
}

/* The target Grams of the split paths (they take Grams, not a gc_synth): the sample's on
 * the style layers, or the presets' blended as gc_synth_add_style_grams blends them (the
 * running weighted mean). */
static int tx_split_grams(gc_context *ctx, const tx_opts_t *o, gc_safetensors **sts,
                          const gc_synth_net *net, uint32_t mask, const gc_tensor *sample,
                          gc_tensor *grams)
{
    const uint32_t layers = mask ? mask : gc_synth_net_default_style_layers(net);
    if (!o->npresets) {
        gc_status st = gc_synth_net_grams(ctx, net, sample, layers, grams);
        return st == GC_OK ? CLI_OK : cli_lib_error(ctx, st, "texture: the sample");
    }
    double total = 0.0;
    int rc = CLI_OK;
    for (int i = 0; i < o->npresets && rc == CLI_OK; i++) {
        gc_tensor g[GC_SYNTH_MAX_LAYERS];
        memset(g, 0, sizeof g);
        rc = tx_preset_grams(ctx, sts[i], net, layers, o->presets[i], g);
        for (int l = 0; l < GC_SYNTH_MAX_LAYERS && rc == CLI_OK; l++) {
            if (!(layers >> l & 1))
                continue;
            gc_status st = i == 0 ? gc_tensor_contiguous(ctx, &g[l], &grams[l]) : GC_OK;
            if (st != GC_OK) {
                rc = cli_lib_error(ctx, st, "texture: preset");
                break;
            }
            const int64_t c = grams[l].dims[0];
            for (int64_t e = 0; e < c * c; e++) {
                const double v = tx_get(&g[l], e / c, e % c);
                double *tv = NULL;
                float *tf = NULL;
                if (grams[l].dtype == GC_DTYPE_F64)
                    tv = (double *)grams[l].data + e;
                else
                    tf = (float *)grams[l].data + e;
                const double old = tv ? *tv : (double)*tf;
                const double nv = i == 0 ? v : (old * total + o->blend[i] * v) / (total + o->blend[i]);
                if (tv)
                    *tv = nv;
                else
                    *tf = (float)nv;
            }
        }
        total += o->blend[i];
        for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
            gc_tensor_free(&g[l]);
    }
    return rc;
}

/* The banded (one process, --max-memory) or distributed (mpirun) paths: the random net and
 * style terms only (the rest is refused with one line), from target Grams. */
static int tx_split_prepare(gc_context *ctx, const cli_command *cmd, const tx_opts_t *o,
                            gc_safetensors **sts, const gc_synth_net *net, uint32_t mask,
                            const gc_tensor *sample, int mpi, gc_tensor *grams)
{
    gc_synth_random_desc rd;
    if (gc_synth_net_random_desc(net, &rd) != GC_OK)
        return cli_error(CLI_FAIL, "%s: %s runs the random network only (VGG-19 is not split "
                         "into bands or ranks); drop --net or run on one process without "
                         "--max-memory", cmd->name, mpi ? "mpirun" : "--max-memory");
    return tx_split_grams(ctx, o, sts, net, mask, sample, grams);
}

static gc_status tx_split_run(gc_context *ctx, const tx_opts_t *o, const gc_synth_net *net,
                              const gc_tensor *grams, const gc_synth_desc *d, gc_tensor *out,
                              gc_synth_stats *stats, int mpi)
{
    if (mpi) {
#if defined(GC_HAVE_MPI)
        return cli_mpi_texture_run(ctx, net, d, grams, o->max_memory, out, stats);
#else
        return GC_ERR_UNSUPPORTED; /* unreachable: no MPI world without MPI */
#endif
    }
    gc_synth_tiled *t = NULL;
    gc_status st = gc_synth_tiled_create(ctx, net, d, grams, o->max_memory, &t);
    if (st == GC_OK)
        st = gc_synth_tiled_run(ctx, t, out, stats);
    gc_synth_tiled_free(t);
    return st;
}

/* ---- texture ---------------------------------------------------------------------------- */

/* world: NULL for one process; under mpirun this rank's view (every rank runs this). */
static int tx_main(const cli_command *cmd, int argc, char **argv, const cli_mpi_world *world)
{
    tx_opts_t o;
    cli_err err;
    char q[64];
    int rc = tx_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    const int rank0 = !world || world->rank == 0, split = world || o.max_memory;
    const char *wout = o.output, *wstats = o.stats; /* the staging files (cli_file_output) */
    for (int i = 0; i < o.npresets && rc == CLI_OK; i++)
        rc = cli_file_input(o.presets[i]);
    if (rc == CLI_OK && o.sample)
        rc = cli_file_input(o.sample);
    if (rc == CLI_OK && o.net.net && strcmp(o.net.net, "random") != 0)
        rc = cli_file_input(o.net.net);
    if (rc == CLI_OK)
        rc = cli_file_output(o.output, &wout);
    if (rc == CLI_OK && o.stats)
        rc = cli_file_output(o.stats, &wstats);
    if (rc == CLI_OK)
        rc = cli_file_snapshots(o.output, o.save_every, o.iters);
    if (rc != CLI_OK)
        return rc;
    if (world && !o.threads && !getenv("GC_NUM_THREADS")) { /* the node's cores shared out */
        const long cores = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = cores > world->local_size ? (int)(cores / world->local_size) : 1;
    }
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(o.threads, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    if (o.max_pixels)
        gc_context_set_max_pixels(ctx, o.max_pixels);
    gc_synth_net *net = NULL;
    gc_safetensors *sts[TX_MAX_PRESETS] = {0};
    gc_tensor sample = {0}, out = {0};
    gc_tensor grams[GC_SYNTH_MAX_LAYERS];
    memset(grams, 0, sizeof grams);
    gc_synth *s = NULL;
    uint32_t mask = 0;
    gc_status st = GC_OK;
    if (o.npresets) {
        rc = tx_load_presets(ctx, &o, sts, &net, &mask);
        if (!o.width)
            o.width = o.height = 256;
    } else {
        /* the random net is centred on the sample's mean: the sample first */
        rc = cli_synth_read_image(ctx, o.sample, "the sample", &sample);
        o.net.center_on = &sample;
        if (rc == CLI_OK)
            rc = cli_synth_make_net(ctx, &o.net, GC_DTYPE_F32, &net, &mask);
        if (rc == CLI_OK && !o.width) {
            o.width = sample.dims[2];
            o.height = sample.dims[1];
        }
    }
    /* the spectrum constraint by default where the build has FFTW; asked for, it must run */
    if (!o.spectrum_set && !gc_fft_available())
        o.spectrum = 0.0;
    if (rc == CLI_OK && split && o.loss != GC_SYNTH_LOSS_KIND_GRAM)
        rc = cli_error(CLI_USAGE, "%s: --loss swd and both do not run in bands or ranks (%s)",
                       cmd->name, world ? "mpirun" : "--max-memory");
    if (rc == CLI_OK && split && (o.pyramid > 1 || (o.spectrum_set && o.spectrum > 0.0)))
        rc = cli_error(CLI_USAGE, "%s: --pyramid and --spectrum do not run in bands or ranks "
                       "(%s)", cmd->name, world ? "mpirun" : "--max-memory");
    if (split) {
        o.spectrum = 0.0;
        o.pyramid = 1;
    }
    gc_synth_desc d = gc_synth_desc_default();
    cli_synth_progress pr = {ctx, o.quiet, cli_synth_is_tty(), o.save_every, o.output, 0, 0};
    if (rc == CLI_OK) {
        d.width = o.width;
        d.height = o.height;
        d.style_layers = mask;
        d.content_layer = -1;
        d.iters = o.iters;
        d.optimizer = o.optimizer;
        d.learning_rate = o.lr > 0.0 ? o.lr : (o.optimizer == GC_SYNTH_OPTIMIZER_ADAM ? 0.02 : 1.0);
        d.tv_weight = o.tv;
        d.progress = cli_synth_progress_fn;
        d.progress_user = &pr;
        d.spectrum_weight = o.spectrum;
        d.pyramid = o.pyramid;
        d.match_histogram = o.histogram;
        d.init = o.init;
        d.loss = o.loss;
        if (!split && o.npresets && (st = gc_synth_create(ctx, net, &d, &s)) != GC_OK)
            rc = cli_lib_error(ctx, st, "texture");
    }
    for (int i = 0; rc == CLI_OK && !split && i < o.npresets; i++) {
        rc = tx_preset_grams(ctx, sts[i], net, mask, o.presets[i], grams);
        if (rc == CLI_OK && (st = gc_synth_add_style_grams(ctx, s, grams, o.blend[i])) != GC_OK)
            rc = cli_lib_error(ctx, st, "texture: preset");
    }
    gc_synth_stats stats;
    memset(&stats, 0, sizeof stats);
    gc_tensor sgrams[GC_SYNTH_MAX_LAYERS];
    memset(sgrams, 0, sizeof sgrams);
    if (rc == CLI_OK && split)
        rc = tx_split_prepare(ctx, cmd, &o, sts, net, mask, &sample, world != NULL, sgrams);
    if (rc == CLI_OK) {
        const int64_t dims[3] = {3, o.height, o.width};
        double mean[4] = {0.5, 0.5, 0.5, 0.5};
        gc_synth_random_desc rd; /* a centred random net's centre is its sample's mean */
        if (gc_synth_net_random_desc(net, &rd) == GC_OK && !rd.zero_mean)
            memcpy(mean, rd.center, sizeof mean);
        if ((st = gc_tensor_create(ctx, &out, GC_DTYPE_F32, 3, dims)) == GC_OK)
            st = gc_synth_start(&out, o.init, mean, o.seed ^ TX_NOISE_MIX);
        if (st != GC_OK)
            rc = cli_lib_error(ctx, st, "texture");
    }
    if (world) { /* every rank enters the run, or none */
        const int all = cli_mpi_agree(rc);
        if (rc == CLI_OK && all != CLI_OK)
            cli_error(all, "%s: another rank failed before the run", cmd->name);
        rc = all;
    }
    if (rc == CLI_OK) {
        if (split)
            st = tx_split_run(ctx, &o, net, sgrams, &d, &out, &stats, world != NULL);
        else if (o.npresets)
            st = gc_synth_run(ctx, s, &out, &stats);
        else
            st = gc_synth_texture(ctx, net, &sample, &d, o.seed ^ TX_NOISE_MIX, &out, &stats);
        if (st == GC_OK && split && o.sample) /* as gc_synth_texture ends */
            st = gc_synth_finish(ctx, &out, &sample, o.histogram);
        cli_synth_progress_end(&pr);
        if (pr.failed)
            rc = CLI_FAIL;
        else if (st != GC_OK)
            rc = cli_lib_error(ctx, st, "texture");
    }
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&sgrams[l]);
    if (rc == CLI_OK && rank0 && (st = gc_image_write(ctx, wout, &out, NULL)) != GC_OK) {
        snprintf(err.msg, sizeof err.msg, "cannot write '%s'", cli_quote(o.output, q, sizeof q));
        rc = cli_lib_error(ctx, st, err.msg);
    }
    if (rc == CLI_OK && rank0 && o.stats)
        rc = cli_synth_stats_json(wstats, ctx, &stats, net, o.width, o.height, o.seed,
                                  o.optimizer, "texture");
    if (rc == CLI_OK && rank0 && !o.quiet)
        printf("wrote %s (%lld x %lld): loss %.6g -> %.6g (%.1fx lower) in %lld iterations, %.1f s\n",
               o.output, (long long)o.width, (long long)o.height, stats.initial_loss,
               stats.final_loss, stats.final_loss > 0 ? stats.initial_loss / stats.final_loss : 0.0,
               (long long)stats.iters, stats.seconds);
    gc_synth_free(s);
    gc_synth_net_free(net);
    gc_tensor_free(&sample);
    gc_tensor_free(&out);
    for (int i = 0; i < TX_MAX_PRESETS; i++)
        gc_safetensors_free(sts[i]);
    gc_context_free(ctx);
    return rc == CLI_OK ? cli_flush_stdout(CLI_OK) : rc;
}

int cli_cmd_texture(const cli_command *cmd, int argc, char **argv)
{
    if (!cli_mpi_launched())
        return tx_main(cmd, argc, argv, NULL);
#if defined(GC_HAVE_MPI)
    cli_mpi_world w;
    int rc = cli_mpi_begin(cmd, &w);
    if (rc != CLI_OK)
        return rc;
    return cli_mpi_end(&w, tx_main(cmd, argc, argv, &w));
#else
    return cli_error(CLI_FAIL, "%s: started by mpirun, but this gramconv was built without MPI "
                     "(configure with -DGC_WITH_MPI=ON and libopenmpi-dev)", cmd->name);
#endif
}

/* ---- gram-preset save ------------------------------------------------------------------- */

static const cli_opt gp_opts[] = {
    {"output", 'o', 1}, {"net", 0, 1}, {"layers", 0, 1}, {"filters", 0, 1}, {"pool", 0, 1},
    {"seed", 0, 1}, {"threads", 't', 1}, {"max-pixels", 0, 1}, {"image-size", 0, 1},
    {"center", 0, 1},
};
enum { GP_OUTPUT, GP_NET, GP_LAYERS, GP_FILTERS, GP_POOL, GP_SEED, GP_THREADS, GP_MAX_PIXELS, GP_SIZE, GP_CENTER, GP_NOPTS };

int cli_cmd_gram_preset(const cli_command *cmd, int argc, char **argv)
{
    cli_args a;
    cli_err err;
    char q[64];
    int rc = cli_parse_args(argc, argv, gp_opts, GP_NOPTS, 2, &a, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (a.help)
        return cli_print_usage(cmd);
    if (a.npos < 1 || strcmp(a.pos[0], "save") != 0)
        return cli_error(CLI_USAGE, "%s: the action must be 'save' (usage: gram-preset save STYLE.png -o P.safetensors)", cmd->name);
    if (a.npos < 2 || !*a.pos[1])
        return cli_error(CLI_USAGE, "%s: the style image is missing", cmd->name);
    const char *outp = a.value[GP_OUTPUT];
    if (!outp || !*outp)
        return cli_error(CLI_USAGE, "%s: the output file is missing (-o PRESET.safetensors)", cmd->name);
    cli_synth_netopts no;
    memset(&no, 0, sizeof no);
    no.net = a.value[GP_NET];
    no.layers = a.value[GP_LAYERS];
    int threads = 0;
    int64_t v = 0, maxpix = 0, side = 0;
    if ((a.value[GP_FILTERS] && (rc = cli_parse_int64(a.value[GP_FILTERS], 1, 4096, "--filters", &v, &err)) != CLI_OK) ||
        (a.value[GP_POOL] && (rc = cli_parse_pool(a.value[GP_POOL], &no.pool, &err)) != CLI_OK) ||
        (a.value[GP_SEED] && (rc = cli_parse_u64(a.value[GP_SEED], "--seed", &no.seed, &err)) != CLI_OK) ||
        (a.value[GP_THREADS] && (rc = cli_parse_threads(a.value[GP_THREADS], &threads, &err)) != CLI_OK) ||
        (a.value[GP_MAX_PIXELS] && (rc = cli_parse_int64(a.value[GP_MAX_PIXELS], 1, INT64_MAX, "--max-pixels", &maxpix, &err)) != CLI_OK) ||
        (a.value[GP_SIZE] && (rc = cli_parse_int64(a.value[GP_SIZE], 1, 65535, "--image-size", &side, &err)) != CLI_OK))
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    no.filters = v;
    const char *wout = outp; /* the staging file (cli_file_output) */
    if ((rc = cli_file_input(a.pos[1])) != CLI_OK ||
        (no.net && strcmp(no.net, "random") != 0 && (rc = cli_file_input(no.net)) != CLI_OK) ||
        (rc = cli_file_output(outp, &wout)) != CLI_OK)
        return rc;
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(threads, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    if (maxpix)
        gc_context_set_max_pixels(ctx, maxpix);
    gc_synth_net *net = NULL;
    gc_tensor img = {0}, sized = {0};
    gc_tensor grams[GC_SYNTH_MAX_LAYERS];
    memset(grams, 0, sizeof grams);
    uint32_t mask = 0;
    rc = cli_synth_read_image(ctx, a.pos[1], "the style image", &img);
    if (rc == CLI_OK && side)
        rc = cli_synth_resize_long_side(ctx, &img, side, &sized);
    if (rc == CLI_OK) { /* the random net is centred on the image's mean, or --center */
        if (!a.value[GP_CENTER] || strcmp(a.value[GP_CENTER], "mean") == 0)
            no.center_on = side ? &sized : &img;
        else if (tx_parse_center(a.value[GP_CENTER], no.center) != CLI_OK)
            rc = cli_error(CLI_USAGE, "%s: --center must be 'mean' or three numbers R,G,B "
                           "(presets blend only when they share one)", cmd->name);
        if (rc == CLI_OK)
            rc = cli_synth_make_net(ctx, &no, GC_DTYPE_F32, &net, &mask);
    }
    if (rc == CLI_OK) {
        if (!mask)
            mask = gc_synth_net_default_style_layers(net);
        gc_status st = gc_synth_net_grams(ctx, net, side ? &sized : &img, mask, grams);
        if (st != GC_OK)
            rc = cli_lib_error(ctx, st, "gram-preset");
    }
    if (rc == CLI_OK) {
        gc_safetensors_entry ent[GC_SYNTH_MAX_LAYERS];
        char names[GC_SYNTH_MAX_LAYERS][48];
        int64_t n = 0;
        for (int l = 0; l < gc_synth_net_layer_count(net); l++)
            if (mask >> l & 1) {
                snprintf(names[n], sizeof names[n], "gram.%s", gc_synth_net_layer_name(net, l));
                ent[n].name = names[n];
                ent[n].tensor = &grams[l];
                n++;
            }
        char scales[512] = "", filters[32] = "", seed[32] = "", channels[8] = "3", center[96];
        gc_safetensors_meta meta[9];
        int64_t nm = 0;
        meta[nm++] = (gc_safetensors_meta){"format", "gramconv-gram-preset"};
        meta[nm++] = (gc_safetensors_meta){"version", "1"};
        gc_synth_random_desc rd;
        if (gc_synth_net_random_desc(net, &rd) == GC_OK) {
            int len = 0;
            for (int i = 0; i < rd.nscales; i++)
                len += snprintf(scales + len, sizeof scales - (size_t)len, "%s%lld", i ? "," : "",
                                (long long)rd.sizes[i]);
            snprintf(filters, sizeof filters, "%lld", (long long)rd.filters);
            snprintf(seed, sizeof seed, "%llu", (unsigned long long)rd.seed);
            meta[nm++] = (gc_safetensors_meta){"net", "random"};
            meta[nm++] = (gc_safetensors_meta){"scales", scales};
            meta[nm++] = (gc_safetensors_meta){"filters", filters};
            meta[nm++] = (gc_safetensors_meta){"seed", seed};
            meta[nm++] = (gc_safetensors_meta){"channels", channels};
            tx_format_center(net, center, sizeof center);
            meta[nm++] = (gc_safetensors_meta){"center", center};
        } else {
            meta[nm++] = (gc_safetensors_meta){"net", "vgg19"};
            meta[nm++] = (gc_safetensors_meta){"weights", no.net};
            meta[nm++] = (gc_safetensors_meta){"pool", no.pool == GC_SYNTH_POOL_AVG ? "avg" : "max"};
        }
        gc_status st = GC_OK;
        for (int64_t i = 0; i < n && rc == CLI_OK; i++) /* a preset must hold finite Grams */
            rc = cli_check_finite(ent[i].tensor, "gram-preset: the Gram matrix", ent[i].name,
                                  "(the network's features overflow float32: are its weights "
                                  "too large?)");
        if (rc == CLI_OK)
            st = gc_safetensors_write(ctx, wout, ent, n, meta, nm);
        if (st != GC_OK) {
            snprintf(err.msg, sizeof err.msg, "cannot write '%s'", cli_quote(outp, q, sizeof q));
            rc = cli_lib_error(ctx, st, err.msg);
        } else if (rc == CLI_OK) {
            printf("wrote %s: %lld Gram matrices (", outp, (long long)n);
            for (int64_t i = 0; i < n; i++)
                printf("%s%s", i ? ", " : "", ent[i].name + 5);
            printf(")\n");
        }
    }
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&grams[l]);
    gc_tensor_free(&img);
    gc_tensor_free(&sized);
    gc_synth_net_free(net);
    gc_context_free(ctx);
    return rc == CLI_OK ? cli_flush_stdout(CLI_OK) : rc;
}

/* ---- usage texts ------------------------------------------------------------------------ */

const char cli_usage_texture[] =
    "usage: gramconv texture SAMPLE.(png|jpg) -o OUT.png [--size W,H] [--iters N] [--seed S]\n"
    "                [--optimizer lbfgs|adam] [--net random|WEIGHTS.safetensors] [--layers ...]\n"
    "                [--save-every K] [--quiet] [--stats-json FILE] [--max-memory B]\n"
    "                [--pyramid N] [--spectrum W] [--histogram on|off] [--init mean|noise]\n"
    "                [--loss gram|swd|both]\n"
    "       mpirun -np P gramconv texture SAMPLE.png -o OUT.png [same options]\n"
    "       gramconv texture --preset P.safetensors[,P2,...] [--blend-weights w1,w2,...]\n"
    "                -o OUT.png [same options, no --net/--layers]\n"
    "\n"
    "Synthesise a texture that looks like SAMPLE: starting from seeded noise, L-BFGS (or Adam)\n"
    "changes the image until the Gram matrices of its features match the sample's (Gatys et al.).\n"
    "The default network needs no download: one convolution layer of random filters at several\n"
    "sizes (Ustyuzhaninov et al., ICLR 2017) applied to the image minus the sample's mean,\n"
    "ReLU, one Gram loss per size. Its output tiles\n"
    "seamlessly (circular padding). Same seed and thread count: the same output bytes.\n"
    "\n"
    "options:\n"
    "  -o, --output F        the output image, .png (8-bit RGB) or .jpg/.jpeg (required)\n"
    "  --size W,H            output size (default: the sample's; presets: 256,256)\n"
    "  --iters N             iterations (default 200)\n"
    "  --seed S              seeds the random network and the noise start (default 0)\n"
    "  --optimizer O         lbfgs (default; step 1, history 10) or adam (step 0.02)\n"
    "  --lr X                the optimiser's step instead\n"
    "  --net N               random (default) or a VGG-19 safetensors file with torchvision's\n"
    "                        names features.N.weight/.bias (style layers relu1_1..relu5_1)\n"
    "  --layers L            random: the filter sizes, odd (default 3,5,7,11,15,23);\n"
    "                        VGG-19: style layer names (relu1_1,relu2_1,...)\n"
    "  --filters N           random: filters per size (default 32; the paper used 128)\n"
    "  --pool max|avg        VGG-19 pooling (default max)\n"
    "  --tv-weight W         total-variation smoothing weight (default 0)\n"
    "  --pyramid N|auto      coarse to fine over N levels: level l synthesises size/2^l from\n"
    "                        the sample halved l times, the coarsest --iters iterations, each\n"
    "                        finer one half as many (default auto: as many levels as keep the\n"
    "                        coarsest output's shorter side >= 128 and the sample >= twice\n"
    "                        the largest filter: 1 at 128^2, 2 at 256^2, 4 at 1024^2)\n"
    "  --spectrum W          weight of the spectrum constraint (Liu et al. 2016: the sample's\n"
    "                        Fourier modulus; needs FFTW; 0: off; see docs/SYNTH.md for the default)\n"
    "  --histogram on|off    match each colour channel's histogram to the sample's at the end\n"
    "                        of every level (see docs/SYNTH.md for the default)\n"
    "  --init noise|mean     start: uniform noise in [0, 1) (default), or the sample's mean\n"
    "                        plus noise of width 0.2\n"
    "  --loss L              the style term: gram (default; Gram matrices), swd (sliced\n"
    "                        Wasserstein: sorted random projections of the features, Heitz\n"
    "                        et al. 2021) or both (their sum); swd/both need a SAMPLE\n"
    "  --preset P[,P2..]     Gram matrices saved by `gramconv gram-preset save` instead of a\n"
    "                        sample; several are blended (--blend-weights, default equal)\n"
    "  --save-every K        also write OUT_<iter>.png every K iterations\n"
    "  -q, --quiet           no progress and no summary line\n"
    "  --stats-json FILE     write {\"iters\",\"initial_loss\",\"final_loss\",\"seconds\",...}\n"
    "  -t, --threads N       threads (default: all cores, or GC_NUM_THREADS)\n"
    "  --max-pixels N        refuse input images of more than N pixels (default 8192 x 8192)\n"
    "  --max-memory B        synthesise in bands of rows whose feature maps fit in B bytes\n"
    "                        (512M, 2G, ...; random net only): large outputs in bounded memory,\n"
    "                        the same image within float rounding, ~2-3x slower\n"
    "  -h, --help            this text\n"
    "\n"
    "Under mpirun (a build with MPI), the image rows, their feature maps and the optimiser's\n"
    "history are split over the ranks (random net only; --max-memory bounds each rank's bands):\n"
    "the same image as one process within float rounding. Every rank reads the sample; rank 0\n"
    "writes the output and prints. Each rank uses cores / ranks-per-node threads by default.\n"
    "\n"
    "Progress goes to stderr: a bar with iteration, loss, it/s and ETA on a terminal, a line\n"
    "every tenth of the run otherwise. The summary line goes to stdout. Exit status: 0 success,\n"
    "1 failure, 2 usage error; on failure nothing is written.\n";

const char cli_usage_gram_preset[] =
    "usage: gramconv gram-preset save STYLE_IMAGE -o PRESET.safetensors [--net random|W.safetensors]\n"
    "                [--layers L] [--filters N] [--pool max|avg] [--seed S] [--image-size N]\n"
    "                [--center mean|R,G,B]\n"
    "\n"
    "Save the Gram matrix of every style layer of STYLE_IMAGE (C x C each, named gram.<layer>)\n"
    "with metadata naming the network, for `gramconv texture --preset PRESET.safetensors`.\n"
    "--image-size N resizes the style image to N pixels on its longer side first. The network\n"
    "options are texture's; a VGG-19 preset records the weights' path. The random network is\n"
    "centred on the style image's mean (recorded as \"center\"); presets blend only when they\n"
    "share a network, so give --center R,G,B (values in [0, 1]) to presets made to be blended.\n";
