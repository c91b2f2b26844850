/* test_nn.c - the nn layer: the seed's Gram network built from modules against gc_gram
 * (forward and backward, float64 and float32, batch-less and batch-of-one input), View's
 * setNumInputDims rule, pooling on PyTorch goldens (Torch7's ceil/pad/count_include_pad rules),
 * finite-difference gradients (float64) for every module and criterion and for a whole network
 * conv -> ReLU -> pool -> conv -> Gram -> loss w.r.t. input and parameters, the fused style loss
 * against Gram + MSE, accumulation with scale, flattened parameters, zero allocations in the
 * steady state (counting allocator), allocation-failure injection, and refusals.
 *
 * Finite differences: central, h = 1e-6, float64; the error of a central difference of a
 * smooth function is O(h^2 |f'''|) + O(eps |f| / h) ~ 1e-9 here, so |num - ana| must be below
 * 1e-6 * (1 + |ana|). */
#include "gc_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gc_context *mkctx(int threads)
{
    gc_context *c = NULL;
    gc_context_create(&c);
    gc_context_set_threads(c, threads);
    return c;
}

static void rnd(gc_tensor *t, gc_dtype dt, int rank, const int64_t *dims, gc_rng *r)
{
    GC_CHECK_OK(gc_tensor_create(NULL, t, dt, rank, dims));
    gc_test_fill(t, r, 0);
}

static int64_t numel(const gc_tensor *t)
{
    int64_t n = 0;
    gc_tensor_numel(t, &n);
    return n;
}

/* offset of the e-th element in C order */
static int64_t off_of(const gc_tensor *t, int64_t e)
{
    int64_t off = 0;
    for (int i = t->rank - 1; i >= 0; i--) {
        off += (e % t->dims[i]) * t->strides[i];
        e /= t->dims[i];
    }
    return off;
}
static double tget(const gc_tensor *t, int64_t e)
{
    const int64_t o = off_of(t, e);
    return t->dtype == GC_DTYPE_F32 ? ((float *)t->data)[o] : ((double *)t->data)[o];
}
static void tset(gc_tensor *t, int64_t e, double v)
{
    const int64_t o = off_of(t, e);
    if (t->dtype == GC_DTYPE_F32)
        ((float *)t->data)[o] = (float)v;
    else
        ((double *)t->data)[o] = v;
}
static double dot(const gc_tensor *a, const gc_tensor *b)
{
    double s = 0.0;
    for (int64_t e = 0; e < numel(a); e++)
        s += tget(a, e) * tget(b, e);
    return s;
}

/* ---- finite differences --------------------------------------------------------------- */

/* L = sum_i <out_i, R_i> */
static double mod_loss(gc_context *ctx, gc_module *m, const gc_value *in, const gc_value *r)
{
    const gc_value *out = NULL;
    if (gc_module_forward(ctx, m, in, &out) != GC_OK)
        return NAN;
    double s = 0.0;
    for (int i = 0; i < out->count; i++)
        s += dot(&out->t[i], &r->t[i]);
    return s;
}

static double fd_err(double num, double ana) { return fabs(num - ana) / (1.0 + fabs(ana)); }

/* Check grad_input and every parameter gradient of m at `in` (float64 tensors the test owns;
 * table entries must not share memory) against central differences. */
static void fd_module(gc_context *ctx, gc_module *m, gc_value *in, const char *label)
{
    const double h = 1e-6, tol = 1e-6;
    gc_rng rng = {99};
    const gc_value *out = NULL;
    GC_CHECK_OK(gc_module_forward(ctx, m, in, &out));
    if (!out)
        return;
    gc_tensor rt[GC_TABLE_MAX];
    gc_value r = *out;
    for (int i = 0; i < out->count; i++) {
        rnd(&rt[i], GC_DTYPE_F64, out->t[i].rank, out->t[i].dims, &rng);
        r.t[i] = rt[i];
        r.t[i].owned_ = NULL;
    }
    GC_CHECK_OK(gc_module_zero_grad_parameters(m));
    const gc_value *gin = NULL;
    GC_CHECK_OK(gc_module_backward(ctx, m, in, &r, 1.0, &gin));
    gc_tensor ana[GC_TABLE_MAX], pgrad[16];
    const int np = gc_module_num_parameters(m);
    GC_CHECK(np <= 16);
    for (int i = 0; gin && i < in->count; i++)
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &gin->t[i], &ana[i]));
    for (int i = 0; i < np && i < 16; i++) {
        gc_tensor g;
        GC_CHECK_OK(gc_module_parameter(m, i, NULL, &g));
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &g, &pgrad[i]));
    }
    double worst = 0.0;
    for (int j = 0; gin && j < in->count; j++)
        for (int64_t e = 0; e < numel(&in->t[j]); e++) {
            const double x0 = tget(&in->t[j], e);
            tset(&in->t[j], e, x0 + h);
            const double lp = mod_loss(ctx, m, in, &r);
            tset(&in->t[j], e, x0 - h);
            const double lm = mod_loss(ctx, m, in, &r);
            tset(&in->t[j], e, x0);
            const double err = fd_err((lp - lm) / (2 * h), tget(&ana[j], e));
            worst = err > worst || isnan(err) ? err : worst;
        }
    GC_CHECK_MSG(worst < tol, "%s: grad_input off by %g", label, worst);
    worst = 0.0;
    for (int i = 0; i < np && i < 16; i++) {
        gc_tensor p;
        GC_CHECK_OK(gc_module_parameter(m, i, &p, NULL));
        for (int64_t e = 0; e < numel(&p); e++) {
            const double x0 = tget(&p, e);
            tset(&p, e, x0 + h);
            const double lp = mod_loss(ctx, m, in, &r);
            tset(&p, e, x0 - h);
            const double lm = mod_loss(ctx, m, in, &r);
            tset(&p, e, x0);
            const double err = fd_err((lp - lm) / (2 * h), tget(&pgrad[i], e));
            worst = err > worst || isnan(err) ? err : worst;
        }
    }
    GC_CHECK_MSG(worst < tol, "%s: parameter gradients off by %g", label, worst);
    for (int i = 0; i < out->count; i++)
        gc_tensor_free(&rt[i]);
    for (int i = 0; gin && i < in->count; i++)
        gc_tensor_free(&ana[i]);
    for (int i = 0; i < np && i < 16; i++)
        gc_tensor_free(&pgrad[i]);
}

/* FD of one module on one fresh random float64 tensor input. */
static void fd_tensor_input(gc_module *m, int rank, const int64_t *dims, const char *label)
{
    gc_context *ctx = mkctx(2);
    gc_rng rng = {7};
    gc_tensor x;
    rnd(&x, GC_DTYPE_F64, rank, dims, &rng);
    gc_value in = gc_value_tensor(&x);
    fd_module(ctx, m, &in, label);
    gc_tensor_free(&x);
    gc_module_free(m);
    gc_context_free(ctx);
}

/* ---- the seed's network ------------------------------------------------------------------ */

/* Sequential(View(-1):setNumInputDims(2), ConcatTable(Identity, Identity), MM(false, true)) */
static gc_module *seed_net(gc_context *ctx)
{
    gc_module *net = NULL, *view = NULL, *cat = NULL, *a = NULL, *b = NULL, *mm = NULL;
    const int64_t minus1 = -1;
    GC_CHECK_OK(gc_sequential_create(ctx, &net));
    GC_CHECK_OK(gc_view_create(ctx, 1, &minus1, &view));
    GC_CHECK_OK(gc_view_set_num_input_dims(ctx, view, 2));
    GC_CHECK_OK(gc_concat_table_create(ctx, &cat));
    GC_CHECK_OK(gc_identity_create(ctx, &a));
    GC_CHECK_OK(gc_identity_create(ctx, &b));
    GC_CHECK_OK(gc_module_add(ctx, cat, a));
    GC_CHECK_OK(gc_module_add(ctx, cat, b));
    GC_CHECK_OK(gc_mm_create(ctx, 0, 1, &mm));
    GC_CHECK_OK(gc_module_add(ctx, net, view));
    GC_CHECK_OK(gc_module_add(ctx, net, cat));
    GC_CHECK_OK(gc_module_add(ctx, net, mm));
    return net;
}

static void seed_case(gc_dtype dt, int64_t c, int64_t h, int64_t w)
{
    gc_context *ctx = mkctx(2);
    gc_module *net = seed_net(ctx);
    gc_rng rng = {(unsigned long long)(c * 100 + h * 10 + w)};
    const int64_t xd[3] = {c, h, w}, gd[2] = {c, c};
    gc_tensor x, dg, g, gx;
    rnd(&x, dt, 3, xd, &rng);
    rnd(&dg, dt, 2, gd, &rng); /* not symmetric */
    GC_CHECK_OK(gc_tensor_create(NULL, &g, dt, 2, gd));
    GC_CHECK_OK(gc_tensor_create(NULL, &gx, dt, 3, xd));
    gc_gram_desc desc = gc_gram_desc_default();
    desc.norm = GC_GRAM_NORM_NONE;
    GC_CHECK_OK(gc_gram_forward(ctx, &desc, &x, &g));
    GC_CHECK_OK(gc_gram_backward(ctx, &desc, &x, &dg, &gx));
    gc_value in = gc_value_tensor(&x), gout = gc_value_tensor(&dg);
    const gc_value *out = NULL, *gin = NULL;
    for (int rep = 0; rep < 2; rep++) { /* the second pass runs on the planned buffers */
        GC_CHECK_OK(gc_module_forward(ctx, net, &in, &out));
        GC_CHECK_OK(gc_module_backward(ctx, net, &in, &gout, 1.0, &gin));
        if (!out || !gin)
            break;
        GC_CHECK(!out->is_table && out->t[0].rank == 2 && out->t[0].dims[0] == c &&
                 out->t[0].dims[1] == c);
        GC_CHECK(!gin->is_table && gin->t[0].rank == 3 && gin->t[0].dims[0] == c &&
                 gin->t[0].dims[1] == h && gin->t[0].dims[2] == w);
        /* G: sums of K = h*w products of |x| < 1: error <= ~K eps K (4x slack); dF: sums of
         * C products of |dG_ij + dG_ji| < 2 and |F| < 1: <= ~C eps 2C (4x slack) */
        const double eps = dt == GC_DTYPE_F32 ? 6e-8 : 1.2e-16;
        const double k = (double)(h * w), tol_g = 4 * k * eps * k;
        const double tol_b = 4 * (double)c * eps * 2 * (double)c;
        GC_CHECK_MSG(gc_test_max_abs_diff(&out->t[0], &g) <= tol_g,
                     "C=%lld H=%lld W=%lld forward %g", (long long)c, (long long)h, (long long)w,
                     gc_test_max_abs_diff(&out->t[0], &g));
        GC_CHECK_MSG(gc_test_max_abs_diff(&gin->t[0], &gx) <= tol_b, "backward %g",
                     gc_test_max_abs_diff(&gin->t[0], &gx));
    }
    gc_tensor_free(&x);
    gc_tensor_free(&dg);
    gc_tensor_free(&g);
    gc_tensor_free(&gx);
    gc_module_free(net);
    gc_context_free(ctx);
}

