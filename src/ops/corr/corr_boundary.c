/* corr_boundary.c - boundaries other than zero padding for modes F and S: the input is copied,
 * padded by the boundary rule, into a workspace, and the op becomes a valid-mode correlation
 * of that padded input. Both the direct and the FFT path run that same problem, so they agree
 * on every boundary.
 *
 *   padded[i][z'][y'][x'] = value at input index (z'-pz, y'-py, x'-px) of plane i, per rule,
 *   z' in [0, oz+kz-1) etc.; the new problem has n = o+k-1, pad 0, the same k and o. */
#include "ops/corr/corr_fft.h"

#include <string.h>

static int64_t gc_mod(int64_t i, int64_t m)
{
    int64_t r = i % m;
    return r < 0 ? r + m : r;
}

int64_t gc_boundary_index(gc_boundary b, int64_t i, int64_t n)
{
    if (i >= 0 && i < n)
        return i;
    switch (b) {
    case GC_BOUNDARY_WRAP:
        return gc_mod(i, n);
    case GC_BOUNDARY_SYMM: { /* period 2n: 0..n-1 then n-1..0 */
        const int64_t j = gc_mod(i, 2 * n);
        return j < n ? j : 2 * n - 1 - j;
    }
    case GC_BOUNDARY_REFLECT: { /* period 2n-2: 0..n-1 then n-2..1 */
        if (n == 1)
            return 0;
        const int64_t j = gc_mod(i, 2 * n - 2);
        return j < n ? j : 2 * n - 2 - j;
    }
    case GC_BOUNDARY_REPLICATE:
        return i < 0 ? 0 : n - 1;
    case GC_BOUNDARY_FILL:
    default:
        return -1;
    }
}

int gc_corr_needs_padding(const gc_corr_problem *p)
{
    if (p->boundary == GC_BOUNDARY_FILL && p->fill == 0.0)
        return 0;
    return p->pad[0] > 0 || p->pad[1] > 0 || p->pad[2] > 0 ||
           p->o[0] + p->k[0] - 1 > p->n[0] || p->o[1] + p->k[1] - 1 > p->n[1] ||
           p->o[2] + p->k[2] - 1 > p->n[2];
}

gc_status gc_corr_pad_input(gc_context *ctx, const gc_corr_problem *p, gc_corr_problem *q,
                            void **owned)
{
    *owned = NULL;
    *q = *p;
    int64_t pn[3], total = p->nin, maps = 0;
    for (int d = 0; d < 3; d++) {
        pn[d] = p->o[d] + p->k[d] - 1;
        if (!gc_mul_ok(total, pn[d], &total) || !gc_add_ok(maps, pn[d], &maps))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "padded input size overflows");
    }
    const size_t esz = gc_dtype_size(p->dtype);
    int64_t bytes, mapbytes;
    if (!gc_mul_ok(total, (int64_t)esz, &bytes) || !gc_mul_ok(maps, 8, &mapbytes) ||
        !gc_add_ok(bytes, mapbytes + 64, &bytes))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "padded input size overflows");
    void *buf;
    gc_status st = gc_alloc(ctx, bytes, 1, &buf);
    if (st != GC_OK)
        return st;
    char *data = buf;
    /* per-dimension maps: padded index -> input index, or -1 for the fill value */
    int64_t *map[3];
    map[0] = (int64_t *)(data + ((size_t)total * esz + 63) / 64 * 64);
    map[1] = map[0] + pn[0];
    map[2] = map[1] + pn[1];
    for (int d = 0; d < 3; d++)
        for (int64_t i = 0; i < pn[d]; i++)
            map[d][i] = p->boundary == GC_BOUNDARY_FILL
                            ? (i - p->pad[d] >= 0 && i - p->pad[d] < p->n[d] ? i - p->pad[d] : -1)
                            : gc_boundary_index(p->boundary, i - p->pad[d], p->n[d]);
    int64_t e = 0;
    for (int64_t i = 0; i < p->nin; i++)
        for (int64_t z = 0; z < pn[0]; z++)
            for (int64_t y = 0; y < pn[1]; y++) {
                const int64_t mz = map[0][z], my = map[1][y];
                const int64_t base = i * p->in_s[0] + mz * p->in_s[1] + my * p->in_s[2];
                for (int64_t x = 0; x < pn[2]; x++, e++) {
                    const int64_t mx = map[2][x];
                    const double v = mz < 0 || my < 0 || mx < 0
                                         ? p->fill
                                         : gc_load(p->in, p->dtype, base + mx * p->in_s[3]);
                    gc_store(data, p->dtype, e, v);
                }
            }
    for (int d = 0; d < 3; d++) {
        q->n[d] = pn[d];
        q->pad[d] = 0;
    }
    q->in_s[3] = 1;
    q->in_s[2] = pn[2];
    q->in_s[1] = pn[1] * pn[2];
    q->in_s[0] = pn[0] * pn[1] * pn[2];
    q->in = data;
    q->boundary = GC_BOUNDARY_FILL;
    q->fill = 0.0;
    *owned = buf;
    return GC_OK;
}
