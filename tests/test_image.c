/* test_image.c - PNG and JPEG reading and writing, channel conversions, the pixel limit
 * (refused before anything of the image's size is allocated), truncated and corrupted files,
 * allocation-failure injection, atomic writes, and resizing against PyTorch goldens.
 * Fixtures: tests/golden/io_* (regenerate with tests/golden/make_golden_io.py). In a build
 * without libpng / libjpeg the format's tests check GC_ERR_UNSUPPORTED and say they skipped. */
#include "gc_test.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------- */

/* Counting allocator: live blocks, calls, the largest request; fails call number fail_at. */
typedef gc_test_counter imgt_count;

static gc_context *imgt_ctx(imgt_count *count)
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

static unsigned char *imgt_slurp(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

typedef struct imgt_dir {
    char path[64];
    char file[128];
} imgt_dir;

static int imgt_dir_make(imgt_dir *d)
{
    snprintf(d->path, sizeof d->path, "/tmp/gc_img_XXXXXX");
    return mkdtemp(d->path) != NULL;
}

static const char *imgt_file(imgt_dir *d, const char *name)
{
    snprintf(d->file, sizeof d->file, "%s/%s", d->path, name);
    return d->file;
}

static int imgt_dir_count(const imgt_dir *d)
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

static void imgt_dir_remove(imgt_dir *d)
{
    DIR *dir = opendir(d->path);
    if (dir) {
        struct dirent *e;
        char p[400];
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", d->path, e->d_name);
            unlink(p);
        }
        closedir(dir);
    }
    rmdir(d->path);
}

static int imgt_skip(gc_image_format f, const char *test)
{
    if (gc_image_supported(f))
        return 0;
    /* the path without the library answers GC_ERR_UNSUPPORTED */
    gc_tensor t;
    const char *name = f == GC_IMAGE_FORMAT_PNG ? "io_rgb8.png" : "io_base.jpg";
    GC_CHECK_STATUS(gc_image_read(NULL, gc_test_golden(name), NULL, &t), GC_ERR_UNSUPPORTED);
    (void)test;
    gc_test_skip(f == GC_IMAGE_FORMAT_PNG ? "no PNG support in this build" : "no JPEG support in this build");
    return 1;
}

/* Largest |a - b| between a read image and an expected .npy (same shape), or INFINITY. */
static double imgt_diff_npy(const gc_tensor *img, const char *npy)
{
    gc_tensor e;
    if (gc_npy_read(NULL, gc_test_golden(npy), &e) != GC_OK)
        return INFINITY;
    double d = gc_test_max_abs_diff(img, &e);
    gc_tensor_free(&e);
    return d;
}

/* ---- reading ------------------------------------------------------------------------------ */

static void test_png_goldens(void)
{
    if (imgt_skip(GC_IMAGE_FORMAT_PNG, "image_png_goldens"))
        return;
    static const struct {
        const char *name;
        int channels;
    } cases[] = {
        {"rgb8", 3},         {"rgba8", 4},       {"gray8", 1},    {"graya8", 2},
        {"gray1", 1},        {"pal", 3},         {"pal_trns", 4}, {"gray16", 1},
        {"rgb16", 3},        {"rgba16", 4},      {"rgb8_adam7", 3}, {"graya16_adam7", 2},
    };
    imgt_count cnt;
    gc_context *ctx = imgt_ctx(&cnt);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char png[64], npy[64];
        snprintf(png, sizeof png, "io_%s.png", cases[i].name);
        snprintf(npy, sizeof npy, "io_%s.npy", cases[i].name);
        gc_tensor t;
        gc_status st = gc_image_read(ctx, gc_test_golden(png), NULL, &t);
        GC_CHECK_MSG(st == GC_OK, "%s: %s", png, gc_context_last_error(ctx));
        if (st != GC_OK)
            continue;
        GC_CHECK(t.dtype == GC_DTYPE_F32 && t.rank == 3 && gc_tensor_is_contiguous(&t));
        GC_CHECK_MSG(t.dims[0] == cases[i].channels && t.dims[1] == 9 && t.dims[2] == 13,
                     "%s: %lld x %lld x %lld", png, (long long)t.dims[0], (long long)t.dims[1],
                     (long long)t.dims[2]);
        /* exact up to float rounding of k / 255 and k / 65535 */
        double d = imgt_diff_npy(&t, npy);
        GC_CHECK_MSG(d <= 1e-7, "%s: max diff %g", png, d);
        /* the same bytes from memory */
        size_t len;
        unsigned char *bytes = imgt_slurp(gc_test_golden(png), &len);
        gc_tensor m;
        GC_CHECK_OK(gc_image_read_mem(ctx, bytes, len, NULL, &m));
        GC_CHECK(gc_test_max_abs_diff(&t, &m) == 0);
        gc_tensor_free(&m);
        free(bytes);
        gc_tensor_free(&t);
    }
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

