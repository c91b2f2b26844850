/* conv2d_shape.c - argument validation and output geometry for SpatialConvolution. */
#include "ops/conv2d/conv2d.h"

#include <stdio.h>
#include <string.h>

gc_conv2d_desc gc_conv2d_desc_default(void)
{
    gc_conv2d_desc d;
    memset(&d, 0, sizeof d);
    d.stride[0] = d.stride[1] = 1;
    d.dilation[0] = d.dilation[1] = 1;
    d.groups = 1;
    d.padding_mode = GC_BOUNDARY_FILL;
    d.algo = GC_CONV_ALGO_AUTO;
    return d;
}

/* The descriptor's fields: strides, dilations, pads, groups, padding mode, algorithm and
 * precision in range. */
static gc_status gc_conv2d_check_desc(gc_context *ctx, const gc_conv2d_desc *desc)
{
    for (int i = 0; i < 2; i++) {
        if (desc->stride[i] < 1 || desc->dilation[i] < 1 || desc->pad[i] < 0)
            return gc_fail(ctx, GC_ERR_ARG,
                           "conv2d: stride and dilation must be >= 1 and pad >= 0 "
                           "(got stride %lld, dilation %lld, pad %lld)",
                           (long long)desc->stride[i], (long long)desc->dilation[i],
                           (long long)desc->pad[i]);
        if (desc->stride[i] > INT32_MAX || desc->dilation[i] > INT32_MAX || desc->pad[i] > INT32_MAX)
            return gc_fail(ctx, GC_ERR_ARG, "conv2d: stride/dilation/pad beyond 2^31");
    }
    if (desc->groups < 1)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: groups must be >= 1 (got %lld)", (long long)desc->groups);
    if (!gc_conv2d_padding_mode_ok(desc->padding_mode))
        return gc_fail(ctx, GC_ERR_ARG,
                       "conv2d: padding mode %d is not one conv2d takes (fill, reflect, replicate "
                       "or wrap)", (int)desc->padding_mode);
    if (desc->algo < GC_CONV_ALGO_AUTO || desc->algo > GC_CONV_ALGO_GEMM)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: unknown algorithm %d", (int)desc->algo);
    if (desc->precision != GC_PRECISION_DEFAULT && desc->precision != GC_PRECISION_BF16)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: unknown precision %d", (int)desc->precision);
    return GC_OK;
}

/* The caller's output (or grad_output) against the problem p: dtype and shape; fills p's
 * output strides (o: the index of the channel dimension). */
static gc_status gc_conv2d_check_output(gc_context *ctx, const gc_tensor *input,
                                        const gc_tensor *output, int o, gc_conv2d_problem *p)
{
    gc_status st = gc_tensor_check(ctx, output, "conv2d output");
    if (st != GC_OK)
        return st;
    if (output->dtype != p->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "conv2d: output is %s, input is %s",
                       gc_dtype_name(output->dtype), gc_dtype_name(p->dtype));
    const int64_t want[4] = {p->N, p->O, p->OH, p->OW};
    int ok = output->rank == input->rank;
    for (int i = 0; ok && i < output->rank; i++)
        ok = output->dims[i] == want[i + (p->batched ? 0 : 1)];
    if (!ok) {
        char lead[32] = "";
        if (p->batched)
            snprintf(lead, sizeof lead, "%lld x ", (long long)p->N);
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d: output (or grad_output) must be %s%lld x %lld x %lld",
                       lead, (long long)p->O, (long long)p->OH, (long long)p->OW);
    }
    p->out_s[0] = p->batched ? output->strides[0] : 0;
    for (int i = 0; i < 3; i++)
        p->out_s[1 + i] = output->strides[o + i];
    return GC_OK;
}

