/* status.c - version, status names and per-context error messages. */
#include "base/internal.h"

#include <stdio.h>
#include <string.h>

const char *gc_version(void) { return GC_VERSION_STRING; }
int gc_version_number(void) { return GC_VERSION_NUMBER; }

const char *gc_status_str(gc_status status)
{
    switch (status) {
    case GC_OK: return "GC_OK: success";
    case GC_ERR_NULL: return "GC_ERR_NULL: a required pointer was NULL";
    case GC_ERR_ARG: return "GC_ERR_ARG: an argument is out of range";
    case GC_ERR_RANK: return "GC_ERR_RANK: unsupported tensor rank";
    case GC_ERR_SHAPE: return "GC_ERR_SHAPE: shapes do not agree";
    case GC_ERR_DTYPE: return "GC_ERR_DTYPE: unsupported or mismatched dtype";
    case GC_ERR_ALIAS: return "GC_ERR_ALIAS: an output overlaps an input";
    case GC_ERR_OVERFLOW: return "GC_ERR_OVERFLOW: a size does not fit in 64 bits";
    case GC_ERR_NOMEM: return "GC_ERR_NOMEM: out of memory";
    case GC_ERR_LIMIT: return "GC_ERR_LIMIT: a resource limit would be exceeded";
    case GC_ERR_EMPTY: return "GC_ERR_EMPTY: a dimension is empty";
    case GC_ERR_LAYOUT: return "GC_ERR_LAYOUT: unsupported memory layout";
    case GC_ERR_IO: return "GC_ERR_IO: file input/output failed";
    case GC_ERR_FORMAT: return "GC_ERR_FORMAT: malformed file";
    case GC_ERR_UNSUPPORTED: return "GC_ERR_UNSUPPORTED: not supported by this build or CPU";
    case GC_ERR_THREAD: return "GC_ERR_THREAD: could not start a thread";
    case GC_ERR_INTERNAL: return "GC_ERR_INTERNAL: internal error";
    }
    return "GC_ERR_?: unknown status";
}

gc_status gc_fail(gc_context *ctx, gc_status status, const char *fmt, ...)
{
    if (ctx) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
        va_end(ap);
    }
    return status;
}

void gc_clear_error(gc_context *ctx)
{
    if (ctx)
        ctx->error[0] = '\0';
}

const char *gc_context_last_error(const gc_context *ctx) { return ctx ? ctx->error : ""; }