static void test_jpeg_goldens(void)
{
    if (imgt_skip(GC_IMAGE_FORMAT_JPEG, "image_jpeg_goldens"))
        return;
    static const char *const names[] = {"io_base", "io_prog", "io_gray"};
    imgt_count cnt;
    gc_context *ctx = imgt_ctx(&cnt);
    gc_tensor src;
    GC_CHECK_OK(gc_npy_read(ctx, gc_test_golden("io_jpeg_src.npy"), &src));
    for (int i = 0; i < 3; i++) {
        char jpg[64], npy[64];
        snprintf(jpg, sizeof jpg, "%s.jpg", names[i]);
        snprintf(npy, sizeof npy, "%s.npy", names[i]);
        gc_tensor t;
        gc_status st = gc_image_read(ctx, gc_test_golden(jpg), NULL, &t);
        GC_CHECK_MSG(st == GC_OK, "%s: %s", jpg, gc_context_last_error(ctx));
        if (st != GC_OK)
            continue;
        GC_CHECK(t.rank == 3 && t.dims[0] == (i == 2 ? 1 : 3) && t.dims[1] == 17 &&
                 t.dims[2] == 23);
        /* Pillow's decode (its own libjpeg-turbo build): equal up to 2 levels */
        double d = imgt_diff_npy(&t, npy);
        GC_CHECK_MSG(d <= 2.0 / 255 + 1e-6, "%s: max diff to Pillow's decode %g", jpg, d);
        if (i < 2) {
            /* and close to what was encoded (quality 90, smooth image) */
            double e = gc_test_max_abs_diff(&t, &src);
            GC_CHECK_MSG(e < 0.2, "%s: max diff to the source %g", jpg, e);
        }
        gc_tensor_free(&t);
    }
    /* baseline and progressive encodings of one image decode to nearly the same pixels */
    gc_tensor a, b;
    GC_CHECK_OK(gc_image_read(ctx, gc_test_golden("io_base.jpg"), NULL, &a));
    GC_CHECK_OK(gc_image_read(ctx, gc_test_golden("io_prog.jpg"), NULL, &b));
    GC_CHECK(gc_test_max_abs_diff(&a, &b) <= 2.0 / 255 + 1e-6);
    gc_tensor_free(&a);
    gc_tensor_free(&b);
    gc_tensor_free(&src);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* channels = 1, 2, 3, 4 from RGBA, gray+alpha and gray files, against the stored values. */
static void test_channel_conversion(void)
{
    if (imgt_skip(GC_IMAGE_FORMAT_PNG, "image_channel_conversion"))
        return;
    static const char *const files[] = {"io_rgba8", "io_graya8", "io_gray8", "io_rgb8"};
    for (int f = 0; f < 4; f++) {
        char png[64], npy[64];
        snprintf(png, sizeof png, "%s.png", files[f]);
        snprintf(npy, sizeof npy, "%s.npy", files[f]);
        gc_tensor e;
        GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden(npy), &e));
        const int64_t in_c = e.dims[0], plane = 9 * 13;
        const float *s = e.data;
        for (int want = 1; want <= 4; want++) {
            gc_image_read_opts o = gc_image_read_opts_default();
            o.channels = want;
            gc_tensor t;
            GC_CHECK_OK(gc_image_read(NULL, gc_test_golden(png), &o, &t));
            GC_CHECK(t.rank == 3 && t.dims[0] == want);
            if (t.rank != 3 || t.dims[0] != want)
                continue;
            const float *o_ = t.data;
            int bad = 0;
            for (int64_t p = 0; p < plane; p++) {
                double r, g, b, a = (in_c == 2 || in_c == 4) ? s[(in_c - 1) * plane + p] : 1.0;
                if (in_c >= 3) {
                    r = s[p];
                    g = s[plane + p];
                    b = s[2 * plane + p];
                } else {
                    r = g = b = s[p];
                }
                double gray = in_c >= 3 ? 0.299 * r + 0.587 * g + 0.114 * b : r;
                double want_v[4];
                int n = 0;
                if (want <= 2)
                    want_v[n++] = gray;
                else {
                    want_v[n++] = r;
                    want_v[n++] = g;
                    want_v[n++] = b;
                }
                if (want == 2 || want == 4)
                    want_v[n++] = a;
                for (int c = 0; c < n; c++)
                    if (fabs(o_[c * plane + p] - want_v[c]) > 1e-6)
                        bad++;
            }
            GC_CHECK_MSG(bad == 0, "%s as %d channels: %d values differ", png, want, bad);
            gc_tensor_free(&t);
        }
        gc_tensor_free(&e);
    }
    /* channels outside 0..4, negative limit */
    gc_image_read_opts o = {5, 0};
    gc_tensor t;
    GC_CHECK_STATUS(gc_image_read(NULL, gc_test_golden("io_rgb8.png"), &o, &t), GC_ERR_ARG);
    o.channels = -1;
    GC_CHECK_STATUS(gc_image_read(NULL, gc_test_golden("io_rgb8.png"), &o, &t), GC_ERR_ARG);
    o.channels = 0;
    o.max_pixels = -1;
    GC_CHECK_STATUS(gc_image_read(NULL, gc_test_golden("io_rgb8.png"), &o, &t), GC_ERR_ARG);
}

