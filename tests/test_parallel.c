/* test_parallel.c - gc_parallel_for and its persistent worker pool: the task->thread mapping
 * (thread t runs tasks t, t+n, ...), back-to-back calls with changing thread counts, a nested
 * call from a task, and two application threads sharing one context. */
#include "gc_test.h"
#include "base/internal.h"

#include <pthread.h>
#include <stdlib.h>

enum { PT_MAX_TASKS = 64 };

typedef struct pt_job {
    int thread_of[PT_MAX_TASKS]; /* each task written by exactly one thread */
    int runs[PT_MAX_TASKS];
    gc_context *ctx;
    int nested_threads;
    int nested_ok; /* tasks whose nested call ran with the right mapping */
} pt_job;

static void pt_record(int64_t task, int thread, void *arg)
{
    pt_job *j = arg;
    j->thread_of[task] = thread;
    j->runs[task]++;
}

/* All tasks ran once, task t on thread t % n with n = min(nthreads, ntasks). */
static int pt_mapping_ok(const pt_job *j, int nthreads, int64_t ntasks)
{
    int n = nthreads < 1 ? 1 : nthreads;
    if (n > ntasks)
        n = (int)ntasks;
    for (int64_t t = 0; t < ntasks; t++)
        if (j->runs[t] != 1 || j->thread_of[t] != (int)(t % n))
            return 0;
    return 1;
}

static int pt_run_and_check(gc_context *ctx, int nthreads, int64_t ntasks)
{
    pt_job j = {0};
    if (gc_parallel_for(ctx, nthreads, ntasks, pt_record, &j) != GC_OK)
        return 0;
    return pt_mapping_ok(&j, nthreads, ntasks);
}

static void test_parallel_mapping_back_to_back(void)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_test_counter counter = {0};
    gc_allocator a = gc_test_counter_allocator(&counter);
    GC_CHECK_OK(gc_context_set_allocator(ctx, &a));
    static const int counts[] = {2, 4, 1, 3, 8, 2, 5, 20, 3};
    int bad = 0;
    for (int rep = 0; rep < 300; rep++) {
        int n = counts[rep % 9];
        int64_t ntasks = 1 + (rep * 7) % PT_MAX_TASKS;
        if (!pt_run_and_check(ctx, n, ntasks))
            bad++;
    }
    GC_CHECK_MSG(bad == 0, "%d calls with a wrong task->thread mapping", bad);
    GC_CHECK(counter.calls == 0); /* the pool never allocates through the context */
    gc_context_free(ctx);
    /* A context whose pool never started. */
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_context_free(ctx);
}

static void pt_nested(int64_t task, int thread, void *arg)
{
    pt_job *j = arg;
    pt_record(task, thread, arg);
    pt_job inner = {0};
    if (gc_parallel_for(j->ctx, j->nested_threads, 9, pt_record, &inner) == GC_OK &&
        pt_mapping_ok(&inner, j->nested_threads, 9))
        __atomic_add_fetch(&j->nested_ok, 1, __ATOMIC_RELAXED);
}

static void test_parallel_nested(void)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    for (int rep = 0; rep < 20; rep++) {
        pt_job j = {.ctx = ctx, .nested_threads = 2 + rep % 3};
        GC_CHECK_OK(gc_parallel_for(ctx, 3, 12, pt_nested, &j));
        GC_CHECK(pt_mapping_ok(&j, 3, 12));
        GC_CHECK(__atomic_load_n(&j.nested_ok, __ATOMIC_RELAXED) == 12);
    }
    gc_context_free(ctx);
}

typedef struct pt_app {
    gc_context *ctx;
    int seed, bad;
} pt_app;

static void *pt_app_main(void *p)
{
    pt_app *app = p;
    for (int rep = 0; rep < 200; rep++) {
        int n = 1 + (rep + app->seed) % 4;
        if (!pt_run_and_check(app->ctx, n, 1 + (rep * 5 + app->seed) % PT_MAX_TASKS))
            app->bad++;
    }
    return NULL;
}

static void test_parallel_shared_context(void)
{
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    pt_app apps[2] = {{ctx, 0, 0}, {ctx, 1, 0}};
    pthread_t tid;
    int started = pthread_create(&tid, NULL, pt_app_main, &apps[1]) == 0;
    GC_CHECK(started);
    pt_app_main(&apps[0]);
    if (started)
        pthread_join(tid, NULL);
    GC_CHECK(apps[0].bad == 0);
    GC_CHECK(apps[1].bad == 0);
    gc_context_free(ctx);
}

GC_TEST_TABLE(gc_tests_parallel) = {
    {"parallel_mapping_back_to_back", test_parallel_mapping_back_to_back},
    {"parallel_nested", test_parallel_nested},
    {"parallel_shared_context", test_parallel_shared_context},
    {NULL, NULL},
};
