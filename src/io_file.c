/* io_file.c - whole-file reads and atomic (temporary + rename) writes for the image and
 * safetensors code; see io_file.h. */
#include "io_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

gc_status gc_io_read_file(gc_context *ctx, const char *what, const char *path, void **buf,
                          size_t *size)
{
    *buf = NULL;
    *size = 0;
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return gc_fail(ctx, GC_ERR_IO, "%s: cannot open '%s': %s", what, path, strerror(errno));
    struct stat sb;
    gc_status st = GC_OK;
    if (fstat(fd, &sb) != 0)
        st = gc_fail(ctx, GC_ERR_IO, "%s: cannot stat '%s': %s", what, path, strerror(errno));
    else if (S_ISDIR(sb.st_mode))
        st = gc_fail(ctx, GC_ERR_IO, "%s: cannot read '%s': %s", what, path, strerror(EISDIR));
    else if (!S_ISREG(sb.st_mode) || sb.st_size < 0)
        st = gc_fail(ctx, GC_ERR_IO, "%s: cannot read '%s': not a regular file", what, path);
    else if ((uint64_t)sb.st_size > gc_ctx_max_alloc(ctx))
        st = gc_fail(ctx, GC_ERR_LIMIT,
                     "%s: '%s' is %lld bytes, over the allocation limit of %llu bytes", what,
                     path, (long long)sb.st_size, (unsigned long long)gc_ctx_max_alloc(ctx));
    if (st != GC_OK) {
        close(fd);
        return st;
    }
    const size_t n = (size_t)sb.st_size;
    unsigned char *p;
    if ((st = gc_alloc(ctx, (int64_t)n, 1, (void **)&p)) != GC_OK) {
        close(fd);
        return st;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got > ((size_t)1 << 30) ? (size_t)1 << 30 : n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = gc_fail(ctx, GC_ERR_IO, "%s: cannot read '%s': %s", what, path,
                         strerror(errno));
            break;
        }
        if (r == 0) {
            st = gc_fail(ctx, GC_ERR_IO, "%s: '%s' shrank while being read", what, path);
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (st != GC_OK) {
        gc_free(ctx, p);
        return st;
    }
    *buf = p;
    *size = n;
    return GC_OK;
}

gc_status gc_io_out_open(gc_context *ctx, const char *what, const char *path, gc_io_out *o)
{
    static atomic_uint counter;
    o->f = NULL;
    o->tmp = NULL;
    size_t plen = strlen(path);
    if (plen > (size_t)INT64_MAX - 64)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "%s: path is too long", what);
    const size_t cap = plen + 48;
    gc_status st = gc_alloc(ctx, (int64_t)cap, 1, (void **)&o->tmp);
    if (st != GC_OK)
        return st;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned c = atomic_fetch_add(&counter, 1u);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long r = (unsigned long)ts.tv_nsec ^ ((unsigned long)c * 2654435761ul) ^
                          (unsigned long)(uintptr_t)&ts;
        snprintf(o->tmp, cap, "%s.tmp.%ld.%06lx", path, (long)getpid(), r & 0xffffff);
        int fd;
        do
            fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        while (fd < 0 && errno == EINTR);
        if (fd >= 0) {
            o->f = fdopen(fd, "wb");
            if (!o->f) {
                int e = errno;
                close(fd);
                unlink(o->tmp);
                gc_free(ctx, o->tmp);
                o->tmp = NULL;
                return gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, path,
                               strerror(e));
            }
            return GC_OK;
        }
        if (errno != EEXIST) {
            int e = errno;
            gc_free(ctx, o->tmp);
            o->tmp = NULL;
            return gc_fail(ctx, GC_ERR_IO,
                           "%s: cannot write '%s': cannot create a temporary file beside it: %s",
                           what, path, strerror(e));
        }
    }
    gc_free(ctx, o->tmp);
    o->tmp = NULL;
    return gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': no free temporary name beside it",
                   what, path);
}

gc_status gc_io_out_finish(gc_context *ctx, const char *what, const char *path, gc_io_out *o,
                           gc_status st)
{
    if (!o->f) {
        gc_free(ctx, o->tmp);
        o->tmp = NULL;
        return st;
    }
    if (st == GC_OK && (fflush(o->f) != 0 || ferror(o->f)))
        st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, path,
                     errno ? strerror(errno) : "write error");
    if (st == GC_OK && fsync(fileno(o->f)) != 0 && errno != EINVAL && errno != EROFS &&
        errno != ENOTSUP)
        st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s' (fsync): %s", what, path,
                     strerror(errno));
    if (fclose(o->f) != 0 && st == GC_OK)
        st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s' (close): %s", what, path,
                     strerror(errno));
    o->f = NULL;
    if (st == GC_OK && rename(o->tmp, path) != 0)
        st = gc_fail(ctx, GC_ERR_IO,
                     "%s: cannot write '%s' (rename from the temporary file): %s", what, path,
                     strerror(errno));
    if (st != GC_OK)
        unlink(o->tmp);
    gc_free(ctx, o->tmp);
    o->tmp = NULL;
    return st;
}
