/* gram_ref.c - the plain-loop references for the Gram ops, straight from the definitions in
 * gramconv.h, every sum in float64, one thread:
 *   mu[b][i]  = (1/K) sum_k F[b][i][k]            (0 without centring)
 *   Fc        = F - mu
 *   G[b][i][j] = alpha * sum_k Fc[b][i][k] Fc[b][j][k]   for i >= j, mirrored to (j, i)
 *   R[b][i][k] = alpha * sum_j (dG[b][i][j] + dG[b][j][i]) Fc[b][j][k]
 *   dF        = R minus its row means (centring), else R
 * with alpha = norm * scale. With GC_PRECISION_BF16 the forward operands are the float32
 * Fc = F - (float)mu rounded to bfloat16 (nearest even), as the bf16 kernels form them; the
 * backward pass is computed in the tensors' dtype whatever the precision. */
#include "ops/gram/gram.h"

static inline int64_t gc_gram_ioff(const gc_gram_problem *p, int64_t b, int64_t i, int64_t k)
{
    return b * p->in_s[0] + i * p->in_s[1] + (k / p->kw) * p->in_s[2] + (k % p->kw) * p->in_s[3];
}

static void gc_gram_ref_means(const gc_gram_problem *p, int64_t b, double *mu)
{
    for (int64_t i = 0; i < p->m; i++) {
        double s = 0.0;
        if (p->center) {
            for (int64_t k = 0; k < p->k; k++)
                s += gc_load(p->in, p->dtype, gc_gram_ioff(p, b, i, k));
            s /= (double)p->k;
        }
        mu[i] = s;
    }
}

gc_status gc_gram_forward_reference(gc_context *ctx, const gc_gram_desc *desc,
                                    const gc_tensor *input, gc_tensor *output)
{
    gc_gram_problem p;
    gc_gram_gview g;
    gc_status st = gc_gram_prepare(ctx, desc, input, "gram_forward_reference", &p);
    if (st != GC_OK)
        return st;
    if (!output)
        return gc_fail(ctx, GC_ERR_NULL, "gram_forward_reference: output is NULL");
    st = gc_gram_check_g(ctx, &p, output, "gram_forward_reference", "output", 1, &g);
    if (st != GC_OK)
        return st;
    if (gc_tensor_overlap(output, input))
        return gc_fail(ctx, GC_ERR_ALIAS, "gram_forward_reference: output overlaps the input");
    double *mu = NULL;
    st = gc_alloc(ctx, p.m, sizeof(double), (void **)&mu);
    if (st != GC_OK)
        return st;
    for (int64_t b = 0; b < p.n; b++) {
        gc_gram_ref_means(&p, b, mu);
        for (int64_t i = 0; i < p.m; i++)
            for (int64_t j = 0; j <= i; j++) {
                double acc = 0.0;
                if (p.bf16) /* operands as the bf16 path forms them: float32 Fc, rounded */
                    for (int64_t k = 0; k < p.k; k++)
                        acc += (double)gc_bf16_round(
                                   (float)gc_load(p.in, p.dtype, gc_gram_ioff(&p, b, i, k)) - (float)mu[i]) *
                               (double)gc_bf16_round(
                                   (float)gc_load(p.in, p.dtype, gc_gram_ioff(&p, b, j, k)) - (float)mu[j]);
                else
                    for (int64_t k = 0; k < p.k; k++)
                        acc += (gc_load(p.in, p.dtype, gc_gram_ioff(&p, b, i, k)) - mu[i]) *
                               (gc_load(p.in, p.dtype, gc_gram_ioff(&p, b, j, k)) - mu[j]);
                const double v = p.alpha * acc;
                gc_store(g.data, p.dtype, b * g.s[0] + i * g.s[1] + j * g.s[2], v);
                gc_store(g.data, p.dtype, b * g.s[0] + j * g.s[1] + i * g.s[2], v);
            }
    }
    gc_free(ctx, mu);
    return GC_OK;
}

gc_status gc_gram_backward_reference(gc_context *ctx, const gc_gram_desc *desc,
                                     const gc_tensor *input, const gc_tensor *grad_output,
                                     gc_tensor *grad_input)
{
    const char *op = "gram_backward_reference";
    gc_gram_problem p;
    gc_gram_gview dg;
    gc_status st = gc_gram_prepare(ctx, desc, input, op, &p);
    if (st != GC_OK)
        return st;
    if (!grad_output || !grad_input)
        return gc_fail(ctx, GC_ERR_NULL, "%s: grad_output or grad_input is NULL", op);
    st = gc_gram_check_g(ctx, &p, grad_output, op, "grad_output", 0, &dg);
    if (st == GC_OK)
        st = gc_gram_check_like_input(ctx, input, grad_input, op, "grad_input");
    if (st != GC_OK)
        return st;
    if (gc_tensor_overlap(grad_input, input) || gc_tensor_overlap(grad_input, grad_output))
        return gc_fail(ctx, GC_ERR_ALIAS, "%s: grad_input overlaps an input", op);
    gc_gram_problem q = p; /* grad_input addressed like the input */
    const int64_t *gs = grad_input->strides;
    if (p.in_rank == 2)
        q.in_s[0] = 0, q.in_s[1] = gs[0], q.in_s[2] = 0, q.in_s[3] = gs[1];
    else if (p.in_rank == 3)
        q.in_s[0] = 0, q.in_s[1] = gs[0], q.in_s[2] = gs[1], q.in_s[3] = gs[2];
    else
        q.in_s[0] = gs[0], q.in_s[1] = gs[1], q.in_s[2] = gs[2], q.in_s[3] = gs[3];
    double *mu = NULL, *row = NULL;
    st = gc_alloc(ctx, p.m, sizeof(double), (void **)&mu);
    if (st == GC_OK)
        st = gc_alloc(ctx, p.k, sizeof(double), (void **)&row);
    for (int64_t b = 0; st == GC_OK && b < p.n; b++) {
        gc_gram_ref_means(&p, b, mu);
        for (int64_t i = 0; i < p.m; i++) {
            double rmean = 0.0;
            for (int64_t k = 0; k < p.k; k++) {
                double acc = 0.0;
                for (int64_t j = 0; j < p.m; j++) {
                    const double s = gc_load(dg.data, p.dtype, b * dg.s[0] + i * dg.s[1] + j * dg.s[2]) +
                                     gc_load(dg.data, p.dtype, b * dg.s[0] + j * dg.s[1] + i * dg.s[2]);
                    acc += s * (gc_load(p.in, p.dtype, gc_gram_ioff(&p, b, j, k)) - mu[j]);
                }
                row[k] = p.alpha * acc;
                rmean += row[k];
            }
            rmean = p.center ? rmean / (double)p.k : 0.0;
            for (int64_t k = 0; k < p.k; k++)
                gc_store(grad_input->data, p.dtype, gc_gram_ioff(&q, b, i, k), row[k] - rmean);
        }
    }
    gc_free(ctx, row);
    gc_free(ctx, mu);
    return st;
}
