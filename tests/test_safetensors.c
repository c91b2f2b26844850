/* test_safetensors.c - safetensors reading and writing: a file written by the reference
 * implementation (F32, F64, F16 with subnormals/Inf/-0, BF16, I64, rank 0, empty, metadata;
 * tests/golden/make_golden_io.py), round trips through gc_safetensors_write, shape-checked
 * lookup, a table of malformed headers with the status and message each must give, every
 * truncation, corrupted bytes, allocation-failure injection and atomic writes. */
#include "gc_test.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef gc_test_counter stt_count;

static gc_context *stt_ctx(stt_count *c)
{
    gc_context *ctx = NULL;
    if (gc_context_create(&ctx) != GC_OK)
        return NULL;
    memset(c, 0, sizeof *c);
    gc_allocator a = gc_test_counter_allocator(c);
    gc_context_set_allocator(ctx, &a);
    return ctx;
}

static unsigned char *stt_slurp(const char *path, size_t *len)
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

typedef struct stt_dir {
    char path[64];
    char file[128];
} stt_dir;

static int stt_dir_make(stt_dir *d)
{
    snprintf(d->path, sizeof d->path, "/tmp/gc_st_XXXXXX");
    return mkdtemp(d->path) != NULL;
}

static const char *stt_file(stt_dir *d, const char *name)
{
    snprintf(d->file, sizeof d->file, "%s/%s", d->path, name);
    return d->file;
}

static int stt_dir_count(const stt_dir *d)
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

static void stt_dir_remove(stt_dir *d)
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

/* ---- the reference implementation's file ---------------------------------------------------- */

static void stt_check_mixed(gc_context *ctx, gc_safetensors *st)
{
    GC_CHECK(gc_safetensors_count(st) == 9);
    static const struct {
        const char *name, *npy;
        gc_dtype dtype;
    } cases[] = {
        {"a.f32", "st_mixed_a_f32.npy", GC_DTYPE_F32},
        {"b.f64", "st_mixed_b_f64.npy", GC_DTYPE_F64},
        {"c.f16", "st_mixed_c_f16.npy", GC_DTYPE_F32},
        {"d.bf16", "st_mixed_d_bf16.npy", GC_DTYPE_F32},
        {"f.scalar", "st_mixed_f_scalar.npy", GC_DTYPE_F32},
        {"g.empty", "st_mixed_g_empty.npy", GC_DTYPE_F32},
        {"features.0.weight", "st_mixed_features_0_weight.npy", GC_DTYPE_F32},
        {"h.f16_edges", "st_mixed_h_f16_edges.npy", GC_DTYPE_F32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gc_tensor t, e;
        gc_status s = gc_safetensors_get(ctx, st, cases[i].name, -1, NULL, &t);
        GC_CHECK_MSG(s == GC_OK, "%s: %s", cases[i].name, gc_context_last_error(ctx));
        GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden(cases[i].npy), &e));
        if (s != GC_OK)
            continue;
        GC_CHECK(t.dtype == cases[i].dtype && t.rank == e.rank && t.owned_ == NULL);
        int64_t n = 0;
        gc_tensor_numel(&e, &n);
        int bad = 0;
        for (int64_t k = 0; k < n; k++) {
            double a = t.dtype == GC_DTYPE_F32 ? ((float *)t.data)[k] : ((double *)t.data)[k];
            double b = e.dtype == GC_DTYPE_F32 ? ((float *)e.data)[k] : ((double *)e.data)[k];
            if (!(a == b || (isnan(a) && isnan(b))) || signbit(a) != signbit(b))
                bad++;
        }
        GC_CHECK_MSG(bad == 0, "%s: %d elements differ", cases[i].name, bad);
        for (int d = 0; d < e.rank && d < t.rank; d++)
            GC_CHECK(t.dims[d] == e.dims[d]);
        gc_tensor_free(&e);
    }
    /* F16 edge values, spelled out: the smallest subnormal, Inf, -0 */
    gc_tensor h;
    GC_CHECK_OK(gc_safetensors_get(ctx, st, "h.f16_edges", 1, (int64_t[]){8}, &h));
    if (h.data) {
        const float *v = h.data;
        GC_CHECK(v[0] == ldexpf(1.0f, -24) && v[1] == -ldexpf(1.0f, -24));
        GC_CHECK(v[3] == 65504.0f && isinf(v[4]) && v[4] > 0 && isinf(v[5]) && v[5] < 0);
        GC_CHECK(v[6] == 0.0f && signbit(v[6]) && v[7] == 1.0f);
    }
    /* integers are listed but not converted */
    gc_tensor t;
    GC_CHECK_STATUS(gc_safetensors_get(ctx, st, "e.i64", -1, NULL, &t), GC_ERR_DTYPE);
    GC_CHECK(strstr(gc_context_last_error(ctx), "I64") != NULL);
    int found = 0;
    for (int64_t i = 0; i < gc_safetensors_count(st); i++)
        found += strcmp(gc_safetensors_name(st, i), "e.i64") == 0;
    GC_CHECK(found == 1);
    GC_CHECK(gc_safetensors_name(st, -1) == NULL && gc_safetensors_name(st, 9) == NULL);
    /* metadata */
    GC_CHECK(gc_safetensors_metadata_count(st) == 2);
    const char *fmt = gc_safetensors_metadata_get(st, "format");
    GC_CHECK(fmt && strcmp(fmt, "pt") == 0);
    const char *g = gc_safetensors_metadata_get(st, "gramconv");
    GC_CHECK(g && strcmp(g, "test \xc3\xa9") == 0);
    GC_CHECK(gc_safetensors_metadata_get(st, "missing") == NULL);
    const char *k, *v;
    GC_CHECK_OK(gc_safetensors_metadata_at(st, 1, &k, &v));
    GC_CHECK_STATUS(gc_safetensors_metadata_at(st, 2, &k, &v), GC_ERR_ARG);
}

