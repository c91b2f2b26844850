/* test_alloc.c - allocation failure and allocation limits, op by op.
 *
 * Every public call that allocates runs under a counting allocator (gc_context_set_allocator):
 * once cleanly, counting its allocations (n) and the largest one; then n more times, the k-th
 * allocation failing on run k (k = 1..n), each of which must return GC_ERR_NOMEM with a message,
 * stop at the failure and free everything it took (live allocations back to the count before
 * the call, no file left by a failed write); then once more with nothing failing (GC_OK). Then
 * gc_context_set_max_alloc one byte below the largest allocation: GC_ERR_LIMIT with a message,
 * no allocation above the limit ever asked of the allocator, nothing leaked; at exactly the
 * largest allocation: GC_OK. The conv2d passes given their workspace must not allocate at all
 * (gc_conv2d_workspace_size's contract), except the worker array of a pool above 16 threads. */
#include "gc_test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef gc_test_counter probe; /* fails call number fail_at (0: never) */

typedef gc_status (*op_fn)(gc_context *ctx, void *arg);

static long injected; /* failures injected by the current test (printed) */

static void report(void)
{
    printf("     (%ld allocation failures injected)\n", injected);
    GC_CHECK(injected > 0);
    injected = 0;
}

/* Whether the op must allocate: yes, no, or either (a thread pool whose size decides). */
enum { ALLOCS_NONE = 0, ALLOCS_SOME = 1, ALLOCS_ANY = 2 };

/* The whole protocol of the file comment for one op. Returns the clean run's allocation count. */
static long inject(const char *name, gc_context *ctx, probe *pr, op_fn fn, void *arg, int allocs)
{
    const long live0 = pr->live;
    pr->fail_at = 0;
    pr->largest = 0;
    long c0 = pr->calls;
    gc_status st = fn(ctx, arg);
    GC_CHECK_MSG(st == GC_OK, "%s: clean run returned %s (%s)", name, gc_status_str(st),
                 gc_context_last_error(ctx));
    const long n = pr->calls - c0;
    const size_t largest = pr->largest;
    if (getenv("GC_ALLOC_VERBOSE"))
        printf("     %s: %ld allocations, largest %zu bytes\n", name, n, largest);
    GC_CHECK_MSG(pr->live == live0, "%s: clean run left %ld allocations", name, pr->live - live0);
    if (allocs == ALLOCS_SOME)
        GC_CHECK_MSG(n >= 1, "%s: expected the call to allocate", name);
    if (allocs == ALLOCS_NONE)
        GC_CHECK_MSG(n == 0, "%s: made %ld allocations, expected none", name, n);
    for (long k = 1; k <= n + 1; k++) {
        c0 = pr->calls;
        pr->fail_at = c0 + k;
        st = fn(ctx, arg);
        if (k <= n) {
            injected++;
            GC_CHECK_MSG(st == GC_ERR_NOMEM, "%s: allocation %ld of %ld failed, got %s", name, k, n,
                         gc_status_str(st));
            GC_CHECK_MSG(strstr(gc_context_last_error(ctx), "memory") != NULL,
                         "%s: allocation %ld: message '%s'", name, k, gc_context_last_error(ctx));
            GC_CHECK_MSG(pr->calls - c0 == k, "%s: went on allocating after failure %ld (%ld calls)",
                         name, k, pr->calls - c0);
        } else {
            GC_CHECK_MSG(st == GC_OK, "%s: run after the failures returned %s", name, gc_status_str(st));
        }
        GC_CHECK_MSG(pr->live == live0, "%s: allocation %ld failing leaked %ld allocations", name, k,
                     pr->live - live0);
    }
    pr->fail_at = 0;
    if (n > 0 && largest > 1) {
        GC_CHECK_OK(gc_context_set_max_alloc(ctx, largest - 1));
        pr->largest = 0;
        st = fn(ctx, arg);
        GC_CHECK_MSG(st == GC_ERR_LIMIT, "%s: limit %zu below the largest allocation: got %s", name,
                     largest - 1, gc_status_str(st));
        GC_CHECK_MSG(strstr(gc_context_last_error(ctx), "exceeds the limit") != NULL,
                     "%s: limit message '%s'", name, gc_context_last_error(ctx));
        GC_CHECK_MSG(pr->largest < largest, "%s: asked the allocator for %zu bytes over the limit",
                     name, pr->largest);
        GC_CHECK_MSG(pr->live == live0, "%s: the refused call leaked", name);
        GC_CHECK_OK(gc_context_set_max_alloc(ctx, largest));
        GC_CHECK_MSG(fn(ctx, arg) == GC_OK, "%s: limit exactly the largest allocation refused", name);
    } else if (n == 0) {
        /* nothing allocated: even a 1-byte limit cannot stop it */
        GC_CHECK_OK(gc_context_set_max_alloc(ctx, 1));
        GC_CHECK_MSG(fn(ctx, arg) == GC_OK, "%s: a call that allocates nothing hit the limit", name);
    }
    GC_CHECK_OK(gc_context_set_max_alloc(ctx, 0));
    GC_CHECK(pr->live == live0);
    return n;
}

