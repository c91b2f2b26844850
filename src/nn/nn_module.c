/* nn_module.c - the module interface of the nn layer: values, signatures and planning, the
 * public passes (argument checks, then the kind's operation), parameters, freeing, and the
 * block cache that op calls run under (see nn.h). */
#include "nn/nn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- block cache ------------------------------------------------------------------------- */

static int gc_nn_same_alloc(const gc_allocator *a, const gc_allocator *b)
{
    return a->alloc == b->alloc && a->free == b->free && a->user == b->user;
}

void gc_nn_cache_release(gc_nn_cache *c)
{
    for (int i = 0; i < GC_NN_CACHE_BLOCKS; i++) {
        if (c->ptr[i])
            c->owner.free(c->ptr[i], c->owner.user);
        c->ptr[i] = NULL;
        c->size[i] = 0;
    }
}

static void *gc_nn_cache_alloc(size_t size, size_t align, void *user)
{
    gc_nn_cache *c = user;
    const int i = c->next++;
    if (i >= GC_NN_CACHE_BLOCKS || align > 64) /* beyond the cache: straight through */
        return c->real.alloc(size, align, c->real.user);
    if (c->ptr[i] && c->size[i] >= size)
        return c->ptr[i];
    if (c->ptr[i])
        c->owner.free(c->ptr[i], c->owner.user);
    c->ptr[i] = c->real.alloc(size, 64, c->real.user);
    c->size[i] = c->ptr[i] ? size : 0;
    return c->ptr[i];
}

static void gc_nn_cache_free(void *ptr, void *user)
{
    gc_nn_cache *c = user;
    for (int i = 0; i < GC_NN_CACHE_BLOCKS; i++)
        if (c->ptr[i] == ptr)
            return; /* kept for the next call */
    c->real.free(ptr, c->real.user);
}

void gc_nn_call_begin(gc_context *ctx, gc_nn_cache *c, gc_allocator *saved)
{
    if (!ctx)
        return;
    *saved = ctx->allocator;
    if (!gc_nn_same_alloc(&c->owner, &ctx->allocator)) {
        gc_nn_cache_release(c); /* blocks of another allocator go back to it first */
        c->owner = ctx->allocator;
    }
    c->real = ctx->allocator;
    c->next = 0;
    ctx->allocator = (gc_allocator){gc_nn_cache_alloc, gc_nn_cache_free, c};
}

void gc_nn_call_end(gc_context *ctx, gc_allocator *saved)
{
    if (ctx)
        ctx->allocator = *saved;
}

/* ---- values and signatures -------------------------------------------------------------- */

gc_value gc_value_tensor(const gc_tensor *t)
{
    gc_value v;
    memset(&v, 0, sizeof v);
    v.count = 1;
    if (t) {
        v.t[0] = *t;
        v.t[0].owned_ = NULL;
    }
    return v;
}

gc_status gc_value_table(gc_value *out, int count, const gc_tensor *ts)
{
    if (!out || !ts)
        return GC_ERR_NULL;
    if (count < 1 || count > GC_TABLE_MAX)
        return GC_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->is_table = 1;
    out->count = count;
    for (int i = 0; i < count; i++) {
        out->t[i] = ts[i];
        out->t[i].owned_ = NULL;
    }
    return GC_OK;
}

void gc_nn_set_tensor(gc_value *v, const gc_tensor *t)
{
    v->is_table = 0;
    v->count = 1;
    v->t[0] = *t;
    v->t[0].owned_ = NULL;
}

void gc_nn_sig_of(const gc_value *v, gc_nn_sig *s)
{
    memset(s, 0, sizeof *s);
    s->valid = 1;
    s->is_table = v->is_table;
    s->count = v->count;
    for (int i = 0; i < v->count && i < GC_TABLE_MAX; i++) {
        s->dtype[i] = v->t[i].dtype;
        s->rank[i] = v->t[i].rank;
        for (int d = 0; d < v->t[i].rank; d++)
            s->dims[i][d] = v->t[i].dims[d];
    }
}

int gc_nn_sig_match(const gc_nn_sig *s, const gc_value *v)
{
    if (!s->valid || s->is_table != v->is_table || s->count != v->count)
        return 0;
    for (int i = 0; i < v->count; i++) {
        const gc_tensor *t = &v->t[i];
        if (s->dtype[i] != t->dtype || s->rank[i] != t->rank)
            return 0;
        for (int d = 0; d < t->rank; d++)
            if (s->dims[i][d] != t->dims[d])
                return 0;
    }
    return 1;
}

