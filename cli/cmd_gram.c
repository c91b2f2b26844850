/* cmd_gram.c - the Gram subcommands:
 *   gramconv gram INPUT.npy [--norm none|hw|chw] [--center] [--scale S] -o G.npy
 *   gramconv gram-backward INPUT.npy GRAD_G.npy [--norm ..] [--center] [--scale S] -o GRAD_INPUT.npy
 *   gramconv style-loss INPUT.npy TARGET_G.npy [--norm ..] [--center] [--scale S] [--weight W]
 *            [-o GRAD_INPUT.npy]     (prints "loss <value>")
 * One run function for the three, dispatched on the subcommand's name. */
#include "cli.h"
#include "cmd_tile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_opt gram_opts[] = {
    {"norm", 0, 1}, {"center", 0, 0}, {"scale", 0, 1}, {"weight", 0, 1},
    {"threads", 't', 1}, {"output", 'o', 1}, {"max-memory", 0, 1},
};
enum { OPT_NORM, OPT_CENTER, OPT_SCALE, OPT_WEIGHT, OPT_THREADS, OPT_OUTPUT, OPT_MAXMEM, NOPTS };

enum { GRAM_FWD, GRAM_BWD, GRAM_LOSS };

static int gram_kind(const char *name)
{
    if (name && strcmp(name, "gram-backward") == 0)
        return GRAM_BWD;
    if (name && strcmp(name, "style-loss") == 0)
        return GRAM_LOSS;
    return GRAM_FWD;
}

static int gram_lower(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

static int gram_streq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (gram_lower((unsigned char)*a) != gram_lower((unsigned char)*b))
            return 0;
    return *a == '\0' && *b == '\0';
}

int cli_parse_gram_norm(const char *s, gc_gram_norm *out, cli_err *err)
{
    char q[64];
    static const struct {
        const char *name;
        gc_gram_norm norm;
    } names[] = {{"none", GC_GRAM_NORM_NONE}, {"hw", GC_GRAM_NORM_HW}, {"chw", GC_GRAM_NORM_CHW}};
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (gram_streq_nocase(s, names[i].name)) {
            if (out)
                *out = names[i].norm;
            return CLI_OK;
        }
    return cli_seterr(err, CLI_USAGE, "--norm must be none, hw or chw, not '%s'",
                      cli_quote(s, q, sizeof q));
}