static gc_context *probe_ctx(probe *pr, int threads)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    *pr = (probe){0, 0, 0, 0};
    const gc_allocator a = gc_test_counter_allocator(pr);
    GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
    GC_CHECK_OK(gc_context_set_threads(ctx, threads));
    return ctx;
}

static void filled(gc_context *ctx, gc_tensor *t, gc_dtype dt, int rank, const int64_t *dims,
                   unsigned seed)
{
    GC_CHECK_OK(gc_tensor_create(ctx, t, dt, rank, dims));
    gc_rng rng = {seed};
    gc_test_fill(t, &rng, 0);
}

/* ---- tensors --------------------------------------------------------------------------- */

typedef struct { const gc_tensor *src; } tensor_arg;

static gc_status op_create(gc_context *ctx, void *arg)
{
    (void)arg;
    gc_tensor t;
    gc_status st = gc_tensor_create(ctx, &t, GC_DTYPE_F64, 3, (int64_t[]){3, 5, 7});
    if (st == GC_OK)
        gc_tensor_free(&t);
    else if (t.data != NULL || t.owned_ != NULL)
        st = GC_ERR_INTERNAL; /* a failed create leaves an empty descriptor */
    return st;
}

static gc_status op_contiguous(gc_context *ctx, void *arg)
{
    const tensor_arg *a = arg;
    gc_tensor t;
    gc_status st = gc_tensor_contiguous(ctx, a->src, &t);
    if (st == GC_OK) {
        if (gc_test_max_abs_diff(&t, a->src) != 0.0)
            st = GC_ERR_INTERNAL;
        gc_tensor_free(&t);
    }
    return st;
}

static void test_alloc_tensor(void)
{
    probe pr;
    gc_context *ctx = probe_ctx(&pr, 1);
    inject("tensor_create", ctx, &pr, op_create, NULL, ALLOCS_SOME);
    gc_tensor base, tr;
    filled(ctx, &base, GC_DTYPE_F32, 3, (int64_t[]){4, 6, 5}, 3);
    GC_CHECK_OK(gc_tensor_transpose(&base, 0, 2, &tr));
    tensor_arg a = {&tr};
    inject("tensor_contiguous", ctx, &pr, op_contiguous, &a, ALLOCS_SOME);
    gc_tensor_free(&base);
    GC_CHECK(pr.live == 0);
    gc_context_free(ctx);
    report();
}

/* ---- correlation ------------------------------------------------------------------------ */

typedef struct {
    gc_corr_desc d;
    gc_tensor in, k, out;
    int reference;
} corr_arg;

static gc_status op_corr(gc_context *ctx, void *arg)
{
    corr_arg *a = arg;
    return a->reference ? gc_corr_reference(ctx, &a->d, &a->in, &a->k, &a->out)
                        : gc_corr(ctx, &a->d, &a->in, &a->k, &a->out);
}

