/* nn_conv.c - nn.SpatialConvolution on gc_conv2d_forward / backward_input / backward_weight,
 * with one workspace sized at plan time for all three passes. */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

/* The conv ops check data pointers; planning only has shapes. */
static gc_tensor gc_conv_probe(const gc_tensor *t)
{
    gc_tensor p = *t;
    if (!p.data)
        p.data = &p;
    return p;
}

static gc_status gc_conv_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    gc_status st = gc_nn_want_tensor(ctx, m, in, "input");
    if (st != GC_OK)
        return st;
    const gc_tensor x = gc_conv_probe(&in->t[0]);
    if (x.dtype != m->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "nn.SpatialConvolution: input is %s, the module %s",
                       gc_dtype_name(x.dtype), gc_dtype_name(m->dtype));
    int rank = 0;
    int64_t dims[GC_MAX_RANK];
    st = gc_conv2d_shape(ctx, &m->conv, &x, &m->param[0], &rank, dims);
    size_t ws = 0;
    for (int pass = 0; st == GC_OK && pass < 3; pass++) {
        size_t b = 0;
        st = gc_conv2d_workspace_size(ctx, &m->conv, &x, &m->param[0], (gc_conv_pass)pass, &b);
        ws = b > ws ? b : ws;
    }
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->out_buf[0], x.dtype, rank, dims);
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->gin_buf[0], x.dtype, x.rank, x.dims);
    if (st == GC_OK && ws > 0)
        st = gc_nn_block_reserve(ctx, &m->ws, ws);
    if (st == GC_OK)
        gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    return st;
}

static const gc_tensor *gc_conv_bias(const gc_module *m, int grad)
{
    return m->nparams > 1 ? (grad ? &m->grad[1] : &m->param[1]) : NULL;
}

static gc_status gc_conv_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    gc_allocator saved;
    gc_nn_call_begin(ctx, &m->cache[0], &saved);
    gc_status st = gc_conv2d_forward(ctx, &m->conv, &in->t[0], &m->param[0], gc_conv_bias(m, 0),
                                     &m->out_buf[0], m->ws.p, m->ws.bytes);
    gc_nn_call_end(ctx, &saved);
    gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    return st;
}

static gc_status gc_conv_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                        const gc_value *gout)
{
    (void)in;
    gc_allocator saved;
    gc_nn_call_begin(ctx, &m->cache[1], &saved);
    gc_status st = gc_conv2d_backward_input(ctx, &m->conv, &gout->t[0], &m->param[0],
                                            &m->gin_buf[0], m->ws.p, m->ws.bytes);
    gc_nn_call_end(ctx, &saved);
    gc_nn_set_tensor(&m->grad_input, &m->gin_buf[0]);
    return st;
}

static gc_status gc_conv_acc_grad(gc_context *ctx, gc_module *m, const gc_value *in,
                                  const gc_value *gout, double scale)
{
    gc_allocator saved;
    gc_nn_call_begin(ctx, &m->cache[1], &saved);
    gc_status st = gc_conv2d_backward_weight(ctx, &m->conv, &in->t[0], &gout->t[0], scale,
                                             &m->grad[0], (gc_tensor *)gc_conv_bias(m, 1),
                                             m->ws.p, m->ws.bytes);
    gc_nn_call_end(ctx, &saved);
    return st;
}

const gc_module_ops gc_nn_conv_ops = {"nn.SpatialConvolution", gc_conv_plan, gc_conv_forward,
                                      gc_conv_backward_input, gc_conv_acc_grad};

/* Torch's reset(): uniform in [-stdv, stdv), stdv = 1 / sqrt(fan-in), from a fixed LCG. */
static void gc_conv_reset(gc_tensor *t, double stdv, uint64_t *s)
{
    const int64_t n = gc_nn_numel(t);
    for (int64_t e = 0; e < n; e++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        const double u = (double)(*s >> 11) * (1.0 / 9007199254740992.0);
        gc_store(t->data, t->dtype, e, (2.0 * u - 1.0) * stdv);
    }
}

gc_status gc_spatial_convolution_create(gc_context *ctx, gc_dtype dtype, int64_t n_in,
                                        int64_t n_out, int64_t kh, int64_t kw,
                                        const gc_conv2d_desc *desc, int with_bias,
                                        gc_module **out)
{
    const char *op = "spatial_convolution_create";
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "%s: out is NULL", op);
    *out = NULL;
    if (dtype != GC_DTYPE_F32 && dtype != GC_DTYPE_F64)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: dtype must be float32 or float64", op);
    gc_conv2d_desc d = desc ? *desc : gc_conv2d_desc_default();
    if (n_in < 1 || n_out < 1 || kh < 1 || kw < 1)
        return gc_fail(ctx, GC_ERR_ARG, "%s: planes and kernel sizes must be >= 1", op);
    if (d.groups < 1 || n_in % d.groups != 0 || n_out % d.groups != 0)
        return gc_fail(ctx, GC_ERR_ARG, "%s: groups %lld must divide n_in %lld and n_out %lld",
                       op, (long long)d.groups, (long long)n_in, (long long)n_out);
    int64_t fan, wn;
    const int64_t wd[4] = {n_out, n_in / d.groups, kh, kw};
    if (!gc_mul_ok(wd[1], kh, &fan) || !gc_mul_ok(fan, kw, &fan) || !gc_mul_ok(fan, n_out, &wn))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "%s: the weight's size overflows", op);
    gc_module *m = NULL;
    gc_status st = gc_nn_module_new(ctx, GC_NN_CONV, &gc_nn_conv_ops, &m);
    if (st != GC_OK)
        return st;
    m->dtype = dtype;
    m->conv = d;
    m->nparams = with_bias ? 2 : 1;
    st = gc_tensor_create(ctx, &m->param[0], dtype, 4, wd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &m->grad[0], dtype, 4, wd);
    if (st == GC_OK && with_bias)
        st = gc_tensor_create(ctx, &m->param[1], dtype, 1, &n_out);
    if (st == GC_OK && with_bias)
        st = gc_tensor_create(ctx, &m->grad[1], dtype, 1, &n_out);
    if (st == GC_OK) {
        /* validate the geometry once against a minimal input the kernel fits */
        gc_tensor probe = {0};
        probe.dtype = dtype;
        probe.rank = 3;
        probe.dims[0] = n_in;
        const int64_t dh = d.dilation[0], dw = d.dilation[1];
        probe.dims[1] = dh >= 1 && dh <= (1 << 20) && kh < (1 << 30) ? dh * (kh - 1) + 1 : kh;
        probe.dims[2] = dw >= 1 && dw <= (1 << 20) && kw < (1 << 30) ? dw * (kw - 1) + 1 : kw;
        probe.data = &probe;
        int rank;
        int64_t od[GC_MAX_RANK];
        gc_conv2d_desc dz = d; /* the padding mode's size rules depend on the real input */
        if (dz.padding_mode == GC_BOUNDARY_REFLECT || dz.padding_mode == GC_BOUNDARY_REPLICATE ||
            dz.padding_mode == GC_BOUNDARY_WRAP)
            dz.padding_mode = GC_BOUNDARY_FILL;
        st = gc_conv2d_shape(ctx, &dz, &probe, &m->param[0], &rank, od);
    }
    if (st != GC_OK) {
        gc_module_free(m);
        return st;
    }
    uint64_t seed = 0x5eed5eedull;
    const double stdv = 1.0 / sqrt((double)fan);
    for (int i = 0; i < m->nparams; i++)
        gc_conv_reset(&m->param[i], stdv, &seed);
    *out = m;
    return GC_OK;
}
