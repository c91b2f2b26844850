/* test_npy.c - .npy reading and writing: round trips (every rank, empty, strided views),
 * numpy-made goldens (big-endian, Fortran order, versions 2.0 and 3.0; regenerate with
 * tests/golden/make_golden_npy.py), refusals of every kind with their messages, a sweep over
 * every truncation of valid files, atomic writes that leave nothing behind on failure, and a
 * counting allocator to show that no error path leaks. */
#include "gc_test.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------- */

/* A counting allocator: every error path must leave live == 0. */
typedef gc_test_counter npyt_count;

static gc_context *npyt_ctx(npyt_count *count)
{
    gc_context *ctx = NULL;
    if (gc_context_create(&ctx) != GC_OK)
        return NULL;
    if (count) {
        memset(count, 0, sizeof *count);
        gc_allocator a = gc_test_counter_allocator(count);
        gc_context_set_allocator(ctx, &a);
    }
    return ctx;
}

static unsigned char *npyt_slurp(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int npyt_spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* A fresh temporary directory for one test, and helpers to use and remove it. */
typedef struct npyt_dir {
    char path[64];
    char file[128];
} npyt_dir;

static int npyt_dir_make(npyt_dir *d)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base || strlen(base) > 40)
        base = "/tmp";
    snprintf(d->path, sizeof d->path, "%s/gc_npy_XXXXXX", base);
    return mkdtemp(d->path) != NULL;
}

static const char *npyt_dir_file(npyt_dir *d, const char *name)
{
    snprintf(d->file, sizeof d->file, "%s/%s", d->path, name);
    return d->file;
}

/* Entries in the directory other than . and .. */
static int npyt_dir_count(const npyt_dir *d)
{
    DIR *dir = opendir(d->path);
    if (!dir)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(dir);
    return n;
}

static void npyt_dir_remove(npyt_dir *d)
{
    DIR *dir = opendir(d->path);
    if (dir) {
        struct dirent *e;
        char p[400];
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", d->path, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
        closedir(dir);
    }
    rmdir(d->path);
}

/* Build an .npy image: magic, version major.0, the dict padded with spaces and a '\n' so that
 * the preamble is a multiple of `align` (1: no padding beyond the '\n'), then `data`. */
static size_t npyt_build(unsigned char *buf, size_t cap, int major, const char *dict, size_t align,
                         const void *data, size_t data_len)
{
    size_t prefix = major == 1 ? 10 : 12;
    size_t dl = strlen(dict);
    size_t total = prefix + dl + 1;
    if (align > 1)
        total = (total + align - 1) / align * align;
    if (total + data_len > cap)
        return 0;
    size_t hlen = total - prefix;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)((hlen >> 8) & 0xff);
    if (prefix == 12) {
        buf[10] = (unsigned char)((hlen >> 16) & 0xff);
        buf[11] = (unsigned char)((hlen >> 24) & 0xff);
    }
    memcpy(buf + prefix, dict, dl);
    memset(buf + prefix + dl, ' ', hlen - dl - 1);
    buf[total - 1] = '\n';
    if (data_len)
        memcpy(buf + total, data, data_len);
    return total + data_len;
}

/* Element [flat C index] of a read tensor as double. */
static double npyt_at(const gc_tensor *t, int64_t i)
{
    return t->dtype == GC_DTYPE_F32 ? (double)((const float *)t->data)[i]
                                    : ((const double *)t->data)[i];
}

static int npyt_is_empty(const gc_tensor *t)
{
    return t->data == NULL && t->owned_ == NULL && t->rank == 0;
}

/* Read a golden file both from disk and from memory; check shape, dtype, C-contiguity and
 * that element [i] (C order) == value(i) exactly. */