static void corr_case(const char *name, int threads, gc_corr_desc d, gc_dtype dt, int in_rank,
                      const int64_t *in_dims, int k_rank, const int64_t *k_dims, int allocs)
{
    probe pr;
    gc_context *ctx = probe_ctx(&pr, threads);
    corr_arg a = {.d = d};
    filled(ctx, &a.in, dt, in_rank, in_dims, 5);
    filled(ctx, &a.k, dt, k_rank, k_dims, 6);
    int r;
    int64_t od[GC_MAX_RANK];
    GC_CHECK_OK(gc_corr_shape(ctx, &d, &a.in, &a.k, &r, od));
    GC_CHECK_OK(gc_tensor_create(ctx, &a.out, dt, r, od));
    inject(name, ctx, &pr, op_corr, &a, allocs);
    a.reference = 1; /* the reference allocates nothing */
    char ref_name[96];
    snprintf(ref_name, sizeof ref_name, "%s (reference)", name);
    inject(ref_name, ctx, &pr, op_corr, &a, ALLOCS_NONE);
    gc_tensor_free(&a.in);
    gc_tensor_free(&a.k);
    gc_tensor_free(&a.out);
    GC_CHECK(pr.live == 0);
    gc_context_free(ctx);
}

static void test_alloc_corr(void)
{
    const gc_corr_desc x2f = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_FULL};
    const gc_corr_desc c2s = {.kind = GC_CORR_KIND_CONV, .spatial_dims = 2, .mode = GC_MODE_SAME};
    const gc_corr_desc c3v = {.kind = GC_CORR_KIND_CONV, .spatial_dims = 3, .mode = GC_MODE_VALID};
    corr_case("corr xcorr2 full 3Dx4D", 2, x2f, GC_DTYPE_F32, 3, (int64_t[]){3, 17, 21}, 4,
              (int64_t[]){4, 3, 3, 5}, ALLOCS_SOME);
    corr_case("corr conv2 same 2D f64", 1, c2s, GC_DTYPE_F64, 2, (int64_t[]){19, 23}, 2,
              (int64_t[]){4, 3}, ALLOCS_SOME);
    corr_case("corr conv3 valid 4Dx5D", 3, c3v, GC_DTYPE_F32, 4, (int64_t[]){2, 6, 9, 10}, 5,
              (int64_t[]){3, 2, 2, 3, 3}, ALLOCS_SOME);
    /* 20 threads: more workers than the spawn path's stack array (the pool needs none) */
    corr_case("corr xcorr2 full, 20 threads", 20, x2f, GC_DTYPE_F32, 3, (int64_t[]){3, 1000, 20}, 4,
              (int64_t[]){4, 3, 3, 3}, ALLOCS_SOME);
    report();
}

/* ---- Gram ------------------------------------------------------------------------------- */

typedef struct {
    gc_gram_desc d;
    gc_tensor in, g, gout, gin, target, ws;
    int which; /* 0 forward, 1 backward, 2 accumulate, 3 style loss, 4 loss only, 5/6 refs */
} gram_arg;

static gc_status op_gram(gc_context *ctx, void *arg)
{
    gram_arg *a = arg;
    double loss = 0;
    switch (a->which) {
    case 0: return gc_gram_forward(ctx, &a->d, &a->in, &a->g);
    case 1: return gc_gram_backward(ctx, &a->d, &a->in, &a->gout, &a->gin);
    case 2: return gc_gram_backward_accumulate(ctx, &a->d, &a->in, &a->gout, 0.5, &a->gin);
    case 3: return gc_gram_style_loss(ctx, &a->d, &a->in, &a->target, 2.0, &loss, &a->gin, &a->ws);
    case 4: return gc_gram_style_loss(ctx, &a->d, &a->in, &a->target, 2.0, &loss, NULL, &a->ws);
    case 5: return gc_gram_forward_reference(ctx, &a->d, &a->in, &a->g);
    default: return gc_gram_backward_reference(ctx, &a->d, &a->in, &a->gout, &a->gin);
    }
}

