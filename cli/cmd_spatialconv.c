/* cmd_spatialconv.c - `gramconv spatialconv forward|backward ...`: Torch's nn.SpatialConvolution
 * with PyTorch's options (stride, pad or 'same', dilation, groups, padding mode).
 *
 *   spatialconv forward INPUT.npy WEIGHT.npy [--bias B.npy] [geometry] -o OUT.npy
 *   spatialconv backward INPUT.npy WEIGHT.npy GRAD_OUTPUT.npy [--bias B.npy] [geometry]
 *               --grad-input GI.npy [--grad-weight GW.npy] [--grad-bias GB.npy]
 *
 * backward writes plain gradients (zero start, scale 1). Everything is computed before any file
 * is written; if writing a later output fails, the outputs this run already wrote are removed,
 * so a failed run never leaves a partial set. Also the geometry parsers shared with
 * `bench conv`. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_opt sconv_opts[] = {
    {"bias", 0, 1},        {"stride", 0, 1},      {"pad", 0, 1},
    {"dilation", 0, 1},    {"groups", 0, 1},      {"padding-mode", 0, 1},
    {"threads", 't', 1},   {"output", 'o', 1},    {"grad-input", 0, 1},
    {"grad-weight", 0, 1}, {"grad-bias", 0, 1},
};
enum {
    OPT_BIAS, OPT_STRIDE, OPT_PAD, OPT_DILATION, OPT_GROUPS, OPT_PMODE, OPT_THREADS, OPT_OUTPUT,
    OPT_GI, OPT_GW, OPT_GB, NOPTS
};

static int sconv_lower(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

static int sconv_streq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (sconv_lower((unsigned char)*a) != sconv_lower((unsigned char)*b))
            return 0;
    return *a == '\0' && *b == '\0';
}

/* ---- geometry parsers (also used by bench conv) -------------------------------------------- */

int cli_parse_pair(const char *s, const char *what, int64_t lo, int64_t out[2], cli_err *err)
{
    char q[64], part[32];
    if (!s || !*s)
        return cli_seterr(err, CLI_USAGE, "%s must be N or H,W (height first), not '%s'", what,
                          cli_quote(s, q, sizeof q));
    const char *comma = strchr(s, ',');
    int64_t v[2];
    for (int i = 0; i < 2; i++) {
        const char *from = i == 0 ? s : comma + 1;
        size_t len = i == 0 ? (comma ? (size_t)(comma - s) : strlen(s)) : strlen(from);
        if (len == 0 || len >= sizeof part || (i == 1 && strchr(from, ',')))
            return cli_seterr(err, CLI_USAGE, "%s must be N or H,W (height first), not '%s'",
                              what, cli_quote(s, q, sizeof q));
        memcpy(part, from, len);
        part[len] = '\0';
        cli_err tmp;
        if (cli_parse_int64(part, INT64_MIN, INT64_MAX, what, &v[i], &tmp) != CLI_OK)
            return cli_seterr(err, CLI_USAGE, "%s must be N or H,W (height first), not '%s'",
                              what, cli_quote(s, q, sizeof q));
        if (v[i] < lo || v[i] > INT32_MAX)
            return cli_seterr(err, CLI_USAGE, "%s: each value must be between %lld and %lld, "
                              "not '%s'", what, (long long)lo, (long long)INT32_MAX,
                              cli_quote(s, q, sizeof q));
        if (!comma) {
            v[1] = v[0];
            break;
        }
    }
    out[0] = v[0];
    out[1] = v[1];
    return CLI_OK;
}

int cli_parse_conv_pad(const char *s, gc_conv2d_desc *desc, cli_err *err)
{
    if (s && sconv_streq_nocase(s, "same")) {
        desc->same_padding = 1;
        desc->pad[0] = desc->pad[1] = 0;
        return CLI_OK;
    }
    desc->same_padding = 0;
    return cli_parse_pair(s, "--pad", 0, desc->pad, err);
}

/* PyTorch's padding_mode names for the boundaries conv2d takes. */
static const struct {
    const char *name;
    gc_boundary mode;
} sconv_pmodes[] = {{"zeros", GC_BOUNDARY_FILL},
                    {"reflect", GC_BOUNDARY_REFLECT},
                    {"replicate", GC_BOUNDARY_REPLICATE},
                    {"circular", GC_BOUNDARY_WRAP}};
#define SCONV_NPMODES ((int)(sizeof sconv_pmodes / sizeof sconv_pmodes[0]))

