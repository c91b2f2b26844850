/* nn_simple.c - the parameter-free elementwise and reshaping modules: nn.Identity, nn.View,
 * nn.ReLU, nn.MulConstant. */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

static gc_status gc_nn_create_check(gc_context *ctx, gc_module **out, const char *op)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "%s: out is NULL", op);
    *out = NULL;
    return GC_OK;
}

/* ---- Identity: out = in, grad_input = grad_output ---------------------------------------- */

static gc_status gc_id_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    (void)ctx;
    m->output = *in;
    return GC_OK;
}

static gc_status gc_id_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    (void)ctx;
    m->output = *in;
    return GC_OK;
}

static gc_status gc_id_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                      const gc_value *gout)
{
    (void)ctx, (void)in;
    m->grad_input = *gout;
    return GC_OK;
}

const gc_module_ops gc_nn_identity_ops = {"nn.Identity", gc_id_plan, gc_id_forward,
                                          gc_id_backward_input, NULL};

gc_status gc_identity_create(gc_context *ctx, gc_module **out)
{
    gc_status st = gc_nn_create_check(ctx, out, "identity_create");
    return st == GC_OK ? gc_nn_module_new(ctx, GC_NN_IDENTITY, &gc_nn_identity_ops, out) : st;
}

/* ---- View -------------------------------------------------------------------------------
 * Torch's nn.View: numElements = product of the sizes that are not -1. With numInputDims n
 * set, the last min(n, rank) input dims hold the view's elements and any dims before them
 * (and the remainder when no size is -1) make a batch dim; a batch of 1 is kept only when
 * the input has more than n dims. */

static gc_status gc_view_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    gc_status st = gc_nn_want_tensor(ctx, m, in, "input");
    if (st != GC_OK)
        return st;
    const gc_tensor *x = &in->t[0];
    const int ind = x->rank;
    int64_t nel = 1, total = 1;
    int has_free = 0;
    for (int i = 0; i < m->view_rank; i++) {
        if (m->view_dims[i] == -1)
            has_free = 1;
        else
            nel *= m->view_dims[i];
    }
    for (int i = 0; i < ind; i++)
        total *= x->dims[i];
    const int maxdim = m->view_ninput && m->view_ninput < ind ? m->view_ninput : ind;
    int64_t ine = 1;
    for (int i = ind - 1; i >= ind - maxdim; i--)
        ine *= x->dims[i];
    if (nel == 0 || ine % nel != 0)
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "nn.View: the input's last %d dims hold %lld elements, not a multiple of "
                       "the view's %lld",
                       maxdim, (long long)ine, (long long)nel);
    int64_t bsz = has_free ? 1 : ine / nel;
    for (int i = ind - maxdim - 1; i >= 0; i--)
        bsz *= x->dims[i];
    const int batch = !(bsz == 1 && (!m->view_ninput || ind <= m->view_ninput));
    int64_t dims[GC_MAX_RANK];
    int rank = 0;
    if (batch)
        dims[rank++] = bsz;
    if (rank + m->view_rank > GC_MAX_RANK)
        return gc_fail(ctx, GC_ERR_RANK, "nn.View: the batched view has more than %d dims",
                       GC_MAX_RANK);
    const int64_t known = nel * (batch ? bsz : 1);
    for (int i = 0; i < m->view_rank; i++)
        dims[rank++] = m->view_dims[i] == -1 ? (known ? total / known : 0) : m->view_dims[i];
    int64_t check = 1;
    for (int i = 0; i < rank; i++)
        check *= dims[i];
    if (check != total)
        return gc_fail(ctx, GC_ERR_SHAPE, "nn.View: %lld input elements do not fit the view",
                       (long long)total);
    m->output.is_table = 0;
    m->output.count = 1;
    gc_tensor *o = &m->output.t[0];
    memset(o, 0, sizeof *o);
    o->dtype = x->dtype;
    o->rank = rank;
    memcpy(o->dims, dims, sizeof(int64_t) * (size_t)rank);
    return GC_OK;
}

static gc_status gc_view_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    const gc_tensor *x = &in->t[0];
    if (!gc_tensor_is_contiguous(x))
        return gc_fail(ctx, GC_ERR_LAYOUT,
                       "nn.View: the input is not contiguous (as Torch's view, View needs it)");
    gc_tensor o;
    const gc_tensor *od = &m->output.t[0];
    gc_status st = gc_tensor_view(x, od->rank, od->dims, &o);
    if (st != GC_OK)
        return gc_fail(ctx, st, "nn.View: %s", gc_status_str(st));
    gc_nn_set_tensor(&m->output, &o);
    return GC_OK;
}

