/* src/base/ - layer 0, the foundation every other folder builds on: status codes and their
 * messages (status.c), contexts with their threads, ISA choice, allocator hook and limits
 * (context.c), checked allocation (alloc.c), tensor descriptors and views (tensor.c), CPU
 * feature detection (cpu.c) and the thread pool (parallel.c). It includes nothing of the
 * library but gramconv.h. This header is the folder's private interface. */
/* internal.h - private declarations shared by the library's source files. Not installed. */
#ifndef GC_INTERNAL_H
#define GC_INTERNAL_H

#include "gramconv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

#define GC_DEFAULT_MAX_ALLOC (16ull << 30)
#define GC_MAX_THREADS 1024

/* Persistent workers of gc_parallel_for (parallel.c); worker i (1..nworkers) is thread i. */
typedef struct gc_pool_slot {
    struct gc_pool *pool;
    int index;
    uint64_t gen; /* generation current when the worker was started */
} gc_pool_slot;
typedef struct gc_pool {
    int ok;                     /* mutexes/conds initialised */
    pthread_mutex_t busy;       /* held by the one caller using the pool (trylock) */
    pthread_mutex_t m;          /* guards the fields below */
    pthread_cond_t wake, done;
    int nworkers, shutdown, nthreads, pending;
    uint64_t gen;
    int64_t ntasks;
    void (*fn)(int64_t, int, void *);
    void *arg;
    pthread_t tids[GC_MAX_THREADS];
    gc_pool_slot slots[GC_MAX_THREADS];
} gc_pool;
void gc_pool_init(gc_pool *pool);
void gc_pool_destroy(gc_pool *pool); /* joins the workers */

struct gc_context {
    int nthreads;              /* 0 = default */
    gc_isa isa;                /* GC_ISA_AUTO = detect */
    gc_allocator allocator;    /* always filled (malloc by default) */
    uint64_t max_alloc;        /* bytes */
    int64_t max_pixels;        /* images (image.c); 0 = GC_IMAGE_DEFAULT_MAX_PIXELS */
    char error[256];
    gc_pool pool;              /* parallel.c */
};

/* ---- errors ------------------------------------------------------------------------- */
/* Record a printf-style message in ctx (if any) and return `status`. */
gc_status gc_fail(gc_context *ctx, gc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void gc_clear_error(gc_context *ctx);

/* ---- checked arithmetic ------------------------------------------------------------- */
static inline bool gc_mul_ok(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool gc_add_ok(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* ---- memory ------------------------------------------------------------------------- */
const gc_allocator *gc_ctx_allocator(const gc_context *ctx);
uint64_t gc_ctx_max_alloc(const gc_context *ctx);
/* Allocate `count * elem` bytes aligned to 64 through ctx's allocator, with overflow and limit
 * checks; sets *out (NULL on failure) and records a message. */
gc_status gc_alloc(gc_context *ctx, int64_t count, size_t elem, void **out);
void gc_free(gc_context *ctx, void *ptr);
void *gc_default_alloc(size_t size, size_t align, void *user);
void gc_default_free(void *ptr, void *user);

/* ---- tensors ------------------------------------------------------------------------ */
/* Validate a descriptor (dtype, rank, dims >= 0, strides >= 0, data non-NULL if non-empty). */
gc_status gc_tensor_check(gc_context *ctx, const gc_tensor *t, const char *what);
/* [lo, hi) byte range touched by t; lo == hi for an empty tensor. */
void gc_tensor_span(const gc_tensor *t, uintptr_t *lo, uintptr_t *hi);
/* 1 if the byte ranges of a and b intersect. */
int gc_tensor_overlap(const gc_tensor *a, const gc_tensor *b);
/* 1 if two different index tuples of t can reach one element (e.g. a stride-0 broadcast). */
int gc_tensor_self_overlaps(const gc_tensor *t);
static inline double gc_load(const void *base, gc_dtype dt, int64_t off)
{
    return dt == GC_DTYPE_F32 ? (double)((const float *)base)[off] : ((const double *)base)[off];
}
static inline void gc_store(void *base, gc_dtype dt, int64_t off, double v)
{
    if (dt == GC_DTYPE_F32)
        ((float *)base)[off] = (float)v;
    else
        ((double *)base)[off] = v;
}

/* ---- CPU features and threads ------------------------------------------------------- */
/* Highest ISA the CPU supports (cpuid + OS state), ignoring GC_ISA. */
gc_isa gc_isa_cpu(void);
/* Bytes of level-1 data cache per core (cpuid leaf 4, or AMD's 0x80000005; 32 KiB where
 * neither answers), or what gc_cpu_l1d_override set. Kernel sets size their blocks by it,
 * so it can change the last bits of blocked float32 sums between CPUs, never between
 * thread counts. */
int64_t gc_cpu_l1d_bytes(void);
/* Make gc_cpu_l1d_bytes return `bytes` (0: detect again). For tests that run both blockings
 * on one machine; not thread-safe against running computations. */
void gc_cpu_l1d_override(int64_t bytes);
/* 1 where the L1D holds at least 48 KiB: the cores with two 512-bit FMA pipes (Intel since
 * Ice Lake, AMD Zen 5; Zen 4 has 32 KiB and half the rate), whose FMAs outrun what L2 feeds a
 * kernel that streams an operand from it. Blockings that keep operands in L1 pay off there. */
int gc_cpu_fma_outruns_l2(void);

/* Run fn(task, nthreads_used, arg) for task in [0, ntasks) on up to nthreads threads. Tasks
 * are assigned statically (thread t takes tasks t, t+n, ...) so which thread runs which
 * task depends only on the counts. fn must not fail; per-task errors go through arg. */
typedef void (*gc_task_fn)(int64_t task, int thread, void *arg);
gc_status gc_parallel_for(gc_context *ctx, int nthreads, int64_t ntasks, gc_task_fn fn,
                          void *arg);

#endif /* GC_INTERNAL_H */