/* A value from the caller: a tensor or a table of 1..GC_TABLE_MAX valid tensors. */
static gc_status gc_nn_value_check(gc_context *ctx, const gc_module *m, const gc_value *v,
                                   const char *what)
{
    const char *name = m->ops->name;
    if (v->is_table != 0 && v->is_table != 1)
        return gc_fail(ctx, GC_ERR_ARG, "%s: %s.is_table must be 0 or 1", name, what);
    if (v->is_table ? (v->count < 1 || v->count > GC_TABLE_MAX) : v->count != 1)
        return gc_fail(ctx, GC_ERR_ARG, "%s: %s has count %d (a tensor has 1, a table 1..%d)",
                       name, what, v->count, GC_TABLE_MAX);
    for (int i = 0; i < v->count; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s[%d]", what, i);
        gc_status st = gc_tensor_check(ctx, &v->t[i], label);
        if (st != GC_OK)
            return st;
    }
    return GC_OK;
}

gc_status gc_nn_want_tensor(gc_context *ctx, const gc_module *m, const gc_value *v,
                            const char *what)
{
    if (v->is_table)
        return gc_fail(ctx, GC_ERR_ARG, "%s: %s is a table; this module takes a tensor",
                       m->ops->name, what);
    const gc_tensor *t = &v->t[0];
    if (t->dtype != GC_DTYPE_F32 && t->dtype != GC_DTYPE_F64)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: %s has an unknown dtype", m->ops->name, what);
    return GC_OK;
}

int64_t gc_nn_numel(const gc_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= t->dims[i];
    return n;
}

int64_t gc_nn_offset(const gc_tensor *t, int64_t e)
{
    int64_t off = 0;
    for (int i = t->rank - 1; i >= 0; i--) {
        const int64_t d = t->dims[i];
        off += (e % d) * t->strides[i];
        e /= d;
    }
    return off;
}

gc_status gc_nn_buffer(gc_context *ctx, gc_tensor *t, gc_dtype dtype, int rank,
                       const int64_t *dims)
{
    if (t->owned_ && t->dtype == dtype && t->rank == rank &&
        memcmp(t->dims, dims, sizeof(int64_t) * (size_t)rank) == 0) {
        int64_t n;
        if (gc_tensor_numel(t, &n) == GC_OK && n > 0)
            memset(t->data, 0, (size_t)n * gc_dtype_size(dtype));
        return GC_OK;
    }
    gc_tensor_free(t);
    return gc_tensor_create(ctx, t, dtype, rank, dims);
}

gc_status gc_nn_block_reserve(gc_context *ctx, gc_nn_block *b, size_t bytes)
{
    if (b->p && b->bytes >= bytes)
        return GC_OK;
    void *p = NULL;
    gc_status st = gc_alloc(ctx, 1, bytes, &p);
    if (st != GC_OK)
        return st;
    gc_nn_block_release(b);
    b->p = p;
    b->bytes = bytes;
    b->a = *gc_ctx_allocator(ctx);
    return GC_OK;
}

void gc_nn_block_release(gc_nn_block *b)
{
    if (b->p)
        b->a.free(b->p, b->a.user);
    b->p = NULL;
    b->bytes = 0;
}

/* ---- modules ----------------------------------------------------------------------------- */

gc_status gc_nn_module_new(gc_context *ctx, gc_nn_kind kind, const gc_module_ops *ops,
                           gc_module **out)
{
    gc_module *m = NULL;
    gc_status st = gc_alloc(ctx, 1, sizeof *m, (void **)&m);
    if (st != GC_OK)
        return st;
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->ops = ops;
    m->self_alloc = *gc_ctx_allocator(ctx);
    m->gram = gc_gram_desc_default();
    m->conv = gc_conv2d_desc_default();
    m->output.count = 1;
    m->grad_input.count = 1;
    *out = m;
    return GC_OK;
}

static void gc_nn_release(const gc_allocator *a, void *p)
{
    if (p)
        a->free(p, a->user);
}

void gc_module_free(gc_module *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nchild; i++)
        gc_module_free(m->child[i]);
    gc_nn_release(&m->child_alloc, m->child);
    for (int i = 0; i < 2; i++) {
        gc_tensor_free(&m->out_buf[i]);
        gc_tensor_free(&m->gin_buf[i]);
        gc_tensor_free(&m->param[i]);
        gc_tensor_free(&m->grad[i]);
        gc_nn_cache_release(&m->cache[i]);
        gc_nn_release(&m->flat_alloc, m->flat[i]);
    }
    gc_nn_block_release(&m->aux);
    gc_nn_block_release(&m->ws);
    gc_allocator a = m->self_alloc;
    a.free(m, a.user);
}

