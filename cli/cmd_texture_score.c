/* cmd_texture_score.c - `gramconv texture-score SAMPLE CANDIDATE [--json]`: how far a candidate
 * image (a synthesised texture, a piece of the texture) is from a texture sample, with no
 * network: gc_texture_score_compute's sliced Wasserstein and log power-spectrum distances, raw
 * and relative to matched Gaussian noise. Reads two images, prints, writes no file. */
#include "synth_cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const cli_opt tsc_table[] = {
    {"json", 0, 0},    {"max-pixels", 0, 1}, {"directions", 0, 1},
    {"seed", 0, 1},    {"threads", 't', 1},  {"channels", 0, 1},
};
enum { TSC_JSON, TSC_MAX_PIXELS, TSC_DIRECTIONS, TSC_SEED, TSC_THREADS, TSC_CHANNELS, TSC_NOPTS };

typedef struct tsc_opts {
    const char *sample, *candidate;
    int json, threads;
    int channels;        /* 0: as stored; 1..4: both images converted on reading */
    int64_t max_pixels;  /* 0: the default limit */
    gc_texture_score_desc desc;
    int help;
} tsc_opts;

static int tsc_parse(int argc, char *const *argv, tsc_opts *o, cli_err *err)
{
    memset(o, 0, sizeof *o);
    o->desc = gc_texture_score_desc_default();
    cli_args a;
    int rc = cli_parse_args(argc, argv, tsc_table, TSC_NOPTS, 2, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        o->help = 1;
        return CLI_OK;
    }
    int64_t v = 0;
    o->json = a.value[TSC_JSON] != NULL;
    if (a.value[TSC_MAX_PIXELS] &&
        (rc = cli_parse_int64(a.value[TSC_MAX_PIXELS], 1, INT64_MAX, "--max-pixels", &o->max_pixels, err)) != CLI_OK)
        return rc;
    if (a.value[TSC_DIRECTIONS]) {
        if ((rc = cli_parse_int64(a.value[TSC_DIRECTIONS], 1, 65536, "--directions", &v, err)) != CLI_OK)
            return rc;
        o->desc.directions = (int)v;
    }
    if (a.value[TSC_SEED] && (rc = cli_parse_u64(a.value[TSC_SEED], "--seed", &o->desc.seed, err)) != CLI_OK)
        return rc;
    if (a.value[TSC_THREADS] && (rc = cli_parse_threads(a.value[TSC_THREADS], &o->threads, err)) != CLI_OK)
        return rc;
    if (a.value[TSC_CHANNELS]) {
        if ((rc = cli_parse_int64(a.value[TSC_CHANNELS], 0, 4, "--channels", &v, err)) != CLI_OK)
            return rc;
        o->channels = (int)v;
    }
    if (a.npos != 2)
        return cli_seterr(err, CLI_USAGE, "needs two images, SAMPLE and CANDIDATE (got %d)", a.npos);
    o->sample = a.pos[0];
    o->candidate = a.pos[1];
    return CLI_OK;
}

static int tsc_read(gc_context *ctx, const char *path, const char *what, const tsc_opts *o,
                    gc_tensor *out)
{
    char q[64], prefix[200];
    gc_image_read_opts ro = gc_image_read_opts_default();
    ro.channels = o->channels;
    ro.max_pixels = o->max_pixels;
    gc_status st = gc_image_read(ctx, path, &ro, out);
    if (st == GC_OK)
        return CLI_OK;
    snprintf(prefix, sizeof prefix, "texture-score: cannot read the %s '%s'", what,
             cli_quote(path, q, sizeof q));
    return cli_lib_error(ctx, st, prefix);
}