static void gram_case(const char *name, int threads, int center, gc_dtype dt, int rank,
                      const int64_t *dims)
{
    static const char *const what[] = {"forward", "backward", "backward_accumulate", "style_loss",
                                       "style_loss (loss only)", "forward_reference",
                                       "backward_reference"};
    probe pr;
    gc_context *ctx = probe_ctx(&pr, threads);
    gram_arg a = {.d = gc_gram_desc_default()};
    a.d.center = center;
    filled(ctx, &a.in, dt, rank, dims, 11);
    int r;
    int64_t gd[GC_MAX_RANK];
    GC_CHECK_OK(gc_gram_shape(ctx, &a.d, &a.in, &r, gd));
    GC_CHECK_OK(gc_tensor_create(ctx, &a.g, dt, r, gd));
    GC_CHECK_OK(gc_tensor_create(ctx, &a.ws, dt, r, gd));
    filled(ctx, &a.gout, dt, r, gd, 12);
    filled(ctx, &a.target, dt, r, gd, 13);
    GC_CHECK_OK(gc_tensor_create(ctx, &a.gin, dt, rank, dims));
    for (a.which = 0; a.which <= 6; a.which++) {
        char full[128];
        snprintf(full, sizeof full, "gram %s: %s", name, what[a.which]);
        /* the references allocate only when centring (the row means) */
        const int allocs = a.which >= 5 ? (center ? ALLOCS_SOME : ALLOCS_ANY) : ALLOCS_ANY;
        inject(full, ctx, &pr, op_gram, &a, allocs);
    }
    gc_tensor *all[] = {&a.in, &a.g, &a.ws, &a.gout, &a.target, &a.gin};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
    GC_CHECK(pr.live == 0);
    gc_context_free(ctx);
}

static void test_alloc_gram(void)
{
    gram_case("M x K, 2 threads", 2, 0, GC_DTYPE_F32, 2, (int64_t[]){37, 300});
    gram_case("C x H x W centred f64", 3, 1, GC_DTYPE_F64, 3, (int64_t[]){9, 7, 11});
    gram_case("N x C x H x W centred, 20 threads", 20, 1, GC_DTYPE_F32, 4, (int64_t[]){2, 40, 9, 30});
    /* the optimised paths must allocate something somewhere (else the injection proves little) */
    probe pr;
    gc_context *ctx = probe_ctx(&pr, 2);
    gram_arg a = {.d = gc_gram_desc_default()};
    a.d.center = 1;
    filled(ctx, &a.in, GC_DTYPE_F32, 2, (int64_t[]){20, 500}, 1);
    GC_CHECK_OK(gc_tensor_create(ctx, &a.g, GC_DTYPE_F32, 2, (int64_t[]){20, 20}));
    GC_CHECK(inject("gram forward centred", ctx, &pr, op_gram, &a, ALLOCS_SOME) >= 1);
    gc_tensor_free(&a.in);
    gc_tensor_free(&a.g);
    gc_context_free(ctx);
    report();
}

/* ---- conv2d ------------------------------------------------------------------------------ */

typedef struct {
    gc_conv2d_desc d;
    gc_tensor in, w, b, out, gout, gin, gw, gb;
    gc_conv_pass pass;
    void *ws;
    size_t ws_bytes;
} conv_arg;

static gc_status op_conv(gc_context *ctx, void *arg)
{
    conv_arg *a = arg;
    switch (a->pass) {
    case GC_CONV_PASS_FORWARD:
        return gc_conv2d_forward(ctx, &a->d, &a->in, &a->w, &a->b, &a->out, a->ws, a->ws_bytes);
    case GC_CONV_PASS_BACKWARD_INPUT:
        return gc_conv2d_backward_input(ctx, &a->d, &a->gout, &a->w, &a->gin, a->ws, a->ws_bytes);
    default:
        return gc_conv2d_backward_weight(ctx, &a->d, &a->in, &a->gout, 1.0, &a->gw, &a->gb, a->ws,
                                         a->ws_bytes);
    }
}