const char *gc_module_name(const gc_module *m) { return m ? m->ops->name : "(null)"; }

static int gc_nn_contains(const gc_module *m, const gc_module *x)
{
    if (m == x)
        return 1;
    for (int i = 0; i < m->nchild; i++)
        if (gc_nn_contains(m->child[i], x))
            return 1;
    return 0;
}

/* A failed add marks a container (not a leaf given as one) broken. */
static void gc_nn_break(gc_module *container)
{
    if (container &&
        (container->kind == GC_NN_SEQUENTIAL || container->kind == GC_NN_CONCAT_TABLE))
        container->broken = 1;
}

gc_status gc_module_add(gc_context *ctx, gc_module *container, gc_module *child)
{
    gc_clear_error(ctx);
    /* refusals that free nothing: the child is someone else's or holds the container */
    if (child && child->owned) {
        gc_nn_break(container);
        return gc_fail(ctx, GC_ERR_ARG, "module_add: %s already belongs to a container",
                       child->ops->name);
    }
    if (child && container && gc_nn_contains(child, container)) {
        gc_nn_break(container);
        return gc_fail(ctx, GC_ERR_ARG, "module_add: a module cannot contain itself");
    }
    gc_status st = GC_OK;
    if (!container)
        st = gc_fail(ctx, GC_ERR_NULL, "module_add: container is NULL (did its create fail?)");
    else if (!child)
        st = gc_fail(ctx, GC_ERR_NULL, "module_add: child is NULL (did its create fail?)");
    else if (container->kind != GC_NN_SEQUENTIAL && container->kind != GC_NN_CONCAT_TABLE)
        st = gc_fail(ctx, GC_ERR_ARG, "module_add: %s is not a container",
                     container->ops->name);
    else if (container->broken)
        st = gc_fail(ctx, GC_ERR_ARG, "module_add: an earlier add into this %s failed",
                     container->ops->name);
    else if (child->broken)
        st = gc_fail(ctx, GC_ERR_ARG, "module_add: an earlier add into the %s being added failed",
                     child->ops->name);
    else if (container->kind == GC_NN_CONCAT_TABLE && container->nchild >= GC_TABLE_MAX)
        st = gc_fail(ctx, GC_ERR_LIMIT, "module_add: a ConcatTable holds at most %d modules",
                     GC_TABLE_MAX);
    else if (container->nchild == container->cap) {
        const int cap = container->cap ? container->cap * 2 : 4;
        gc_module **grown = NULL;
        st = gc_alloc(ctx, cap, sizeof *grown, (void **)&grown);
        if (st == GC_OK) {
            if (container->nchild)
                memcpy(grown, container->child, sizeof *grown * (size_t)container->nchild);
            gc_nn_release(&container->child_alloc, container->child);
            container->child = grown;
            container->child_alloc = *gc_ctx_allocator(ctx);
            container->cap = cap;
        }
    }
    if (st != GC_OK) {
        gc_module_free(child);
        gc_nn_break(container);
        return st;
    }
    container->child[container->nchild++] = child;
    child->owned = 1;
    container->sig.valid = 0; /* re-plan on the next pass */
    return GC_OK;
}

/* ---- passes ------------------------------------------------------------------------------ */

static gc_status gc_nn_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    m->sig.valid = 0;
    gc_status st = m->ops->plan(ctx, m, in);
    if (st == GC_OK)
        gc_nn_sig_of(in, &m->sig);
    return st;
}

gc_status gc_nn_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    gc_status st = GC_OK;
    if (!gc_nn_sig_match(&m->sig, in))
        st = gc_nn_plan(ctx, m, in);
    if (st == GC_OK)
        st = m->ops->forward(ctx, m, in);
    return st;
}

/* The checks every backward-type pass makes: forward ran on this signature, and grad_output
 * has the output's. */
static gc_status gc_nn_backward_check(gc_context *ctx, gc_module *m, const gc_value *in,
                                      const gc_value *gout)
{
    if (!gc_nn_sig_match(&m->sig, in))
        return gc_fail(ctx, GC_ERR_ARG,
                       "%s: backward needs a forward with this input first (none, or another "
                       "shape)",
                       m->ops->name);
    gc_nn_sig os;
    gc_nn_sig_of(&m->output, &os);
    if (!gc_nn_sig_match(&os, gout))
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "%s: grad_output does not have the output's kind, dtype and shape",
                       m->ops->name);
    return GC_OK;
}

