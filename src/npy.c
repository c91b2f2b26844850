/* npy.c - placeholder, being written */
#include "internal.h"
gc_status gc_npy_read(gc_context *ctx, const char *path, gc_tensor *out) { (void)path; (void)out; return gc_fail(ctx, GC_ERR_UNSUPPORTED, "npy not yet"); }
gc_status gc_npy_read_mem(gc_context *ctx, const void *buf, size_t size, gc_tensor *out) { (void)buf; (void)size; (void)out; return gc_fail(ctx, GC_ERR_UNSUPPORTED, "npy not yet"); }
gc_status gc_npy_write(gc_context *ctx, const char *path, const gc_tensor *t) { (void)path; (void)t; return gc_fail(ctx, GC_ERR_UNSUPPORTED, "npy not yet"); }
