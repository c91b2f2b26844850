/* alloc.c - the library's memory: the default aligned allocator, the context's allocator and
 * limit, and checked allocation (gc_alloc / gc_free). Every buffer the library makes comes from
 * here. */
#include "base/internal.h"

#include <stdint.h>
#include <stdlib.h>

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