gc_status gc_nn_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                               const gc_value *gout)
{
    gc_status st = gc_nn_backward_check(ctx, m, in, gout);
    return st == GC_OK ? m->ops->backward_input(ctx, m, in, gout) : st;
}

gc_status gc_nn_acc_grad(gc_context *ctx, gc_module *m, const gc_value *in, const gc_value *gout,
                         double scale)
{
    gc_status st = gc_nn_backward_check(ctx, m, in, gout);
    if (st != GC_OK || !m->ops->acc_grad)
        return st;
    return m->ops->acc_grad(ctx, m, in, gout, scale);
}

static gc_status gc_nn_public(gc_context *ctx, const gc_module *m, const gc_value *in,
                              const gc_value *gout, const char *pass)
{
    gc_clear_error(ctx);
    if (!m || !in)
        return gc_fail(ctx, GC_ERR_NULL, "module %s: module or input is NULL", pass);
    if (m->broken)
        return gc_fail(ctx, GC_ERR_ARG, "%s %s: an add into this container failed earlier",
                       m->ops->name, pass);
    gc_status st = gc_nn_value_check(ctx, m, in, "input");
    if (st == GC_OK && gout)
        st = gc_nn_value_check(ctx, m, gout, "grad_output");
    return st;
}

static void gc_nn_set_explicit(gc_module *m, int on)
{
    m->explicit_plan = on;
    for (int i = 0; i < m->nchild; i++)
        gc_nn_set_explicit(m->child[i], on);
}

gc_status gc_module_plan(gc_context *ctx, gc_module *m, const gc_value *input)
{
    gc_status st = gc_nn_public(ctx, m, input, NULL, "plan");
    if (st != GC_OK)
        return st;
    gc_nn_set_explicit(m, 1);
    st = gc_nn_plan(ctx, m, input);
    gc_nn_set_explicit(m, 0);
    return st;
}

gc_status gc_module_forward(gc_context *ctx, gc_module *m, const gc_value *input,
                            const gc_value **output)
{
    gc_status st = gc_nn_public(ctx, m, input, NULL, "forward");
    if (st == GC_OK && !output)
        st = gc_fail(ctx, GC_ERR_NULL, "module forward: output is NULL");
    if (st == GC_OK)
        st = gc_nn_forward(ctx, m, input);
    if (output)
        *output = st == GC_OK ? &m->output : NULL;
    return st;
}

gc_status gc_module_backward_input(gc_context *ctx, gc_module *m, const gc_value *input,
                                   const gc_value *grad_output, const gc_value **grad_input)
{
    gc_status st = gc_nn_public(ctx, m, input, grad_output, "backward_input");
    if (st == GC_OK && (!grad_output || !grad_input))
        st = gc_fail(ctx, GC_ERR_NULL, "module backward_input: grad_output or grad_input is NULL");
    if (st == GC_OK)
        st = gc_nn_backward_input(ctx, m, input, grad_output);
    if (grad_input)
        *grad_input = st == GC_OK ? &m->grad_input : NULL;
    return st;
}

gc_status gc_module_acc_grad_parameters(gc_context *ctx, gc_module *m, const gc_value *input,
                                        const gc_value *grad_output, double scale)
{
    gc_status st = gc_nn_public(ctx, m, input, grad_output, "acc_grad_parameters");
    if (st == GC_OK && !grad_output)
        st = gc_fail(ctx, GC_ERR_NULL, "module acc_grad_parameters: grad_output is NULL");
    if (st == GC_OK && !isfinite(scale))
        st = gc_fail(ctx, GC_ERR_ARG, "module acc_grad_parameters: scale must be finite");
    return st == GC_OK ? gc_nn_acc_grad(ctx, m, input, grad_output, scale) : st;
}

gc_status gc_module_backward(gc_context *ctx, gc_module *m, const gc_value *input,
                             const gc_value *grad_output, double scale,
                             const gc_value **grad_input)
{
    gc_status st = gc_nn_public(ctx, m, input, grad_output, "backward");
    if (st == GC_OK && !grad_output)
        st = gc_fail(ctx, GC_ERR_NULL, "module backward: grad_output is NULL");
    if (st == GC_OK && !isfinite(scale))
        st = gc_fail(ctx, GC_ERR_ARG, "module backward: scale must be finite");
    if (st == GC_OK)
        st = gc_nn_backward_input(ctx, m, input, grad_output);
    if (st == GC_OK && m->ops->acc_grad)
        st = m->ops->acc_grad(ctx, m, input, grad_output, scale);
    if (grad_input)
        *grad_input = st == GC_OK ? &m->grad_input : NULL;
    return st;
}

