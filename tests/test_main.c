/* test_main.c - runs every test table; `gc_tests [FILTER]` runs the tests whose name
 * contains FILTER. Ends with "N passed, N failed, N skipped"; exit status 1 on any failure,
 * 77 (ctest's SKIP_RETURN_CODE) when a test was skipped (gc_test_skip) and none failed. */
#include "gc_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int gc_test_failures;
static const char *gc_test_skip_why;

void gc_test_skip(const char *why)
{
    if (!gc_test_skip_why)
        gc_test_skip_why = why;
}

extern const gc_test_case gc_tests_tensor[];
extern const gc_test_case gc_tests_corr[];
extern const gc_test_case gc_tests_fft[];
extern const gc_test_case gc_tests_npy[];
extern const gc_test_case gc_tests_gram[];
extern const gc_test_case gc_tests_conv2d[];
extern const gc_test_case gc_tests_conv2d_winograd[];
extern const gc_test_case gc_tests_conv2d_gemm[];
extern const gc_test_case gc_tests_alloc[];
extern const gc_test_case gc_tests_harden[];
extern const gc_test_case gc_tests_optim[];
extern const gc_test_case gc_tests_synth[];
extern const gc_test_case gc_tests_synth_quality[];
extern const gc_test_case gc_tests_synth_swd[];
extern const gc_test_case gc_tests_synth_style[];
extern const gc_test_case gc_tests_nn[];
extern const gc_test_case gc_tests_tile[];
extern const gc_test_case gc_tests_image[];
extern const gc_test_case gc_tests_safetensors[];
extern const gc_test_case gc_tests_parallel[];
extern const gc_test_case gc_tests_texture_score[];

static const gc_test_case *const gc_all_tables[] = {gc_tests_tensor, gc_tests_corr, gc_tests_fft, gc_tests_npy, gc_tests_conv2d, gc_tests_conv2d_winograd, gc_tests_conv2d_gemm, gc_tests_gram, gc_tests_alloc, gc_tests_harden, gc_tests_optim, gc_tests_synth, gc_tests_synth_quality, gc_tests_synth_swd, gc_tests_synth_style, gc_tests_nn, gc_tests_tile, gc_tests_image, gc_tests_safetensors, gc_tests_parallel, gc_tests_texture_score};

static void *gc_test_counter_alloc(size_t size, size_t align, void *user)
{
    gc_test_counter *c = user;
    if (size > c->largest)
        c->largest = size;
    if (++c->calls == c->fail_at)
        return NULL;
    void *p = NULL;
    if (posix_memalign(&p, align, size ? size : align) != 0)
        return NULL;
    c->live++;
    return p;
}

static void gc_test_counter_free(void *p, void *user)
{
    gc_test_counter *c = user;
    c->live--;
    free(p);
}

gc_allocator gc_test_counter_allocator(gc_test_counter *c)
{
    return (gc_allocator){gc_test_counter_alloc, gc_test_counter_free, c};
}

static void gc_walk(gc_tensor *t, void (*fn)(gc_tensor *, int64_t, void *), void *arg)
{
    int64_t n;
    if (gc_tensor_numel(t, &n) != GC_OK || n == 0)
        return;
    int64_t idx[GC_MAX_RANK] = {0};
    for (int64_t e = 0; e < n; e++) {
        int64_t off = 0;
        for (int i = 0; i < t->rank; i++)
            off += idx[i] * t->strides[i];
        fn(t, off, arg);
        for (int i = t->rank - 1; i >= 0; i--) {
            if (++idx[i] < t->dims[i])
                break;
            idx[i] = 0;
        }
    }
}

static void gc_set(gc_tensor *t, int64_t off, double v)
{
    if (t->dtype == GC_DTYPE_F32)
        ((float *)t->data)[off] = (float)v;
    else
        ((double *)t->data)[off] = v;
}

typedef struct { gc_rng *rng; int integers; } gc_fill_arg;
static void gc_fill_one(gc_tensor *t, int64_t off, void *arg)
{
    gc_fill_arg *a = arg;
    double v = gc_rng_next(a->rng);
    if (a->integers)
        v = floor(v * 8.5);
    gc_set(t, off, v);
}

void gc_test_fill(gc_tensor *t, gc_rng *rng, int integers)
{
    gc_fill_arg a = {rng, integers};
    gc_walk(t, gc_fill_one, &a);
}

static void gc_poison_one(gc_tensor *t, int64_t off, void *arg)
{
    (void)arg;
    gc_set(t, off, NAN);
}

void gc_test_poison(gc_tensor *t) { gc_walk(t, gc_poison_one, NULL); }

double gc_test_max_abs_diff(const gc_tensor *a, const gc_tensor *b)
{
    if (a->rank != b->rank)
        return INFINITY;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return INFINITY;
    int64_t n;
    if (gc_tensor_numel(a, &n) != GC_OK)
        return INFINITY;
    int64_t idx[GC_MAX_RANK] = {0};
    double worst = 0.0;
    for (int64_t e = 0; e < n; e++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < a->rank; i++) {
            oa += idx[i] * a->strides[i];
            ob += idx[i] * b->strides[i];
        }
        double va = a->dtype == GC_DTYPE_F32 ? ((float *)a->data)[oa] : ((double *)a->data)[oa];
        double vb = b->dtype == GC_DTYPE_F32 ? ((float *)b->data)[ob] : ((double *)b->data)[ob];
        double d = fabs(va - vb);
        if (isnan(d))
            return INFINITY; /* a NaN anywhere (poison left unwritten) fails */
        if (d > worst)
            worst = d;
        for (int i = a->rank - 1; i >= 0; i--) {
            if (++idx[i] < a->dims[i])
                break;
            idx[i] = 0;
        }
    }
    return worst;
}

const char *gc_test_golden(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", GC_TEST_GOLDEN_DIR, name);
    return buf;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0, skipped = 0;
    for (size_t ti = 0; ti < sizeof gc_all_tables / sizeof gc_all_tables[0]; ti++)
        for (const gc_test_case *tc = gc_all_tables[ti]; tc->name; tc++) {
            if (filter && !strstr(tc->name, filter))
                continue;
            gc_test_failures = 0;
            gc_test_skip_why = NULL;
            tc->fn();
            if (gc_test_failures) {
                printf("FAIL %s (%d checks)\n", tc->name, gc_test_failures);
                failed++;
            } else if (gc_test_skip_why) {
                printf("skip %s (%s)\n", tc->name, gc_test_skip_why);
                skipped++;
            } else {
                printf("ok   %s\n", tc->name);
                passed++;
            }
            fflush(stdout);
        }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed || passed + skipped == 0 ? 1 : skipped ? 77 : 0;
}
