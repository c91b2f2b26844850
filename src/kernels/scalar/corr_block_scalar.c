/* corr_block_scalar.c - portable block kernel for the correlation driver (contract in
 * kernels/corr_block.h):
 *   out[jb][r][x] = sum_t sum_{ky,kx} rows[t][r+ky][x+kx] * kernels[t][jb][ky][kx].
 * Accumulates each output row in a small local buffer so the compiler can vectorise along x
 * with whatever the baseline ISA offers. */
#include "kernels/corr_block.h"

#include <string.h>

#define GC_SCALAR_CHUNK 256

void gc_corr_block_f32_scalar(const gc_corr_block_f32 *b)
{
    const int64_t rpt = b->nrows + b->kh - 1;
    float acc[GC_SCALAR_CHUNK];
    for (int64_t jb = 0; jb < b->nout; jb++)
        for (int64_t r = 0; r < b->nrows; r++)
            for (int64_t x0 = 0; x0 < b->ow; x0 += GC_SCALAR_CHUNK) {
                const int64_t nx = b->ow - x0 < GC_SCALAR_CHUNK ? b->ow - x0 : GC_SCALAR_CHUNK;
                float *out = b->out + jb * b->out_plane_stride + r * b->out_row_stride + x0;
                if (b->accumulate)
                    memcpy(acc, out, (size_t)nx * sizeof(float));
                else
                    memset(acc, 0, (size_t)nx * sizeof(float));
                for (int64_t t = 0; t < b->nterms; t++) {
                    const float *k = b->kernels[t] + jb * b->kernel_out_stride;
                    for (int64_t ky = 0; ky < b->kh; ky++) {
                        const float *row = b->rows[t * rpt + r + ky] + x0;
                        for (int64_t kx = 0; kx < b->kw; kx++) {
                            const float kv = k[ky * b->kw + kx];
                            for (int64_t x = 0; x < nx; x++)
                                acc[x] += row[x + kx] * kv;
                        }
                    }
                }
                memcpy(out, acc, (size_t)nx * sizeof(float));
            }
}

void gc_corr_block_f64_scalar(const gc_corr_block_f64 *b)
{
    const int64_t rpt = b->nrows + b->kh - 1;
    double acc[GC_SCALAR_CHUNK];
    for (int64_t jb = 0; jb < b->nout; jb++)
        for (int64_t r = 0; r < b->nrows; r++)
            for (int64_t x0 = 0; x0 < b->ow; x0 += GC_SCALAR_CHUNK) {
                const int64_t nx = b->ow - x0 < GC_SCALAR_CHUNK ? b->ow - x0 : GC_SCALAR_CHUNK;
                double *out = b->out + jb * b->out_plane_stride + r * b->out_row_stride + x0;
                if (b->accumulate)
                    memcpy(acc, out, (size_t)nx * sizeof(double));
                else
                    memset(acc, 0, (size_t)nx * sizeof(double));
                for (int64_t t = 0; t < b->nterms; t++) {
                    const double *k = b->kernels[t] + jb * b->kernel_out_stride;
                    for (int64_t ky = 0; ky < b->kh; ky++) {
                        const double *row = b->rows[t * rpt + r + ky] + x0;
                        for (int64_t kx = 0; kx < b->kw; kx++) {
                            const double kv = k[ky * b->kw + kx];
                            for (int64_t x = 0; x < nx; x++)
                                acc[x] += row[x + kx] * kv;
                        }
                    }
                }
                memcpy(out, acc, (size_t)nx * sizeof(double));
            }
}
