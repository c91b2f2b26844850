/* tile_gram_npy.c - the Gram of a .npy file read in bands by file offsets, under a memory
 * budget (gc_gram_forward_npy), and its building block gc_gram_accum_add_npy.
 *
 * File layout (C order): item b, row i, column k at element (b*M + i)*K + k, so a band of
 * columns [k0, k0+kb) of one item is M contiguous runs of kb elements. Memory: the band
 * (M x kb), the accumulator (gc_gram_accum_bytes) and the output (N x M x M). */
#include "tile/tile.h"

#include <string.h>

gc_status gc_gram_npy_layout(gc_context *ctx, const gc_npy_file *f, int64_t *n, int64_t *m,
                             int64_t *k, int64_t *w)
{
    if (!f || !n || !m || !k || !w)
        return gc_fail(ctx, GC_ERR_NULL, "gram_npy_layout: NULL argument");
    gc_dtype dt;
    int r;
    int64_t d[GC_MAX_RANK];
    gc_npy_file_shape(f, &dt, &r, d);
    if (r < 2 || r > 4)
        return gc_fail(ctx, GC_ERR_RANK,
                       "gram: input is %dD; expected M x K, C x H x W or N x C x H x W", r);
    for (int i = 0; i < r; i++)
        if (d[i] == 0)
            return gc_fail(ctx, GC_ERR_EMPTY, "gram: input has an empty dimension");
    *n = r == 4 ? d[0] : 1;
    *m = d[r - (r == 2 ? 2 : 3)];
    *w = d[r - 1];
    *k = r == 2 ? d[1] : d[r - 2] * d[r - 1]; /* the file's size bounds the product */
    if (r == 2)
        *w = 1;
    return GC_OK;
}

gc_status gc_gram_accum_add_npy(gc_context *ctx, gc_gram_accum *acc, gc_npy_file *f,
                                int64_t item, int64_t k0, int64_t k1, int64_t band_cols)
{
    gc_clear_error(ctx);
    if (!acc || !f)
        return gc_fail(ctx, GC_ERR_NULL, "gram_accum_add_npy: NULL accumulator or file");
    int64_t n, m, k, w;
    gc_status st = gc_gram_npy_layout(ctx, f, &n, &m, &k, &w);
    if (st != GC_OK)
        return st;
    gc_dtype dt;
    int r;
    int64_t d[GC_MAX_RANK];
    gc_npy_file_shape(f, &dt, &r, d);
    if (item < 0 || item >= n || k0 < 0 || k1 < k0 || k1 > k)
        return gc_fail(ctx, GC_ERR_ARG,
                       "gram_accum_add_npy: item %lld, columns [%lld, %lld) outside %lld x %lld",
                       (long long)item, (long long)k0, (long long)k1, (long long)n, (long long)k);
    if (band_cols < 1)
        return gc_fail(ctx, GC_ERR_ARG, "gram_accum_add_npy: band_cols must be >= 1");
    if (k1 == k0)
        return GC_OK;
    const int64_t kb_max = band_cols < k1 - k0 ? band_cols : k1 - k0;
    const size_t esz = gc_dtype_size(dt);
    void *buf;
    int64_t elems;
    if (!gc_mul_ok(m, kb_max, &elems))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "gram_accum_add_npy: band size overflows");
    if ((st = gc_alloc(ctx, elems, esz, &buf)) != GC_OK)
        return st;
    for (int64_t c0 = k0; c0 < k1 && st == GC_OK; c0 += kb_max) {
        const int64_t kb = k1 - c0 < kb_max ? k1 - c0 : kb_max;
        for (int64_t i = 0; i < m && st == GC_OK; i++)
            st = gc_npy_file_read(ctx, f, (item * m + i) * k + c0, kb,
                                  (char *)buf + (size_t)(i * kb) * esz);
        gc_tensor band;
        const int64_t bd[2] = {m, kb};
        if (st == GC_OK)
            st = gc_tensor_wrap(&band, dt, 2, bd, NULL, buf);
        if (st == GC_OK)
            st = gc_gram_accum_add(ctx, acc, &band);
    }
    gc_free(ctx, buf);
    return st;
}