static void npyt_check_golden(const char *name, gc_dtype dtype, int rank, const int64_t *dims,
                              double scale, double offset)
{
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    GC_CHECK(ctx != NULL);
    gc_tensor t;
    gc_status st = gc_npy_read(ctx, gc_test_golden(name), &t);
    GC_CHECK_MSG(st == GC_OK, "%s: %s (%s)", name, gc_status_str(st), gc_context_last_error(ctx));
    if (st == GC_OK) {
        GC_CHECK(t.dtype == dtype);
        GC_CHECK(t.rank == rank);
        int64_t n = 1;
        for (int i = 0; i < rank && i < t.rank; i++) {
            GC_CHECK(t.dims[i] == dims[i]);
            n *= dims[i];
        }
        GC_CHECK(gc_tensor_is_contiguous(&t));
        GC_CHECK(t.owned_ != NULL);
        int bad = 0;
        for (int64_t i = 0; i < n; i++)
            if (npyt_at(&t, i) != (double)i * scale + offset)
                bad++;
        GC_CHECK_MSG(bad == 0, "%s: %d elements differ", name, bad);

        /* the same bytes through the in-memory reader give the same tensor */
        size_t len;
        unsigned char *bytes = npyt_slurp(gc_test_golden(name), &len);
        GC_CHECK(bytes != NULL);
        gc_tensor m;
        GC_CHECK_OK(gc_npy_read_mem(ctx, bytes, len, &m));
        GC_CHECK(m.rank == t.rank && m.dtype == t.dtype);
        GC_CHECK(n == 0 || memcmp(m.data, t.data, (size_t)n * gc_dtype_size(dtype)) == 0);
        gc_tensor_free(&m);
        free(bytes);
        gc_tensor_free(&t);
    }
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* ---- round trips -------------------------------------------------------------------------- */

static void npyt_roundtrip_one(npyt_dir *d, gc_context *ctx, gc_dtype dt, int rank,
                               const int64_t *dims, unsigned seed)
{
    gc_tensor t, r;
    gc_rng rng = {seed};
    GC_CHECK_OK(gc_tensor_create(ctx, &t, dt, rank, dims));
    gc_test_fill(&t, &rng, 0);
    const char *path = npyt_dir_file(d, "rt.npy");
    gc_status st = gc_npy_write(ctx, path, &t);
    GC_CHECK_MSG(st == GC_OK, "rank %d: %s (%s)", rank, gc_status_str(st),
                 gc_context_last_error(ctx));
    GC_CHECK(npyt_dir_count(d) == 1); /* no temporary left behind */

    /* the file itself: version 1.0, data at a multiple of 64, size exact */
    size_t len;
    unsigned char *bytes = npyt_slurp(path, &len);
    GC_CHECK(bytes != NULL && len >= 10);
    if (bytes && len >= 10) {
        size_t hlen = (size_t)bytes[8] | (size_t)bytes[9] << 8;
        int64_t n;
        gc_tensor_numel(&t, &n);
        GC_CHECK(memcmp(bytes, "\x93NUMPY\x01\x00", 8) == 0);
        GC_CHECK((10 + hlen) % 64 == 0);
        GC_CHECK(bytes[10 + hlen - 1] == '\n');
        GC_CHECK(len == 10 + hlen + (size_t)n * gc_dtype_size(dt));
        GC_CHECK(strstr((const char *)bytes + 10, dt == GC_DTYPE_F32 ? "'descr': '<f4'"
                                                                     : "'descr': '<f8'") != NULL);
    }
    free(bytes);

    st = gc_npy_read(ctx, path, &r);
    GC_CHECK_MSG(st == GC_OK, "rank %d: %s (%s)", rank, gc_status_str(st),
                 gc_context_last_error(ctx));
    if (st == GC_OK) {
        GC_CHECK(r.dtype == dt && r.rank == rank);
        for (int i = 0; i < rank; i++)
            GC_CHECK(r.dims[i] == dims[i]);
        GC_CHECK(gc_test_max_abs_diff(&t, &r) == 0.0);
        gc_tensor_free(&r);
    }
    gc_tensor_free(&t);
    unlink(path);
}

static void test_npy_roundtrip(void)
{
    npyt_dir d;
    GC_CHECK(npyt_dir_make(&d));
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    static const int64_t shapes[][GC_MAX_RANK] = {
        {0}, {7}, {2, 3}, {0, 3}, {3, 0, 2}, {2, 1, 3, 2, 2}, {1, 2, 1, 2, 1, 1, 2, 1}, {300}};
    static const int ranks[] = {0, 1, 2, 2, 3, 5, 8, 1};
    for (int dt = 0; dt < 2; dt++)
        for (size_t s = 0; s < sizeof ranks / sizeof ranks[0]; s++)
            npyt_roundtrip_one(&d, ctx, dt ? GC_DTYPE_F64 : GC_DTYPE_F32, ranks[s], shapes[s],
                               (unsigned)(s * 7 + (size_t)dt + 1));
    /* NULL ctx works too */
    npyt_roundtrip_one(&d, NULL, GC_DTYPE_F64, 2, (const int64_t[]){4, 5}, 99);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    npyt_dir_remove(&d);
}

static void test_npy_roundtrip_strided(void)
{
    npyt_dir d;
    GC_CHECK(npyt_dir_make(&d));
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    const char *path = npyt_dir_file(&d, "view.npy");
    for (int dt = 0; dt < 2; dt++) {
        gc_dtype dtype = dt ? GC_DTYPE_F64 : GC_DTYPE_F32;
        gc_tensor t, tr, nar, r;
        gc_rng rng = {5u + (unsigned)dt};
        GC_CHECK_OK(gc_tensor_create(ctx, &t, dtype, 3, (const int64_t[]){3, 4, 5}));
        gc_test_fill(&t, &rng, 0);

        /* a transposed view */
        GC_CHECK_OK(gc_tensor_transpose(&t, 0, 2, &tr));
        GC_CHECK(!gc_tensor_is_contiguous(&tr));
        GC_CHECK_OK(gc_npy_write(ctx, path, &tr));
        GC_CHECK_OK(gc_npy_read(ctx, path, &r));
        GC_CHECK(r.rank == 3 && r.dims[0] == 5 && r.dims[1] == 4 && r.dims[2] == 3);
        GC_CHECK(gc_test_max_abs_diff(&tr, &r) == 0.0);
        gc_tensor_free(&r);

        /* a narrowed view of the transpose */
        GC_CHECK_OK(gc_tensor_narrow(&tr, 1, 1, 2, &nar));
        GC_CHECK_OK(gc_npy_write(ctx, path, &nar));
        GC_CHECK_OK(gc_npy_read(ctx, path, &r));
        GC_CHECK(r.rank == 3 && r.dims[1] == 2);
        GC_CHECK(gc_test_max_abs_diff(&nar, &r) == 0.0);
        gc_tensor_free(&r);

        /* a broadcast (stride 0) is readable, so writable */
        double one = 1.5;
        gc_tensor b;
        GC_CHECK_OK(gc_tensor_wrap(&b, GC_DTYPE_F64, 2, (const int64_t[]){3, 2},
                                   (const int64_t[]){0, 0}, &one));
        GC_CHECK_OK(gc_npy_write(ctx, path, &b));
        GC_CHECK_OK(gc_npy_read(ctx, path, &r));
        GC_CHECK(r.rank == 2 && npyt_at(&r, 5) == 1.5 && npyt_at(&r, 0) == 1.5);
        gc_tensor_free(&r);
        gc_tensor_free(&t);
    }
    GC_CHECK(npyt_dir_count(&d) == 1);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    npyt_dir_remove(&d);
}

/* Overwriting replaces the file; a refused write leaves the old one intact. */
static void test_npy_overwrite(void)
{
    npyt_dir d;
    GC_CHECK(npyt_dir_make(&d));
    gc_context *ctx = npyt_ctx(NULL);
    const char *path = npyt_dir_file(&d, "o.npy");
    GC_CHECK(npyt_spit(path, "old contents", 12));
    float v[3] = {1, 2, 3};
    gc_tensor t, r;
    GC_CHECK_OK(gc_tensor_wrap(&t, GC_DTYPE_F32, 1, (const int64_t[]){3}, NULL, v));
    GC_CHECK_OK(gc_npy_write(ctx, path, &t));
    GC_CHECK_OK(gc_npy_read(ctx, path, &r));
    GC_CHECK(r.rank == 1 && r.dims[0] == 3 && npyt_at(&r, 2) == 3.0);
    gc_tensor_free(&r);

    size_t before_len, after_len;
    unsigned char *before = npyt_slurp(path, &before_len);
    gc_tensor bad = t;
    bad.strides[0] = -1;
    GC_CHECK_STATUS(gc_npy_write(ctx, path, &bad), GC_ERR_LAYOUT);
    bad = t;
    bad.dtype = (gc_dtype)7;
    GC_CHECK_STATUS(gc_npy_write(ctx, path, &bad), GC_ERR_DTYPE);
    bad = t;
    bad.data = NULL;
    GC_CHECK_STATUS(gc_npy_write(ctx, path, &bad), GC_ERR_NULL);
    unsigned char *after = npyt_slurp(path, &after_len);
    GC_CHECK(before && after && before_len == after_len &&
             memcmp(before, after, before_len) == 0);
    free(before);
    free(after);

    /* the target is a directory: the rename fails, the temporary is removed */
    const char *sub = npyt_dir_file(&d, "sub");
    GC_CHECK(mkdir(sub, 0700) == 0);
    char inner[160];
    snprintf(inner, sizeof inner, "%s/keep", sub);
    GC_CHECK(npyt_spit(inner, "x", 1));
    GC_CHECK_STATUS(gc_npy_write(ctx, npyt_dir_file(&d, "sub"), &t), GC_ERR_IO);
    GC_CHECK(strstr(gc_context_last_error(ctx), "sub") != NULL);
    GC_CHECK(npyt_dir_count(&d) == 2); /* o.npy and sub only */
    unlink(inner);
    rmdir(npyt_dir_file(&d, "sub"));
    gc_context_free(ctx);
    npyt_dir_remove(&d);
}

static void test_npy_write_unwritable(void)
{
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    float v[2] = {1, 2};
    gc_tensor t;
    GC_CHECK_OK(gc_tensor_wrap(&t, GC_DTYPE_F32, 1, (const int64_t[]){2}, NULL, v));
    const char *path = "/nonexistent_dir_gramconv/x.npy";
    GC_CHECK_STATUS(gc_npy_write(ctx, path, &t), GC_ERR_IO);
    const char *msg = gc_context_last_error(ctx);
    GC_CHECK_MSG(strstr(msg, path) != NULL, "message: %s", msg);
    GC_CHECK_MSG(strstr(msg, strerror(ENOENT)) != NULL, "message: %s", msg);
    struct stat sb;
    GC_CHECK(stat(path, &sb) != 0);
    GC_CHECK_STATUS(gc_npy_write(NULL, path, &t), GC_ERR_IO);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* ---- numpy goldens ------------------------------------------------------------------------ */

static void test_npy_golden_little(void)
{
    npyt_check_golden("npy_le_f4.npy", GC_DTYPE_F32, 2, (const int64_t[]){2, 3}, 0.5, -1.0);
    npyt_check_golden("npy_scalar_f8.npy", GC_DTYPE_F64, 0, NULL, 0.0, 2.5);
    npyt_check_golden("npy_empty_f4.npy", GC_DTYPE_F32, 2, (const int64_t[]){0, 3}, 0, 0);
}

static void test_npy_golden_big_endian(void)
{
    npyt_check_golden("npy_be_f4.npy", GC_DTYPE_F32, 2, (const int64_t[]){3, 4}, 0.5, -2.0);
    npyt_check_golden("npy_be_f8.npy", GC_DTYPE_F64, 3, (const int64_t[]){2, 3, 2}, 0.25, -1.0);
}

static void test_npy_golden_fortran(void)
{
    /* numpy wrote np.asfortranarray(a) for a = arange(n)*scale reshaped C-style, so the read
     * tensor (C order) holds a again: element i is i*scale. */
    npyt_check_golden("npy_fortran_f4.npy", GC_DTYPE_F32, 2, (const int64_t[]){3, 4}, 0.5, 0.0);
    npyt_check_golden("npy_fortran_be_f8.npy", GC_DTYPE_F64, 3, (const int64_t[]){2, 3, 4}, 0.125,
                      0.0);
    /* and the file really is in Fortran order: its first data elements are a[0][0], a[1][0] */
    size_t len;
    unsigned char *bytes = npyt_slurp(gc_test_golden("npy_fortran_f4.npy"), &len);
    GC_CHECK(bytes && len == 128 + 48);
    if (bytes && len == 176) {
        GC_CHECK(strstr((const char *)bytes + 10, "'fortran_order': True") != NULL);
        float f1;
        memcpy(&f1, bytes + 128 + 4, 4);
        GC_CHECK(f1 == 2.0f); /* a[1][0] = 4 * 0.5 */
    }
    free(bytes);
}

static void test_npy_golden_versions(void)
{
    npyt_check_golden("npy_v2_f8.npy", GC_DTYPE_F64, 1, (const int64_t[]){5}, 0.5, 1.0);
    npyt_check_golden("npy_v3_f4.npy", GC_DTYPE_F32, 2, (const int64_t[]){2, 2}, 0.5, 0.0);
}

/* ---- refusals ----------------------------------------------------------------------------- */

static void test_npy_refuse_dtype_goldens(void)
{
    static const struct {
        const char *file;
        const char *mention;
    } cases[] = {
        {"npy_i4.npy", "'<i4'"},   {"npy_b1.npy", "'|b1'"},          {"npy_c8.npy", "'<c8'"},
        {"npy_obj.npy", "'|O'"},   {"npy_struct.npy", "structured"},
    };
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gc_tensor t;
        GC_CHECK_STATUS(gc_npy_read(ctx, gc_test_golden(cases[i].file), &t), GC_ERR_DTYPE);
        const char *msg = gc_context_last_error(ctx);
        GC_CHECK_MSG(strstr(msg, cases[i].mention) != NULL, "%s: message '%s'", cases[i].file,
                     msg);
        GC_CHECK(strstr(msg, "'<f4', '>f4', '<f8', '>f8'") != NULL);
        GC_CHECK(npyt_is_empty(&t));
    }
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

typedef struct npyt_case {
    const char *dict;
    size_t data_len;     /* bytes of zero data after the header */
    gc_status want;
    const char *mention; /* substring of the message, or NULL */
} npyt_case;

static void npyt_run_cases(const npyt_case *cases, size_t ncases, int major)
{
    static unsigned char buf[8192];
    static const unsigned char zeros[512];
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    npyt_dir d;
    GC_CHECK(npyt_dir_make(&d));
    for (size_t i = 0; i < ncases; i++) {
        size_t len = npyt_build(buf, sizeof buf, major, cases[i].dict, 64, zeros,
                                cases[i].data_len);
        GC_CHECK(len > 0);
        gc_tensor t;
        gc_status st = gc_npy_read_mem(ctx, buf, len, &t);
        const char *msg = gc_context_last_error(ctx);
        GC_CHECK_MSG(st == cases[i].want, "case %zu %s: got %s (%s)", i, cases[i].dict,
                     gc_status_str(st), msg);
        if (cases[i].want != GC_OK) {
            GC_CHECK_MSG(msg[0] != '\0', "case %zu: no message", i);
            GC_CHECK(npyt_is_empty(&t));
        }
        if (cases[i].mention)
            GC_CHECK_MSG(strstr(msg, cases[i].mention) != NULL, "case %zu: message '%s'", i,
                         msg);
        if (st == GC_OK)
            gc_tensor_free(&t);
        /* the file reader agrees */
        const char *path = npyt_dir_file(&d, "case.npy");
        GC_CHECK(npyt_spit(path, buf, len));
        st = gc_npy_read(ctx, path, &t);
        GC_CHECK_MSG(st == cases[i].want, "file case %zu %s: got %s (%s)", i, cases[i].dict,
                     gc_status_str(st), gc_context_last_error(ctx));
        if (st == GC_OK)
            gc_tensor_free(&t);
        unlink(path);
    }
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    npyt_dir_remove(&d);
}

static void test_npy_refuse_dtypes(void)
{
    static const npyt_case cases[] = {
        {"{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16, GC_ERR_DTYPE, "'<i8'"},
        {"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_DTYPE, "'<i4'"},
        {"{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 2, GC_ERR_DTYPE, "'|b1'"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, GC_ERR_DTYPE, "'<c8'"},
        {"{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", 16, GC_ERR_DTYPE, "'<c16'"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16, GC_ERR_DTYPE, "'|O'"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 4, GC_ERR_DTYPE, "'<f2'"},
        {"{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }", 16, GC_ERR_DTYPE, "'<f16'"},
        {"{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_DTYPE, "'|f4'"},
        {"{'descr': 'f4', 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_DTYPE, "'f4'"},
        {"{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", 24, GC_ERR_DTYPE, "'<U3'"},
        {"{'descr': '<f4 ', 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_DTYPE, NULL},
        {"{'descr': '', 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_DTYPE, "''"},
        {"{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }", 16,
         GC_ERR_DTYPE, "structured"},
        {"{'descr': [('x', '<f8', (2,))], 'fortran_order': False, 'shape': (1,), }", 16,
         GC_ERR_DTYPE, "structured"},
        /* dtypes we take, spelled every way */
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, GC_OK, NULL},
        {"{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", 16, GC_OK, NULL},
        {"{'descr': '=f8', 'fortran_order': False, 'shape': (2,), }", 16, GC_OK, NULL},
    };
    npyt_run_cases(cases, sizeof cases / sizeof cases[0], 1);
}

static void test_npy_refuse_header(void)
{
    static const npyt_case cases[] = {
        /* sizes */
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, GC_ERR_FORMAT,
         "truncated"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 28, GC_ERR_FORMAT,
         "file has 4 extra bytes"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 0, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", 4, GC_ERR_FORMAT, "extra"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 0, GC_ERR_FORMAT,
         "negative"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 0, GC_ERR_FORMAT,
         "negative"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 0,
         GC_ERR_OVERFLOW, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2147483648, 2147483648, 4), }", 0,
         GC_ERR_OVERFLOW, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", 0,
         GC_ERR_OVERFLOW, NULL},
        /* no element, but the strides of the nonzero dims would overflow (fuzz finding) */
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }", 0,
         GC_ERR_OVERFLOW, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0,
         GC_ERR_OVERFLOW, "99999999999999999999"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }", 64,
         GC_ERR_FORMAT, "truncated"},
        /* rank */
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", 4,
         GC_ERR_RANK, "9"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 2), }", 8,
         GC_OK, NULL},
        /* keys */
        {"{'descr': '<f4', 'shape': (2,), }", 8, GC_ERR_FORMAT, "'fortran_order'"},
        {"{'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_FORMAT, "'descr'"},
        {"{'descr': '<f4', 'fortran_order': False, }", 8, GC_ERR_FORMAT, "'shape'"},
        {"{}", 8, GC_ERR_FORMAT, "missing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", 8,
         GC_ERR_FORMAT, "'extra'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8,
         GC_ERR_FORMAT, "twice"},
        /* garbage */
        {"", 8, GC_ERR_FORMAT, NULL},
        {"garbage", 8, GC_ERR_FORMAT, "garbage"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,),, }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': <f4, 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': false, 'shape': (2,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8, GC_ERR_FORMAT, "tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (0x2,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3,), }", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }}", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': [('a', '<f4'), 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_FORMAT,
         NULL},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\x01", 8, GC_ERR_FORMAT, NULL},
        {"{'descr': '<\\f4', 'fortran_order': False, 'shape': (2,), }", 8, GC_ERR_FORMAT, NULL},
        /* accepted spellings: key order, whitespace, quotes, L suffix, trailing commas */
        {"{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", 24, GC_OK, NULL},
        {"  {  \"descr\"  :  \"<f4\" ,\n 'fortran_order':True,'shape':( 2 , 3 , ) }  ", 24,
         GC_OK, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }", 48, GC_OK, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1000000000000000), }", 0, GC_OK,
         NULL},
        {"{'descr': '<f8', 'fortran_order': True, 'shape': (), }", 8, GC_OK, NULL},
    };
    npyt_run_cases(cases, sizeof cases / sizeof cases[0], 1);
    npyt_run_cases(cases, sizeof cases / sizeof cases[0], 2);
    npyt_run_cases(cases, sizeof cases / sizeof cases[0], 3);
}

