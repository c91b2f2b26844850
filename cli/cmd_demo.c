/* cmd_demo.c - `gramconv demo`: the seed's example, computed by the library and printed next
 * to the expected values.
 *
 * Each line of the demo is one row of demo_cases[]: a label, a function that computes a
 * result tensor, and the expected values. Adding a line (nn.SpatialConvolution's 88, a Gram
 * network...) means writing one compute function and adding one row. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The seed: input [[1,5],[3,4]], kernel [[5,6],[7,8]], float64. */
static const double seed_input[4] = {1, 5, 3, 4};
static const double seed_kernel[4] = {5, 6, 7, 8};
static const int64_t seed_dims[2] = {2, 2};

typedef gc_status (*demo_fn)(gc_context *ctx, gc_tensor *out);

typedef struct demo_case {
    const char *label;     /* printed before " = " */
    demo_fn compute;       /* makes *out (owned) or fails */
    int rank;              /* expected shape */
    int64_t dims[4];
    const double *expected; /* C order */
} demo_case;

static gc_status demo_corr(gc_context *ctx, gc_corr_kind kind, gc_mode mode, gc_tensor *out)
{
    gc_tensor in, k;
    gc_corr_desc desc = {.kind = kind, .spatial_dims = 2, .mode = mode};
    int rank = 0;
    int64_t dims[GC_MAX_RANK];
    gc_status st = gc_tensor_wrap(&in, GC_DTYPE_F64, 2, seed_dims, NULL, (void *)seed_input);
    if (st == GC_OK)
        st = gc_tensor_wrap(&k, GC_DTYPE_F64, 2, seed_dims, NULL, (void *)seed_kernel);
    if (st == GC_OK)
        st = gc_corr_shape(ctx, &desc, &in, &k, &rank, dims);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, out, GC_DTYPE_F64, rank, dims);
    if (st == GC_OK)
        st = gc_corr(ctx, &desc, &in, &k, out);
    return st;
}

static gc_status demo_xcorr2_v(gc_context *c, gc_tensor *o) { return demo_corr(c, GC_CORR_KIND_XCORR, GC_MODE_VALID, o); }
static gc_status demo_conv2_v(gc_context *c, gc_tensor *o) { return demo_corr(c, GC_CORR_KIND_CONV, GC_MODE_VALID, o); }
static gc_status demo_xcorr2_f(gc_context *c, gc_tensor *o) { return demo_corr(c, GC_CORR_KIND_XCORR, GC_MODE_FULL, o); }
static gc_status demo_conv2_f(gc_context *c, gc_tensor *o) { return demo_corr(c, GC_CORR_KIND_CONV, GC_MODE_FULL, o); }

/* nn.SpatialConvolution(1, 1, 2, 2):noBias(): the input as 1 x 2 x 2 (C x H x W), the kernel
 * as the 1 x 1 x 2 x 2 weight; one output pixel, 88 as xcorr2 V. */
static gc_status demo_spatialconv(gc_context *ctx, gc_tensor *out)
{
    static const int64_t in_dims[3] = {1, 2, 2}, w_dims[4] = {1, 1, 2, 2};
    gc_tensor in, w;
    gc_conv2d_desc desc = gc_conv2d_desc_default();
    int rank = 0;
    int64_t dims[GC_MAX_RANK];
    size_t wsb = 0;
    void *ws = NULL;
    gc_status st = gc_tensor_wrap(&in, GC_DTYPE_F64, 3, in_dims, NULL, (void *)seed_input);
    if (st == GC_OK)
        st = gc_tensor_wrap(&w, GC_DTYPE_F64, 4, w_dims, NULL, (void *)seed_kernel);
    if (st == GC_OK)
        st = gc_conv2d_shape(ctx, &desc, &in, &w, &rank, dims);
    if (st == GC_OK)
        st = gc_conv2d_workspace_size(ctx, &desc, &in, &w, GC_CONV_PASS_FORWARD, &wsb);
    if (st == GC_OK && wsb > 0 && posix_memalign(&ws, 64, (wsb + 63) & ~(size_t)63) != 0) {
        ws = NULL;
        st = GC_ERR_NOMEM;
    }
    if (st == GC_OK)
        st = gc_tensor_create(ctx, out, GC_DTYPE_F64, rank, dims);
    if (st == GC_OK)
        st = gc_conv2d_forward(ctx, &desc, &in, &w, NULL, out, ws, wsb);
    free(ws);
    return st;
}