static void test_golden_mixed(void)
{
    stt_count cnt;
    gc_context *ctx = stt_ctx(&cnt);
    gc_safetensors *st = NULL;
    gc_status s = gc_safetensors_read(ctx, gc_test_golden("st_mixed.safetensors"), &st);
    GC_CHECK_MSG(s == GC_OK, "%s", gc_context_last_error(ctx));
    if (st)
        stt_check_mixed(ctx, st);
    gc_safetensors_free(st);
    size_t len;
    unsigned char *b = stt_slurp(gc_test_golden("st_mixed.safetensors"), &len);
    GC_CHECK_OK(gc_safetensors_read_mem(ctx, b, len, &st));
    free(b); /* nothing refers to the buffer afterwards */
    if (st)
        stt_check_mixed(ctx, st);
    gc_safetensors_free(st);
    gc_safetensors_free(NULL);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

static void test_get_checks(void)
{
    gc_safetensors *st = NULL;
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_safetensors_read(ctx, gc_test_golden("st_mixed.safetensors"), &st));
    gc_tensor t;
    GC_CHECK_OK(gc_safetensors_get(ctx, st, "features.0.weight", 4, (int64_t[]){4, 3, 3, 3}, &t));
    GC_CHECK_OK(gc_safetensors_get(ctx, st, "features.0.weight", 4, (int64_t[]){-1, 3, -1, 3},
                                   &t));
    GC_CHECK_OK(gc_safetensors_get(ctx, st, "features.0.weight", 4, NULL, &t));
    GC_CHECK_STATUS(gc_safetensors_get(ctx, st, "features.0.weight", 4,
                                       (int64_t[]){64, 3, 3, 3}, &t),
                    GC_ERR_SHAPE);
    GC_CHECK(strstr(gc_context_last_error(ctx), "[4, 3, 3, 3], expected [64, 3, 3, 3]") != NULL);
    GC_CHECK_STATUS(gc_safetensors_get(ctx, st, "features.0.weight", 2, NULL, &t), GC_ERR_RANK);
    GC_CHECK_STATUS(gc_safetensors_get(ctx, st, "features.9.weight", -1, NULL, &t), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "features.9.weight") != NULL);
    GC_CHECK_STATUS(gc_safetensors_get(ctx, st, NULL, -1, NULL, &t), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_safetensors_get(ctx, NULL, "a", -1, NULL, &t), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_safetensors_get(ctx, st, "a.f32", -1, NULL, NULL), GC_ERR_NULL);
    GC_CHECK_OK(gc_safetensors_get(ctx, st, "f.scalar", 0, NULL, &t));
    GC_CHECK(t.rank == 0 && *(float *)t.data == 2.5f);
    gc_safetensors_free(st);
    GC_CHECK_STATUS(gc_safetensors_read(ctx, NULL, &st), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_safetensors_read(ctx, "/nonexistent.safetensors", &st), GC_ERR_IO);
    GC_CHECK(st == NULL);
    GC_CHECK_STATUS(gc_safetensors_read(ctx, "/tmp", &st), GC_ERR_IO);
    GC_CHECK_STATUS(gc_safetensors_read_mem(ctx, NULL, 3, &st), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_safetensors_read_mem(ctx, "x", 1, NULL), GC_ERR_NULL);
    GC_CHECK(gc_safetensors_count(NULL) == 0 && gc_safetensors_metadata_count(NULL) == 0);
    gc_context_free(ctx);
}