/* Bytes before the header: magic, version, header length. */
static void test_npy_refuse_preamble(void)
{
    static unsigned char buf[512];
    float data[2] = {1, 2};
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    size_t len = npyt_build(buf, sizeof buf, 1, dict, 64, data, sizeof data);
    GC_CHECK(len > 8 && (len - 8) % 64 == 0);
    const unsigned H = (unsigned)(len - 8 - 10); /* the true header length */
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    gc_tensor t;
    GC_CHECK_OK(gc_npy_read_mem(ctx, buf, len, &t));
    GC_CHECK(t.rank == 1 && npyt_at(&t, 1) == 2.0);
    gc_tensor_free(&t);

    unsigned char copy[512];
    /* bad magic */
    memcpy(copy, buf, len);
    copy[1] = 'X';
    GC_CHECK_STATUS(gc_npy_read_mem(ctx, copy, len, &t), GC_ERR_FORMAT);
    GC_CHECK(strstr(gc_context_last_error(ctx), "magic") != NULL);
    GC_CHECK_STATUS(gc_npy_read_mem(ctx, "PK\x03\x04 a zip file, not npy", 26, &t), GC_ERR_FORMAT);
    /* versions we do not know */
    static const unsigned char versions[][2] = {{0, 0}, {1, 1}, {2, 1}, {4, 0}, {255, 0}};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        memcpy(copy, buf, len);
        copy[6] = versions[i][0];
        copy[7] = versions[i][1];
        GC_CHECK_STATUS(gc_npy_read_mem(ctx, copy, len, &t), GC_ERR_FORMAT);
        GC_CHECK(strstr(gc_context_last_error(ctx), "version") != NULL);
    }
    /* header length lies: beyond the file, into the data, shorter than the dict */
    const unsigned hlens[] = {0xffff, H + 9, H + 8, H + 4, H + 1, H - 1,
                              (unsigned)strlen(dict), 30, 0, 1};
    for (size_t i = 0; i < sizeof hlens / sizeof hlens[0]; i++) {
        memcpy(copy, buf, len);
        copy[8] = (unsigned char)(hlens[i] & 0xff);
        copy[9] = (unsigned char)(hlens[i] >> 8);
        GC_CHECK_MSG(gc_npy_read_mem(ctx, copy, len, &t) == GC_ERR_FORMAT, "hlen %u", hlens[i]);
        GC_CHECK(gc_context_last_error(ctx)[0] != '\0');
        GC_CHECK(npyt_is_empty(&t));
    }
    /* version 2.0 header length that claims 4 GiB */
    unsigned char v2[512];
    size_t len2 = npyt_build(v2, sizeof v2, 2, dict, 64, data, sizeof data);
    v2[10] = 0xff;
    v2[11] = 0xff;
    GC_CHECK_STATUS(gc_npy_read_mem(ctx, v2, len2, &t), GC_ERR_FORMAT);
    GC_CHECK(strstr(gc_context_last_error(ctx), "header") != NULL);

    /* old files: the preamble need not be a multiple of 64 (16 once, or none at all) */
    size_t l16 = npyt_build(copy, sizeof copy, 1, dict, 16, data, sizeof data);
    GC_CHECK_OK(gc_npy_read_mem(ctx, copy, l16, &t));
    GC_CHECK(t.rank == 1 && npyt_at(&t, 0) == 1.0 && npyt_at(&t, 1) == 2.0);
    gc_tensor_free(&t);
    size_t l1 = npyt_build(copy, sizeof copy, 1, dict, 1, data, sizeof data);
    GC_CHECK(l1 % 64 != 0);
    GC_CHECK_OK(gc_npy_read_mem(ctx, copy + 0, l1, &t));
    gc_tensor_free(&t);
    /* unaligned buffers are fine */
    memmove(copy + 1, copy, l1);
    GC_CHECK_OK(gc_npy_read_mem(ctx, copy + 1, l1, &t));
    GC_CHECK(t.rank == 1 && npyt_at(&t, 1) == 2.0);
    gc_tensor_free(&t);

    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* Every proper prefix of a valid file is refused, from memory and from disk, without a crash
 * or a leak (ASan/valgrind watch the reads). */
