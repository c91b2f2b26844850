/* cmd_texture.c - texture synthesis from the command line:
 *   gramconv texture SAMPLE.(png|jpg) -o OUT.png [--size W,H] [--iters N] [--seed S]
 *            [--optimizer lbfgs|adam] [--net random|WEIGHTS.safetensors] [--layers ...]
 *            [--save-every K] [--quiet] [--stats-json FILE]
 *   gramconv texture --preset P.safetensors[,P2...] [--blend-weights w1,w2] -o OUT.png ...
 * The presets (reading them, and `gramconv gram-preset save`) are in cmd_gram_preset.c. */
#include "cmd_texture.h"
#include "cmd_tile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* The quality options: --spectrum, --pyramid, --histogram, --init, --loss. */
static int tx_parse_quality(const cli_args *a, tx_opts_t *o, cli_err *err)
{
    int64_t v = 0;
    int rc;
    if (a->value[TX_SPECTRUM]) {
        if ((rc = cli_parse_finite_double(a->value[TX_SPECTRUM], "--spectrum", &o->spectrum, err)) != CLI_OK)
            return rc;
        if (o->spectrum < 0.0)
            return cli_seterr(err, CLI_USAGE, "--spectrum must be >= 0 (0: off)");
        o->spectrum_set = 1;
    }
    if (a->value[TX_PYRAMID] && strcmp(a->value[TX_PYRAMID], "auto") != 0) {
        if ((rc = cli_parse_int64(a->value[TX_PYRAMID], 1, 8, "--pyramid", &v, err)) != CLI_OK)
            return rc;
        o->pyramid = (int)v;
    }
    if (a->value[TX_HISTOGRAM]) {
        if (strcmp(a->value[TX_HISTOGRAM], "on") == 0)
            o->histogram = 1;
        else if (strcmp(a->value[TX_HISTOGRAM], "off") == 0)
            o->histogram = 0;
        else
            return cli_seterr(err, CLI_USAGE, "--histogram must be on or off");
    }
    if (a->value[TX_INIT]) {
        if (strcmp(a->value[TX_INIT], "mean") == 0)
            o->init = GC_SYNTH_INIT_MEAN;
        else if (strcmp(a->value[TX_INIT], "noise") == 0)
            o->init = GC_SYNTH_INIT_NOISE;
        else
            return cli_seterr(err, CLI_USAGE, "--init must be mean or noise");
    }
    if (a->value[TX_LOSS]) {
        if (strcmp(a->value[TX_LOSS], "gram") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_GRAM;
        else if (strcmp(a->value[TX_LOSS], "swd") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_SWD;
        else if (strcmp(a->value[TX_LOSS], "both") == 0)
            o->loss = GC_SYNTH_LOSS_KIND_BOTH;
        else
            return cli_seterr(err, CLI_USAGE, "--loss must be gram, swd or both");
    }
    return CLI_OK;
}

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
    if ((rc = tx_parse_quality(&a, o, err)) != CLI_OK)
        return rc;
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
        rc = cli_tx_preset_grams(ctx, sts[i], net, layers, o->presets[i], g);
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

/* The run's files: inputs, then the outputs' staging files (*wout, *wstats) and snapshots. */
static int tx_files(const tx_opts_t *o, const char **wout, const char **wstats)
{
    int rc = CLI_OK;
    for (int i = 0; i < o->npresets && rc == CLI_OK; i++)
        rc = cli_file_input(o->presets[i]);
    if (rc == CLI_OK && o->sample)
        rc = cli_file_input(o->sample);
    if (rc == CLI_OK)
        rc = cli_synth_run_files(&o->net, o->output, o->stats, o->save_every, o->iters, wout,
                                 wstats);
    return rc;
}

/* The synthesis descriptor from the options (style layers `mask`, progress to pr). */
static void tx_fill_desc(const tx_opts_t *o, uint32_t mask, cli_synth_progress *pr,
                         gc_synth_desc *d)
{
    d->width = o->width;
    d->height = o->height;
    d->style_layers = mask;
    d->content_layer = -1;
    d->iters = o->iters;
    d->optimizer = o->optimizer;
    d->learning_rate = o->lr > 0.0 ? o->lr : (o->optimizer == GC_SYNTH_OPTIMIZER_ADAM ? 0.02 : 1.0);
    d->tv_weight = o->tv;
    d->progress = cli_synth_progress_fn;
    d->progress_user = pr;
    d->spectrum_weight = o->spectrum;
    d->pyramid = o->pyramid;
    d->match_histogram = o->histogram;
    d->init = o->init;
    d->loss = o->loss;
}

/* The output tensor (3 x height x width) into *out, holding the start image. */
static gc_status tx_start_image(gc_context *ctx, const tx_opts_t *o, const gc_synth_net *net,
                                gc_tensor *out)
{
    const int64_t dims[3] = {3, o->height, o->width};
    double mean[4] = {0.5, 0.5, 0.5, 0.5};
    gc_synth_random_desc rd; /* a centred random net's centre is its sample's mean */
    if (gc_synth_net_random_desc(net, &rd) == GC_OK && !rd.zero_mean)
        memcpy(mean, rd.center, sizeof mean);
    gc_status st = gc_tensor_create(ctx, out, GC_DTYPE_F32, 3, dims);
    if (st == GC_OK)
        st = gc_synth_start(out, o->init, mean, o->seed ^ TX_NOISE_MIX);
    return st;
}

/* The banded and MPI paths (split) run the Gram loss alone: --loss swd/both, --pyramid and an
 * asked-for --spectrum are refused there (rc stays CLI_OK otherwise); the defaults are turned
 * off. */
static int tx_split_options(const cli_command *cmd, tx_opts_t *o, int split, int mpi, int rc)
{
    if (rc == CLI_OK && split && o->loss != GC_SYNTH_LOSS_KIND_GRAM)
        rc = cli_error(CLI_USAGE, "%s: --loss swd and both do not run in bands or ranks (%s)",
                       cmd->name, mpi ? "mpirun" : "--max-memory");
    if (rc == CLI_OK && split && (o->pyramid > 1 || (o->spectrum_set && o->spectrum > 0.0)))
        rc = cli_error(CLI_USAGE, "%s: --pyramid and --spectrum do not run in bands or ranks "
                       "(%s)", cmd->name, mpi ? "mpirun" : "--max-memory");
    if (split) {
        o->spectrum = 0.0;
        o->pyramid = 1;
    }
    return rc;
}

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
    if ((rc = tx_files(&o, &wout, &wstats)) != CLI_OK)
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
        rc = cli_tx_load_presets(ctx, &o, sts, &net, &mask);
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
    rc = tx_split_options(cmd, &o, split, world != NULL, rc);
    gc_synth_desc d = gc_synth_desc_default();
    cli_synth_progress pr = {ctx, o.quiet, cli_synth_is_tty(), o.save_every, o.output, 0, 0};
    if (rc == CLI_OK) {
        tx_fill_desc(&o, mask, &pr, &d);
        if (!split && o.npresets && (st = gc_synth_create(ctx, net, &d, &s)) != GC_OK)
            rc = cli_lib_error(ctx, st, "texture");
    }
    for (int i = 0; rc == CLI_OK && !split && i < o.npresets; i++) {
        rc = cli_tx_preset_grams(ctx, sts[i], net, mask, o.presets[i], grams);
        if (rc == CLI_OK && (st = gc_synth_add_style_grams(ctx, s, grams, o.blend[i])) != GC_OK)
            rc = cli_lib_error(ctx, st, "texture: preset");
    }
    gc_synth_stats stats;
    memset(&stats, 0, sizeof stats);
    gc_tensor sgrams[GC_SYNTH_MAX_LAYERS];
    memset(sgrams, 0, sizeof sgrams);
    if (rc == CLI_OK && split)
        rc = tx_split_prepare(ctx, cmd, &o, sts, net, mask, &sample, world != NULL, sgrams);
    if (rc == CLI_OK && (st = tx_start_image(ctx, &o, net, &out)) != GC_OK)
        rc = cli_lib_error(ctx, st, "texture");
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
