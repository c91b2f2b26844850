/* cmd_corr.c - `gramconv xcorr2|conv2|xcorr3|conv3 INPUT.npy KERNEL.npy [--mode M]
 * [--method auto|direct|fft] [--boundary B] [--fill-value V] [--threads N] -o OUT.npy`. */
#include "cli.h"

#include <string.h>

static const cli_opt corr_opts[] = {
    {"mode", 'm', 1},
    {"threads", 't', 1},
    {"output", 'o', 1},
    {"method", 0, 1},
    {"boundary", 0, 1},
    {"fill-value", 0, 1},
};
enum { OPT_MODE, OPT_THREADS, OPT_OUTPUT, OPT_METHOD, OPT_BOUNDARY, OPT_FILL, NOPTS };

static int corr_streq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a | 0x20) != (*b | 0x20) || !((*a | 0x20) >= 'a' && (*a | 0x20) <= 'z'))
            return 0;
    return *a == *b;
}

static const char *const method_names[] = {"auto", "direct", "fft"};
static const char *const boundary_names[] = {"fill", "wrap", "symm", "reflect", "replicate"};

int cli_parse_corr_method(const char *s, gc_corr_method *out, cli_err *err)
{
    char q[64];
    for (int i = 0; s && i < 3; i++)
        if (corr_streq_nocase(s, method_names[i])) {
            *out = (gc_corr_method)i;
            return CLI_OK;
        }
    return cli_seterr(err, CLI_USAGE, "--method must be auto, direct or fft, not '%s'",
                      cli_quote(s, q, sizeof q));
}

int cli_parse_boundary(const char *s, gc_boundary *out, cli_err *err)
{
    char q[64];
    for (int i = 0; s && i < 5; i++)
        if (corr_streq_nocase(s, boundary_names[i])) {
            *out = (gc_boundary)i;
            return CLI_OK;
        }
    return cli_seterr(err, CLI_USAGE,
                      "--boundary must be fill, wrap, symm, reflect or replicate, not '%s'",
                      cli_quote(s, q, sizeof q));
}

const char *cli_corr_method_name(gc_corr_method m)
{
    return (unsigned)m < 3 ? method_names[m] : "?";
}

int cli_corr_desc_for(const char *name, gc_corr_desc *desc)
{
    static const struct {
        const char *name;
        gc_corr_kind kind;
        int sd;
    } ops[] = {{"xcorr2", GC_CORR_KIND_XCORR, 2},
               {"conv2", GC_CORR_KIND_CONV, 2},
               {"xcorr3", GC_CORR_KIND_XCORR, 3},
               {"conv3", GC_CORR_KIND_CONV, 3}};
    memset(desc, 0, sizeof *desc); /* auto method, zero fill */
    for (size_t i = 0; name && i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(name, ops[i].name) == 0) {
            desc->kind = ops[i].kind;
            desc->spatial_dims = ops[i].sd;
            desc->mode = GC_MODE_VALID;
            return CLI_OK;
        }
    return CLI_USAGE;
}