/* ---- writing ------------------------------------------------------------------------------ */

/* An image whose values are exact multiples of 1/levels (so a round trip is exact). */
static void imgt_fill_levels(gc_tensor *t, int levels, unsigned seed)
{
    int64_t n;
    gc_tensor_numel(t, &n);
    unsigned s = seed;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        double v = (double)((s >> 8) % (unsigned)(levels + 1)) / levels;
        if (t->dtype == GC_DTYPE_F32)
            ((float *)t->data)[i] = (float)v;
        else
            ((double *)t->data)[i] = v;
    }
}

static void test_png_roundtrip(void)
{
    if (imgt_skip(GC_IMAGE_FORMAT_PNG, "image_png_roundtrip"))
        return;
    imgt_dir d;
    GC_CHECK(imgt_dir_make(&d));
    imgt_count cnt;
    gc_context *ctx = imgt_ctx(&cnt);
    for (int bits = 8; bits <= 16; bits += 8)
        for (int c = 1; c <= 4; c++)
            for (int dt = 0; dt < 2; dt++) {
                gc_tensor t, r;
                GC_CHECK_OK(gc_tensor_create(ctx, &t, dt ? GC_DTYPE_F64 : GC_DTYPE_F32, 3,
                                             (int64_t[]){c, 11, 6}));
                imgt_fill_levels(&t, bits == 16 ? 65535 : 255, (unsigned)(c * 7 + bits + dt));
                gc_image_write_opts o = gc_image_write_opts_default();
                o.bit_depth = bits;
                const char *path = imgt_file(&d, "rt.PNG"); /* the extension is case-blind */
                gc_status st = gc_image_write(ctx, path, &t, &o);
                GC_CHECK_MSG(st == GC_OK, "%d bits, %d channels: %s", bits, c,
                             gc_context_last_error(ctx));
                GC_CHECK(imgt_dir_count(&d) == 1); /* no temporary left behind */
                GC_CHECK_OK(gc_image_read(ctx, path, NULL, &r));
                GC_CHECK(r.rank == 3 && r.dims[0] == c && r.dims[1] == 11 && r.dims[2] == 6);
                double diff = gc_test_max_abs_diff(&t, &r);
                GC_CHECK_MSG(diff <= 1e-7, "%d bits, %d channels: diff %g", bits, c, diff);
                gc_tensor_free(&t);
                gc_tensor_free(&r);
            }
    /* a transposed (non-contiguous) view and a rank-2 gray image; clamping and NaN */
    gc_tensor t, v, r;
    GC_CHECK_OK(gc_tensor_create(ctx, &t, GC_DTYPE_F32, 3, (int64_t[]){3, 8, 5}));
    imgt_fill_levels(&t, 255, 99);
    GC_CHECK_OK(gc_tensor_transpose(&t, 1, 2, &v));
    GC_CHECK_OK(gc_image_write(ctx, imgt_file(&d, "tr.png"), &v, NULL));
    GC_CHECK_OK(gc_image_read(ctx, imgt_file(&d, "tr.png"), NULL, &r));
    GC_CHECK(r.dims[1] == 5 && r.dims[2] == 8 && gc_test_max_abs_diff(&v, &r) <= 1e-7);
    gc_tensor_free(&r);
    gc_tensor g;
    GC_CHECK_OK(gc_tensor_create(ctx, &g, GC_DTYPE_F64, 2, (int64_t[]){2, 3}));
    double *gv = g.data;
    gv[0] = -0.5;
    gv[1] = 1.5;
    gv[2] = NAN;
    gv[3] = INFINITY;
    gv[4] = 0.5;
    gv[5] = 1.0 / 255 * 0.49;
    GC_CHECK_OK(gc_image_write(ctx, imgt_file(&d, "g.png"), &g, NULL));
    GC_CHECK_OK(gc_image_read(ctx, imgt_file(&d, "g.png"), NULL, &r));
    GC_CHECK(r.rank == 3 && r.dims[0] == 1 && r.dims[1] == 2 && r.dims[2] == 3);
    if (r.rank == 3 && r.dims[0] == 1) {
        const float *q = r.data;
        GC_CHECK(q[0] == 0.0f && q[1] == 1.0f && q[2] == 0.0f && q[3] == 1.0f);
        GC_CHECK(fabs(q[4] - 128.0 / 255) < 1e-7 && q[5] == 0.0f);
    }
    gc_tensor_free(&r);
    gc_tensor_free(&g);
    gc_tensor_free(&t);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    imgt_dir_remove(&d);
}