static void test_nn_seed_network_equals_gram(void)
{
    seed_case(GC_DTYPE_F64, 2, 1, 2);
    seed_case(GC_DTYPE_F64, 5, 7, 3);
    seed_case(GC_DTYPE_F64, 17, 9, 11);
    seed_case(GC_DTYPE_F32, 5, 7, 3);
    seed_case(GC_DTYPE_F32, 17, 9, 11);
    /* the seed's own numbers: rows [1, 5] and [3, 4] as 2 x 1 x 2 -> [[26, 23], [23, 25]] */
    gc_context *ctx = mkctx(1);
    gc_module *net = seed_net(ctx);
    double v[4] = {1, 5, 3, 4}, dgv[4] = {1, 0, 0, 0};
    const int64_t xd[3] = {2, 1, 2}, gd[2] = {2, 2};
    gc_tensor x, dg;
    gc_tensor_wrap(&x, GC_DTYPE_F64, 3, xd, NULL, v);
    gc_tensor_wrap(&dg, GC_DTYPE_F64, 2, gd, NULL, dgv);
    gc_value in = gc_value_tensor(&x), gout = gc_value_tensor(&dg);
    const gc_value *out = NULL, *gin = NULL;
    GC_CHECK_OK(gc_module_forward(ctx, net, &in, &out));
    if (out) {
        const double *gv = out->t[0].data;
        GC_CHECK(gv[0] == 26 && gv[1] == 23 && gv[2] == 23 && gv[3] == 25);
    }
    /* dG = e00: dF = (dG + dG^T) F = [[2, 10], [0, 0]] */
    GC_CHECK_OK(gc_module_backward(ctx, net, &in, &gout, 1.0, &gin));
    if (gin) {
        const double *g = gin->t[0].data;
        GC_CHECK(g[0] == 2 && g[1] == 10 && g[2] == 0 && g[3] == 0);
    }
    gc_module_free(net);
    gc_context_free(ctx);
}

/* a batch of one keeps its batch dim (Torch's View rule): 1 x H x W -> 1 x HW -> G 1 x 1 */
static void test_nn_seed_network_batch_of_one(void)
{
    gc_context *ctx = mkctx(1);
    gc_module *net = seed_net(ctx);
    gc_rng rng = {3};
    const int64_t xd[3] = {1, 4, 5};
    gc_tensor x;
    rnd(&x, GC_DTYPE_F64, 3, xd, &rng);
    gc_value in = gc_value_tensor(&x);
    const gc_value *out = NULL;
    GC_CHECK_OK(gc_module_forward(ctx, net, &in, &out));
    if (out) {
        GC_CHECK(out->t[0].rank == 2 && out->t[0].dims[0] == 1 && out->t[0].dims[1] == 1);
        double s = 0;
        for (int64_t e = 0; e < 20; e++)
            s += tget(&x, e) * tget(&x, e);
        GC_CHECK(fabs(((double *)out->t[0].data)[0] - s) < 1e-14 * 20);
    }
    gc_tensor_free(&x);
    gc_module_free(net);
    gc_context_free(ctx);
}

/* ---- View --------------------------------------------------------------------------------- */

static void view_case(int vr, const int64_t *vd, int ninput, int rank, const int64_t *dims,
                      int want_rank, const int64_t *want)
{
    gc_context *ctx = mkctx(1);
    gc_module *v = NULL;
    GC_CHECK_OK(gc_view_create(ctx, vr, vd, &v));
    if (ninput)
        GC_CHECK_OK(gc_view_set_num_input_dims(ctx, v, ninput));
    double data[256] = {0};
    gc_tensor x;
    GC_CHECK_OK(gc_tensor_wrap(&x, GC_DTYPE_F64, rank, dims, NULL, data));
    gc_value in = gc_value_tensor(&x);
    const gc_value *out = NULL;
    GC_CHECK_OK(gc_module_forward(ctx, v, &in, &out));
    if (out) {
        int ok = out->t[0].rank == want_rank && out->t[0].data == (void *)data;
        for (int i = 0; ok && i < want_rank; i++)
            ok = out->t[0].dims[i] == want[i];
        GC_CHECK_MSG(ok, "view of rank %d input -> rank %d", rank, out->t[0].rank);
    }
    gc_module_free(v);
    gc_context_free(ctx);
}

static void test_nn_view_rules(void)
{
    const int64_t m1[1] = {-1}, two_m1[2] = {2, -1}, six[1] = {6};
    view_case(1, m1, 2, 3, (int64_t[]){3, 4, 5}, 2, (int64_t[]){3, 20});
    view_case(1, m1, 2, 2, (int64_t[]){4, 5}, 1, (int64_t[]){20});
    view_case(1, m1, 2, 3, (int64_t[]){1, 4, 5}, 2, (int64_t[]){1, 20});
    view_case(1, m1, 2, 4, (int64_t[]){2, 3, 4, 5}, 2, (int64_t[]){6, 20});
    view_case(1, m1, 0, 3, (int64_t[]){3, 4, 5}, 1, (int64_t[]){60});
    view_case(2, two_m1, 0, 2, (int64_t[]){4, 3}, 2, (int64_t[]){2, 6});
    view_case(1, six, 2, 2, (int64_t[]){2, 3}, 1, (int64_t[]){6});
    view_case(1, six, 2, 3, (int64_t[]){4, 2, 3}, 2, (int64_t[]){4, 6});
    view_case(1, six, 0, 3, (int64_t[]){4, 2, 3}, 2, (int64_t[]){4, 6}); /* remainder: batch */
    /* refusals: elements that do not fit, a non-contiguous input */
    gc_context *ctx = mkctx(1);
    gc_module *v = NULL;
    GC_CHECK_OK(gc_view_create(ctx, 1, (int64_t[]){7}, &v));
    double data[64] = {0};
    gc_tensor x, xt;
    gc_tensor_wrap(&x, GC_DTYPE_F64, 2, (int64_t[]){4, 5}, NULL, data);
    gc_value in = gc_value_tensor(&x);
    const gc_value *out = NULL;
    GC_CHECK_STATUS(gc_module_forward(ctx, v, &in, &out), GC_ERR_SHAPE);
    GC_CHECK(out == NULL);
    gc_module_free(v);
    GC_CHECK_OK(gc_view_create(ctx, 1, m1, &v));
    gc_tensor_transpose(&x, 0, 1, &xt);
    in = gc_value_tensor(&xt);
    GC_CHECK_STATUS(gc_module_forward(ctx, v, &in, &out), GC_ERR_LAYOUT);
    gc_module_free(v);
    gc_context_free(ctx);
}

/* ---- per-module finite differences -------------------------------------------------------- */

static void test_nn_fd_conv(void)
{
    gc_context *ctx = mkctx(1);
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.stride[0] = 2, d.pad[0] = 1, d.pad[1] = 2;
    gc_module *m = NULL;
    GC_CHECK_OK(gc_spatial_convolution_create(ctx, GC_DTYPE_F64, 3, 4, 3, 2, &d, 1, &m));
    GC_CHECK(gc_module_num_parameters(m) == 2);
    fd_tensor_input(m, 4, (int64_t[]){2, 3, 7, 6}, "conv stride 2 pad 1,2 bias batch 2");
    d = gc_conv2d_desc_default();
    d.groups = 2, d.dilation[1] = 2;
    GC_CHECK_OK(gc_spatial_convolution_create(ctx, GC_DTYPE_F64, 4, 2, 2, 3, &d, 0, &m));
    GC_CHECK(gc_module_num_parameters(m) == 1);
    fd_tensor_input(m, 3, (int64_t[]){4, 5, 8}, "conv groups 2 dilation 2 no bias");
    gc_context_free(ctx);
}