/* The Gram matrix of the input's rows [1, 5] and [3, 4] (M x K = 2 x 2), norm none:
 * G = F F^T = [[26, 23], [23, 25]]. */
static gc_status demo_gram(gc_context *ctx, gc_tensor *out)
{
    gc_tensor in;
    gc_gram_desc desc = gc_gram_desc_default();
    desc.norm = GC_GRAM_NORM_NONE;
    int rank = 0;
    int64_t dims[GC_MAX_RANK];
    gc_status st = gc_tensor_wrap(&in, GC_DTYPE_F64, 2, seed_dims, NULL, (void *)seed_input);
    if (st == GC_OK)
        st = gc_gram_shape(ctx, &desc, &in, &rank, dims);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, out, GC_DTYPE_F64, rank, dims);
    if (st == GC_OK)
        st = gc_gram_forward(ctx, &desc, &in, out);
    return st;
}

/* dL/dF for dG = [[1, 0], [0, 0]]: (dG + dG^T) F = [[2, 10], [0, 0]], as 2 x 1 x 2 (the
 * input's C x H x W shape in the nn line below). */
static const double seed_dgram[4] = {1, 0, 0, 0};
static const int64_t seed_chw[3] = {2, 1, 2};

static gc_status demo_gram_backward(gc_context *ctx, gc_tensor *out)
{
    gc_tensor in, dg;
    gc_gram_desc desc = gc_gram_desc_default();
    desc.norm = GC_GRAM_NORM_NONE;
    gc_status st = gc_tensor_wrap(&in, GC_DTYPE_F64, 3, seed_chw, NULL, (void *)seed_input);
    if (st == GC_OK)
        st = gc_tensor_wrap(&dg, GC_DTYPE_F64, 2, seed_dims, NULL, (void *)seed_dgram);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, out, GC_DTYPE_F64, 3, seed_chw);
    if (st == GC_OK)
        st = gc_gram_backward(ctx, &desc, &in, &dg, out);
    return st;
}

/* The seed's GramMatrix network, module for module: Sequential(View(-1):setNumInputDims(2),
 * ConcatTable(Identity, Identity), MM(false, true)) on the input as C x H x W = 2 x 1 x 2.
 * backward = 0: its output G; 1: its grad_input for dG = seed_dgram. */
static gc_status demo_nn(gc_context *ctx, int backward, gc_tensor *out)
{
    gc_module *net = NULL, *view = NULL, *cat = NULL, *id1 = NULL, *id2 = NULL, *mm = NULL;
    const int64_t minus1 = -1;
    gc_tensor in, dg;
    gc_status st = gc_tensor_wrap(&in, GC_DTYPE_F64, 3, seed_chw, NULL, (void *)seed_input);
    if (st == GC_OK)
        st = gc_tensor_wrap(&dg, GC_DTYPE_F64, 2, seed_dims, NULL, (void *)seed_dgram);
    if (st == GC_OK)
        st = gc_sequential_create(ctx, &net);
    if (st == GC_OK) {
        gc_view_create(ctx, 1, &minus1, &view);
        gc_view_set_num_input_dims(ctx, view, 2);
        gc_concat_table_create(ctx, &cat);
        gc_identity_create(ctx, &id1);
        gc_module_add(ctx, cat, id1);
        gc_identity_create(ctx, &id2);
        gc_module_add(ctx, cat, id2);
        gc_mm_create(ctx, 0, 1, &mm);
        gc_module_add(ctx, net, view);
        gc_module_add(ctx, net, cat);
        gc_module_add(ctx, net, mm); /* a failure above leaves net broken: forward says */
    }
    gc_value x = gc_value_tensor(&in), dy = gc_value_tensor(&dg);
    const gc_value *y = NULL, *dx = NULL;
    if (st == GC_OK)
        st = gc_module_forward(ctx, net, &x, &y);
    if (st == GC_OK && backward)
        st = gc_module_backward(ctx, net, &x, &dy, 1.0, &dx);
    if (st == GC_OK) /* a copy: the network owns its output and frees it below */
        st = gc_tensor_contiguous(ctx, backward ? &dx->t[0] : &y->t[0], out);
    gc_module_free(net);
    return st;
}