static void test_npy_truncation_sweep(void)
{
    static const char *const files[] = {"npy_le_f4.npy", "npy_fortran_be_f8.npy", "npy_v2_f8.npy",
                                        "npy_v3_f4.npy", "npy_scalar_f8.npy"};
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    npyt_dir d;
    GC_CHECK(npyt_dir_make(&d));
    const char *path = npyt_dir_file(&d, "prefix.npy");
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        unsigned char *bytes = npyt_slurp(gc_test_golden(files[f]), &len);
        GC_CHECK(bytes != NULL && len > 0);
        if (!bytes)
            continue;
        int bad_mem = 0, bad_file = 0, no_msg = 0;
        for (size_t n = 0; n < len; n++) {
            /* an exact-size heap copy so that ASan sees any read past the end */
            unsigned char *p = malloc(n ? n : 1);
            memcpy(p, bytes, n);
            gc_tensor t;
            if (gc_npy_read_mem(ctx, p, n, &t) != GC_ERR_FORMAT || !npyt_is_empty(&t))
                bad_mem++;
            if (gc_context_last_error(ctx)[0] == '\0')
                no_msg++;
            free(p);
            if (npyt_spit(path, bytes, n)) {
                if (gc_npy_read(ctx, path, &t) != GC_ERR_FORMAT || !npyt_is_empty(&t))
                    bad_file++;
            } else {
                bad_file++;
            }
        }
        GC_CHECK_MSG(bad_mem == 0 && bad_file == 0 && no_msg == 0,
                     "%s: %d prefixes read from memory and %d from a file were not refused",
                     files[f], bad_mem, bad_file);
        /* and the whole file is fine; one more byte is refused */
        gc_tensor t;
        GC_CHECK_OK(gc_npy_read_mem(ctx, bytes, len, &t));
        gc_tensor_free(&t);
        unsigned char *more = malloc(len + 1);
        memcpy(more, bytes, len);
        more[len] = 0;
        GC_CHECK_STATUS(gc_npy_read_mem(ctx, more, len + 1, &t), GC_ERR_FORMAT);
        GC_CHECK(strstr(gc_context_last_error(ctx), "file has 1 extra bytes") != NULL);
        GC_CHECK(npyt_spit(path, more, len + 1));
        GC_CHECK_STATUS(gc_npy_read(ctx, path, &t), GC_ERR_FORMAT);
        free(more);
        free(bytes);
    }
    unlink(path);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    npyt_dir_remove(&d);
}