static gc_status gc_view_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                        const gc_value *gout)
{
    const gc_tensor *x = &in->t[0], *g = &gout->t[0];
    gc_tensor gi;
    if (gc_tensor_is_contiguous(g)) {
        gc_status st = gc_tensor_view(g, x->rank, x->dims, &gi);
        if (st != GC_OK)
            return gc_fail(ctx, st, "nn.View: %s", gc_status_str(st));
        gc_nn_set_tensor(&m->grad_input, &gi);
        return GC_OK;
    }
    /* a strided grad_output: copied into a buffer of the input's shape (made once) */
    gc_tensor *b = &m->gin_buf[0];
    gc_status st = GC_OK;
    if (!(b->owned_ && b->dtype == x->dtype && b->rank == x->rank &&
          memcmp(b->dims, x->dims, sizeof(int64_t) * (size_t)x->rank) == 0))
        st = gc_nn_buffer(ctx, b, x->dtype, x->rank, x->dims);
    gc_tensor bv;
    if (st == GC_OK)
        st = gc_tensor_view(b, g->rank, g->dims, &bv);
    if (st == GC_OK)
        st = gc_tensor_copy(g, &bv);
    if (st != GC_OK)
        return st;
    gc_nn_set_tensor(&m->grad_input, b);
    return GC_OK;
}

const gc_module_ops gc_nn_view_ops = {"nn.View", gc_view_plan, gc_view_forward,
                                      gc_view_backward_input, NULL};

gc_status gc_view_create(gc_context *ctx, int rank, const int64_t *dims, gc_module **out)
{
    gc_status st = gc_nn_create_check(ctx, out, "view_create");
    if (st != GC_OK)
        return st;
    if (!dims)
        return gc_fail(ctx, GC_ERR_NULL, "view_create: dims is NULL");
    if (rank < 1 || rank >= GC_MAX_RANK)
        return gc_fail(ctx, GC_ERR_RANK, "view_create: rank %d is outside 1..%d", rank,
                       GC_MAX_RANK - 1);
    int frees = 0;
    int64_t prod = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == -1) {
            frees++;
            continue;
        }
        if (dims[i] < 1)
            return gc_fail(ctx, GC_ERR_ARG, "view_create: size %lld (sizes are >= 1, or -1)",
                           (long long)dims[i]);
        if (!gc_mul_ok(prod, dims[i], &prod))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "view_create: the sizes' product overflows");
    }
    if (frees > 1)
        return gc_fail(ctx, GC_ERR_ARG, "view_create: at most one size may be -1");
    st = gc_nn_module_new(ctx, GC_NN_VIEW, &gc_nn_view_ops, out);
    if (st != GC_OK)
        return st;
    (*out)->view_rank = rank;
    memcpy((*out)->view_dims, dims, sizeof(int64_t) * (size_t)rank);
    return GC_OK;
}

gc_status gc_view_set_num_input_dims(gc_context *ctx, gc_module *view, int n)
{
    gc_clear_error(ctx);
    if (!view)
        return gc_fail(ctx, GC_ERR_NULL, "view_set_num_input_dims: view is NULL");
    if (view->kind != GC_NN_VIEW)
        return gc_fail(ctx, GC_ERR_ARG, "view_set_num_input_dims: %s is not an nn.View",
                       view->ops->name);
    if (n < 1 || n > GC_MAX_RANK)
        return gc_fail(ctx, GC_ERR_ARG, "view_set_num_input_dims: %d is outside 1..%d", n,
                       GC_MAX_RANK);
    view->view_ninput = n;
    view->sig.valid = 0;
    return GC_OK;
}

/* ---- ReLU and MulConstant: elementwise, output and grad_input buffers of the input's shape */

static gc_status gc_elem_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    gc_status st = gc_nn_want_tensor(ctx, m, in, "input");
    const gc_tensor *x = &in->t[0];
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->out_buf[0], x->dtype, x->rank, x->dims);
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->gin_buf[0], x->dtype, x->rank, x->dims);
    if (st == GC_OK)
        gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    return st;
}

/* Contiguous fast paths, one per dtype (loops the compiler vectorises):
 *   relu:  dst[i] = a[i] > 0 ? (b ? b[i] : a[i]) : 0        scale: dst[i] = c * a[i]  */
