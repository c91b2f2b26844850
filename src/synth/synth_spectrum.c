/* synth_spectrum.c - the spectrum constraint of texture synthesis (Liu, Gousseau & Xia 2016):
 *   L_s = w * sum_c ||x_c - P(x_c)||^2 / (C H W var),
 * where P gives channel x_c (H x W) the target Fourier modulus |T_c| with x_c's own phases,
 * var the sample's variance (so that w is scale-free like the Gram terms). P(x) is the point
 * of the set {y : |FFT(y)| = |T|} nearest x, so dL/dx = 2 w (x - P(x)) / (C H W var) wherever
 * no Fourier coefficient of x is zero (a zero coefficient takes phase 0).
 *
 * The target: the sample's power spectrum |FFT(s_c)|^2 (its mean removed, so the DC bin is
 * set separately to the sample's mean), carried to the output's H x W frequency grid by
 * bilinear interpolation in frequency (periodic, centred) and scaled by (H W) / (Hs Ws), the
 * power of a stationary texture growing with its area; blends of several samples average
 * the powers with their weights. Needs FFTW (double precision); without it every call
 * returns GC_ERR_UNSUPPORTED. */
#include "ops/corr/corr_fft.h"
#include "synth/synth.h"

#include <math.h>
#include <string.h>

gc_status gc_synth_spectrum_init(gc_context *ctx, gc_synth_spectrum *sp, int64_t C, int64_t H,
                                 int64_t W)
{
    memset(sp, 0, sizeof *sp);
    if (!gc_fft_available())
        return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                       "synth: the spectrum constraint needs FFTW (this build has none; install "
                       "libfftw3-dev, scripts/install-deps.sh, and rebuild)");
    sp->C = C, sp->H = H, sp->W = W;
    const int64_t half = W / 2 + 1;
    const int64_t pd[3] = {C, H, half};
    const int64_t rd[2] = {H, W};
    const int64_t cd[3] = {H, half, 2};
    gc_status st = gc_tensor_create(ctx, &sp->power, GC_DTYPE_F64, 3, pd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &sp->real, GC_DTYPE_F64, 2, rd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &sp->spec, GC_DTYPE_F64, 3, cd);
    if (st == GC_OK) {
        const int64_t dims[2] = {H, W};
        sp->fwd = gc_fft_plan_nd(GC_DTYPE_F64, GC_FFT_R2C_ND, 2, dims, sp->real.data, sp->spec.data);
        sp->bwd = gc_fft_plan_nd(GC_DTYPE_F64, GC_FFT_C2R_ND, 2, dims, sp->spec.data, sp->real.data);
        if (!sp->fwd || !sp->bwd)
            st = gc_fail(ctx, GC_ERR_UNSUPPORTED, "synth: FFTW could not plan a %lld x %lld transform",
                         (long long)H, (long long)W);
    }
    if (st != GC_OK)
        gc_synth_spectrum_free(sp);
    return st;
}

void gc_synth_spectrum_free(gc_synth_spectrum *sp)
{
    if (!sp)
        return;
    gc_tensor_free(&sp->power);
    gc_tensor_free(&sp->real);
    gc_tensor_free(&sp->spec);
    memset(sp, 0, sizeof *sp);
}

/* Power at (possibly fractional, periodic) frequency (fy, fx) of a Hs x Ws power spectrum held
 * as its r2c half (Hs x (Ws/2+1)); negative fx reads the conjugate-symmetric bin. */
static double gc_sp_at(const double *p, int64_t Hs, int64_t Ws, int64_t y, int64_t x)
{
    y = ((y % Hs) + Hs) % Hs;
    x = ((x % Ws) + Ws) % Ws;
    if (x > Ws / 2) { /* |X(-y, -x)| = |X(y, x)| */
        x = Ws - x;
        y = (Hs - y) % Hs;
    }
    return p[y * (Ws / 2 + 1) + x];
}

