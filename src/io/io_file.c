/* io_file.c - non-blocking input opens, whole-file reads, output targets (temporary + rename,
 * or in place for a device or FIFO) and the table of temporaries in flight; see io_file.h. */
#if !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "io/io_file.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif

int gc_io_open_read(const char *path)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

const char *gc_io_msg_path(const char *path, char *buf, size_t n)
{
    if (!path)
        path = "";
    size_t len = strlen(path);
    if (n < 16 || len < n)
        return path;
    const size_t keep = n - 4, front = keep / 2, back = keep - front;
    memcpy(buf, path, front);
    memcpy(buf + front, "...", 3);
    memcpy(buf + front + 3, path + len - back, back);
    buf[front + 3 + back] = '\0';
    return buf;
}

gc_status gc_io_read_file(gc_context *ctx, const char *what, const char *path, void **buf,
                          size_t *size)
{
    *buf = NULL;
    *size = 0;
    char mp[96];
    const char *path_in = path;
    path = gc_io_msg_path(path_in, mp, sizeof mp); /* for messages from here on */
    int fd = gc_io_open_read(path_in);
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

/* ---- the table of temporaries in flight ---------------------------------------------------- */

enum { GC_IO_TEMP_SLOTS = 32, GC_IO_TEMP_NAME = 4352 };
/* 0 free, 1 being filled, 2 listed (the handler reads only 2). */
static atomic_int gc_io_temp_state[GC_IO_TEMP_SLOTS];
static char gc_io_temp_names[GC_IO_TEMP_SLOTS][GC_IO_TEMP_NAME];

int gc_io_temp_track(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= GC_IO_TEMP_NAME)
        return -1;
    for (int i = 0; i < GC_IO_TEMP_SLOTS; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&gc_io_temp_state[i], &expect, 1)) {
            memcpy(gc_io_temp_names[i], name, n + 1);
            atomic_store(&gc_io_temp_state[i], 2);
            return i;
        }
    }
    return -1;
}

void gc_io_temp_untrack(int slot)
{
    if (slot >= 0 && slot < GC_IO_TEMP_SLOTS)
        atomic_store(&gc_io_temp_state[slot], 0);
}

void gc_io_temp_unlink_all(void)
{
    const int saved = errno;
    for (int i = 0; i < GC_IO_TEMP_SLOTS; i++)
        if (atomic_load(&gc_io_temp_state[i]) == 2)
            unlink(gc_io_temp_names[i]);
    errno = saved;
}

/* ---- output targets -------------------------------------------------------------------------- */

static gc_status gc_io_strdup(gc_context *ctx, const char *s, size_t n, char **out)
{
    gc_status st = gc_alloc(ctx, (int64_t)n + 1, 1, (void **)out);
    if (st == GC_OK) {
        memcpy(*out, s, n);
        (*out)[n] = '\0';
    }
    return st;
}

