/* cmd_bench.c - `gramconv bench [OP] [--input DIMS --kernel DIMS] ...`: time an op on random
 * data and print one JSON object per case.
 *
 * Bench targets are rows of bench_targets[]; a new op (gram, conv...) adds a function with the
 * bench_fn signature, usually built on cli_bench_time / cli_bench_report. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const cli_opt bench_opts[] = {
    {"input", 0, 1},   {"kernel", 0, 1}, {"mode", 'm', 1},  {"dtype", 0, 1},
    {"threads", 't', 1}, {"isa", 0, 1},  {"repeat", 0, 1},  {"shape", 0, 1},
    {"pass", 0, 1},    {"weight", 0, 1}, {"stride", 0, 1},  {"pad", 0, 1},
    {"dilation", 0, 1}, {"groups", 0, 1}, {"method", 0, 1}, {"algo", 0, 1},
};
enum {
    OPT_INPUT, OPT_KERNEL, OPT_MODE, OPT_DTYPE, OPT_THREADS, OPT_ISA, OPT_REPEAT, OPT_SHAPE,
    OPT_PASS, OPT_WEIGHT, OPT_STRIDE, OPT_PAD, OPT_DILATION, OPT_GROUPS, OPT_METHOD, OPT_ALGO, NOPTS
};

typedef int (*bench_fn)(gc_context *ctx, const cli_bench_opts *o);
static int bench_corr(gc_context *ctx, const cli_bench_opts *o);
static int bench_gram(gc_context *ctx, const cli_bench_opts *o);
static int bench_conv(gc_context *ctx, const cli_bench_opts *o);

/* Which options each kind of target takes (beyond --dtype, --threads, --isa, --repeat). */
enum { KIND_CORR, KIND_GRAM, KIND_CONV, KIND_PEAK };

static const struct {
    const char *name;
    bench_fn run;
    int kind;
} bench_targets[] = {
    {"xcorr2", bench_corr, KIND_CORR},
    {"conv2", bench_corr, KIND_CORR},
    {"xcorr3", bench_corr, KIND_CORR},
    {"conv3", bench_corr, KIND_CORR},
    {"gram", bench_gram, KIND_GRAM},
    {"conv", bench_conv, KIND_CONV},
    {"peak", cli_bench_peak, KIND_PEAK},
};
enum { NTARGETS = sizeof bench_targets / sizeof bench_targets[0] };

static int bench_target(const char *name)
{
    for (int i = 0; name && i < (int)NTARGETS; i++)
        if (strcmp(bench_targets[i].name, name) == 0)
            return i;
    return -1;
}

/* Options valid for a kind (1) or not (0). */
static int bench_opt_allowed(int kind, int opt)
{
    switch (opt) {
    case OPT_DTYPE: case OPT_THREADS: case OPT_ISA: case OPT_REPEAT:
        return 1;
    case OPT_KERNEL: case OPT_MODE: case OPT_METHOD:
        return kind == KIND_CORR;
    case OPT_INPUT:
        return kind == KIND_CORR || kind == KIND_CONV;
    case OPT_SHAPE:
        return kind == KIND_GRAM;
    case OPT_PASS:
        return kind == KIND_GRAM || kind == KIND_CONV;
    default: /* weight, stride, pad, dilation, groups, algo */
        return kind == KIND_CONV;
    }
}

/* bench conv's options: --input and --weight (both or neither), --stride, --pad, --dilation,
 * --groups (with --input), --algo. */