/* the contiguous fast paths of ReLU and MulConstant equal the strided loop exactly */
static void test_nn_elementwise_strided(void)
{
    gc_rng rng = {17};
    for (int dt = 0; dt < 2; dt++) {
        const gc_dtype dtype = dt ? GC_DTYPE_F64 : GC_DTYPE_F32;
        const int64_t d[3] = {3, 7, 5};
        gc_tensor x, xt, xc, g, gc;
        rnd(&x, dtype, 3, d, &rng);
        rnd(&g, dtype, 3, (int64_t[]){3, 5, 7}, &rng);
        GC_CHECK_OK(gc_tensor_transpose(&x, 1, 2, &xt)); /* 3 x 5 x 7, strided */
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &xt, &xc));
        gc_tensor gbase, gs; /* grad_output g (3 x 5 x 7) and a strided copy of it */
        rnd(&gbase, dtype, 3, d, &rng);
        GC_CHECK_OK(gc_tensor_transpose(&gbase, 1, 2, &gs));
        GC_CHECK_OK(gc_tensor_copy(&g, &gs));
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &gs, &gc));
        for (int kind = 0; kind < 2; kind++) {
            gc_module *a = NULL, *b = NULL;
            if (kind == 0) {
                GC_CHECK_OK(gc_relu_create(NULL, &a));
                GC_CHECK_OK(gc_relu_create(NULL, &b));
            } else {
                GC_CHECK_OK(gc_mul_constant_create(NULL, 0.3, &a));
                GC_CHECK_OK(gc_mul_constant_create(NULL, 0.3, &b));
            }
            gc_value vs = gc_value_tensor(&xt), vc = gc_value_tensor(&xc);
            gc_value ggs = gc_value_tensor(&gs), ggc = gc_value_tensor(&gc);
            const gc_value *os = NULL, *oc = NULL, *is = NULL, *ic = NULL;
            GC_CHECK_OK(gc_module_forward(NULL, a, &vs, &os));
            GC_CHECK_OK(gc_module_forward(NULL, b, &vc, &oc));
            GC_CHECK_OK(gc_module_backward(NULL, a, &vs, &ggs, 1.0, &is));
            GC_CHECK_OK(gc_module_backward(NULL, b, &vc, &ggc, 1.0, &ic));
            if (os && oc && is && ic) {
                GC_CHECK(gc_test_max_abs_diff(&os->t[0], &oc->t[0]) == 0.0);
                GC_CHECK(gc_test_max_abs_diff(&is->t[0], &ic->t[0]) == 0.0);
                GC_CHECK(gc_test_max_abs_diff(&os->t[0], &xc) > 0.0); /* it did something */
            }
            gc_module_free(a);
            gc_module_free(b);
        }
        gc_tensor_free(&x);
        gc_tensor_free(&xc);
        gc_tensor_free(&g);
        gc_tensor_free(&gbase);
        gc_tensor_free(&gc);
    }
}

static void test_nn_fd_elementwise(void)
{
    gc_module *m = NULL;
    GC_CHECK_OK(gc_relu_create(NULL, &m));
    fd_tensor_input(m, 3, (int64_t[]){3, 5, 4}, "relu");
    GC_CHECK_OK(gc_mul_constant_create(NULL, -2.5, &m));
    fd_tensor_input(m, 2, (int64_t[]){3, 7}, "mulconstant");
    GC_CHECK_OK(gc_identity_create(NULL, &m));
    fd_tensor_input(m, 1, (int64_t[]){9}, "identity");
    GC_CHECK_OK(gc_view_create(NULL, 2, (int64_t[]){-1, 3}, &m));
    fd_tensor_input(m, 3, (int64_t[]){2, 3, 4}, "view");
}

static void test_nn_fd_pooling(void)
{
    for (int ceil_mode = 0; ceil_mode < 2; ceil_mode++) {
        gc_pool2d_desc d = gc_pool2d_desc_default(3, 2);
        d.stride[0] = 2, d.stride[1] = 1, d.pad[0] = 1, d.pad[1] = 1, d.ceil_mode = ceil_mode;
        gc_module *m = NULL;
        GC_CHECK_OK(gc_spatial_max_pooling_create(NULL, &d, &m));
        fd_tensor_input(m, 4, (int64_t[]){2, 2, 6, 5}, "max pooling");
        for (int inc = 0; inc < 2; inc++) {
            d.count_include_pad = inc;
            GC_CHECK_OK(gc_spatial_average_pooling_create(NULL, &d, &m));
            fd_tensor_input(m, 3, (int64_t[]){3, 6, 5}, "average pooling");
        }
    }
}

static void test_nn_fd_gram_and_mm(void)
{
    const gc_gram_norm norms[3] = {GC_GRAM_NORM_NONE, GC_GRAM_NORM_HW, GC_GRAM_NORM_CHW};
    for (int n = 0; n < 3; n++)
        for (int center = 0; center < 2; center++) {
            gc_gram_desc g = gc_gram_desc_default();
            g.norm = norms[n], g.center = center, g.scale = 0.7;
            gc_module *m = NULL;
            GC_CHECK_OK(gc_gram_matrix_create(NULL, &g, &m));
            fd_tensor_input(m, n == 2 ? 4 : 3, (int64_t[]){2, 3, 4, 5}, "gram");
        }
    gc_context *ctx = mkctx(1);
    gc_rng rng = {11};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int batched = 0; batched < 2; batched++) {
                /* op(A): 3 x 4, op(B): 4 x 5 */
                int64_t ad[3] = {2, ta ? 4 : 3, ta ? 3 : 4}, bd[3] = {2, tb ? 5 : 4, tb ? 4 : 5};
                gc_tensor t[2];
                rnd(&t[0], GC_DTYPE_F64, 2 + batched, batched ? ad : ad + 1, &rng);
                rnd(&t[1], GC_DTYPE_F64, 2 + batched, batched ? bd : bd + 1, &rng);
                gc_value in;
                GC_CHECK_OK(gc_value_table(&in, 2, t));
                gc_module *m = NULL;
                GC_CHECK_OK(gc_mm_create(ctx, ta, tb, &m));
                const gc_value *out = NULL;
                GC_CHECK_OK(gc_module_forward(ctx, m, &in, &out));
                if (out) { /* against a plain product */
                    const gc_tensor *a = &t[0], *b = &t[1], *c = &out->t[0];
                    double worst = 0;
                    for (int64_t bi = 0; bi < (batched ? 2 : 1); bi++)
                        for (int64_t i = 0; i < 3; i++)
                            for (int64_t j = 0; j < 5; j++) {
                                double s = 0;
                                for (int64_t k = 0; k < 4; k++) {
                                    const int64_t ai = ta ? k * 3 + i : i * 4 + k;
                                    const int64_t bi2 = tb ? j * 4 + k : k * 5 + j;
                                    s += tget(a, bi * 12 + ai) * tget(b, bi * 20 + bi2);
                                }
                                const double d = fabs(s - tget(c, bi * 15 + i * 5 + j));
                                worst = d > worst ? d : worst;
                            }
                    GC_CHECK(worst < 1e-14);
                }
                fd_module(ctx, m, &in, "mm");
                gc_module_free(m);
                gc_tensor_free(&t[0]);
                gc_tensor_free(&t[1]);
            }
    gc_context_free(ctx);
}

static void test_nn_fd_containers(void)
{
    /* ConcatTable(MulConstant(2), ReLU) then MM(true, false) over the pair, in a Sequential */
    gc_context *ctx = mkctx(1);
    gc_module *seq = NULL, *cat = NULL, *a = NULL, *b = NULL, *mm = NULL;
    GC_CHECK_OK(gc_sequential_create(ctx, &seq));
    GC_CHECK_OK(gc_concat_table_create(ctx, &cat));
    GC_CHECK_OK(gc_mul_constant_create(ctx, 2.0, &a));
    GC_CHECK_OK(gc_relu_create(ctx, &b));
    GC_CHECK_OK(gc_module_add(ctx, cat, a));
    GC_CHECK_OK(gc_module_add(ctx, cat, b));
    GC_CHECK_OK(gc_mm_create(ctx, 1, 0, &mm));
    GC_CHECK_OK(gc_module_add(ctx, seq, cat));
    GC_CHECK_OK(gc_module_add(ctx, seq, mm));
    fd_tensor_input(seq, 2, (int64_t[]){4, 3}, "sequential(concat(mulconstant, relu), mm)");
    gc_context_free(ctx);
}

/* ---- criteria ----------------------------------------------------------------------------- */

static void fd_criterion(gc_criterion *c, gc_tensor *x, const gc_tensor *t, const char *label)
{
    gc_context *ctx = mkctx(2);
    const double h = 1e-6;
    const gc_tensor *g = NULL;
    GC_CHECK_OK(gc_criterion_backward(ctx, c, x, t, &g));
    if (!g) {
        gc_context_free(ctx);
        return;
    }
    gc_tensor ana;
    GC_CHECK_OK(gc_tensor_contiguous(NULL, g, &ana));
    double worst = 0.0;
    for (int64_t e = 0; e < numel(x); e++) {
        const double x0 = tget(x, e);
        double lp = NAN, lm = NAN;
        tset(x, e, x0 + h);
        GC_CHECK_OK(gc_criterion_forward(ctx, c, x, t, &lp));
        tset(x, e, x0 - h);
        GC_CHECK_OK(gc_criterion_forward(ctx, c, x, t, &lm));
        tset(x, e, x0);
        const double err = fd_err((lp - lm) / (2 * h), tget(&ana, e));
        worst = err > worst || isnan(err) ? err : worst;
    }
    GC_CHECK_MSG(worst < 1e-6, "%s: gradient off by %g", label, worst);
    gc_tensor_free(&ana);
    gc_criterion_free(c);
    gc_context_free(ctx);
}

