/* parallel.c - a static-schedule parallel for over pthreads. The calling thread works too.
 * Which tasks a thread runs depends only on (ntasks, nthreads), so per-element sum orders,
 * and therefore results, never depend on timing. */
#include "internal.h"

#include <pthread.h>

typedef struct gc_worker {
    pthread_t tid;
    int index, nthreads;
    int64_t ntasks;
    gc_task_fn fn;
    void *arg;
} gc_worker;

static void gc_worker_run(gc_worker *w)
{
    for (int64_t t = w->index; t < w->ntasks; t += w->nthreads)
        w->fn(t, w->index, w->arg);
}

static void *gc_worker_main(void *p)
{
    gc_worker_run((gc_worker *)p);
    return NULL;
}

gc_status gc_parallel_for(gc_context *ctx, int nthreads, int64_t ntasks, gc_task_fn fn, void *arg)
{
    if (ntasks <= 0)
        return GC_OK;
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > GC_MAX_THREADS)
        nthreads = GC_MAX_THREADS;
    if ((int64_t)nthreads > ntasks)
        nthreads = (int)ntasks;
    if (nthreads == 1) {
        for (int64_t t = 0; t < ntasks; t++)
            fn(t, 0, arg);
        return GC_OK;
    }
    gc_worker stack_workers[16];
    gc_worker *workers = stack_workers;
    void *heap = NULL;
    if (nthreads > 16) {
        gc_status st = gc_alloc(ctx, nthreads, sizeof(gc_worker), &heap);
        if (st != GC_OK)
            return st;
        workers = heap;
    }
    int started = 0;
    gc_status status = GC_OK;
    for (int i = 0; i < nthreads; i++)
        workers[i] = (gc_worker){.index = i, .nthreads = nthreads, .ntasks = ntasks, .fn = fn, .arg = arg};
    for (int i = 1; i < nthreads; i++) {
        if (pthread_create(&workers[i].tid, NULL, gc_worker_main, &workers[i]) != 0) {
            status = gc_fail(ctx, GC_ERR_THREAD, "could not start worker thread %d of %d", i, nthreads);
            break;
        }
        started++;
    }
    if (status == GC_OK)
        gc_worker_run(&workers[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(workers[i].tid, NULL);
    gc_free(ctx, heap);
    return status;
}