/* Single-byte corruptions of a valid file: any status, but no crash, no leak, and an OK read
 * gives a well-formed tensor. */
static void test_npy_corruption_sweep(void)
{
    size_t len;
    unsigned char *bytes = npyt_slurp(gc_test_golden("npy_be_f8.npy"), &len);
    GC_CHECK(bytes != NULL);
    if (!bytes)
        return;
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    static const unsigned char subst[] = {0, ' ', '\n', '(', ')', ',', '\'', '9', '-', 'L',
                                          '{', '}', 0x80, 0xff};
    int oks = 0;
    for (size_t i = 0; i < len && i < 128; i++)
        for (size_t s = 0; s < sizeof subst; s++) {
            unsigned char *p = malloc(len);
            memcpy(p, bytes, len);
            p[i] = subst[s];
            gc_tensor t;
            gc_status st = gc_npy_read_mem(ctx, p, len, &t);
            if (st == GC_OK) {
                oks++;
                GC_CHECK(gc_tensor_is_contiguous(&t) && t.owned_ != NULL);
                gc_tensor_free(&t);
            } else {
                GC_CHECK(npyt_is_empty(&t));
                GC_CHECK(gc_context_last_error(ctx)[0] != '\0');
            }
            free(p);
        }
    GC_CHECK(oks > 0); /* e.g. padding spaces replaced by spaces */
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    free(bytes);
}