/* ---- parameters -------------------------------------------------------------------------- */

gc_status gc_module_zero_grad_parameters(gc_module *m)
{
    if (!m)
        return GC_ERR_NULL;
    for (int i = 0; i < m->nparams; i++) {
        const int64_t n = gc_nn_numel(&m->grad[i]);
        if (gc_tensor_is_contiguous(&m->grad[i]))
            memset(m->grad[i].data, 0, (size_t)n * gc_dtype_size(m->grad[i].dtype));
    }
    for (int i = 0; i < m->nchild; i++)
        gc_module_zero_grad_parameters(m->child[i]);
    return GC_OK;
}

int gc_module_num_parameters(const gc_module *m)
{
    if (!m)
        return 0;
    int n = m->nparams;
    for (int i = 0; i < m->nchild; i++)
        n += gc_module_num_parameters(m->child[i]);
    return n;
}

gc_module *gc_nn_find_param(gc_module *m, int *i)
{
    if (*i < m->nparams)
        return m;
    *i -= m->nparams;
    for (int c = 0; c < m->nchild; c++) {
        gc_module *h = gc_nn_find_param(m->child[c], i);
        if (h)
            return h;
    }
    return NULL;
}

gc_status gc_module_parameter(gc_module *m, int i, gc_tensor *param, gc_tensor *grad)
{
    if (!m)
        return GC_ERR_NULL;
    if (i < 0)
        return GC_ERR_ARG;
    int j = i;
    gc_module *h = gc_nn_find_param(m, &j);
    if (!h)
        return GC_ERR_ARG;
    if (param) {
        *param = h->param[j];
        param->owned_ = NULL;
    }
    if (grad) {
        *grad = h->grad[j];
        grad->owned_ = NULL;
    }
    return GC_OK;
}

gc_status gc_module_flatten_parameters(gc_context *ctx, gc_module *m, gc_tensor *params,
                                       gc_tensor *grads)
{
    gc_clear_error(ctx);
    if (!m || !params || !grads)
        return gc_fail(ctx, GC_ERR_NULL, "flatten_parameters: NULL argument");
    const int np = gc_module_num_parameters(m);
    if (np == 0)
        return gc_fail(ctx, GC_ERR_EMPTY, "flatten_parameters: %s has no parameters",
                       m->ops->name);
    int64_t total = 0;
    gc_dtype dt = GC_DTYPE_F64;
    for (int i = 0; i < np; i++) {
        int j = i;
        gc_module *h = gc_nn_find_param(m, &j);
        if (i == 0)
            dt = h->param[j].dtype;
        else if (h->param[j].dtype != dt)
            return gc_fail(ctx, GC_ERR_DTYPE, "flatten_parameters: parameters of mixed dtypes");
        total += gc_nn_numel(&h->param[j]);
    }
    const size_t esz = gc_dtype_size(dt);
    void *fp = NULL, *fg = NULL;
    gc_status st = gc_alloc(ctx, total, esz, &fp);
    if (st == GC_OK)
        st = gc_alloc(ctx, total, esz, &fg);
    if (st != GC_OK) {
        gc_free(ctx, fp);
        return st;
    }
    int64_t at = 0;
    for (int i = 0; i < np; i++) {
        int j = i;
        gc_module *h = gc_nn_find_param(m, &j);
        gc_tensor pv, gv;
        const int64_t n = gc_nn_numel(&h->param[j]);
        /* cannot fail: contiguous dims of a valid tensor over fresh memory */
        gc_tensor_wrap(&pv, dt, h->param[j].rank, h->param[j].dims, NULL, (char *)fp + at * esz);
        gc_tensor_wrap(&gv, dt, h->grad[j].rank, h->grad[j].dims, NULL, (char *)fg + at * esz);
        gc_tensor_copy(&h->param[j], &pv);
        gc_tensor_copy(&h->grad[j], &gv);
        gc_tensor_free(&h->param[j]);
        gc_tensor_free(&h->grad[j]);
        h->param[j] = pv;
        h->grad[j] = gv;
        at += n;
    }
    gc_nn_release(&m->flat_alloc, m->flat[0]);
    gc_nn_release(&m->flat_alloc, m->flat[1]);
    m->flat[0] = fp;
    m->flat[1] = fg;
    m->flat_alloc = *gc_ctx_allocator(ctx);
    gc_tensor_wrap(params, dt, 1, &total, NULL, fp);
    gc_tensor_wrap(grads, dt, 1, &total, NULL, fg);
    return GC_OK;
}