int cli_corr_parse(int argc, char *const *argv, cli_corr_opts *out, cli_err *err)
{
    cli_args a;
    memset(out, 0, sizeof *out);
    out->mode = GC_MODE_VALID;
    int rc = cli_parse_args(argc, argv, corr_opts, NOPTS, 2, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        out->help = 1;
        return CLI_OK;
    }
    if (a.value[OPT_MODE] && (rc = cli_parse_mode(a.value[OPT_MODE], &out->mode, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_THREADS] &&
        (rc = cli_parse_threads(a.value[OPT_THREADS], &out->threads, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_METHOD] &&
        (rc = cli_parse_corr_method(a.value[OPT_METHOD], &out->method, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_BOUNDARY] &&
        (rc = cli_parse_boundary(a.value[OPT_BOUNDARY], &out->boundary, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_FILL]) {
        if (out->boundary != GC_BOUNDARY_FILL)
            return cli_seterr(err, CLI_USAGE, "--fill-value goes with --boundary fill, not %s",
                              boundary_names[out->boundary]);
        if ((rc = cli_parse_finite_double(a.value[OPT_FILL], "--fill-value", &out->fill_value,
                                          err)) != CLI_OK)
            return rc;
    }
    if (a.npos < 2)
        return cli_seterr(err, CLI_USAGE, "%s (usage: INPUT.npy KERNEL.npy -o OUT.npy)",
                          a.npos == 0 ? "the input and kernel files are missing"
                                      : "the kernel file is missing");
    if (!a.value[OPT_OUTPUT])
        return cli_seterr(err, CLI_USAGE, "the output file is missing (-o OUT.npy)");
    if (a.value[OPT_OUTPUT][0] == '\0')
        return cli_seterr(err, CLI_USAGE, "the output file name (-o) is empty");
    if (a.pos[0][0] == '\0' || a.pos[1][0] == '\0')
        return cli_seterr(err, CLI_USAGE, "an input file name is empty");
    out->input = a.pos[0];
    out->kernel = a.pos[1];
    out->output = a.value[OPT_OUTPUT];
    return CLI_OK;
}

/* Read both operands; a mixed float32/float64 pair becomes float64. */
static int corr_load(gc_context *ctx, const cli_corr_opts *o, gc_tensor *in, gc_tensor *k)
{
    int rc = cli_read_npy(ctx, o->input, "input", in);
    if (rc == CLI_OK)
        rc = cli_read_npy(ctx, o->kernel, "kernel", k);
    if (rc == CLI_OK && in->dtype != k->dtype) {
        gc_tensor *narrow = in->dtype == GC_DTYPE_F32 ? in : k;
        gc_tensor wide;
        rc = cli_to_f64(ctx, narrow, &wide);
        if (rc == CLI_OK) {
            gc_tensor_free(narrow);
            *narrow = wide;
        }
    }
    return rc;
}

int cli_cmd_corr(const cli_command *cmd, int argc, char **argv)
{
    cli_corr_opts o;
    cli_err err;
    gc_corr_desc desc;
    if (cli_corr_desc_for(cmd->name, &desc) != CLI_OK)
        return cli_error(CLI_FAIL, "%s: not a correlation command", cmd->name);
    int rc = cli_corr_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    desc.mode = o.mode;
    desc.method = o.method;
    desc.boundary = o.boundary;
    desc.fill_value = o.fill_value;
    const char *wout = NULL;
    if ((rc = cli_file_input(o.input)) != CLI_OK || (rc = cli_file_input(o.kernel)) != CLI_OK ||
        (rc = cli_file_output(o.output, &wout)) != CLI_OK)
        return rc;

    gc_context *ctx = NULL;
    gc_tensor in = {0}, k = {0}, out = {0};
    if ((rc = cli_make_context(o.threads, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    rc = corr_load(ctx, &o, &in, &k);
    if (rc == CLI_OK) {
        int orank = 0;
        int64_t odims[GC_MAX_RANK] = {0};
        gc_status st = gc_corr_shape(ctx, &desc, &in, &k, &orank, odims);
        if (st == GC_OK)
            st = gc_tensor_create(ctx, &out, in.dtype, orank, odims);
        if (st == GC_OK)
            st = gc_corr(ctx, &desc, &in, &k, &out);
        if (st != GC_OK) {
            rc = cli_lib_error(ctx, st, cmd->name);
        } else if ((st = gc_npy_write(ctx, wout, &out)) != GC_OK) {
            char q[64], prefix[128];
            snprintf(prefix, sizeof prefix, "cannot write '%s'", cli_quote(o.output, q, sizeof q));
            rc = cli_lib_error(ctx, st, prefix);
        }
    }
    gc_tensor_free(&out);
    gc_tensor_free(&k);
    gc_tensor_free(&in);
    gc_context_free(ctx);
    return rc;
}