static void test_nn_fd_criteria(void)
{
    gc_rng rng = {5};
    const int64_t xd[3] = {3, 4, 5}, gd[2] = {3, 3};
    gc_tensor x, t, tg;
    rnd(&x, GC_DTYPE_F64, 3, xd, &rng);
    rnd(&t, GC_DTYPE_F64, 3, xd, &rng);
    rnd(&tg, GC_DTYPE_F64, 2, gd, &rng);
    gc_criterion *c = NULL;
    for (int avg = 0; avg < 2; avg++) {
        GC_CHECK_OK(gc_mse_criterion_create(NULL, avg, &c));
        fd_criterion(c, &x, &t, "mse");
    }
    GC_CHECK_OK(gc_content_loss_create(NULL, 3.5, &c));
    fd_criterion(c, &x, &t, "content");
    GC_CHECK_OK(gc_tv_loss_create(NULL, 0.25, &c));
    fd_criterion(c, &x, NULL, "tv");
    gc_gram_desc g = gc_gram_desc_default();
    g.norm = GC_GRAM_NORM_CHW;
    GC_CHECK_OK(gc_style_loss_create(NULL, &g, 40.0, &c));
    fd_criterion(c, &x, &tg, "style");
    /* known values: MSE of (x - t) = 1 everywhere is 1 (mean) or 60 (sum); TV of a ramp */
    gc_context *ctx = mkctx(1);
    for (int64_t e = 0; e < 60; e++)
        tset(&t, e, tget(&x, e) - 1.0);
    double loss = 0;
    GC_CHECK_OK(gc_mse_criterion_create(ctx, 1, &c));
    GC_CHECK_OK(gc_criterion_forward(ctx, c, &x, &t, &loss));
    GC_CHECK(fabs(loss - 1.0) < 1e-14);
    gc_criterion_free(c);
    GC_CHECK_OK(gc_mse_criterion_create(ctx, 0, &c));
    GC_CHECK_OK(gc_criterion_forward(ctx, c, &x, &t, &loss));
    GC_CHECK(fabs(loss - 60.0) < 1e-12);
    gc_criterion_free(c);
    for (int64_t e = 0; e < 60; e++) /* v = x index (w): dx = -1, dy = 0 */
        tset(&x, e, (double)(e % 5));
    GC_CHECK_OK(gc_tv_loss_create(ctx, 2.0, &c));
    GC_CHECK_OK(gc_criterion_forward(ctx, c, &x, NULL, &loss));
    GC_CHECK(fabs(loss - 3 * 3 * 4) < 1e-12); /* 2/2 * (3 planes * 3 rows * 4 columns) * 1 */
    gc_criterion_free(c);
    gc_context_free(ctx);
    gc_tensor_free(&x);
    gc_tensor_free(&t);
    gc_tensor_free(&tg);
}

/* ---- a whole network ---------------------------------------------------------------------- */

static gc_module *small_net_dt(gc_context *ctx, gc_dtype dt, int with_gram,
                               const gc_gram_desc *g);
/* conv(3->4, 3x3, pad 1) -> ReLU -> max pool 2x2 (ceil) -> conv(4->5, 2x3) [-> GramMatrix] */
static gc_module *small_net(gc_context *ctx, int with_gram, const gc_gram_desc *g)
{
    return small_net_dt(ctx, GC_DTYPE_F64, with_gram, g);
}

static gc_module *small_net_dt(gc_context *ctx, gc_dtype dt, int with_gram,
                               const gc_gram_desc *g)
{
    gc_module *net = NULL, *m = NULL;
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = d.pad[1] = 1;
    gc_pool2d_desc p = gc_pool2d_desc_default(2, 2);
    p.ceil_mode = 1;
    GC_CHECK_OK(gc_sequential_create(ctx, &net));
    gc_spatial_convolution_create(ctx, dt, 3, 4, 3, 3, &d, 1, &m);
    GC_CHECK_OK(gc_module_add(ctx, net, m));
    gc_relu_create(ctx, &m);
    GC_CHECK_OK(gc_module_add(ctx, net, m));
    gc_spatial_max_pooling_create(ctx, &p, &m);
    GC_CHECK_OK(gc_module_add(ctx, net, m));
    gc_spatial_convolution_create(ctx, dt, 4, 5, 2, 3, NULL, 1, &m);
    GC_CHECK_OK(gc_module_add(ctx, net, m));
    if (with_gram) {
        gc_gram_matrix_create(ctx, g, &m);
        GC_CHECK_OK(gc_module_add(ctx, net, m));
    }
    return net;
}

/* L = crit(net(x), target); dL/dx and dL/dparams (zeroed first) */
static double net_loss(gc_context *ctx, gc_module *net, gc_criterion *c, gc_value *in,
                       const gc_tensor *target, const gc_value **gin)
{
    const gc_value *out = NULL;
    double loss = NAN;
    GC_CHECK_OK(gc_module_forward(ctx, net, in, &out));
    if (!out)
        return NAN;
    GC_CHECK_OK(gc_criterion_forward(ctx, c, &out->t[0], target, &loss));
    if (gin) {
        const gc_tensor *g = NULL;
        GC_CHECK_OK(gc_criterion_backward(ctx, c, &out->t[0], target, &g));
        if (!g)
            return NAN;
        gc_value gv = gc_value_tensor(g);
        GC_CHECK_OK(gc_module_zero_grad_parameters(net));
        GC_CHECK_OK(gc_module_backward(ctx, net, in, &gv, 1.0, gin));
    }
    return loss;
}

static void test_nn_fd_network(void)
{
    gc_context *ctx = mkctx(2);
    gc_rng rng = {21};
    gc_gram_desc g = gc_gram_desc_default();
    gc_module *net = small_net(ctx, 1, &g);
    const int64_t xd[4] = {1, 3, 8, 9}, gd[3] = {1, 5, 5};
    gc_tensor x, target, dx, pgrad[4];
    rnd(&x, GC_DTYPE_F64, 4, xd, &rng);
    rnd(&target, GC_DTYPE_F64, 3, gd, &rng);
    gc_criterion *mse = NULL;
    GC_CHECK_OK(gc_mse_criterion_create(ctx, 1, &mse));
    gc_value in = gc_value_tensor(&x);
    const gc_value *gin = NULL;
    const double l0 = net_loss(ctx, net, mse, &in, &target, &gin);
    GC_CHECK(isfinite(l0) && gin);
    if (!gin)
        return;
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &gin->t[0], &dx));
    GC_CHECK(gc_module_num_parameters(net) == 4);
    for (int i = 0; i < 4; i++) {
        gc_tensor gv;
        GC_CHECK_OK(gc_module_parameter(net, i, NULL, &gv));
        GC_CHECK_OK(gc_tensor_contiguous(NULL, &gv, &pgrad[i]));
    }
    const double h = 1e-6;
    double worst = 0.0;
    for (int64_t e = 0; e < numel(&x); e++) {
        const double x0 = tget(&x, e);
        tset(&x, e, x0 + h);
        const double lp = net_loss(ctx, net, mse, &in, &target, NULL);
        tset(&x, e, x0 - h);
        const double lm = net_loss(ctx, net, mse, &in, &target, NULL);
        tset(&x, e, x0);
        const double err = fd_err((lp - lm) / (2 * h), tget(&dx, e));
        worst = err > worst || isnan(err) ? err : worst;
    }
    GC_CHECK_MSG(worst < 1e-6, "network: dL/dx off by %g", worst);
    worst = 0.0;
    for (int i = 0; i < 4; i++) {
        gc_tensor p;
        GC_CHECK_OK(gc_module_parameter(net, i, &p, NULL));
        for (int64_t e = 0; e < numel(&p); e++) {
            const double x0 = tget(&p, e);
            tset(&p, e, x0 + h);
            const double lp = net_loss(ctx, net, mse, &in, &target, NULL);
            tset(&p, e, x0 - h);
            const double lm = net_loss(ctx, net, mse, &in, &target, NULL);
            tset(&p, e, x0);
            const double err = fd_err((lp - lm) / (2 * h), tget(&pgrad[i], e));
            worst = err > worst || isnan(err) ? err : worst;
        }
    }
    GC_CHECK_MSG(worst < 1e-6, "network: dL/dparams off by %g", worst);

    /* the fused StyleLoss on the features gives the same loss and gradients as Gram + MSE */
    gc_module *feat = small_net(ctx, 0, NULL);
    gc_criterion *style = NULL;
    GC_CHECK_OK(gc_style_loss_create(ctx, &g, 1.0, &style));
    const gc_value *gin2 = NULL;
    const double l1 = net_loss(ctx, feat, style, &in, &target, &gin2);
    GC_CHECK_MSG(fabs(l1 - l0) <= 1e-13 * fabs(l0), "style %.17g vs gram+mse %.17g", l1, l0);
    if (gin2)
        GC_CHECK(gc_test_max_abs_diff(&gin2->t[0], &dx) < 1e-12);
    for (int i = 0; i < 4; i++) {
        gc_tensor gv;
        GC_CHECK_OK(gc_module_parameter(feat, i, NULL, &gv));
        GC_CHECK(gc_test_max_abs_diff(&gv, &pgrad[i]) < 1e-12);
        gc_tensor_free(&pgrad[i]);
    }
    gc_criterion_free(style);
    gc_module_free(feat);
    gc_criterion_free(mse);
    gc_module_free(net);
    gc_tensor_free(&x);
    gc_tensor_free(&target);
    gc_tensor_free(&dx);
    gc_context_free(ctx);
}

/* the float32 path of every module in a network (conv, ReLU, max pooling, Gram, average
 * pooling, MulConstant, View) against the same network in float64. (A ReLU input or a
 * pooling tie within float32 rounding would switch one gradient entry; the fixed seed has
 * none on the scalar, AVX2 and AVX-512 paths.) */