static gc_status demo_nn_forward(gc_context *c, gc_tensor *o) { return demo_nn(c, 0, o); }
static gc_status demo_nn_backward(gc_context *c, gc_tensor *o) { return demo_nn(c, 1, o); }

static const double want_xcorr2_v[] = {88};
static const double want_conv2_v[] = {81};
static const double want_xcorr2_f[] = {8, 47, 35, 30, 88, 53, 18, 39, 20};
static const double want_conv2_f[] = {5, 31, 30, 22, 81, 64, 21, 52, 32};
static const double want_gram[] = {26, 23, 23, 25};
static const double want_gram_backward[] = {2, 10, 0, 0};

static const demo_case demo_cases[] = {
    {"xcorr2 V", demo_xcorr2_v, 2, {1, 1}, want_xcorr2_v},
    {"conv2 V", demo_conv2_v, 2, {1, 1}, want_conv2_v},
    {"xcorr2 F", demo_xcorr2_f, 2, {3, 3}, want_xcorr2_f},
    {"conv2 F", demo_conv2_f, 2, {3, 3}, want_conv2_f},
    {"SpatialConvolution(1,1,2,2):noBias()", demo_spatialconv, 3, {1, 1, 1}, want_xcorr2_v},
    {"gram --norm none", demo_gram, 2, {2, 2}, want_gram},
    {"nn Gram network", demo_nn_forward, 2, {2, 2}, want_gram},
    {"gram-backward, dG = e00", demo_gram_backward, 3, {2, 1, 2}, want_gram_backward},
    {"nn Gram network backward", demo_nn_backward, 3, {2, 1, 2}, want_gram_backward},
};

/* Append `s` to buf[*used..n). */
static void demo_put(char *buf, size_t n, size_t *used, const char *s)
{
    size_t len = strlen(s);
    if (*used + len >= n)
        len = *used + 1 < n ? n - *used - 1 : 0;
    memcpy(buf + *used, s, len);
    *used += len;
    buf[*used] = '\0';
}

/* Nested-list text of `count` values with the given dims: a single value prints bare ("88"),
 * anything else as [[8, 47, 35], [30, 88, 53], ...]. */
static void demo_format(const double *v, int64_t count, int rank, const int64_t *dims, char *buf,
                        size_t n)
{
    size_t used = 0;
    char num[48];
    buf[0] = '\0';
    if (count == 1) {
        snprintf(num, sizeof num, "%.10g", v[0]);
        demo_put(buf, n, &used, num);
        return;
    }
    for (int64_t i = 0; i < count; i++) {
        /* opening brackets: one per dim whose index restarts here */
        int64_t stride = 1;
        int open = 0;
        for (int d = rank - 1; d >= 0; d--) {
            stride *= dims[d];
            if (i % stride == 0)
                open++;
        }
        if (i > 0)
            demo_put(buf, n, &used, ", ");
        for (int j = 0; j < open; j++)
            demo_put(buf, n, &used, "[");
        snprintf(num, sizeof num, "%.10g", v[i]);
        demo_put(buf, n, &used, num);
        stride = 1;
        for (int d = rank - 1; d >= 0; d--) {
            stride *= dims[d];
            if ((i + 1) % stride == 0)
                demo_put(buf, n, &used, "]");
        }
    }
}

static int64_t demo_count(int rank, const int64_t *dims)
{
    int64_t c = 1;
    for (int i = 0; i < rank; i++)
        c *= dims[i];
    return c;
}

typedef struct demo_line {
    char got[512], want[512];
    int ok;
} demo_line;