/* ---- writing -------------------------------------------------------------------------------- */

static void test_roundtrip(void)
{
    stt_dir d;
    GC_CHECK(stt_dir_make(&d));
    stt_count cnt;
    gc_context *ctx = stt_ctx(&cnt);
    gc_tensor a, b, s, e, at;
    gc_rng rng = {42};
    GC_CHECK_OK(gc_tensor_create(ctx, &a, GC_DTYPE_F32, 3, (int64_t[]){3, 5, 7}));
    GC_CHECK_OK(gc_tensor_create(ctx, &b, GC_DTYPE_F64, 2, (int64_t[]){4, 6}));
    GC_CHECK_OK(gc_tensor_create(ctx, &s, GC_DTYPE_F32, 0, NULL));
    GC_CHECK_OK(gc_tensor_create(ctx, &e, GC_DTYPE_F64, 2, (int64_t[]){0, 5}));
    gc_test_fill(&a, &rng, 0);
    gc_test_fill(&b, &rng, 0);
    ((float *)s.data)[0] = -3.25f;
    ((double *)b.data)[3] = NAN;
    GC_CHECK_OK(gc_tensor_transpose(&a, 0, 2, &at)); /* a strided view: 7 x 5 x 3 */
    const gc_safetensors_entry ents[] = {
        {"layer \"1\"\\w", &at}, {"b", &b}, {"scalar", &s}, {"empty", &e}, {"caf\xc3\xa9", &a},
    };
    const gc_safetensors_meta meta[] = {{"kind", "gram preset"}, {"ctl", "tab\there\nnl \x01"}};
    const char *path = stt_file(&d, "rt.safetensors");
    gc_status st = gc_safetensors_write(ctx, path, ents, 5, meta, 2);
    GC_CHECK_MSG(st == GC_OK, "%s", gc_context_last_error(ctx));
    GC_CHECK(stt_dir_count(&d) == 1);
    size_t len;
    unsigned char *bytes = stt_slurp(path, &len);
    GC_CHECK(bytes && len > 8);
    if (bytes) {
        uint64_t hl = 0;
        for (int i = 7; i >= 0; i--)
            hl = hl << 8 | bytes[i];
        GC_CHECK(hl % 8 == 0 && 8 + hl + (3 * 5 * 7 * 4) * 2 + 4 * 6 * 8 + 4 == len);
        GC_CHECK(memcmp(bytes + 8, "{\"__metadata__\":{", 17) == 0);
    }
    free(bytes);
    gc_safetensors *r = NULL;
    GC_CHECK_OK(gc_safetensors_read(ctx, path, &r));
    if (r) {
        GC_CHECK(gc_safetensors_count(r) == 5);
        for (int i = 0; i < 5; i++) {
            GC_CHECK(strcmp(gc_safetensors_name(r, i), ents[i].name) == 0);
            gc_tensor t;
            GC_CHECK_OK(gc_safetensors_get(ctx, r, ents[i].name, ents[i].tensor->rank,
                                           ents[i].tensor->dims, &t));
            GC_CHECK(t.dtype == ents[i].tensor->dtype);
            int64_t n;
            gc_tensor_numel(&t, &n);
            /* NaN != NaN: compare bit patterns through a contiguous copy */
            gc_tensor c;
            GC_CHECK_OK(gc_tensor_contiguous(ctx, ents[i].tensor, &c));
            GC_CHECK(n == 0 || memcmp(c.data, t.data, (size_t)n * gc_dtype_size(t.dtype)) == 0);
            gc_tensor_free(&c);
        }
        const char *v = gc_safetensors_metadata_get(r, "ctl");
        GC_CHECK(v && strcmp(v, "tab\there\nnl \x01") == 0);
        v = gc_safetensors_metadata_get(r, "kind");
        GC_CHECK(v && strcmp(v, "gram preset") == 0);
    }
    gc_safetensors_free(r);
    /* no tensors, no metadata: "{}" padded */
    GC_CHECK_OK(gc_safetensors_write(ctx, path, NULL, 0, NULL, 0));
    GC_CHECK_OK(gc_safetensors_read(ctx, path, &r));
    GC_CHECK(r && gc_safetensors_count(r) == 0 && gc_safetensors_metadata_count(r) == 0);
    gc_safetensors_free(r);
    gc_tensor_free(&a);
    gc_tensor_free(&b);
    gc_tensor_free(&s);
    gc_tensor_free(&e);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    stt_dir_remove(&d);
}

