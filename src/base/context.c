/* context.c - contexts (threads, ISA, allocator, limits) and checked allocation. */
#include "base/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* malloc with the alignment made by hand, the block's start kept in the word below the
 * returned pointer. Not posix_memalign: glibc splits an aligned block out of a larger one, so
 * a freed block can no longer serve the same request, and a loop of same-size calls grew the
 * heap by fresh (page-faulting) memory every call until the holes coalesced (the Gram
 * forward at M = 512: 4 MiB of faults per call for its first 9 calls). */
void *gc_default_alloc(size_t size, size_t align, void *user)
{
    (void)user;
    if (align < sizeof(void *))
        align = sizeof(void *);
    if (size == 0)
        size = align;
    if (size > SIZE_MAX - align - sizeof(void *))
        return NULL;
    char *raw = malloc(size + align - 1 + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t a = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
    ((void **)a)[-1] = raw;
    return (void *)a;
}

void gc_default_free(void *ptr, void *user)
{
    (void)user;
    if (ptr)
        free(((void **)ptr)[-1]);
}

static const gc_allocator gc_malloc_allocator = {gc_default_alloc, gc_default_free, NULL};

gc_status gc_context_create(gc_context **out)
{
    if (!out)
        return GC_ERR_NULL;
    *out = NULL;
    gc_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return GC_ERR_NOMEM;
    ctx->allocator = gc_malloc_allocator;
    ctx->max_alloc = GC_DEFAULT_MAX_ALLOC;
    ctx->isa = GC_ISA_AUTO;
    gc_pool_init(&ctx->pool);
    *out = ctx;
    return GC_OK;
}

void gc_context_free(gc_context *ctx)
{
    if (ctx)
        gc_pool_destroy(&ctx->pool);
    free(ctx);
}

gc_status gc_context_set_threads(gc_context *ctx, int nthreads)
{
    if (!ctx)
        return GC_ERR_NULL;
    if (nthreads < 0 || nthreads > GC_MAX_THREADS)
        return gc_fail(ctx, GC_ERR_ARG, "thread count %d is outside 0..%d", nthreads,
                       GC_MAX_THREADS);
    ctx->nthreads = nthreads;
    return GC_OK;
}

static int gc_default_threads(void)
{
    const char *env = getenv("GC_NUM_THREADS");
    if (env && *env) {
        char *end = NULL;
        long v = strtol(env, &end, 10);
        if (end && *end == '\0' && v >= 1 && v <= GC_MAX_THREADS)
            return (int)v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > GC_MAX_THREADS)
        n = GC_MAX_THREADS;
    return (int)n;
}

int gc_context_threads(const gc_context *ctx)
{
    if (ctx && ctx->nthreads > 0)
        return ctx->nthreads;
    return gc_default_threads();
}

gc_status gc_context_set_isa(gc_context *ctx, gc_isa isa)
{
    if (!ctx)
        return GC_ERR_NULL;
    if (isa < GC_ISA_AUTO || isa > GC_ISA_AVX512)
        return gc_fail(ctx, GC_ERR_ARG, "unknown ISA value %d", (int)isa);
    if (isa != GC_ISA_AUTO && isa > gc_isa_cpu())
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "ISA %s is not available on this CPU/build (best: %s)",
                       gc_isa_name(isa), gc_isa_name(gc_isa_cpu()));
    ctx->isa = isa;
    return GC_OK;
}

gc_isa gc_context_isa(const gc_context *ctx)
{
    if (ctx && ctx->isa != GC_ISA_AUTO)
        return ctx->isa;
    return gc_isa_detect();
}

gc_status gc_context_set_allocator(gc_context *ctx, const gc_allocator *allocator)
{
    if (!ctx)
        return GC_ERR_NULL;
    if (!allocator) {
        ctx->allocator = gc_malloc_allocator;
        return GC_OK;
    }
    if (!allocator->alloc || !allocator->free)
        return gc_fail(ctx, GC_ERR_NULL, "allocator has a NULL alloc or free function");
    ctx->allocator = *allocator;
    return GC_OK;
}

gc_status gc_context_set_max_alloc(gc_context *ctx, uint64_t bytes)
{
    if (!ctx)
        return GC_ERR_NULL;
    ctx->max_alloc = bytes ? bytes : GC_DEFAULT_MAX_ALLOC;
    return GC_OK;
}

const gc_allocator *gc_ctx_allocator(const gc_context *ctx)
{
    return ctx ? &ctx->allocator : &gc_malloc_allocator;
}

uint64_t gc_ctx_max_alloc(const gc_context *ctx)
{
    return ctx ? ctx->max_alloc : GC_DEFAULT_MAX_ALLOC;
}

gc_status gc_alloc(gc_context *ctx, int64_t count, size_t elem, void **out)
{
    *out = NULL;
    int64_t bytes;
    if (count < 0 || !gc_mul_ok(count, (int64_t)elem, &bytes) || bytes > INT64_MAX - 64 ||
        (uint64_t)bytes > (uint64_t)SIZE_MAX)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "allocation of %lld x %zu bytes overflows",
                       (long long)count, elem);
    if ((uint64_t)bytes > gc_ctx_max_alloc(ctx))
        return gc_fail(ctx, GC_ERR_LIMIT,
                       "allocation of %lld bytes exceeds the limit of %llu bytes",
                       (long long)bytes, (unsigned long long)gc_ctx_max_alloc(ctx));
    const gc_allocator *a = gc_ctx_allocator(ctx);
    void *p = a->alloc((size_t)(bytes ? bytes : 64), 64, a->user);
    if (!p)
        return gc_fail(ctx, GC_ERR_NOMEM, "out of memory allocating %lld bytes",
                       (long long)bytes);
    *out = p;
    return GC_OK;
}

void gc_free(gc_context *ctx, void *ptr)
{
    if (ptr) {
        const gc_allocator *a = gc_ctx_allocator(ctx);
        a->free(ptr, a->user);
    }
}