/* Runs one case into *line; returns 1 if it matched. */
static int demo_run_case(gc_context *ctx, const demo_case *dc, demo_line *line)
{
    gc_tensor out = {0};
    int64_t count = demo_count(dc->rank, dc->dims);
    demo_format(dc->expected, count, dc->rank, dc->dims, line->want, sizeof line->want);
    gc_status st = dc->compute(ctx, &out);
    int ok = 0;
    if (st != GC_OK) {
        const char *msg = gc_context_last_error(ctx);
        snprintf(line->got, sizeof line->got, "error: %s", (msg && *msg) ? msg : gc_status_str(st));
    } else {
        int same_shape = out.rank == dc->rank;
        for (int i = 0; same_shape && i < dc->rank; i++)
            same_shape = out.dims[i] == dc->dims[i];
        int64_t n = 0;
        (void)gc_tensor_numel(&out, &n);
        double vals[64];
        if (!same_shape || n > 64) {
            char ds[96];
            snprintf(line->got, sizeof line->got, "a %s array",
                     cli_dims_str(out.rank, out.dims, ds, sizeof ds));
        } else {
            gc_tensor view;
            st = gc_tensor_wrap(&view, GC_DTYPE_F64, out.rank, out.dims, NULL, vals);
            if (st == GC_OK)
                st = gc_tensor_copy(&out, &view);
            if (st != GC_OK) {
                snprintf(line->got, sizeof line->got, "error: %s", gc_status_str(st));
            } else {
                ok = 1;
                for (int64_t i = 0; i < n; i++)
                    if (!(vals[i] == dc->expected[i]))
                        ok = 0;
                demo_format(vals, n, out.rank, out.dims, line->got, sizeof line->got);
            }
        }
    }
    gc_tensor_free(&out);
    line->ok = ok;
    return ok;
}

int cli_cmd_demo(const cli_command *cmd, int argc, char **argv)
{
    cli_args a;
    cli_err err;
    int rc = cli_parse_args(argc, argv, NULL, 0, 0, &a, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (a.help)
        return cli_print_usage(cmd);
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(0, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;

    printf("gramconv %s demo: the seed's example (float64, isa %s, %d threads)\n", gc_version(),
           gc_isa_name(gc_context_isa(ctx)), gc_context_threads(ctx));
    printf("  input  = [[1, 5], [3, 4]]\n");
    printf("  kernel = [[5, 6], [7, 8]]\n");
    printf("  xcorr2 is cross-correlation, what CNNs call convolution (nn.SpatialConvolution);\n");
    printf("  conv2 turns the kernel 180 degrees first. V = valid, F = full.\n");
    printf("  SpatialConvolution: input as 1x2x2, kernel as the 1x1x2x2 weight (gc_conv2d_forward);\n");
    printf("  gram: the input's rows [1, 5] and [3, 4] as M x K = 2 x 2, G = F F^T.\n");
    printf("  nn Gram network: the seed's nn.Sequential(nn.View(-1):setNumInputDims(2),\n");
    printf("    nn.ConcatTable(nn.Identity, nn.Identity), nn.MM(false, true)) from gramconv's\n");
    printf("    modules, on the input as C x H x W = 2 x 1 x 2; backward with dG = [[1, 0], [0, 0]]\n");
    printf("    beside gc_gram_backward: (dG + dG^T) F.\n");
    const int n = (int)(sizeof demo_cases / sizeof demo_cases[0]);
    demo_line lines[sizeof demo_cases / sizeof demo_cases[0]];
    int good = 0, wl = 0, wg = 0, ww = 0;
    for (int i = 0; i < n; i++) {
        good += demo_run_case(ctx, &demo_cases[i], &lines[i]);
        int l = (int)strlen(demo_cases[i].label), g = (int)strlen(lines[i].got);
        wl = l > wl ? l : wl;
        wg = g > wg ? g : wg;
        int w = (int)strlen(lines[i].want);
        ww = w > ww ? w : ww;
    }
    for (int i = 0; i < n; i++)
        printf("  %-*s = %-*s   expected %-*s   %s\n", wl, demo_cases[i].label, wg, lines[i].got,
               ww, lines[i].want, lines[i].ok ? "ok" : "MISMATCH");
    printf("%d of %d ok\n", good, n);
    gc_context_free(ctx);
    rc = cli_flush_stdout(CLI_OK);
    if (rc != CLI_OK)
        return rc;
    if (good != n)
        return cli_error(CLI_FAIL, "demo: %d of %d results do not match the expected values",
                         n - good, n);
    return CLI_OK;
}