static void test_write_refusals(void)
{
    stt_dir d;
    GC_CHECK(stt_dir_make(&d));
    gc_context *ctx = NULL;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_tensor a;
    GC_CHECK_OK(gc_tensor_create(ctx, &a, GC_DTYPE_F32, 1, (int64_t[]){3}));
    const char *p = stt_file(&d, "x.safetensors");
    gc_safetensors_entry dup[2] = {{"w", &a}, {"w", &a}};
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, dup, 2, NULL, 0), GC_ERR_ARG);
    GC_CHECK(strstr(gc_context_last_error(ctx), "twice") != NULL);
    gc_safetensors_entry bad[1] = {{"__metadata__", &a}};
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, bad, 1, NULL, 0), GC_ERR_ARG);
    bad[0].name = "";
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, bad, 1, NULL, 0), GC_ERR_ARG);
    bad[0].name = "bad\xff";
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, bad, 1, NULL, 0), GC_ERR_ARG);
    bad[0].name = NULL;
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, bad, 1, NULL, 0), GC_ERR_NULL);
    bad[0].name = "w";
    bad[0].tensor = NULL;
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, bad, 1, NULL, 0), GC_ERR_NULL);
    gc_safetensors_meta m[2] = {{"k", "v"}, {"k", "w"}};
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, dup, 1, m, 2), GC_ERR_ARG);
    m[1].key = "j";
    m[1].value = NULL;
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, dup, 1, m, 2), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, NULL, 1, NULL, 0), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_safetensors_write(ctx, p, dup, -1, NULL, 0), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_safetensors_write(ctx, NULL, dup, 1, NULL, 0), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_safetensors_write(ctx, "", dup, 1, NULL, 0), GC_ERR_ARG);
    GC_CHECK(stt_dir_count(&d) == 0);
    char q[200];
    snprintf(q, sizeof q, "%s/missing/x.safetensors", d.path);
    GC_CHECK_STATUS(gc_safetensors_write(ctx, q, dup, 1, NULL, 0), GC_ERR_IO);
    GC_CHECK(stt_dir_count(&d) == 0);
    gc_tensor_free(&a);
    gc_context_free(ctx);
    stt_dir_remove(&d);
}

/* ---- malformed headers ----------------------------------------------------------------------- */

/* 8-byte length + header + `data` zero bytes; hlen_override >= 0 replaces the length field. */
static unsigned char *stt_build(const char *header, size_t data, int64_t hlen_override,
                                size_t *len)
{
    size_t h = strlen(header);
    *len = 8 + h + data;
    unsigned char *b = calloc(1, *len ? *len : 1);
    uint64_t v = hlen_override >= 0 ? (uint64_t)hlen_override : h;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    memcpy(b + 8, header, h);
    return b;
}

#define T1 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"