int cli_parse_padding_mode(const char *s, gc_boundary *out, cli_err *err)
{
    char q[64];
    for (int i = 0; s && i < SCONV_NPMODES; i++)
        if (sconv_streq_nocase(s, sconv_pmodes[i].name)) {
            if (out)
                *out = sconv_pmodes[i].mode;
            return CLI_OK;
        }
    return cli_seterr(err, CLI_USAGE,
                      "--padding-mode must be zeros, reflect, replicate or circular, not '%s'",
                      cli_quote(s, q, sizeof q));
}

const char *cli_padding_mode_name(gc_boundary m)
{
    for (int i = 0; i < SCONV_NPMODES; i++)
        if (sconv_pmodes[i].mode == m)
            return sconv_pmodes[i].name;
    return "?";
}

int cli_alloc_workspace(size_t bytes, void **out)
{
    *out = NULL;
    if (bytes == 0)
        return CLI_OK;
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes || posix_memalign(out, 64, rounded) != 0) {
        *out = NULL;
        return cli_error(CLI_FAIL, "cannot allocate a workspace of %zu bytes", bytes);
    }
    return CLI_OK;
}

/* ---- parsing ---------------------------------------------------------------------------- */

int cli_sconv_parse(int argc, char *const *argv, cli_sconv_opts *out, cli_err *err)
{
    cli_args a;
    char q[64];
    memset(out, 0, sizeof *out);
    out->desc = gc_conv2d_desc_default();
    int rc = cli_parse_args(argc, argv, sconv_opts, NOPTS, 4, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        out->help = 1;
        return CLI_OK;
    }
    if (a.npos == 0)
        return cli_seterr(err, CLI_USAGE, "say 'forward' or 'backward' (e.g. spatialconv forward "
                                          "INPUT.npy WEIGHT.npy -o OUT.npy)");
    if (strcmp(a.pos[0], "forward") == 0)
        out->backward = 0;
    else if (strcmp(a.pos[0], "backward") == 0)
        out->backward = 1;
    else
        return cli_seterr(err, CLI_USAGE, "unknown action '%s' (forward or backward)",
                          cli_quote(a.pos[0], q, sizeof q));
    const char *act = out->backward ? "backward" : "forward";
    if (a.value[OPT_STRIDE] &&
        (rc = cli_parse_pair(a.value[OPT_STRIDE], "--stride", 1, out->desc.stride, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_PAD] && (rc = cli_parse_conv_pad(a.value[OPT_PAD], &out->desc, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_DILATION] &&
        (rc = cli_parse_pair(a.value[OPT_DILATION], "--dilation", 1, out->desc.dilation, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_GROUPS] &&
        (rc = cli_parse_int64(a.value[OPT_GROUPS], 1, INT32_MAX, "--groups", &out->desc.groups, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_PMODE] &&
        (rc = cli_parse_padding_mode(a.value[OPT_PMODE], &out->desc.padding_mode, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_THREADS] &&
        (rc = cli_parse_threads(a.value[OPT_THREADS], &out->threads, err)) != CLI_OK)
        return rc;
    const int want = out->backward ? 4 : 3;
    if (a.npos < want)
        return cli_seterr(err, CLI_USAGE, "%s: %s (usage: %s)", act,
                          a.npos == 1 ? "the input and weight files are missing"
                          : a.npos == 2 ? "the weight file is missing"
                                        : "the grad_output file is missing",
                          out->backward ? "INPUT.npy WEIGHT.npy GRAD_OUTPUT.npy --grad-input GI.npy"
                                        : "INPUT.npy WEIGHT.npy -o OUT.npy");
    if (a.npos > want)
        return cli_seterr(err, CLI_USAGE, "%s: unexpected extra argument '%s'", act,
                          cli_quote(a.pos[want], q, sizeof q));
    for (int i = 1; i < a.npos; i++)
        if (a.pos[i][0] == '\0')
            return cli_seterr(err, CLI_USAGE, "an input file name is empty");
    if (a.value[OPT_BIAS] && a.value[OPT_BIAS][0] == '\0')
        return cli_seterr(err, CLI_USAGE, "the bias file name (--bias) is empty");
    out->input = a.pos[1];
    out->weight = a.pos[2];
    out->bias = a.value[OPT_BIAS];
    if (!out->backward) {
        if (a.value[OPT_GI] || a.value[OPT_GW] || a.value[OPT_GB])
            return cli_seterr(err, CLI_USAGE, "forward: --grad-input/--grad-weight/--grad-bias "
                                              "belong to backward (forward writes -o OUT.npy)");
        if (!a.value[OPT_OUTPUT])
            return cli_seterr(err, CLI_USAGE, "forward: the output file is missing (-o OUT.npy)");
        if (a.value[OPT_OUTPUT][0] == '\0')
            return cli_seterr(err, CLI_USAGE, "the output file name (-o) is empty");
        out->output = a.value[OPT_OUTPUT];
        return CLI_OK;
    }
    out->grad_output = a.pos[3];
    if (a.value[OPT_OUTPUT])
        return cli_seterr(err, CLI_USAGE, "backward: -o is not used; name the outputs with "
                                          "--grad-input (and --grad-weight, --grad-bias)");
    if (!a.value[OPT_GI])
        return cli_seterr(err, CLI_USAGE, "backward: --grad-input GI.npy is required");
    const char *names[3] = {"--grad-input", "--grad-weight", "--grad-bias"};
    const char *vals[3] = {a.value[OPT_GI], a.value[OPT_GW], a.value[OPT_GB]};
    for (int i = 0; i < 3; i++) {
        if (vals[i] && vals[i][0] == '\0')
            return cli_seterr(err, CLI_USAGE, "the output file name (%s) is empty", names[i]);
        for (int j = 0; j < i; j++)
            if (vals[i] && vals[j] && strcmp(vals[i], vals[j]) == 0)
                return cli_seterr(err, CLI_USAGE, "%s and %s name the same file '%s'", names[j],
                                  names[i], cli_quote(vals[i], q, sizeof q));
    }
    out->grad_input = vals[0];
    out->grad_weight = vals[1];
    out->grad_bias = vals[2];
    return CLI_OK;
}

/* ---- running ---------------------------------------------------------------------------- */

enum { T_IN, T_W, T_GO, T_B, NT };

/* Read the operands (those named); if any is float64, all become float64. */
static int sconv_load(gc_context *ctx, const cli_sconv_opts *o, gc_tensor t[NT], int have[NT])
{
    const char *paths[NT] = {o->input, o->weight, o->backward ? o->grad_output : NULL, o->bias};
    const char *what[NT] = {"input", "weight", "grad_output", "bias"};
    int any64 = 0;
    for (int i = 0; i < NT; i++) {
        have[i] = paths[i] != NULL;
        if (!have[i])
            continue;
        int rc = cli_read_npy(ctx, paths[i], what[i], &t[i]);
        if (rc != CLI_OK)
            return rc;
        any64 |= t[i].dtype == GC_DTYPE_F64;
    }
    for (int i = 0; any64 && i < NT; i++) {
        if (!have[i] || t[i].dtype == GC_DTYPE_F64)
            continue;
        gc_tensor wide;
        int rc = cli_to_f64(ctx, &t[i], &wide);
        if (rc != CLI_OK)
            return rc;
        gc_tensor_free(&t[i]);
        t[i] = wide;
    }
    return CLI_OK;
}

/* Write t to wpath (the staging file of the output `path`, cli_file_output). */
static int sconv_write(gc_context *ctx, const char *path, const char *wpath, const gc_tensor *t)
{
    gc_status st = gc_npy_write(ctx, wpath, t);
    if (st == GC_OK)
        return CLI_OK;
    char q[64], prefix[128];
    snprintf(prefix, sizeof prefix, "cannot write '%s'", cli_quote(path, q, sizeof q));
    return cli_lib_error(ctx, st, prefix);
}

static int sconv_forward(gc_context *ctx, const cli_sconv_opts *o, gc_tensor t[NT], int have[NT],
                         const char *name, const char *const wpaths[4])
{
    gc_tensor out = {0};
    void *ws = NULL;
    size_t wsb = 0;
    int orank = 0, rc = CLI_OK;
    int64_t odims[GC_MAX_RANK] = {0};
    gc_status st = gc_conv2d_shape(ctx, &o->desc, &t[T_IN], &t[T_W], &orank, odims);
    if (st == GC_OK)
        st = gc_conv2d_workspace_size(ctx, &o->desc, &t[T_IN], &t[T_W], GC_CONV_PASS_FORWARD, &wsb);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &out, t[T_IN].dtype, orank, odims);
    if (st != GC_OK) {
        rc = cli_lib_error(ctx, st, name);
    } else if ((rc = cli_alloc_workspace(wsb, &ws)) == CLI_OK) {
        st = gc_conv2d_forward(ctx, &o->desc, &t[T_IN], &t[T_W], have[T_B] ? &t[T_B] : NULL, &out,
                               ws, wsb);
        if (st != GC_OK)
            rc = cli_lib_error(ctx, st, name);
        else
            rc = sconv_write(ctx, o->output, wpaths[0], &out);
    }
    free(ws);
    gc_tensor_free(&out);
    return rc;
}

static int sconv_backward(gc_context *ctx, const cli_sconv_opts *o, gc_tensor t[NT], int have[NT],
                          const char *name, const char *const wpaths[4])
{
    gc_tensor gi = {0}, gw = {0}, gb = {0};
    void *ws = NULL;
    size_t wsb_in = 0, wsb_w = 0;
    int orank = 0, rc = CLI_OK;
    int64_t odims[GC_MAX_RANK] = {0};
    const int want_w = o->grad_weight || o->grad_bias;
    gc_status st = gc_conv2d_shape(ctx, &o->desc, &t[T_IN], &t[T_W], &orank, odims);
    if (st == GC_OK && have[T_B] &&
        (t[T_B].rank != 1 || t[T_B].dims[0] != t[T_W].dims[0])) {
        char bs[96];
        rc = cli_error(CLI_FAIL, "%s: bias is %s, expected a vector of %lld values", name,
                       cli_dims_str(t[T_B].rank, t[T_B].dims, bs, sizeof bs),
                       (long long)t[T_W].dims[0]);
        goto done;
    }
    if (st == GC_OK)
        st = gc_conv2d_workspace_size(ctx, &o->desc, &t[T_IN], &t[T_W], GC_CONV_PASS_BACKWARD_INPUT,
                                      &wsb_in);
    if (st == GC_OK && want_w)
        st = gc_conv2d_workspace_size(ctx, &o->desc, &t[T_IN], &t[T_W], GC_CONV_PASS_BACKWARD_WEIGHT,
                                      &wsb_w);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &gi, t[T_IN].dtype, t[T_IN].rank, t[T_IN].dims);
    if (st == GC_OK && want_w)
        st = gc_tensor_create(ctx, &gw, t[T_W].dtype, t[T_W].rank, t[T_W].dims);
    if (st == GC_OK && o->grad_bias)
        st = gc_tensor_create(ctx, &gb, t[T_W].dtype, 1, t[T_W].dims);
    if (st != GC_OK) {
        rc = cli_lib_error(ctx, st, name);
        goto done;
    }
    /* One workspace, big enough for both passes, allocated once. */
    if ((rc = cli_alloc_workspace(wsb_in > wsb_w ? wsb_in : wsb_w, &ws)) != CLI_OK)
        goto done;
    st = gc_conv2d_backward_input(ctx, &o->desc, &t[T_GO], &t[T_W], &gi, ws, wsb_in);
    if (st == GC_OK && want_w)
        st = gc_conv2d_backward_weight(ctx, &o->desc, &t[T_IN], &t[T_GO], 1.0, &gw,
                                       o->grad_bias ? &gb : NULL, ws, wsb_w);
    if (st != GC_OK) {
        rc = cli_lib_error(ctx, st, name);
        goto done;
    }
    /* Everything is computed: write the outputs to their staging files (a failure removes
     * them all, cli_files_finish). */
    const char *paths[3] = {o->grad_input, o->grad_weight, o->grad_bias};
    const gc_tensor *vals[3] = {&gi, &gw, &gb};
    for (int i = 0; i < 3 && rc == CLI_OK; i++) {
        if (!paths[i])
            continue;
        rc = sconv_write(ctx, paths[i], wpaths[1 + i], vals[i]);
    }
done:
    free(ws);
    gc_tensor_free(&gb);
    gc_tensor_free(&gw);
    gc_tensor_free(&gi);
    return rc;
}

int cli_cmd_spatialconv(const cli_command *cmd, int argc, char **argv)
{
    cli_sconv_opts o;
    cli_err err;
    int rc = cli_sconv_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    const char *ins[4] = {o.input, o.weight, o.backward ? o.grad_output : NULL, o.bias};
    for (int i = 0; i < 4; i++)
        if (ins[i] && (rc = cli_file_input(ins[i])) != CLI_OK)
            return rc;
    const char *outs[4] = {o.output, o.grad_input, o.grad_weight, o.grad_bias};
    const char *wpaths[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++)
        if (outs[i] && (rc = cli_file_output(outs[i], &wpaths[i])) != CLI_OK)
            return rc;
    char name[64];
    snprintf(name, sizeof name, "%s %s", cmd->name, o.backward ? "backward" : "forward");

    gc_context *ctx = NULL;
    gc_tensor t[NT];
    int have[NT] = {0};
    memset(t, 0, sizeof t);
    if ((rc = cli_make_context(o.threads, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    rc = sconv_load(ctx, &o, t, have);
    if (rc == CLI_OK)
        rc = o.backward ? sconv_backward(ctx, &o, t, have, name, wpaths)
                        : sconv_forward(ctx, &o, t, have, name, wpaths);
    for (int i = 0; i < NT; i++)
        gc_tensor_free(&t[i]);
    gc_context_free(ctx);
    return rc;
}