static void test_jpeg_roundtrip(void)
{
    if (imgt_skip(GC_IMAGE_FORMAT_JPEG, "image_jpeg_roundtrip"))
        return;
    imgt_dir d;
    GC_CHECK(imgt_dir_make(&d));
    imgt_count cnt;
    gc_context *ctx = imgt_ctx(&cnt);
    gc_tensor src;
    GC_CHECK_OK(gc_npy_read(ctx, gc_test_golden("io_jpeg_src.npy"), &src));
    double err[2];
    const int qualities[2] = {10, 100};
    for (int qi = 0; qi < 2; qi++) {
        gc_image_write_opts o = gc_image_write_opts_default();
        o.quality = qualities[qi];
        gc_tensor r;
        GC_CHECK_OK(gc_image_write(ctx, imgt_file(&d, "q.jpeg"), &src, &o));
        GC_CHECK(imgt_dir_count(&d) == 1);
        GC_CHECK_OK(gc_image_read(ctx, imgt_file(&d, "q.jpeg"), NULL, &r));
        GC_CHECK(r.rank == 3 && r.dims[0] == 3 && r.dims[1] == 17 && r.dims[2] == 23);
        err[qi] = gc_test_max_abs_diff(&src, &r);
        gc_tensor_free(&r);
    }
    GC_CHECK_MSG(err[1] < 0.05 && err[0] > err[1], "quality 10: %g, quality 100: %g", err[0],
                 err[1]);
    /* C = 4 is written as RGB (alpha dropped), C = 1 as gray; format forced over the name */
    gc_tensor rgba, r;
    GC_CHECK_OK(gc_tensor_create(ctx, &rgba, GC_DTYPE_F32, 3, (int64_t[]){4, 17, 23}));
    memcpy(rgba.data, src.data, 3 * 17 * 23 * sizeof(float));
    gc_image_write_opts o = {GC_IMAGE_FORMAT_JPEG, 95, 0};
    GC_CHECK_OK(gc_image_write(ctx, imgt_file(&d, "rgba.img"), &rgba, &o));
    GC_CHECK_OK(gc_image_read(ctx, imgt_file(&d, "rgba.img"), NULL, &r));
    GC_CHECK(r.rank == 3 && r.dims[0] == 3 && gc_test_max_abs_diff(&src, &r) < 0.1);
    gc_tensor_free(&r);
    gc_tensor gray;
    GC_CHECK_OK(gc_tensor_narrow(&src, 0, 1, 1, &gray));
    GC_CHECK_OK(gc_image_write(ctx, imgt_file(&d, "g.jpg"), &gray, NULL));
    GC_CHECK_OK(gc_image_read(ctx, imgt_file(&d, "g.jpg"), NULL, &r));
    GC_CHECK(r.rank == 3 && r.dims[0] == 1 && gc_test_max_abs_diff(&gray, &r) < 0.1);
    gc_tensor_free(&r);
    gc_tensor_free(&rgba);
    gc_tensor_free(&src);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    imgt_dir_remove(&d);
}

static void test_write_refusals(void)
{
    imgt_dir d;
    GC_CHECK(imgt_dir_make(&d));
    gc_context *ctx = imgt_ctx(NULL);
    gc_tensor t, t5, t1, e;
    GC_CHECK_OK(gc_tensor_create(ctx, &t, GC_DTYPE_F32, 3, (int64_t[]){3, 4, 4}));
    GC_CHECK_OK(gc_tensor_create(ctx, &t5, GC_DTYPE_F32, 3, (int64_t[]){5, 4, 4}));
    GC_CHECK_OK(gc_tensor_create(ctx, &t1, GC_DTYPE_F32, 1, (int64_t[]){4}));
    GC_CHECK_OK(gc_tensor_create(ctx, &e, GC_DTYPE_F32, 3, (int64_t[]){3, 0, 4}));
    gc_image_write_opts o = gc_image_write_opts_default();
    GC_CHECK_STATUS(gc_image_write(ctx, NULL, &t, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.png"), NULL, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_image_write(ctx, "", &t, NULL), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.png"), &t1, NULL), GC_ERR_RANK);
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.png"), &t5, NULL), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.png"), &e, NULL), GC_ERR_EMPTY);
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.bmp"), &t, NULL), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "extension") != NULL);
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "png"), &t, NULL), GC_ERR_ARG);
    o.format = (gc_image_format)7;
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.png"), &t, &o), GC_ERR_ARG);
    o.format = GC_IMAGE_FORMAT_JPEG;
    o.quality = 101;
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.jpg"), &t, &o), GC_ERR_ARG);
    o.quality = -1;
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.jpg"), &t, &o), GC_ERR_ARG);
    o.quality = 0;
    o.bit_depth = 16;
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.jpg"), &t, &o), GC_ERR_ARG);
    o.format = GC_IMAGE_FORMAT_PNG;
    o.bit_depth = 12;
    GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.png"), &t, &o), GC_ERR_ARG);
    GC_CHECK(imgt_dir_count(&d) == 0);
    if (gc_image_supported(GC_IMAGE_FORMAT_PNG)) {
        /* unwritable: a missing directory, a directory as the target */
        char p[200];
        snprintf(p, sizeof p, "%s/no/such/dir.png", d.path);
        GC_CHECK_STATUS(gc_image_write(ctx, p, &t, NULL), GC_ERR_IO);
        GC_CHECK(strstr(gc_context_last_error(ctx), "no/such") != NULL);
        snprintf(p, sizeof p, "%s/sub.png", d.path);
        GC_CHECK(mkdir(p, 0700) == 0);
        GC_CHECK_STATUS(gc_image_write(ctx, p, &t, NULL), GC_ERR_IO);
        GC_CHECK(imgt_dir_count(&d) == 1); /* only sub.png/, no temporary */
        rmdir(p);
        /* a failed write leaves an existing file as it was */
        FILE *f = fopen(imgt_file(&d, "keep.png"), "wb");
        GC_CHECK(f && fputs("old", f) >= 0 && fclose(f) == 0);
        GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "keep.png"), &t5, NULL), GC_ERR_SHAPE);
        size_t len;
        unsigned char *b = imgt_slurp(imgt_file(&d, "keep.png"), &len);
        GC_CHECK(b && len == 3 && memcmp(b, "old", 3) == 0);
        free(b);
    } else {
        GC_CHECK_STATUS(gc_image_write(ctx, imgt_file(&d, "a.png"), &t, NULL),
                        GC_ERR_UNSUPPORTED);
        gc_test_skip("no PNG support in this build: the PNG part");
    }
    gc_tensor_free(&t);
    gc_tensor_free(&t5);
    gc_tensor_free(&t1);
    gc_tensor_free(&e);
    gc_context_free(ctx);
    imgt_dir_remove(&d);
}