static void test_nn_float32_network(void)
{
    gc_context *ctx = mkctx(2);
    gc_rng rng = {51};
    gc_gram_desc g = gc_gram_desc_default();
    gc_module *net[2];
    for (int i = 0; i < 2; i++) {
        gc_module *m = NULL;
        gc_pool2d_desc ap = gc_pool2d_desc_default(3, 3);
        ap.stride[0] = ap.stride[1] = 1, ap.pad[0] = ap.pad[1] = 1, ap.count_include_pad = 0;
        GC_CHECK_OK(gc_sequential_create(ctx, &net[i]));
        GC_CHECK_OK(gc_spatial_average_pooling_create(ctx, &ap, &m));
        GC_CHECK_OK(gc_module_add(ctx, net[i], m));
        GC_CHECK_OK(gc_mul_constant_create(ctx, 1.5, &m));
        GC_CHECK_OK(gc_module_add(ctx, net[i], m));
        gc_module *body = small_net_dt(ctx, i ? GC_DTYPE_F64 : GC_DTYPE_F32, 1, &g);
        GC_CHECK_OK(gc_module_add(ctx, net[i], body));
        GC_CHECK_OK(gc_view_create(ctx, 1, (int64_t[]){-1}, &m));
        GC_CHECK_OK(gc_module_add(ctx, net[i], m));
    }
    GC_CHECK(gc_module_num_parameters(net[0]) == 4);
    for (int p = 0; p < 4; p++) { /* same parameters, rounded to float32 first */
        gc_tensor p32, p64;
        GC_CHECK_OK(gc_module_parameter(net[0], p, &p32, NULL));
        GC_CHECK_OK(gc_module_parameter(net[1], p, &p64, NULL));
        gc_test_fill(&p32, &rng, 0);
        GC_CHECK_OK(gc_tensor_copy(&p32, &p64));
    }
    const int64_t xd[4] = {2, 3, 9, 8};
    gc_tensor x32, x64;
    rnd(&x32, GC_DTYPE_F32, 4, xd, &rng);
    GC_CHECK_OK(gc_tensor_create(NULL, &x64, GC_DTYPE_F64, 4, xd));
    GC_CHECK_OK(gc_tensor_copy(&x32, &x64));
    gc_value in[2] = {gc_value_tensor(&x32), gc_value_tensor(&x64)};
    const gc_value *out[2] = {NULL, NULL}, *gin[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++)
        GC_CHECK_OK(gc_module_forward(ctx, net[i], &in[i], &out[i]));
    if (!out[0] || !out[1])
        return;
    GC_CHECK(out[0]->t[0].dtype == GC_DTYPE_F32 && out[0]->t[0].rank == 1 &&
             out[0]->t[0].dims[0] == 2 * 5 * 5);
    double scale = 0;
    for (int64_t e = 0; e < 50; e++)
        scale = fmax(scale, fabs(tget(&out[1]->t[0], e)));
    const double err = gc_test_max_abs_diff(&out[0]->t[0], &out[1]->t[0]);
    GC_CHECK_MSG(err <= 1e-5 * scale, "float32 output off by %g (scale %g)", err, scale);
    gc_tensor r32, r64;
    rnd(&r32, GC_DTYPE_F32, 1, (int64_t[]){50}, &rng);
    GC_CHECK_OK(gc_tensor_create(NULL, &r64, GC_DTYPE_F64, 1, (int64_t[]){50}));
    GC_CHECK_OK(gc_tensor_copy(&r32, &r64));
    gc_value gv[2] = {gc_value_tensor(&r32), gc_value_tensor(&r64)};
    for (int i = 0; i < 2; i++) {
        GC_CHECK_OK(gc_module_zero_grad_parameters(net[i]));
        GC_CHECK_OK(gc_module_backward(ctx, net[i], &in[i], &gv[i], 1.0, &gin[i]));
    }
    if (gin[0] && gin[1]) {
        double gs = 0;
        for (int64_t e = 0; e < numel(&x64); e++)
            gs = fmax(gs, fabs(tget(&gin[1]->t[0], e)));
        const double gerr = gc_test_max_abs_diff(&gin[0]->t[0], &gin[1]->t[0]);
        GC_CHECK_MSG(gerr <= 1e-5 * gs, "float32 grad_input off by %g (scale %g)", gerr, gs);
        GC_CHECK(gs > 0);
    }
    for (int p = 0; p < 4; p++) {
        gc_tensor g32, g64;
        GC_CHECK_OK(gc_module_parameter(net[0], p, NULL, &g32));
        GC_CHECK_OK(gc_module_parameter(net[1], p, NULL, &g64));
        double gs = 0;
        for (int64_t e = 0; e < numel(&g64); e++)
            gs = fmax(gs, fabs(tget(&g64, e)));
        GC_CHECK_MSG(gc_test_max_abs_diff(&g32, &g64) <= 1e-5 * gs, "parameter %d gradient", p);
    }
    for (int i = 0; i < 2; i++)
        gc_module_free(net[i]);
    gc_tensor_free(&x32);
    gc_tensor_free(&x64);
    gc_tensor_free(&r32);
    gc_tensor_free(&r64);
    gc_context_free(ctx);
}

/* ---- accumulation, flattening ------------------------------------------------------------- */

static void test_nn_acc_grad_scale_and_flatten(void)
{
    gc_context *ctx = mkctx(1);
    gc_rng rng = {8};
    gc_module *net = small_net(ctx, 0, NULL);
    const int64_t xd[3] = {3, 6, 7};
    gc_tensor x;
    rnd(&x, GC_DTYPE_F64, 3, xd, &rng);
    gc_value in = gc_value_tensor(&x);
    const gc_value *out = NULL;
    GC_CHECK_OK(gc_module_forward(ctx, net, &in, &out));
    if (!out)
        return;
    gc_tensor r, out0;
    rnd(&r, GC_DTYPE_F64, out->t[0].rank, out->t[0].dims, &rng);
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &out->t[0], &out0));
    gc_value gv = gc_value_tensor(&r);
    const gc_value *gin = NULL;
    GC_CHECK_OK(gc_module_zero_grad_parameters(net));
    GC_CHECK_OK(gc_module_backward(ctx, net, &in, &gv, 1.0, &gin));
    gc_tensor params, grads, g1;
    GC_CHECK_OK(gc_module_flatten_parameters(ctx, net, &params, &grads));
    const int64_t n = 4 * 3 * 9 + 4 + 5 * 4 * 6 + 5;
    GC_CHECK(params.rank == 1 && params.dims[0] == n && grads.dims[0] == n);
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &grads, &g1)); /* flatten kept the gradients */
    /* acc_grad twice with scale 0.25 after zeroing: 0.5 x the gradient */
    GC_CHECK_OK(gc_module_zero_grad_parameters(net));
    for (int64_t e = 0; e < n; e++)
        GC_CHECK(((double *)grads.data)[e] == 0.0);
    GC_CHECK_OK(gc_module_forward(ctx, net, &in, &out));
    GC_CHECK_OK(gc_module_backward_input(ctx, net, &in, &gv, &gin));
    GC_CHECK_OK(gc_module_acc_grad_parameters(ctx, net, &in, &gv, 0.25));
    GC_CHECK_OK(gc_module_acc_grad_parameters(ctx, net, &in, &gv, 0.25));
    double worst = 0;
    for (int64_t e = 0; e < n; e++) {
        const double d = fabs(((double *)grads.data)[e] - 0.5 * ((double *)g1.data)[e]);
        worst = d > worst ? d : worst;
    }
    GC_CHECK(worst < 1e-13);
    /* the flat vector is the parameters: the same output, and zeroing it zeroes the output */
    GC_CHECK_OK(gc_module_forward(ctx, net, &in, &out));
    if (out)
        GC_CHECK(gc_test_max_abs_diff(&out->t[0], &out0) == 0.0);
    memset(params.data, 0, (size_t)n * sizeof(double));
    GC_CHECK_OK(gc_module_forward(ctx, net, &in, &out));
    if (out)
        for (int64_t e = 0; e < numel(&out->t[0]); e++)
            GC_CHECK(tget(&out->t[0], e) == 0.0);
    gc_tensor_free(&x);
    gc_tensor_free(&r);
    gc_tensor_free(&out0);
    gc_tensor_free(&g1);
    gc_module_free(net);
    gc_context_free(ctx);
}

/* ---- memory planning ---------------------------------------------------------------------- */

typedef struct counting {
    long allocs, frees, fail_at; /* fail_at: the allocation number to fail (-1: none) */
} counting;

static void *count_alloc(size_t size, size_t align, void *user)
{
    counting *c = user;
    if (c->fail_at >= 0 && c->allocs >= c->fail_at)
        return NULL;
    c->allocs++;
    void *p = NULL;
    return posix_memalign(&p, align, size ? size : align) == 0 ? p : NULL;
}
static void count_free(void *ptr, void *user)
{
    counting *c = user;
    c->frees++;
    free(ptr);
}

/* one training-style step: net forward, loss, loss backward, net backward */
static gc_status step(gc_context *ctx, gc_module *net, gc_criterion *crit, gc_value *in,
                      const gc_tensor *target)
{
    const gc_value *out = NULL, *gin = NULL;
    const gc_tensor *g = NULL;
    double loss;
    gc_status st = gc_module_forward(ctx, net, in, &out);
    if (st == GC_OK)
        st = gc_criterion_forward(ctx, crit, &out->t[0], target, &loss);
    if (st == GC_OK)
        st = gc_criterion_backward(ctx, crit, &out->t[0], target, &g);
    if (st == GC_OK) {
        gc_value gv = gc_value_tensor(g);
        st = gc_module_zero_grad_parameters(net);
        if (st == GC_OK)
            st = gc_module_backward(ctx, net, in, &gv, 1.0, &gin);
    }
    return st;
}

