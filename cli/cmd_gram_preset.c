/* cmd_gram_preset.c - Gram presets: reading them for `gramconv texture --preset` (the
 * network a preset names, its layers and Grams, several checked to agree) and writing them
 * (`gramconv gram-preset save STYLE_IMAGE -o PRESET.safetensors`). A preset is a
 * safetensors file with one C x C tensor "gram.<layer>" per style layer and metadata naming
 * the network (net, scales, filters, channels, seed / weights, pool, center). */
#include "cmd_texture.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cli_tx_preset_grams(gc_context *ctx, const gc_safetensors *st, const gc_synth_net *net,
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
int cli_tx_load_presets(gc_context *ctx, const tx_opts_t *o, gc_safetensors **sts,
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

/* ---- gram-preset save ------------------------------------------------------------------- */

static const cli_opt gp_opts[] = {
    {"output", 'o', 1}, {"net", 0, 1}, {"layers", 0, 1}, {"filters", 0, 1}, {"pool", 0, 1},
    {"seed", 0, 1}, {"threads", 't', 1}, {"max-pixels", 0, 1}, {"image-size", 0, 1},
    {"center", 0, 1},
};
enum { GP_OUTPUT, GP_NET, GP_LAYERS, GP_FILTERS, GP_POOL, GP_SEED, GP_THREADS, GP_MAX_PIXELS, GP_SIZE, GP_CENTER, GP_NOPTS };

/* The text of a preset's metadata values (meta points into it). */
typedef struct gp_meta_text {
    char scales[512], filters[32], seed[32], channels[8], center[96];
} gp_meta_text;

/* A preset's metadata: the format, and the network (a random net's recipe and centre, or
 * VGG-19's weights and pooling) into meta (at most 9); returns the count. */
static int64_t gp_meta(const gc_synth_net *net, const cli_synth_netopts *no, gp_meta_text *t,
                       gc_safetensors_meta *meta)
{
    memset(t, 0, sizeof *t);
    t->channels[0] = '3';
    int64_t nm = 0;
    meta[nm++] = (gc_safetensors_meta){"format", "gramconv-gram-preset"};
    meta[nm++] = (gc_safetensors_meta){"version", "1"};
    gc_synth_random_desc rd;
    if (gc_synth_net_random_desc(net, &rd) == GC_OK) {
        int len = 0;
        for (int i = 0; i < rd.nscales; i++)
            len += snprintf(t->scales + len, sizeof t->scales - (size_t)len, "%s%lld", i ? "," : "",
                            (long long)rd.sizes[i]);
        snprintf(t->filters, sizeof t->filters, "%lld", (long long)rd.filters);
        snprintf(t->seed, sizeof t->seed, "%llu", (unsigned long long)rd.seed);
        meta[nm++] = (gc_safetensors_meta){"net", "random"};
        meta[nm++] = (gc_safetensors_meta){"scales", t->scales};
        meta[nm++] = (gc_safetensors_meta){"filters", t->filters};
        meta[nm++] = (gc_safetensors_meta){"seed", t->seed};
        meta[nm++] = (gc_safetensors_meta){"channels", t->channels};
        tx_format_center(net, t->center, sizeof t->center);
        meta[nm++] = (gc_safetensors_meta){"center", t->center};
    } else {
        meta[nm++] = (gc_safetensors_meta){"net", "vgg19"};
        meta[nm++] = (gc_safetensors_meta){"weights", no->net};
        meta[nm++] = (gc_safetensors_meta){"pool", no->pool == GC_SYNTH_POOL_AVG ? "avg" : "max"};
    }
    return nm;
}

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
        gp_meta_text text;
        gc_safetensors_meta meta[9];
        const int64_t nm = gp_meta(net, &no, &text, meta);
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

/* ---- usage text --------------------------------------------------------------------------- */

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