gc_status gc_synth_spectrum_add(gc_context *ctx, gc_synth_spectrum *sp, const gc_tensor *sample,
                                double weight, double total)
{
    const int64_t C = sp->C, H = sp->H, W = sp->W, half = W / 2 + 1;
    const int64_t Hs = sample->dims[1], Ws = sample->dims[2], hs = Ws / 2 + 1;
    /* the sample's spectrum needs a transform of its own size */
    gc_tensor re = {0}, sc = {0}, pw = {0};
    const int64_t rd[2] = {Hs, Ws}, cd[3] = {Hs, hs, 2}, pd[2] = {Hs, hs};
    gc_status st = gc_tensor_create(ctx, &re, GC_DTYPE_F64, 2, rd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &sc, GC_DTYPE_F64, 3, cd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &pw, GC_DTYPE_F64, 2, pd);
    void *plan = NULL;
    if (st == GC_OK) {
        plan = gc_fft_plan_nd(GC_DTYPE_F64, GC_FFT_R2C_ND, 2, rd, re.data, sc.data);
        if (!plan)
            st = gc_fail(ctx, GC_ERR_UNSUPPORTED, "synth: FFTW could not plan a %lld x %lld transform",
                         (long long)Hs, (long long)Ws);
    }
    double var = 0.0;
    for (int64_t c = 0; c < C && st == GC_OK; c++) {
        double *r = re.data, mean = 0.0;
        for (int64_t y = 0; y < Hs; y++)
            for (int64_t x = 0; x < Ws; x++) {
                const double v = gc_load(sample->data, sample->dtype, c * sample->strides[0] +
                                         y * sample->strides[1] + x * sample->strides[2]);
                r[y * Ws + x] = v;
                mean += v;
            }
        mean /= (double)(Hs * Ws);
        for (int64_t i = 0; i < Hs * Ws; i++) {
            r[i] -= mean;
            var += r[i] * r[i];
        }
        gc_fft_exec(GC_DTYPE_F64, GC_FFT_R2C_ND, plan, re.data, sc.data);
        const double *z = sc.data;
        double *p = pw.data;
        for (int64_t i = 0; i < Hs * hs; i++)
            p[i] = z[2 * i] * z[2 * i] + z[2 * i + 1] * z[2 * i + 1];
        /* carry to H x W: output bin (u, v), u in (-H/2, H/2], is the sample's frequency
         * (u Hs / H, v Ws / W) */
        const double scale = (double)(H * W) / (double)(Hs * Ws);
        double *out = (double *)sp->power.data + c * H * half;
        for (int64_t u = 0; u < H; u++) {
            const int64_t us = u <= H / 2 ? u : u - H;
            const double fy = (double)us * (double)Hs / (double)H;
            const double y0f = floor(fy), ty = fy - y0f;
            for (int64_t v = 0; v < half; v++) {
                const double fx = (double)v * (double)Ws / (double)W;
                const double x0f = floor(fx), tx = fx - x0f;
                const int64_t y0 = (int64_t)y0f, x0 = (int64_t)x0f;
                double val = (1 - ty) * ((1 - tx) * gc_sp_at(p, Hs, Ws, y0, x0) +
                                         tx * gc_sp_at(p, Hs, Ws, y0, x0 + 1)) +
                             ty * ((1 - tx) * gc_sp_at(p, Hs, Ws, y0 + 1, x0) +
                                   tx * gc_sp_at(p, Hs, Ws, y0 + 1, x0 + 1));
                val *= scale;
                if (u == 0 && v == 0) /* the mean: exactly the sample's */
                    val = mean * mean * (double)(H * W) * (double)(H * W);
                double *o = &out[u * half + v];
                *o = (*o * total + weight * val) / (total + weight);
            }
        }
    }
    if (st == GC_OK) {
        var /= (double)(C * Hs * Ws);
        sp->var = (sp->var * total + weight * var) / (total + weight);
        if (!(sp->var > 0.0) || !isfinite(sp->var))
            sp->var = 1.0;
    }
    gc_tensor_free(&re);
    gc_tensor_free(&sc);
    gc_tensor_free(&pw);
    return st;
}

gc_status gc_synth_spectrum_loss(gc_synth_spectrum *sp, const gc_tensor *x, double weight,
                                 double *loss, gc_tensor *grad)
{
    const int64_t C = sp->C, H = sp->H, W = sp->W, half = W / 2 + 1, n = H * W;
    const double k = weight / ((double)(C * n) * (sp->var > 0.0 ? sp->var : 1.0));
    double sum = 0.0;
    double *r = sp->real.data, *z = sp->spec.data;
    for (int64_t c = 0; c < C; c++) {
        for (int64_t i = 0; i < n; i++)
            r[i] = gc_load(x->data, x->dtype, c * n + i);
        gc_fft_exec(GC_DTYPE_F64, GC_FFT_R2C_ND, sp->fwd, r, z);
        const double *pw = (const double *)sp->power.data + c * H * half;
        for (int64_t i = 0; i < H * half; i++) {
            const double re = z[2 * i], im = z[2 * i + 1], m = sqrt(re * re + im * im);
            const double t = sqrt(pw[i]);
            if (m > 0.0) {
                z[2 * i] = re * (t / m) / (double)n;
                z[2 * i + 1] = im * (t / m) / (double)n;
            } else {
                z[2 * i] = t / (double)n;
                z[2 * i + 1] = 0.0;
            }
        }
        gc_fft_exec(GC_DTYPE_F64, GC_FFT_C2R_ND, sp->bwd, z, r); /* r = P(x_c) */
        for (int64_t i = 0; i < n; i++) {
            const int64_t o = c * n + i;
            const double d = gc_load(x->data, x->dtype, o) - r[i];
            sum += d * d;
            if (grad)
                gc_store(grad->data, grad->dtype, o, gc_load(grad->data, grad->dtype, o) + 2.0 * k * d);
        }
    }
    *loss += k * sum;
    return GC_OK;
}