static void test_nn_steady_state_allocates_nothing(void)
{
    for (int threads = 1; threads <= 3; threads += 2) {
        counting cnt = {0, 0, -1};
        gc_allocator a = {count_alloc, count_free, &cnt};
        gc_context *ctx = mkctx(threads);
        GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
        gc_rng rng = {4};
        gc_gram_desc g = gc_gram_desc_default();
        g.center = 1;
        gc_module *net = small_net(ctx, 1, &g), *feat = small_net(ctx, 0, NULL),
                  *seed = seed_net(ctx);
        gc_criterion *mse = NULL, *mse2 = NULL, *style = NULL, *tv = NULL;
        GC_CHECK_OK(gc_mse_criterion_create(ctx, 1, &mse));
        GC_CHECK_OK(gc_mse_criterion_create(ctx, 1, &mse2));
        GC_CHECK_OK(gc_style_loss_create(ctx, &g, 2.0, &style));
        GC_CHECK_OK(gc_tv_loss_create(ctx, 1.0, &tv));
        const int64_t xd[4] = {2, 3, 12, 13}, gd[3] = {2, 5, 5}, sd[3] = {6, 9, 10},
                      sgd[2] = {6, 6};
        gc_tensor x, tg, xs, tgs;
        rnd(&x, GC_DTYPE_F64, 4, xd, &rng);
        rnd(&tg, GC_DTYPE_F64, 3, gd, &rng);
        rnd(&xs, GC_DTYPE_F64, 3, sd, &rng);
        rnd(&tgs, GC_DTYPE_F64, 2, sgd, &rng);
        gc_value in = gc_value_tensor(&x), ins = gc_value_tensor(&xs);
        long after_first = 0;
        for (int it = 0; it < 4; it++) {
            GC_CHECK_OK(step(ctx, net, mse, &in, &tg));
            GC_CHECK_OK(step(ctx, feat, style, &in, &tg));
            GC_CHECK_OK(step(ctx, seed, mse2, &ins, &tgs));
            double l;
            GC_CHECK_OK(gc_criterion_forward(ctx, tv, &x, NULL, &l));
            if (it == 0)
                after_first = cnt.allocs;
        }
        GC_CHECK(after_first > 0); /* the hook does see the planning */
        GC_CHECK_MSG(cnt.allocs == after_first, "%ld allocations after the first step (threads %d)",
                     cnt.allocs - after_first, threads);
        gc_module_free(net);
        gc_module_free(feat);
        gc_module_free(seed);
        gc_criterion_free(mse);
        gc_criterion_free(mse2);
        gc_criterion_free(style);
        gc_criterion_free(tv);
        GC_CHECK_MSG(cnt.allocs == cnt.frees, "%ld allocations, %ld frees", cnt.allocs, cnt.frees);
        gc_context_free(ctx);
        gc_tensor_free(&x);
        gc_tensor_free(&tg);
        gc_tensor_free(&xs);
        gc_tensor_free(&tgs);
    }
}

/* gc_module_plan sizes everything, op scratch included: the first pass allocates nothing */
static void test_nn_explicit_plan(void)
{
    counting cnt = {0, 0, -1};
    gc_allocator a = {count_alloc, count_free, &cnt};
    gc_context *ctx = mkctx(2);
    GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
    gc_rng rng = {13};
    gc_gram_desc g = gc_gram_desc_default();
    g.center = 1;
    gc_module *net = small_net(ctx, 1, &g), *seed = seed_net(ctx);
    const int64_t xd[4] = {2, 3, 11, 10}, sd[3] = {4, 5, 6}, sgd[2] = {4, 4};
    gc_tensor x, xs, r, rs;
    rnd(&x, GC_DTYPE_F64, 4, xd, &rng);
    rnd(&xs, GC_DTYPE_F64, 3, sd, &rng);
    rnd(&rs, GC_DTYPE_F64, 2, sgd, &rng);
    gc_value in = gc_value_tensor(&x), ins = gc_value_tensor(&xs), gs = gc_value_tensor(&rs);
    GC_CHECK_OK(gc_module_plan(ctx, net, &in));
    GC_CHECK_OK(gc_module_plan(ctx, seed, &ins));
    const long planned = cnt.allocs;
    const gc_value *out = NULL, *gin = NULL;
    GC_CHECK_OK(gc_module_forward(ctx, net, &in, &out));
    if (!out)
        return;
    rnd(&r, GC_DTYPE_F64, out->t[0].rank, out->t[0].dims, &rng);
    gc_value gv = gc_value_tensor(&r);
    GC_CHECK_OK(gc_module_backward(ctx, net, &in, &gv, 1.0, &gin));
    GC_CHECK_OK(gc_module_forward(ctx, seed, &ins, &out));
    GC_CHECK_OK(gc_module_backward(ctx, seed, &ins, &gs, 1.0, &gin));
    GC_CHECK_MSG(cnt.allocs == planned, "%ld allocations in the first pass after the plan",
                 cnt.allocs - planned);
    gc_module_free(net);
    gc_module_free(seed);
    GC_CHECK(cnt.allocs == cnt.frees);
    gc_context_free(ctx);
    gc_tensor_free(&x);
    gc_tensor_free(&xs);
    gc_tensor_free(&r);
    gc_tensor_free(&rs);
}

/* Every allocation failing in turn: a clean GC_ERR_NOMEM, nothing leaked, and a later retry
 * with memory succeeds. */
static void test_nn_allocation_failures(void)
{
    counting cnt = {0, 0, -1};
    gc_allocator a = {count_alloc, count_free, &cnt};
    gc_rng rng = {6};
    const int64_t xd[4] = {1, 3, 7, 6}, gd[3] = {1, 5, 5};
    gc_tensor x, tg;
    rnd(&x, GC_DTYPE_F64, 4, xd, &rng);
    rnd(&tg, GC_DTYPE_F64, 3, gd, &rng);
    gc_value in = gc_value_tensor(&x);
    int succeeded = 0;
    for (long fail_at = 0; fail_at < 200 && !succeeded; fail_at++) {
        cnt = (counting){0, 0, -1};
        gc_context *ctx = mkctx(2);
        gc_context_set_allocator(ctx, &a);
        cnt.fail_at = fail_at;
        gc_gram_desc g = gc_gram_desc_default();
        gc_module *net = NULL, *m = NULL;
        gc_criterion *mse = NULL;
        gc_status st = gc_sequential_create(ctx, &net);
        if (st == GC_OK) { /* a failed create leaves m NULL: add then says GC_ERR_NULL */
            st = gc_spatial_convolution_create(ctx, GC_DTYPE_F64, 3, 5, 3, 3, NULL, 1, &m);
            const gc_status sa = gc_module_add(ctx, net, m);
            st = st == GC_OK ? sa : st;
        }
        if (st == GC_OK) {
            st = gc_gram_matrix_create(ctx, &g, &m);
            const gc_status sa = gc_module_add(ctx, net, m);
            st = st == GC_OK ? sa : st;
        }
        if (st == GC_OK)
            st = gc_mse_criterion_create(ctx, 1, &mse);
        if (st == GC_OK)
            st = step(ctx, net, mse, &in, &tg);
        GC_CHECK_MSG(st == GC_OK || st == GC_ERR_NOMEM, "fail_at %ld: %s", fail_at,
                     gc_status_str(st));
        if (st == GC_OK) {
            succeeded = 1;
            cnt.fail_at = -1;
            GC_CHECK_OK(step(ctx, net, mse, &in, &tg));
        } else if (net) {
            cnt.fail_at = -1; /* the same objects recover once memory is back */
            if (mse)
                GC_CHECK_OK(step(ctx, net, mse, &in, &tg));
        }
        gc_module_free(net);
        gc_criterion_free(mse);
        GC_CHECK_MSG(cnt.allocs == cnt.frees, "fail_at %ld: %ld allocations, %ld frees", fail_at,
                     cnt.allocs, cnt.frees);
        gc_context_free(ctx);
    }
    GC_CHECK(succeeded);
    gc_tensor_free(&x);
    gc_tensor_free(&tg);
}

/* ---- with the optimisers ------------------------------------------------------------------ */

/* texture synthesis in miniature: x -> features -> style loss against a target Gram */
typedef struct synth_obj {
    gc_context *ctx;
    gc_module *net;
    gc_criterion *crit;
    const gc_tensor *target;
    gc_tensor *params; /* parameter fitting: the flat vector the net reads (else NULL) */
    const gc_tensor *input;
} synth_obj;

static gc_status synth_objective(void *user, const gc_tensor *x, gc_tensor *grad, double *loss)
{
    synth_obj *o = user;
    gc_status st = GC_OK;
    gc_value in = gc_value_tensor(o->params ? o->input : x);
    if (o->params && x->data != o->params->data)
        st = gc_tensor_copy(x, o->params); /* a trial point: the net reads its own vector */
    const gc_value *out = NULL, *gin = NULL;
    const gc_tensor *g = NULL;
    if (st == GC_OK)
        st = gc_module_forward(o->ctx, o->net, &in, &out);
    if (st == GC_OK)
        st = gc_criterion_forward(o->ctx, o->crit, &out->t[0], o->target, loss);
    if (st == GC_OK)
        st = gc_criterion_backward(o->ctx, o->crit, &out->t[0], o->target, &g);
    if (st != GC_OK)
        return st;
    gc_value gv = gc_value_tensor(g);
    if (o->params) {
        gc_tensor pg;
        gc_module_parameter(o->net, 0, NULL, &pg); /* grads live right after each other */
        st = gc_module_zero_grad_parameters(o->net);
        if (st == GC_OK)
            st = gc_module_backward_input(o->ctx, o->net, &in, &gv, &gin);
        if (st == GC_OK)
            st = gc_module_acc_grad_parameters(o->ctx, o->net, &in, &gv, 1.0);
        gc_tensor flat_g;
        const int64_t n = numel(x);
        if (st == GC_OK)
            st = gc_tensor_wrap(&flat_g, x->dtype, 1, &n, NULL, pg.data);
        return st == GC_OK ? gc_tensor_copy(&flat_g, grad) : st;
    }
    st = gc_module_backward_input(o->ctx, o->net, &in, &gv, &gin);
    return st == GC_OK ? gc_tensor_copy(&gin->t[0], grad) : st;
}

