/* nn_container.c - nn.Sequential and nn.ConcatTable. */
#include "nn/nn.h"

#include <string.h>

/* ---- Sequential: out = m_n(... m_1(in)); backward walks the children in reverse ---------- */

/* Input of child i: the container's input for the first, else the previous child's output. */
static const gc_value *gc_seq_in(const gc_module *m, const gc_value *in, int i)
{
    return i == 0 ? in : &m->child[i - 1]->output;
}

static gc_status gc_seq_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    for (int i = 0; i < m->nchild; i++) {
        gc_module *c = m->child[i];
        c->sig.valid = 0;
        gc_status st = c->ops->plan(ctx, c, gc_seq_in(m, in, i));
        if (st != GC_OK)
            return st;
        gc_nn_sig_of(gc_seq_in(m, in, i), &c->sig);
    }
    m->output = m->nchild ? m->child[m->nchild - 1]->output : *in;
    return GC_OK;
}

static gc_status gc_seq_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    for (int i = 0; i < m->nchild; i++) {
        gc_status st = gc_nn_forward(ctx, m->child[i], gc_seq_in(m, in, i));
        if (st != GC_OK)
            return st;
    }
    m->output = m->nchild ? m->child[m->nchild - 1]->output : *in;
    return GC_OK;
}

static gc_status gc_seq_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                       const gc_value *gout)
{
    const gc_value *g = gout;
    for (int i = m->nchild - 1; i >= 0; i--) {
        gc_status st = gc_nn_backward_input(ctx, m->child[i], gc_seq_in(m, in, i), g);
        if (st != GC_OK)
            return st;
        g = &m->child[i]->grad_input;
    }
    m->grad_input = *g;
    return GC_OK;
}

/* Child i's grad_output: the container's for the last, else the next child's grad_input
 * (from the backward_input pass that must come first, as in Torch). */
static gc_status gc_seq_acc_grad(gc_context *ctx, gc_module *m, const gc_value *in,
                                 const gc_value *gout, double scale)
{
    for (int i = m->nchild - 1; i >= 0; i--) {
        const gc_value *g = i == m->nchild - 1 ? gout : &m->child[i + 1]->grad_input;
        gc_status st = gc_nn_acc_grad(ctx, m->child[i], gc_seq_in(m, in, i), g, scale);
        if (st != GC_OK)
            return st;
    }
    return GC_OK;
}

const gc_module_ops gc_nn_sequential_ops = {"nn.Sequential", gc_seq_plan, gc_seq_forward,
                                            gc_seq_backward_input, gc_seq_acc_grad};

gc_status gc_sequential_create(gc_context *ctx, gc_module **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "sequential_create: out is NULL");
    *out = NULL;
    return gc_nn_module_new(ctx, GC_NN_SEQUENTIAL, &gc_nn_sequential_ops, out);
}

/* ---- ConcatTable: out = {m_1(in), ..., m_n(in)}; grad_input = sum_i m_i'(in)^T gout[i] ---- */

static void gc_cat_entry(const gc_value *table, int i, gc_value *v)
{
    memset(v, 0, sizeof *v);
    gc_nn_set_tensor(v, &table->t[i]);
}

static gc_status gc_cat_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    if (m->nchild == 0)
        return gc_fail(ctx, GC_ERR_ARG, "nn.ConcatTable: no modules added");
    gc_status st = gc_nn_want_tensor(ctx, m, in, "input");
    if (st != GC_OK)
        return st;
    m->output.is_table = 1;
    m->output.count = m->nchild;
    for (int i = 0; i < m->nchild; i++) {
        gc_module *c = m->child[i];
        c->sig.valid = 0;
        st = c->ops->plan(ctx, c, in);
        if (st != GC_OK)
            return st;
        gc_nn_sig_of(in, &c->sig);
        if (c->output.is_table)
            return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                           "nn.ConcatTable: member %d (%s) outputs a table; tables do not nest",
                           i + 1, c->ops->name);
        m->output.t[i] = c->output.t[0];
    }
    const gc_tensor *x = &in->t[0];
    return gc_nn_buffer(ctx, &m->gin_buf[0], x->dtype, x->rank, x->dims);
}

static gc_status gc_cat_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    for (int i = 0; i < m->nchild; i++) {
        gc_status st = gc_nn_forward(ctx, m->child[i], in);
        if (st != GC_OK)
            return st;
        m->output.t[i] = m->child[i]->output.t[0];
    }
    return GC_OK;
}

/* dst (contiguous, same shape) = src, or += src. */
static void gc_cat_sum(gc_tensor *dst, const gc_tensor *src, int add)
{
    const int64_t n = gc_nn_numel(dst);
    const int contig = gc_tensor_is_contiguous(src);
    for (int64_t e = 0; e < n; e++) {
        const int64_t so = contig ? e : gc_nn_offset(src, e);
        const double v = gc_load(src->data, src->dtype, so);
        gc_store(dst->data, dst->dtype, e, add ? gc_load(dst->data, dst->dtype, e) + v : v);
    }
}

static gc_status gc_cat_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                       const gc_value *gout)
{
    for (int i = 0; i < m->nchild; i++) {
        gc_value g;
        gc_cat_entry(gout, i, &g);
        gc_status st = gc_nn_backward_input(ctx, m->child[i], in, &g);
        if (st != GC_OK)
            return st;
        gc_cat_sum(&m->gin_buf[0], &m->child[i]->grad_input.t[0], i > 0);
    }
    gc_nn_set_tensor(&m->grad_input, &m->gin_buf[0]);
    return GC_OK;
}

static gc_status gc_cat_acc_grad(gc_context *ctx, gc_module *m, const gc_value *in,
                                 const gc_value *gout, double scale)
{
    for (int i = 0; i < m->nchild; i++) {
        gc_value g;
        gc_cat_entry(gout, i, &g);
        gc_status st = gc_nn_acc_grad(ctx, m->child[i], in, &g, scale);
        if (st != GC_OK)
            return st;
    }
    return GC_OK;
}

const gc_module_ops gc_nn_concat_ops = {"nn.ConcatTable", gc_cat_plan, gc_cat_forward,
                                        gc_cat_backward_input, gc_cat_acc_grad};

gc_status gc_concat_table_create(gc_context *ctx, gc_module **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "concat_table_create: out is NULL");
    *out = NULL;
    return gc_nn_module_new(ctx, GC_NN_CONCAT_TABLE, &gc_nn_concat_ops, out);
}
