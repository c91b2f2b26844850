/* context.c - contexts: threads, ISA, allocator and limits (the allocation itself: alloc.c). */
#include "base/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

gc_status gc_context_create(gc_context **out)
{
    if (!out)
        return GC_ERR_NULL;
    *out = NULL;
    gc_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return GC_ERR_NOMEM;
    ctx->allocator = *gc_ctx_allocator(NULL);
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
        ctx->allocator = *gc_ctx_allocator(NULL);
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