static void test_npy_args(void)
{
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    gc_tensor t;
    float v = 1;
    gc_tensor s;
    GC_CHECK_OK(gc_tensor_wrap(&s, GC_DTYPE_F32, 0, NULL, NULL, &v));
    GC_CHECK_STATUS(gc_npy_read(ctx, NULL, &t), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_npy_read(ctx, "x.npy", NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_npy_read(NULL, NULL, &t), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_npy_read_mem(ctx, NULL, 10, &t), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_npy_read_mem(ctx, "x", 1, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_npy_read_mem(ctx, NULL, 0, &t), GC_ERR_FORMAT);
    GC_CHECK_STATUS(gc_npy_write(ctx, NULL, &s), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_npy_write(ctx, "x.npy", NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_npy_write(ctx, "", &s), GC_ERR_ARG);
    GC_CHECK(gc_context_last_error(ctx)[0] != '\0');

    /* IO errors carry strerror's text and the path */
    GC_CHECK_STATUS(gc_npy_read(ctx, "/nonexistent_dir_gramconv/x.npy", &t), GC_ERR_IO);
    GC_CHECK(strstr(gc_context_last_error(ctx), strerror(ENOENT)) != NULL);
    GC_CHECK(strstr(gc_context_last_error(ctx), "/nonexistent_dir_gramconv/x.npy") != NULL);
    GC_CHECK(npyt_is_empty(&t));
    GC_CHECK_STATUS(gc_npy_read(ctx, "/", &t), GC_ERR_IO);
    GC_CHECK_STATUS(gc_npy_read(NULL, "/nonexistent_dir_gramconv/x.npy", &t), GC_ERR_IO);

    /* a success clears the previous message */
    GC_CHECK_OK(gc_npy_read(ctx, gc_test_golden("npy_le_f4.npy"), &t));
    GC_CHECK(gc_context_last_error(ctx)[0] == '\0');
    gc_tensor_free(&t);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* The allocation limit applies to what a file asks for; the file's size is checked before. */
static void test_npy_limits(void)
{
    npyt_dir d;
    GC_CHECK(npyt_dir_make(&d));
    npyt_count cnt;
    gc_context *ctx = npyt_ctx(&cnt);
    static double data[1024];
    for (int i = 0; i < 1024; i++)
        data[i] = i;
    gc_tensor t, r;
    GC_CHECK_OK(gc_tensor_wrap(&t, GC_DTYPE_F64, 2, (const int64_t[]){32, 32}, NULL, data));
    const char *path = npyt_dir_file(&d, "big.npy");
    GC_CHECK_OK(gc_npy_write(ctx, path, &t));
    GC_CHECK_OK(gc_context_set_max_alloc(ctx, 4096));
    GC_CHECK_STATUS(gc_npy_read(ctx, path, &r), GC_ERR_LIMIT);
    GC_CHECK(npyt_is_empty(&r));
    size_t len;
    unsigned char *bytes = npyt_slurp(path, &len);
    GC_CHECK_STATUS(gc_npy_read_mem(ctx, bytes, len, &r), GC_ERR_LIMIT);
    GC_CHECK_OK(gc_context_set_max_alloc(ctx, 0));
    GC_CHECK_OK(gc_npy_read_mem(ctx, bytes, len, &r));
    GC_CHECK(gc_test_max_abs_diff(&t, &r) == 0.0);
    gc_tensor_free(&r);
    free(bytes);

    /* a header that claims a huge array in a small file: refused before any allocation */
    unsigned char buf[256];
    size_t blen = npyt_build(buf, sizeof buf, 1,
                             "{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824, "
                             "1024), }",
                             64, data, 64);
    GC_CHECK(npyt_spit(path, buf, blen));
    long before = cnt.calls;
    GC_CHECK_STATUS(gc_npy_read(ctx, path, &r), GC_ERR_FORMAT);
    GC_CHECK(strstr(gc_context_last_error(ctx), "truncated") != NULL);
    GC_CHECK(cnt.calls - before <= 1); /* the preamble buffer at most */
    before = cnt.calls;
    GC_CHECK_STATUS(gc_npy_read_mem(ctx, buf, blen, &r), GC_ERR_FORMAT);
    GC_CHECK(cnt.calls == before);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    npyt_dir_remove(&d);
}

GC_TEST_TABLE(gc_tests_npy) = {
    {"npy_roundtrip", test_npy_roundtrip},
    {"npy_roundtrip_strided", test_npy_roundtrip_strided},
    {"npy_overwrite", test_npy_overwrite},
    {"npy_write_unwritable", test_npy_write_unwritable},
    {"npy_golden_little", test_npy_golden_little},
    {"npy_golden_big_endian", test_npy_golden_big_endian},
    {"npy_golden_fortran", test_npy_golden_fortran},
    {"npy_golden_versions", test_npy_golden_versions},
    {"npy_refuse_dtype_goldens", test_npy_refuse_dtype_goldens},
    {"npy_refuse_dtypes", test_npy_refuse_dtypes},
    {"npy_refuse_header", test_npy_refuse_header},
    {"npy_refuse_preamble", test_npy_refuse_preamble},
    {"npy_truncation_sweep", test_npy_truncation_sweep},
    {"npy_corruption_sweep", test_npy_corruption_sweep},
    {"npy_args", test_npy_args},
    {"npy_limits", test_npy_limits},
    {NULL, NULL},
};