static void gc_relu_f32(float *dst, const float *a, const float *b, int64_t n)
{
    if (b)
        for (int64_t i = 0; i < n; i++)
            dst[i] = a[i] > 0.0f ? b[i] : 0.0f;
    else
        for (int64_t i = 0; i < n; i++)
            dst[i] = a[i] > 0.0f ? a[i] : 0.0f;
}
static void gc_relu_f64(double *dst, const double *a, const double *b, int64_t n)
{
    if (b)
        for (int64_t i = 0; i < n; i++)
            dst[i] = a[i] > 0.0 ? b[i] : 0.0;
    else
        for (int64_t i = 0; i < n; i++)
            dst[i] = a[i] > 0.0 ? a[i] : 0.0;
}
static void gc_scale_f32(float *dst, const float *a, double c, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)(c * (double)a[i]);
}
static void gc_scale_f64(double *dst, const double *a, double c, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = c * a[i];
}

/* dst (contiguous) [e] = f(a[e], b[e]) over the elements of a (b may be NULL): the fast
 * paths above for contiguous operands of one dtype, else a strided loop (the reference the
 * fast paths equal exactly). relu: 1 for ReLU (b: grad_output), 0 for scaling by c. */
static void gc_elem_run(gc_tensor *dst, const gc_tensor *a, const gc_tensor *b, int relu,
                        double c)
{
    const int64_t n = gc_nn_numel(dst);
    const int ca = gc_tensor_is_contiguous(a), cb = !b || gc_tensor_is_contiguous(b);
    if (ca && cb && a->dtype == dst->dtype && (!b || b->dtype == dst->dtype)) {
        const void *bd = b ? b->data : NULL;
        if (relu && dst->dtype == GC_DTYPE_F32)
            gc_relu_f32(dst->data, a->data, bd, n);
        else if (relu)
            gc_relu_f64(dst->data, a->data, bd, n);
        else if (dst->dtype == GC_DTYPE_F32)
            gc_scale_f32(dst->data, a->data, c, n);
        else
            gc_scale_f64(dst->data, a->data, c, n);
        return;
    }
    for (int64_t e = 0; e < n; e++) {
        const double x = gc_load(a->data, a->dtype, ca ? e : gc_nn_offset(a, e));
        double v;
        if (relu) {
            const double g = b ? gc_load(b->data, b->dtype, cb ? e : gc_nn_offset(b, e)) : x;
            v = x > 0 ? g : 0.0;
        } else {
            v = c * x;
        }
        gc_store(dst->data, dst->dtype, e, v);
    }
}

/* out = max(0, x) (x > 0 ? x : 0, as Torch's Threshold(0, 0): NaN gives 0) */
static gc_status gc_relu_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    (void)ctx;
    gc_elem_run(&m->out_buf[0], &in->t[0], NULL, 1, 0.0);
    gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    return GC_OK;
}

/* grad_input = input > 0 ? grad_output : 0 */
static gc_status gc_relu_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                        const gc_value *gout)
{
    (void)ctx;
    gc_elem_run(&m->gin_buf[0], &in->t[0], &gout->t[0], 1, 0.0);
    gc_nn_set_tensor(&m->grad_input, &m->gin_buf[0]);
    return GC_OK;
}

const gc_module_ops gc_nn_relu_ops = {"nn.ReLU", gc_elem_plan, gc_relu_forward,
                                      gc_relu_backward_input, NULL};

gc_status gc_relu_create(gc_context *ctx, gc_module **out)
{
    gc_status st = gc_nn_create_check(ctx, out, "relu_create");
    return st == GC_OK ? gc_nn_module_new(ctx, GC_NN_RELU, &gc_nn_relu_ops, out) : st;
}

static gc_status gc_mulc_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    (void)ctx;
    gc_elem_run(&m->out_buf[0], &in->t[0], NULL, 0, m->constant);
    gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    return GC_OK;
}

static gc_status gc_mulc_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                        const gc_value *gout)
{
    (void)ctx, (void)in;
    gc_elem_run(&m->gin_buf[0], &gout->t[0], NULL, 0, m->constant);
    gc_nn_set_tensor(&m->grad_input, &m->gin_buf[0]);
    return GC_OK;
}

const gc_module_ops gc_nn_mul_constant_ops = {"nn.MulConstant", gc_elem_plan, gc_mulc_forward,
                                              gc_mulc_backward_input, NULL};

gc_status gc_mul_constant_create(gc_context *ctx, double c, gc_module **out)
{
    gc_status st = gc_nn_create_check(ctx, out, "mul_constant_create");
    if (st != GC_OK)
        return st;
    if (!isfinite(c))
        return gc_fail(ctx, GC_ERR_ARG, "mul_constant_create: the constant must be finite");
    st = gc_nn_module_new(ctx, GC_NN_MUL_CONSTANT, &gc_nn_mul_constant_ops, out);
    if (st == GC_OK)
        (*out)->constant = c;
    return st;
}