static void test_refuse_headers(void)
{
    static char deep[400];
    {
        size_t n = 0;
        n += (size_t)snprintf(deep, sizeof deep, "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],"
                                                 "\"data_offsets\":[0,0],\"x\":");
        for (int i = 0; i < 100; i++)
            deep[n++] = '[';
        for (int i = 0; i < 100; i++)
            deep[n++] = ']';
        memcpy(deep + n, "}}", 3);
    }
    static const struct {
        const char *header;
        size_t data;
        gc_status want;
        const char *msg; /* a piece of the message, or NULL */
    } cases[] = {
        /* accepted controls */
        {T1 "}", 8, GC_OK, NULL},
        {"{}      ", 0, GC_OK, NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":[1,{\"b\":"
         "null,\"c\":-1.5e3}]}}", 8, GC_OK, NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]}}", 0, GC_OK, NULL},
        {"{\"\\u00e9\\ud83d\\ude00\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,2]}}",
         2, GC_OK, NULL},
        /* sizes against the file */
        {T1 "}", 7, GC_ERR_FORMAT, "past the"},
        {T1 "}", 9, GC_ERR_FORMAT, "extra bytes"},
        {"{}", 1, GC_ERR_FORMAT, "no tensors"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 12, GC_ERR_FORMAT,
         "make 12 bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, GC_ERR_FORMAT,
         "reversed"},
        {T1 ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
         GC_ERR_FORMAT, "overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, GC_ERR_FORMAT,
         "gap"},
        {T1 ",\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16,
         GC_ERR_FORMAT, "twice"},
        /* dtypes, shapes, offsets */
        {"{\"a\":{\"dtype\":\"Q8\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, GC_ERR_DTYPE,
         "Q8"},
        {"{\"a\":{\"dtype\":5,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, GC_ERR_FORMAT, NULL},
        {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, GC_ERR_FORMAT, "no 'dtype'"},
        {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, GC_ERR_FORMAT, "no 'shape'"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, GC_ERR_FORMAT, "no 'data_offsets'"},
        {"{\"a\":{}}", 0, GC_ERR_FORMAT, "no fields"},
        {"{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
         GC_ERR_FORMAT, "twice"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, GC_ERR_FORMAT,
         "negative"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8, GC_ERR_FORMAT,
         NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, GC_ERR_FORMAT,
         "leading zero"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}", 8,
         GC_ERR_RANK, NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
         "\"data_offsets\":[0,8]}}", 8, GC_ERR_OVERFLOW, NULL},
        {"{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}}", 8,
         GC_ERR_OVERFLOW, NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}",
         8, GC_ERR_OVERFLOW, NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, GC_ERR_FORMAT,
         NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8, GC_ERR_FORMAT,
         NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}",
         8, GC_ERR_OVERFLOW, NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, GC_ERR_FORMAT,
         NULL},
        /* metadata */
        {"{\"__metadata__\":{\"k\":1}}", 0, GC_ERR_FORMAT, "not a string"},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, GC_ERR_FORMAT, "twice"},
        {"{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, GC_ERR_FORMAT, "twice"},
        {"{\"__metadata__\":[]}", 0, GC_ERR_FORMAT, NULL},
        /* JSON syntax and strings */
        {"", 0, GC_ERR_FORMAT, NULL},
        {"{", 0, GC_ERR_FORMAT, NULL},
        {"[]", 0, GC_ERR_FORMAT, NULL},
        {"{} x", 0, GC_ERR_FORMAT, "after the JSON"},
        {"{}\0", 0, GC_ERR_FORMAT, NULL},
        {"{\"a\" {}}", 0, GC_ERR_FORMAT, "':'"},
        {T1 ",}", 8, GC_ERR_FORMAT, NULL},
        {T1, 8, GC_ERR_FORMAT, NULL},
        {"{\"a\xff\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0,
         GC_ERR_FORMAT, "UTF-8"},
        {"{\"a\xc0\xaf\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0,
         GC_ERR_FORMAT, "UTF-8"},
        {"{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0,
         GC_ERR_FORMAT, "u0000"},
        {"{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0,
         GC_ERR_FORMAT, "surrogate"},
        {"{\"a\\udc00\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0,
         GC_ERR_FORMAT, "surrogate"},
        {"{\"a\\x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0,
         GC_ERR_FORMAT, "escape"},
        {"{\"a\\u12\":{}}", 0, GC_ERR_FORMAT, "escape"},
        {"{\"a\tb\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0,
         GC_ERR_FORMAT, "control"},
        {"{\"abc", 0, GC_ERR_FORMAT, "unterminated"},
        {deep, 0, GC_ERR_FORMAT, "nested"},
    };
    stt_count cnt;
    gc_context *ctx = stt_ctx(&cnt);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        /* "{}\0": a header whose third byte is NUL (strlen stops early, so say it) */
        unsigned char *b;
        if (strcmp(cases[i].header, "{}") == 0 && i > 0 && cases[i].data == 0 &&
            cases[i].want == GC_ERR_FORMAT && cases[i].msg == NULL) {
            b = stt_build("{}", 1, 3, &len); /* length 3 covering a NUL */
        } else {
            b = stt_build(cases[i].header, cases[i].data, -1, &len);
        }
        gc_safetensors *st = (gc_safetensors *)(uintptr_t)1;
        gc_status s = gc_safetensors_read_mem(ctx, b, len, &st);
        GC_CHECK_MSG(s == cases[i].want, "case %zu (%.50s): %s, expected %s (%s)", i,
                     cases[i].header, gc_status_str(s), gc_status_str(cases[i].want),
                     gc_context_last_error(ctx));
        if (s == GC_OK)
            GC_CHECK(st != NULL);
        else
            GC_CHECK(st == NULL && gc_context_last_error(ctx)[0] != '\0');
        if (cases[i].msg)
            GC_CHECK_MSG(strstr(gc_context_last_error(ctx), cases[i].msg) != NULL,
                         "case %zu: message '%s' lacks '%s'", i, gc_context_last_error(ctx),
                         cases[i].msg);
        gc_safetensors_free(s == GC_OK ? st : NULL);
        free(b);
    }
    /* the length field: short file, length past the end, 2^63 */
    size_t len;
    gc_safetensors *st;
    unsigned char *b = stt_build("{}", 0, -1, &len);
    GC_CHECK_STATUS(gc_safetensors_read_mem(ctx, b, 5, &st), GC_ERR_FORMAT);
    GC_CHECK(strstr(gc_context_last_error(ctx), "8-byte") != NULL);
    free(b);
    b = stt_build("{}", 0, 3, &len);
    GC_CHECK_STATUS(gc_safetensors_read_mem(ctx, b, len, &st), GC_ERR_FORMAT);
    GC_CHECK(strstr(gc_context_last_error(ctx), "truncated") != NULL);
    free(b);
    b = stt_build("{}", 0, INT64_MAX, &len);
    b[7] = 0xFF;
    GC_CHECK_STATUS(gc_safetensors_read_mem(ctx, b, len, &st), GC_ERR_FORMAT);
    free(b);
    b = stt_build("{}", 0, 1, &len);
    GC_CHECK_STATUS(gc_safetensors_read_mem(ctx, b, 9, &st), GC_ERR_FORMAT);
    free(b);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* Every strict prefix of the reference file is refused; flipped bytes never crash or leak. */