gc_status gc_gram_forward_npy(gc_context *ctx, const gc_gram_desc *desc, const char *path,
                              uint64_t max_memory, gc_tensor *output)
{
    gc_clear_error(ctx);
    if (!output)
        return gc_fail(ctx, GC_ERR_NULL, "gram_forward_npy: output is NULL");
    memset(output, 0, sizeof *output);
    if (!desc || !path)
        return gc_fail(ctx, GC_ERR_NULL, "gram_forward_npy: NULL descriptor or path");
    gc_npy_file *f = NULL;
    gc_status st = gc_npy_open(ctx, path, &f);
    if (st != GC_OK)
        return st;
    int64_t n, m, k, w;
    gc_dtype dt;
    int r;
    int64_t d[GC_MAX_RANK];
    gc_npy_file_shape(f, &dt, &r, d);
    uint64_t acc_bytes = 0;
    st = gc_gram_npy_layout(ctx, f, &n, &m, &k, &w);
    if (st == GC_OK)
        st = gc_gram_accum_bytes(ctx, desc, dt, m, &acc_bytes);
    const size_t esz = gc_dtype_size(dt);
    int64_t band_cols = 0;
    if (st == GC_OK) {
        /* the budget: output + accumulator + band buffer (M x band_cols) */
        const uint64_t out_bytes = (uint64_t)n * (uint64_t)m * (uint64_t)m * esz + 64;
        const uint64_t fixed = out_bytes + acc_bytes + 64;
        const uint64_t col_bytes = (uint64_t)m * esz;
        if (max_memory < fixed + col_bytes) {
            st = gc_fail(ctx, GC_ERR_LIMIT,
                         "gram: a memory budget of %llu bytes is too small: the %lldx%lld "
                         "result, the accumulator and one column need %llu",
                         (unsigned long long)max_memory, (long long)m, (long long)m,
                         (unsigned long long)(fixed + col_bytes));
        } else {
            uint64_t cols = (max_memory - fixed) / col_bytes;
            if (cols > (uint64_t)k)
                cols = (uint64_t)k;
            if (cols >= (uint64_t)w)
                cols -= cols % (uint64_t)w; /* whole rows */
            band_cols = (int64_t)cols;
        }
    }
    gc_tensor g = {0};
    if (st == GC_OK) {
        const int64_t gd[3] = {n, m, m};
        st = r == 4 ? gc_tensor_create(ctx, &g, dt, 3, gd) : gc_tensor_create(ctx, &g, dt, 2, gd + 1);
    }
    for (int64_t b = 0; b < n && st == GC_OK; b++) {
        gc_gram_accum *acc = NULL;
        st = gc_gram_accum_create(ctx, desc, dt, m, k, &acc);
        if (st == GC_OK && gc_gram_accum_pass(acc) == GC_GRAM_PASS_MEANS) {
            st = gc_gram_accum_add_npy(ctx, acc, f, b, 0, k, band_cols);
            if (st == GC_OK)
                st = gc_gram_accum_end_means(ctx, acc);
        }
        if (st == GC_OK)
            st = gc_gram_accum_add_npy(ctx, acc, f, b, 0, k, band_cols);
        gc_tensor gb;
        const int64_t md[2] = {m, m};
        const int64_t ms[2] = {r == 4 ? g.strides[1] : g.strides[0], r == 4 ? g.strides[2] : g.strides[1]};
        if (st == GC_OK)
            st = gc_tensor_wrap(&gb, dt, 2, md, ms,
                                (char *)g.data + (size_t)(r == 4 ? b * g.strides[0] : 0) * esz);
        if (st == GC_OK)
            st = gc_gram_accum_finish(ctx, acc, &gb);
        gc_gram_accum_free(acc);
    }
    gc_npy_close(f);
    if (st != GC_OK) {
        gc_tensor_free(&g);
        return st;
    }
    *output = g;
    return GC_OK;
}
