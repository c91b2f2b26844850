/* conv2d_pack.c - portable packers shared by the conv2d GEMM paths (conv2d_wgrad.c,
 * conv2d_im2col.c). Panels follow the Gram kernels' format (gram.h): a chunk of kc columns
 * of L rows stored k-major, panel[k*L + r], rows past the real ones zero. */
#include "ops/conv2d/conv2d.h"

#include <string.h>

/* dst[k*L + r] = src[r*lds + k*ks] for r < rows, k < kc; 0 for rows <= r < L.
 * Shape: (rows x kc, any strides) -> kc x L panel. esz selects float / double. */
void gc_cv_pack_rows(int64_t kc, int64_t rows, const void *src, int64_t lds, int64_t ks,
                     int64_t L, size_t esz, void *dst)
{
    if (esz == sizeof(float)) {
        const float *s = src;
        float *d = dst;
        for (int64_t k = 0; k < kc; k++) {
            int64_t r = 0;
            for (; r < rows; r++)
                d[k * L + r] = s[r * lds + k * ks];
            for (; r < L; r++)
                d[k * L + r] = 0.0f;
        }
    } else {
        const double *s = src;
        double *d = dst;
        for (int64_t k = 0; k < kc; k++) {
            int64_t r = 0;
            for (; r < rows; r++)
                d[k * L + r] = s[r * lds + k * ks];
            for (; r < L; r++)
                d[k * L + r] = 0.0;
        }
    }
}

/* One packed column: dst[r] = src[r*lds] for r < rows (src NULL: all zero), 0 up to L. */
void gc_cv_pack_col(int64_t rows, const void *src, int64_t lds, int64_t L, size_t esz, void *dst)
{
    if (!src) {
        memset(dst, 0, (size_t)L * esz);
        return;
    }
    gc_cv_pack_rows(1, rows, src, lds, 1, L, esz, dst);
}

/* Number of distinct values of (i*d) mod s for i < k; with idx non-NULL, idx[i] = the rank
 * (order of first appearance) of i's residue and val[rank] = the residue. */
int64_t gc_cv_residues(int64_t k, int64_t d, int64_t s, int64_t *idx, int64_t *val)
{
    int64_t n = 0;
    for (int64_t i = 0; i < k; i++) {
        const int64_t r = (i * d) % s;
        int64_t j = 0;
        for (; j < i; j++)
            if ((j * d) % s == r)
                break;
        int64_t rank;
        if (j == i) {
            rank = n++;
            if (val)
                val[rank] = r;
        } else {
            rank = idx ? idx[j] : 0;
        }
        if (idx)
            idx[i] = rank;
    }
    return n;
}