static void test_truncation_and_corruption(void)
{
    stt_count cnt;
    gc_context *ctx = stt_ctx(&cnt);
    size_t len;
    unsigned char *b = stt_slurp(gc_test_golden("st_mixed.safetensors"), &len);
    GC_CHECK(b != NULL);
    int accepted = 0;
    for (size_t n = 0; b && n < len; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        memcpy(copy, b, n);
        gc_safetensors *st;
        if (gc_safetensors_read_mem(ctx, copy, n, &st) == GC_OK) {
            accepted++;
            gc_safetensors_free(st);
        }
        free(copy);
    }
    GC_CHECK_MSG(accepted == 0, "%d truncated copies accepted", accepted);
    int ok = 0;
    for (size_t i = 0; b && i < len; i++) {
        const unsigned char old = b[i];
        b[i] = (unsigned char)(old ^ 0x5A);
        gc_safetensors *st;
        if (gc_safetensors_read_mem(ctx, b, len, &st) == GC_OK) {
            ok++;
            for (int64_t k = 0; k < gc_safetensors_count(st); k++) {
                gc_tensor t;
                if (gc_safetensors_get(ctx, st, gc_safetensors_name(st, k), -1, NULL, &t) ==
                    GC_OK) {
                    int64_t n;
                    GC_CHECK_OK(gc_tensor_numel(&t, &n));
                }
            }
            gc_safetensors_free(st);
        }
        b[i] = old;
    }
    GC_CHECK(ok > 0); /* flips inside the data are fine */
    free(b);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
}