int cli_cmd_texture_score(const cli_command *cmd, int argc, char **argv)
{
    tsc_opts o;
    cli_err err;
    char q1[64], q2[64];
    int rc = tsc_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(o.threads, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    gc_tensor s = {0}, c = {0};
    gc_texture_score r;
    memset(&r, 0, sizeof r);
    rc = tsc_read(ctx, o.sample, "sample", &o, &s);
    if (rc == CLI_OK)
        rc = tsc_read(ctx, o.candidate, "candidate", &o, &c);
    if (rc == CLI_OK && s.dims[0] != c.dims[0])
        rc = cli_error(CLI_FAIL,
                       "%s: the sample '%s' has %lld channel%s and the candidate '%s' %lld "
                       "(they must match; --channels converts both)",
                       cmd->name, cli_quote(o.sample, q1, sizeof q1), (long long)s.dims[0],
                       s.dims[0] == 1 ? "" : "s", cli_quote(o.candidate, q2, sizeof q2),
                       (long long)c.dims[0]);
    if (rc == CLI_OK) {
        gc_status st = gc_texture_score_compute(ctx, &o.desc, &s, &c, &r);
        if (st != GC_OK) {
            /* the library's messages start with its own name, "texture_score: " */
            const char *m = gc_context_last_error(ctx);
            if (strncmp(m, "texture_score: ", 15) == 0)
                m += 15;
            rc = cli_error(CLI_FAIL, "%s: %s", cmd->name, *m ? m : gc_status_str(st));
        }
        else if (!isfinite(r.swd) || !isfinite(r.swd_noise) || !isfinite(r.swd_rel) ||
                 !isfinite(r.spectrum) || !isfinite(r.spectrum_noise) || !isfinite(r.spectrum_rel))
            rc = cli_error(CLI_FAIL, "%s: a distance is not finite (a bug: please report it)",
                           cmd->name);
    }
    if (rc == CLI_OK) {
        if (o.json)
            printf("{\"sample\":\"%lld x %lld x %lld\",\"candidate\":\"%lld x %lld x %lld\","
                   "\"swd\":%.9g,\"swd_noise\":%.9g,\"swd_rel\":%.9g,"
                   "\"spectrum\":%.9g,\"spectrum_noise\":%.9g,\"spectrum_rel\":%.9g,"
                   "\"levels\":%d,\"directions\":%d,\"seed\":%llu}\n",
                   (long long)s.dims[2], (long long)s.dims[1], (long long)s.dims[0],
                   (long long)c.dims[2], (long long)c.dims[1], (long long)c.dims[0], r.swd,
                   r.swd_noise, r.swd_rel, r.spectrum, r.spectrum_noise, r.spectrum_rel, r.levels,
                   o.desc.directions, (unsigned long long)o.desc.seed);
        else
            printf("swd %.3g (%.3g x noise %.3g)\nspectrum %.3g (%.3g x noise %.3g)\nlevels %d\n",
                   r.swd, r.swd_rel, r.swd_noise, r.spectrum, r.spectrum_rel, r.spectrum_noise,
                   r.levels);
        rc = cli_flush_stdout(CLI_OK);
    }
    gc_tensor_free(&s);
    gc_tensor_free(&c);
    gc_context_free(ctx);
    return rc;
}

const char cli_usage_texture_score[] =
    "usage: gramconv texture-score SAMPLE.(png|jpg) CANDIDATE.(png|jpg) [--json]\n"
    "                              [--channels N] [--max-pixels N] [--directions N] [--seed S]\n"
    "                              [--threads N]\n"
    "\n"
    "How far CANDIDATE (a synthesised texture, or a piece of the texture) is from the texture\n"
    "SAMPLE, with no network (docs/SYNTH.md, \"Scoring a texture\"):\n"
    "  swd       the sliced Wasserstein distance between 7 x 7 neighbourhoods of the\n"
    "            Laplacian-pyramid levels of the two images (ProGAN's), every level normalised\n"
    "            by the sample's per-channel statistics, so a brightness or colour drift counts;\n"
    "  spectrum  the RMS difference of their log power spectra (64 x 64 Hann windows).\n"
    "Each is printed raw and relative to Gaussian noise of the candidate's size with the\n"
    "sample's per-channel mean and deviation: 1 means as far from the sample as that noise; a\n"
    "real piece of a texture scores about 0.1 - 0.3. The images may differ in size (each side\n"
    "at least 8) but must have the same channels: as stored (gray 1, gray+alpha 2, RGB 3,\n"
    "RGBA 4), or both converted with --channels. Deterministic: the same numbers for any\n"
    "thread count.\n"
    "\n"
    "output (text):\n"
    "  swd 0.0123 (0.19 x noise 0.0651)\n"
    "  spectrum 0.412 (0.22 x noise 1.87)\n"
    "  levels 4\n"
    "with --json, one line: {\"sample\":\"W x H x C\",\"candidate\":\"W x H x C\",\"swd\":..,\n"
    "  \"swd_noise\":..,\"swd_rel\":..,\"spectrum\":..,\"spectrum_noise\":..,\"spectrum_rel\":..,\n"
    "  \"levels\":..,\"directions\":..,\"seed\":..} (numbers as %.9g).\n"
    "\n"
    "options:\n"
    "  --json            one JSON object instead of the text\n"
    "  --channels N      read both images as 1 gray, 2 gray+alpha, 3 RGB or 4 RGBA (colour to\n"
    "                    gray: 0.299 R + 0.587 G + 0.114 B; gray to RGB: repeated); 0: as\n"
    "                    stored (default). For a gray sample and a synthesised RGB result:\n"
    "                    --channels 1\n"
    "  --max-pixels N    refuse images of more than N pixels (default 8192 x 8192)\n"
    "  --directions N    random projection directions for swd, 1..65536 (default 256)\n"
    "  --seed S          the directions, the neighbourhoods drawn and the noise (default 0)\n"
    "  -t, --threads N   threads to use, 1..1024 (default: all cores, or GC_NUM_THREADS)\n"
    "  -h, --help        this text\n"
    "\n"
    "Writes no file. Exit status: 0 success, 1 failure, 2 usage error.\n";