static void test_nn_optim_texture_lbfgs(void)
{
    counting cnt = {0, 0, -1};
    gc_allocator a = {count_alloc, count_free, &cnt};
    gc_context *ctx = mkctx(2);
    GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
    gc_rng rng = {31};
    gc_module *feat = small_net(ctx, 0, NULL);
    const int64_t xd[4] = {1, 3, 12, 12}, gd[3] = {1, 5, 5};
    gc_tensor style, x, target;
    rnd(&style, GC_DTYPE_F64, 4, xd, &rng);
    rnd(&x, GC_DTYPE_F64, 4, xd, &rng);
    GC_CHECK_OK(gc_tensor_create(NULL, &target, GC_DTYPE_F64, 3, gd));
    gc_gram_desc g = gc_gram_desc_default();
    gc_value sv = gc_value_tensor(&style);
    const gc_value *out = NULL;
    GC_CHECK_OK(gc_module_forward(ctx, feat, &sv, &out));
    if (out)
        GC_CHECK_OK(gc_gram_forward(ctx, &g, &out->t[0], &target));
    gc_criterion *crit = NULL;
    GC_CHECK_OK(gc_style_loss_create(ctx, &g, 1e3, &crit));
    synth_obj o = {ctx, feat, crit, &target, NULL, NULL};
    gc_tensor grad;
    double l0 = NAN;
    GC_CHECK_OK(gc_tensor_create(NULL, &grad, GC_DTYPE_F64, 4, xd));
    GC_CHECK_OK(synth_objective(&o, &x, &grad, &l0)); /* plans the network */
    gc_lbfgs_desc d = gc_lbfgs_desc_default(GC_OPTIM_FLAVOR_TORCH7);
    d.max_iter = 60;
    d.line_search = GC_LINE_SEARCH_STRONG_WOLFE;
    gc_optimizer *opt = NULL;
    GC_CHECK_OK(gc_optimizer_create_lbfgs(ctx, &d, GC_DTYPE_F64, numel(&x), &opt));
    const long before = cnt.allocs;
    gc_optim_result r;
    memset(&r, 0, sizeof r);
    GC_CHECK_OK(gc_optimizer_run(ctx, opt, &x, synth_objective, &o, &r));
    GC_CHECK_MSG(cnt.allocs == before, "%ld allocations during the run", cnt.allocs - before);
    GC_CHECK_MSG(r.loss < 1e-3 * l0, "loss %g -> %g in %lld iterations", l0, r.loss,
                 (long long)r.iterations);
    gc_optimizer_free(opt);
    gc_criterion_free(crit);
    gc_module_free(feat);
    GC_CHECK(cnt.allocs == cnt.frees);
    gc_context_free(ctx);
    gc_tensor_free(&style);
    gc_tensor_free(&x);
    gc_tensor_free(&target);
    gc_tensor_free(&grad);
}

/* fit a conv layer's flattened parameters to a teacher's outputs with Adam (least squares) */
static void test_nn_optim_fit_parameters_adam(void)
{
    gc_context *ctx = mkctx(1);
    gc_rng rng = {41};
    gc_module *student = NULL, *teacher = NULL;
    gc_conv2d_desc cd = gc_conv2d_desc_default();
    cd.pad[0] = cd.pad[1] = 1;
    GC_CHECK_OK(gc_spatial_convolution_create(ctx, GC_DTYPE_F64, 2, 3, 3, 3, &cd, 1, &student));
    GC_CHECK_OK(gc_spatial_convolution_create(ctx, GC_DTYPE_F64, 2, 3, 3, 3, &cd, 1, &teacher));
    gc_tensor tw;
    GC_CHECK_OK(gc_module_parameter(teacher, 0, &tw, NULL));
    gc_test_fill(&tw, &rng, 0); /* a different teacher */
    const int64_t xd[4] = {4, 2, 7, 6};
    gc_tensor x, target, params, grads;
    rnd(&x, GC_DTYPE_F64, 4, xd, &rng);
    gc_value xv = gc_value_tensor(&x);
    const gc_value *out = NULL;
    GC_CHECK_OK(gc_module_forward(ctx, teacher, &xv, &out));
    if (!out)
        return;
    GC_CHECK_OK(gc_tensor_contiguous(NULL, &out->t[0], &target));
    GC_CHECK_OK(gc_module_flatten_parameters(ctx, student, &params, &grads));
    GC_CHECK(params.dims[0] == 3 * 2 * 9 + 3);
    gc_criterion *mse = NULL;
    GC_CHECK_OK(gc_mse_criterion_create(ctx, 1, &mse));
    synth_obj o = {ctx, student, mse, &target, &params, &x};
    gc_adam_desc d = gc_adam_desc_default(GC_OPTIM_FLAVOR_TORCH7);
    d.learning_rate = 0.05;
    d.max_iter = 400;
    gc_optimizer *opt = NULL;
    GC_CHECK_OK(gc_optimizer_create_adam(ctx, &d, GC_DTYPE_F64, params.dims[0], &opt));
    gc_optim_result r;
    memset(&r, 0, sizeof r);
    GC_CHECK_OK(gc_optimizer_run(ctx, opt, &params, synth_objective, &o, &r));
    GC_CHECK_MSG(r.loss < 1e-4 * r.initial_loss, "loss %g -> %g", r.initial_loss, r.loss);
    gc_tensor sw;
    GC_CHECK_OK(gc_module_parameter(student, 0, &sw, NULL));
    GC_CHECK(gc_test_max_abs_diff(&sw, &tw) < 2e-2);
    gc_optimizer_free(opt);
    gc_criterion_free(mse);
    gc_module_free(student);
    gc_module_free(teacher);
    gc_tensor_free(&x);
    gc_tensor_free(&target);
    gc_context_free(ctx);
}

/* ---- pooling against PyTorch (tests/golden/nn_pool.py) ------------------------------------ */

static void test_nn_pooling_goldens(void)
{
    gc_tensor x = {0};
    gc_status st = gc_npy_read(NULL, gc_test_golden("nn_pool_input.npy"), &x);
    GC_CHECK_OK(st);
    if (st != GC_OK)
        return;
    /* name, kernel, stride, pad, ceil, count_include_pad, max? */
    static const struct {
        const char *file;
        int64_t k[2], s[2], p[2];
        int ceil_mode, include, max;
    } cases[] = {
        {"nn_pool_max_k3s2p1_ceil.npy", {3, 3}, {2, 2}, {1, 1}, 1, 1, 1},
        {"nn_pool_max_k2s2p0_ceil.npy", {2, 2}, {2, 2}, {0, 0}, 1, 1, 1},
        {"nn_pool_max_k3x2s2x1p1x0.npy", {3, 2}, {2, 1}, {1, 0}, 0, 1, 1},
        {"nn_pool_avg_k3s2p1_ceil_inc.npy", {3, 3}, {2, 2}, {1, 1}, 1, 1, 0},
        {"nn_pool_avg_k3s2p1_ceil_exc.npy", {3, 3}, {2, 2}, {1, 1}, 1, 0, 0},
        {"nn_pool_avg_k2s3p1_ceil_inc.npy", {2, 2}, {3, 3}, {1, 1}, 1, 1, 0},
        {"nn_pool_avg_k3x2s2x1p1x0_inc.npy", {3, 2}, {2, 1}, {1, 0}, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gc_tensor want = {0};
        GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden(cases[i].file), &want));
        gc_pool2d_desc d = gc_pool2d_desc_default(cases[i].k[0], cases[i].k[1]);
        memcpy(d.stride, cases[i].s, sizeof d.stride);
        memcpy(d.pad, cases[i].p, sizeof d.pad);
        d.ceil_mode = cases[i].ceil_mode;
        d.count_include_pad = cases[i].include;
        gc_module *m = NULL;
        GC_CHECK_OK(cases[i].max ? gc_spatial_max_pooling_create(NULL, &d, &m)
                                 : gc_spatial_average_pooling_create(NULL, &d, &m));
        gc_value in = gc_value_tensor(&x);
        const gc_value *out = NULL;
        GC_CHECK_OK(gc_module_forward(NULL, m, &in, &out));
        if (out)
            GC_CHECK_MSG(gc_test_max_abs_diff(&out->t[0], &want) < 1e-14, "%s: %g", cases[i].file,
                         gc_test_max_abs_diff(&out->t[0], &want));
        gc_module_free(m);
        gc_tensor_free(&want);
    }
    gc_tensor_free(&x);
}

/* ---- refusals ----------------------------------------------------------------------------- */