static int bench_parse_conv(const cli_args *a, cli_bench_opts *out, cli_err *err)
{
    char q[64];
    int rc;
    if (!a->value[OPT_INPUT] != !a->value[OPT_WEIGHT])
        return cli_seterr(err, CLI_USAGE, "--input and --weight go together (give both, or "
                                          "neither for the default suite)");
    if (a->value[OPT_INPUT]) {
        if ((rc = cli_parse_dims(a->value[OPT_INPUT], "--input", out->in_dims, GC_MAX_RANK,
                                 &out->in_rank, err)) != CLI_OK)
            return rc;
        if ((rc = cli_parse_dims(a->value[OPT_WEIGHT], "--weight", out->k_dims, GC_MAX_RANK,
                                 &out->k_rank, err)) != CLI_OK)
            return rc;
        if (out->in_rank != 4 && out->in_rank != 3)
            return cli_seterr(err, CLI_USAGE, "--input must be N,C,H,W (or C,H,W), not '%s'",
                              cli_quote(a->value[OPT_INPUT], q, sizeof q));
        if (out->k_rank != 4)
            return cli_seterr(err, CLI_USAGE, "--weight must be O,C/G,KH,KW, not '%s'",
                              cli_quote(a->value[OPT_WEIGHT], q, sizeof q));
    }
    if (a->value[OPT_STRIDE] &&
        (rc = cli_parse_pair(a->value[OPT_STRIDE], "--stride", 1, out->conv.stride, err)) != CLI_OK)
        return rc;
    if (a->value[OPT_PAD] && (rc = cli_parse_conv_pad(a->value[OPT_PAD], &out->conv, err)) != CLI_OK)
        return rc;
    if (a->value[OPT_DILATION] &&
        (rc = cli_parse_pair(a->value[OPT_DILATION], "--dilation", 1, out->conv.dilation, err)) != CLI_OK)
        return rc;
    if (a->value[OPT_GROUPS] &&
        (rc = cli_parse_int64(a->value[OPT_GROUPS], 1, INT32_MAX, "--groups", &out->conv.groups, err)) != CLI_OK)
        return rc;
    if (a->value[OPT_ALGO]) { /* gc_conv_algo, by name */
        static const char *const algos[] = {"auto", "direct", "im2col", "reference", "winograd", "gemm"};
        int found = -1;
        for (int i = 0; i < (int)(sizeof algos / sizeof algos[0]); i++)
            if (strcmp(a->value[OPT_ALGO], algos[i]) == 0)
                found = i;
        if (found < 0)
            return cli_seterr(err, CLI_USAGE, "--algo must be auto, direct, im2col, gemm, winograd or "
                                              "reference (got '%s')", cli_quote(a->value[OPT_ALGO], q, sizeof q));
        out->conv.algo = (gc_conv_algo)found;
    }
    if (!a->value[OPT_INPUT] && (a->value[OPT_STRIDE] || a->value[OPT_PAD] ||
                                a->value[OPT_DILATION] || a->value[OPT_GROUPS]))
        return cli_seterr(err, CLI_USAGE, "--stride, --pad, --dilation and --groups need "
                                          "--input and --weight (the default suite has its own)");
    return CLI_OK;
}

