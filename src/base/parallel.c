/* parallel.c - a static-schedule parallel for over pthreads. The calling thread works too.
 * Which tasks a thread runs depends only on (ntasks, nthreads), so per-element sum orders,
 * and therefore results, never depend on timing. Threads come from a persistent pool in the
 * context (started lazily, joined by gc_context_free); when the pool is busy (a nested call,
 * or two application threads sharing a context) or a worker cannot start, the call spawns
 * and joins its own threads instead, with the same task->thread mapping. */
#include "base/internal.h"

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

void gc_pool_init(gc_pool *pool)
{
    pool->ok = 0;
    if (pthread_mutex_init(&pool->busy, NULL) != 0)
        return;
    if (pthread_mutex_init(&pool->m, NULL) != 0)
        goto fail_busy;
    if (pthread_cond_init(&pool->wake, NULL) != 0)
        goto fail_m;
    if (pthread_cond_init(&pool->done, NULL) != 0)
        goto fail_wake;
    pool->ok = 1;
    return;
fail_wake:
    pthread_cond_destroy(&pool->wake);
fail_m:
    pthread_mutex_destroy(&pool->m);
fail_busy:
    pthread_mutex_destroy(&pool->busy);
}

void gc_pool_destroy(gc_pool *pool)
{
    if (!pool->ok)
        return;
    pthread_mutex_lock(&pool->m);
    pool->shutdown = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->m);
    for (int i = 1; i <= pool->nworkers; i++)
        pthread_join(pool->tids[i], NULL);
    pool->nworkers = 0;
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->m);
    pthread_mutex_destroy(&pool->busy);
    pool->ok = 0;
}

/* A pool worker: wait for a new generation; run its share when its index is in the job. */
static void *gc_pool_main(void *p)
{
    gc_pool_slot *slot = p;
    gc_pool *pool = slot->pool;
    int index = slot->index;
    uint64_t seen = slot->gen;
    pthread_mutex_lock(&pool->m);
    for (;;) {
        while (pool->gen == seen && !pool->shutdown)
            pthread_cond_wait(&pool->wake, &pool->m);
        if (pool->shutdown)
            break;
        seen = pool->gen;
        if (index >= pool->nthreads)
            continue;
        int n = pool->nthreads;
        int64_t ntasks = pool->ntasks;
        gc_task_fn fn = pool->fn;
        void *arg = pool->arg;
        pthread_mutex_unlock(&pool->m);
        for (int64_t t = index; t < ntasks; t += n)
            fn(t, index, arg);
        pthread_mutex_lock(&pool->m);
        if (--pool->pending == 0)
            pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->m);
    return NULL;
}

/* Run the job on the pool; false (nothing run) when the pool is busy or cannot grow. */
static bool gc_pool_run(gc_pool *pool, int nthreads, int64_t ntasks, gc_task_fn fn, void *arg)
{
    if (!pool->ok || pthread_mutex_trylock(&pool->busy) != 0)
        return false;
    /* gen only changes while busy is held (here), so new workers wait for the next job. */
    while (pool->nworkers < nthreads - 1) {
        int i = pool->nworkers + 1;
        pool->slots[i] = (gc_pool_slot){.pool = pool, .index = i, .gen = pool->gen};
        if (pthread_create(&pool->tids[i], NULL, gc_pool_main, &pool->slots[i]) != 0) {
            pthread_mutex_unlock(&pool->busy);
            return false;
        }
        pool->nworkers = i;
    }
    pthread_mutex_lock(&pool->m);
    pool->nthreads = nthreads;
    pool->ntasks = ntasks;
    pool->fn = fn;
    pool->arg = arg;
    pool->pending = nthreads - 1;
    pool->gen++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->m);
    for (int64_t t = 0; t < ntasks; t += nthreads)
        fn(t, 0, arg);
    pthread_mutex_lock(&pool->m);
    while (pool->pending > 0)
        pthread_cond_wait(&pool->done, &pool->m);
    pthread_mutex_unlock(&pool->m);
    pthread_mutex_unlock(&pool->busy);
    return true;
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
    if (ctx && gc_pool_run(&ctx->pool, nthreads, ntasks, fn, arg))
        return GC_OK;
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