gc_status gc_io_resolve(gc_context *ctx, const char *what, const char *path, char **target,
                        gc_io_kind *kind)
{
    char mp[96];
    const char *qp = gc_io_msg_path(path, mp, sizeof mp);
    *target = NULL;
    *kind = GC_IO_NEW;
    size_t plen = strlen(path);
    if (plen > (size_t)INT32_MAX)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "%s: path is too long", what);
    char *cur = NULL;
    gc_status st = gc_io_strdup(ctx, path, plen, &cur);
    if (st != GC_OK)
        return st;
    for (int hops = 0;; hops++) {
        struct stat sb;
        if (lstat(cur, &sb) != 0) {
            if (errno == ENOENT) { /* a new file (its directory is checked by the create) */
                *target = cur;
                return GC_OK;
            }
            st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, qp, strerror(errno));
            break;
        }
        if (S_ISLNK(sb.st_mode) && hops == 0) {
            /* What the link finally names, by the kernel's own lookup (which also knows the
             * magic links of /proc, such as /dev/stdout -> /proc/self/fd/1 -> pipe:[N]). */
            struct stat fin;
            if (stat(cur, &fin) == 0) {
                if (S_ISCHR(fin.st_mode) || S_ISFIFO(fin.st_mode)) {
                    *kind = GC_IO_INPLACE; /* open() follows the link */
                    *target = cur;
                    return GC_OK;
                }
                if (S_ISREG(fin.st_mode)) {
                    char *real = realpath(cur, NULL);
                    if (!real) {
                        st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, qp,
                                     strerror(errno));
                        break;
                    }
                    char *copy = NULL;
                    st = gc_io_strdup(ctx, real, strlen(real), &copy);
                    free(real);
                    if (st != GC_OK)
                        break;
                    gc_free(ctx, cur);
                    *kind = GC_IO_REPLACE;
                    *target = copy;
                    return GC_OK;
                }
                /* a directory, socket or block device: refused below, by its own type */
                sb = fin;
                goto classify;
            }
            if (errno != ENOENT) {
                st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, qp, strerror(errno));
                break;
            }
            /* a dangling link: follow it link by link to the name to create */
        }
        if (S_ISLNK(sb.st_mode)) {
            if (hops >= 40) {
                st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, qp,
                             strerror(ELOOP));
                break;
            }
            char link[4096];
            ssize_t ln = readlink(cur, link, sizeof link);
            if (ln < 0 || (size_t)ln >= sizeof link || ln == 0) {
                st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': cannot read the symbolic "
                             "link: %s", what, qp, ln < 0 ? strerror(errno) : "too long");
                break;
            }
            const char *slash = strrchr(cur, '/');
            size_t dlen = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
            char *next = NULL;
            if ((st = gc_alloc(ctx, (int64_t)(dlen + (size_t)ln + 1), 1, (void **)&next)) != GC_OK)
                break;
            memcpy(next, cur, dlen);
            memcpy(next + dlen, link, (size_t)ln);
            next[dlen + (size_t)ln] = '\0';
            gc_free(ctx, cur);
            cur = next;
            continue;
        }
    classify:
        if (S_ISREG(sb.st_mode)) {
            *kind = GC_IO_REPLACE;
        } else if (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)) {
            *kind = GC_IO_INPLACE;
        } else {
            st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, qp,
                         S_ISDIR(sb.st_mode)    ? strerror(EISDIR)
                         : S_ISBLK(sb.st_mode)  ? "it is a block device (refused: gramconv writes "
                                                  "regular files, character devices and FIFOs)"
                         : S_ISSOCK(sb.st_mode) ? "it is a socket (refused: gramconv writes "
                                                  "regular files, character devices and FIFOs)"
                                                : "not a regular file, character device or FIFO");
            break;
        }
        *target = cur;
        return GC_OK;
    }
    gc_free(ctx, cur);
    return st;
}

gc_status gc_io_temp_create(gc_context *ctx, const char *what, const char *target,
                            const char *suffix, char **tmp, int *fd, int *slot)
{
    static atomic_uint counter;
    char mp[96];
    *tmp = NULL;
    *fd = -1;
    *slot = -1;
    const char *slash = strrchr(target, '/');
    const size_t dlen = slash ? (size_t)(slash - target) + 1 : 0;
    if (!suffix || strlen(suffix) > 23)
        suffix = "";
    const size_t cap = dlen + 48 + strlen(suffix);
    gc_status st = gc_alloc(ctx, (int64_t)cap, 1, (void **)tmp);
    if (st != GC_OK)
        return st;
    memcpy(*tmp, target, dlen);
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned c = atomic_fetch_add(&counter, 1u);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long r = (unsigned long)ts.tv_nsec ^ ((unsigned long)c * 2654435761ul) ^
                          ((unsigned long)(uintptr_t)&ts >> 4) ^ ((unsigned long)attempt << 13);
        snprintf(*tmp + dlen, cap - dlen, "gramconv.tmp.%ld.%06lx%s", (long)getpid(), r & 0xffffff,
                 suffix);
        /* listed before it exists, so that a signal between the create and the listing
         * cannot leave it behind (an unlink of a name not yet created does nothing) */
        const int s = gc_io_temp_track(*tmp);
        int f;
        do
            f = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0666);
        while (f < 0 && errno == EINTR);
        if (f >= 0) {
            *fd = f;
            *slot = s;
            return GC_OK;
        }
        const int e = errno;
        gc_io_temp_untrack(s);
        if (e != EEXIST) {
            gc_free(ctx, *tmp);
            *tmp = NULL;
            return gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': cannot create a temporary "
                           "file in its directory: %s", what, gc_io_msg_path(target, mp, sizeof mp),
                           strerror(e));
        }
    }
    gc_free(ctx, *tmp);
    *tmp = NULL;
    return gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': no free temporary name in its "
                   "directory", what, gc_io_msg_path(target, mp, sizeof mp));
}