int cli_parse_finite_double(const char *s, const char *what, double *out, cli_err *err)
{
    char q[64];
    if (!what)
        what = "value";
    /* strtod skips leading blanks and takes "nan", "inf", hex: insist on a plain number. */
    const char *p = s;
    if (p && (*p == '+' || *p == '-'))
        p++;
    if (!s || !p || !(*p == '.' || (*p >= '0' && *p <= '9')) ||
        (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')))
        return cli_seterr(err, CLI_USAGE, "%s must be a number, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!end || *end != '\0' || end == s)
        return cli_seterr(err, CLI_USAGE, "%s must be a number, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    if (errno == ERANGE && fabs(v) > 1.0)
        return cli_seterr(err, CLI_USAGE, "%s must be a finite number, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    if (!isfinite(v))
        return cli_seterr(err, CLI_USAGE, "%s must be a finite number, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    if (out)
        *out = v;
    return CLI_OK;
}

int cli_gram_parse(int argc, char *const *argv, cli_gram_opts *out, cli_err *err)
{
    cli_args a;
    memset(out, 0, sizeof *out);
    out->desc = gc_gram_desc_default();
    out->weight = 1.0;
    const int kind = gram_kind(argv && argc > 0 ? argv[0] : NULL);
    const int npos = kind == GRAM_FWD ? 1 : 2;
    int rc = cli_parse_args(argc, argv, gram_opts, NOPTS, npos, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        out->help = 1;
        return CLI_OK;
    }
    if (a.value[OPT_NORM] &&
        (rc = cli_parse_gram_norm(a.value[OPT_NORM], &out->desc.norm, err)) != CLI_OK)
        return rc;
    out->desc.center = a.count[OPT_CENTER] > 0;
    if (a.value[OPT_SCALE] &&
        (rc = cli_parse_finite_double(a.value[OPT_SCALE], "--scale", &out->desc.scale, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_WEIGHT]) {
        if (kind != GRAM_LOSS)
            return cli_seterr(err, CLI_USAGE, "--weight is an option of style-loss only");
        if ((rc = cli_parse_finite_double(a.value[OPT_WEIGHT], "--weight", &out->weight, err)) != CLI_OK)
            return rc;
    }
    if (a.value[OPT_THREADS] &&
        (rc = cli_parse_threads(a.value[OPT_THREADS], &out->threads, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_MAXMEM]) { /* gram only: stream the input in bands (cmd_tile.c) */
        if (kind != GRAM_FWD)
            return cli_seterr(err, CLI_USAGE, "--max-memory is an option of gram only");
        if ((rc = cli_parse_bytes(a.value[OPT_MAXMEM], "--max-memory", &out->max_memory, err)) != CLI_OK)
            return rc;
    }
    if (a.npos < npos) {
        if (kind == GRAM_FWD)
            return cli_seterr(err, CLI_USAGE, "the input file is missing (usage: INPUT.npy -o G.npy)");
        if (kind == GRAM_BWD)
            return cli_seterr(err, CLI_USAGE, "%s (usage: INPUT.npy GRAD_G.npy -o GRAD_INPUT.npy)",
                              a.npos == 0 ? "the input and dG files are missing"
                                          : "the dG file (GRAD_G.npy) is missing");
        return cli_seterr(err, CLI_USAGE, "%s (usage: INPUT.npy TARGET_G.npy [-o GRAD_INPUT.npy])",
                          a.npos == 0 ? "the input and target files are missing"
                                      : "the target Gram file (TARGET_G.npy) is missing");
    }
    for (int i = 0; i < a.npos; i++)
        if (a.pos[i][0] == '\0')
            return cli_seterr(err, CLI_USAGE, "an input file name is empty");
    if (!a.value[OPT_OUTPUT] && kind != GRAM_LOSS)
        return cli_seterr(err, CLI_USAGE, "the output file is missing (-o %s)",
                          kind == GRAM_FWD ? "G.npy" : "GRAD_INPUT.npy");
    if (a.value[OPT_OUTPUT] && a.value[OPT_OUTPUT][0] == '\0')
        return cli_seterr(err, CLI_USAGE, "the output file name (-o) is empty");
    out->input = a.pos[0];
    out->second = npos > 1 ? a.pos[1] : NULL;
    out->output = a.value[OPT_OUTPUT];
    return CLI_OK;
}

/* Read the operands; a mixed float32/float64 pair becomes float64. */
static int gram_load(gc_context *ctx, const cli_gram_opts *o, int kind, gc_tensor *in,
                     gc_tensor *second)
{
    int rc = cli_read_npy(ctx, o->input, "input", in);
    if (rc == CLI_OK && o->second)
        rc = cli_read_npy(ctx, o->second, kind == GRAM_BWD ? "dG" : "target", second);
    if (rc == CLI_OK && o->second && in->dtype != second->dtype) {
        gc_tensor *narrow = in->dtype == GC_DTYPE_F32 ? in : second;
        gc_tensor wide;
        rc = cli_to_f64(ctx, narrow, &wide);
        if (rc == CLI_OK) {
            gc_tensor_free(narrow);
            *narrow = wide;
        }
    }
    return rc;
}

static int gram_write(gc_context *ctx, const char *path, const char *wpath, const gc_tensor *t)
{
    gc_status st = gc_npy_write(ctx, wpath, t);
    if (st == GC_OK)
        return CLI_OK;
    char q[64], prefix[128];
    snprintf(prefix, sizeof prefix, "cannot write '%s'", cli_quote(path, q, sizeof q));
    return cli_lib_error(ctx, st, prefix);
}

int cli_cmd_gram(const cli_command *cmd, int argc, char **argv)
{
    cli_gram_opts o;
    cli_err err;
    const int kind = gram_kind(cmd->name);
    int rc = cli_gram_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    if ((rc = cli_file_input(o.input)) != CLI_OK || (rc = cli_file_input(o.second)) != CLI_OK ||
        (o.output && (rc = cli_file_output(o.output, &o.write_output)) != CLI_OK))
        return rc;

    gc_context *ctx = NULL;
    gc_tensor in = {0}, second = {0}, out = {0}, ws = {0};
    if ((rc = cli_make_context(o.threads, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    if (kind == GRAM_FWD && (o.max_memory || cli_mpi_launched())) { /* cmd_tile.c */
        rc = cli_gram_big(ctx, cmd, &o);
        gc_context_free(ctx);
        return rc;
    }
    rc = gram_load(ctx, &o, kind, &in, &second);
    if (rc == CLI_OK) {
        gc_status st = GC_OK;
        double loss = 0.0;
        if (kind == GRAM_FWD) {
            int grank = 0;
            int64_t gdims[GC_MAX_RANK] = {0};
            st = gc_gram_shape(ctx, &o.desc, &in, &grank, gdims);
            if (st == GC_OK)
                st = gc_tensor_create(ctx, &out, in.dtype, grank, gdims);
            if (st == GC_OK)
                st = gc_gram_forward(ctx, &o.desc, &in, &out);
        } else if (kind == GRAM_BWD) {
            st = gc_tensor_create(ctx, &out, in.dtype, in.rank, in.dims);
            if (st == GC_OK)
                st = gc_gram_backward(ctx, &o.desc, &in, &second, &out);
        } else {
            int grank = 0;
            int64_t gdims[GC_MAX_RANK] = {0};
            st = gc_gram_shape(ctx, &o.desc, &in, &grank, gdims);
            if (st == GC_OK)
                st = gc_tensor_create(ctx, &ws, in.dtype, grank, gdims);
            if (st == GC_OK && o.output)
                st = gc_tensor_create(ctx, &out, in.dtype, in.rank, in.dims);
            if (st == GC_OK)
                st = gc_gram_style_loss(ctx, &o.desc, &in, &second, o.weight, &loss,
                                        o.output ? &out : NULL, &ws);
        }
        if (st != GC_OK)
            rc = cli_lib_error(ctx, st, cmd->name);
        else if (o.output)
            rc = gram_write(ctx, o.output, o.write_output, &out);
        if (rc == CLI_OK && kind == GRAM_LOSS) {
            printf("loss %.17g\n", loss);
            rc = cli_flush_stdout(CLI_OK); /* on failure no gradient is left (cli_files_finish) */
        }
    }
    gc_tensor_free(&ws);
    gc_tensor_free(&out);
    gc_tensor_free(&second);
    gc_tensor_free(&in);
    gc_context_free(ctx);
    return rc;
}
