/* corr_ref.c - the plain-loop reference for xcorr2/conv2/xcorr3/conv3: every output element
 * summed in float64 straight from the definition, with bounds checks instead of padding.
 *
 *   out[j][z][y][x] = sum_{i in terms(j)} sum_{a,b,c}
 *                       in[i][z+a-pz][y+b-py][x+c-px] * K[j][i][a'][b'][c']
 *   where (a',b',c') = (a,b,c) for xcorr and (kd-1-a, kh-1-b, kw-1-c) for conv, terms(j) = {0}
 *   (single), {j} (plane-wise) or 0..P-1 (sum), and reads outside the input are zero
 *   (or, for another boundary, the fill value / the mapped input element). */
#include "ops/corr/corr.h"

static void gc_corr_ref_run(const gc_corr_problem *p)
{
    const int64_t *n = p->n, *k = p->k, *o = p->o, *pad = p->pad;
    for (int64_t j = 0; j < p->nout; j++) {
        const int64_t i0 = p->pairing == GC_PAIR_SUM ? 0 : j;
        const int64_t i1 = p->pairing == GC_PAIR_SUM ? p->nin : j + 1;
        for (int64_t z = 0; z < o[0]; z++)
            for (int64_t y = 0; y < o[1]; y++)
                for (int64_t x = 0; x < o[2]; x++) {
                    double acc = 0.0;
                    for (int64_t i = i0; i < i1; i++)
                        for (int64_t a = 0; a < k[0]; a++) {
                            const int64_t iz = z + a - pad[0];
                            const int outside = iz < 0 || iz >= n[0];
                            for (int64_t b = 0; b < k[1]; b++) {
                                const int64_t iy = y + b - pad[1];
                                const int outside_y = outside || iy < 0 || iy >= n[1];
                                for (int64_t c = 0; c < k[2]; c++) {
                                    const int64_t ix = x + c - pad[2];
                                    const int outside_x = outside_y || ix < 0 || ix >= n[2];
                                    const int64_t ka = p->flip ? k[0] - 1 - a : a;
                                    const int64_t kb = p->flip ? k[1] - 1 - b : b;
                                    const int64_t kc = p->flip ? k[2] - 1 - c : c;
                                    const int64_t in_off = i * p->in_s[0] + iz * p->in_s[1] +
                                                           iy * p->in_s[2] + ix * p->in_s[3];
                                    const int64_t k_off = j * p->k_s[0] + i * p->k_s[1] +
                                                          ka * p->k_s[2] + kb * p->k_s[3] +
                                                          kc * p->k_s[4];
                                    double v;
                                    if (!outside_x) {
                                        v = gc_load(p->in, p->dtype, in_off);
                                    } else if (p->boundary == GC_BOUNDARY_FILL) {
                                        if (p->fill == 0.0)
                                            continue; /* zero padding: no term at all */
                                        v = p->fill;
                                    } else {
                                        const int64_t off =
                                            i * p->in_s[0] +
                                            gc_boundary_index(p->boundary, iz, n[0]) * p->in_s[1] +
                                            gc_boundary_index(p->boundary, iy, n[1]) * p->in_s[2] +
                                            gc_boundary_index(p->boundary, ix, n[2]) * p->in_s[3];
                                        v = gc_load(p->in, p->dtype, off);
                                    }
                                    acc += v * gc_load(p->ker, p->dtype, k_off);
                                }
                            }
                        }
                    const int64_t out_off = j * p->out_s[0] + z * p->out_s[1] + y * p->out_s[2] +
                                            x * p->out_s[3];
                    gc_store(p->out, p->dtype, out_off, acc);
                }
    }
}

gc_status gc_corr_reference(gc_context *ctx, const gc_corr_desc *desc, const gc_tensor *input,
                            const gc_tensor *kernel, gc_tensor *output)
{
    if (!output)
        return gc_fail(ctx, GC_ERR_NULL, "output is NULL");
    gc_corr_problem p;
    gc_status st = gc_corr_prepare(ctx, desc, input, kernel, output, &p);
    if (st != GC_OK)
        return st;
    gc_corr_ref_run(&p);
    return GC_OK;
}