static void test_nn_refusals(void)
{
    gc_context *ctx = mkctx(1);
    gc_module *m = NULL, *seq = NULL, *id = NULL;
    gc_criterion *c = NULL;
    GC_CHECK_STATUS(gc_sequential_create(ctx, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_view_create(ctx, 2, (int64_t[]){-1, -1}, &m), GC_ERR_ARG);
    GC_CHECK(m == NULL);
    GC_CHECK_STATUS(gc_view_create(ctx, 1, (int64_t[]){0}, &m), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_view_create(ctx, 0, (int64_t[]){1}, &m), GC_ERR_RANK);
    GC_CHECK_STATUS(gc_mul_constant_create(ctx, NAN, &m), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_spatial_convolution_create(ctx, (gc_dtype)9, 1, 1, 1, 1, NULL, 0, &m),
                    GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_spatial_convolution_create(ctx, GC_DTYPE_F64, 0, 1, 1, 1, NULL, 0, &m),
                    GC_ERR_ARG);
    gc_conv2d_desc cd = gc_conv2d_desc_default();
    cd.stride[0] = 0;
    GC_CHECK(gc_spatial_convolution_create(ctx, GC_DTYPE_F64, 1, 1, 1, 1, &cd, 0, &m) != GC_OK);
    gc_pool2d_desc pd = gc_pool2d_desc_default(2, 2);
    pd.pad[0] = 2;
    GC_CHECK_STATUS(gc_spatial_max_pooling_create(ctx, &pd, &m), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "half") != NULL);
    GC_CHECK_STATUS(gc_spatial_average_pooling_create(ctx, NULL, &m), GC_ERR_NULL);
    gc_gram_desc gd = gc_gram_desc_default();
    gd.norm = (gc_gram_norm)7;
    GC_CHECK_STATUS(gc_gram_matrix_create(ctx, &gd, &m), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_style_loss_create(ctx, &gd, 1.0, &c), GC_ERR_ARG);
    GC_CHECK(c == NULL);
    GC_CHECK_STATUS(gc_tv_loss_create(ctx, INFINITY, &c), GC_ERR_ARG);

    /* containers: non-container, then (below) NULL child, already owned, cycles, broken */
    GC_CHECK_OK(gc_sequential_create(ctx, &seq));
    GC_CHECK_OK(gc_identity_create(ctx, &id));
    GC_CHECK_OK(gc_relu_create(ctx, &m));
    GC_CHECK_STATUS(gc_module_add(ctx, id, m), GC_ERR_ARG); /* not a container: m freed */
    GC_CHECK_OK(gc_module_add(ctx, seq, id));
    gc_module *outer = NULL;
    GC_CHECK_OK(gc_sequential_create(ctx, &outer));
    GC_CHECK_OK(gc_module_add(ctx, outer, seq));
    GC_CHECK_STATUS(gc_view_set_num_input_dims(ctx, outer, 2), GC_ERR_ARG);

    /* passes: NULLs, backward before forward, wrong grad_output, bad values */
    double buf[24] = {0}, buf2[24] = {0};
    gc_tensor x, g;
    gc_tensor_wrap(&x, GC_DTYPE_F64, 2, (int64_t[]){4, 6}, NULL, buf);
    gc_tensor_wrap(&g, GC_DTYPE_F64, 2, (int64_t[]){6, 4}, NULL, buf2);
    gc_value in = gc_value_tensor(&x), gv = gc_value_tensor(&g);
    const gc_value *out = NULL, *gin = NULL;
    GC_CHECK_STATUS(gc_module_forward(ctx, NULL, &in, &out), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_module_forward(ctx, outer, NULL, &out), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_module_forward(ctx, outer, &in, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_module_backward(ctx, outer, &in, &gv, 1.0, &gin), GC_ERR_ARG);
    GC_CHECK_OK(gc_module_forward(ctx, outer, &in, &out));
    GC_CHECK_STATUS(gc_module_backward(ctx, outer, &in, &gv, 1.0, &gin), GC_ERR_SHAPE);
    GC_CHECK(gin == NULL);
    GC_CHECK_STATUS(gc_module_backward(ctx, outer, &in, &in, NAN, &gin), GC_ERR_ARG);
    gc_value bad = in;
    bad.count = 0;
    GC_CHECK_STATUS(gc_module_forward(ctx, outer, &bad, &out), GC_ERR_ARG);
    bad = in;
    bad.t[0].data = NULL;
    GC_CHECK(gc_module_forward(ctx, outer, &bad, &out) != GC_OK);
    GC_CHECK_STATUS(gc_value_table(&bad, GC_TABLE_MAX + 1, &x), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_module_flatten_parameters(ctx, outer, &x, &g), GC_ERR_EMPTY);
    GC_CHECK_STATUS(gc_module_parameter(outer, 0, &x, NULL), GC_ERR_ARG);
    /* refusals that break the container: owned child (not freed), a cycle, a NULL child */
    gc_module *other = NULL, *broken = NULL;
    GC_CHECK_OK(gc_sequential_create(ctx, &other));
    GC_CHECK_STATUS(gc_module_add(ctx, other, id), GC_ERR_ARG); /* id is seq's */
    GC_CHECK_STATUS(gc_module_forward(ctx, other, &in, &out), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_module_add(ctx, seq, outer), GC_ERR_ARG); /* outer holds seq */
    GC_CHECK_STATUS(gc_module_add(ctx, outer, outer), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_module_forward(ctx, outer, &in, &out), GC_ERR_ARG);
    gc_module_free(outer);
    gc_module_free(other);
    GC_CHECK_OK(gc_sequential_create(ctx, &broken));
    GC_CHECK_STATUS(gc_module_add(ctx, broken, NULL), GC_ERR_NULL);
    GC_CHECK_OK(gc_identity_create(ctx, &id));
    GC_CHECK_STATUS(gc_module_add(ctx, broken, id), GC_ERR_ARG); /* id freed */
    GC_CHECK_STATUS(gc_module_forward(ctx, broken, &in, &out), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "failed earlier") != NULL);
    GC_CHECK_OK(gc_sequential_create(ctx, &other));
    GC_CHECK_STATUS(gc_module_add(ctx, other, broken), GC_ERR_ARG); /* broken freed */
    GC_CHECK_STATUS(gc_module_add(ctx, NULL, NULL), GC_ERR_NULL);
    gc_module_free(other);

    /* module input checks */
    GC_CHECK_OK(gc_mm_create(ctx, 0, 0, &m));
    GC_CHECK_STATUS(gc_module_forward(ctx, m, &in, &out), GC_ERR_ARG); /* not a pair */
    gc_tensor pair[2] = {x, x};
    gc_value pv;
    GC_CHECK_OK(gc_value_table(&pv, 2, pair));
    GC_CHECK_STATUS(gc_module_forward(ctx, m, &pv, &out), GC_ERR_SHAPE); /* 4x6 . 4x6 */
    gc_module_free(m);
    GC_CHECK_OK(gc_spatial_convolution_create(ctx, GC_DTYPE_F32, 1, 1, 1, 1, NULL, 0, &m));
    gc_tensor x3;
    gc_tensor_wrap(&x3, GC_DTYPE_F64, 3, (int64_t[]){1, 4, 6}, NULL, buf);
    gc_value in3 = gc_value_tensor(&x3);
    GC_CHECK_STATUS(gc_module_forward(ctx, m, &in3, &out), GC_ERR_DTYPE);
    gc_module_free(m);
    const gc_pool2d_desc p5 = {{5, 5}, {1, 1}, {0, 0}, 0, 1};
    GC_CHECK_OK(gc_spatial_max_pooling_create(ctx, &p5, &m));
    GC_CHECK_STATUS(gc_module_forward(ctx, m, &in3, &out), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_module_forward(ctx, m, &in, &out), GC_ERR_RANK);
    gc_module_free(m);
    GC_CHECK_OK(gc_concat_table_create(ctx, &m));
    GC_CHECK_STATUS(gc_module_forward(ctx, m, &in, &out), GC_ERR_ARG); /* empty */
    gc_module *inner = NULL;
    GC_CHECK_OK(gc_concat_table_create(ctx, &inner));
    GC_CHECK_OK(gc_identity_create(ctx, &id));
    GC_CHECK_OK(gc_module_add(ctx, inner, id));
    GC_CHECK_OK(gc_module_add(ctx, m, inner)); /* ConcatTable(ConcatTable(Identity)) */
    GC_CHECK_STATUS(gc_module_forward(ctx, m, &in, &out), GC_ERR_UNSUPPORTED);
    gc_module_free(m);

    /* criteria */
    GC_CHECK_OK(gc_mse_criterion_create(ctx, 1, &c));
    double loss;
    GC_CHECK_STATUS(gc_criterion_forward(ctx, c, &x, &g, &loss), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_criterion_forward(ctx, c, &x, NULL, &loss), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_criterion_forward(ctx, c, &x, &x, NULL), GC_ERR_NULL);
    const gc_tensor *gt = NULL;
    GC_CHECK_STATUS(gc_criterion_backward(ctx, c, NULL, &x, &gt), GC_ERR_NULL);
    gc_criterion_free(c);
    GC_CHECK_OK(gc_tv_loss_create(ctx, 1.0, &c));
    GC_CHECK_STATUS(gc_criterion_forward(ctx, c, &x, NULL, &loss), GC_ERR_RANK);
    gc_criterion_free(c);
    gc_module_free(NULL);
    gc_criterion_free(NULL);
    gc_context_free(ctx);
}

GC_TEST_TABLE(gc_tests_nn) = {
    {"nn_seed_network_equals_gram", test_nn_seed_network_equals_gram},
    {"nn_seed_network_batch_of_one", test_nn_seed_network_batch_of_one},
    {"nn_view_rules", test_nn_view_rules},
    {"nn_fd_conv", test_nn_fd_conv},
    {"nn_fd_elementwise", test_nn_fd_elementwise},
    {"nn_elementwise_strided", test_nn_elementwise_strided},
    {"nn_fd_pooling", test_nn_fd_pooling},
    {"nn_fd_gram_and_mm", test_nn_fd_gram_and_mm},
    {"nn_fd_containers", test_nn_fd_containers},
    {"nn_fd_criteria", test_nn_fd_criteria},
    {"nn_fd_network", test_nn_fd_network},
    {"nn_float32_network", test_nn_float32_network},
    {"nn_acc_grad_scale_and_flatten", test_nn_acc_grad_scale_and_flatten},
    {"nn_steady_state_allocates_nothing", test_nn_steady_state_allocates_nothing},
    {"nn_explicit_plan", test_nn_explicit_plan},
    {"nn_allocation_failures", test_nn_allocation_failures},
    {"nn_optim_texture_lbfgs", test_nn_optim_texture_lbfgs},
    {"nn_optim_fit_parameters_adam", test_nn_optim_fit_parameters_adam},
    {"nn_pooling_goldens", test_nn_pooling_goldens},
    {"nn_refusals", test_nn_refusals},
    {NULL, NULL},
};