/* allocs: what each pass (forward, backward_input, backward_weight) must do */
static void conv_case(const char *name, int threads, gc_conv2d_desc d, int64_t H, const int *allocs)
{
    static const char *const pass_name[] = {"forward", "backward_input", "backward_weight"};
    probe pr;
    gc_context *ctx = probe_ctx(&pr, threads);
    conv_arg a = {.d = d};
    const int64_t N = 2, C = 4, W = 15, O = 6;
    filled(ctx, &a.in, GC_DTYPE_F32, 4, (int64_t[]){N, C, H, W}, 21);
    filled(ctx, &a.w, GC_DTYPE_F32, 4, (int64_t[]){O, C / d.groups, 3, 3}, 22);
    filled(ctx, &a.b, GC_DTYPE_F32, 1, (int64_t[]){O}, 23);
    int r;
    int64_t od[GC_MAX_RANK];
    GC_CHECK_OK(gc_conv2d_shape(ctx, &a.d, &a.in, &a.w, &r, od));
    GC_CHECK_OK(gc_tensor_create(ctx, &a.out, GC_DTYPE_F32, r, od));
    filled(ctx, &a.gout, GC_DTYPE_F32, r, od, 24);
    GC_CHECK_OK(gc_tensor_create(ctx, &a.gin, GC_DTYPE_F32, 4, (int64_t[]){N, C, H, W}));
    GC_CHECK_OK(gc_tensor_create(ctx, &a.gw, GC_DTYPE_F32, 4, a.w.dims));
    GC_CHECK_OK(gc_tensor_create(ctx, &a.gb, GC_DTYPE_F32, 1, (int64_t[]){O}));
    for (int pass = 0; pass < 3; pass++) {
        a.pass = (gc_conv_pass)pass;
        a.ws = NULL;
        a.ws_bytes = 0;
        /* the workspace is caller memory (plain malloc): its query allocates nothing */
        long c0 = pr.calls;
        GC_CHECK_OK(gc_conv2d_workspace_size(ctx, &a.d, pass == GC_CONV_PASS_BACKWARD_INPUT ? &a.gin : &a.in,
                                             pass == GC_CONV_PASS_BACKWARD_WEIGHT ? &a.gw : &a.w,
                                             a.pass, &a.ws_bytes));
        GC_CHECK(pr.calls == c0);
        if (a.ws_bytes)
            GC_CHECK(posix_memalign(&a.ws, 64, a.ws_bytes) == 0);
        char full[128];
        snprintf(full, sizeof full, "conv2d %s: %s", name, pass_name[pass]);
        inject(full, ctx, &pr, op_conv, &a, allocs[pass]);
        free(a.ws);
    }
    gc_tensor *all[] = {&a.in, &a.w, &a.b, &a.out, &a.gout, &a.gin, &a.gw, &a.gb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
    GC_CHECK(pr.live == 0);
    gc_context_free(ctx);
}

static void test_alloc_conv2d(void)
{
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = d.pad[1] = 1;
    conv_case("auto, 2 threads", 2, d, 13, (const int[]){ALLOCS_NONE, ALLOCS_NONE, ALLOCS_NONE});
    d.algo = GC_CONV_ALGO_DIRECT;
    d.padding_mode = GC_BOUNDARY_REFLECT;
    conv_case("direct reflect", 2, d, 13, (const int[]){ALLOCS_NONE, ALLOCS_NONE, ALLOCS_NONE});
    d = gc_conv2d_desc_default();
    d.algo = GC_CONV_ALGO_IM2COL;
    d.stride[0] = 2;
    d.dilation[1] = 2;
    d.groups = 2;
    conv_case("im2col strided grouped", 2, d, 13, (const int[]){ALLOCS_NONE, ALLOCS_NONE, ALLOCS_NONE});
    /* the plain-loop reference accumulates in a float64 buffer from the allocator */
    d.algo = GC_CONV_ALGO_REFERENCE;
    conv_case("reference", 1, d, 13, (const int[]){ALLOCS_SOME, ALLOCS_SOME, ALLOCS_SOME});
    /* 20 threads: the context's persistent worker pool (parallel.c) needs no allocation;
     * whatever the chosen algorithm allocates, failures are still clean */
    d = gc_conv2d_desc_default();
    conv_case("auto, 20 threads", 20, d, 1000, (const int[]){ALLOCS_ANY, ALLOCS_ANY, ALLOCS_ANY});
    report();
}

/* ---- .npy --------------------------------------------------------------------------------- */

typedef struct {
    char dir[64], path[96];
    const void *mem;
    size_t mem_size;
    const gc_tensor *want, *t;
    int which; /* 0 read, 1 read_mem, 2 write */
} npy_arg;

static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static gc_status op_npy(gc_context *ctx, void *arg)
{
    npy_arg *a = arg;
    gc_tensor t;
    gc_status st;
    if (a->which == 2) {
        unlink(a->path);
        st = gc_npy_write(ctx, a->path, a->t);
        /* a failed write leaves nothing behind: no file, no temporary */
        if (st != GC_OK && dir_entries(a->dir) != 0)
            st = GC_ERR_INTERNAL;
        return st;
    }
    st = a->which == 0 ? gc_npy_read(ctx, a->path, &t) : gc_npy_read_mem(ctx, a->mem, a->mem_size, &t);
    if (st == GC_OK) {
        if (gc_test_max_abs_diff(&t, a->want) != 0.0)
            st = GC_ERR_INTERNAL;
        gc_tensor_free(&t);
    } else if (t.data != NULL) {
        st = GC_ERR_INTERNAL;
    }
    return st;
}

static void *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void test_alloc_npy(void)
{
    probe pr;
    gc_context *ctx = probe_ctx(&pr, 1);
    npy_arg a;
    memset(&a, 0, sizeof a);
    snprintf(a.dir, sizeof a.dir, "/tmp/gc_alloc_npy.XXXXXX");
    GC_CHECK(mkdtemp(a.dir) != NULL);
    snprintf(a.path, sizeof a.path, "%s/a.npy", a.dir);
    /* a strided view (the writer's chunk buffer) and a contiguous one */
    gc_tensor base, tr;
    filled(ctx, &base, GC_DTYPE_F64, 3, (int64_t[]){3, 4, 5}, 31);
    GC_CHECK_OK(gc_tensor_transpose(&base, 0, 2, &tr));
    const gc_tensor *srcs[] = {&tr, &base};
    for (int s = 0; s < 2; s++) {
        a.t = srcs[s];
        a.which = 2;
        inject(s ? "npy_write contiguous" : "npy_write strided", ctx, &pr, op_npy, &a, ALLOCS_SOME);
        a.want = srcs[s];
        a.which = 0;
        inject("npy_read", ctx, &pr, op_npy, &a, ALLOCS_SOME);
        void *mem = slurp(a.path, &a.mem_size);
        GC_CHECK(mem != NULL);
        a.mem = mem;
        a.which = 1;
        inject("npy_read_mem", ctx, &pr, op_npy, &a, ALLOCS_SOME);
        free(mem);
    }
    /* Fortran order: the reader's extra reordering buffer */
    a.which = 0;
    a.want = NULL;
    {
        gc_tensor want;
        snprintf(a.path, sizeof a.path, "%s", gc_test_golden("npy_fortran_be_f8.npy"));
        GC_CHECK_OK(gc_npy_read(NULL, a.path, &want));
        a.want = &want;
        GC_CHECK(inject("npy_read fortran", ctx, &pr, op_npy, &a, ALLOCS_SOME) >= 3);
        gc_tensor_free(&want);
    }
    snprintf(a.path, sizeof a.path, "%s/a.npy", a.dir);
    unlink(a.path);
    GC_CHECK(rmdir(a.dir) == 0);
    gc_tensor_free(&base);
    GC_CHECK(pr.live == 0);
    gc_context_free(ctx);
    report();
}

GC_TEST_TABLE(gc_tests_alloc) = {
    {"alloc_tensor", test_alloc_tensor},
    {"alloc_corr", test_alloc_corr},
    {"alloc_gram", test_alloc_gram},
    {"alloc_conv2d", test_alloc_conv2d},
    {"alloc_npy", test_alloc_npy},
    {NULL, NULL},
};