int cli_bench_parse(int argc, char *const *argv, cli_bench_opts *out, cli_err *err)
{
    cli_args a;
    char q[64];
    memset(out, 0, sizeof *out);
    out->op = "xcorr2";
    out->mode = GC_MODE_VALID;
    out->dtype = GC_DTYPE_F32;
    out->isa = GC_ISA_AUTO;
    out->conv = gc_conv2d_desc_default();
    int rc = cli_parse_args(argc, argv, bench_opts, NOPTS, 1, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        out->help = 1;
        return CLI_OK;
    }
    if (a.npos == 1)
        out->op = a.pos[0];
    const int t = bench_target(out->op);
    if (t < 0) {
        char list[128] = "";
        for (int i = 0; i < (int)NTARGETS; i++) {
            strcat(list, i ? ", " : "");
            strcat(list, bench_targets[i].name);
        }
        return cli_seterr(err, CLI_USAGE, "cannot bench '%s' (one of: %s)",
                          cli_quote(out->op, q, sizeof q), list);
    }
    const int kind = bench_targets[t].kind;
    for (int i = 0; i < NOPTS; i++)
        if (a.value[i] && !bench_opt_allowed(kind, i))
            return cli_seterr(err, CLI_USAGE, "option --%s does not apply to bench %s",
                              bench_opts[i].name, bench_targets[t].name);
    if (a.value[OPT_MODE]) {
        if ((rc = cli_parse_mode(a.value[OPT_MODE], &out->mode, err)) != CLI_OK)
            return rc;
        out->mode_given = 1;
    }
    if (a.value[OPT_DTYPE] && kind != KIND_CORR &&
        (strcmp(a.value[OPT_DTYPE], "bf16") == 0 || strcmp(a.value[OPT_DTYPE], "BF16") == 0 ||
         strcmp(a.value[OPT_DTYPE], "bfloat16") == 0)) {
        out->bf16 = 1;
        out->dtype = GC_DTYPE_F32;
    } else if (a.value[OPT_DTYPE] &&
               (rc = cli_parse_dtype(a.value[OPT_DTYPE], &out->dtype, err)) != CLI_OK) {
        if (kind != KIND_CORR)
            return cli_seterr(err, CLI_USAGE, "--dtype must be f32, f64 or bf16, not '%s'",
                              cli_quote(a.value[OPT_DTYPE], q, sizeof q));
        return rc;
    }
    if (a.value[OPT_THREADS] &&
        (rc = cli_parse_threads(a.value[OPT_THREADS], &out->threads, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_METHOD] &&
        (rc = cli_parse_corr_method(a.value[OPT_METHOD], &out->method, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_ISA] && (rc = cli_parse_isa(a.value[OPT_ISA], &out->isa, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_REPEAT]) {
        int64_t r = 0;
        if ((rc = cli_parse_int64(a.value[OPT_REPEAT], 1, 1000000, "--repeat", &r, err)) != CLI_OK)
            return rc;
        out->repeat = (int)r;
    }
    if (a.value[OPT_PASS]) {
        static const char *const gram_passes[] = {"fwd", "bwd", "loss"};
        static const char *const conv_passes[] = {"fwd", "bwd_input", "bwd_weight"};
        const char *const *names = kind == KIND_GRAM ? gram_passes : conv_passes;
        for (int i = 0; i < 3; i++)
            if (strcmp(a.value[OPT_PASS], names[i]) == 0)
                out->pass = names[i];
        if (!out->pass)
            return cli_seterr(err, CLI_USAGE, "--pass must be %s, %s or %s, not '%s'", names[0],
                              names[1], names[2], cli_quote(a.value[OPT_PASS], q, sizeof q));
    }
    if (kind == KIND_GRAM) {
        if (a.value[OPT_SHAPE]) {
            if ((rc = cli_parse_dims(a.value[OPT_SHAPE], "--shape", out->in_dims, GC_MAX_RANK,
                                     &out->in_rank, err)) != CLI_OK)
                return rc;
            if (out->in_rank < 2 || out->in_rank > 4)
                return cli_seterr(err, CLI_USAGE, "--shape must be N,C,H,W or C,H,W or M,K, not "
                                  "'%s'", cli_quote(a.value[OPT_SHAPE], q, sizeof q));
        }
        return CLI_OK;
    }
    if (kind == KIND_CONV)
        return bench_parse_conv(&a, out, err);
    if (!a.value[OPT_INPUT] != !a.value[OPT_KERNEL])
        return cli_seterr(err, CLI_USAGE, "--input and --kernel go together (give both, or "
                                          "neither for the default suite)");
    if (a.value[OPT_INPUT]) {
        if ((rc = cli_parse_dims(a.value[OPT_INPUT], "--input", out->in_dims, GC_MAX_RANK,
                                 &out->in_rank, err)) != CLI_OK)
            return rc;
        if ((rc = cli_parse_dims(a.value[OPT_KERNEL], "--kernel", out->k_dims, GC_MAX_RANK,
                                 &out->k_rank, err)) != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

/* ---- timing and reporting -------------------------------------------------------------- */

/* ---- correlation ----------------------------------------------------------------------- */

typedef struct corr_case {
    int in_rank, k_rank;
    int64_t in_dims[GC_MAX_RANK], k_dims[GC_MAX_RANK];
    gc_mode mode;
} corr_case;

typedef struct corr_body_arg {
    gc_context *ctx;
    const gc_corr_desc *desc;
    const gc_tensor *in, *k;
    gc_tensor *out;
} corr_body_arg;

static gc_status corr_body(void *p)
{
    corr_body_arg *a = p;
    return gc_corr(a->ctx, a->desc, a->in, a->k, a->out);
}

static int bench_corr_case(gc_context *ctx, const char *op, const corr_case *c, gc_dtype dtype,
                           int repeat, gc_corr_method method)
{
    gc_corr_desc desc;
    if (cli_corr_desc_for(op, &desc) != CLI_OK)
        return cli_error(CLI_FAIL, "bench: unknown op '%s'", op);
    desc.mode = c->mode;
    desc.method = method;
    gc_tensor in = {0}, k = {0}, out = {0};
    int orank = 0;
    int64_t odims[GC_MAX_RANK] = {0};
    gc_status st = gc_tensor_create(ctx, &in, dtype, c->in_rank, c->in_dims);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &k, dtype, c->k_rank, c->k_dims);
    if (st == GC_OK)
        st = gc_corr_shape(ctx, &desc, &in, &k, &orank, odims);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &out, dtype, orank, odims);
    int rc = CLI_OK;
    const char *prefix = "bench";
    if (st != GC_OK) {
        rc = cli_lib_error(ctx, st, prefix);
    } else {
        uint64_t seed = 12345;
        cli_bench_fill(&in, &seed);
        cli_bench_fill(&k, &seed);
        corr_body_arg arg = {ctx, &desc, &in, &k, &out};
        double ms = 0.0;
        int reps = 0;
        gc_corr_method ran = GC_CORR_METHOD_DIRECT; /* what gc_corr runs on this data */
        st = gc_corr_select_method(ctx, &desc, &in, &k, &ran);
        if (st == GC_OK)
            st = cli_bench_time(corr_body, &arg, repeat, &ms, &reps);
        if (st != GC_OK) {
            rc = cli_lib_error(ctx, st, prefix);
        } else {
            /* flops: 2 * output elements * kernel spatial size * terms summed per output */
            int sd = desc.spatial_dims;
            double outn = 1.0, ksp = 1.0;
            for (int i = 0; i < orank; i++)
                outn *= (double)odims[i];
            for (int i = c->k_rank - sd; i < c->k_rank; i++)
                ksp *= (double)c->k_dims[i];
            double terms = c->k_rank == sd + 2 ? (double)c->in_dims[0] : 1.0;
            char shape[256], is[96], ks[96];
            snprintf(shape, sizeof shape, "input=%s,kernel=%s",
                     cli_dims_str(c->in_rank, c->in_dims, is, sizeof is),
                     cli_dims_str(c->k_rank, c->k_dims, ks, sizeof ks));
            char extra[48];
            snprintf(extra, sizeof extra, "\"method\":\"%s\"", cli_corr_method_name(ran));
            cli_bench_report_ex(ctx, op, shape, cli_mode_letter(c->mode), extra,
                                cli_dtype_short(dtype), ms, 2.0 * outn * ksp * terms, reps);
        }
    }
    gc_tensor_free(&out);
    gc_tensor_free(&k);
    gc_tensor_free(&in);
    return rc;
}

static int bench_corr(gc_context *ctx, const cli_bench_opts *o)
{
    if (o->in_rank > 0) {
        corr_case c;
        memset(&c, 0, sizeof c);
        c.in_rank = o->in_rank;
        c.k_rank = o->k_rank;
        memcpy(c.in_dims, o->in_dims, sizeof c.in_dims);
        memcpy(c.k_dims, o->k_dims, sizeof c.k_dims);
        c.mode = o->mode;
        return bench_corr_case(ctx, o->op, &c, o->dtype, o->repeat, o->method);
    }
    /* The default suite: single plane with kernels 3, 5, 7 in V and F (or the mode given),
     * then the multi-plane 3D x 4D (or 4D x 5D) case in V (or the mode given). */
    const int three_d = strcmp(o->op, "xcorr3") == 0 || strcmp(o->op, "conv3") == 0;
    static const int ks2[] = {3, 5, 7};
    static const int ks3[] = {3, 5};
    const int *ks = three_d ? ks3 : ks2;
    const int nk = three_d ? 2 : 3;
    const gc_mode both[] = {GC_MODE_VALID, GC_MODE_FULL};
    const int nmodes = o->mode_given ? 1 : 2;
    for (int m = 0; m < nmodes; m++) {
        for (int i = 0; i < nk; i++) {
            corr_case c;
            memset(&c, 0, sizeof c);
            c.mode = o->mode_given ? o->mode : both[m];
            c.in_rank = c.k_rank = three_d ? 3 : 2;
            for (int d = 0; d < c.in_rank; d++) {
                c.in_dims[d] = three_d ? 64 : 1024;
                c.k_dims[d] = ks[i];
            }
            int rc = bench_corr_case(ctx, o->op, &c, o->dtype, o->repeat, o->method);
            if (rc != CLI_OK)
                return rc;
        }
    }
    corr_case c;
    memset(&c, 0, sizeof c);
    c.mode = o->mode_given ? o->mode : GC_MODE_VALID;
    if (three_d) {
        const int64_t id[] = {16, 32, 32, 32}, kd[] = {16, 16, 3, 3, 3};
        c.in_rank = 4;
        c.k_rank = 5;
        memcpy(c.in_dims, id, sizeof id);
        memcpy(c.k_dims, kd, sizeof kd);
    } else {
        const int64_t id[] = {64, 56, 56}, kd[] = {64, 64, 3, 3};
        c.in_rank = 3;
        c.k_rank = 4;
        memcpy(c.in_dims, id, sizeof id);
        memcpy(c.k_dims, kd, sizeof kd);
    }
    return bench_corr_case(ctx, o->op, &c, o->dtype, o->repeat, o->method);
}

/* ---- Gram matrices --------------------------------------------------------------------- */

typedef struct gram_body_arg {
    gc_context *ctx;
    const gc_gram_desc *desc;
    int pass; /* 0 fwd, 1 bwd, 2 loss */
    const gc_tensor *in, *other;  /* other: dG (bwd) or the target (loss) */
    gc_tensor *out, *ws;          /* out: G (fwd) or the gradient */
    double loss;
} gram_body_arg;

static gc_status gram_body(void *p)
{
    gram_body_arg *a = p;
    if (a->pass == 0)
        return gc_gram_forward(a->ctx, a->desc, a->in, a->out);
    if (a->pass == 1)
        return gc_gram_backward(a->ctx, a->desc, a->in, a->other, a->out);
    return gc_gram_style_loss(a->ctx, a->desc, a->in, a->other, 1.0, &a->loss, a->out, a->ws);
}

static int bench_gram_case(gc_context *ctx, const cli_bench_opts *o, int rank, const int64_t *dims)
{
    const char *pass = o->pass ? o->pass : "fwd";
    const int ipass = strcmp(pass, "fwd") == 0 ? 0 : strcmp(pass, "bwd") == 0 ? 1 : 2;
    gc_gram_desc desc = gc_gram_desc_default();
    if (o->bf16)
        desc.precision = GC_PRECISION_BF16;
    gc_tensor in = {0}, other = {0}, out = {0}, ws = {0};
    int grank = 0, rc = CLI_OK;
    int64_t gdims[GC_MAX_RANK] = {0};
    gc_status st = gc_tensor_create(ctx, &in, o->dtype, rank, dims);
    if (st == GC_OK)
        st = gc_gram_shape(ctx, &desc, &in, &grank, gdims);
    if (st == GC_OK && ipass == 0)
        st = gc_tensor_create(ctx, &out, o->dtype, grank, gdims);
    if (st == GC_OK && ipass > 0)
        st = gc_tensor_create(ctx, &other, o->dtype, grank, gdims);
    if (st == GC_OK && ipass > 0)
        st = gc_tensor_create(ctx, &out, o->dtype, rank, dims);
    if (st == GC_OK && ipass == 2)
        st = gc_tensor_create(ctx, &ws, o->dtype, grank, gdims);
    if (st != GC_OK) {
        rc = cli_lib_error(ctx, st, "bench gram");
    } else {
        uint64_t seed = 12345;
        cli_bench_fill(&in, &seed);
        if (ipass > 0)
            cli_bench_fill(&other, &seed);
        gram_body_arg arg = {ctx, &desc, ipass, &in, &other, &out, &ws, 0.0};
        double ms = 0.0;
        int reps = 0;
        st = cli_bench_time(gram_body, &arg, o->repeat, &ms, &reps);
        if (st != GC_OK) {
            rc = cli_lib_error(ctx, st, "bench gram");
        } else {
            /* items N, rows C, columns HW */
            const double n = rank == 4 ? (double)dims[0] : 1.0;
            const double c = (double)dims[rank == 4 ? 1 : 0];
            double hw = 1.0;
            for (int i = rank == 4 ? 2 : 1; i < rank; i++)
                hw *= (double)dims[i];
            const double fwd = n * c * (c + 1.0) / 2.0 * hw * 2.0, bwd = 2.0 * c * c * hw * n;
            const double flops = ipass == 0 ? fwd : ipass == 1 ? bwd : fwd + bwd;
            char shape[128], ds[96], extra[64];
            snprintf(shape, sizeof shape, "input=%s", cli_dims_str(rank, dims, ds, sizeof ds));
            snprintf(extra, sizeof extra, "\"pass\":\"%s\"", pass);
            cli_bench_report_ex(ctx, "gram", shape, "hw", extra,
                                o->bf16 ? "bf16" : cli_dtype_short(o->dtype), ms, flops, reps);
        }
    }
    gc_tensor_free(&ws);
    gc_tensor_free(&out);
    gc_tensor_free(&other);
    gc_tensor_free(&in);
    return rc;
}

static int bench_gram(gc_context *ctx, const cli_bench_opts *o)
{
    if (o->in_rank > 0)
        return bench_gram_case(ctx, o, o->in_rank, o->in_dims);
    /* VGG-19 feature maps of a 512x512 image (relu1_1 .. relu5_1), N=1; then a batch of 4. */
    static const int64_t suite[][4] = {{1, 64, 512, 512}, {1, 128, 256, 256}, {1, 256, 128, 128},
                                       {1, 512, 64, 64},  {1, 512, 32, 32},   {4, 256, 64, 64}};
    for (size_t i = 0; i < sizeof suite / sizeof suite[0]; i++) {
        int rc = bench_gram_case(ctx, o, 4, suite[i]);
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

/* ---- SpatialConvolution ---------------------------------------------------------------- */

typedef struct conv_body_arg {
    gc_context *ctx;
    const gc_conv2d_desc *desc;
    int pass; /* gc_conv_pass */
    const gc_tensor *in, *w, *b, *gout;
    gc_tensor *out; /* output, grad_input or grad_weight */
    void *ws;
    size_t wsb;
} conv_body_arg;

static gc_status conv_body(void *p)
{
    conv_body_arg *a = p;
    if (a->pass == GC_CONV_PASS_FORWARD)
        return gc_conv2d_forward(a->ctx, a->desc, a->in, a->w, a->b, a->out, a->ws, a->wsb);
    if (a->pass == GC_CONV_PASS_BACKWARD_INPUT)
        return gc_conv2d_backward_input(a->ctx, a->desc, a->gout, a->w, a->out, a->ws, a->wsb);
    return gc_conv2d_backward_weight(a->ctx, a->desc, a->in, a->gout, 1.0, a->out, NULL, a->ws,
                                     a->wsb);
}

static int bench_conv_case(gc_context *ctx, const cli_bench_opts *o, const gc_conv2d_desc *desc,
                           int in_rank, const int64_t *in_dims, const int64_t *w_dims)
{
    const char *pass = o->pass ? o->pass : "fwd";
    const gc_conv_pass ipass = strcmp(pass, "fwd") == 0         ? GC_CONV_PASS_FORWARD
                               : strcmp(pass, "bwd_input") == 0 ? GC_CONV_PASS_BACKWARD_INPUT
                                                                : GC_CONV_PASS_BACKWARD_WEIGHT;
    gc_tensor in = {0}, w = {0}, b = {0}, gout = {0}, out = {0};
    void *ws = NULL;
    size_t wsb = 0;
    int orank = 0, rc = CLI_OK;
    int64_t odims[GC_MAX_RANK] = {0};
    gc_status st = gc_tensor_create(ctx, &in, o->dtype, in_rank, in_dims);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &w, o->dtype, 4, w_dims);
    if (st == GC_OK)
        st = gc_conv2d_shape(ctx, desc, &in, &w, &orank, odims);
    if (st == GC_OK)
        st = gc_conv2d_workspace_size(ctx, desc, &in, &w, ipass, &wsb);
    if (st == GC_OK && ipass == GC_CONV_PASS_FORWARD)
        st = gc_tensor_create(ctx, &b, o->dtype, 1, w_dims);
    if (st == GC_OK && ipass == GC_CONV_PASS_FORWARD)
        st = gc_tensor_create(ctx, &out, o->dtype, orank, odims);
    if (st == GC_OK && ipass != GC_CONV_PASS_FORWARD)
        st = gc_tensor_create(ctx, &gout, o->dtype, orank, odims);
    if (st == GC_OK && ipass == GC_CONV_PASS_BACKWARD_INPUT)
        st = gc_tensor_create(ctx, &out, o->dtype, in_rank, in_dims);
    if (st == GC_OK && ipass == GC_CONV_PASS_BACKWARD_WEIGHT)
        st = gc_tensor_create(ctx, &out, o->dtype, 4, w_dims);
    if (st != GC_OK) {
        rc = cli_lib_error(ctx, st, "bench conv");
    } else if ((rc = cli_alloc_workspace(wsb, &ws)) == CLI_OK) {
        uint64_t seed = 12345;
        cli_bench_fill(&in, &seed);
        cli_bench_fill(&w, &seed);
        if (ipass == GC_CONV_PASS_FORWARD)
            cli_bench_fill(&b, &seed);
        else
            cli_bench_fill(&gout, &seed);
        conv_body_arg arg = {ctx, desc, (int)ipass, &in, &w, &b, &gout, &out, ws, wsb};
        double ms = 0.0;
        int reps = 0;
        st = cli_bench_time(conv_body, &arg, o->repeat, &ms, &reps);
        if (st != GC_OK) {
            rc = cli_lib_error(ctx, st, "bench conv");
        } else {
            /* 2 * N * O * OH * OW * C/G * KH * KW, the same for every pass */
            const double n = in_rank == 4 ? (double)in_dims[0] : 1.0;
            const double flops = 2.0 * n * (double)w_dims[0] * (double)odims[orank - 2] *
                                 (double)odims[orank - 1] * (double)w_dims[1] *
                                 (double)w_dims[2] * (double)w_dims[3];
            char shape[320], is[96], wsz[96], pad[48], extra[64];
            if (desc->same_padding)
                snprintf(pad, sizeof pad, "same");
            else
                snprintf(pad, sizeof pad, "%lldx%lld", (long long)desc->pad[0],
                         (long long)desc->pad[1]);
            snprintf(shape, sizeof shape,
                     "input=%s,weight=%s,stride=%lldx%lld,pad=%s,dilation=%lldx%lld,groups=%lld",
                     cli_dims_str(in_rank, in_dims, is, sizeof is),
                     cli_dims_str(4, w_dims, wsz, sizeof wsz), (long long)desc->stride[0],
                     (long long)desc->stride[1], pad, (long long)desc->dilation[0],
                     (long long)desc->dilation[1], (long long)desc->groups);
            static const char *const algos[] = {"auto", "direct", "im2col", "reference", "winograd", "gemm"};
            snprintf(extra, sizeof extra, "\"pass\":\"%s\",\"algo\":\"%s\"", pass,
                     desc->algo >= 0 && desc->algo <= GC_CONV_ALGO_GEMM ? algos[desc->algo] : "?");
            cli_bench_report_ex(ctx, "conv", shape, cli_padding_mode_name(desc->padding_mode),
                                extra, o->bf16 ? "bf16" : cli_dtype_short(o->dtype), ms, flops, reps);
        }
    }
    free(ws);
    gc_tensor_free(&out);
    gc_tensor_free(&gout);
    gc_tensor_free(&b);
    gc_tensor_free(&w);
    gc_tensor_free(&in);
    return rc;
}

static int bench_conv(gc_context *ctx, const cli_bench_opts *o)
{
    if (o->bf16 && o->pass && strcmp(o->pass, "fwd") != 0)
        return cli_error(CLI_USAGE, "bench conv: --dtype bf16 applies to --pass fwd (the library's "
                                    "bf16 convolution is the forward pass; gradients are float32)");
    if (o->in_rank > 0) {
        gc_conv2d_desc desc = o->conv;
        desc.precision = o->bf16 ? GC_PRECISION_BF16 : GC_PRECISION_DEFAULT;
        return bench_conv_case(ctx, o, &desc, o->in_rank, o->in_dims, o->k_dims);
    }
    /* VGG-19's 3x3 layers at 224x224 (N=1, pad 1), then a 1x1 and a 5x5 layer. */
    static const struct {
        int64_t c, o, hw, k, pad;
    } suite[] = {{3, 64, 224, 3, 1},   {64, 64, 224, 3, 1}, {128, 128, 112, 3, 1},
                 {256, 256, 56, 3, 1}, {512, 512, 28, 3, 1}, {512, 512, 14, 3, 1},
                 {256, 256, 56, 1, 0}, {64, 64, 56, 5, 2}};
    for (size_t i = 0; i < sizeof suite / sizeof suite[0]; i++) {
        gc_conv2d_desc desc = gc_conv2d_desc_default();
        desc.pad[0] = desc.pad[1] = suite[i].pad;
        desc.algo = o->conv.algo;
        desc.precision = o->bf16 ? GC_PRECISION_BF16 : GC_PRECISION_DEFAULT;
        if (desc.algo == GC_CONV_ALGO_WINOGRAD && suite[i].k != 3 && suite[i].k != 5)
            continue; /* Winograd is for 3x3 and 5x5 only */
        const int64_t id[4] = {1, suite[i].c, suite[i].hw, suite[i].hw};
        const int64_t wd[4] = {suite[i].o, suite[i].c, suite[i].k, suite[i].k};
        int rc = bench_conv_case(ctx, o, &desc, 4, id, wd);
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

int cli_cmd_bench(const cli_command *cmd, int argc, char **argv)
{
    cli_bench_opts o;
    cli_err err;
    if (argc > 1 && argv[1] && strcmp(argv[1], "synth") == 0) /* its own options: cmd_texture.c */
        return cli_bench_synth(cmd, argc - 1, argv + 1);
    int rc = cli_bench_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(o.threads, o.isa, &ctx)) != CLI_OK)
        return rc;
    rc = bench_targets[bench_target(o.op)].run(ctx, &o);
    gc_context_free(ctx);
    if (rc != CLI_OK)
        return rc;
    return cli_flush_stdout(CLI_OK);
}