/* Every allocation of a read (file and memory) and a write failed in turn. */
static void test_alloc_failure(void)
{
    stt_dir d;
    GC_CHECK(stt_dir_make(&d));
    stt_count cnt;
    gc_context *ctx = stt_ctx(&cnt);
    gc_safetensors *st;
    size_t len;
    unsigned char *b = stt_slurp(gc_test_golden("st_mixed.safetensors"), &len);
    for (int mode = 0; mode < 2; mode++) {
        cnt.calls = 0;
        GC_CHECK_OK(mode ? gc_safetensors_read_mem(ctx, b, len, &st)
                         : gc_safetensors_read(ctx, gc_test_golden("st_mixed.safetensors"), &st));
        gc_safetensors_free(st);
        const long calls = cnt.calls;
        GC_CHECK(calls >= 3);
        for (long k = 1; k <= calls; k++) {
            cnt.calls = 0;
            cnt.fail_at = k;
            gc_status s = mode ? gc_safetensors_read_mem(ctx, b, len, &st)
                               : gc_safetensors_read(ctx, gc_test_golden("st_mixed.safetensors"),
                                                     &st);
            GC_CHECK_MSG(s == GC_ERR_NOMEM, "read %d failing allocation %ld: %s", mode, k,
                         gc_status_str(s));
            GC_CHECK(st == NULL && cnt.live == 0);
        }
        cnt.fail_at = 0;
    }
    /* the write */
    GC_CHECK_OK(gc_safetensors_read_mem(ctx, b, len, &st));
    gc_tensor w1, w2;
    GC_CHECK_OK(gc_safetensors_get(ctx, st, "a.f32", -1, NULL, &w1));
    GC_CHECK_OK(gc_safetensors_get(ctx, st, "b.f64", -1, NULL, &w2));
    const gc_safetensors_entry ents[2] = {{"x", &w1}, {"y", &w2}};
    const gc_safetensors_meta meta[1] = {{"k", "v"}};
    const char *p = stt_file(&d, "w.safetensors");
    const long live0 = cnt.live;
    cnt.calls = 0;
    GC_CHECK_OK(gc_safetensors_write(ctx, p, ents, 2, meta, 1));
    unlink(p);
    const long calls = cnt.calls;
    GC_CHECK(calls >= 2);
    for (long k = 1; k <= calls; k++) {
        cnt.calls = 0;
        cnt.fail_at = k;
        GC_CHECK_STATUS(gc_safetensors_write(ctx, p, ents, 2, meta, 1), GC_ERR_NOMEM);
        GC_CHECK(cnt.live == live0 && stt_dir_count(&d) == 0);
    }
    cnt.fail_at = 0;
    gc_safetensors_free(st);
    /* the allocation limit */
    GC_CHECK_OK(gc_context_set_max_alloc(ctx, 64));
    GC_CHECK_STATUS(gc_safetensors_read_mem(ctx, b, len, &st), GC_ERR_LIMIT);
    free(b);
    GC_CHECK(cnt.live == 0);
    gc_context_free(ctx);
    stt_dir_remove(&d);
}

GC_TEST_TABLE(gc_tests_safetensors) = {
    {"safetensors_golden_mixed", test_golden_mixed},
    {"safetensors_get_checks", test_get_checks},
    {"safetensors_roundtrip", test_roundtrip},
    {"safetensors_write_refusals", test_write_refusals},
    {"safetensors_refuse_headers", test_refuse_headers},
    {"safetensors_truncation_corruption", test_truncation_and_corruption},
    {"safetensors_alloc_failure", test_alloc_failure},
    {NULL, NULL},
};