gc_status gc_conv2d_prepare(gc_context *ctx, const gc_conv2d_desc *desc, const gc_tensor *input,
                            const gc_tensor *weight, const gc_tensor *output,
                            const gc_tensor *bias, gc_conv2d_problem *p)
{
    gc_clear_error(ctx);
    if (!desc || !p)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d: NULL descriptor");
    memset(p, 0, sizeof *p);
    gc_status st = gc_tensor_check(ctx, input, "conv2d input");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, weight, "conv2d weight");
    if (st != GC_OK)
        return st;
    if ((st = gc_conv2d_check_desc(ctx, desc)) != GC_OK)
        return st;
    if (input->rank != 3 && input->rank != 4)
        return gc_fail(ctx, GC_ERR_RANK, "conv2d: input must be C x H x W or N x C x H x W (got rank %d)",
                       input->rank);
    if (weight->rank != 4)
        return gc_fail(ctx, GC_ERR_RANK, "conv2d: weight must be O x C/groups x KH x KW (got rank %d)",
                       weight->rank);
    if (input->dtype != weight->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "conv2d: input is %s but weight is %s",
                       gc_dtype_name(input->dtype), gc_dtype_name(weight->dtype));
    p->dtype = input->dtype;
    if (desc->precision == GC_PRECISION_BF16) {
        if (p->dtype != GC_DTYPE_F32)
            return gc_fail(ctx, GC_ERR_DTYPE, "conv2d: bf16 precision takes float32 tensors, not %s",
                           gc_dtype_name(p->dtype));
        p->bf16 = 1;
    }
    p->batched = input->rank == 4;
    const int o = p->batched ? 1 : 0;
    p->N = p->batched ? input->dims[0] : 1;
    p->C = input->dims[o];
    p->H = input->dims[o + 1];
    p->W = input->dims[o + 2];
    p->O = weight->dims[0];
    p->KH = weight->dims[2];
    p->KW = weight->dims[3];
    p->G = desc->groups;
    if (p->N == 0 || p->C == 0 || p->H == 0 || p->W == 0 || p->O == 0 || weight->dims[1] == 0 ||
        p->KH == 0 || p->KW == 0)
        return gc_fail(ctx, GC_ERR_EMPTY, "conv2d: empty dimension in input or weight");
    if (p->C % p->G || p->O % p->G)
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d: groups (%lld) must divide input channels (%lld) and "
                       "output channels (%lld)", (long long)p->G, (long long)p->C, (long long)p->O);
    p->Cg = p->C / p->G;
    p->Og = p->O / p->G;
    if (weight->dims[1] != p->Cg)
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d: weight has %lld input channels per group, input has "
                       "%lld channels / %lld groups = %lld", (long long)weight->dims[1],
                       (long long)p->C, (long long)p->G, (long long)p->Cg);
    p->sh = desc->stride[0];
    p->sw = desc->stride[1];
    p->dh = desc->dilation[0];
    p->dw = desc->dilation[1];
    p->pmode = desc->padding_mode;
    int64_t span_h, span_w; /* dilated kernel extent minus one */
    if (!gc_mul_ok(p->dh, p->KH - 1, &span_h) || !gc_mul_ok(p->dw, p->KW - 1, &span_w))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: dilated kernel size overflows");
    if (desc->same_padding) {
        if (p->sh != 1 || p->sw != 1)
            return gc_fail(ctx, GC_ERR_ARG, "conv2d: 'same' padding needs stride 1");
        p->pt = span_h / 2;
        p->pb = span_h - p->pt;
        p->pl = span_w / 2;
        p->pr = span_w - p->pl;
    } else {
        p->pt = p->pb = desc->pad[0];
        p->pl = p->pr = desc->pad[1];
    }
    if (p->pmode == GC_BOUNDARY_REFLECT &&
        (p->pt >= p->H || p->pb >= p->H || p->pl >= p->W || p->pr >= p->W))
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d: reflect padding must be smaller than the input size");
    if (p->pmode == GC_BOUNDARY_WRAP &&
        (p->pt > p->H || p->pb > p->H || p->pl > p->W || p->pr > p->W))
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d: circular padding must not exceed the input size");
    /* every size sum checked before it is formed (pads are <= 2^31 - 1 here) */
    if (p->H > INT64_MAX - p->pt - p->pb || p->W > INT64_MAX - p->pl - p->pr)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: the padded input size overflows");
    const int64_t eff_h = p->H + p->pt + p->pb - span_h, eff_w = p->W + p->pl + p->pr - span_w;
    if (eff_h < 1 || eff_w < 1)
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d: output would be smaller than 1x1 (input %lldx%lld, "
                       "kernel %lldx%lld, pad %lld,%lld, dilation %lld,%lld)", (long long)p->H,
                       (long long)p->W, (long long)p->KH, (long long)p->KW, (long long)p->pt,
                       (long long)p->pl, (long long)p->dh, (long long)p->dw);
    p->OH = (eff_h - 1) / p->sh + 1;
    p->OW = (eff_w - 1) / p->sw + 1;
    p->in_s[0] = p->batched ? input->strides[0] : 0;
    for (int i = 0; i < 3; i++)
        p->in_s[1 + i] = input->strides[o + i];
    for (int i = 0; i < 4; i++)
        p->w_s[i] = weight->strides[i];
    if (bias) {
        st = gc_tensor_check(ctx, bias, "conv2d bias");
        if (st != GC_OK)
            return st;
        if (bias->dtype != p->dtype)
            return gc_fail(ctx, GC_ERR_DTYPE, "conv2d: bias is %s, input is %s",
                           gc_dtype_name(bias->dtype), gc_dtype_name(p->dtype));
        if (bias->rank != 1 || bias->dims[0] != p->O)
            return gc_fail(ctx, GC_ERR_SHAPE, "conv2d: bias must be a vector of %lld values", (long long)p->O);
        p->b_s = bias->strides[0];
    }
    if (output)
        return gc_conv2d_check_output(ctx, input, output, o, p);
    return GC_OK;
}

gc_status gc_conv2d_shape(gc_context *ctx, const gc_conv2d_desc *desc, const gc_tensor *input,
                          const gc_tensor *weight, int *out_rank, int64_t *out_dims)
{
    if (!out_rank || !out_dims)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d: NULL output shape pointer");
    gc_conv2d_problem p;
    gc_status st = gc_conv2d_prepare(ctx, desc, input, weight, NULL, NULL, &p);
    if (st != GC_OK)
        return st;
    int r = 0;
    if (p.batched)
        out_dims[r++] = p.N;
    out_dims[r++] = p.O;
    out_dims[r++] = p.OH;
    out_dims[r++] = p.OW;
    for (int i = r; i < GC_MAX_RANK; i++)
        out_dims[i] = 0;
    *out_rank = r;
    return GC_OK;
}