/* ---- bad input ---------------------------------------------------------------------------- */

/* Every strict prefix of each fixture is refused, from memory, without a leak. */
static void test_truncation_sweep(void)
{
    static const char *const files[] = {"io_rgb8.png", "io_rgb8_adam7.png", "io_pal_trns.png",
                                        "io_gray16.png", "io_base.jpg", "io_prog.jpg",
                                        "io_gray.jpg"};
    imgt_count cnt;
    gc_context *ctx = imgt_ctx(&cnt);
    for (int f = 0; f < 7; f++) {
        if (!gc_image_supported(strstr(files[f], ".png") ? GC_IMAGE_FORMAT_PNG : GC_IMAGE_FORMAT_JPEG))
            continue;
        size_t len;
        unsigned char *b = imgt_slurp(gc_test_golden(files[f]), &len);
        GC_CHECK(b != NULL && len > 8);
        int accepted = 0;
        for (size_t n = 0; b && n < len; n++) {
            unsigned char *copy = malloc(n ? n : 1); /* exact size: ASan sees over-reads */
            memcpy(copy, b, n);
            gc_tensor t;
            gc_status st = gc_image_read_mem(ctx, copy, n, NULL, &t);
            if (st == GC_OK) {
                accepted++;
                gc_tensor_free(&t);
            } else {
                GC_CHECK(gc_context_last_error(ctx)[0] != '\0');
            }
            free(copy);
        }
        GC_CHECK_MSG(accepted == 0, "%s: %d truncated copies accepted", files[f], accepted);
        free(b);
    }
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* Flipped bytes: any status, never a crash or leak; an accepted image is well formed. */
static void test_corruption_sweep(void)
{
    static const char *const files[] = {"io_rgb8.png", "io_pal_trns.png", "io_base.jpg",
                                        "io_prog.jpg"};
    imgt_count cnt;
    gc_context *ctx = imgt_ctx(&cnt);
    for (int f = 0; f < 4; f++) {
        if (!gc_image_supported(strstr(files[f], ".png") ? GC_IMAGE_FORMAT_PNG : GC_IMAGE_FORMAT_JPEG))
            continue;
        size_t len;
        unsigned char *b = imgt_slurp(gc_test_golden(files[f]), &len);
        for (size_t i = 0; b && i < len; i += (len > 300 ? 3 : 1)) {
            const unsigned char old = b[i];
            for (int k = 0; k < 2; k++) {
                b[i] = k ? (unsigned char)(old ^ 0xFF) : (unsigned char)(old + 1);
                gc_tensor t;
                if (gc_image_read_mem(ctx, b, len, NULL, &t) == GC_OK) {
                    GC_CHECK(t.rank == 3 && t.dims[0] >= 1 && t.dims[0] <= 4 && t.dims[1] >= 1);
                    gc_tensor_free(&t);
                }
            }
            b[i] = old;
        }
        free(b);
    }
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    /* not an image at all, empty, NULL */
    gc_tensor t;
    GC_CHECK_STATUS(gc_image_read_mem(NULL, "GIF89a....", 10, NULL, &t), GC_ERR_FORMAT);
    GC_CHECK_STATUS(gc_image_read_mem(NULL, "", 0, NULL, &t), GC_ERR_FORMAT);
    GC_CHECK_STATUS(gc_image_read_mem(NULL, NULL, 5, NULL, &t), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_image_read_mem(NULL, "x", 1, NULL, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_image_read(NULL, NULL, NULL, &t), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_image_read(NULL, "/nonexistent/x.png", NULL, &t), GC_ERR_IO);
    GC_CHECK_STATUS(gc_image_read(NULL, "/tmp", NULL, &t), GC_ERR_IO);
}

static uint32_t imgt_crc(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void imgt_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A PNG that claims w x h RGB pixels (valid IHDR, a tiny IDAT, IEND). */
static size_t imgt_big_png(unsigned char *b, uint32_t w, uint32_t h)
{
    size_t n = 0;
    memcpy(b, "\x89PNG\r\n\x1a\n", 8);
    n = 8;
    imgt_be32(b + n, 13);
    memcpy(b + n + 4, "IHDR", 4);
    imgt_be32(b + n + 8, w);
    imgt_be32(b + n + 12, h);
    memcpy(b + n + 16, "\x08\x02\x00\x00\x00", 5);
    imgt_be32(b + n + 21, imgt_crc(b + n + 4, 17));
    n += 25;
    static const unsigned char idat[] = {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01};
    imgt_be32(b + n, sizeof idat);
    memcpy(b + n + 4, "IDAT", 4);
    memcpy(b + n + 8, idat, sizeof idat);
    imgt_be32(b + n + 8 + sizeof idat, imgt_crc(b + n + 4, 4 + sizeof idat));
    n += 12 + sizeof idat;
    imgt_be32(b + n, 0);
    memcpy(b + n + 4, "IEND", 4);
    imgt_be32(b + n + 8, imgt_crc(b + n + 4, 4));
    return n + 12;
}

/* The pixel limit refuses a huge header before anything of the image's size is allocated,
 * from the context, per call, and by default. */
static void test_pixel_limit(void)
{
    gc_context *plain = NULL;
    GC_CHECK_OK(gc_context_create(&plain));
    GC_CHECK(gc_context_max_pixels(NULL) == GC_IMAGE_DEFAULT_MAX_PIXELS);
    GC_CHECK(gc_context_max_pixels(plain) == GC_IMAGE_DEFAULT_MAX_PIXELS);
    GC_CHECK_STATUS(gc_context_set_max_pixels(plain, -5), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_context_set_max_pixels(NULL, 5), GC_ERR_NULL);
    GC_CHECK_OK(gc_context_set_max_pixels(plain, 1000));
    GC_CHECK(gc_context_max_pixels(plain) == 1000);
    GC_CHECK_OK(gc_context_set_max_pixels(plain, 0));
    GC_CHECK(gc_context_max_pixels(plain) == GC_IMAGE_DEFAULT_MAX_PIXELS);
    gc_context_free(plain);

    imgt_count cnt;
    gc_context *ctx = imgt_ctx(&cnt);
    gc_tensor t;
    if (gc_image_supported(GC_IMAGE_FORMAT_PNG)) {
        /* 13 x 9 = 117 pixels: a limit of 116 refuses it, 117 takes it */
        GC_CHECK_OK(gc_context_set_max_pixels(ctx, 116));
        GC_CHECK_STATUS(gc_image_read(ctx, gc_test_golden("io_rgb8.png"), NULL, &t),
                        GC_ERR_LIMIT);
        GC_CHECK(strstr(gc_context_last_error(ctx), "13 x 9") != NULL);
        GC_CHECK(strstr(gc_context_last_error(ctx), "116") != NULL);
        GC_CHECK_OK(gc_context_set_max_pixels(ctx, 117));
        GC_CHECK_OK(gc_image_read(ctx, gc_test_golden("io_rgb8.png"), NULL, &t));
        gc_tensor_free(&t);
        gc_image_read_opts o = {0, 100}; /* the per-call limit wins */
        GC_CHECK_STATUS(gc_image_read(ctx, gc_test_golden("io_rgb8.png"), &o, &t),
                        GC_ERR_LIMIT);
        GC_CHECK_OK(gc_context_set_max_pixels(ctx, 0));

        /* 60000 x 60000 (3.6e9 pixels, ~43 GB as float RGB) under the default limit */
        unsigned char big[128];
        size_t n = imgt_big_png(big, 60000, 60000);
        cnt.largest = 0;
        GC_CHECK_STATUS(gc_image_read_mem(ctx, big, n, NULL, &t), GC_ERR_LIMIT);
        GC_CHECK_MSG(cnt.largest < (1u << 20), "largest allocation %zu", cnt.largest);
        /* just under the default limit passes the limit and fails later on the tiny IDAT,
         * or on the allocation limit; never on the pixel limit */
        GC_CHECK_OK(gc_context_set_max_alloc(ctx, 1u << 20));
        n = imgt_big_png(big, 8192, 8192);
        gc_status st = gc_image_read_mem(ctx, big, n, NULL, &t);
        GC_CHECK(st == GC_ERR_LIMIT && strstr(gc_context_last_error(ctx), "allocation") != NULL);
        GC_CHECK_OK(gc_context_set_max_alloc(ctx, 0));
    }
    if (gc_image_supported(GC_IMAGE_FORMAT_JPEG)) {
        /* io_base.jpg with its SOF0 size patched to 60000 x 60000 */
        size_t len;
        unsigned char *b = imgt_slurp(gc_test_golden("io_base.jpg"), &len);
        int patched = 0;
        for (size_t i = 0; b && i + 9 < len; i++)
            if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC2)) {
                b[i + 5] = 0xEA; /* height 0xEA60 = 60000 */
                b[i + 6] = 0x60;
                b[i + 7] = 0xEA; /* width */
                b[i + 8] = 0x60;
                patched = 1;
                break;
            }
        GC_CHECK(patched);
        cnt.largest = 0;
        GC_CHECK_STATUS(gc_image_read_mem(ctx, b, len, NULL, &t), GC_ERR_LIMIT);
        GC_CHECK(strstr(gc_context_last_error(ctx), "60000 x 60000") != NULL);
        GC_CHECK_MSG(cnt.largest < (1u << 20), "largest allocation %zu", cnt.largest);
        free(b);
        GC_CHECK_OK(gc_context_set_max_pixels(ctx, 23 * 17 - 1));
        GC_CHECK_STATUS(gc_image_read(ctx, gc_test_golden("io_prog.jpg"), NULL, &t),
                        GC_ERR_LIMIT);
    }
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* Every allocation of a read and a write failed in turn: GC_ERR_NOMEM, nothing leaked, no
 * file left. */
static void test_alloc_failure(void)
{
    static const char *const files[] = {"io_rgb8_adam7.png", "io_prog.jpg"};
    imgt_dir d;
    GC_CHECK(imgt_dir_make(&d));
    for (int f = 0; f < 2; f++) {
        gc_image_format fmt = f == 0 ? GC_IMAGE_FORMAT_PNG : GC_IMAGE_FORMAT_JPEG;
        if (!gc_image_supported(fmt)) {
            gc_test_skip(f == 0 ? "no PNG support in this build: the PNG part"
                                : "no JPEG support in this build: the JPEG part");
            continue;
        }
        imgt_count cnt;
        gc_context *ctx = imgt_ctx(&cnt);
        gc_tensor t;
        GC_CHECK_OK(gc_image_read(ctx, gc_test_golden(files[f]), NULL, &t));
        const char *out = imgt_file(&d, f == 0 ? "o.png" : "o.jpg");
        long before = cnt.calls;
        GC_CHECK_OK(gc_image_write(ctx, out, &t, NULL));
        const long write_calls = cnt.calls - before;
        unlink(out);
        before = cnt.calls;
        gc_tensor r;
        GC_CHECK_OK(gc_image_read(ctx, gc_test_golden(files[f]), NULL, &r));
        gc_tensor_free(&r);
        const long read_calls = cnt.calls - before;
        GC_CHECK(read_calls >= 2 && write_calls >= 2);
        for (long k = 1; k <= read_calls; k++) {
            cnt.calls = 0;
            cnt.fail_at = k;
            gc_status st = gc_image_read(ctx, gc_test_golden(files[f]), NULL, &r);
            GC_CHECK_MSG(st == GC_ERR_NOMEM, "%s: read failing allocation %ld: %s (%s)",
                         files[f], k, gc_status_str(st), gc_context_last_error(ctx));
            if (st == GC_OK)
                gc_tensor_free(&r);
        }
        for (long k = 1; k <= write_calls; k++) {
            cnt.calls = 0;
            cnt.fail_at = k;
            gc_status st = gc_image_write(ctx, out, &t, NULL);
            GC_CHECK_MSG(st == GC_ERR_NOMEM, "%s: write failing allocation %ld: %s (%s)",
                         files[f], k, gc_status_str(st), gc_context_last_error(ctx));
            GC_CHECK(imgt_dir_count(&d) == 0);
        }
        cnt.fail_at = 0;
        gc_tensor_free(&t);
        GC_CHECK(cnt.live == 0);
        gc_context_free(ctx);
    }
    imgt_dir_remove(&d);
}

/* ---- resizing ------------------------------------------------------------------------------ */

static void test_resize_goldens(void)
{
    gc_context *ctx = imgt_ctx(NULL);
    gc_tensor in, in32;
    GC_CHECK_OK(gc_npy_read(ctx, gc_test_golden("io_resize_in.npy"), &in));
    GC_CHECK_OK(gc_tensor_create(ctx, &in32, GC_DTYPE_F32, 3, in.dims));
    GC_CHECK_OK(gc_tensor_copy(&in, &in32));
    static const struct {
        gc_resize_filter f;
        const char *mode;
        int64_t oh, ow;
    } cases[] = {
        {GC_RESIZE_FILTER_BILINEAR, "bilinear", 5, 13}, {GC_RESIZE_FILTER_BILINEAR, "bilinear", 3, 4},
        {GC_RESIZE_FILTER_BILINEAR, "bilinear", 7, 10}, {GC_RESIZE_FILTER_BILINEAR, "bilinear", 14, 20},
        {GC_RESIZE_FILTER_AREA, "area", 3, 4},          {GC_RESIZE_FILTER_AREA, "area", 5, 13},
        {GC_RESIZE_FILTER_AREA, "area", 7, 10},         {GC_RESIZE_FILTER_AREA, "area", 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "io_resize_%s_%lldx%lld.npy", cases[i].mode,
                 (long long)cases[i].oh, (long long)cases[i].ow);
        gc_tensor want, out, wide, view;
        GC_CHECK_OK(gc_npy_read(ctx, gc_test_golden(name), &want));
        GC_CHECK_OK(gc_tensor_create(ctx, &out, GC_DTYPE_F64, 3,
                                     (int64_t[]){3, cases[i].oh, cases[i].ow}));
        gc_test_poison(&out);
        GC_CHECK_OK(gc_image_resize(ctx, &in, cases[i].f, &out));
        double d = gc_test_max_abs_diff(&out, &want);
        GC_CHECK_MSG(d < 1e-12, "%s float64: %g", name, d);
        /* float32 into a strided destination (every other column of a wider tensor) */
        GC_CHECK_OK(gc_tensor_create(ctx, &wide, GC_DTYPE_F32, 3,
                                     (int64_t[]){3, cases[i].oh, 2 * cases[i].ow}));
        GC_CHECK_OK(gc_tensor_wrap(&view, GC_DTYPE_F32, 3,
                                   (int64_t[]){3, cases[i].oh, cases[i].ow},
                                   (int64_t[]){wide.strides[0], wide.strides[1], 2}, wide.data));
        gc_test_poison(&view);
        GC_CHECK_OK(gc_image_resize(ctx, &in32, cases[i].f, &view));
        d = gc_test_max_abs_diff(&view, &want);
        GC_CHECK_MSG(d < 1e-6, "%s float32 strided: %g", name, d);
        gc_tensor_free(&wide);
        gc_tensor_free(&out);
        gc_tensor_free(&want);
    }
    /* refusals */
    gc_tensor o2, o64, alias;
    GC_CHECK_OK(gc_tensor_create(ctx, &o2, GC_DTYPE_F64, 3, (int64_t[]){2, 4, 4}));
    GC_CHECK_STATUS(gc_image_resize(ctx, &in, GC_RESIZE_FILTER_AREA, &o2), GC_ERR_SHAPE);
    GC_CHECK_STATUS(gc_image_resize(ctx, &in32, GC_RESIZE_FILTER_AREA, &o2), GC_ERR_DTYPE);
    GC_CHECK_STATUS(gc_image_resize(ctx, &in, (gc_resize_filter)9, &o2), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_image_resize(ctx, NULL, GC_RESIZE_FILTER_AREA, &o2), GC_ERR_NULL);
    GC_CHECK_OK(gc_tensor_create(ctx, &o64, GC_DTYPE_F64, 2, (int64_t[]){4, 4}));
    GC_CHECK_STATUS(gc_image_resize(ctx, &in, GC_RESIZE_FILTER_AREA, &o64), GC_ERR_RANK);
    GC_CHECK_OK(gc_tensor_narrow(&in, 2, 0, 5, &alias));
    GC_CHECK_STATUS(gc_image_resize(ctx, &in, GC_RESIZE_FILTER_BILINEAR, &alias), GC_ERR_ALIAS);
    gc_tensor empty;
    GC_CHECK_OK(gc_tensor_create(ctx, &empty, GC_DTYPE_F64, 3, (int64_t[]){3, 0, 4}));
    GC_CHECK_STATUS(gc_image_resize(ctx, &in, GC_RESIZE_FILTER_AREA, &empty), GC_ERR_EMPTY);
    /* rank 2: one channel */
    gc_tensor flat, want, o;
    GC_CHECK_OK(gc_tensor_wrap(&flat, GC_DTYPE_F64, 2, (int64_t[]){7, 10}, NULL, in.data));
    GC_CHECK_OK(gc_npy_read(ctx, gc_test_golden("io_resize_bilinear_5x13.npy"), &want));
    GC_CHECK_OK(gc_tensor_create(ctx, &o, GC_DTYPE_F64, 2, (int64_t[]){5, 13}));
    GC_CHECK_OK(gc_image_resize(ctx, &flat, GC_RESIZE_FILTER_BILINEAR, &o));
    gc_tensor want0;
    GC_CHECK_OK(gc_tensor_wrap(&want0, GC_DTYPE_F64, 2, (int64_t[]){5, 13}, NULL, want.data));
    GC_CHECK(gc_test_max_abs_diff(&o, &want0) < 1e-12);
    gc_tensor_free(&o);
    gc_tensor_free(&want);
    gc_tensor_free(&empty);
    gc_tensor_free(&o2);
    gc_tensor_free(&o64);
    gc_tensor_free(&in32);
    gc_tensor_free(&in);
    gc_context_free(ctx);
}

GC_TEST_TABLE(gc_tests_image) = {
    {"image_png_goldens", test_png_goldens},
    {"image_jpeg_goldens", test_jpeg_goldens},
    {"image_channel_conversion", test_channel_conversion},
    {"image_png_roundtrip", test_png_roundtrip},
    {"image_jpeg_roundtrip", test_jpeg_roundtrip},
    {"image_write_refusals", test_write_refusals},
    {"image_truncation_sweep", test_truncation_sweep},
    {"image_corruption_sweep", test_corruption_sweep},
    {"image_pixel_limit", test_pixel_limit},
    {"image_alloc_failure", test_alloc_failure},
    {"image_resize_goldens", test_resize_goldens},
    {NULL, NULL},
};
