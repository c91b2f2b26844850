/* gc_test.h - the tiny test harness: every check counts, the runner prints
 * "N passed, N failed, N skipped" and exits non-zero on any failure (77 when tests were
 * skipped and none failed). */
#ifndef GC_TEST_H
#define GC_TEST_H

#include "gramconv.h"

#include <stdio.h>

extern int gc_test_failures; /* checks failed in the current test */
/* The current test (or a part of it) needs what this build or machine lacks (why: e.g. "no
 * PNG support in this build"): the runner reports it as skipped, not passed. Its checks still
 * count: a failed check fails it. */
void gc_test_skip(const char *why);

#define GC_CHECK(cond)                                                                         \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);         \
            gc_test_failures++;                                                                \
        }                                                                                      \
    } while (0)

#define GC_CHECK_MSG(cond, ...)                                                                \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, "\n");                                                             \
            gc_test_failures++;                                                                \
        }                                                                                      \
    } while (0)

#define GC_CHECK_OK(expr)                                                                      \
    do {                                                                                       \
        gc_status gc_st_ = (expr);                                                             \
        if (gc_st_ != GC_OK) {                                                                 \
            fprintf(stderr, "  %s:%d: %s returned %s\n", __FILE__, __LINE__, #expr,            \
                    gc_status_str(gc_st_));                                                    \
            gc_test_failures++;                                                                \
        }                                                                                      \
    } while (0)

#define GC_CHECK_STATUS(expr, want)                                                            \
    do {                                                                                       \
        gc_status gc_st_ = (expr);                                                             \
        if (gc_st_ != (want)) {                                                                \
            fprintf(stderr, "  %s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__,      \
                    #expr, gc_status_str(gc_st_), gc_status_str(want));                        \
            gc_test_failures++;                                                                \
        }                                                                                      \
    } while (0)

typedef struct gc_test_case {
    const char *name;
    void (*fn)(void);
} gc_test_case;

/* Each test file exports a NULL-terminated table. */
#define GC_TEST_TABLE(name) const gc_test_case name[]

/* deterministic random numbers for tests: uniform in [-1, 1) */
typedef struct gc_rng { unsigned long long s; } gc_rng;
static inline double gc_rng_next(gc_rng *r)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(r->s >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

/* Fill a tensor (any strides) with random values; integer-valued in [-8, 8] if `integers`. */
/* A counting allocator for gc_context_set_allocator: counts calls and live blocks, records the
 * largest request, and fails call number fail_at (0: never). Error paths must leave live at
 * its value before the call. */
typedef struct gc_test_counter {
    long calls, fail_at, live;
    size_t largest;
} gc_test_counter;
gc_allocator gc_test_counter_allocator(gc_test_counter *c);

void gc_test_fill(gc_tensor *t, gc_rng *rng, int integers);
/* Max |a-b| / (tol_scale) style comparison: returns the largest |a - b| over all elements. */
double gc_test_max_abs_diff(const gc_tensor *a, const gc_tensor *b);
/* Fill every element with NaN (poison before an op writes). */
void gc_test_poison(gc_tensor *t);
/* Path of a golden file under the source tree's tests/golden. */
const char *gc_test_golden(const char *name);
/* conv2d calls with their workspace: query, allocate (64-byte aligned, outside the context's
 * allocator), run, free (tests/test_conv2d.c). */
gc_status gc_test_conv2d_forward(gc_context *ctx, const gc_conv2d_desc *d, const gc_tensor *in,
                                 const gc_tensor *w, const gc_tensor *b, gc_tensor *out);
gc_status gc_test_conv2d_backward_input(gc_context *ctx, const gc_conv2d_desc *d,
                                        const gc_tensor *gout, const gc_tensor *w, gc_tensor *gin);
gc_status gc_test_conv2d_backward_weight(gc_context *ctx, const gc_conv2d_desc *d,
                                         const gc_tensor *in, const gc_tensor *gout, double scale,
                                         gc_tensor *gw, gc_tensor *gb);

#endif