gc_status gc_io_out_open(gc_context *ctx, const char *what, const char *path, gc_io_out *o)
{
    char mp[96];
    o->f = NULL;
    o->tmp = NULL;
    o->target = NULL;
    o->slot = -1;
    gc_io_kind kind;
    gc_status st = gc_io_resolve(ctx, what, path, &o->target, &kind);
    if (st != GC_OK)
        return st;
    int fd = -1;
    if (kind == GC_IO_INPLACE) {
        do /* a FIFO waits here for its reader, as a shell's redirection does */
            fd = open(o->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
            st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what,
                         gc_io_msg_path(path, mp, sizeof mp), strerror(errno));
    } else {
        st = gc_io_temp_create(ctx, what, o->target, "", &o->tmp, &fd, &o->slot);
    }
    if (st == GC_OK && !(o->f = fdopen(fd, "wb"))) {
        const int e = errno;
        close(fd);
        st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what,
                     gc_io_msg_path(path, mp, sizeof mp), strerror(e));
    }
    if (st != GC_OK) {
        if (o->tmp)
            unlink(o->tmp);
        gc_io_temp_untrack(o->slot);
        o->slot = -1;
        gc_free(ctx, o->tmp);
        gc_free(ctx, o->target);
        o->tmp = o->target = NULL;
    }
    return st;
}

gc_status gc_io_out_write(gc_context *ctx, const char *what, const char *path, gc_io_out *o,
                          const void *data, size_t n)
{
    char mp[96];
    const char *qp = gc_io_msg_path(path, mp, sizeof mp);
    errno = 0;
    if (fflush(o->f) != 0) /* nothing is buffered unless a codec wrote through the FILE */
        return gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, qp,
                       errno ? strerror(errno) : "write error");
    const int fd = fileno(o->f);
    const unsigned char *s = data;
    while (n > 0) {
        size_t chunk = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;
        ssize_t w = write(fd, s, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, qp, strerror(errno));
        }
        if (w == 0)
            return gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': no progress", what, qp);
        s += w;
        n -= (size_t)w;
    }
    return GC_OK;
}

gc_status gc_io_out_finish(gc_context *ctx, const char *what, const char *path, gc_io_out *o,
                           gc_status st)
{
    char mp[96];
    const char *qp = gc_io_msg_path(path, mp, sizeof mp);
    if (o->f) {
        errno = 0;
        if (st == GC_OK && (fflush(o->f) != 0 || ferror(o->f)))
            st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s': %s", what, qp,
                         errno ? strerror(errno) : "write error");
        /* fsync: a device or FIFO (EINVAL), a read-only or odd file system may not have it */
        if (st == GC_OK && fsync(fileno(o->f)) != 0 && errno != EINVAL && errno != EROFS &&
            errno != ENOTSUP)
            st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s' (fsync): %s", what, qp,
                         strerror(errno));
        if (fclose(o->f) != 0 && st == GC_OK && errno != EINTR)
            st = gc_fail(ctx, GC_ERR_IO, "%s: cannot write '%s' (close): %s", what, qp,
                         strerror(errno));
        o->f = NULL;
        if (st == GC_OK && o->tmp && rename(o->tmp, o->target) != 0)
            st = gc_fail(ctx, GC_ERR_IO,
                         "%s: cannot write '%s' (rename from the temporary file): %s", what, qp,
                         strerror(errno));
        if (st != GC_OK && o->tmp)
            unlink(o->tmp);
    }
    gc_io_temp_untrack(o->slot);
    o->slot = -1;
    gc_free(ctx, o->tmp);
    gc_free(ctx, o->target);
    o->tmp = o->target = NULL;
    return st;
}
